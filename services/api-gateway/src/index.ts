export { startGateway, MIGRATIONS_FOLDER, MIGRATIONS_SCHEMA, API_VERSION, type RunningGateway } from "./gateway.ts";
export { gatewayConfigSchema, DEFAULT_API_PORT, DEFAULT_ADMIN_TOKEN_FILE, type GatewayConfig } from "./config.ts";
export { buildOpenApiDocument } from "./openapi.ts";
export { TokenStore, BOOTSTRAP_TOKEN_ID, hashSecret, splitToken, type Principal } from "./core/token-store.ts";
export { API_ROOT, OPENAPI_PATH, PUBLIC_PATHS, isApiPath, needsToken } from "./http/routes.ts";
export {
  DEFAULT_WEB_UI_DIR,
  RESERVED_PATHS,
  isClientRoute,
  isReservedPath,
  isWebUiBuilt,
  registerWebUi,
  type WebUiOptions,
  type WebUiState,
} from "./http/web-ui.ts";
export { OPENAPI_FILE, renderOpenApiFile } from "./openapi-file.ts";
