/**
 * Builds the test-only forwarding library (native/sgfwd.c) with gcc into a
 * cache directory outside the source tree, keyed by a hash of the source, so
 * every test file and benchmark shares one build.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import koffi from "koffi";

const run = promisify(execFile);

/** The C source of the forwarding library. */
export const FORWARDING_LIBRARY_SOURCE = fileURLToPath(new URL("../../native/sgfwd.c", import.meta.url));

const CFLAGS = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror"];
const LIBS = ["-ldl", "-lpthread"];

/** The environment variable listing the device paths the library serves. */
export const SGFWD_ENV = "TAPEFLEET_SGFWD";

export interface ForwardedDevice {
  /** The path that stands for the sg node, e.g. /dev/sg-vtl0. */
  path: string;
  /** Further names for the same device, e.g. /dev/tape/by-id/scsi-XYZ-sg. */
  aliases?: string[];
  /** The virtual library's UNIX socket. */
  socketPath: string;
  /** Device id on that socket, e.g. lib1/drive0. */
  deviceId: string;
}

/** Formats the TAPEFLEET_SGFWD value: `path[,alias...]=socket#device;...`. */
export function forwardingSpec(devices: readonly ForwardedDevice[]): string {
  for (const d of devices) {
    for (const name of [d.path, ...(d.aliases ?? [])]) {
      if (!name.startsWith("/") || /[;,=#]/.test(name)) {
        throw new Error(`forwarded device path ${JSON.stringify(name)} must be absolute and free of ; , = #`);
      }
    }
    if (/[;#]/.test(d.socketPath) || /[;]/.test(d.deviceId)) {
      throw new Error(`socket path ${JSON.stringify(d.socketPath)} or device id ${JSON.stringify(d.deviceId)} contains ; or #`);
    }
  }
  return devices.map((d) => `${[d.path, ...(d.aliases ?? [])].join(",")}=${d.socketPath}#${d.deviceId}`).join(";");
}

/**
 * Compiles native/sgfwd.c (once per source version) and returns the path of
 * libsgfwd.so. Needs gcc; concurrent callers are safe (atomic rename).
 */
export async function buildForwardingLibrary(): Promise<string> {
  const source = readFileSync(FORWARDING_LIBRARY_SOURCE);
  const hash = createHash("sha256").update(source).update(CFLAGS.join(" ")).update(process.arch).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), `tapefleet-sgfwd-${hash}`);
  const target = join(dir, "libsgfwd.so");
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const partial = join(dir, `libsgfwd.so.${process.pid}.${Date.now()}.tmp`);
  await run("gcc", [...CFLAGS, "-o", partial, FORWARDING_LIBRARY_SOURCE, ...LIBS]);
  renameSync(partial, target);
  return target;
}

interface ConfigCalls {
  add: (spec: string) => number;
  remove: (spec: string) => number;
  setGraceMs: (ms: number) => number;
}

const configCalls = new Map<string, ConfigCalls>();

export interface ForwardingOptions {
  /**
   * How long a command may stay unanswered past its own timeout before it
   * ends with DID_TIME_OUT, for the whole process (default:
   * TAPEFLEET_SGFWD_GRACE_MS, else 5000).
   */
  graceMs?: number;
}

function calls(libraryPath: string): ConfigCalls {
  let c = configCalls.get(libraryPath);
  if (c === undefined) {
    const lib = koffi.load(libraryPath);
    const add = lib.func("int sgfwd_add_devices(const char *spec)");
    const remove = lib.func("int sgfwd_remove_devices(const char *spec)");
    const grace = lib.func("int sgfwd_set_grace_ms(long long ms)");
    c = {
      add: (spec) => add(spec) as number,
      remove: (spec) => remove(spec) as number,
      setGraceMs: (ms) => grace(ms) as number,
    };
    configCalls.set(libraryPath, c);
  }
  return c;
}

/**
 * Makes the forwarding library, as loaded in this process by the koffi
 * transport, serve `devices` (replacing earlier entries with the same path);
 * returns the function that withdraws them. While any are added they are the
 * configuration instead of TAPEFLEET_SGFWD: a worker thread's `process.env`
 * is not the C library's environment, and several test files may share one
 * process. Child processes (LD_PRELOAD) read the variables.
 */
export function forwardDevices(libraryPath: string, devices: readonly ForwardedDevice[], options: ForwardingOptions = {}): () => void {
  const graceMs = options.graceMs;
  if (graceMs !== undefined && (!Number.isInteger(graceMs) || graceMs < 0)) {
    throw new Error(`graceMs ${graceMs} must be a non-negative integer`);
  }
  const spec = forwardingSpec(devices);
  const c = calls(libraryPath);
  c.add(spec);
  if (graceMs !== undefined) c.setGraceMs(graceMs);
  let withdrawn = false;
  return () => {
    if (withdrawn) return;
    withdrawn = true;
    c.remove(spec);
  };
}
