import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectVtlSocket, listVtlDevices } from "@tapefleet/vtl";

const VTL = new URL("../bin/vtl.ts", import.meta.url).pathname;
const TSX = new URL("../../../node_modules/.bin/tsx", import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tapefleet-vtl-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("vtl CLI", () => {
  it("creates a library from a spec, refuses a bad spec naming the field", async () => {
    const spec = join(dir, "spec.json");
    await writeFile(spec, JSON.stringify({ drives: [{ name: "t0", generation: 8, serial: "CLI1" }] }));
    const ok = spawnSync(TSX, [VTL, "create", "--dir", join(dir, "a"), "--spec", spec], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("t0");
    await writeFile(spec, JSON.stringify({ drives: [{ name: "t0", generation: 3, serial: "CLI1" }] }));
    const bad = spawnSync(TSX, [VTL, "create", "--dir", join(dir, "b"), "--spec", spec], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("drives[0].generation");
    const usage = spawnSync(TSX, [VTL, "frobnicate"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("vtl serve");
  });

  it("serves the default site on a socket, lists it, and stops on SIGTERM", async () => {
    const socket = join(dir, "vtl.sock");
    const child = spawn(TSX, [VTL, "serve", "--dir", join(dir, "site"), "--socket", socket], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.once("exit", (code) => reject(new Error(`vtl serve exited with ${code}`)));
      });
      expect(JSON.parse(line)).toMatchObject({ msg: "vtl serving", devices: ["lib1/changer", "lib1/drive0", "lib1/drive1"] });
      expect((await listVtlDevices(socket)).map((d) => d.product)).toEqual(["3573-TL", "ULT3580-TD9", "ULT3580-TD8"]);
      const listed = spawnSync(TSX, [VTL, "list", "--socket", socket], { encoding: "utf8" });
      expect(JSON.parse(listed.stdout)).toHaveLength(3);
      const t = await connectVtlSocket(socket, "lib1/changer");
      const r = await t.execute({ cdb: Uint8Array.of(0x1a, 0x08, 0x1d, 0, 0xff, 0), direction: "in", dataInLength: 255, timeoutMs: 5000 });
      // first command after power-on: UNIT ATTENTION 06/29/00
      expect([r.status, r.sense[2]! & 0x0f, r.sense[12]]).toEqual([2, 6, 0x29]);
      const r2 = await t.execute({ cdb: Uint8Array.of(0x1a, 0x08, 0x1d, 0, 0xff, 0), direction: "in", dataInLength: 255, timeoutMs: 5000 });
      expect(r2.status).toBe(0);
      expect(r2.data[0]).toBe(23);
      await t.close();
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    expect(child.exitCode).toBe(0);
  });
});
