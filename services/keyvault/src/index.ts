export { keyvaultConfigSchema, loadKeyvaultConfig } from "./config.ts";
export type { KeyvaultConfig } from "./config.ts";
export { KEYVAULT_MIGRATIONS, KEYVAULT_SUBJECTS, startKeyvault } from "./keyvault.ts";
export type { RunningKeyvault } from "./keyvault.ts";
export { decodeMasterKey, MASTER_KEY_BYTES, masterKeyFingerprint, readMasterKey } from "./master-key.ts";
export { KeyUnwrapError, keyFingerprint, TAPE_KEY_BYTES, unwrapKey, WRAPPED_KEY_BYTES, wrapKey } from "./key-wrap.ts";
export { checkMasterKey, createKey, listKeys, MAX_HINT_LENGTH, parseCreateKey } from "./keys.ts";
export type { KeyInfo } from "./keys.ts";
