export { DEFAULT_KEY_RELEASE_LEASE_CHECK, DEFAULT_REQUEST_TIMEOUT_MS, keyvaultConfigSchema, loadKeyvaultConfig } from "./config.ts";
export type { KeyvaultConfig } from "./config.ts";
export { KEYVAULT_MIGRATIONS, KEYVAULT_SUBJECTS, schedulerLeaseCheck, startKeyvault } from "./keyvault.ts";
export type { RunningKeyvault, StartKeyvaultOptions } from "./keyvault.ts";
export { decodeMasterKey, MASTER_KEY_BYTES, masterKeyFingerprint, readMasterKey } from "./master-key.ts";
export { KeyUnwrapError, TAPE_KEY_BYTES, unwrapKey, WRAPPED_KEY_BYTES, wrapKey } from "./key-wrap.ts";
export { checkMasterKey, createKey, importKey, keyConfigOfKey, listKeys, paperkey, releaseKey, removeKey, showKey, updateKey } from "./keys.ts";
export type { LeaseCheck } from "./keys.ts";
export {
  changeKeyConfigPassword,
  createKeyConfig,
  decryptKeyConfig,
  formatKeyConfig,
  isFingerprint,
  KeyConfigError,
  keyFingerprint,
  kdfName,
  mediaSetDriveKey,
  parseKeyConfig,
  rfc3339Local,
  SCRYPT_DEFAULTS,
} from "./core/key-config.ts";
export type { Kdf, KeyConfig, KeyConfigReason } from "./core/key-config.ts";
export { PAPERKEY_BEGIN, PAPERKEY_END, paperkeyQrPayload, paperkeyQrPng, paperkeyQrText, parseKeyImport, renderPaperkey } from "./core/paperkey.ts";
export type { PaperkeyFormat } from "./core/paperkey.ts";
