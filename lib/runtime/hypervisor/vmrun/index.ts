export * from "./errors";
export * from "./locate";
export * from "./driver";
