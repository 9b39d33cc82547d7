/**
 * Placeholders that carry Helm values through the cdk8s constructs untouched. The chart generator builds a
 * config whose user-tunable fields are markers (`@@3@@` for strings, 987650003 for integers), synthesizes it
 * with the same constructs as `deno task synth`, and then turns every marker in the output into a template
 * expression. So the chart cannot drift from the constructs: there is no second copy of any manifest.
 *
 * A construct that computed with a marked number (say `max * 2`) would silently lose it; {@link Markers.unused}
 * reports such markers and the generator fails on them.
 *
 * @module
 */
import { stringify } from "yaml";

/** One Helm value the chart exposes. */
export interface HelmParam {
  /** Path in values.yaml, e.g. `["workers", "logger", "replicas", "min"]`. */
  readonly path: readonly string[];
  readonly type: "string" | "int";
  /** Go-template expression of the value, e.g. `.Values.images.registry`. */
  readonly expr: string;
  /** Default in values.yaml; undefined for values Helm provides (the release namespace). */
  readonly default?: string | number;
  /** Comment written above the value in values.yaml. */
  readonly doc?: string;
}

const INT_BASE = 987_650_000;
const STRING_MARKER = /@@(\d+)@@/g;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `.Values.a.b`, or `(index .Values "a" "my-worker")` when a key is no Go identifier. */
export function valuesExpr(path: readonly string[]): string {
  if (path.every((p) => IDENT.test(p))) return `.Values.${path.join(".")}`;
  return `(index .Values ${path.map((p) => JSON.stringify(p)).join(" ")})`;
}

/** Allocates markers; the same path always gets the same marker, across every synthesized variant. */
export class Markers {
  readonly params: HelmParam[] = [];
  readonly #byPath = new Map<string, number>();
  readonly #seen = new Set<number>();

  #register(param: HelmParam): number {
    const key = param.path.join("\u0000");
    let id = this.#byPath.get(key);
    if (id === undefined) {
      id = this.params.length;
      this.params.push(param);
      this.#byPath.set(key, id);
    }
    return id;
  }

  /** A string marker for a value in values.yaml. */
  str(path: readonly string[], value: string, doc?: string): string {
    return `@@${this.#register({ path, type: "string", expr: valuesExpr(path), default: value, doc })}@@`;
  }

  /** A string marker for an arbitrary expression (no values.yaml entry unless `path` is given a default). */
  expr(path: readonly string[], expr: string, value?: string, doc?: string): string {
    return `@@${this.#register({ path, type: "string", expr, default: value, doc })}@@`;
  }

  /** An integer marker; allocate a range's min before its max so min ≤ max checks still pass. */
  int(path: readonly string[], value: number, doc?: string): number {
    return INT_BASE + this.#register({ path, type: "int", expr: valuesExpr(path), default: value, doc });
  }

  /** Markers no synthesized object contained: dropped or computed with by a construct. */
  unused(): HelmParam[] {
    return this.params.filter((_, i) => !this.#seen.has(i));
  }

  /**
   * YAML of one object with every marker turned into a template expression. Strings that are exactly one
   * marker become `{{ expr | quote }}`, integers `{{ expr | int }}`, and strings with markers inside become a
   * double-quoted scalar with the expressions spliced in.
   */
  render(manifest: unknown): string {
    const raw: string[] = [];
    const token = (text: string) => `__HELM_RAW_${raw.push(text) - 1}__`;
    const walk = (value: unknown): unknown => {
      if (typeof value === "number" && value >= INT_BASE && value < INT_BASE + this.params.length) {
        const id = value - INT_BASE;
        this.#seen.add(id);
        return token(`{{ ${this.params[id].expr} | int }}`);
      }
      if (typeof value === "string" && value.includes("@@")) return token(this.#renderString(value));
      if (Array.isArray(value)) return value.map(walk);
      if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      }
      return value;
    };
    const text = stringify(walk(manifest), { lineWidth: 0 });
    return text.replace(/__HELM_RAW_(\d+)__/g, (_, i) => raw[Number(i)]);
  }

  #renderString(value: string): string {
    const whole = /^@@(\d+)@@$/.exec(value);
    if (whole) {
      const id = Number(whole[1]);
      this.#seen.add(id);
      return `{{ ${this.params[id].expr} | quote }}`;
    }
    let out = "";
    let last = 0;
    for (const m of value.matchAll(STRING_MARKER)) {
      const id = Number(m[1]);
      this.#seen.add(id);
      out += JSON.stringify(value.slice(last, m.index)).slice(1, -1) + `{{ ${this.params[id].expr} }}`;
      last = m.index + m[0].length;
    }
    return `"${out}${JSON.stringify(value.slice(last)).slice(1, -1)}"`;
  }
}
