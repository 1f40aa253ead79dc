import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isProcessLive, ownProcessIdentity, parseProcStatStart, processStartTicks } from "./process-identity.ts";

const LINE = "22190 (cat) R 22185 22185 20371 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 406427 3133440 389 18446744073709551615 94186566823936";

describe("parseProcStatStart", () => {
  it("reads field 22 (starttime)", () => {
    expect(parseProcStatStart(LINE)).toBe(406427);
  });

  it("counts fields after the last ')' of a command name with spaces and parentheses", () => {
    expect(parseProcStatStart(LINE.replace("(cat)", "(node (x) y)"))).toBe(406427);
  });

  it("refuses truncated, malformed and over-long input", () => {
    expect(parseProcStatStart("")).toBeUndefined();
    expect(parseProcStatStart("22190 cat R 1 2 3")).toBeUndefined();
    expect(parseProcStatStart(LINE.slice(0, LINE.indexOf(" 406427")))).toBeUndefined();
    expect(parseProcStatStart(LINE.replace("406427", "40x427"))).toBeUndefined();
    expect(parseProcStatStart(LINE.replace("406427", "9".repeat(30)))).toBeUndefined();
    expect(parseProcStatStart(`${LINE} ${"1 ".repeat(1000)}`)).toBe(406427);
  });
});

describe.runIf(process.platform === "linux")("process identity on this host", () => {
  it("this process is live with its start time and not with another", () => {
    const me = ownProcessIdentity();
    expect(me.pid).toBe(process.pid);
    expect(me.pstart).toBe(processStartTicks(process.pid));
    expect(isProcessLive(me)).toBe(true);
    // The same pid with another start time: a recycled pid, not this process.
    expect(isProcessLive({ pid: me.pid, pstart: me.pstart + 1 })).toBe(false);
    expect(isProcessLive({ pid: me.pid, pstart: 0 })).toBe(false);
  });

  it("a process that ended is not live", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    await new Promise<void>((resolve) => child.once("spawn", () => resolve()));
    const id = { pid: child.pid!, pstart: processStartTicks(child.pid!)! };
    expect(id.pstart).toBeGreaterThan(0);
    expect(isProcessLive(id)).toBe(true);
    child.kill("SIGKILL");
    await new Promise<void>((resolve) => child.once("exit", () => resolve()));
    expect(isProcessLive(id)).toBe(false);
  }, 30_000);
});
