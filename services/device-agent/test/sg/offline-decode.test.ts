/**
 * Offline agreement: responses the virtual library produces (through its
 * in-process transport) are saved as sg3_utils hex files and decoded by
 * sg_decode_sense, sg_logs, sg_read_attr, sg_inq, sg_vpd and sdparm. Their
 * text must agree field by field with our decoders.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeAttributeValues,
  decodeDataCompressionPage,
  decodeDeviceConfigurationPage,
  decodeElementAddressAssignmentPage,
  decodeInquiry,
  decodeMediumConfigurationPage,
  decodeModeSense10,
  decodeModeSense6,
  decodeSense,
  decodeSequentialAccessLog,
  decodeTapeAlertLog,
  decodeVolumeStatistics,
  decodeVpdDeviceIdentification,
  decodeVpdSupportedPages,
  decodeVpdUnitSerial,
  findModePage,
  type DecodedSense,
  type ScsiResult,
  type ScsiTransport,
} from "@tapefleet/scsi";
import { createLibrary, createVtlTransport, type VirtualLibrary, type VirtualTapeDrive } from "@tapefleet/vtl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTools, runToolOk, writeHexFile } from "./helpers/debian-tools.ts";
import { parseKeyValueList, parseKeyValues, parseTapeAlertFlags, value } from "./helpers/tool-output.ts";

const TOOLS = ["sg_decode_sense", "sg_logs", "sg_read_attr", "sg_inq", "sg_vpd", "sdparm"];

const SPEC = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      serial: "OFFLIB0001",
      drives: [
        { generation: 8, serial: "OFF8000001" },
        { generation: 8, serial: "OFF8000002" },
      ],
      cartridges: [
        { barcode: "OFF001L8", drive: 0 },
        { barcode: "OFF002L8", slot: 1, writeProtected: true },
        { barcode: "OFF003L8", slot: 2 },
      ],
    },
  ],
  timing: { loadMs: 0, powerOnUnitAttention: false },
};

let dir: string;
let library: VirtualLibrary;
let drive0: ScsiTransport;
let drive1: ScsiTransport;
let changer: ScsiTransport;
let files = 0;

function be(n: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(n / 256 ** (bytes - 1 - i)) % 256);
}

async function run(t: ScsiTransport, cdb: number[], options: { in?: number; out?: Uint8Array } = {}): Promise<ScsiResult> {
  const direction = options.out ? "out" : options.in ? "in" : "none";
  return t.execute({
    cdb: Uint8Array.from(cdb),
    direction,
    ...(options.in ? { dataInLength: options.in } : {}),
    ...(options.out ? { dataOut: options.out } : {}),
    timeoutMs: 60_000,
  });
}

function hexFile(bytes: Uint8Array): string {
  files += 1;
  return writeHexFile(join(dir, `r${files}.hex`), bytes);
}

const CDB = {
  tur: () => [0x00, 0, 0, 0, 0, 0],
  rewind: () => [0x01, 0, 0, 0, 0, 0],
  read6: (len: number) => [0x08, 0x02, ...be(len, 3), 0],
  write6: (len: number) => [0x0a, 0, ...be(len, 3), 0],
  wfm: (n: number) => [0x10, 0, ...be(n, 3), 0],
  inquiry: (page?: number) => (page === undefined ? [0x12, 0, 0, 0, 96, 0] : [0x12, 1, page, 0, 255, 0]),
  logSense: (page: number) => [0x4d, 0, 0x40 | page, 0, 0, 0, 0, ...be(8192, 2), 0],
  modeSense10: (page: number) => [0x5a, 0, page, 0, 0, 0, 0, ...be(4096, 2), 0],
  modeSense6: (page: number, dbd = false) => [0x1a, dbd ? 0x08 : 0, page, 0, 255, 0],
  readAttribute: () => [0x8c, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...be(32768, 4), 0, 0],
  moveMedium: (src: number, dst: number) => [0xa5, 0, 0, 0, ...be(src, 2), ...be(dst, 2), 0, 0, 0, 0],
};

beforeAll(async () => {
  await ensureTools(TOOLS);
  dir = await mkdtemp(join(tmpdir(), "tapefleet-sg-offline-"));
  library = await createLibrary(join(dir, "library"), SPEC);
  drive0 = createVtlTransport(library, "lib1/drive0");
  drive1 = createVtlTransport(library, "lib1/drive1");
  changer = createVtlTransport(library, "lib1/changer");
  await run(drive0, CDB.tur());
});

afterAll(async () => {
  await library?.close();
  await rm(dir, { recursive: true, force: true });
});

/** sg3_utils spells names in mixed case; ours are upper case. */
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();

interface PrintedSense {
  format: string;
  current: boolean;
  key: string;
  additional: string;
  information?: number;
  flags: string[];
  commandByte?: number;
}

function parseDecodeSense(text: string): PrintedSense {
  const head = /^(Fixed|Descriptor) format, (current|deferred); Sense key: (.+)$/m.exec(text);
  const additional = /^Additional sense: (.+)$/m.exec(text);
  if (head === null || additional === null) throw new Error(`sg_decode_sense printed\n${text}`);
  const out: PrintedSense = {
    format: (head[1] ?? "").toLowerCase(),
    current: head[2] === "current",
    key: head[3] ?? "",
    additional: additional[1] ?? "",
    flags: [],
  };
  const info = /Info fld=0x([0-9a-f]+) \[\d+\]\s*(.*)$/m.exec(text);
  if (info !== null) {
    out.information = parseInt(info[1] ?? "0", 16);
    out.flags = (info[2] ?? "").split(/\s+/).filter((f) => f !== "");
  }
  const sks = /Error in Command: byte (\d+)/.exec(text);
  if (sks !== null) out.commandByte = Number(sks[1]);
  return out;
}

async function expectSenseAgrees(result: ScsiResult): Promise<DecodedSense> {
  expect(result.status).toBe(0x02);
  const ours = decodeSense(result.sense);
  const printed = parseDecodeSense(await runToolOk("sg_decode_sense", [`--file=${hexFile(result.sense)}`]));
  expect(printed.format).toBe(ours.format);
  expect(printed.current).toBe(!ours.deferred);
  expect(norm(printed.key)).toBe(norm(ours.senseKeyName));
  expect(norm(printed.additional)).toBe(norm(ours.description));
  if (ours.information !== undefined) expect(printed.information).toBe(ours.information >>> 0);
  else expect(printed.information).toBeUndefined();
  expect(printed.flags.includes("FMK")).toBe(ours.filemark);
  expect(printed.flags.includes("EOM")).toBe(ours.eom);
  expect(printed.flags.includes("ILI")).toBe(ours.ili);
  if (ours.senseKeySpecific?.kind === "field-pointer" && ours.senseKeySpecific.commandData) {
    expect(printed.commandByte).toBe(ours.senseKeySpecific.fieldPointer);
  }
  return ours;
}

describe("sense data: sg_decode_sense --file", () => {
  it("NOT READY, medium not present (empty drive)", async () => {
    const s = await expectSenseAgrees(await run(drive1, CDB.tur()));
    expect([s.senseKey, s.asc, s.ascq]).toEqual([0x02, 0x3a, 0x00]);
  });

  it("ILLEGAL REQUEST, invalid opcode, with the field pointer", async () => {
    const s = await expectSenseAgrees(await run(drive0, [0xff, 0, 0, 0, 0, 0]));
    expect([s.senseKey, s.asc, s.ascq]).toEqual([0x05, 0x20, 0x00]);
    expect(s.senseKeySpecific).toMatchObject({ kind: "field-pointer", commandData: true, fieldPointer: 0 });
  });

  it("filemark, end of data and an overlength block (ILI, negative residue) on READ", async () => {
    await run(drive0, CDB.rewind());
    await run(drive0, CDB.write6(1024), { out: new Uint8Array(1024).fill(0x5a) });
    await run(drive0, CDB.wfm(1));
    await run(drive0, CDB.rewind());
    const ili = await expectSenseAgrees(await run(drive0, CDB.read6(512), { in: 512 }));
    expect([ili.ili, ili.information]).toEqual([true, -512]);
    const fm = await expectSenseAgrees(await run(drive0, CDB.read6(512), { in: 512 }));
    expect([fm.filemark, fm.asc, fm.ascq, fm.information]).toEqual([true, 0x00, 0x01, 512]);
    const eod = await expectSenseAgrees(await run(drive0, CDB.read6(512), { in: 512 }));
    expect([eod.senseKey, eod.asc, eod.ascq]).toEqual([0x08, 0x00, 0x05]);
  });

  it("MEDIUM ERROR, unrecovered read error", async () => {
    library.injectMediumError("OFF001L8", 0, "read");
    await run(drive0, CDB.rewind());
    const s = await expectSenseAgrees(await run(drive0, CDB.read6(2048), { in: 2048 }));
    expect([s.senseKey, s.asc, s.ascq]).toEqual([0x03, 0x11, 0x00]);
    library.clearMediumErrors();
  });

  it("UNIT ATTENTION after a load, DATA PROTECT on a write-protected cartridge", async () => {
    // Slot 1 (write protected) into drive 1 (element addresses from MODE SENSE 0x1D).
    const page = findModePage(decodeModeSense6((await run(changer, CDB.modeSense6(0x1d, true), { in: 255 })).data), 0x1d);
    const eaa = decodeElementAddressAssignmentPage(page?.bytes ?? new Uint8Array());
    expect((await run(changer, CDB.moveMedium(eaa.firstStorageAddress, eaa.firstDataTransferAddress + 1))).status).toBe(0);
    const ua = await expectSenseAgrees(await run(drive1, CDB.tur()));
    expect([ua.senseKey, ua.asc, ua.ascq]).toEqual([0x06, 0x28, 0x00]);
    const wp = await expectSenseAgrees(await run(drive1, CDB.write6(512), { out: new Uint8Array(512) }));
    expect([wp.senseKey, wp.asc, wp.ascq]).toEqual([0x07, 0x27, 0x00]);
    // The changer refuses a move onto a full slot: slot 2 still holds OFF003L8.
    const full = await expectSenseAgrees(await run(changer, CDB.moveMedium(eaa.firstDataTransferAddress, eaa.firstStorageAddress + 1)));
    expect([full.senseKey, full.asc]).toEqual([0x05, 0x3b]);
  });
});

describe("log pages: sg_logs --pdt=1 --in", () => {
  it("TapeAlert 0x2E", async () => {
    // A first read clears what earlier tests raised (the medium error set MEDIA and READ FAILURE).
    await run(drive0, CDB.logSense(0x2e), { in: 8192 });
    const device = library.drive("lib1/drive0") as VirtualTapeDrive;
    for (const flag of [0x05, 0x14, 0x21]) device.raiseTapeAlert(flag);
    const page = (await run(drive0, CDB.logSense(0x2e), { in: 8192 })).data;
    const ours = decodeTapeAlertLog(page).flags.map((f) => f.number);
    expect(ours).toEqual([0x05, 0x14, 0x21]);
    expect(parseTapeAlertFlags(await runToolOk("sg_logs", ["--pdt=1", `--in=${hexFile(page)}`]))).toEqual(ours);
  });

  it("volume statistics 0x17", async () => {
    await run(drive0, CDB.rewind());
    for (let i = 0; i < 3; i++) await run(drive0, CDB.write6(1_000_000), { out: new Uint8Array(1_000_000).fill(i) });
    await run(drive0, CDB.wfm(1));
    const page = (await run(drive0, CDB.logSense(0x17), { in: 8192 })).data;
    const ours = decodeVolumeStatistics(page);
    const kv = parseKeyValues(await runToolOk("sg_logs", ["--pdt=1", `--in=${hexFile(page)}`]));
    expect(value(kv, "Page valid")).toBe(ours.pageValid ? "1" : "0");
    const counters: Array<[string, number | undefined]> = [
      ["Thread count", ours.volumeMounts],
      ["Total data sets written", ours.volumeDatasetsWritten],
      ["Total write retries", ours.volumeRecoveredWriteDataErrors],
      ["Total unrecovered write errors", ours.volumeUnrecoveredWriteDataErrors],
      ["Total data sets read", ours.volumeDatasetsRead],
      ["Total read retries", ours.volumeRecoveredReadErrors],
      ["Total unrecovered read errors", ours.volumeUnrecoveredReadErrors],
      ["Last mount unrecovered write errors", ours.lastMountUnrecoveredWriteErrors],
      ["Last mount unrecovered read errors", ours.lastMountUnrecoveredReadErrors],
      ["Last mount megabytes written", ours.lastMountBytesWritten],
      ["Last mount megabytes read", ours.lastMountBytesRead],
      ["Lifetime megabytes written", ours.lifetimeBytesWritten],
      ["Lifetime megabytes read", ours.lifetimeBytesRead],
      ["Total native capacity [MB]", ours.totalNativeCapacity],
      ["Total used native capacity [MB]", ours.totalUsedNativeCapacity],
      ["Beginning of medium passes", ours.beginningOfMediumPasses],
      ["Middle of medium passes", ours.middleOfTapePasses],
    ];
    for (const [name, v] of counters) expect(Number(value(kv, name)), name).toBe(v);
    expect(value(kv, "Volume serial number")).toBe(ours.volumeSerialNumber);
    expect(value(kv, "Write protect")).toBe(ours.writeProtect ? "1" : "0");
    expect(value(kv, "WORM")).toBe(ours.worm ? "1" : "0");
    expect(ours.lastMountBytesWritten).toBe(3);
  });

  it("sequential-access device 0x0C (byte counts with -v)", async () => {
    const page = (await run(drive0, CDB.logSense(0x0c), { in: 8192 })).data;
    const ours = decodeSequentialAccessLog(page);
    const out = await runToolOk("sg_logs", ["-v", "--pdt=1", `--in=${hexFile(page)}`]);
    const bytes = (label: string) => Number(new RegExp(`${label}: \\d+ GB \\[(\\d+) bytes\\]`).exec(out)?.[1]);
    expect(bytes("Data bytes received with WRITE commands")).toBe(ours.dataBytesReceived);
    expect(bytes("Data bytes written to media by WRITE commands")).toBe(ours.dataBytesWrittenToMedia);
    expect(bytes("Data bytes read from media by READ commands")).toBe(ours.dataBytesReadFromMedia);
    expect(bytes("Data bytes transferred by READ commands")).toBe(ours.dataBytesTransferredToHost);
    expect(/Cleaning action not required/.test(out)).toBe(ours.cleaningRequired === false);
    expect(ours.dataBytesReceived).toBeGreaterThanOrEqual(3_000_000);
  });
});

describe("MAM: sg_read_attr --in", () => {
  it("prints every attribute value decodeAttributeValues returns", async () => {
    const data = (await run(drive0, CDB.readAttribute(), { in: 32768 })).data;
    const ours = new Map(decodeAttributeValues(data).map((a) => [a.id, a.value]));
    const list = parseKeyValueList(await runToolOk("sg_read_attr", [`--in=${hexFile(data)}`]));
    const printed = (name: string) => list.find(([k]) => k.startsWith(name))?.[1];
    const numeric: Array<[string, number]> = [
      ["Remaining capacity in partition", 0x0000],
      ["Maximum capacity in partition", 0x0001],
      ["Load count", 0x0003],
      ["MAM space remaining", 0x0004],
      ["Format density code", 0x0006],
      ["Initialization count", 0x0007],
      ["Total MiB written in medium life", 0x0220],
      ["Total MiB read in medium life", 0x0221],
      ["Total MiB written in current/last load", 0x0222],
      ["Total MiB read in current/last load", 0x0223],
      ["Medium length", 0x0402],
      ["Medium width", 0x0403],
      ["Medium density code", 0x0405],
      ["MAM capacity", 0x0407],
      ["Medium type", 0x0408],
    ];
    for (const [name, id] of numeric) expect(Number(printed(name)), name).toBe(ours.get(id));
    const text: Array<[string, number]> = [
      ["Assigning organization", 0x0005],
      ["Medium manufacturer", 0x0400],
      ["Medium serial number", 0x0401],
      ["Medium manufacture date", 0x0406],
      ["Barcode", 0x0806],
    ];
    for (const [name, id] of text) expect(printed(name), name).toBe(ours.get(id));
    expect(ours.get(0x0806)).toBe("OFF001L8");
    expect(Number(printed("Total MiB written in current/last load"))).toBeGreaterThanOrEqual(2);
  });
});

describe("INQUIRY and VPD: sg_inq --inhex, sg_vpd --inhex", () => {
  it("standard INQUIRY data", async () => {
    for (const t of [drive0, changer]) {
      const data = (await run(t, CDB.inquiry(), { in: 96 })).data;
      const ours = decodeInquiry(data);
      const out = await runToolOk("sg_inq", [`--inhex=${hexFile(data)}`]);
      const kv = parseKeyValues(out);
      expect(Number(/PQual=(\d+)/.exec(out)?.[1])).toBe(ours.peripheralQualifier);
      expect(Number(/PDT=(\d+)/.exec(out)?.[1])).toBe(ours.peripheralDeviceType);
      expect(Number(/RMB=(\d+)/.exec(out)?.[1])).toBe(ours.removable ? 1 : 0);
      expect(Number(/version=(0x[0-9a-f]+)/.exec(out)?.[1])).toBe(ours.version);
      expect(Number(/Resp_data_format=(\d+)/.exec(out)?.[1])).toBe(ours.responseDataFormat);
      expect(Number(/\[MChngr=(\d+)\]/.exec(out)?.[1])).toBe(ours.mediumChanger ? 1 : 0);
      expect(Number(/length=(\d+)/.exec(out)?.[1])).toBe(Math.min(data.length, 5 + ours.additionalLength));
      expect(value(kv, "Vendor identification")).toBe(ours.vendor);
      expect(value(kv, "Product identification")).toBe(ours.product);
      expect(value(kv, "Product revision level")).toBe(ours.revision);
    }
  });

  it("VPD 0x00, 0x80 and 0x83", async () => {
    const supported = (await run(drive0, CDB.inquiry(0x00), { in: 255 })).data;
    const pages = decodeVpdSupportedPages(supported);
    const listed = [...(await runToolOk("sg_vpd", ["--long", `--inhex=${hexFile(supported)}`])).matchAll(/^\s+0x([0-9a-f]{2})\s/gm)].map((m) => parseInt(m[1] ?? "", 16));
    expect(listed).toEqual(pages);
    expect(pages).toEqual(expect.arrayContaining([0x00, 0x80, 0x83]));

    const serial = (await run(drive0, CDB.inquiry(0x80), { in: 255 })).data;
    expect(value(parseKeyValues(await runToolOk("sg_vpd", [`--inhex=${hexFile(serial)}`])), "Unit serial number")).toBe(decodeVpdUnitSerial(serial));
    expect(decodeVpdUnitSerial(serial)).toBe("OFF8000001");

    const ident = (await run(drive0, CDB.inquiry(0x83), { in: 255 })).data;
    const designators = decodeVpdDeviceIdentification(ident);
    const file = hexFile(ident);
    for (const out of [await runToolOk("sg_vpd", [`--inhex=${file}`]), await runToolOk("sg_inq", [`--inhex=${file}`])]) {
      const kv = parseKeyValues(out);
      const t10 = designators.find((d) => d.designatorType === 1);
      const naa = designators.find((d) => d.designatorType === 3);
      expect(value(kv, "vendor id")).toBe(t10?.t10?.vendor);
      expect(value(kv, "vendor specific")).toBe(t10?.t10?.specific);
      expect(out).toContain(`0x${naa?.hex}`);
      expect([...out.matchAll(/designator.type: ([^,]+),\s+code.set: (\w+)/g)].map((m) => [m[1], m[2]])).toEqual([
        ["T10 vendor identification", "ASCII"],
        ["NAA", "Binary"],
      ]);
      expect(designators.map((d) => [d.designatorType, d.codeSet])).toEqual([
        [1, 2],
        [3, 1],
      ]);
    }
  });
});

/** sdparm -l lines: `  ACRONYM   value  description`. */
function sdparmFields(text: string): Map<string, number> {
  return new Map([...text.matchAll(/^\s+([A-Z][A-Z0-9_]*)\s+(-?\d+)\b/gm)].map((m) => [m[1] ?? "", Number(m[2])]));
}

async function sdparm(data: Uint8Array, pdt: number, six = false): Promise<Map<string, number>> {
  return sdparmFields(await runToolOk("sdparm", [`--pdt=${pdt}`, `--inhex=${hexFile(data)}`, "-l", ...(six ? ["-6"] : [])]));
}

const b = (v: boolean) => (v ? 1 : 0);

describe("mode pages: sdparm --inhex", () => {
  it("data compression 0x0F, from MODE SENSE(10) and (6)", async () => {
    for (const six of [false, true]) {
      const data = six ? (await run(drive0, CDB.modeSense6(0x0f), { in: 255 })).data : (await run(drive0, CDB.modeSense10(0x0f), { in: 4096 })).data;
      const mode = six ? decodeModeSense6(data) : decodeModeSense10(data);
      const p = decodeDataCompressionPage(findModePage(mode, 0x0f)?.bytes ?? new Uint8Array());
      const f = await sdparm(data, 1, six);
      expect(Object.fromEntries(["DCE", "DCC", "DDE", "RED", "COMPR_A", "DCOMPR_A"].map((k) => [k, f.get(k)]))).toEqual({
        DCE: b(p.dataCompressionEnabled),
        DCC: b(p.dataCompressionCapable),
        DDE: b(p.dataDecompressionEnabled),
        RED: p.reportExceptionOnDecompression,
        COMPR_A: p.compressionAlgorithm,
        DCOMPR_A: p.decompressionAlgorithm,
      });
    }
  });

  it("device configuration 0x10", async () => {
    const data = (await run(drive0, CDB.modeSense10(0x10), { in: 4096 })).data;
    const p = decodeDeviceConfigurationPage(findModePage(decodeModeSense10(data), 0x10)?.bytes ?? new Uint8Array());
    const f = await sdparm(data, 1);
    const expected: Record<string, number> = {
      CAF: b(p.changeActiveFormat),
      ACT_F: p.activeFormat,
      ACT_P: p.activePartition,
      WOBFR: p.writeObjectBufferFullRatio,
      ROBER: p.readObjectBufferEmptyRatio,
      WDT: p.writeDelayTime,
      OBR: b(p.objectBufferRecovery),
      LOIS: b(p.logicalObjectIdentifiersSupported),
      RSMK: b(p.reportSetmarks),
      AVC: p.automaticVelocityControl,
      SOCF: p.stopOnConsecutiveFilemarks,
      ROBO: b(p.recoverObjectBufferOrder),
      GAP_S: p.gapSize,
      EOD_D: p.eodDefined,
      EEG: b(p.enableEodGeneration),
      SEW: b(p.synchronizeAtEarlyWarning),
      SWP_T: b(p.softwareWriteProtect),
      BAML: b(p.blockAddressModeLock),
      BAM: b(p.blockAddressMode),
      OBSAEW: p.objectBufferSizeAtEarlyWarning,
      SDCA: p.selectDataCompressionAlgorithm,
      WTRE: p.worldwideTapeReadError,
      OIR: b(p.onlyIfReserved),
      ROR: p.rewindOnReset,
      ASOCWP: b(p.associatedWriteProtect),
      PERSWP: b(p.persistentWriteProtect),
      PRMWP: b(p.permanentWriteProtect),
    };
    expect(Object.fromEntries(Object.keys(expected).map((k) => [k, f.get(k)]))).toEqual(expected);
  });

  it("medium configuration 0x1D of a drive", async () => {
    const data = (await run(drive0, CDB.modeSense10(0x1d), { in: 4096 })).data;
    const p = decodeMediumConfigurationPage(findModePage(decodeModeSense10(data), 0x1d)?.bytes ?? new Uint8Array());
    const f = await sdparm(data, 1);
    expect([f.get("WORMM"), f.get("WMLR"), f.get("WMFR")]).toEqual([b(p.worm), p.wormModeLabelRestrictions, p.wormModeFilemarkRestrictions]);
  });

  it("element address assignment 0x1D of the changer", async () => {
    const data = (await run(changer, CDB.modeSense6(0x1d, true), { in: 255 })).data;
    const p = decodeElementAddressAssignmentPage(findModePage(decodeModeSense6(data), 0x1d)?.bytes ?? new Uint8Array());
    const f = await sdparm(data, 8, true);
    expect(Object.fromEntries(["FMTEA", "NMTE", "FSEA", "NSE", "FIEEA", "NIEE", "FDTEA", "NDTE"].map((k) => [k, f.get(k)]))).toEqual({
      FMTEA: p.firstTransportAddress,
      NMTE: p.transportCount,
      FSEA: p.firstStorageAddress,
      NSE: p.storageCount,
      FIEEA: p.firstImportExportAddress,
      NIEE: p.importExportCount,
      FDTEA: p.firstDataTransferAddress,
      NDTE: p.dataTransferCount,
    });
    expect([p.storageCount, p.importExportCount, p.dataTransferCount]).toEqual([4, 1, 2]);
  });
});
