import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../program.ts";

const FP = "0e:ab:d4:46:0b:6e:b9:ca:34:50:23:de:e2:b7:78:c7:90:e5:4a:16:83:b9:65:9c:0a:57:ae:19:90:90:15:9b";

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** tapectl in-process against a fake API; `stdin` is what --password-stdin reads. */
async function run(argv: string[], reply: (s: Sent) => unknown, stdin?: string, cwd = mkdtempSync(join(tmpdir(), "tapectl-key-"))) {
  const sent: Sent[] = [];
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: { TAPEFLEET_TOKEN: "tf-1:secret", TAPEFLEET_URL: "http://api.test:8007" },
    cwd,
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    ...(stdin === undefined ? {} : { readStdin: async () => stdin }),
    fetch: (async (url: string, init: { method: string; body?: string }) => {
      const s = { method: init.method, path: url.replace("http://api.test:8007/api2/json", ""), body: init.body === undefined ? undefined : JSON.parse(init.body) };
      sent.push(s);
      return new Response(JSON.stringify({ data: reply(s) }), { status: 200, headers: { "content-type": "application/json" } });
    }) as unknown as typeof fetch,
  });
  return { code, stdout, stderr, sent };
}

describe("tapectl key", () => {
  it("create reads the password from standard input or a file descriptor, never from the command line", async () => {
    const r = await run(["key", "create", "--hint", "safe", "--password-stdin"], () => FP, "pass word 1\n");
    expect(r.code).toBe(0);
    expect(r.sent).toEqual([{ method: "POST", path: "/config/tape-encryption-keys", body: { hint: "safe", password: "pass word 1" } }]);
    expect(r.stdout).toBe(`${FP}\n`);

    const dir = mkdtempSync(join(tmpdir(), "tapectl-key-"));
    writeFileSync(join(dir, "pw"), "from fd 12345\n");
    const fd = openSync(join(dir, "pw"), "r");
    try {
      const f = await run(["key", "create", "--password-fd", String(fd)], () => FP);
      expect(f.code).toBe(0);
      expect(f.sent[0]!.body).toEqual({ password: "from fd 12345" });
    } finally {
      closeSync(fd);
    }

    const onCli = await run(["key", "create", "--password", "visible"], () => FP);
    expect(onCli.code).not.toBe(0);
    expect(onCli.sent).toEqual([]);
    expect(onCli.stderr).toContain("unknown option '--password'");
  });

  it("restore reads the key config from the tape in a drive, with the password from standard input", async () => {
    const r = await run(["key", "restore", "--drive", "d1", "--password-stdin"], () => FP, "tape pass 1\n");
    expect(r.code).toBe(0);
    expect(r.sent).toEqual([{ method: "POST", path: "/tape/drive/d1/restore-key", body: { password: "tape pass 1" } }]);
    expect(r.stdout).toBe(`${FP}\n`);
    const noDrive = await run(["key", "restore", "--password-stdin"], () => FP, "tape pass 1\n");
    expect(noDrive.code).not.toBe(0);
    expect(noDrive.stderr).toContain("--drive");
    expect(noDrive.sent).toEqual([]);
  });

  it("without a terminal and without --password-fd/--password-stdin, refuses to guess", async () => {
    // as when run from a script, whatever terminal the test runner has
    const had = Object.getOwnPropertyDescriptor(process.stdin, "isTTY");
    Object.defineProperty(process.stdin, "isTTY", { value: undefined, configurable: true });
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(["key", "create"], () => FP);
    } finally {
      if (had) Object.defineProperty(process.stdin, "isTTY", had);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no terminal to ask the password on: use --password-fd <n> or --password-stdin");
    expect(r.sent).toEqual([]);
    const empty = await run(["key", "create", "--password-stdin"], () => FP, "\n");
    expect(empty.stderr).toContain("line 1 is empty or missing");
  });

  it("list and show print the proxmox-tape key tables", async () => {
    const list = await run(["key", "list"], () => [{ fingerprint: FP, hint: "safe", created: 1714550400 }]);
    expect(list.stdout.split("\n")[1]).toMatch(/^│ fingerprint +│ hint │$/);
    expect(list.stdout).toContain(`│ ${FP} │ safe │`);
    const show = await run(["key", "show", FP], () => ({ fingerprint: FP, hint: "safe", kdf: "scrypt", created: 1714550400, modified: 1714550400 }));
    expect(show.sent[0]!.path).toBe(`/config/tape-encryption-keys/${encodeURIComponent(FP)}`);
    const names = show.stdout
      .split("\n")
      .filter((l) => l.startsWith("│"))
      .map((l) => l.split("│")[1]!.trim());
    expect(names).toEqual(["Name", "kdf", "created", "modified", "fingerprint", "hint"]);
    expect(show.stdout).toMatch(/│ created +│ 2024-05-0[12]T\d{2}:\d{2}:00[+-]\d{2}:\d{2} +│/);
    const json = await run(["--output-format", "json", "key", "list"], () => [{ fingerprint: FP, created: 1 }]);
    expect(JSON.parse(json.stdout)).toEqual([{ fingerprint: FP, created: 1 }]);
  });

  it("update sets the hint and changes the password (current and new from two lines)", async () => {
    const hint = await run(["key", "update", FP, "--hint", "vault"], () => ({}));
    expect(hint.sent[0]).toMatchObject({ method: "PUT", body: { hint: "vault" } });
    const pw = await run(["key", "update", FP, "--change-password", "--password-stdin"], () => ({}), "old secret\nnew secret\n");
    expect(pw.sent[0]!.body).toEqual({ password: "old secret", "new-password": "new secret" });
    const one = await run(["key", "update", FP, "--change-password", "--password-stdin"], () => ({}), "old secret\n");
    expect(one.stderr).toContain("expected 2 password lines, line 2 is empty or missing");
    const nothing = await run(["key", "update", FP], () => ({}));
    expect(nothing.stderr).toContain("nothing to change");
  });

  it("remove (with --force), paperkey and import", async () => {
    const rm = await run(["key", "remove", FP, "--force"], () => null);
    expect(rm.sent[0]).toMatchObject({ method: "DELETE", path: `/config/tape-encryption-keys/${encodeURIComponent(FP)}?force=1` });
    const paper = await run(["key", "paperkey", FP, "--format", "html"], () => "<html>doc</html>\n");
    expect(paper.sent[0]!.path).toBe(`/config/tape-encryption-keys/${encodeURIComponent(FP)}/paperkey?output-format=html`);
    expect(paper.stdout).toBe("<html>doc</html>\n");
    const cwd = mkdtempSync(join(tmpdir(), "tapectl-key-"));
    writeFileSync(join(cwd, "key.txt"), "-----BEGIN PROXMOX BACKUP KEY-----\n{}\n-----END PROXMOX BACKUP KEY-----\n");
    const imp = await run(["key", "import", "key.txt", "--password-stdin"], () => ({ fingerprint: FP }), "pw pw pw\n", cwd);
    expect(imp.sent[0]).toEqual({
      method: "POST",
      path: "/config/tape-encryption-keys/import",
      body: { "key-config": "-----BEGIN PROXMOX BACKUP KEY-----\n{}\n-----END PROXMOX BACKUP KEY-----\n", password: "pw pw pw" },
    });
    expect(imp.stdout).toBe(`${FP}\n`);
    const both = await run(["key", "import", "-", "--password-stdin"], () => ({}), "x");
    expect(both.stderr).toContain("cannot both come from standard input");
  });
});
