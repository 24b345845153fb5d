export * from "./types";
export * from "./names";
export * from "./manifest";
export * from "./sets";
