import { describe, expect, it } from "vitest";
import type { ChangerConfig, DeviceLocation, DriveConfig, MediaEntry, MediaPoolConfig, RegisterMediaRequest, TapeLabelInfo } from "@tapefleet/api-types";
import { TapefleetError, NotFoundError } from "@tapefleet/common";
import type { AgentPort, ChangerDrive, ChangerTarget, DeviceTarget } from "./agent-port.ts";
import { DeviceOps } from "./device-ops.ts";
import { pickDevice, type InventoryPort } from "./inventory-port.ts";
import { exitStatusOf, type TaskContext, type TaskSpec } from "./task-registry.ts";
import { DeviceAgentError } from "./converters.ts";

const loc = (kind: "drive" | "changer", serial: string, path: string, host = "host-a", online = true): DeviceLocation => ({
  "host-id": host,
  "grpc-address": `${host}:8008`,
  serial,
  path,
  kind,
  vendor: "V",
  model: "M",
  online,
  "last-seen": "2026-01-01T00:00:00.000Z",
});

class FakeInventory implements InventoryPort {
  media = new Map<string, MediaEntry>();
  online: { changer: string; tags: string[] }[] = [];
  drivesCfg: DriveConfig[] = [{ name: "d1", path: "/dev/tape/by-id/scsi-TFD1-sg", changer: "lib1" }, { name: "solo", path: "/dev/tape/by-id/scsi-TFD2-sg" }];
  changersCfg: ChangerConfig[] = [{ name: "lib1", path: "/dev/tape/by-id/scsi-TFC1", "export-slots": [16] }];
  locs = [loc("drive", "TFD1", "vtl:lib1/drive0"), loc("drive", "TFD2", "vtl:lib2/drive0"), loc("changer", "TFC1", "vtl:lib1/changer")];
  async drive(name: string) {
    const d = this.drivesCfg.find((x) => x.name === name);
    if (!d) throw new NotFoundError("drive", name);
    return d;
  }
  async changer(name: string) {
    const c = this.changersCfg.find((x) => x.name === name);
    if (!c) throw new NotFoundError("changer", name);
    return c;
  }
  pools: MediaPoolConfig[] = [{ name: "daily", retention: "7days" }, { name: "archive", retention: "keep" }, { name: "plain" }];
  async pool(name: string) {
    const p = this.pools.find((x) => x.name === name);
    if (!p) throw new NotFoundError("media pool", name);
    return p;
  }
  async drives() {
    return this.drivesCfg;
  }
  async changers() {
    return this.changersCfg;
  }
  async locations(kind: "drive" | "changer") {
    return this.locs.filter((l) => l.kind === kind);
  }
  async scan(kind: "drive" | "changer") {
    return this.locations(kind);
  }
  async findMedia(sel: { uuid?: string; "label-text"?: string }) {
    return [...this.media.values()].find((m) => m.uuid === sel.uuid || m["label-text"] === sel["label-text"]);
  }
  async registerMedia(req: RegisterMediaRequest) {
    const e: MediaEntry = { uuid: req.uuid, "label-text": req["label-text"], ctime: req.ctime, status: "unknown", location: req.location ?? "offline", worm: false };
    if (req.pool) e.pool = req.pool;
    this.media.set(e.uuid, e);
    return e;
  }
  async updateMedia(req: { uuid?: string; location?: string }) {
    const m = this.media.get(req.uuid!)!;
    if (req.location) m.location = req.location;
    return m;
  }
  async removeMedia(sel: { uuid?: string }) {
    const m = this.media.get(sel.uuid!);
    this.media.delete(sel.uuid!);
    return m;
  }
  async setOnline(changer: string, tags: readonly string[]) {
    this.online.push({ changer, tags: [...tags] });
    return [];
  }
}

/** A changer with tapes by tag; `content` says what each tape holds. */
class FakeAgent implements AgentPort {
  calls: string[] = [];
  loaded: string | undefined;
  content = new Map<string, TapeLabelInfo | "empty" | "data">();
  /** Tags of WORM cartridges (the drive status of a loaded one says `worm: true`). */
  worm = new Set<string>();
  statusCalls: string[] = [];
  /** TapeAlert flags the drive reports after a cleaning cycle. */
  cleanFlags: string[] = [];
  constructor(readonly tags: string[]) {}
  async driveStatus() {
    this.statusCalls.push(this.loaded ?? "-");
    return this.loaded === undefined ? { "medium-present": false } : { "medium-present": true, worm: this.worm.has(this.loaded) };
  }
  async cartridgeMemory() {
    return [];
  }
  async volumeStatistics() {
    return {};
  }
  async readLabel(_d: DeviceTarget) {
    this.calls.push(`read-label ${this.loaded}`);
    const c = this.content.get(this.loaded!) ?? "empty";
    if (c === "data") throw new DeviceAgentError("CONFLICT", "media is not empty (no media label found)", "MEDIUM_NOT_EMPTY", 9);
    return c === "empty" ? undefined : c;
  }
  async rewind() {}
  async eject() {}
  async erase() {
    this.calls.push("erase");
  }
  async format(_d: DeviceTarget, fast: boolean) {
    this.calls.push(`format fast=${fast}`);
    this.content.set(this.loaded!, "empty");
    return { worm: false, steps: [] };
  }
  async label(d: DeviceTarget, l: { labelText: string; uuid: string; ctime: number; pool?: string | undefined }) {
    this.calls.push(`label ${d.serial} ${l.labelText} ${l.pool ?? "-"}`);
    this.content.set(this.loaded!, { "label-text": l.labelText, uuid: l.uuid, ctime: l.ctime });
    return { warnings: [] };
  }
  async changerStatus() {
    return { entries: [], online: this.tags };
  }
  async onlineLabels(c: ChangerTarget) {
    this.calls.push(`online-labels ${c.serial} export=${c.exportSlots.join(",")}`);
    return this.tags.filter((t) => !t.startsWith("CLN")).sort();
  }
  async transfer() {
    return undefined;
  }
  async load(cd: ChangerDrive, source: { slot: number } | { labelText: string }) {
    const tag = "labelText" in source ? source.labelText : `slot${source.slot}`;
    this.calls.push(`load ${tag} into ${cd.driveNumber}`);
    this.loaded = tag;
    return { labelText: tag, fromSlot: 1, alreadyLoaded: false };
  }
  async unload() {
    this.calls.push(`unload ${this.loaded}`);
    const out = { slot: 1, labelText: this.loaded! };
    this.loaded = undefined;
    return out;
  }
  async exportMedia() {
    return 16;
  }
  async inventoryScan() {
    return { entries: [], online: [] };
  }
  async clean() {
    this.calls.push("clean");
    return { cleaningLabelText: "CLN001L1", cleaningSlot: 15, cleaningMounts: 3, alertFlags: [...this.cleanFlags] };
  }
  close() {}
}

/** Runs tasks inline, recording their log and exit status. */
class InlineTasks {
  logs: string[] = [];
  status = "";
  async start(spec: TaskSpec, run: (ctx: TaskContext) => Promise<void>): Promise<string> {
    let warnings = 0;
    const ctx: TaskContext = {
      upid: `UPID:test:${spec.workerType}`,
      signal: new AbortController().signal,
      log: (t) => this.logs.push(t),
      warn: (t) => {
        warnings++;
        this.logs.push(`WARN: ${t}`);
      },
      error: (t) => this.logs.push(`ERROR: ${t}`),
      progress: (_fields, label) => this.logs.push(`PROGRESS: ${label ?? ""}`),
    };
    let error: unknown;
    try {
      await run(ctx);
    } catch (err) {
      error = err;
    }
    this.status = exitStatusOf(error, warnings, false);
    return ctx.upid;
  }
}

function setup(tags: string[]) {
  const inv = new FakeInventory();
  const agent = new FakeAgent(tags);
  const tasks = new InlineTasks();
  let n = 0;
  const ops = new DeviceOps(inv, agent, tasks, { now: () => 1700000000, newUuid: () => `00000000-0000-4000-8000-00000000000${++n}` });
  return { inv, agent, tasks, ops };
}

describe("barcode-label", () => {
  it("labels the online tapes not in the inventory, in sorted order, skipping cleaning, labelled and non-empty tapes", async () => {
    const { inv, agent, tasks, ops } = setup(["TF0004L9", "CLN001L1", "TF0003L9", "TF0001L9", "TF0002L9", "TF0005L9"]);
    await inv.registerMedia({ uuid: "11111111-1111-4111-8111-111111111111", "label-text": "TF0002L9", ctime: 1 });
    agent.content.set("TF0003L9", { "label-text": "OTHER", uuid: "22222222-2222-4222-8222-222222222222", ctime: 2 });
    agent.content.set("TF0004L9", "data");
    const r = await ops.run("barcode-label", { drive: "d1", pool: "daily" }, "admin");
    expect(r).toEqual({ upid: "UPID:test:barcode-label-media" });
    expect(agent.calls).toEqual([
      "online-labels TFC1 export=16",
      "load TF0001L9 into 0",
      "read-label TF0001L9",
      "label TFD1 TF0001L9 daily",
      "load TF0003L9 into 0",
      "read-label TF0003L9",
      "load TF0004L9 into 0",
      "read-label TF0004L9",
      "load TF0005L9 into 0",
      "read-label TF0005L9",
      "label TFD1 TF0005L9 daily",
    ]);
    expect(agent.loaded).toBe("TF0005L9");
    const labelled = [...inv.media.values()].filter((m) => m.pool === "daily");
    expect(labelled.map((m) => [m["label-text"], m.location, m.ctime])).toEqual([
      ["TF0001L9", "online-lib1", 1700000000],
      ["TF0005L9", "online-lib1", 1700000000],
    ]);
    expect(inv.online).toEqual([{ changer: "lib1", tags: ["TF0001L9", "TF0002L9", "TF0003L9", "TF0004L9", "TF0005L9"] }]);
    expect(tasks.logs.join("\n")).toContain("barcode-label: 2 labeled, 3 skipped");
    expect(tasks.status).toBe("WARNINGS: 2");
  });

  it("needs a changer and an existing pool", async () => {
    const { ops, tasks } = setup(["TF0001L9"]);
    await expect(ops.run("barcode-label", { drive: "solo" }, "admin")).rejects.toMatchObject({ code: "VALIDATION", message: /has no changer/ });
    await ops.run("barcode-label", { drive: "d1", pool: "nopool" }, "admin");
    expect(tasks.status).toBe("pool: media pool 'nopool' does not exist");
  });
});

describe("WORM cartridges", () => {
  it("barcode-label skips a WORM cartridge when the pool's retention is not 'keep', before writing to it", async () => {
    const { inv, agent, tasks, ops } = setup(["TFW001LZ", "TF0001L9"]);
    agent.worm.add("TFW001LZ");
    await ops.run("barcode-label", { drive: "d1", pool: "daily" }, "admin");
    expect(agent.calls).toEqual([
      "online-labels TFC1 export=16",
      "load TF0001L9 into 0",
      "read-label TF0001L9",
      "label TFD1 TF0001L9 daily",
      "load TFW001LZ into 0",
      "read-label TFW001LZ",
    ]);
    expect(agent.statusCalls).toEqual(["TF0001L9", "TFW001LZ"]);
    expect(tasks.logs).toContain("WARN: WORM medium TFW001LZ needs a pool with retention 'keep'; pool 'daily' has '7days': skipped");
    expect(tasks.logs.join("\n")).toContain("barcode-label: 1 labeled, 1 skipped");
    expect(tasks.status).toBe("WARNINGS: 1");
    expect([...inv.media.values()].map((m) => m["label-text"])).toEqual(["TF0001L9"]);
  });

  it("barcode-label labels WORM cartridges into a 'keep' pool (explicit or by default) without asking the drive", async () => {
    for (const pool of ["archive", "plain"]) {
      const { inv, agent, tasks, ops } = setup(["TFW001LZ", "TFW002LZ"]);
      agent.worm.add("TFW001LZ").add("TFW002LZ");
      await ops.run("barcode-label", { drive: "d1", pool }, "admin");
      expect(tasks.status).toBe("OK");
      expect(agent.calls.filter((c) => c.startsWith("label "))).toEqual([`label TFD1 TFW001LZ ${pool}`, `label TFD1 TFW002LZ ${pool}`]);
      expect(agent.statusCalls).toEqual([]);
      expect([...inv.media.values()].map((m) => [m["label-text"], m.pool])).toEqual([
        ["TFW001LZ", pool],
        ["TFW002LZ", pool],
      ]);
    }
  });

  it("label refuses a WORM cartridge for a pool whose retention is not 'keep' with a VALIDATION error naming pool", async () => {
    const { inv, agent, tasks, ops } = setup([]);
    agent.loaded = "TFW001LZ";
    agent.worm.add("TFW001LZ");
    const errors: unknown[] = [];
    const start = tasks.start.bind(tasks);
    tasks.start = (spec, run) =>
      start(spec, async (ctx) => {
        try {
          await run(ctx);
        } catch (err) {
          errors.push(err);
          throw err;
        }
      });
    await ops.run("label", { drive: "solo", "label-text": "TFW001LZ", pool: "daily" }, "admin");
    expect(tasks.status).toBe("pool: WORM medium TFW001LZ needs a pool with retention 'keep'; pool 'daily' has '7days'");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TapefleetError);
    expect(errors[0]).toMatchObject({ code: "VALIDATION" });
    expect((errors[0] as Error).message).toMatch(/^pool: WORM medium TFW001LZ/);
    expect(agent.calls).toEqual([]);
    expect(inv.media.size).toBe(0);

    await ops.run("label", { drive: "solo", "label-text": "TFW001LZ", pool: "archive" }, "admin");
    expect(tasks.status).toBe("OK");
    expect(agent.calls).toEqual(["label TFD2 TFW001LZ archive"]);
  });

  it("label writes a non-WORM cartridge into a pool with any retention", async () => {
    const { agent, tasks, ops } = setup([]);
    agent.loaded = "TF0001L9";
    await ops.run("label", { drive: "solo", "label-text": "TF0001L9", pool: "daily" }, "admin");
    expect(tasks.status).toBe("OK");
    expect(agent.statusCalls).toEqual(["TF0001L9"]);
    expect(agent.calls).toEqual(["label TFD2 TF0001L9 daily"]);
  });
});

describe("label", () => {
  it("labels with a fresh uuid and ctime and registers the medium; a known label text is refused", async () => {
    const { inv, agent, tasks, ops } = setup([]);
    agent.loaded = "X";
    await ops.run("label", { drive: "solo", "label-text": "TAPE01" }, "admin");
    expect(tasks.status).toBe("OK");
    expect(agent.calls).toEqual(["label TFD2 TAPE01 -"]);
    expect([...inv.media.values()]).toEqual([
      { uuid: "00000000-0000-4000-8000-000000000001", "label-text": "TAPE01", ctime: 1700000000, status: "unknown", location: "offline", worm: false },
    ]);
    await ops.run("label", { drive: "solo", "label-text": "TAPE01" }, "admin");
    expect(tasks.status).toMatch(/media with label 'TAPE01' already exists in the inventory/);
    expect(agent.calls).toHaveLength(1);
  });
});

describe("inventory update", () => {
  it("reads the labels of unknown tapes, registers them, warns on a mismatch, and unloads at the end", async () => {
    const { inv, agent, tasks, ops } = setup(["TF0001L9", "TF0002L9", "TF0003L9"]);
    agent.content.set("TF0001L9", { "label-text": "TF0001L9", uuid: "33333333-3333-4333-8333-333333333333", ctime: 5, pool: "daily" });
    agent.content.set("TF0002L9", { "label-text": "WRONG", uuid: "44444444-4444-4444-8444-444444444444", ctime: 6 });
    await ops.run("inventory", { drive: "d1" }, "admin");
    expect([...inv.media.values()].map((m) => [m["label-text"], m.uuid, m.location])).toEqual([["TF0001L9", "33333333-3333-4333-8333-333333333333", "online-lib1"]]);
    expect(tasks.logs.join("\n")).toMatch(/label text mismatch.*TF0002L9.*WRONG/);
    expect(tasks.logs).toContain("media 'TF0003L9' is empty");
    expect(agent.calls.at(-1)).toBe("unload TF0003L9");
    expect(tasks.status).toBe("WARNINGS: 1");
  });
});

describe("format and clean", () => {
  it("format checks the expected label, drops the medium from the inventory, then formats", async () => {
    const { inv, agent, tasks, ops } = setup(["TF0001L9"]);
    const uuid = "55555555-5555-4555-8555-555555555555";
    await inv.registerMedia({ uuid, "label-text": "TF0001L9", ctime: 1 });
    agent.content.set("TF0001L9", { "label-text": "TF0001L9", uuid, ctime: 1 });
    // The cartridge with barcode TF0002L9 carries the label of TF0001L9.
    agent.content.set("TF0002L9", { "label-text": "TF0001L9", uuid, ctime: 1 });
    await ops.run("format", { drive: "d1", "label-text": "TF0002L9" }, "admin");
    expect(tasks.status).toBe("wrong media label: expected 'TF0002L9', found 'TF0001L9'");
    expect(inv.media.size).toBe(1);
    await ops.run("format", { drive: "d1", "label-text": "TF0001L9" }, "admin");
    expect(tasks.status).toBe("OK");
    expect(inv.media.size).toBe(0);
    expect(agent.calls.filter((c) => c.startsWith("format"))).toEqual(["format fast=true"]);
  });

  it("clean logs the cleaning cartridge and its wear", async () => {
    const { tasks, ops } = setup([]);
    await ops.run("clean", { drive: "d1" }, "admin");
    expect(tasks.status).toBe("OK");
    expect(tasks.logs).toContain("cleaning cartridge wear: 6% (3 uses of 50)");
  });

  it("clean: the cleaning cartridge's own flag is expected; any other flag is a warning", async () => {
    const a = setup([]);
    a.agent.cleanFlags = ["CLEANING_MEDIA"];
    await a.ops.run("clean", { drive: "d1" }, "admin");
    expect(a.tasks.status).toBe("OK");
    expect(a.tasks.logs).toContain("TapeAlert CLEANING_MEDIA (a cleaning cartridge was loaded): expected");
    const b = setup([]);
    b.agent.cleanFlags = ["CLEANING_MEDIA", "CLEAN_NOW"];
    await b.ops.run("clean", { drive: "d1" }, "admin");
    expect(b.tasks.status).toBe("WARNINGS: 1");
    expect(b.tasks.logs).toContain("WARN: TapeAlert flags after cleaning: CLEAN_NOW");
  });
});

describe("device resolution", () => {
  it("picks the one online device whose path or serial matches; none or several is an error naming the device", () => {
    const locs = [loc("drive", "TFD1", "vtl:lib1/drive0"), loc("drive", "TFD9", "vtl:lib9/drive0", "host-b", false)];
    expect(pickDevice("drive", "d1", "/dev/tape/by-id/scsi-TFD1-sg", locs)).toEqual({ hostId: "host-a", grpcAddress: "host-a:8008", serial: "TFD1", path: "vtl:lib1/drive0" });
    expect(() => pickDevice("drive", "d9", "/dev/tape/by-id/scsi-TFD9-sg", locs)).toThrow(/no online device agent has drive 'd9'.*last seen on host 'host-b'/);
    expect(() => pickDevice("drive", "dx", "/dev/sg7", locs)).toThrow(/no agent has announced it/);
    const twice = [loc("drive", "TFD1", "vtl:lib1/drive0"), loc("drive", "TFD1", "vtl:lib1/drive0", "host-b")];
    let err: unknown;
    try {
      pickDevice("drive", "d1", "TFD1", twice);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TapefleetError);
    expect((err as TapefleetError).code).toBe("CONFLICT");
    expect((err as TapefleetError).message).toMatch(/ambiguous.*host-a, host-b/);
  });

  it("a transfer updates which tapes are online in the inventory (an imported tape is usable at once)", async () => {
    const { inv, agent, ops } = setup(["TF0002L9", "TF0001L9"]);
    expect(await ops.run("transfer", { changer: "lib1", from: 17, to: 4 }, "admin")).toBeNull();
    expect(agent.calls).toEqual(["online-labels TFC1 export=16"]);
    expect(inv.online).toEqual([{ changer: "lib1", tags: ["TF0001L9", "TF0002L9"] }]);
  });

  it("refuses unknown parameters and names the field", async () => {
    const { ops } = setup([]);
    await expect(ops.run("transfer", { changer: "lib1", from: 1 }, "admin")).rejects.toMatchObject({ code: "VALIDATION", message: /to: is required/ });
    await expect(ops.run("status", { drive: "d1", bogus: 1 }, "admin")).rejects.toMatchObject({ code: "VALIDATION", message: /bogus: unknown field/ });
  });
});
