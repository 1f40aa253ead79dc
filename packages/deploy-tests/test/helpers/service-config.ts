/**
 * Each service's own configuration loader and the TAPEFLEET_* names it reads,
 * so that a deployment's environment can be checked the way the service checks
 * it at boot.
 */
import { gatewayConfigSchema } from "@tapefleet/api-gateway";
import { loadCatalogConfig, catalogConfigSchema } from "@tapefleet/catalog";
import { envNameOf, loadConfig } from "@tapefleet/common";
import { deviceAgentConfigSchema, loadDeviceAgentConfig } from "@tapefleet/device-agent";
import { inventoryConfigSchema } from "@tapefleet/inventory";
import { keyvaultConfigSchema, loadKeyvaultConfig } from "@tapefleet/keyvault";
import { loadSchedulerConfig, schedulerConfigSchema } from "@tapefleet/scheduler";

export const SERVICES = ["api-gateway", "inventory", "catalog", "keyvault", "scheduler", "device-agent"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Variables the image's entry point reads besides the services' own. */
export const ENTRYPOINT_VARIABLES = new Set(["TAPEFLEET_SERVICE", "TAPEFLEET_APP_DIR", "TAPEFLEET_CONFIG_FILE"]);

interface ServiceConfig {
  /** The service's boot-time configuration check (throws its ConfigError). */
  load(env: NodeJS.ProcessEnv): unknown;
  /** Every TAPEFLEET_* variable it reads. */
  variables: Set<string>;
}

function variablesOf(shape: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(shape).map(envNameOf));
}

export const SERVICE_CONFIG: Record<ServiceName, ServiceConfig> = {
  "api-gateway": { load: (env) => loadConfig(gatewayConfigSchema, { env }), variables: variablesOf(gatewayConfigSchema.shape) },
  inventory: { load: (env) => loadConfig(inventoryConfigSchema, { env }), variables: variablesOf(inventoryConfigSchema.shape) },
  catalog: { load: (env) => loadCatalogConfig({ env }), variables: variablesOf(catalogConfigSchema.shape) },
  keyvault: { load: (env) => loadKeyvaultConfig({ env }), variables: variablesOf(keyvaultConfigSchema.shape) },
  scheduler: { load: (env) => loadSchedulerConfig({ env }), variables: variablesOf(schedulerConfigSchema.shape) },
  "device-agent": { load: (env) => loadDeviceAgentConfig({ env }), variables: variablesOf(deviceAgentConfigSchema.shape) },
};

/** TAPEFLEET_* names in `env` that the service does not read (typos, or meant for another service). */
export function unknownVariables(service: ServiceName, env: Record<string, unknown>): string[] {
  const known = SERVICE_CONFIG[service].variables;
  return Object.keys(env).filter((k) => k.startsWith("TAPEFLEET_") && !known.has(k) && !ENTRYPOINT_VARIABLES.has(k));
}
