export * from "./transport.ts";
