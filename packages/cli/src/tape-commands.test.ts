import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./program.ts";

type Handler = (method: string, path: string, body: unknown) => { status?: number; body: unknown };

/** Run tapectl in-process against a fake API routed by `handler`. */
async function run(argv: string[], handler: Handler, env: Record<string, string> = {}) {
  const sent: string[] = [];
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { TAPEFLEET_TOKEN: "tf-1:secret", TAPEFLEET_URL: "http://api.test:8007", ...env },
    cwd: mkdtempSync(join(tmpdir(), "tapectl-")),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    fetch: (async (url: string, init: { method: string; body?: string }) => {
      const path = url.replace("http://api.test:8007/api2/json", "");
      sent.push(`${init.method} ${path}`);
      const r = handler(init.method, path, init.body === undefined ? undefined : JSON.parse(init.body));
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200, headers: { "content-type": "application/json" } });
    }) as unknown as typeof fetch,
  });
  return { code, stdout, stderr, sent };
}

const UPID = "UPID:n1:00000001:00000002:00000003:6553F100:barcode-label-media:d1:admin:";

/** A task whose log has `lines` and then ends with `exitstatus`. */
function taskApi(lines: string[], exitstatus: string): Handler {
  return (method, path) => {
    if (method === "POST" || method === "PUT") return { body: { data: UPID } };
    if (path.includes("/log?start=0")) return { body: { data: lines.map((t, i) => ({ n: i + 1, t, time: 0, level: "info" })), total: lines.length, active: false } };
    if (path.includes("/log?start=")) return { body: { data: [], total: lines.length, active: false } };
    if (path.endsWith("/status")) return { body: { data: { upid: UPID, status: "stopped", exitstatus } } };
    return { status: 404, body: { message: "no route", code: "NOT_FOUND", errors: {} } };
  };
}

describe("tapectl tape commands", () => {
  it("changer status defaults to the changer of $TAPEFLEET_DRIVE and prints the seed's table", async () => {
    const r = await run(
      ["changer", "status"],
      (_m, path) => {
        if (path === "/config/drive/d1") return { body: { data: { name: "d1", path: "/dev/x", changer: "lib1" } } };
        return {
          body: {
            data: [
              { "entry-kind": "drive", "entry-id": 0, "label-text": "TF0001L9", "loaded-slot": 1 },
              { "entry-kind": "slot", "entry-id": 1 },
              { "entry-kind": "slot", "entry-id": 15, "label-text": "CLN001L1" },
              { "entry-kind": "import-export", "entry-id": 16 },
            ],
          },
        };
      },
      { TAPEFLEET_DRIVE: "d1" },
    );
    expect(r.code).toBe(0);
    expect(r.sent).toEqual(["GET /config/drive/d1", "GET /tape/changer/lib1/status"]);
    expect(r.stdout).toBe(
      [
        "┌───────────────┬──────────┬────────────┬─────────────┐",
        "│ entry-kind    │ entry-id │ label-text │ loaded-slot │",
        "╞═══════════════╪══════════╪════════════╪═════════════╡",
        "│ drive         │        0 │ TF0001L9   │           1 │",
        "├───────────────┼──────────┼────────────┼─────────────┤",
        "│ slot          │        1 │            │             │",
        "├───────────────┼──────────┼────────────┼─────────────┤",
        "│ slot          │       15 │ CLN001L1   │             │",
        "├───────────────┼──────────┼────────────┼─────────────┤",
        "│ import-export │       16 │            │             │",
        "└───────────────┴──────────┴────────────┴─────────────┘",
        "",
      ].join("\n"),
    );
  });

  it("runs a long operation as a task, prints its log and exits 0 when it succeeds", async () => {
    const r = await run(["barcode-label", "--pool", "daily", "--drive", "d1"], taskApi(["Label media 'TF0001L9'", "TASK OK"], "OK"));
    expect(r.code).toBe(0);
    expect(r.sent[0]).toBe("POST /tape/drive/d1/barcode-label-media");
    expect(r.stdout).toBe("Label media 'TF0001L9'\nTASK OK\n");
  });

  it("exits non-zero when the task fails", async () => {
    const r = await run(["drive", "clean", "--drive", "d1"], taskApi(["TASK ERROR: no cleaning cartridge found"], "no cleaning cartridge found"));
    expect(r.code).toBe(1);
    expect(r.sent[0]).toBe("PUT /tape/drive/d1/clean");
    expect(r.stderr).toBe("Error: task failed: no cleaning cartridge found\n");
  });

  it("needs a drive for drive commands and says where it comes from", async () => {
    const r = await run(["drive", "status"], () => ({ body: { data: {} } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no drive given: use --drive or set TAPEFLEET_DRIVE/);
    expect(r.sent).toEqual([]);
  });

  it("prints drive scans, labels and task lists", async () => {
    const scan = await run(["drive", "scan"], () => ({
      body: { data: [{ kind: "tape", path: "vtl:lib1/drive0", vendor: "IBM", model: "ULT3580-TD9", serial: "TFD9000001", "host-id": "host-a", online: true }] },
    }));
    expect(scan.stdout).toContain("│ vtl:lib1/drive0 │ IBM    │ ULT3580-TD9 │ TFD9000001 │ host-a  │ true   │");
    const label = await run(["drive", "read-label", "--drive", "d1", "--inventorize"], (_m, path) => {
      expect(path).toBe("/tape/drive/d1/read-label?inventorize=1");
      return { body: { data: { "label-text": "TF0001L9", uuid: "u1", ctime: 1700000000, pool: "daily" } } };
    });
    expect(label.stdout).toContain("│ ctime      │ 2023-11-14T22:13:20Z │");
    const tasks = await run(["task", "list", "--running"], (_m, path) => {
      expect(path).toBe("/nodes/localhost/tasks?running=1");
      return { body: { data: [{ upid: UPID, starttime: 1700000000, "worker-type": "clean-drive", "worker-id": "d1", user: "admin" }] } };
    });
    expect(tasks.stdout).toContain("│ clean-drive │ d1        │ admin │ running │");
    const stop = await run(["task", "stop", UPID], () => ({ body: { data: null } }));
    expect(stop.sent).toEqual([`DELETE /nodes/localhost/tasks/${encodeURIComponent(UPID)}`]);
  });
});
