/**
 * Real SCSI tools for the tests: installs the Debian packages when a command
 * is missing (apt-get update first), runs a tool with the forwarding library
 * preloaded, and writes byte buffers as sg3_utils hex files.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** command → Debian package that provides it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  mtx: "mtx",
  tapeinfo: "mtx",
  sg_inq: "sg3-utils",
  sg_vpd: "sg3-utils",
  sg_turs: "sg3-utils",
  sg_logs: "sg3-utils",
  sg_read_attr: "sg3-utils",
  sg_modes: "sg3-utils",
  sg_decode_sense: "sg3-utils",
  sdparm: "sdparm",
};

async function has(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every listed command exists, installing the missing packages with
 * apt-get. Test files run in parallel: the install runs under flock, and apt
 * waits for a dpkg lock held by anything else instead of failing.
 */
export async function ensureTools(commands: readonly string[]): Promise<void> {
  const missing = new Set<string>();
  for (const c of commands) {
    const pkg = TOOL_PACKAGES[c];
    if (pkg === undefined) throw new Error(`no Debian package known for ${c}`);
    if (!(await has(c))) missing.add(pkg);
  }
  if (missing.size === 0) return;
  const packages = [...missing].join(" ");
  const probe = commands.map((c) => `command -v ${c} >/dev/null`).join(" && ");
  const apt = "apt-get -q -o DPkg::Lock::Timeout=600";
  const script = `${probe} || { ${apt} update && ${apt} install -y ${packages}; }`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("flock", ["/tmp/tapefleet-apt.lock", "sh", "-c", script], { env, maxBuffer: 64 * 1024 * 1024 });
  for (const c of commands) if (!(await has(c))) throw new Error(`${c} is still missing after installing ${packages}`);
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a tool; a non-zero exit is returned, not thrown. */
export async function runTool(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolOutput> {
  try {
    const { stdout, stderr } = await run(command, [...args], { env, maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    if (typeof err.code !== "number") throw e;
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code };
  }
}

/** Runs a tool and fails with its output when it exits non-zero. */
export async function runToolOk(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const r = await runTool(command, args, env);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Formats bytes as sg3_utils reads them with --inhex / --in: hex pairs, 16 a line. */
export function toHexText(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" "));
  }
  return `${lines.join("\n")}\n`;
}

export function writeHexFile(path: string, bytes: Uint8Array): string {
  writeFileSync(path, toHexText(bytes));
  return path;
}
