/**
 * openSgDevice against the real C library: it resolves links, and refuses
 * whatever is not an sg character device before any command is sent.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SYSTEM_LIBRARY, SgError, openSgDevice } from "../../src/sg/index.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tapefleet-sg-open-"));
  writeFileSync(join(dir, "regular"), "not a device");
  symlinkSync("/dev/null", join(dir, "null-link"));
  symlinkSync(join(dir, "missing"), join(dir, "dangling"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openError(path: string, options = {}): Promise<SgError> {
  const e = await openSgDevice(path, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SgError);
  return e as SgError;
}

describe("openSgDevice with libc", () => {
  it("uses libc.so.6 by default", () => {
    expect(DEFAULT_SYSTEM_LIBRARY).toBe("libc.so.6");
  });

  it("refuses a character device that is not sg, naming the major", async () => {
    const e = await openError("/dev/null");
    expect(e.reason).toBe("not-sg-device");
    expect(e.message).toMatch(/major 1, not 21/);
  });

  it("resolves a link before checking, and refuses what it points at", async () => {
    const e = await openError(join(dir, "null-link"));
    expect(e.reason).toBe("not-sg-device");
    expect(e.message).toContain("/dev/null");
  });

  it("refuses a regular file", async () => {
    const e = await openError(join(dir, "regular"));
    expect(e.reason).toBe("not-sg-device");
    expect(e.message).toMatch(/not a character device/);
  });

  it("reports missing paths and dangling links with ENOENT", async () => {
    for (const path of [join(dir, "missing"), join(dir, "dangling")]) {
      const e = await openError(path);
      expect(e.reason).toBe("open-failed");
      expect(e.errno).toBe(2);
      expect(e.message).toMatch(/ENOENT/);
    }
  });

  it("rejects bad options before touching the path", async () => {
    expect((await openError("/dev/null", { senseLength: 16 })).reason).toBe("bad-request");
    expect((await openError("/dev/null", { maxTransferLength: 0 })).reason).toBe("bad-request");
  });
});
