/**
 * Tape data encryption (SSC-4 8.5): SECURITY PROTOCOL IN/OUT pages of protocol 0x20 and the
 * per-block AES-256-GCM used to store encrypted records.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Asc, SenseKey } from "./scsi-codes.ts";
import { condition, invalidCdbField, invalidParameterField } from "./sense.ts";

export const SECURITY_PROTOCOL_INFO = 0x00;
export const SECURITY_PROTOCOL_TAPE_ENCRYPTION = 0x20;

export const TdePage = {
  IN_SUPPORT: 0x0000,
  OUT_SUPPORT: 0x0001,
  CAPABILITIES: 0x0010,
  KEY_FORMATS: 0x0011,
  STATUS: 0x0020,
  NEXT_BLOCK_STATUS: 0x0021,
  SET_DATA_ENCRYPTION: 0x0010,
} as const;

export const EncryptionMode = { DISABLE: 0, EXTERNAL: 1, ENCRYPT: 2 } as const;
export const DecryptionMode = { DISABLE: 0, RAW: 1, DECRYPT: 2, MIXED: 3 } as const;

/** AES-GCM with a 256-bit key (SSC-4 table: security algorithm code 0x00010014). */
export const ALGORITHM_AES_GCM_256 = 0x00010014;
export const ALGORITHM_INDEX = 0x01;
export const KEY_LENGTH = 32;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
/** Bytes added to a record by encryption (IV + GCM tag). */
export const ENCRYPTION_OVERHEAD = IV_LENGTH + TAG_LENGTH;

/** Next block encryption status codes (SSC-4 8.5.4.3). */
export const NextBlockStatus = {
  NOT_A_BLOCK: 0x1,
  NOT_ENCRYPTED: 0x2,
  ENCRYPTED_KEY_CORRECT: 0x5,
  ENCRYPTED_KEY_UNAVAILABLE: 0x6,
} as const;

export interface EncryptionState {
  encryptionMode: number;
  decryptionMode: number;
  key: Buffer | null;
  keyTag: number;
  /** Clear key on demount. */
  ckod: boolean;
  scope: number;
  lock: boolean;
  keyInstanceCounter: number;
}

export function initialEncryptionState(): EncryptionState {
  return { encryptionMode: 0, decryptionMode: 0, key: null, keyTag: 0, ckod: false, scope: 0, lock: false, keyInstanceCounter: 0 };
}

/** Short key tag stored with each encrypted record to tell a wrong key from a corrupt block. */
export function keyTagOf(key: Uint8Array): number {
  return createHash("sha256").update("tapefleet-vtl-key-tag").update(key).digest().readUInt32BE(0);
}

export function encryptBlock(key: Buffer, plain: Uint8Array): Buffer {
  const iv = randomBytes(IV_LENGTH);
  const c = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/** Decrypt a stored record; returns undefined when authentication fails. */
export function decryptBlock(key: Buffer, stored: Uint8Array): Buffer | undefined {
  if (stored.length < ENCRYPTION_OVERHEAD) return undefined;
  const iv = stored.subarray(0, IV_LENGTH);
  const tag = stored.subarray(stored.length - TAG_LENGTH);
  const d = createDecipheriv("aes-256-gcm", key, iv);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(stored.subarray(IV_LENGTH, stored.length - TAG_LENGTH)), d.final()]);
  } catch {
    return undefined;
  }
}

function page(code: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(4 + body.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, code);
  v.setUint16(2, body.length);
  b.set(body, 4);
  return b;
}

function u16list(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((x, i) => new DataView(b.buffer).setUint16(i * 2, x));
  return b;
}

export interface NextBlockInfo {
  position: number;
  status: number;
}

/** Answer SECURITY PROTOCOL IN. `nextBlock` is only needed for page 0x0021. */
export function securityProtocolIn(cdb: Uint8Array, state: EncryptionState, nextBlock: () => NextBlockInfo): Uint8Array {
  if (cdb.length < 12) throw invalidCdbField(0);
  const protocol = cdb[1]!;
  const sps = (cdb[2]! << 8) | cdb[3]!;
  if (cdb[4]! & 0x80) throw invalidCdbField(4, 7); // INC_512 not supported
  const alloc = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(6);
  let out: Uint8Array;
  if (protocol === SECURITY_PROTOCOL_INFO) {
    if (sps === 0x0000) {
      const list = Uint8Array.of(SECURITY_PROTOCOL_INFO, SECURITY_PROTOCOL_TAPE_ENCRYPTION);
      out = new Uint8Array(8 + list.length);
      new DataView(out.buffer).setUint16(6, list.length);
      out.set(list, 8);
    } else if (sps === 0x0001) {
      out = new Uint8Array(4); // no certificate
    } else {
      throw invalidCdbField(2);
    }
  } else if (protocol === SECURITY_PROTOCOL_TAPE_ENCRYPTION) {
    switch (sps) {
      case TdePage.IN_SUPPORT:
        out = page(sps, u16list([0x0000, 0x0001, 0x0010, 0x0011, 0x0020, 0x0021]));
        break;
      case TdePage.OUT_SUPPORT:
        out = page(sps, u16list([0x0010]));
        break;
      case TdePage.CAPABILITIES: {
        const body = new Uint8Array(16 + 24);
        body[0] = 0x09; // EXTDECC 10b, CFG_P 01b: encryption is controlled through SECURITY PROTOCOL OUT
        const d = body.subarray(16);
        const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
        d[0] = ALGORITHM_INDEX;
        v.setUint16(2, 0x14);
        d[4] = 0x80 | (2 << 2) | 2; // AVFMV, DECRYPT_C = 2, ENCRYPT_C = 2 (hardware, controlled by SPOUT)
        d[5] = 0x00;
        v.setUint16(6, 32); // maximum U-KAD length
        v.setUint16(8, 12); // maximum A-KAD length
        v.setUint16(10, KEY_LENGTH);
        d[12] = 0x00;
        v.setUint16(14, 0); // maximum supported device keys
        v.setUint32(20, ALGORITHM_AES_GCM_256);
        out = page(sps, body);
        break;
      }
      case TdePage.KEY_FORMATS:
        out = page(sps, Uint8Array.of(0x00)); // plain-text key
        break;
      case TdePage.STATUS: {
        const body = new Uint8Array(20);
        body[0] = (state.scope << 5) & 0xe0;
        body[1] = state.encryptionMode;
        body[2] = state.decryptionMode;
        body[3] = state.encryptionMode || state.decryptionMode ? ALGORITHM_INDEX : 0;
        new DataView(body.buffer).setUint32(4, state.keyInstanceCounter);
        out = page(sps, body);
        break;
      }
      case TdePage.NEXT_BLOCK_STATUS: {
        const info = nextBlock();
        const body = new Uint8Array(12);
        const v = new DataView(body.buffer);
        v.setUint32(0, Math.floor(info.position / 0x100000000));
        v.setUint32(4, info.position >>> 0);
        body[8] = info.status & 0x0f; // compression status 0 (not reported)
        body[9] = info.status >= NextBlockStatus.ENCRYPTED_KEY_CORRECT ? ALGORITHM_INDEX : 0;
        out = page(sps, body);
        break;
      }
      default:
        throw invalidCdbField(2);
    }
  } else {
    throw invalidCdbField(1);
  }
  return out.subarray(0, alloc);
}

/** Apply SECURITY PROTOCOL OUT (Set Data Encryption page) to `state`. */
export function securityProtocolOut(cdb: Uint8Array, data: Uint8Array, state: EncryptionState): void {
  if (cdb.length < 12) throw invalidCdbField(0);
  if (cdb[1] !== SECURITY_PROTOCOL_TAPE_ENCRYPTION) throw invalidCdbField(1);
  const sps = (cdb[2]! << 8) | cdb[3]!;
  if (sps !== TdePage.SET_DATA_ENCRYPTION) throw invalidCdbField(2);
  if (cdb[4]! & 0x80) throw invalidCdbField(4, 7);
  const len = new DataView(cdb.buffer, cdb.byteOffset, cdb.byteLength).getUint32(6);
  if (len < 20 || data.length < len) throw condition(SenseKey.ILLEGAL_REQUEST, Asc.PARAMETER_LIST_LENGTH_ERROR);
  const v = new DataView(data.buffer, data.byteOffset, len);
  if (v.getUint16(0) !== TdePage.SET_DATA_ENCRYPTION) throw invalidParameterField(0);
  if (v.getUint16(2) + 4 !== len) throw invalidParameterField(2);
  const scope = data[4]! >> 5;
  const lock = (data[4]! & 0x01) !== 0;
  const ckod = (data[5]! & 0x04) !== 0;
  const enc = data[6]!;
  const dec = data[7]!;
  const algorithm = data[8]!;
  const keyFormat = data[9]!;
  const keyLength = v.getUint16(18);
  if (scope > 2) throw invalidParameterField(4, 5);
  if (enc !== EncryptionMode.DISABLE && enc !== EncryptionMode.ENCRYPT) throw invalidParameterField(6);
  if (dec > DecryptionMode.MIXED) throw invalidParameterField(7);
  if (20 + keyLength > len) throw invalidParameterField(18);
  const needsKey = enc === EncryptionMode.ENCRYPT || dec === DecryptionMode.DECRYPT || dec === DecryptionMode.MIXED;
  if (needsKey) {
    if (algorithm !== ALGORITHM_INDEX) throw invalidParameterField(8);
    if (keyFormat !== 0) throw invalidParameterField(9);
    if (keyLength !== KEY_LENGTH) throw invalidParameterField(18);
    const key = Buffer.from(data.subarray(20, 20 + KEY_LENGTH));
    state.key = key;
    state.keyTag = keyTagOf(key);
  } else {
    if (keyLength !== 0) throw invalidParameterField(18);
    state.key = null;
    state.keyTag = 0;
  }
  state.encryptionMode = enc;
  state.decryptionMode = dec;
  state.scope = scope;
  state.lock = lock;
  state.ckod = ckod;
  state.keyInstanceCounter++;
}
