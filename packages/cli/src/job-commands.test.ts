import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSize } from "./commands/datastore.ts";
import { mediaListRows, mediaSelectorOf } from "./commands/media.ts";
import { runCli } from "./program.ts";

type Handler = (method: string, path: string, body: unknown) => { status?: number; body: unknown };

async function run(argv: string[], handler: Handler, env: Record<string, string> = {}) {
  const sent: { method: string; path: string; body: unknown }[] = [];
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { TAPEFLEET_TOKEN: "tf-1:secret", TAPEFLEET_URL: "http://api.test:8007", ...env },
    cwd: mkdtempSync(join(tmpdir(), "tapectl-")),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    fetch: (async (url: string, init: { method: string; body?: string }) => {
      const path = url.replace("http://api.test:8007/api2/json", "");
      const body = init.body === undefined ? undefined : JSON.parse(init.body);
      sent.push({ method: init.method, path, body });
      const r = handler(init.method, path, body);
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200, headers: { "content-type": "application/json" } });
    }) as unknown as typeof fetch,
  });
  return { code, stdout, stderr, sent };
}

const UPID = "UPID:n1:00000001:00000002:00000003:6553F100:tape-backup:store1:admin:";

/** Every POST starts a task that logs `lines` and ends with `exitstatus`. */
function taskApi(lines: string[], exitstatus = "OK"): Handler {
  return (method, path) => {
    if (method === "POST" || method === "PUT") return { body: { data: UPID } };
    if (path.includes("/log?start=0")) return { body: { data: lines.map((t, i) => ({ n: i + 1, t, time: 0, level: "info" })), total: lines.length, active: false } };
    if (path.includes("/log?start=")) return { body: { data: [], total: lines.length, active: false } };
    if (path.endsWith("/status")) return { body: { data: { upid: UPID, status: "stopped", exitstatus } } };
    return { status: 404, body: { message: "no route", code: "NOT_FOUND", errors: {} } };
  };
}

describe("tapectl job commands", () => {
  it("backup sends the PBS body and follows the task log", async () => {
    const r = await run(
      ["backup", "store1", "daily", "--max-depth", "2", "--latest-only", "--force-media-set", "--group-filter", "type:vm", "--group-filter", "type:ct"],
      taskApi(["backup of store1 to pool daily", "wrote 3 snapshots"]),
      { TAPEFLEET_DRIVE: "d1" },
    );
    expect(r.code).toBe(0);
    expect(r.sent[0]).toEqual({
      method: "POST",
      path: "/tape/backup",
      body: { store: "store1", pool: "daily", drive: "d1", "max-depth": 2, "latest-only": true, "force-media-set": true, "group-filter": ["type:vm", "type:ct"] },
    });
    expect(r.stdout).toBe("backup of store1 to pool daily\nwrote 3 snapshots\n");
  });

  it("restore, catalog and backup-job run start tasks; a failed task exits 1", async () => {
    const U = "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab";
    const r = await run(["restore", U, "store1=store2", "--snapshots", "store1:vm/100/2026-01-02T03:04:05Z", "--drive", "d2"], taskApi(["restored"]));
    expect(r.sent[0]).toEqual({ method: "POST", path: "/tape/restore", body: { "media-set": U, store: "store1=store2", snapshots: ["store1:vm/100/2026-01-02T03:04:05Z"], drive: "d2" } });
    const c = await run(["catalog", "--scan", "--drive", "d1"], taskApi(["scanned"], "unable to read label"));
    expect(c.sent[0]).toEqual({ method: "POST", path: "/tape/drive/d1/catalog", body: { scan: true } });
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/task failed: unable to read label/);
    const j = await run(["backup-job", "run", "nightly"], taskApi([]));
    expect(j.sent[0]).toMatchObject({ method: "POST", path: "/config/tape-backup-job/nightly/run" });
    expect(j.code).toBe(0);
  });

  it("media list prints PBS's columns; content, destroy and move select by label or uuid", async () => {
    const rows = [
      { uuid: "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab", "label-text": "TF0001L9", ctime: 1, pool: "daily", "media-set-uuid": "1b5b3f1e-6a3c-4d2e-9f00-1234567890ab", "media-set-name": "daily-2026-11-30", "seq-nr": 0, status: "full", location: "vault-safe", expired: false, "expire-time": 1796083200, "bytes-used": 4096, worm: false },
      { uuid: "2b5b3f1e-6a3c-4d2e-9f00-1234567890ab", "label-text": "TF0002L9", ctime: 1, status: "writable", location: "online-lib1", expired: false, worm: false },
    ];
    const l = await run(["media", "list"], () => ({ body: { data: rows } }));
    const lines = l.stdout.split("\n");
    expect(lines[1]).toMatch(/^│ label-text │ pool\s+│ media-set-name\s+│ seq-nr │ status\s+│ location\s+│ expire\s+│ bytes │$/);
    expect(l.stdout).toMatch(/│ TF0001L9\s+│ daily │ daily-2026-11-30 │\s+0 │ full\s+│ vault-safe\s+│ 2026-12-01T00:00:00Z │\s+4096 │/);
    expect(l.stdout).toMatch(/│ TF0002L9\s+│\s+│\s+│\s+│ writable │ online-lib1 │\s+│\s+│/);
    const content = await run(["media", "content", "--media-set", "daily-2026-11-30"], () => ({
      body: { data: [{ "label-text": "TF0001L9", pool: "daily", "media-set-name": "daily-2026-11-30", "seq-nr": 0, snapshot: "vm/100/2026-11-30T21:00:00Z", store: "store1" }] },
    }));
    expect(content.sent[0]!.path).toBe("/tape/media/content?media-set-name=daily-2026-11-30");
    expect(content.stdout).toMatch(/│ label-text │ pool\s+│ media-set-name\s+│ seq-nr │ snapshot\s+│ store\s+│/);
    expect(content.stdout).toMatch(/│ TF0001L9\s+│ daily │ daily-2026-11-30 │\s+0 │ vm\/100\/2026-11-30T21:00:00Z │ store1 │/);
    const d = await run(["media", "destroy", "TF0001L9"], () => ({ body: { data: rows[0] } }));
    expect(d.sent[0]).toEqual({ method: "POST", path: "/tape/media/destroy", body: { "label-text": "TF0001L9" } });
    const m = await run(["media", "move", rows[0]!.uuid, "--vault-name", "offsite"], () => ({ body: { data: rows[0] } }));
    expect(m.sent[0]).toEqual({ method: "POST", path: "/tape/media/move", body: { uuid: rows[0]!.uuid, "vault-name": "offsite" } });
  });

  it("datastore create/list and sample/ingest", async () => {
    const c = await run(["datastore", "create", "store1", "--path", "/srv/pbs/store1", "--host", "agent-1"], () => ({ body: { data: {} } }));
    expect(c.sent[0]).toEqual({ method: "POST", path: "/config/datastore", body: { name: "store1", path: "/srv/pbs/store1", host: "agent-1" } });
    const l = await run(["datastore", "list"], () => ({ body: { data: [{ name: "store1", path: "/srv/pbs/store1", host: "agent-1" }] } }));
    expect(l.stdout).toMatch(/│ store1 │ \/srv\/pbs\/store1 │ agent-1 │/);
    const s = await run(["datastore", "sample", "store1", "--size", "64M", "--seed", "7"], taskApi(["sample written"]));
    expect(s.sent[0]).toEqual({ method: "POST", path: "/admin/datastore/store1/sample", body: { size: 64 * 1024 * 1024, seed: 7 } });
    expect(s.stdout).toBe("sample written\n");
    const i = await run(["datastore", "ingest", "store1", "/etc/hosts", "/etc/passwd", "--backup-type", "host", "--backup-id", "web1"], taskApi([]));
    expect(i.sent[0]).toEqual({ method: "POST", path: "/admin/datastore/store1/ingest", body: { "backup-type": "host", "backup-id": "web1", files: ["/etc/hosts", "/etc/passwd"] } });
    const bad = await run(["datastore", "sample", "store1", "--size", "lots"], taskApi([]));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid size 'lots'/);
  });

  it("helpers: size units, media selectors, expiry column", () => {
    expect(parseSize("4096")).toBe(4096);
    expect(parseSize("1G")).toBe(1024 ** 3);
    expect(parseSize("2KiB")).toBe(2048);
    expect(() => parseSize("1.5G")).toThrow(/invalid size/);
    expect(mediaSelectorOf("TF0001L9")).toEqual({ "label-text": "TF0001L9" });
    expect(mediaSelectorOf("0B5B3F1E-6A3C-4D2E-9F00-1234567890AB")).toEqual({ uuid: "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab" });
    const base = { uuid: "u", "label-text": "T", ctime: 0, status: "full", location: "offline", worm: false };
    expect(mediaListRows([{ ...base, expired: true }])[0]!["expire"]).toBe("expired");
    expect(mediaListRows([{ ...base, expired: false, "media-set-uuid": "s" }])[0]!["expire"]).toBe("never");
  });
});
