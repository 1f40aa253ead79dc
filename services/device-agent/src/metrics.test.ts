import { describe, expect, it } from "vitest";
import { Registry } from "@tapefleet/common";
import {
  buildRead6Cdb,
  buildTestUnitReadyCdb,
  buildWrite6Cdb,
  encodeSense,
  ScsiStatus,
  SenseKey,
  TapeAlert,
  type ScsiCommand,
  type ScsiResult,
  type ScsiTransport,
} from "@tapefleet/scsi";
import { DeviceLocks } from "./core/device-locks.ts";
import { DeviceService } from "./core/device-service.ts";
import type { AgentDevice } from "./devices.ts";
import { bytesWritten, DeviceAgentMetrics, driveLockKey, driveStateOf, meteredTransport } from "./metrics.ts";

const result = (p: Partial<ScsiResult> = {}): ScsiResult => ({ status: ScsiStatus.GOOD, sense: new Uint8Array(0), data: new Uint8Array(0), residual: 0, hostStatus: 0, driverStatus: 0, ...p });
const write = (n: number): ScsiCommand => ({ cdb: buildWrite6Cdb({ length: n }), direction: "out", dataOut: new Uint8Array(n), timeoutMs: 1000 });
const checkCondition = (senseKey: number, extra: { eom?: boolean; asc?: number; ascq?: number } = {}) => result({ status: ScsiStatus.CHECK_CONDITION, sense: encodeSense({ senseKey, ...extra }) });

function drive(p: Partial<AgentDevice> = {}): AgentDevice {
  return { id: "vtl:lib1/drive0", kind: "tape-drive", vendor: "IBM", model: "ULT3580-TD9", revision: "0001", serial: "TFD9000001", path: "vtl:lib1/drive0", state: "online", virtual: true, ...p };
}

/** Value of the series `name{…}` with all of `labels` (any order). */
async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, want]) => String((x.labels as Record<string, unknown>)[k]) === want));
  return v?.value;
}

describe("driveStateOf", () => {
  it("is offline for an offline drive, idle without a lock holder, and follows the holder's operation", () => {
    expect(driveStateOf({ state: "offline" }, "WriteSession (request r1)")).toBe("offline");
    expect(driveStateOf({ state: "online" }, undefined)).toBe("idle");
    expect(driveStateOf({ state: "online" }, "WriteSession (request r1)")).toBe("writing");
    expect(driveStateOf({ state: "online" }, "ReadTapeFile (request r2)")).toBe("reading");
    expect(driveStateOf({ state: "online" }, "RestoreFromTape (request r3)")).toBe("reading");
    expect(driveStateOf({ state: "online" }, "ScanTape (request r4)")).toBe("reading");
    expect(driveStateOf({ state: "online" }, "LabelMedia (request r5)")).toBe("busy");
  });
  it("reads the lock under the key the device service takes it with", () => {
    expect(driveLockKey({ serial: "S1", path: "/dev/sg3" })).toBe("drive S1");
    expect(driveLockKey({ serial: "", path: "/dev/sg3" })).toBe("drive /dev/sg3");
  });
});

describe("bytesWritten", () => {
  it("counts a WRITE(6) the drive accepted, also past early warning or with a recovered error", () => {
    expect(bytesWritten(write(65536), result())).toBe(65536);
    expect(bytesWritten(write(65536), checkCondition(SenseKey.NO_SENSE, { eom: true }))).toBe(65536);
    expect(bytesWritten(write(4096), checkCondition(SenseKey.RECOVERED_ERROR, { asc: 0x17, ascq: 0x01 }))).toBe(4096);
    expect(bytesWritten(write(4096), result({ residual: 96 }))).toBe(4000);
  });
  it("counts nothing for a refused write or unreadable sense", () => {
    expect(bytesWritten(write(65536), checkCondition(SenseKey.MEDIUM_ERROR, { asc: 0x0c, ascq: 0x00 }))).toBe(0);
    expect(bytesWritten(write(65536), checkCondition(SenseKey.VOLUME_OVERFLOW, { eom: true }))).toBe(0);
    expect(bytesWritten(write(65536), result({ status: ScsiStatus.CHECK_CONDITION, sense: new Uint8Array([0x70]) }))).toBe(0);
    expect(bytesWritten(write(65536), result({ status: ScsiStatus.BUSY }))).toBe(0);
  });
});

describe("meteredTransport", () => {
  it("reports WRITE(6) and READ(6) data and passes every command and result through unchanged", async () => {
    const answers = new Map<number, ScsiResult>([
      [0x0a, result()],
      [0x08, result({ data: new Uint8Array(1000), residual: 3096 })],
      [0x00, result()],
    ]);
    const seen: ScsiCommand[] = [];
    const inner: ScsiTransport = { description: "fake", close: async () => undefined, execute: async (c) => (seen.push(c), answers.get(c.cdb[0]!)!) };
    const counted: Array<[string, number]> = [];
    const t = meteredTransport(inner, (d, n) => counted.push([d, n]));
    const w = write(8192);
    expect(await t.execute(w)).toBe(answers.get(0x0a));
    await t.execute({ cdb: buildRead6Cdb({ length: 4096, sili: true }), direction: "in", dataInLength: 4096, timeoutMs: 1000 });
    await t.execute({ cdb: buildTestUnitReadyCdb(), direction: "none", timeoutMs: 1000 });
    expect(seen[0]).toBe(w);
    expect(counted).toEqual([
      ["written", 8192],
      ["read", 1000],
    ]);
    expect(t.description).toBe("fake");
  });
});

describe("DeviceAgentMetrics", () => {
  it("counts a TapeAlert flag when it is raised, not again while it stays raised, and again after it cleared", async () => {
    const m = new DeviceAgentMetrics();
    const registry = new Registry();
    const d = drive();
    m.register(registry, { source: { name: "t", list: async () => [d] }, locks: new DeviceLocks() });
    const cleanNow = { number: TapeAlert.CLEAN_NOW, name: "CLEAN_NOW" };
    const writeFailure = { number: TapeAlert.WRITE_FAILURE, name: "WRITE_FAILURE" };
    m.noteTapeAlerts(d, [cleanNow]);
    m.noteTapeAlerts(d, [cleanNow, writeFailure]);
    m.noteTapeAlerts(d, []);
    m.noteTapeAlerts(d, [cleanNow]);
    expect(await value(registry, "tapefleet_tapealert_flags_total", { drive: d.path, flag: "CLEAN_NOW", severity: "warning" })).toBe(2);
    expect(await value(registry, "tapefleet_tapealert_flags_total", { drive: d.path, flag: "WRITE_FAILURE", severity: "critical" })).toBe(1);
  });

  it("reports each drive's state from the device list and the lock holder, changers left out", async () => {
    const m = new DeviceAgentMetrics();
    const registry = new Registry();
    const locks = new DeviceLocks();
    const d0 = drive();
    const d1 = drive({ id: "vtl:lib1/drive1", serial: "TFD9000002", path: "vtl:lib1/drive1", state: "offline" });
    const changer = drive({ id: "vtl:lib1", kind: "medium-changer", serial: "TFLIB", path: "vtl:lib1" });
    m.register(registry, { source: { name: "t", list: async () => [d0, d1, changer] }, locks });
    const state = (dv: AgentDevice, s: string) => value(registry, "tapefleet_drive_state", { drive: dv.path, serial: dv.serial, state: s });
    expect(await state(d0, "idle")).toBe(1);
    expect(await state(d0, "writing")).toBe(0);
    expect(await state(d1, "offline")).toBe(1);
    expect(await state(d1, "idle")).toBe(0);
    expect(await state(changer, "idle")).toBeUndefined();
    const release = await locks.acquire(driveLockKey(d0), "DRIVE_BUSY", { owner: "WriteSession (request r1)" });
    expect(await state(d0, "writing")).toBe(1);
    expect(await state(d0, "idle")).toBe(0);
    release();
    expect(await state(d0, "idle")).toBe(1);
  });

  it("leaves the drive states out, and the scrape working, when the device source cannot list", async () => {
    const m = new DeviceAgentMetrics();
    const registry = new Registry();
    m.register(registry, { source: { name: "t", list: () => Promise.reject(new Error("udev gone")) }, locks: new DeviceLocks() });
    const text = await registry.metrics();
    expect(text).toContain("# TYPE tapefleet_drive_state gauge");
    expect(text).not.toMatch(/^tapefleet_drive_state\{/m);
  });

  it("sees the locks the device service takes (same key), by serial and by path", async () => {
    const m = new DeviceAgentMetrics();
    const registry = new Registry();
    const bySerial = drive();
    const byPath = drive({ id: "/dev/sg7", serial: "", path: "/dev/sg7" });
    const core = new DeviceService({ name: "t", list: async () => [bySerial, byPath] });
    m.register(registry, core);
    const release1 = await core.lockDrive(bySerial, { owner: "LabelMedia (request r1)" });
    const release2 = await core.lockDrive(byPath, { owner: "ReadTapeFile (request r2)" });
    expect(await value(registry, "tapefleet_drive_state", { drive: bySerial.path, state: "busy" })).toBe(1);
    expect(await value(registry, "tapefleet_drive_state", { drive: "/dev/sg7", serial: "", state: "reading" })).toBe(1);
    release1();
    release2();
    expect(await value(registry, "tapefleet_drive_state", { drive: bySerial.path, state: "idle" })).toBe(1);
    expect(await value(registry, "tapefleet_drive_state", { drive: "/dev/sg7", state: "idle" })).toBe(1);
  });
});
