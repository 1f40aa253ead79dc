import { describe, expect, it } from "vitest";
import { Opcode } from "../constants/opcodes.ts";
import { MamAttribute } from "../constants/mam.ts";
import {
  DataProtectError,
  IllegalRequestError,
  NotReadyError,
  ScsiDecodeError,
  ScsiSenseError,
  TransportError,
  UnitAttentionError,
  VolumeOverflowError,
} from "../errors.ts";
import { encodeAttributeValues } from "../spc/attribute.ts";
import { encodeLogPage, encodeTapeAlertBits } from "../spc/log.ts";
import { encodeDataCompressionPage, encodeElementAddressAssignmentPage, encodeModeParameters10, encodeModeParameters6 } from "../spc/mode.ts";
import { encodeReadElementStatus } from "../smc/element-status.ts";
import { encodeReadPositionLong } from "../ssc/position.ts";
import { bb, fixedSense, hex } from "../testing/byte-builder.ts";
import type { ScsiCommand, ScsiResult, ScsiTransport } from "../transport.ts";
import { ScsiDevice, Timeouts } from "./scsi-device.ts";

type Reply = Partial<ScsiResult> | Error;

/** A transport that answers each command from a handler and records what it was sent. */
class ScriptedTransport implements ScsiTransport {
  readonly description = "scripted";
  readonly sent: ScsiCommand[] = [];
  constructor(private readonly handler: (cmd: ScsiCommand, n: number) => Reply) {}
  async execute(cmd: ScsiCommand): Promise<ScsiResult> {
    this.sent.push(cmd);
    const r = this.handler(cmd, this.sent.length - 1);
    if (r instanceof Error) throw r;
    const data = r.data ?? new Uint8Array(0);
    return { status: 0, sense: new Uint8Array(0), data, residual: (cmd.dataInLength ?? 0) - data.length, hostStatus: 0, driverStatus: 0, ...r };
  }
  async close(): Promise<void> {}
}

const check = (sense: Uint8Array, data?: Uint8Array): Partial<ScsiResult> => ({ status: 2, sense, driverStatus: 0x08, ...(data ? { data } : {}) });

function device(handler: (cmd: ScsiCommand, n: number) => Reply) {
  const t = new ScriptedTransport(handler);
  return { t, dev: new ScsiDevice(t) };
}

describe("ScsiDevice basics", () => {
  it("INQUIRY with the short timeout and 36-byte allocation", async () => {
    const { t, dev } = device(() => ({ data: bb().u8(1, 0x80, 6, 2, 31, 0, 0, 0).ascii("IBM", 8).ascii("ULT3580-TD9", 16).ascii("Q3C0", 4).build() }));
    expect((await dev.inquiry()).product).toBe("ULT3580-TD9");
    expect(t.sent[0]).toMatchObject({ direction: "in", dataInLength: 36, timeoutMs: Timeouts.SHORT });
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("12 00 00 00 24 00");
  });

  it("VPD serial", async () => {
    const { dev } = device(() => ({ data: bb().u8(1, 0x80, 0, 10).ascii("1097000123", 10).build() }));
    expect(await dev.vpdSerial()).toBe("1097000123");
  });

  it("TEST UNIT READY maps NOT READY and UNIT ATTENTION to typed errors", async () => {
    const { dev } = device((_, n) => (n === 0 ? check(fixedSense({ key: 2, asc: 0x3a, ascq: 0 })) : n === 1 ? check(fixedSense({ key: 6, asc: 0x28, ascq: 0 })) : {}));
    const e = await dev.testUnitReady().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotReadyError);
    expect((e as NotReadyError).reason).toBe("noMedium");
    expect((e as Error).message).toMatch(/^TEST UNIT READY: NOT READY/);
    await expect(dev.testUnitReady()).rejects.toBeInstanceOf(UnitAttentionError);
    await expect(dev.testUnitReady()).resolves.toBeUndefined();
  });

  it("reports host, driver and status failures as TransportError", async () => {
    const replies: Reply[] = [{ hostStatus: 0x01 }, { driverStatus: 0x06 }, { status: 0x08 }, { status: 2 }, new Error("socket closed")];
    const { dev } = device((_, n) => replies[n] ?? {});
    for (let i = 0; i < replies.length; i++) {
      const e = await dev.testUnitReady().catch((x: unknown) => x);
      expect(e, `reply ${i}`).toBeInstanceOf(TransportError);
    }
  });

  it("ignores RECOVERED ERROR", async () => {
    const { dev } = device(() => check(fixedSense({ key: 1, asc: 0x17, ascq: 1 })));
    await expect(dev.testUnitReady()).resolves.toBeUndefined();
  });

  it("REQUEST SENSE and READ POSITION", async () => {
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.REQUEST_SENSE ? { data: fixedSense({ key: 6, asc: 0x29, ascq: 0 }) } : { data: encodeReadPositionLong({ blockNumber: 12, fileNumber: 3 }) }));
    expect((await dev.requestSense()).description).toBe("Power on, reset, or bus device reset occurred");
    expect(await dev.readPosition()).toMatchObject({ blockNumber: 12, fileNumber: 3 });
    expect(t.sent.map((c) => c.timeoutMs)).toEqual([Timeouts.SHORT, Timeouts.SHORT]);
  });
});

describe("ScsiDevice tape I/O", () => {
  it("readBlock returns data, filemark and end-of-data", async () => {
    const block = new Uint8Array(1000).fill(7);
    const replies: Reply[] = [
      { data: block },
      check(fixedSense({ key: 0, asc: 0, ascq: 1, filemark: true, information: 262144 })),
      check(fixedSense({ key: 8, asc: 0, ascq: 5, information: 262144 })),
    ];
    const { t, dev } = device((_, n) => replies[n] ?? {});
    const r = await dev.readBlock(262144);
    expect(r.kind === "data" && r.data.length).toBe(1000);
    expect(await dev.readBlock(262144)).toEqual({ kind: "filemark" });
    expect(await dev.readBlock(262144)).toEqual({ kind: "end-of-data" });
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("08 02 04 00 00 00");
    expect(t.sent[0]?.timeoutMs).toBe(Timeouts.TAPE_DEFAULT);
  });

  it("readBlock trims an underlength block reported with ILI and fails on overlength", async () => {
    const replies: Reply[] = [check(fixedSense({ key: 0, ili: true, information: 24 }), new Uint8Array(100)), check(fixedSense({ key: 0, ili: true, information: -50 }), new Uint8Array(100))];
    const { dev } = device((_, n) => replies[n] ?? {});
    const r = await dev.readBlock(100);
    expect(r.kind === "data" && r.data.length).toBe(76);
    const e = await dev.readBlock(100).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScsiSenseError);
    expect((e as Error).message).toMatch(/50 bytes longer/);
  });

  it("readBlock raises medium errors", async () => {
    const { dev } = device(() => check(fixedSense({ key: 3, asc: 0x11, ascq: 0 })));
    await expect(dev.readBlock(10)).rejects.toMatchObject({ code: "MEDIUM_ERROR", asc: 0x11 });
  });

  it("writeBlock reports early warning as a result and VOLUME OVERFLOW as an error", async () => {
    const replies: Reply[] = [{}, check(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true })), check(fixedSense({ key: 0xd, asc: 0, ascq: 2, eom: true })), check(fixedSense({ key: 7, asc: 0x27, ascq: 0 }))];
    const { t, dev } = device((_, n) => replies[n] ?? {});
    const data = new Uint8Array(262144);
    expect(await dev.writeBlock(data)).toEqual({ earlyWarning: false });
    expect(await dev.writeBlock(data)).toEqual({ earlyWarning: true });
    await expect(dev.writeBlock(data)).rejects.toBeInstanceOf(VolumeOverflowError);
    const wp = await dev.writeBlock(data).catch((x: unknown) => x);
    expect(wp).toBeInstanceOf(DataProtectError);
    expect((wp as DataProtectError).writeProtected).toBe(true);
    expect(t.sent[0]).toMatchObject({ direction: "out", dataOut: data });
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("0a 00 04 00 00 00");
  });

  it("writeFilemarks, rewind, load, unload, erase, format, locate", async () => {
    const { t, dev } = device((_, n) => (n === 0 ? check(fixedSense({ key: 0, asc: 0, ascq: 2, eom: true })) : {}));
    expect(await dev.writeFilemarks(1, true)).toEqual({ earlyWarning: true });
    await dev.rewind();
    await dev.load();
    await dev.unload();
    await dev.erase(false);
    await dev.formatMedium(true);
    await dev.locateFile(9);
    await dev.locateBlock(100);
    await dev.preventMediumRemoval(true);
    expect(t.sent.map((c) => hex(c.cdb))).toEqual([
      "10 01 00 00 01 00",
      "01 00 00 00 00 00",
      "1b 00 00 00 01 00",
      "1b 00 00 00 00 00",
      "19 00 00 00 00 00",
      "04 01 00 00 00 00",
      "92 08 00 00 00 00 00 00 00 00 00 09 00 00 00 00",
      "92 00 00 00 00 00 00 00 00 00 00 64 00 00 00 00",
      "1e 00 00 00 01 00",
    ]);
    expect(new Set(t.sent.map((c) => c.timeoutMs))).toEqual(new Set([Timeouts.TAPE_DEFAULT]));
  });

  it("space returns done, filemark (with residual) and end-of-data", async () => {
    const replies: Reply[] = [{}, check(fixedSense({ key: 0, asc: 0, ascq: 1, filemark: true, information: 1 })), check(fixedSense({ key: 8, asc: 0, ascq: 5 }))];
    const { t, dev } = device((_, n) => replies[n] ?? {});
    expect(await dev.space("filemarks", 1)).toEqual({ kind: "done" });
    expect(await dev.space("blocks", -1)).toEqual({ kind: "filemark", residual: 1 });
    expect(await dev.space("end-of-data", 0)).toEqual({ kind: "end-of-data" });
    expect(hex(t.sent[1]?.cdb ?? new Uint8Array())).toBe("11 00 ff ff ff 00");
  });

  it("honours timeout overrides", async () => {
    const t = new ScriptedTransport(() => ({}));
    await new ScsiDevice(t, { timeouts: { TAPE_DEFAULT: 5 } }).rewind();
    expect(t.sent[0]?.timeoutMs).toBe(5);
  });
});

describe("ScsiDevice mode, log, attributes, encryption", () => {
  const compression = encodeDataCompressionPage({ dataCompressionEnabled: true, dataCompressionCapable: true, dataDecompressionEnabled: true, reportExceptionOnDecompression: 0, compressionAlgorithm: 1, decompressionAlgorithm: 1 });

  it("modeSense uses (10) and falls back to (6) on invalid command operation code", async () => {
    const m6 = encodeModeParameters6({ bufferMode: 1, blockDescriptors: [{ densityCode: 0x58, blockCount: 0, blockLength: 0 }], pages: [compression] }, { forSelect: false });
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.MODE_SENSE_10 ? check(fixedSense({ key: 5, asc: 0x20, ascq: 0 })) : { data: m6 }));
    const m = await dev.modeSense(0x0f);
    expect(m.format).toBe("6");
    expect(m.blockDescriptors[0]?.densityCode).toBe(0x58);
    expect(t.sent.map((c) => hex(c.cdb))).toEqual(["5a 00 0f 00 00 00 00 10 00 00", "1a 00 0f 00 ff 00"]);
    expect(t.sent[0]?.timeoutMs).toBe(Timeouts.QUERY);
  });

  it("modeSense does not fall back on other errors", async () => {
    const { t, dev } = device(() => check(fixedSense({ key: 5, asc: 0x24, ascq: 0 })));
    await expect(dev.modeSense(0x0f)).rejects.toBeInstanceOf(IllegalRequestError);
    expect(t.sent).toHaveLength(1);
  });

  it("modeSelect sends the (10) parameter list with mode data length 0", async () => {
    const { t, dev } = device(() => ({}));
    await dev.modeSelect({ bufferMode: 1, blockDescriptors: [{ densityCode: 0, blockCount: 0, blockLength: 0 }], pages: [compression] });
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("55 10 00 00 00 00 00 00 20 00");
    expect(t.sent[0]?.dataOut?.length).toBe(32);
    expect(Array.from(t.sent[0]?.dataOut?.subarray(0, 4) ?? [])).toEqual([0, 0, 0, 0x10]);
  });

  it("modeSelect falls back to (6)", async () => {
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.MODE_SELECT_10 ? check(fixedSense({ key: 5, asc: 0x20, ascq: 0 })) : {}));
    await dev.modeSelect({ bufferMode: 1 });
    expect(hex(t.sent[1]?.cdb ?? new Uint8Array())).toBe("15 10 00 00 04 00");
  });

  it("log pages with their timeouts", async () => {
    const { t, dev } = device((cmd) => {
      const page = (cmd.cdb[2] ?? 0) & 0x3f;
      if (page === 0x12) return { data: bb().u8(0x12, 0).u16(12).u16(0).u8(3, 8).bytes(encodeTapeAlertBits([0x1f])).build() };
      if (page === 0x17) return { data: encodeLogPage(0x17, [{ code: 0, value: Uint8Array.of(1) }, { code: 1, value: Uint8Array.of(3) }]) };
      if (page === 0x11) return { data: encodeLogPage(0x11, [{ code: 0, value: Uint8Array.of(1, 0, 7, 0) }]) };
      return { data: encodeLogPage(page, [{ code: 1, value: Uint8Array.of(5) }]) };
    });
    expect(await dev.tapeAlertFlags()).toEqual([{ number: 0x1f, name: "HARDWARE_B" }]);
    expect((await dev.volumeStatistics()).volumeMounts).toBe(3);
    expect((await dev.deviceStatus()).activity).toBe("locating");
    expect((await dev.logSense(0x0c)).parameters[0]?.code).toBe(1);
    expect((await dev.logSense(0x11)).pageCode).toBe(0x11);
    expect(t.sent.map((c) => c.timeoutMs)).toEqual([Timeouts.QUERY, Timeouts.QUERY, Timeouts.DEVICE_STATUS, Timeouts.QUERY, Timeouts.DEVICE_STATUS]);
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("4d 00 52 00 00 00 00 02 00 00");
  });

  it("reads and writes attributes", async () => {
    const mam = encodeAttributeValues([{ id: MamAttribute.BARCODE, format: 1, value: bb().ascii("XYZ001L9", 32).build() }]);
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.READ_ATTRIBUTE ? { data: (cmd.cdb[1] ?? 0) === 1 ? bb().u32(2).u16(0x0806).build() : mam } : {}));
    expect((await dev.readAttributes())[0]?.value).toBe("XYZ001L9");
    expect(await dev.readAttributeList()).toEqual([0x0806]);
    await dev.writeAttributes([{ id: MamAttribute.APPLICATION_VENDOR, value: "Proxmox" }]);
    expect(hex(t.sent[2]?.cdb ?? new Uint8Array())).toBe("8d 01 00 00 00 00 00 00 00 00 00 00 00 11 00 00");
    expect(t.sent[2]?.dataOut?.length).toBe(0x11);
  });

  it("sets and clears the encryption key through SECURITY PROTOCOL OUT", async () => {
    const status = bb().u16(0x20).u16(20).u8(0x40, 2, 3, 1).u32(1).zeros(12).build();
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.SECURITY_PROTOCOL_IN ? { data: status } : {}));
    await dev.setEncryptionKey(new Uint8Array(32).fill(9), 1);
    await dev.setEncryptionKey(null, 1);
    expect((await dev.encryptionStatus()).state).toBe("mixed");
    expect(hex(t.sent[0]?.cdb ?? new Uint8Array())).toBe("b5 20 00 10 00 00 00 00 00 34 00 00");
    expect(t.sent[0]?.dataOut?.[7]).toBe(3);
    expect(t.sent[1]?.dataOut?.length).toBe(20);
  });

  it("wraps undecodable sense as a decode error naming the command", async () => {
    const { dev } = device(() => check(Uint8Array.of(0x7f, 0, 0)));
    const e = await dev.rewind().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScsiDecodeError);
    expect((e as Error).message).toMatch(/^REWIND: sense data/);
  });
});

describe("ScsiDevice changer", () => {
  it("reads the full status as PBS does: storage, I/E, drives, drives with DVCID, transport", async () => {
    const storage = encodeReadElementStatus([{ kind: "storage", volumeTags: true, elements: [{ address: 0x400, full: true, volumeTag: "T00001L8" }, { address: 0x401, full: false }] }]);
    const ie = encodeReadElementStatus([{ kind: "import-export", volumeTags: true, elements: [{ address: 0x300, full: false }] }]);
    const dt = encodeReadElementStatus([{ kind: "data-transfer", volumeTags: true, elements: [{ address: 0x100, full: true, volumeTag: "T00002L8", sourceAddress: 0x401 }] }]);
    const dtIds = encodeReadElementStatus([{ kind: "data-transfer", volumeTags: false, deviceIds: true, elements: [{ address: 0x100, full: true, deviceId: { identifierType: 1, vendor: "IBM", product: "ULT3580-TD8", serial: "1013000042" } }] }]);
    const transport = encodeReadElementStatus([{ kind: "transport", volumeTags: false, elements: [{ address: 0, full: false }] }]);
    const { t, dev } = device((cmd) => {
      const type = (cmd.cdb[1] ?? 0) & 0x0f;
      if (type === 2) return { data: storage };
      if (type === 3) return { data: ie };
      if (type === 4) return { data: (cmd.cdb[6] ?? 0) & 1 ? dtIds : dt };
      return { data: transport };
    });
    const s = await dev.readElementStatus();
    expect(s.slots.map((x) => [x.slot, x.full, x.volumeTag ?? null, x.importExport])).toEqual([[1, true, "T00001L8", false], [2, false, null, false], [3, false, null, true]]);
    expect(s.drives).toEqual([expect.objectContaining({ index: 0, full: true, volumeTag: "T00002L8", loadedSlot: 2, serial: "1013000042" })]);
    expect(s.transports).toEqual([{ address: 0, full: false }]);
    expect(t.sent.map((c) => hex(c.cdb.subarray(0, 2)) + " " + hex(c.cdb.subarray(6, 7)))).toEqual(["b8 12 00", "b8 13 00", "b8 14 00", "b8 04 01", "b8 11 00"]);
    expect(new Set(t.sent.map((c) => c.timeoutMs))).toEqual(new Set([Timeouts.CHANGER]));
  });

  it("ignores a failing DVCID query and repeats full batches from the last address + 1", async () => {
    const batch = (start: number, n: number) => encodeReadElementStatus([{ kind: "storage", volumeTags: true, elements: Array.from({ length: n }, (_, i) => ({ address: start + i, full: false })) }]);
    const empty = encodeReadElementStatus([]);
    const { t, dev } = device((cmd) => {
      const type = (cmd.cdb[1] ?? 0) & 0x0f;
      const start = ((cmd.cdb[2] ?? 0) << 8) | (cmd.cdb[3] ?? 0);
      if (type === 2) return { data: start === 0 ? batch(0x1000, 1000) : batch(start, 5) };
      if (type === 4 && ((cmd.cdb[6] ?? 0) & 1) === 1) return check(fixedSense({ key: 5, asc: 0x24, ascq: 0 }));
      return { data: empty };
    });
    const s = await dev.readElementStatus();
    expect(s.slots).toHaveLength(1005);
    expect(s.slots[1004]).toMatchObject({ slot: 1005, address: 0x1000 + 1000 + 4 });
    const starts = t.sent.filter((c) => ((c.cdb[1] ?? 0) & 0x0f) === 2).map((c) => ((c.cdb[2] ?? 0) << 8) | (c.cdb[3] ?? 0));
    expect(starts).toEqual([0, 0x1000 + 1000]);
  });

  it("continues after the last complete element when a report is cut by the allocation length", async () => {
    const drives = Array.from({ length: 900 }, (_, i) => ({ address: 0x2000 + i, full: false, volumeTag: "", deviceId: { identifierType: 0 as const, serial: `SER${i}` } }));
    const { t, dev } = device((cmd) => {
      const start = ((cmd.cdb[2] ?? 0) << 8) | (cmd.cdb[3] ?? 0);
      const alloc = ((cmd.cdb[7] ?? 0) << 16) | ((cmd.cdb[8] ?? 0) << 8) | (cmd.cdb[9] ?? 0);
      const full = encodeReadElementStatus([{ kind: "data-transfer", volumeTags: true, deviceIds: true, elements: drives.filter((d) => d.address >= start).slice(0, 1000) }]);
      return { data: full.subarray(0, alloc) };
    });
    const elements = await dev.readElements("data-transfer", { deviceIds: true });
    expect(elements.map((e) => e.address)).toEqual(drives.map((d) => d.address));
    expect(elements[899]?.deviceId?.serial).toBe("SER899");
    expect(t.sent).toHaveLength(2);
  });

  it("MOVE MEDIUM, INITIALIZE ELEMENT STATUS and the element address assignment page", async () => {
    const eaa = encodeElementAddressAssignmentPage({ firstTransportAddress: 1, transportCount: 1, firstStorageAddress: 0x1000, storageCount: 50, firstImportExportAddress: 10, importExportCount: 5, firstDataTransferAddress: 0x100, dataTransferCount: 4 });
    const { t, dev } = device((cmd) => (cmd.cdb[0] === Opcode.MODE_SENSE_6 ? { data: bb().u8(3 + eaa.length, 0, 0, 0).bytes(eaa).build() } : {}));
    await dev.moveMedium(0x1000, 0x100, 1);
    await dev.initializeElementStatus();
    await dev.initializeElementStatusWithRange(0x1000, 50);
    expect((await dev.elementAddressAssignment()).storageCount).toBe(50);
    expect(t.sent.map((c) => [hex(c.cdb), c.timeoutMs])).toEqual([
      ["a5 00 00 01 10 00 01 00 00 00 00 00", Timeouts.CHANGER],
      ["07 00 00 00 00 00", Timeouts.INITIALIZE_ELEMENT_STATUS],
      ["37 01 10 00 00 00 00 32 00 00", Timeouts.INITIALIZE_ELEMENT_STATUS],
      ["1a 08 1d 00 ff 00", Timeouts.CHANGER],
    ]);
  });

  it("modeSense(10) data also decodes through the (10) path", async () => {
    const m10 = encodeModeParameters10({ bufferMode: 1, blockDescriptors: [{ densityCode: 0x60, blockCount: 0, blockLength: 0 }] }, { forSelect: false });
    const { dev } = device(() => ({ data: m10 }));
    expect((await dev.modeSense(0x0f)).blockDescriptors[0]?.densityCode).toBe(0x60);
  });
});
