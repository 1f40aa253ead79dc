export * from "./provision.ts";
export * from "./stack.ts";
export { startEmbeddedPostgres, EmbeddedPostgresError, EMBEDDED_DATABASE, EMBEDDED_POSTGRES_USER, serverAccount } from "./embedded-postgres.ts";
export type { EmbeddedPostgres, EmbeddedPostgresOptions } from "./embedded-postgres.ts";
export { ensureServer, InfraError, LOCAL_NATS_URL, LOCAL_REDIS_URL, NATS_KIND, REDIS_KIND } from "./infra.ts";
export type { InfraServer } from "./infra.ts";
export { freePort, hostPortOf, probe, probeNats, probePostgres, probeRedis } from "./net.ts";
export { ServiceStartError } from "./service-process.ts";
export type { ServiceProcess } from "./service-process.ts";
