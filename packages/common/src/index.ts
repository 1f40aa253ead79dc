export * from "./errors.ts";
export * from "./config.ts";
export * from "./logger.ts";
export * from "./nats.ts";
export * from "./db.ts";
export * from "./lifecycle.ts";
export * from "./service.ts";
export * from "./names.ts";
