import { loadConfig } from "@tapefleet/common";
import { inventoryConfigSchema } from "./config.ts";
import { startInventory } from "./inventory.ts";

try {
  await startInventory(loadConfig(inventoryConfigSchema));
} catch (err) {
  process.stderr.write(`inventory: ${(err as Error).message}\n`);
  process.exit(1);
}
