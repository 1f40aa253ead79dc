/**
 * CDB builders, sense parsing and a temporary-library fixture for the package's tests.
 * Deliberately independent from the emulation code it checks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScsiResult, ScsiTransport } from "@tapefleet/scsi";
import { ManualClock } from "./clock.ts";
import { createLibrary, type VirtualLibrary } from "./library.ts";
import { createVtlTransport } from "./transport.ts";

export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
export const be24 = (v: number): number[] => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
export const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
export const be64 = (v: number | bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return [...b];
};

export const Cdb = {
  tur: () => [0x00, 0, 0, 0, 0, 0],
  rewind: (immed = false) => [0x01, immed ? 1 : 0, 0, 0, 0, 0],
  requestSense: (alloc = 252) => [0x03, 0, 0, 0, alloc, 0],
  format: (immed = false) => [0x04, immed ? 1 : 0, 0, 0, 0, 0],
  readBlockLimits: () => [0x05, 0, 0, 0, 0, 0],
  read6: (len: number, o: { sili?: boolean; fixed?: boolean } = {}) => [0x08, (o.sili ? 2 : 0) | (o.fixed ? 1 : 0), ...be24(len), 0],
  write6: (len: number, fixed = false) => [0x0a, fixed ? 1 : 0, ...be24(len), 0],
  wfm: (n: number, immed = false) => [0x10, immed ? 1 : 0, ...be24(n), 0],
  space6: (code: number, count: number) => [0x11, code, ...be24(count & 0xffffff), 0],
  space16: (code: number, count: number) => [0x91, code, 0, 0, ...be64(count), 0, 0, 0, 0],
  inquiry: (alloc = 96, evpd = false, page = 0) => [0x12, evpd ? 1 : 0, page, ...be16(alloc), 0],
  modeSelect6: (len: number) => [0x15, 0x10, 0, 0, len, 0],
  erase: (long = false) => [0x19, long ? 1 : 0, 0, 0, 0, 0],
  modeSense6: (page: number, o: { dbd?: boolean; pc?: number; alloc?: number; subpage?: number } = {}) => [
    0x1a, o.dbd ? 0x08 : 0, ((o.pc ?? 0) << 6) | page, o.subpage ?? 0, o.alloc ?? 255, 0,
  ],
  modeSense10: (page: number, o: { dbd?: boolean; pc?: number; alloc?: number } = {}) => [
    0x5a, o.dbd ? 0x08 : 0, ((o.pc ?? 0) << 6) | page, 0, 0, 0, 0, ...be16(o.alloc ?? 4096), 0,
  ],
  loadUnload: (o: { load?: boolean; hold?: boolean; immed?: boolean; reten?: boolean; eot?: boolean } = {}) => [
    0x1b, o.immed ? 1 : 0, 0, 0, (o.load ? 1 : 0) | (o.reten ? 2 : 0) | (o.eot ? 4 : 0) | (o.hold ? 8 : 0), 0,
  ],
  prevent: (on: boolean) => [0x1e, 0, 0, 0, on ? 1 : 0, 0],
  locate10: (block: number) => [0x2b, 0, 0, ...be32(block), 0, 0, 0],
  locate16: (destType: number, id: number) => [0x92, destType << 3, 0, 0, ...be64(id), 0, 0, 0, 0],
  readPosition: (sa = 6, alloc = 0) => [0x34, sa, 0, 0, 0, 0, 0, ...be16(alloc), 0],
  reportDensity: (media = false) => [0x44, media ? 1 : 0, 0, 0, 0, 0, 0, ...be16(8192), 0],
  logSense: (page: number, o: { alloc?: number; subpage?: number; pc?: number } = {}) => [
    0x4d, 0, ((o.pc ?? 1) << 6) | page, o.subpage ?? 0, 0, 0, 0, ...be16(o.alloc ?? 8192), 0,
  ],
  readAttribute: (sa = 0, first = 0, alloc = 32768) => [0x8c, sa, 0, 0, 0, 0, 0, 0, ...be16(first), ...be32(alloc), 0, 0],
  writeAttribute: (len: number) => [0x8d, 1, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(len), 0, 0],
  reportLuns: (alloc = 256) => [0xa0, 0, 0, 0, 0, 0, ...be32(alloc), 0, 0],
  spin: (protocol: number, page: number, alloc = 8192) => [0xa2, protocol, ...be16(page), 0, 0, ...be32(alloc), 0, 0],
  spout: (len: number) => [0xb5, 0x20, 0x00, 0x10, 0, 0, ...be32(len), 0, 0],
  moveMedium: (src: number, dst: number, transport = 0) => [0xa5, 0, ...be16(transport), ...be16(src), ...be16(dst), 0, 0, 0, 0],
  readElementStatus: (o: { type?: number; start?: number; count?: number; voltag?: boolean; dvcid?: boolean; alloc?: number } = {}) => [
    0xb8, (o.voltag ? 0x10 : 0) | (o.type ?? 0), ...be16(o.start ?? 0), ...be16(o.count ?? 1000), o.dvcid ? 1 : 0, ...be24(o.alloc ?? 0xffff), 0, 0,
  ],
  initElementStatus: () => [0x07, 0, 0, 0, 0, 0],
  initElementStatusRange: (start: number, count: number) => [0x37, 1, ...be16(start), 0, 0, ...be16(count), 0, 0],
};

export interface Sense {
  key: number;
  asc: number;
  ascq: number;
  valid: boolean;
  info: number;
  filemark: boolean;
  eom: boolean;
  ili: boolean;
  sksv: boolean;
  sks: number;
}

export function parseSense(s: Uint8Array): Sense {
  const b = Buffer.from(s);
  if (b.length < 18 || (b[0]! & 0x7f) !== 0x70) throw new Error(`not fixed-format sense: ${b.toString("hex")}`);
  return {
    key: b[2]! & 0x0f,
    asc: b[12]!,
    ascq: b[13]!,
    valid: (b[0]! & 0x80) !== 0,
    info: b.readInt32BE(3),
    filemark: (b[2]! & 0x80) !== 0,
    eom: (b[2]! & 0x40) !== 0,
    ili: (b[2]! & 0x20) !== 0,
    sksv: (b[15]! & 0x80) !== 0,
    sks: b.readUInt16BE(16),
  };
}

/** `k/aa/qq` in hex, or "GOOD". */
export function kcq(r: ScsiResult): string {
  if (r.status === 0) return "GOOD";
  const s = parseSense(r.sense);
  const h = (v: number) => v.toString(16).padStart(2, "0");
  return `${s.key.toString(16)}/${h(s.asc)}/${h(s.ascq)}`;
}

export class Dev {
  constructor(readonly t: ScsiTransport) {}
  run(cdb: number[], o: { out?: Uint8Array; inLen?: number } = {}): Promise<ScsiResult> {
    if (o.out) return this.t.execute({ cdb: Uint8Array.from(cdb), direction: "out", dataOut: o.out, timeoutMs: 60_000 });
    return this.t.execute({ cdb: Uint8Array.from(cdb), direction: o.inLen === undefined ? "none" : "in", dataInLength: o.inLen ?? 0, timeoutMs: 60_000 });
  }
  /** Run and require GOOD status. */
  async ok(cdb: number[], o: { out?: Uint8Array; inLen?: number } = {}): Promise<Buffer> {
    const r = await this.run(cdb, o);
    if (r.status !== 0) throw new Error(`command ${Buffer.from(cdb).toString("hex")} failed: ${kcq(r)}`);
    return Buffer.from(r.data);
  }
  /** Send commands until the unit attentions are consumed. */
  async clearUnitAttention(): Promise<void> {
    for (let i = 0; i < 8; i++) {
      const r = await this.run(Cdb.tur());
      if (r.status === 0 || parseSense(r.sense).key !== 6) return;
    }
  }
  write(data: Uint8Array): Promise<ScsiResult> {
    return this.run(Cdb.write6(data.length), { out: data });
  }
  read(len: number, sili = true): Promise<ScsiResult> {
    return this.run(Cdb.read6(len, { sili }), { inLen: len });
  }
  async position(): Promise<{ block: number; file: number; bop: boolean; eop: boolean }> {
    const b = await this.ok(Cdb.readPosition(6), { inLen: 32 });
    return { block: Number(b.readBigUInt64BE(8)), file: Number(b.readBigUInt64BE(16)), bop: (b[0]! & 0x80) !== 0, eop: (b[0]! & 0x40) !== 0 };
  }
}

export function block(n: number, size = 1024): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32BE(n, 0);
  for (let i = 4; i < size; i++) b[i] = (n * 31 + i) & 0xff;
  return b;
}

export interface Fixture {
  dir: string;
  lib: VirtualLibrary;
  clock: ManualClock;
  dev(id: string): Dev;
  cleanup(): Promise<void>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "tapefleet-vtl-"));
}

/** Create a library in a fresh temporary folder with a manual clock. */
export async function fixture(spec: unknown): Promise<Fixture> {
  const dir = await tempDir();
  const clock = new ManualClock();
  const lib = await createLibrary(dir, spec, { clock });
  return {
    dir,
    lib,
    clock,
    dev: (id) => new Dev(createVtlTransport(lib, id)),
    async cleanup() {
      await lib.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One standalone drive with one loaded cartridge, no power-on unit attention. */
export function singleDriveSpec(o: { generation?: number; cartridge?: Record<string, unknown>; timing?: Record<string, unknown> } = {}) {
  return {
    drives: [{ name: "tape0", generation: o.generation ?? 9, serial: "VD0001", cartridge: { barcode: "T00001L9", ...(o.cartridge ?? {}) } }],
    timing: { powerOnUnitAttention: false, ...(o.timing ?? {}) },
  };
}
