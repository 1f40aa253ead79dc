import { describe, expect, it } from "vitest";
import { ScsiDecodeError } from "../errors.ts";
import { bb, hex } from "../testing/byte-builder.ts";
import {
  AES_GCM_ALGORITHM,
  buildSecurityProtocolInCdb,
  buildSecurityProtocolOutCdb,
  decodeEncryptionCapabilities,
  decodeEncryptionStatus,
  decodeEncryptionSupportedPages,
  decodeNextBlockEncryptionStatus,
  decodeSetDataEncryption,
  decodeSupportedSecurityProtocols,
  encodeSetDataEncryption,
  encryptionState,
  findAesGcmAlgorithm,
} from "./encryption.ts";

/** One 24-byte algorithm descriptor as an LTO drive reports it. */
const algorithm = (index: number, f4: number, keyLength: number, code: number) =>
  bb().u8(index, 0).u16(0x14).u8(f4, 0x00).u16(32).u16(12).u16(keyLength).u8(0x00, 0).u16(0).zeros(4).u32(code).build();

function capabilities(): Uint8Array {
  const algs = bb().bytes(algorithm(1, 0x0a, 32, AES_GCM_ALGORITHM)).bytes(algorithm(2, 0x05, 16, 0x00010010)).build();
  return bb().u16(0x0010).u16(16 + algs.length).u8(0x09).zeros(15).bytes(algs).build();
}

describe("SECURITY PROTOCOL CDBs", () => {
  it("builds the PBS CDBs", () => {
    expect(hex(buildSecurityProtocolInCdb({ page: 0x0010 }))).toBe("a2 20 00 10 00 00 00 00 20 04 00 00");
    expect(hex(buildSecurityProtocolInCdb({ page: 0x0020 }))).toBe("a2 20 00 20 00 00 00 00 20 04 00 00");
    expect(hex(buildSecurityProtocolOutCdb({ page: 0x0010, transferLength: 52 }))).toBe("b5 20 00 10 00 00 00 00 00 34 00 00");
    expect(hex(buildSecurityProtocolInCdb({ protocol: 0, page: 0, allocationLength: 256, inc512: true }))).toBe("a2 00 00 00 80 00 00 00 01 00 00 00");
  });
});

describe("SECURITY PROTOCOL IN pages", () => {
  it("decodes supported protocols and supported pages", () => {
    expect(decodeSupportedSecurityProtocols(bb().zeros(6).u16(2).u8(0x00, 0x20).build())).toEqual([0x00, 0x20]);
    expect(decodeEncryptionSupportedPages(bb().u16(0).u16(8).u16(0).u16(0x10).u16(0x20).u16(0x21).build())).toEqual([0, 0x10, 0x20, 0x21]);
    expect(() => decodeEncryptionSupportedPages(bb().u16(0x10).u16(0).build())).toThrow(/expected 0x0000/);
  });

  it("decodes capabilities and picks AES-GCM as PBS does", () => {
    const c = decodeEncryptionCapabilities(capabilities());
    expect(c.externalDataEncryptionControlCapable).toBe(2);
    expect(c.configurationPrevented).toBe(1);
    expect(c.algorithms).toHaveLength(2);
    expect(c.algorithms[0]).toMatchObject({ index: 1, encryptCapable: 2, decryptCapable: 2, keyLength: 32, algorithmCode: AES_GCM_ALGORITHM, maxUnauthenticatedKadLength: 32, maxAuthenticatedKadLength: 12 });
    expect(findAesGcmAlgorithm(c)?.index).toBe(1);
    expect(findAesGcmAlgorithm({ ...c, algorithms: c.algorithms.slice(1) })).toBeUndefined();
  });

  it("rejects bad capability descriptors", () => {
    const bad = bb().bytes(capabilities()).patch(22, 2, 0x10).build();
    expect(() => decodeEncryptionCapabilities(bad)).toThrow(/shorter than 20/);
    const cut = capabilities().subarray(0, 30);
    expect(() => decodeEncryptionCapabilities(bb().bytes(cut).patch(2, 2, 26).build())).toThrow(ScsiDecodeError);
  });

  it("decodes data encryption status with key-associated data", () => {
    const kad = bb().u8(0x00, 0x01).u16(4).ascii("abcd", 4).build();
    const page = bb().u16(0x0020).u16(20 + kad.length).u8(0x40, 2, 3, 1).u32(7).u8(0x10).zeros(11).bytes(kad).build();
    expect(decodeEncryptionStatus(page)).toEqual({
      nexusScope: 2,
      keyScope: 0,
      encryptionMode: 2,
      decryptionMode: 3,
      state: "mixed",
      algorithmIndex: 1,
      keyInstanceCounter: 7,
      parametersControl: 1,
      keyAssociatedData: [{ type: 0, authenticated: true, hex: "61626364" }],
    });
    expect(() => decodeEncryptionStatus(page.subarray(0, 20))).toThrow(/24 bytes/);
  });

  it("maps mode pairs to PBS states", () => {
    expect(encryptionState(0, 0)).toBe("off");
    expect(encryptionState(2, 1)).toBe("raw-read");
    expect(encryptionState(2, 2)).toBe("on");
    expect(encryptionState(2, 3)).toBe("mixed");
    expect(encryptionState(1, 0)).toBe("other");
  });

  it("decodes next block encryption status", () => {
    const page = bb().u16(0x0021).u16(12).u64(4711).u8(0x05, 1, 0, 0).build();
    expect(decodeNextBlockEncryptionStatus(page)).toEqual({ blockNumber: 4711, compressionStatus: 0, encryptionStatus: 5, algorithmIndex: 1, keyAssociatedData: [] });
  });
});

describe("set data encryption page (SECURITY PROTOCOL OUT 0x0010)", () => {
  it("encodes the PBS key page (scope 0x40, encrypt, mixed decrypt, plain 32-byte key)", () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const page = encodeSetDataEncryption({ scope: 2, encryptionMode: 2, decryptionMode: 3, algorithmIndex: 1, keyFormat: 0, key });
    expect(page.length).toBe(52);
    expect(hex(page.subarray(0, 20))).toBe("00 10 00 30 40 00 02 03 01 00 00 00 00 00 00 00 00 00 00 20");
    const back = decodeSetDataEncryption(page);
    expect(back).toMatchObject({ scope: 2, lock: false, encryptionMode: 2, decryptionMode: 3, algorithmIndex: 1, keyFormat: 0 });
    expect(Array.from(back.key)).toEqual(Array.from(key));
  });

  it("encodes the clear-key page", () => {
    expect(hex(encodeSetDataEncryption({ encryptionMode: 0, decryptionMode: 0, algorithmIndex: 1 }))).toBe("00 10 00 10 40 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00");
  });

  it("rejects a key length running past the page", () => {
    const page = bb().bytes(encodeSetDataEncryption({ encryptionMode: 0, decryptionMode: 0, algorithmIndex: 1 })).patch(18, 2, 32).build();
    expect(() => decodeSetDataEncryption(page)).toThrow(/KEY LENGTH/);
  });
});
