/**
 * Layout proof: the koffi definition of sg_io_hdr_t, the ioctl numbers and
 * the struct stat offsets used by the transport agree with the system headers
 * as compiled by gcc.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import koffi from "koffi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  OpenFlags,
  S_IFCHR,
  S_IFMT,
  SCSI_GENERIC_MAJOR,
  SCSI_TAPE_MAJOR,
  SG_INFO_CHECK,
  SG_INTERFACE_ID_ORIG,
  SG_IO_HDR_FIELDS,
  SG_IO_HDR_OFFSETS,
  SG_IO_HDR_SIZE,
  SgDxfer,
  SgIoHdr,
  SgIoctl,
  deviceMajor,
  deviceMinor,
  statLayout,
} from "../../src/sg/index.ts";

const run = promisify(execFile);

const PROGRAM = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>
#define F(name) printf("offsetof.%s %zu\\n", #name, offsetof(sg_io_hdr_t, name));
#define C(name) printf("const.%s %ld\\n", #name, (long)(name));
int main(void) {
  printf("sizeof.sg_io_hdr_t %zu\\n", sizeof(sg_io_hdr_t));
  ${SG_IO_HDR_FIELDS.map((f) => `F(${f})`).join("\n  ")}
  ${Object.keys(SgIoctl).map((c) => `C(${c})`).join("\n  ")}
  C(SG_DXFER_NONE) C(SG_DXFER_TO_DEV) C(SG_DXFER_FROM_DEV) C(SG_DXFER_TO_FROM_DEV)
  C(SG_INFO_CHECK)
  C(O_RDWR) C(O_NONBLOCK) C(O_CLOEXEC) C(F_GETFL) C(F_SETFL) C(S_IFMT) C(S_IFCHR)
  printf("stat.size %zu\\n", sizeof(struct stat));
  printf("stat.st_mode %zu\\n", offsetof(struct stat, st_mode));
  printf("stat.st_rdev %zu\\n", offsetof(struct stat, st_rdev));
  printf("stat.st_rdev_size %zu\\n", sizeof(((struct stat *)0)->st_rdev));
  printf("stat.st_mode_size %zu\\n", sizeof(((struct stat *)0)->st_mode));
  printf("dev.sample %llu\\n", (unsigned long long)makedev(0x12345u, 0xabcdefu));
  return 0;
}
`;

let dir: string;
let values: Map<string, number>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tapefleet-sg-layout-"));
  writeFileSync(join(dir, "layout.c"), PROGRAM);
  await run("gcc", ["-Wall", "-Werror", "-o", join(dir, "layout"), join(dir, "layout.c")]);
  const { stdout } = await run(join(dir, "layout"));
  values = new Map(
    stdout
      .trim()
      .split("\n")
      .map((line) => {
        const [k, v] = line.split(" ");
        return [k ?? "", Number(v)];
      }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function c(name: string): number {
  const v = values.get(name);
  if (v === undefined) throw new Error(`${name} missing from the C program output`);
  return v;
}

describe("sg_io_hdr_t layout", () => {
  it("has the size of the C struct", () => {
    expect(SG_IO_HDR_SIZE).toBe(c("sizeof.sg_io_hdr_t"));
    expect(koffi.sizeof(SgIoHdr)).toBe(c("sizeof.sg_io_hdr_t"));
  });

  it.each(SG_IO_HDR_FIELDS.map((f) => [f]))("places %s where gcc does", (field) => {
    expect(koffi.offsetof(SgIoHdr, field)).toBe(c(`offsetof.${field}`));
    expect(SG_IO_HDR_OFFSETS[field]).toBe(c(`offsetof.${field}`));
  });

  it("declares the fields in order without overlap", () => {
    const offsets = SG_IO_HDR_FIELDS.map((f) => SG_IO_HDR_OFFSETS[f]);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
    expect(new Set(offsets).size).toBe(offsets.length);
  });
});

describe("ioctl numbers and constants", () => {
  it.each(Object.entries(SgIoctl))("%s matches the header", (name, value) => {
    expect(value).toBe(c(`const.${name}`));
  });

  it("uses SG_IO = 0x2285 and interface id 'S'", () => {
    expect(SgIoctl.SG_IO).toBe(0x2285);
    expect(SG_INTERFACE_ID_ORIG).toBe("S".charCodeAt(0));
  });

  it("matches dxfer directions, info bits, open flags and mode bits", () => {
    expect(SgDxfer.NONE).toBe(c("const.SG_DXFER_NONE"));
    expect(SgDxfer.TO_DEV).toBe(c("const.SG_DXFER_TO_DEV"));
    expect(SgDxfer.FROM_DEV).toBe(c("const.SG_DXFER_FROM_DEV"));
    expect(SgDxfer.TO_FROM_DEV).toBe(c("const.SG_DXFER_TO_FROM_DEV"));
    expect(SG_INFO_CHECK).toBe(c("const.SG_INFO_CHECK"));
    expect(OpenFlags.O_RDWR).toBe(c("const.O_RDWR"));
    expect(OpenFlags.O_NONBLOCK).toBe(c("const.O_NONBLOCK"));
    expect(OpenFlags.O_CLOEXEC).toBe(c("const.O_CLOEXEC"));
    expect(OpenFlags.F_GETFL).toBe(c("const.F_GETFL"));
    expect(OpenFlags.F_SETFL).toBe(c("const.F_SETFL"));
    expect(S_IFMT).toBe(c("const.S_IFMT"));
    expect(S_IFCHR).toBe(c("const.S_IFCHR"));
    expect(SCSI_GENERIC_MAJOR).toBe(21);
    expect(SCSI_TAPE_MAJOR).toBe(9);
  });
});

describe("struct stat as read by the transport", () => {
  it("finds st_mode and st_rdev where gcc does on this architecture", () => {
    const layout = statLayout();
    expect(layout).toBeDefined();
    expect(layout?.size).toBe(c("stat.size"));
    expect(layout?.st_mode).toBe(c("stat.st_mode"));
    expect(layout?.st_rdev).toBe(c("stat.st_rdev"));
    expect(c("stat.st_mode_size")).toBe(4);
    expect(c("stat.st_rdev_size")).toBe(8);
  });

  it("splits dev_t like glibc's major()/minor()", () => {
    const sample = BigInt(c("dev.sample"));
    expect(deviceMajor(sample)).toBe(0x12345);
    expect(deviceMinor(sample)).toBe(0xabcdef);
  });
});
