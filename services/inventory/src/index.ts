export { startInventory, MIGRATIONS_FOLDER, MIGRATIONS_SCHEMA, type RunningInventory } from "./inventory.ts";
export { inventoryConfigSchema, type InventoryConfig } from "./config.ts";
export { ConfigStore, REFERENCES, type Reference } from "./core/config-store.ts";
export { MediaStore, mediaFromRow } from "./core/media-store.ts";
export { DeviceTracker, parseAnnouncedDevice, parseScanAnswer } from "./core/device-locations.ts";
