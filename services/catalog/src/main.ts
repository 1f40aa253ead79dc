import { loadCatalogConfig } from "./config.ts";
import { startCatalog } from "./catalog.ts";

try {
  await startCatalog(loadCatalogConfig());
} catch (err) {
  process.stderr.write(`catalog: ${(err as Error).message}\n`);
  process.exit(1);
}
