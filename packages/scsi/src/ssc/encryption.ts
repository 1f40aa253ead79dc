/**
 * SECURITY PROTOCOL IN / OUT with the tape data encryption protocol (0x20): supported pages
 * 0x0000, data encryption capabilities 0x0010, data encryption status 0x0020, next block
 * encryption status 0x0021, and the set data encryption page 0x0010 (OUT).
 *
 * @see SPC-4 6.30 (SECURITY PROTOCOL IN), 6.31 (SECURITY PROTOCOL OUT), 7.7.1 (protocol 0x00
 *      information); SSC-4 8.5 (tape data encryption security protocol: 8.5.2.2 in-support pages,
 *      8.5.2.4 capabilities, 8.5.2.7 status, 8.5.2.8 next block status, 8.5.3.2 set data encryption);
 *      PBS reference §9.3
 */
import { ByteReader, checkRange, putU16, putU32, toHex } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";
import { ScsiArgumentError } from "../errors.ts";

export const SecurityProtocol = {
  INFORMATION: 0x00,
  TAPE_DATA_ENCRYPTION: 0x20,
} as const;

/** Page codes of the tape data encryption protocol. */
export const EncryptionPage = {
  IN_SUPPORT: 0x0000,
  OUT_SUPPORT: 0x0001,
  CAPABILITIES: 0x0010,
  SUPPORTED_KEY_FORMATS: 0x0011,
  STATUS: 0x0020,
  NEXT_BLOCK_STATUS: 0x0021,
  SET_DATA_ENCRYPTION: 0x0010,
} as const;

/** AES-256-GCM algorithm code as reported in capabilities descriptors. */
export const AES_GCM_ALGORITHM = 0x00010014;

/** SECURITY PROTOCOL IN: `A2 PROTOCOL SPS(2) INC512 00 ALLOC(4) 00 00`; PBS: protocol 0x20, alloc 8196. */
export function buildSecurityProtocolInCdb(p: { protocol?: number; page: number; allocationLength?: number; inc512?: boolean }): Uint8Array {
  const cdb = new Uint8Array(12);
  cdb[0] = Opcode.SECURITY_PROTOCOL_IN;
  cdb[1] = checkRange("protocol", p.protocol ?? SecurityProtocol.TAPE_DATA_ENCRYPTION, 0, 0xff);
  putU16(cdb, 2, checkRange("page", p.page, 0, 0xffff));
  cdb[4] = p.inc512 ? 0x80 : 0;
  putU32(cdb, 6, checkRange("allocationLength", p.allocationLength ?? 8196, 0, 0xffffffff));
  return cdb;
}

/** SECURITY PROTOCOL OUT: `B5 PROTOCOL SPS(2) INC512 00 LEN(4) 00 00`. */
export function buildSecurityProtocolOutCdb(p: { protocol?: number; page: number; transferLength: number; inc512?: boolean }): Uint8Array {
  const cdb = new Uint8Array(12);
  cdb[0] = Opcode.SECURITY_PROTOCOL_OUT;
  cdb[1] = checkRange("protocol", p.protocol ?? SecurityProtocol.TAPE_DATA_ENCRYPTION, 0, 0xff);
  putU16(cdb, 2, checkRange("page", p.page, 0, 0xffff));
  cdb[4] = p.inc512 ? 0x80 : 0;
  putU32(cdb, 6, checkRange("transferLength", p.transferLength, 0, 0xffffffff));
  return cdb;
}

/** Protocol 0x00, page 0x0000: the supported security protocols (SPC-4 7.7.1.3). */
export function decodeSupportedSecurityProtocols(bytes: Uint8Array): number[] {
  const r = new ByteReader(bytes, "supported security protocols");
  const len = r.u16(6, "SUPPORTED SECURITY PROTOCOL LIST LENGTH");
  const end = Math.min(r.length, 8 + len);
  return Array.from(r.slice(8, end - 8, "SUPPORTED SECURITY PROTOCOL LIST"));
}

function pageHeader(r: ByteReader, expected: number): number {
  const code = r.u16(0, "PAGE CODE");
  if (code !== expected) r.fail(0, `PAGE CODE is 0x${code.toString(16).padStart(4, "0")}, expected 0x${expected.toString(16).padStart(4, "0")}`);
  const len = r.u16(2, "PAGE LENGTH");
  return Math.min(r.length, 4 + len);
}

/** Page 0x0000 (or 0x0001): the list of supported tape data encryption page codes. */
export function decodeEncryptionSupportedPages(bytes: Uint8Array, page: number = EncryptionPage.IN_SUPPORT): number[] {
  const r = new ByteReader(bytes, `tape data encryption ${page === EncryptionPage.OUT_SUPPORT ? "out" : "in"} support page`);
  const end = pageHeader(r, page);
  const out: number[] = [];
  for (let o = 4; o + 2 <= end; o += 2) out.push(r.u16(o, "PAGE CODE"));
  return out;
}

export interface EncryptionAlgorithm {
  index: number;
  /** ENCRYPT_C: 0 none, 1 external, 2 capable (hardware), 3 reserved. */
  encryptCapable: number;
  decryptCapable: number;
  /** AVFMV, SDK_C, MAC_C, DELB_C flags. */
  algorithmValidForMountedVolume: boolean;
  supplementalDecryptionKeyCapable: boolean;
  macCapable: boolean;
  distinguishEncryptedBlocksCapable: boolean;
  maxUnauthenticatedKadLength: number;
  maxAuthenticatedKadLength: number;
  keyLength: number;
  /** DKAD_C, EEMC_C, RDMC_C, EAREM (byte 12). */
  decryptionKadCapable: number;
  externalEncryptionModeControlCapable: number;
  rawDecryptionModeControlCapable: number;
  encryptionAlgorithmRecordsEncryptionMode: boolean;
  maximumSupplementalDecryptionKeyCount: number;
  algorithmCode: number;
}

export interface EncryptionCapabilities {
  /** EXTDECC (byte 4 bits 3-2). */
  externalDataEncryptionControlCapable: number;
  /** CFG_P (byte 4 bits 1-0): 0 unknown, 1 allowed, 2 not allowed. */
  configurationPrevented: number;
  algorithms: EncryptionAlgorithm[];
}

/** Page 0x0010: data encryption capabilities: a 20-byte header then 24-byte algorithm descriptors. */
export function decodeEncryptionCapabilities(bytes: Uint8Array): EncryptionCapabilities {
  const r = new ByteReader(bytes, "data encryption capabilities page (0x0010)");
  const end = pageHeader(r, EncryptionPage.CAPABILITIES);
  if (end < 20) r.fail(end, `capabilities header needs 20 bytes, got ${end}`);
  const b4 = r.u8(4, "EXTDECC/CFG_P");
  const algorithms: EncryptionAlgorithm[] = [];
  let o = 20;
  while (o + 4 <= end) {
    const dlen = r.u16(o + 2, "DESCRIPTOR LENGTH");
    if (dlen < 0x14) r.fail(o + 2, `algorithm descriptor length ${dlen} is shorter than 20`);
    if (o + 4 + dlen > end) r.fail(o, `algorithm descriptor of ${dlen} bytes runs past the page length`);
    const f4 = r.u8(o + 4, "AVFMV/SDK_C/MAC_C/DELB_C/DECRYPT_C/ENCRYPT_C");
    const f12 = r.u8(o + 12, "DKAD_C/EEMC_C/RDMC_C/EAREM");
    algorithms.push({
      index: r.u8(o, "ALGORITHM INDEX"),
      algorithmValidForMountedVolume: (f4 & 0x80) !== 0,
      supplementalDecryptionKeyCapable: (f4 & 0x40) !== 0,
      macCapable: (f4 & 0x20) !== 0,
      distinguishEncryptedBlocksCapable: (f4 & 0x10) !== 0,
      decryptCapable: (f4 >> 2) & 0x03,
      encryptCapable: f4 & 0x03,
      maxUnauthenticatedKadLength: r.u16(o + 6, "MAXIMUM UKAD LENGTH"),
      maxAuthenticatedKadLength: r.u16(o + 8, "MAXIMUM AKAD LENGTH"),
      keyLength: r.u16(o + 10, "KEY LENGTH"),
      decryptionKadCapable: (f12 >> 6) & 0x03,
      externalEncryptionModeControlCapable: (f12 >> 4) & 0x03,
      rawDecryptionModeControlCapable: (f12 >> 1) & 0x07,
      encryptionAlgorithmRecordsEncryptionMode: (f12 & 0x01) !== 0,
      maximumSupplementalDecryptionKeyCount: r.u16(o + 14, "MSDK COUNT"),
      algorithmCode: r.u32(o + 20, "SECURITY ALGORITHM CODE"),
    });
    o += 4 + dlen;
  }
  return { externalDataEncryptionControlCapable: (b4 >> 2) & 0x03, configurationPrevented: b4 & 0x03, algorithms };
}

/** The algorithm PBS uses: encrypt and decrypt capable (2), AES-GCM, 32-byte key. */
export function findAesGcmAlgorithm(c: EncryptionCapabilities): EncryptionAlgorithm | undefined {
  return c.algorithms.find((a) => a.encryptCapable === 2 && a.decryptCapable === 2 && a.algorithmCode === AES_GCM_ALGORITHM && a.keyLength === 32);
}

/** ENCRYPTION MODE values (SSC-4 table 8.5.3.2). */
export const EncryptionMode = { DISABLE: 0, EXTERNAL: 1, ENCRYPT: 2 } as const;
/** DECRYPTION MODE values. */
export const DecryptionMode = { DISABLE: 0, RAW: 1, DECRYPT: 2, MIXED: 3 } as const;

export type EncryptionState = "off" | "raw-read" | "on" | "mixed" | "other";

/** The PBS reading of an (encryption mode, decryption mode) pair (§9.3). */
export function encryptionState(encryptionMode: number, decryptionMode: number): EncryptionState {
  if (encryptionMode === 0 && decryptionMode === 0) return "off";
  if (encryptionMode === 2 && decryptionMode === 1) return "raw-read";
  if (encryptionMode === 2 && decryptionMode === 2) return "on";
  if (encryptionMode === 2 && decryptionMode === 3) return "mixed";
  return "other";
}

export interface KeyAssociatedData {
  type: number;
  authenticated: boolean;
  hex: string;
}

function decodeKads(r: ByteReader, off: number, end: number): KeyAssociatedData[] {
  const out: KeyAssociatedData[] = [];
  while (off + 4 <= end) {
    const len = r.u16(off + 2, "KAD DESCRIPTOR LENGTH");
    if (off + 4 + len > end) r.fail(off, `key-associated data descriptor of ${len} bytes runs past the page length`);
    out.push({ type: r.u8(off, "KAD TYPE"), authenticated: (r.u8(off + 1, "AUTHENTICATED") & 0x07) !== 0, hex: toHex(r.slice(off + 4, len, "KAD")) });
    off += 4 + len;
  }
  return out;
}

export interface EncryptionStatus {
  /** I_T NEXUS SCOPE (byte 4 bits 7-5). */
  nexusScope: number;
  keyScope: number;
  encryptionMode: number;
  decryptionMode: number;
  state: EncryptionState;
  algorithmIndex: number;
  keyInstanceCounter: number;
  parametersControl: number;
  keyAssociatedData: KeyAssociatedData[];
}

/** Page 0x0020: data encryption status. */
export function decodeEncryptionStatus(bytes: Uint8Array): EncryptionStatus {
  const r = new ByteReader(bytes, "data encryption status page (0x0020)");
  const end = pageHeader(r, EncryptionPage.STATUS);
  if (end < 24) r.fail(end, `status page needs 24 bytes, got ${end}`);
  const b4 = r.u8(4, "SCOPE");
  const enc = r.u8(5, "ENCRYPTION MODE");
  const dec = r.u8(6, "DECRYPTION MODE");
  return {
    nexusScope: (b4 >> 5) & 0x07,
    keyScope: b4 & 0x07,
    encryptionMode: enc,
    decryptionMode: dec,
    state: encryptionState(enc, dec),
    algorithmIndex: r.u8(7, "ALGORITHM INDEX"),
    keyInstanceCounter: r.u32(8, "KEY INSTANCE COUNTER"),
    parametersControl: (r.u8(12, "PARAMETERS CONTROL") >> 4) & 0x07,
    keyAssociatedData: decodeKads(r, 24, end),
  };
}

export interface NextBlockEncryptionStatus {
  blockNumber: number;
  /** COMPRESSION STATUS (byte 12 bits 7-4). */
  compressionStatus: number;
  /** ENCRYPTION STATUS (byte 12 bits 3-0): 0 unable, 1 no block, 2 not a logical block, 3 not encrypted, 4 encrypted by an unsupported algorithm, 5 encrypted supported, 6 encrypted, key not available. */
  encryptionStatus: number;
  algorithmIndex: number;
  keyAssociatedData: KeyAssociatedData[];
}

/** Page 0x0021: next block encryption status. */
export function decodeNextBlockEncryptionStatus(bytes: Uint8Array): NextBlockEncryptionStatus {
  const r = new ByteReader(bytes, "next block encryption status page (0x0021)");
  const end = pageHeader(r, EncryptionPage.NEXT_BLOCK_STATUS);
  if (end < 16) r.fail(end, `next block status page needs 16 bytes, got ${end}`);
  const b12 = r.u8(12, "COMPRESSION/ENCRYPTION STATUS");
  return {
    blockNumber: r.u64(4, "LOGICAL OBJECT NUMBER"),
    compressionStatus: b12 >> 4,
    encryptionStatus: b12 & 0x0f,
    algorithmIndex: r.u8(13, "ALGORITHM INDEX"),
    keyAssociatedData: decodeKads(r, 16, end),
  };
}

export interface SetDataEncryption {
  /** SCOPE: 0 public, 1 local, 2 all I_T nexus (PBS). */
  scope?: number;
  lock?: boolean;
  /** CEEM, RDMC (2 bits each); SDK, CKOD, CKORP, CKORL flags. */
  checkExternalEncryptionMode?: number;
  rawDecryptionModeControl?: number;
  supplementalDecryptionKey?: boolean;
  clearKeyOnDemount?: boolean;
  clearKeyOnReservationPreempt?: boolean;
  clearKeyOnReservationLoss?: boolean;
  encryptionMode: number;
  decryptionMode: number;
  algorithmIndex: number;
  /** KEY FORMAT: 0 plain key. */
  keyFormat?: number;
  /** The key, or empty/undefined to clear. */
  key?: Uint8Array;
}

/**
 * Encodes the set data encryption page 0x0010 (SECURITY PROTOCOL OUT): 20-byte header plus key.
 * PBS sets scope 2 (all I_T nexus; byte 4 = 0x40), encryption mode 2, decryption mode 3 (mixed),
 * key format 0 and a 32-byte key — or modes 0/0 and no key to clear.
 */
export function encodeSetDataEncryption(p: SetDataEncryption): Uint8Array {
  const key = p.key ?? new Uint8Array(0);
  if (key.length > 0xffff) throw new ScsiArgumentError("key", `${key.length} bytes is too long`);
  const out = new Uint8Array(20 + key.length);
  putU16(out, 0, EncryptionPage.SET_DATA_ENCRYPTION);
  putU16(out, 2, out.length - 4);
  out[4] = (checkRange("scope", p.scope ?? 2, 0, 7) << 5) | (p.lock ? 0x01 : 0);
  out[5] =
    (checkRange("checkExternalEncryptionMode", p.checkExternalEncryptionMode ?? 0, 0, 3) << 6) |
    (checkRange("rawDecryptionModeControl", p.rawDecryptionModeControl ?? 0, 0, 3) << 4) |
    (p.supplementalDecryptionKey ? 0x08 : 0) |
    (p.clearKeyOnDemount ? 0x04 : 0) |
    (p.clearKeyOnReservationPreempt ? 0x02 : 0) |
    (p.clearKeyOnReservationLoss ? 0x01 : 0);
  out[6] = checkRange("encryptionMode", p.encryptionMode, 0, 0xff);
  out[7] = checkRange("decryptionMode", p.decryptionMode, 0, 0xff);
  out[8] = checkRange("algorithmIndex", p.algorithmIndex, 0, 0xff);
  out[9] = checkRange("keyFormat", p.keyFormat ?? 0, 0, 0xff);
  putU16(out, 18, key.length);
  out.set(key, 20);
  return out;
}

/** Decodes a set data encryption page (the device side; tests and the virtual library). */
export function decodeSetDataEncryption(bytes: Uint8Array): Required<Omit<SetDataEncryption, "key">> & { key: Uint8Array } {
  const r = new ByteReader(bytes, "set data encryption page (0x0010)");
  const end = pageHeader(r, EncryptionPage.SET_DATA_ENCRYPTION);
  if (end < 20) r.fail(end, `set data encryption page needs 20 bytes, got ${end}`);
  const keyLen = r.u16(18, "KEY LENGTH");
  if (20 + keyLen > end) r.fail(18, `KEY LENGTH ${keyLen} runs past the page length`);
  const b4 = r.u8(4, "SCOPE/LOCK");
  const b5 = r.u8(5, "CEEM/RDMC/SDK/CKOD/CKORP/CKORL");
  return {
    scope: b4 >> 5,
    lock: (b4 & 0x01) !== 0,
    checkExternalEncryptionMode: b5 >> 6,
    rawDecryptionModeControl: (b5 >> 4) & 0x03,
    supplementalDecryptionKey: (b5 & 0x08) !== 0,
    clearKeyOnDemount: (b5 & 0x04) !== 0,
    clearKeyOnReservationPreempt: (b5 & 0x02) !== 0,
    clearKeyOnReservationLoss: (b5 & 0x01) !== 0,
    encryptionMode: r.u8(6, "ENCRYPTION MODE"),
    decryptionMode: r.u8(7, "DECRYPTION MODE"),
    algorithmIndex: r.u8(8, "ALGORITHM INDEX"),
    keyFormat: r.u8(9, "KEY FORMAT"),
    key: r.slice(20, keyLen, "KEY").slice(),
  };
}
