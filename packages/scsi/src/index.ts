export * from "./transport.ts";
export * from "./constants/opcodes.ts";
export * from "./constants/sense.ts";
export * from "./constants/asc-ascq-table.ts";
export * from "./constants/density.ts";
export * from "./constants/tape-alert.ts";
export * from "./constants/mam.ts";
