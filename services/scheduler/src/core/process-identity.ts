import { readFileSync } from "node:fs";

/**
 * A process on this host as PBS UPIDs name it: its pid and its start time
 * (`pstart`). A pid alone means nothing after a restart (pid 1 of a new pod
 * is "alive"); the pair names one process, because a recycled pid starts at
 * another time.
 */
export interface ProcessIdentity {
  pid: number;
  pstart: number;
}

/**
 * The start time of a process from the text of `/proc/<pid>/stat`: field 22,
 * `starttime`, in clock ticks since boot (proc(5)). The command name (field 2)
 * is in parentheses and may hold spaces and ')', so fields are counted after
 * the last ')'. Undefined when the text is not a stat line.
 */
export function parseProcStatStart(text: string): number | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // Fields from 3 (state) on; starttime is field 22, the 20th of these.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const raw = fields[19];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

const hasProc = (() => {
  try {
    readFileSync("/proc/self/stat", "utf8");
    return true;
  } catch {
    return false;
  }
})();

/** Start time (ticks since boot) of `pid` on this host from /proc; undefined when there is no such process or no /proc. */
export function processStartTicks(pid: number): number | undefined {
  if (!hasProc || !Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStatStart(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * This process's identity: its pid and its start time in ticks since boot
 * from /proc (as PBS); without /proc, the start as epoch seconds.
 */
export function ownProcessIdentity(): ProcessIdentity {
  const pstart = processStartTicks(process.pid) ?? Math.floor(Date.now() / 1000 - process.uptime());
  return { pid: process.pid, pstart };
}

/**
 * Whether the process `(pid, pstart)` runs on this host: the pid exists and
 * started at `pstart` (a pid recycled by a later process is not it). Without
 * /proc only the pid can be checked.
 */
export function isProcessLive(id: ProcessIdentity): boolean {
  if (hasProc) return processStartTicks(id.pid) === id.pstart;
  try {
    process.kill(id.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
