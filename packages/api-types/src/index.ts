/**
 * @tapefleet/api-types: the configuration entities of the tape subsystem as
 * zod schemas in PBS's JSON shape (kebab-case keys), their update requests,
 * the inventory service's NATS protocol names, and JSON Schemas for OpenAPI.
 */
export * from "./fields.ts";
export * from "./delete-list.ts";
export * from "./digest.ts";
export * from "./changer.ts";
export * from "./drive.ts";
export * from "./media-pool.ts";
export * from "./tape-backup-job.ts";
export * from "./access.ts";
export * from "./errors.ts";
export * from "./validate.ts";
export * from "./kinds.ts";
export * from "./json-schema.ts";
export * from "./media.ts";
export * from "./tape-device.ts";
export * from "./catalog.ts";
export * from "./datastore.ts";
export * from "./jobs.ts";
export * from "./keys.ts";
