/**
 * The chart's structural switches — Kafka profile, autoscaler mode, ingress on/off — change which objects
 * exist, not just their field values, so markers cannot express them. The generator synthesizes every
 * combination and wraps each distinct rendering of an object in the smallest `if` that selects exactly the
 * combinations producing it.
 *
 * @module
 */

/** One combination of the switches. */
export interface Variant {
  readonly profile: "dev" | "prod";
  readonly autoscaler: "operator" | "keda";
  readonly ingress: boolean;
}

type Dim = keyof Variant;

const DIMS: readonly { readonly dim: Dim; readonly values: readonly Variant[Dim][] }[] = [
  { dim: "profile", values: ["dev", "prod"] },
  { dim: "autoscaler", values: ["operator", "keda"] },
  { dim: "ingress", values: [false, true] },
];

/** Every combination, in a fixed order (the first is the chart's default values). */
export const VARIANTS: readonly Variant[] = DIMS.reduce<Variant[]>(
  (acc, { dim, values }) => acc.flatMap((v) => values.map((x) => ({ ...v, [dim]: x }))),
  [{} as Variant],
);

/** Stable identity of a variant. */
export function variantKey(v: Variant): string {
  return `${v.profile}/${v.autoscaler}/${v.ingress}`;
}

function atom(dim: Dim, value: Variant[Dim]): string {
  switch (dim) {
    case "profile":
      return `eq .Values.profile ${JSON.stringify(value)}`;
    case "autoscaler":
      return `eq .Values.autoscaler ${JSON.stringify(value)}`;
    case "ingress":
      return value ? ".Values.gateway.ingress.enabled" : "not .Values.gateway.ingress.enabled";
  }
}

function and(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0] : `and ${parts.map((p) => `(${p})`).join(" ")}`;
}

/**
 * The Go-template condition true exactly for the variants in `selected`, or undefined when that is all of
 * them. Switches the selection does not depend on are left out, so an object that differs only by
 * profile gets `eq .Values.profile "prod"` rather than a disjunction over all eight combinations.
 */
export function conditionFor(selected: readonly Variant[]): string | undefined {
  const keys = new Set(selected.map(variantKey));
  const relevant = DIMS.filter(({ dim, values }) =>
    !selected.every((v) => values.every((x) => keys.has(variantKey({ ...v, [dim]: x }))))
  );
  if (relevant.length === 0) return undefined;
  const terms = [...new Set(selected.map((v) => and(relevant.map(({ dim }) => atom(dim, v[dim])))))];
  return terms.length === 1 ? terms[0] : `or ${terms.map((t) => `(${t})`).join(" ")}`;
}
