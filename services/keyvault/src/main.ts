import { loadKeyvaultConfig } from "./config.ts";
import { startKeyvault } from "./keyvault.ts";

try {
  await startKeyvault(loadKeyvaultConfig());
} catch (err) {
  process.stderr.write(`keyvault: ${(err as Error).message}\n`);
  process.exit(1);
}
