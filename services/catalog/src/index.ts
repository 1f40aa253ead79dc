export { catalogConfigSchema, loadCatalogConfig } from "./config.ts";
export type { CatalogConfig } from "./config.ts";
export { CATALOG_MIGRATIONS, CATALOG_SUBJECTS, startCatalog } from "./catalog.ts";
export type { RunningCatalog } from "./catalog.ts";
export { listMediaSets, parseListMediaSets } from "./media-sets.ts";
export type { MediaSetSummary } from "./media-sets.ts";
