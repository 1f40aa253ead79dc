/**
 * The forwarding library as LD_PRELOAD under a C program: the stat family,
 * the sg ioctls tools ask before SG_IO, the kernel's checks on sg_io_hdr_t,
 * scatter/gather through iovec, sense truncation and the status fields.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildForwardingLibrary, forwardingSpec } from "../../src/sg/index.ts";
import { startScriptedTarget, type ScriptedTarget } from "./helpers/scripted-target.ts";

const run = promisify(execFile);

const HARNESS = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

static void hex(const char *key, const unsigned char *p, int n) {
  printf("%s=", key);
  for (int i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

static void hdr(const char *tag, int r, const sg_io_hdr_t *h) {
  printf("%s.ret=%d\n%s.status=%d\n%s.masked=%d\n%s.host=%d\n%s.driver=%d\n%s.sb=%d\n%s.resid=%d\n%s.info=%u\n",
         tag, r, tag, h->status, tag, h->masked_status, tag, h->host_status, tag, h->driver_status,
         tag, h->sb_len_wr, tag, h->resid, tag, h->info);
}

int main(int argc, char **argv) {
  const char *path = argv[1], *alias = argv[2];
  struct stat st;
  int r = stat(path, &st);
  printf("stat.ret=%d\n", r);
  printf("stat.chr=%d\nstat.major=%u\n", S_ISCHR(st.st_mode), major(st.st_rdev));
  memset(&st, 0, sizeof(st));
  r = lstat(alias, &st);
  printf("lstat.ret=%d\nlstat.major=%u\n", r, major(st.st_rdev));
  struct statx sx;
  memset(&sx, 0, sizeof(sx));
  r = statx(AT_FDCWD, path, 0, STATX_TYPE, &sx);
  printf("statx.ret=%d\nstatx.major=%u\n", r, sx.stx_rdev_major);

  int fd = open(path, O_RDWR | O_NONBLOCK);
  printf("open.ok=%d\n", fd >= 0);
  memset(&st, 0, sizeof(st));
  r = fstat(fd, &st);
  printf("fstat.ret=%d\n", r);
  printf("fstat.major=%u\nfstat.minor=%u\n", major(st.st_rdev), minor(st.st_rdev));
  int fl = fcntl(fd, F_GETFL);
  printf("fcntl.ret=%d\n", fcntl(fd, F_SETFL, fl & ~O_NONBLOCK));

  int v = 0;
  r = ioctl(fd, SG_GET_VERSION_NUM, &v);
  printf("version.ret=%d\nversion=%d\n", r, v);
  struct sg_scsi_id id;
  memset(&id, 0xff, sizeof(id));
  r = ioctl(fd, SG_GET_SCSI_ID, &id);
  printf("scsi_id.ret=%d\nscsi_id.type=%d\nscsi_id.id=%d\nscsi_id.lun=%d\n", r, id.scsi_type, id.scsi_id, id.lun);
  int idlun[2] = {-1, -1};
  r = ioctl(fd, SCSI_IOCTL_GET_IDLUN, idlun);
  printf("idlun.ret=%d\nidlun.dev=%d\n", r, idlun[0]);
  int bus = -1;
  r = ioctl(fd, SCSI_IOCTL_GET_BUS_NUMBER, &bus);
  printf("bus.ret=%d\nbus=%d\n", r, bus);
  int t = 1234;
  ioctl(fd, SG_SET_TIMEOUT, &t);
  printf("timeout=%d\n", ioctl(fd, SG_GET_TIMEOUT, 0));
  int rs = 65536;
  ioctl(fd, SG_SET_RESERVED_SIZE, &rs);
  rs = 0;
  ioctl(fd, SG_GET_RESERVED_SIZE, &rs);
  printf("reserved=%d\n", rs);
  int emu = -1, table = -1;
  ioctl(fd, SG_EMULATED_HOST, &emu);
  ioctl(fd, SG_GET_SG_TABLESIZE, &table);
  printf("emulated=%d\ntablesize.positive=%d\n", emu, table > 0);
  errno = 0;
  r = ioctl(fd, 0x5401, &v);
  printf("unknown.ret=%d\nunknown.enotty=%d\n", r, errno == ENOTTY);

  unsigned char cdb[16], sense[32], buf[64];
  sg_io_hdr_t h;

  memset(&h, 0, sizeof(h));
  h.interface_id = 'Q';
  h.cmdp = cdb; h.cmd_len = 6; h.dxfer_direction = SG_DXFER_NONE;
  errno = 0;
  r = ioctl(fd, SG_IO, &h);
  printf("badif.ret=%d\nbadif.enosys=%d\n", r, errno == ENOSYS);
  h.interface_id = 'S'; h.cmd_len = 4;
  errno = 0;
  r = ioctl(fd, SG_IO, &h);
  printf("badcdb.ret=%d\nbadcdb.emsgsize=%d\n", r, errno == EMSGSIZE);

  /* INQUIRY into two iovec segments of 10 and 30 bytes; the device returns 36. */
  memset(buf, 0xee, sizeof(buf));
  sg_iovec_t in_iov[2] = {{buf, 10}, {buf + 20, 30}};
  memset(&h, 0, sizeof(h));
  memset(cdb, 0, sizeof(cdb));
  cdb[0] = 0x12; cdb[4] = 40;
  h.interface_id = 'S'; h.cmdp = cdb; h.cmd_len = 6;
  h.dxfer_direction = SG_DXFER_FROM_DEV; h.dxferp = in_iov; h.iovec_count = 2; h.dxfer_len = 40;
  h.sbp = sense; h.mx_sb_len = sizeof(sense); h.timeout = 7000;
  r = ioctl(fd, SG_IO, &h);
  hdr("inq", r, &h);
  hex("inq.seg0", buf, 10);
  hex("inq.gap", buf + 10, 10);
  hex("inq.seg1", buf + 20, 30);

  /* WRITE gathered from three segments. */
  unsigned char a[3] = {1, 2, 3}, b[2] = {4, 5}, c[4] = {6, 7, 8, 9};
  sg_iovec_t out_iov[3] = {{a, 3}, {b, 2}, {c, 4}};
  memset(&h, 0, sizeof(h));
  memset(cdb, 0, sizeof(cdb));
  cdb[0] = 0x0a; cdb[4] = 9;
  h.interface_id = 'S'; h.cmdp = cdb; h.cmd_len = 6;
  h.dxfer_direction = SG_DXFER_TO_DEV; h.dxferp = out_iov; h.iovec_count = 3; h.dxfer_len = 9;
  h.sbp = sense; h.mx_sb_len = sizeof(sense);
  r = ioctl(fd, SG_IO, &h);
  hdr("write", r, &h);

  /* TEST UNIT READY answered with 18 bytes of sense into an 8-byte buffer. */
  memset(&h, 0, sizeof(h));
  memset(cdb, 0, sizeof(cdb));
  memset(sense, 0, sizeof(sense));
  h.interface_id = 'S'; h.cmdp = cdb; h.cmd_len = 6; h.dxfer_direction = SG_DXFER_NONE;
  h.sbp = sense; h.mx_sb_len = 8; h.timeout = 0;
  r = ioctl(fd, SG_IO, &h);
  hdr("tur", r, &h);
  hex("tur.sense", sense, 10);

  r = close(fd);
  printf("close.ret=%d\n", r);
  r = fstat(fd, &st);
  printf("closed.fstat=%d\n", r);
  int nul = open("/dev/null", O_RDWR);
  fstat(nul, &st);
  printf("devnull.major=%u\n", major(st.st_rdev));
  close(nul);
  return 0;
}
`;

let dir: string;
let binary: string;
let library: string;
let target: ScriptedTarget;
let out: Map<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tapefleet-sgfwd-preload-"));
  writeFileSync(join(dir, "harness.c"), HARNESS);
  binary = join(dir, "harness");
  [library] = await Promise.all([
    buildForwardingLibrary(),
    run("gcc", ["-Wall", "-Werror", "-o", binary, join(dir, "harness.c")]),
  ]);
  target = await startScriptedTarget({
    devices: { "lib7/changer": "changer" },
    onCommand: (c) => {
      if (c.cdb[0] === 0x12) return { data: Uint8Array.from({ length: 36 }, (_, i) => i + 1), residual: 4 };
      if (c.cdb[0] === 0x0a) return { status: 0 };
      return { status: 0x02, sense: Uint8Array.from({ length: 18 }, (_, i) => (i === 0 ? 0x70 : i === 2 ? 0x02 : i === 12 ? 0x3a : 0)) };
    },
  });
  const env = {
    ...process.env,
    LD_PRELOAD: library,
    TAPEFLEET_SGFWD: forwardingSpec([
      { path: "/dev/sg-pre0", socketPath: `${target.socketPath}.none`, deviceId: "lib7/drive0" },
      { path: "/dev/sg-pre1", aliases: ["/dev/tape/by-id/scsi-PRE1"], socketPath: target.socketPath, deviceId: "lib7/changer" },
    ]),
  };
  const { stdout } = await run(binary, ["/dev/sg-pre1", "/dev/tape/by-id/scsi-PRE1"], { env });
  out = new Map(stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
});

afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

function v(key: string): string {
  const value = out.get(key);
  if (value === undefined) throw new Error(`harness printed no ${key}`);
  return value;
}

describe("forwarding library under LD_PRELOAD", () => {
  it("presents the path and its alias as sg character devices", () => {
    expect([v("stat.ret"), v("stat.chr"), v("stat.major")]).toEqual(["0", "1", "21"]);
    expect([v("lstat.ret"), v("lstat.major")]).toEqual(["0", "21"]);
    expect([v("statx.ret"), v("statx.major")]).toEqual(["0", "21"]);
    expect([v("open.ok"), v("fstat.ret"), v("fstat.major"), v("fstat.minor"), v("fcntl.ret")]).toEqual(["1", "0", "21", "1", "0"]);
    expect(v("devnull.major")).toBe("1");
  });

  it("answers the sg ioctls tools ask before SG_IO", () => {
    expect(v("version.ret")).toBe("0");
    expect(Number(v("version"))).toBeGreaterThanOrEqual(30000);
    expect(Number(v("version"))).toBeLessThan(40000);
    expect([v("scsi_id.ret"), v("scsi_id.type"), v("scsi_id.id"), v("scsi_id.lun")]).toEqual(["0", "8", "1", "0"]);
    expect([v("idlun.ret"), v("idlun.dev"), v("bus.ret"), v("bus")]).toEqual(["0", "1", "0", "0"]);
    expect(v("timeout")).toBe("1234");
    expect(v("reserved")).toBe("65536");
    expect([v("emulated"), v("tablesize.positive")]).toEqual(["0", "1"]);
    expect([v("unknown.ret"), v("unknown.enotty")]).toEqual(["-1", "1"]);
  });

  it("applies the kernel's checks on interface id and CDB length", () => {
    expect([v("badif.ret"), v("badif.enosys")]).toEqual(["-1", "1"]);
    expect([v("badcdb.ret"), v("badcdb.emsgsize")]).toEqual(["-1", "1"]);
  });

  it("scatters data-in over iovec segments and reports the residual", () => {
    expect([v("inq.ret"), v("inq.status"), v("inq.host"), v("inq.driver"), v("inq.resid"), v("inq.info")]).toEqual(["0", "0", "0", "0", "4", "0"]);
    const bytes = Array.from({ length: 36 }, (_, i) => (i + 1).toString(16).padStart(2, "0"));
    expect(v("inq.seg0")).toBe(bytes.slice(0, 10).join(""));
    expect(v("inq.gap")).toBe("ee".repeat(10));
    expect(v("inq.seg1")).toBe(bytes.slice(10, 36).join("") + "ee".repeat(4));
    const inquiry = target.commands.find((c) => c.cdb[0] === 0x12);
    expect(inquiry).toMatchObject({ direction: 2, dataInLength: 40, timeoutMs: 7000 });
  });

  it("gathers data-out from iovec segments", () => {
    const write = target.commands.find((c) => c.cdb[0] === 0x0a);
    expect(write).toMatchObject({ direction: 1, dataInLength: 0 });
    expect([...(write?.dataOut ?? [])]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([v("write.ret"), v("write.status"), v("write.resid"), v("write.info")]).toEqual(["0", "0", "0", "0"]);
  });

  it("truncates sense to mx_sb_len and sets masked status, DRIVER_SENSE and SG_INFO_CHECK", () => {
    expect([v("tur.ret"), v("tur.status"), v("tur.masked"), v("tur.driver"), v("tur.sb"), v("tur.info")]).toEqual(["0", "2", "1", "8", "8", "1"]);
    expect(v("tur.sense")).toBe("7000020000000000" + "0000");
    const tur = target.commands.find((c) => c.cdb[0] === 0x00);
    expect(tur?.timeoutMs).toBe(60_000);
  });

  it("lets the descriptor go on close", () => {
    expect(v("close.ret")).toBe("0");
    expect(v("closed.fstat")).toBe("-1");
  });
});
