import { loadDeviceAgentConfig } from "./config.ts";
import { startDeviceAgent } from "./agent.ts";
import { deviceSourceFor } from "./device-source.ts";

try {
  const config = loadDeviceAgentConfig();
  await startDeviceAgent(config, { devices: await deviceSourceFor(config) });
} catch (err) {
  process.stderr.write(`device-agent: ${(err as Error).message}\n`);
  process.exit(1);
}
