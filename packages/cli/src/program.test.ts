import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./program.ts";
import { resolveToken, resolveUrl } from "./settings.ts";

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Run tapectl in-process against a fake API answering `reply` to every request. */
async function run(argv: string[], opts: { env?: Record<string, string>; reply?: { status: number; body: unknown }; cwd?: string } = {}) {
  const sent: Sent[] = [];
  let stdout = "";
  let stderr = "";
  const reply = opts.reply ?? { status: 200, body: { data: null } };
  const code = await runCli(argv, {
    env: { TAPEFLEET_TOKEN: "tf-1:secret", TAPEFLEET_URL: "http://api.test:8007", ...opts.env },
    cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), "tapectl-")),
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    fetch: (async (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => {
      sent.push({ method: init.method, url, headers: init.headers, body: init.body === undefined ? undefined : JSON.parse(init.body) });
      return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { "content-type": "application/json" } });
    }) as unknown as typeof fetch,
  });
  return { code, stdout, stderr, sent };
}

describe("tapectl argument parsing", () => {
  it("turns PBS-style flags into a create request", async () => {
    const r = await run(["pool", "create", "daily", "--drive", "d1", "--allocation", "daily", "--retention", "7days"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.sent).toEqual([
      {
        method: "POST",
        url: "http://api.test:8007/api2/json/config/media-pool",
        headers: expect.objectContaining({ authorization: "Bearer tf-1:secret", "content-type": "application/json" }),
        body: { name: "daily", drive: "d1", allocation: "daily", retention: "7days" },
      },
    ]);
  });

  it("parses integers, booleans (with and without a value) and repeatable options", async () => {
    const d = await run(["drive", "create", "drv1", "--path", "/dev/sg3", "--changer", "lib1", "--changer-drivenum", "2"]);
    expect(d.sent[0]?.body).toEqual({ name: "drv1", path: "/dev/sg3", changer: "lib1", "changer-drivenum": 2 });
    const j = await run([
      "backup-job",
      "create",
      "job1",
      "--store",
      "s1",
      "--pool",
      "daily",
      "--drive",
      "drv1",
      "--latest-only",
      "--eject-media",
      "false",
      "--group-filter",
      "type:vm",
      "--group-filter",
      "exclude:group:vm/100",
      "--max-depth",
      "3",
    ]);
    expect(j.sent[0]?.body).toEqual({
      id: "job1",
      store: "s1",
      pool: "daily",
      drive: "drv1",
      "latest-only": true,
      "eject-media": false,
      "group-filter": ["type:vm", "exclude:group:vm/100"],
      "max-depth": 3,
    });
  });

  it("sends updates with --delete to the entry's URL", async () => {
    const r = await run(["pool", "update", "daily", "--comment", "x", "--delete", "allocation", "--delete", "encrypt", "--digest", "ab".repeat(32)]);
    expect(r.sent[0]).toMatchObject({
      method: "PUT",
      url: "http://api.test:8007/api2/json/config/media-pool/daily",
      body: { comment: "x", delete: ["allocation", "encrypt"], digest: "ab".repeat(32) },
    });
    const rm = await run(["changer", "remove", "lib 1"]);
    expect(rm.sent[0]).toMatchObject({ method: "DELETE", url: "http://api.test:8007/api2/json/config/changer/lib%201" });
  });

  it("takes the default drive from TAPEFLEET_DRIVE on create, never on update", async () => {
    const c = await run(["backup-job", "create", "job1", "--store", "s1", "--pool", "p1"], { env: { TAPEFLEET_DRIVE: "drv9" } });
    expect(c.sent[0]?.body).toMatchObject({ drive: "drv9" });
    const explicit = await run(["pool", "create", "p1", "--drive", "drv1"], { env: { TAPEFLEET_DRIVE: "drv9" } });
    expect(explicit.sent[0]?.body).toMatchObject({ drive: "drv1" });
    const u = await run(["pool", "update", "p1", "--comment", "c"], { env: { TAPEFLEET_DRIVE: "drv9" } });
    expect(u.sent[0]?.body).toEqual({ comment: "c" });
  });

  it("rejects bad flag values before calling the API", async () => {
    const b = await run(["changer", "create", "lib1", "--path", "/dev/sg1", "--eject-before-unload", "maybe"]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/--eject-before-unload.*maybe.*boolean/s);
    expect(b.sent).toEqual([]);
    const n = await run(["drive", "create", "d1", "--changer-drivenum", "two"]);
    expect(n.code).not.toBe(0);
    expect(n.stderr).toMatch(/integer/);
    const f = await run(["pool", "list", "--output-format", "yaml"]);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toMatch(/yaml/);
    const u = await run(["pool", "frobnicate"]);
    expect(u.code).not.toBe(0);
    expect(u.sent).toEqual([]);
  });

  it("prints lists as tables, config as Name/Value, and JSON on request", async () => {
    const list = { status: 200, body: { data: [{ name: "daily", drive: "drv1", retention: "7days" }] } };
    const t = await run(["pool", "list"], { reply: list });
    expect(t.stdout.split("\n")[1]).toBe("│ name  │ drive │ allocation │ retention │ template │ encrypt │ comment │");
    expect(t.stdout.split("\n")[3]).toBe("│ daily │ drv1  │            │ 7days     │          │         │         │");
    const j = await run(["--output-format", "json", "pool", "list"], { reply: list });
    expect(JSON.parse(j.stdout)).toEqual(list.body.data);
    const jp = await run(["pool", "list", "--output-format", "json-pretty"], { reply: list });
    expect(jp.stdout).toBe(JSON.stringify(list.body.data, null, 2) + "\n");
    const cfg = await run(["pool", "config", "daily"], { reply: { status: 200, body: { data: list.body.data[0] } } });
    expect(cfg.stdout.split("\n").slice(1, 4)).toEqual(["│ Name      │ Value │", "╞═══════════╪═══════╡", "│ name      │ daily │"]);
  });

  it("prints API errors with each field error and exits non-zero", async () => {
    const r = await run(["pool", "create", "weekly", "--retention", "7dayz", "--template", "x"], {
      reply: {
        status: 400,
        body: {
          code: "VALIDATION",
          message: "retention: invalid time span '7dayz'; template: must be 2 to 64 characters",
          errors: { retention: "invalid time span '7dayz'", template: "must be 2 to 64 characters" },
        },
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "Error: retention: invalid time span '7dayz'; template: must be 2 to 64 characters\n  retention: invalid time span '7dayz'\n  template: must be 2 to 64 characters\n",
    );
    const nf = await run(["drive", "config", "nope"], { reply: { status: 404, body: { code: "NOT_FOUND", message: "drive 'nope' does not exist", errors: {} } } });
    expect(nf.code).toBe(1);
    expect(nf.stderr).toBe("Error: drive 'nope' does not exist\n");
  });

  it("reports an unreachable API clearly", async () => {
    const code = await runCli(["pool", "list"], {
      env: { TAPEFLEET_TOKEN: "t:s", TAPEFLEET_URL: "http://127.0.0.1:1" },
      cwd: tmpdir(),
      stdout: () => {},
      stderr: (s) => expect(s).toMatch(/^Error: cannot reach the API at http:\/\/127.0.0.1:1/),
      fetch: (async () => {
        throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      }) as unknown as typeof fetch,
    });
    expect(code).toBe(1);
  });
});

describe("calendar (offline)", () => {
  it("prints the normalized event and the next occurrences", async () => {
    const r = await run(["calendar", "mon..fri 02:00 UTC", "--from", "2026-01-01T00:00:00Z", "--iterations", "2"]);
    expect(r.code).toBe(0);
    expect(r.sent).toEqual([]);
    expect(r.stdout.split("\n").slice(1, 3)).toEqual(["2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"]);
    const j = await run(["--output-format", "json", "calendar", "daily UTC", "--from", "2026-01-01T00:00:00Z", "--iterations", "1"]);
    expect(JSON.parse(j.stdout).next).toEqual(["2026-01-02T00:00:00Z"]);
    const bad = await run(["calendar", "someday"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: invalid calendar event 'someday'/);
    const badFrom = await run(["calendar", "daily", "--from", "yesterday"]);
    expect(badFrom.stderr).toMatch(/--from: invalid time 'yesterday'/);
  });
});

describe("settings", () => {
  it("resolves the URL from --url, TAPEFLEET_URL, ./var/stack.json, then the default", () => {
    const cwd = mkdtempSync(join(tmpdir(), "tapectl-"));
    expect(resolveUrl(undefined, {}, cwd)).toBe("http://127.0.0.1:8007");
    mkdirSync(join(cwd, "var"));
    writeFileSync(join(cwd, "var/stack.json"), JSON.stringify({ gatewayUrl: "http://10.0.0.5:9000/" }));
    expect(resolveUrl(undefined, {}, cwd)).toBe("http://10.0.0.5:9000");
    expect(resolveUrl(undefined, { TAPEFLEET_URL: "http://env:1" }, cwd)).toBe("http://env:1");
    expect(resolveUrl("http://flag:2", { TAPEFLEET_URL: "http://env:1" }, cwd)).toBe("http://flag:2");
  });

  it("resolves the token from TAPEFLEET_TOKEN, TAPEFLEET_TOKEN_FILE, then ./var/admin-token", () => {
    const cwd = mkdtempSync(join(tmpdir(), "tapectl-"));
    expect(() => resolveToken({}, cwd)).toThrow(/no API token/);
    mkdirSync(join(cwd, "var"));
    writeFileSync(join(cwd, "var/admin-token"), "admin:abc\n");
    expect(resolveToken({}, cwd)).toBe("admin:abc");
    writeFileSync(join(cwd, "other"), "tf-2:def");
    expect(resolveToken({ TAPEFLEET_TOKEN_FILE: "other" }, cwd)).toBe("tf-2:def");
    expect(resolveToken({ TAPEFLEET_TOKEN: "tf-3:ghi", TAPEFLEET_TOKEN_FILE: "other" }, cwd)).toBe("tf-3:ghi");
    expect(() => resolveToken({ TAPEFLEET_TOKEN_FILE: "missing" }, cwd)).toThrow(/TAPEFLEET_TOKEN_FILE/);
  });

  it("falls back to the adminTokenFile named in ./var/stack.json", () => {
    const cwd = mkdtempSync(join(tmpdir(), "tapectl-"));
    mkdirSync(join(cwd, "var"));
    writeFileSync(join(cwd, "elsewhere"), "admin:xyz\n");
    writeFileSync(join(cwd, "var/stack.json"), JSON.stringify({ gatewayUrl: "http://127.0.0.1:8007", adminTokenFile: join(cwd, "elsewhere") }));
    expect(resolveToken({}, cwd)).toBe("admin:xyz");
    writeFileSync(join(cwd, "var/stack.json"), "{broken");
    expect(() => resolveUrl(undefined, {}, cwd)).toThrow(/cannot read .*stack.json/);
  });
});

describe("diag decode (offline)", () => {
  it("decodes captured hex bytes to JSON and shows the kinds in --help", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "tapectl-"));
    // Fixed-format sense: MEDIUM ERROR, ASC/ASCQ 11/00 (unrecovered read error).
    writeFileSync(join(cwd, "sense.hex"), "70 00 03 00 00 00 00 0a\n00 00 00 00 11 00 00 00 00 00\n");
    const r = await run(["diag", "decode", "sense", "--inhex", "sense.hex"], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ senseKey: 3, senseKeyName: "MEDIUM ERROR", asc: 0x11, ascq: 0 });
    const help = await run(["diag", "decode", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("element-status");
    const bad = await run(["diag", "decode", "nonsense", "--inhex", "sense.hex"], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error: cannot decode nonsense: .*unknown diagnostic kind/);
    const missing = await run(["diag", "decode", "sense", "--inhex", "nofile.hex"], { cwd });
    expect(missing.stderr).toMatch(/^Error: --inhex: cannot read nofile.hex/);
  });
});

describe("README", () => {
  it("shows the real output of `tapectl pool list`", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /<!-- pool-list-example -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    const rows = [
      { name: "daily", drive: "drv1", allocation: "daily", retention: "7days" },
      { name: "weekly", drive: "drv1", allocation: "sat 03:00", retention: "4weeks", comment: "off-site" },
    ];
    const r = await run(["pool", "list"], { reply: { status: 200, body: { data: rows } } });
    expect(r.stdout).toBe(block);
  });
});
