export { startGateway, MIGRATIONS_FOLDER, MIGRATIONS_SCHEMA, API_VERSION, type RunningGateway } from "./gateway.ts";
export { gatewayConfigSchema, DEFAULT_API_PORT, DEFAULT_ADMIN_TOKEN_FILE, type GatewayConfig } from "./config.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export { TokenStore, BOOTSTRAP_TOKEN_ID, hashSecret, splitToken, type Principal } from "./core/token-store.ts";
export { API_ROOT, OPENAPI_PATH, PUBLIC_PATHS } from "./http/routes.ts";
