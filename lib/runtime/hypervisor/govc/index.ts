export * from "./errors";
export * from "./locate";
export * from "./environment";
export * from "./driver";
