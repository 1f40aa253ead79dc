import { rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import type { ScsiTransport } from "@tapefleet/scsi";
import { afterEach, describe, expect, it } from "vitest";
import { FIRST_DRIVE_ADDRESS, FIRST_STORAGE_ADDRESS } from "./elements.ts";
import { createLibrary, libraryExists, type VirtualLibrary } from "./library.ts";
import { startVtlServer, type VtlServer } from "./server.ts";
import { connectVtlSocket, listVtlDevices, vtlOperator } from "./socket-transport.ts";
import { block, Cdb, Dev, kcq, tempDir } from "./test-support.ts";
import { createVtlTransport } from "./transport.ts";
import { frame } from "./wire.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const spec = {
  libraries: [
    {
      name: "lib1",
      slots: 4,
      importExportSlots: 1,
      drives: [
        { generation: 9, serial: "SRV9000001" },
        { generation: 9, serial: "SRV9000002" },
      ],
      cartridges: [
        { barcode: "C00001L9", slot: 1 },
        { barcode: "C00002L9", slot: 2 },
      ],
    },
  ],
  drives: [{ name: "solo", generation: 8, serial: "SOLO000001", cartridge: { barcode: "C00003L8" } }],
  shelf: [{ barcode: "C00004L9" }],
  timing: { powerOnUnitAttention: false },
};

async function start(): Promise<{ lib: VirtualLibrary; server: VtlServer; socket: string }> {
  const dir = await tempDir();
  const lib = await createLibrary(dir, spec);
  const socket = join(dir, "vtl.sock");
  const server = await startVtlServer({ library: lib, socketPath: socket });
  cleanups.push(async () => {
    await server.close();
    await lib.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { lib, server, socket };
}

async function client(socket: string, id: string): Promise<Dev> {
  const t = await connectVtlSocket(socket, id);
  cleanups.push(() => t.close());
  return new Dev(t);
}

describe("vtl server", () => {
  it("lists devices and opens them; unknown and offline devices are refused", async () => {
    const { lib, socket } = await start();
    expect((await listVtlDevices(socket)).map((d) => d.id)).toEqual(["lib1/changer", "lib1/drive0", "lib1/drive1", "solo"]);
    const t = await connectVtlSocket(socket, "lib1/changer");
    expect(t.device).toEqual({ id: "lib1/changer", type: "changer", vendor: "IBM", product: "3573-TL", revision: "F.11", serial: lib.changer("lib1").info.serial });
    await t.close();
    await expect(connectVtlSocket(socket, "lib9/changer")).rejects.toMatchObject({ code: "VTL_NO_SUCH_DEVICE" });
    lib.setOffline("solo");
    await expect(connectVtlSocket(socket, "solo")).rejects.toMatchObject({ code: "VTL_DEVICE_OFFLINE" });
  });

  it("serves several clients at once: changer moves while drives stream data", async () => {
    const { socket } = await start();
    const changer = await client(socket, "lib1/changer");
    await changer.ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS, FIRST_DRIVE_ADDRESS));
    await changer.ok(Cdb.moveMedium(FIRST_STORAGE_ADDRESS + 1, FIRST_DRIVE_ADDRESS + 1));
    const drives = await Promise.all([client(socket, "lib1/drive0"), client(socket, "lib1/drive1"), client(socket, "solo")]);
    await Promise.all(drives.map((d) => d.clearUnitAttention()));
    await Promise.all(
      drives.map(async (d, k) => {
        for (let i = 0; i < 20; i++) expect(kcq(await d.write(block(k * 100 + i, 65536)))).toBe("GOOD");
        await d.ok(Cdb.wfm(1));
      }),
    );
    await Promise.all(
      drives.map(async (d, k) => {
        await d.ok(Cdb.rewind());
        for (let i = 0; i < 20; i++) {
          const r = await d.read(65536);
          expect(Buffer.from(r.data).equals(block(k * 100 + i, 65536))).toBe(true);
        }
        expect(kcq(await d.read(65536))).toBe("0/00/01");
      }),
    );
  });

  it("serializes commands of two handles on the same drive", async () => {
    const { socket } = await start();
    const a = await client(socket, "solo");
    const b = await client(socket, "solo");
    await a.clearUnitAttention();
    // 40 writes racing from two handles: each is atomic and lands at its own position
    await Promise.all([
      (async () => {
        for (let i = 0; i < 20; i++) await a.write(block(i, 2048));
      })(),
      (async () => {
        for (let i = 0; i < 20; i++) await b.write(block(1000 + i, 2048));
      })(),
    ]);
    expect(await a.position()).toMatchObject({ block: 40 });
    await a.ok(Cdb.rewind());
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) seen.push(Buffer.from((await a.read(2048)).data).readUInt32BE(0));
    expect(seen.filter((n) => n < 1000)).toEqual([...Array(20).keys()]);
    expect(seen.filter((n) => n >= 1000).length).toBe(20);
  });

  it("answers exactly as the in-process transport does (one conformance sequence, two paths)", async () => {
    const { lib, socket } = await start();
    const sequence: number[][] = [
      Cdb.inquiry(96),
      Cdb.inquiry(255, true, 0x83),
      Cdb.modeSense6(0x3f),
      Cdb.readElementStatus({ voltag: true }),
      Cdb.readElementStatus({ type: 4, dvcid: true }),
      Cdb.modeSense6(0x1d, { dbd: true }),
      Cdb.logSense(0x00),
      [0x99, 0, 0, 0, 0, 0],
    ];
    const remote = await connectVtlSocket(socket, "lib1/changer");
    cleanups.push(() => remote.close());
    const local: ScsiTransport = createVtlTransport(lib, "lib1/changer");
    for (const cdb of sequence) {
      const cmd = { cdb: Uint8Array.from(cdb), direction: "in" as const, dataInLength: 4096, timeoutMs: 5000 };
      const [x, y] = [await local.execute(cmd), await remote.execute(cmd)];
      expect({ ...y, sense: Buffer.from(y.sense), data: Buffer.from(y.data) }).toEqual({ ...x, sense: Buffer.from(x.sense), data: Buffer.from(x.data) });
    }
  });

  it("opens a folder, creating the default site when it holds no library", async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, "s.sock");
    const first = await startVtlServer({ dir: join(dir, "site"), socketPath: socket });
    expect((await listVtlDevices(socket)).map((d) => d.id)).toEqual(["lib1/changer", "lib1/drive0", "lib1/drive1"]);
    await first.close();
    expect(await libraryExists(join(dir, "site"))).toBe(true);
    const second = await startVtlServer({ dir: join(dir, "site"), socketPath: socket, spec: { drives: [{ name: "x", generation: 9, serial: "X" }] } });
    expect(second.library.listDevices()).toHaveLength(3);
    await second.close();
  });

  it("an operator puts a shelf cartridge into an import/export slot of the running library and takes it out again", async () => {
    const { lib, socket } = await start();
    expect(await vtlOperator(socket, { op: "import", library: "lib1", barcode: "C00004L9" })).toBe("C00004L9");
    expect(lib.locate("C00004L9")).toEqual({ library: "lib1", importExport: 1 });
    // The changer reports the import/export element change to its next command.
    const changer = await client(socket, "lib1/changer");
    expect(kcq(await changer.run(Cdb.tur()))).toBe("6/28/01");
    await expect(vtlOperator(socket, { op: "import", library: "lib1", barcode: "C00001L9" })).rejects.toMatchObject({ code: "VTL_STATE_INVALID", message: /full|not on the shelf/ });
    await expect(vtlOperator(socket, { op: "import", library: "nope", barcode: "C00004L9" })).rejects.toMatchObject({ code: "VTL_STATE_INVALID", message: /nope/ });
    expect(await vtlOperator(socket, { op: "remove", library: "lib1", slot: 1 })).toBe("C00004L9");
    expect(lib.locate("C00004L9")).toEqual({ shelf: true });
    await expect(vtlOperator(socket, { op: "remove", library: "lib1", slot: 1 })).rejects.toThrow(/slot 1 is empty/);
  });

  it("drops a connection that violates the protocol and keeps serving others", async () => {
    const { socket } = await start();
    const raw = connect(socket);
    await new Promise((r) => raw.once("connect", r));
    raw.write(frame(Uint8Array.of(0x02, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))); // COMMAND before OPEN
    await new Promise((r) => raw.once("close", r));
    const d = await client(socket, "solo");
    expect((await d.run(Cdb.inquiry(36), { inLen: 36 })).status).toBe(0);
  });
});
