/**
 * openSgDevice against the real C library: it resolves links, and refuses
 * whatever is not an sg character device before any command is sent.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SYSTEM_LIBRARY, SgError, openSgDevice } from "../../src/sg/index.ts";

const run = promisify(execFile);

/**
 * A system library whose fstat reports a character device of the given major
 * for every descriptor; realpath, open, fcntl, ioctl and close come from libc
 * (its dependency), so the transport really opens and ioctls the file.
 */
function fakeMajorShim(major: number): string {
  return `
#define _GNU_SOURCE
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
int fstat(int fd, struct stat *st) {
  (void)fd;
  memset(st, 0, sizeof(*st));
  st->st_mode = S_IFCHR | 0660;
  st->st_rdev = makedev(${major}, 0);
  return 0;
}
`;
}

let dir: string;
const shims: Record<number, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tapefleet-sg-open-"));
  writeFileSync(join(dir, "regular"), "not a device");
  symlinkSync("/dev/null", join(dir, "null-link"));
  symlinkSync(join(dir, "missing"), join(dir, "dangling"));
  for (const major of [9, 21]) {
    writeFileSync(join(dir, `major${major}.c`), fakeMajorShim(major));
    shims[major] = join(dir, `libmajor${major}.so`);
    await run("gcc", ["-shared", "-fPIC", "-Wall", "-Werror", "-o", shims[major] ?? "", join(dir, `major${major}.c`)]);
  }
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

  it("refuses an st node (major 9) and points at the sg link", async () => {
    const e = await openError("/dev/null", { library: shims[9] });
    expect(e.reason).toBe("not-sg-device");
    expect(e.message).toMatch(/major 9, not 21 \(sg\).*st tape node.*-sg/);
  });

  it("accepts major 21 and reports a failing SG_IO ioctl with its errno", async () => {
    const t = await openSgDevice("/dev/null", { library: shims[21] });
    try {
      const e = await t.execute({ cdb: Uint8Array.of(0, 0, 0, 0, 0, 0), direction: "none", timeoutMs: 1000 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(SgError);
      expect((e as SgError).reason).toBe("ioctl-failed");
      expect((e as SgError).errno).toBe(25);
      expect((e as SgError).message).toMatch(/ENOTTY/);
    } finally {
      await t.close();
    }
  });

  it("rejects bad options before touching the path", async () => {
    expect((await openError("/dev/null", { senseLength: 16 })).reason).toBe("bad-request");
    expect((await openError("/dev/null", { maxTransferLength: 0 })).reason).toBe("bad-request");
  });
});
