export * from "./provision.ts";
