export * from "./cache.ts";
export * from "./certs.ts";
export * from "./kafka.ts";
export * from "./process.ts";
export * from "./control_plane.ts";
export * from "./maven.ts";
