import { loadConfig } from "@tapefleet/common";
import { gatewayConfigSchema } from "./config.ts";
import { startGateway } from "./gateway.ts";

try {
  await startGateway(loadConfig(gatewayConfigSchema));
} catch (err) {
  process.stderr.write(`api-gateway: ${(err as Error).message}\n`);
  process.exit(1);
}
