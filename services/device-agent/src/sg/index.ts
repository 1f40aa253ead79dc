export * from "./sg-io.ts";
export * from "./sg-io-abi.ts";
export * from "./sg-error.ts";
export * from "./forwarding-library.ts";
export * from "./discovery.ts";
