/**
 * The device agent as a real process on the SG_IO path: the virtual library
 * is served on a UNIX socket (`startVtlServer`, the same server as
 * `vtl serve`), the agent is started with `tsx src/main.ts`, configured with
 * device paths only (`TAPEFLEET_DEVICES`, no `TAPEFLEET_VTL_DIR`), and reaches
 * them through koffi SG_IO with the forwarding library as
 * `TAPEFLEET_SG_LIBRARY` (`TAPEFLEET_SGFWD` maps the paths to the socket).
 * Everything is asked over real gRPC and NATS. A last case checks, in
 * process, that the SG_IO device source lists devices without waiting for a
 * probe queued behind a drive's long command (what keeps the changer
 * answering while a throttled write holds a drive).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentials } from "@grpc/grpc-js";
import { Bus, createLogger } from "@tapefleet/common";
import { closeClient, createClient, DeviceAgentService, DeviceKind, DeviceState, GrpcCode, GrpcError, Health, HealthCheckResponse_ServingStatus, type Client } from "@tapefleet/proto";
import { freePort, provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { ScsiDevice, UnitAttentionError } from "@tapefleet/scsi";
import { createLibrary, createVtlTransport, startVtlServer, type VirtualLibrary, type VtlServer } from "@tapefleet/vtl";
import type { DeviceScanAnswer } from "../../src/fleet.ts";
import { sgDevicesSource } from "../../src/sg-devices.ts";
import { buildForwardingLibrary, forwardingSpec, openSgDevice, SGFWD_ENV, type ForwardedDevice } from "../../src/sg/index.ts";
import { startVtlFixture } from "../sg/helpers/vtl-fixture.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

const LIB = "sglib";
const DRIVE0 = "TFS9000001";
const DRIVE1 = "TFS8000002";
const CHANGER = "TFSLIB0001";
/** The paths the agent is configured with: a by-id alias of drive 0, the sg node of drive 1, the changer's by-id alias (devices are listed drives first, then by path). */
const PATHS = { drive0: `/dev/tape/by-id/scsi-${DRIVE0}-sg`, drive1: "/dev/sg-vtl1", changer: `/dev/tape/by-id/scsi-${CHANGER}` };
const UUID1 = "5e1f0c2a-7b3d-4e8f-9a10-b2c3d4e5f601";
const UUID2 = "5e1f0c2a-7b3d-4e8f-9a10-b2c3d4e5f602";
const UUID3 = "5e1f0c2a-7b3d-4e8f-9a10-b2c3d4e5f603";
const MIB = 1024 * 1024;
/** Bytes per second of the throttled drive: the 256 KiB label block takes about 8 s. */
const THROTTLE = 32 * 1024;

const SPEC = {
  libraries: [
    {
      name: LIB,
      slots: 8,
      importExportSlots: 1,
      serial: CHANGER,
      drives: [
        { generation: 9, serial: DRIVE0 },
        { generation: 8, serial: DRIVE1 },
      ],
      cartridges: [
        { barcode: "S00001L9", slot: 1 },
        { barcode: "S00002L8", slot: 2 },
        { barcode: "S00003L8", slot: 3 },
        { barcode: "CLNS01L1", slot: 8 },
      ],
    },
  ],
  defaults: { capacityBytes: 64 * MIB },
  timing: { loadMs: 50, cleaningMs: 300, calibrationMs: 600_000, powerOnUnitAttention: true },
};

let env: TestEnv;
let dir: string;
let library: VirtualLibrary;
let server: VtlServer;
let child: ChildProcess | undefined;
let exited: Promise<void> = Promise.resolve();
let hasExited = false;
let logFile: string;
let grpcAddress: string;
let client: Client<typeof DeviceAgentService>;
let bus: Bus;

function logTail(): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}

async function stopAgent(): Promise<void> {
  if (client) closeClient(client);
  if (child && !hasExited) child.kill("SIGTERM");
  const timer = setTimeout(() => !hasExited && child?.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  env = await provisionTestEnv("sgproc");
  dir = mkdtempSync(join(tmpdir(), "tf-sg-process-"));
  const forwardingLibrary = await buildForwardingLibrary();
  library = await createLibrary(join(dir, "library"), SPEC);
  const socketPath = join(dir, "vtl.sock");
  server = await startVtlServer({ library, socketPath });
  const forwarded: ForwardedDevice[] = [
    { path: "/dev/sg-vtl0", aliases: [PATHS.drive0], socketPath, deviceId: `${LIB}/drive0` },
    { path: "/dev/sg-vtl1", aliases: [`/dev/tape/by-id/scsi-${DRIVE1}-sg`], socketPath, deviceId: `${LIB}/drive1` },
    { path: "/dev/sg-vtl2", aliases: [PATHS.changer], socketPath, deviceId: `${LIB}/changer` },
  ];
  grpcAddress = `127.0.0.1:${await freePort()}`;
  logFile = join(dir, "agent.log");
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env.serviceEnv(),
    TAPEFLEET_HOST_ID: "sg-host",
    TAPEFLEET_GRPC_ADDRESS: grpcAddress,
    TAPEFLEET_HTTP_PORT: "0",
    TAPEFLEET_DEVICES: JSON.stringify([{ path: PATHS.drive0 }, { path: PATHS.drive1 }, { path: PATHS.changer }]),
    TAPEFLEET_SG_LIBRARY: forwardingLibrary,
    [SGFWD_ENV]: forwardingSpec(forwarded),
    TAPEFLEET_READY_POLL_MS: "50",
    TAPEFLEET_LOG_LEVEL: "info",
  };
  delete childEnv["TAPEFLEET_VTL_DIR"];
  delete childEnv["TAPEFLEET_VTL_SPEC"];
  delete childEnv["TAPEFLEET_CONFIG_FILE"];
  delete childEnv["LD_PRELOAD"];
  const fd = openSync(logFile, "a");
  try {
    child = spawn(process.execPath, ["--import", "tsx", MAIN], { cwd: REPO, env: childEnv, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const proc = child;
  exited = new Promise<void>((resolve) => proc.once("exit", () => ((hasExited = true), resolve())));
  client = createClient(DeviceAgentService, grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 60_000 });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (hasExited) throw new Error(`the agent exited during start:\n${logTail()}`);
    try {
      await client.getAgentInfo({}, { timeoutMs: 1000 });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the agent did not answer gRPC in time:\n${logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "sg-process-test", logger: createLogger({ service: "t", level: "silent" }) });
}, 150_000);

afterAll(async () => {
  await bus?.close();
  await stopAgent();
  await server?.close();
  await library?.close();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Collects a streaming rpc: progress messages and the final result. */
async function collect<T extends { event: { case: string | undefined; value?: unknown } }>(stream: AsyncIterable<T>) {
  const progress: Array<{ message: string; activity: string; percent?: number }> = [];
  let result: unknown;
  for await (const m of stream) {
    if (m.event.case === "progress") progress.push(m.event.value as { message: string; activity: string });
    else if (m.event.case === "result") result = m.event.value;
  }
  return { progress, result: result as Record<string, unknown> };
}

/** TEST UNIT READY until the drive answers GOOD (after the power-on unit attention and the load). */
async function untilReady(drive: ScsiDevice): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await drive.testUnitReady();
      return;
    } catch (e) {
      if (i > 500) throw e;
      await new Promise((r) => setTimeout(r, e instanceof UnitAttentionError ? 0 : 20));
    }
  }
}

async function failure(p: Promise<unknown> | AsyncIterable<unknown>): Promise<GrpcError> {
  try {
    if (Symbol.asyncIterator in (p as object)) for await (const _ of p as AsyncIterable<unknown>) void _;
    else await p;
  } catch (e) {
    if (e instanceof GrpcError) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("device agent process on SG_IO through the forwarding library", () => {
  it("lists the configured paths as real (not virtual) devices with identities from INQUIRY and VPD 0x80", async () => {
    const info = await client.getAgentInfo({});
    expect({ hostId: info.agent?.hostId, grpcAddress: info.agent?.grpcAddress }).toEqual({ hostId: "sg-host", grpcAddress });
    const list = await client.listDevices({});
    expect(list.devices.map((d) => [d.serial, d.kind, d.path, d.state, d.virtual, d.generation])).toEqual([
      [DRIVE1, DeviceKind.TAPE_DRIVE, PATHS.drive1, DeviceState.ONLINE, false, "LTO-8"],
      [DRIVE0, DeviceKind.TAPE_DRIVE, PATHS.drive0, DeviceState.ONLINE, false, "LTO-9"],
      [CHANGER, DeviceKind.MEDIUM_CHANGER, PATHS.changer, DeviceState.ONLINE, false, undefined],
    ]);
    // Identity as the library reports it on the wire (what a kernel sg node would give).
    const served = new Map(library.listDevices().map((d) => [d.serial, d]));
    for (const d of list.devices) {
      const s = served.get(d.serial);
      expect({ vendor: d.vendor, model: d.model, revision: d.revision }).toEqual({ vendor: s?.vendor, model: s?.product, revision: s?.revision });
    }
    const changers = await client.listDevices({ kinds: [DeviceKind.MEDIUM_CHANGER] });
    expect(changers.devices.map((d) => d.id)).toEqual([CHANGER]);
  });

  it("answers device.scan on NATS with the same devices", async () => {
    let mine: DeviceScanAnswer | undefined;
    await expect
      .poll(
        async () => {
          mine = (await bus.gather<DeviceScanAnswer>("device.scan", {}, 1500)).find((a) => a.hostId === "sg-host");
          return mine !== undefined;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    expect(mine!.grpcAddress).toBe(grpcAddress);
    expect(mine!.devices.map((d) => [d.serial, d.kind, d.path, d.online, d.virtual])).toEqual([
      [DRIVE1, "drive", PATHS.drive1, true, false],
      [DRIVE0, "drive", PATHS.drive0, true, false],
      [CHANGER, "changer", PATHS.changer, true, false],
    ]);
    const drives = (await bus.gather<DeviceScanAnswer>("device.scan", { kind: "drive" }, 1500)).find((a) => a.hostId === "sg-host");
    expect(drives?.devices.map((d) => d.serial)).toEqual([DRIVE1, DRIVE0]);
  });

  it("reports the changer status with barcodes, drive serials and the agent's drive paths", async () => {
    const st = await client.getChangerStatus({ device: PATHS.changer });
    expect(st.status?.serial).toBe(CHANGER);
    expect(st.status?.drives.map((d) => [d.driveNumber, d.serial, d.path, d.full])).toEqual([
      [0, DRIVE0, PATHS.drive0, false],
      [1, DRIVE1, PATHS.drive1, false],
    ]);
    expect(st.status?.slots.filter((s) => s.full).map((s) => [s.slot, s.labelText, s.cleaning])).toEqual([
      [1, "S00001L9", false],
      [2, "S00002L8", false],
      [3, "S00003L8", false],
      [8, "CLNS01L1", true],
    ]);
    expect(st.status?.slots.filter((s) => s.importExport).map((s) => s.slot)).toEqual([9]);
    expect((await client.listOnlineLabels({ device: CHANGER })).labelTexts).toEqual(["S00001L9", "S00002L8", "S00003L8"]);
  });

  it("loads, refuses a tape with data, formats, labels, reads the label, refuses to label again, reports the drive status, and unloads", async () => {
    const load = await collect(client.loadMedia({ device: CHANGER, driveNumber: 0, source: { case: "labelText", value: "S00001L9" }, waitReady: true }));
    expect(load.result).toMatchObject({ labelText: "S00001L9", fromSlot: 1, alreadyLoaded: false });
    expect(load.progress.some((p) => p.activity === "loading")).toBe(true);
    expect(library.locate("S00001L9")).toEqual({ drive: `${LIB}/drive0` });

    // Another program's data on the tape (four 256 KiB blocks and a filemark, written past the agent).
    const foreign = createVtlTransport(library, `${LIB}/drive0`);
    try {
      const raw = new ScsiDevice(foreign);
      await untilReady(raw);
      await raw.rewind();
      for (let i = 0; i < 4; i++) await raw.writeBlock(new Uint8Array(256 * 1024).fill(i + 1));
      await raw.writeFilemarks(1, false);
    } finally {
      await foreign.close();
    }
    const withData = await failure(client.labelMedia({ device: DRIVE0, labelText: "S00001L9", uuid: UUID1, ctime: 1700000000n }));
    expect([withData.code, withData.reason]).toEqual([GrpcCode.FAILED_PRECONDITION, "MEDIUM_NOT_EMPTY"]);
    const format = await collect(client.formatMedia({ device: PATHS.drive0 }));
    expect(format.result).toMatchObject({ density: "LTO-9" });
    expect((await client.readLabel({ device: DRIVE0 })).empty).toBe(true);

    const label = await collect(client.labelMedia({ device: DRIVE0, labelText: "S00001L9", uuid: UUID1, ctime: 1700000000n, pool: "weekly" }));
    expect(label.result).toMatchObject({ label: { labelText: "S00001L9", uuid: UUID1, ctime: 1700000000n, pool: "weekly" }, warnings: [] });
    expect(label.progress.map((p) => p.activity)).toEqual(expect.arrayContaining(["writing-label", "verifying", "done"]));

    const read = await client.readLabel({ device: PATHS.drive0 });
    expect(read).toMatchObject({ empty: false, mediaLabel: { labelText: "S00001L9", uuid: UUID1, ctime: 1700000000n, pool: "weekly" } });

    const refused = await failure(client.labelMedia({ device: DRIVE0, labelText: "S00001L9", uuid: UUID2, ctime: 1700000001n }));
    expect(refused.code).toBe(GrpcCode.FAILED_PRECONDITION);
    expect(refused.reason).toBe("MEDIUM_NOT_EMPTY");
    expect(refused.message).toMatch(/format it first/);

    // ReadLabel rewound: once the drive no longer reports activity, the position is file 0, block 0.
    let status: Awaited<ReturnType<typeof client.getDriveStatus>>["status"];
    await expect
      .poll(
        async () => {
          status = (await client.getDriveStatus({ device: DRIVE0 })).status;
          return status?.fileNumber !== undefined;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
    const record = library.cartridge("S00001L9");
    expect(status).toMatchObject({
      serial: DRIVE0,
      ready: true,
      mediumPresent: true,
      density: "LTO-9",
      writeProtect: false,
      worm: false,
      fileNumber: 0n,
      blockNumber: 0n,
      volumeMounts: BigInt(record.loadCount),
      bytesWritten: BigInt(Math.floor(record.bytesWritten / MIB) * MIB),
      bytesRead: BigInt(Math.floor(record.bytesRead / MIB) * MIB),
      notes: [],
    });
    expect(status?.volumeMounts).toBe(1n);
    // MAM counts whole MiB: the foreign 1 MiB plus the label block.
    expect(record.bytesWritten).toBeGreaterThan(MIB);
    expect(status?.bytesWritten).toBe(BigInt(MIB));

    const mam = await client.readCartridgeMemory({ device: PATHS.drive0 });
    expect(mam.attributes.find((a) => a.id === 0x0803)?.value).toBe("S00001L9");
    expect(mam.attributes.find((a) => a.id === 0x0808)?.value).toBe("weekly");

    const unload = await collect(client.unloadMedia({ device: PATHS.changer, driveNumber: 0 }));
    expect(unload.result).toMatchObject({ slot: 1, labelText: "S00001L9" });
    const st = await client.getChangerStatus({ device: CHANGER });
    expect(st.status?.drives[0]?.full).toBe(false);
    expect(st.status?.slots.find((s) => s.slot === 1)).toMatchObject({ full: true, labelText: "S00001L9" });
    expect(library.locate("S00001L9")).toEqual({ library: LIB, slot: 1 });
  });

  it("answers on the changer, the other drive and health while a throttled label write holds a drive", async () => {
    await collect(client.loadMedia({ device: CHANGER, driveNumber: 1, source: { case: "slot", value: 2 }, waitReady: true }));
    library.setThrottle(`${LIB}/drive1`, THROTTLE);
    const activities: string[] = [];
    let ended = false;
    const labelling = (async () => {
      for await (const m of client.labelMedia({ device: DRIVE1, labelText: "S00002L8", uuid: UUID3, ctime: 1700000100n })) {
        if (m.event.case === "progress") activities.push(m.event.value.activity);
        else if (m.event.case === "result") return m.event.value;
      }
      return undefined;
    })().finally(() => (ended = true));
    const outcome = labelling.catch((e: unknown) => e);
    await expect.poll(() => activities.includes("writing-label"), { timeout: 30_000, interval: 20 }).toBe(true);

    const changer = await client.getChangerStatus({ device: PATHS.changer });
    const other = await client.getDriveStatus({ device: DRIVE0 });
    const labels = await client.listOnlineLabels({ device: CHANGER });
    const health = createClient(Health, grpcAddress, credentials.createInsecure(), { defaultTimeoutMs: 10_000 });
    const h = await health.check({ service: "" });
    closeClient(health);
    const busy = await failure(client.rewind({ device: DRIVE1 }));
    expect({
      ended,
      loaded: changer.status?.drives.map((d) => d.labelText),
      other: other.status?.serial,
      otherMedium: other.status?.mediumPresent,
      labels: labels.labelTexts,
      health: h.status,
      busy: [busy.code, busy.reason],
    }).toEqual({
      ended: false,
      loaded: [undefined, "S00002L8"],
      other: DRIVE0,
      otherMedium: false,
      labels: ["S00001L9", "S00002L8", "S00003L8"],
      health: HealthCheckResponse_ServingStatus.SERVING,
      busy: [GrpcCode.FAILED_PRECONDITION, "DRIVE_BUSY"],
    });
    expect(busy.message).toContain(DRIVE1);

    library.setThrottle(`${LIB}/drive1`, 0); // the verify read runs at full speed
    const result = await outcome;
    expect(result).toMatchObject({ label: { labelText: "S00002L8", uuid: UUID3 } });
    expect((await client.readLabel({ device: PATHS.drive1 })).mediaLabel?.uuid).toBe(UUID3);

    const unload = await collect(client.unloadMedia({ device: CHANGER, driveNumber: 1 }));
    expect(unload.result).toMatchObject({ slot: 2, labelText: "S00002L8" });
  });

  it("refuses unknown devices and wrong kinds with stable reasons", async () => {
    const unknown = await failure(client.getDriveStatus({ device: "/dev/sg-vtl9" }));
    expect([unknown.code, unknown.reason]).toEqual([GrpcCode.NOT_FOUND, "NO_SUCH_DEVICE"]);
    const wrong = await failure(client.getChangerStatus({ device: DRIVE0 }));
    expect(wrong.reason).toBe("WRONG_DEVICE_KIND");
  });
});

describe("the SG_IO device source next to a drive busy with a long command", () => {
  it("lists the last known identity while a fresh probe waits behind a throttled WRITE", async () => {
    const path = `/dev/sg-tfsp-${process.pid}-0`;
    const spec = { drives: [{ name: "tape0", generation: 8, serial: "TFS8000009", cartridge: { barcode: "S00009L8" } }], defaults: { capacityBytes: 64 * MIB }, timing: { loadMs: 50 } };
    const fixture = await startVtlFixture(spec, [{ path, deviceId: "tape0" }]);
    try {
      // Probes expire at once: every list() after the first one wants to open the drive again.
      const source = sgDevicesSource([path], { systemLibrary: fixture.forwardingLibrary, probeTtlMs: 0 });
      expect((await source.list()).map((d) => [d.serial, d.state])).toEqual([["TFS8000009", "online"]]);
      const transport = await openSgDevice(path, { library: fixture.forwardingLibrary });
      try {
        const drive = new ScsiDevice(transport);
        await untilReady(drive);
        await drive.rewind();
        fixture.library.setThrottle("tape0", 64 * 1024); // 256 KiB: about 4 s in the WRITE
        let written = false;
        const write = drive.writeBlock(new Uint8Array(256 * 1024)).then(() => (written = true));
        await expect.poll(() => fixture.library.cartridge("S00009L8").bytesWritten, { timeout: 30_000, interval: 10 }).toBeGreaterThan(0);
        // The WRITE has reached the drive and sleeps in the throttle: a probe now queues behind it.
        const first = await source.list();
        const second = await source.list();
        expect({ written, first: first.map((d) => [d.serial, d.state]), second: second.map((d) => [d.serial, d.state]) }).toEqual({
          written: false,
          first: [["TFS8000009", "online"]],
          second: [["TFS8000009", "online"]],
        });
        await write;
        fixture.library.setThrottle("tape0", 0);
      } finally {
        await transport.close();
      }
    } finally {
      await fixture.close();
    }
  });
});
