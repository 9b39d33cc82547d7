/** The operator's pure core: lag observation, rate learning and the scaling decision. */
export * from "./types.ts";
export * from "./ceil.ts";
export * from "./settings.ts";
export * from "./lag.ts";
export * from "./rate.ts";
export * from "./needs.ts";
export * from "./decide.ts";
export * from "./trend.ts";
