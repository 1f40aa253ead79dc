/**
 * The command-line tools the deployment checks run (docker-compose, kubectl,
 * promtool, openssl): installed from Debian when missing, then run with their
 * exit code returned rather than thrown.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** command → Debian package that provides it (Debian 12). */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  "docker-compose": "docker-compose",
  kubectl: "kubernetes-client",
  promtool: "prometheus",
  openssl: "openssl",
};

export class ToolError extends Error {
  constructor(
    readonly code: "UNKNOWN_TOOL" | "INSTALL_FAILED",
    message: string,
  ) {
    super(message);
    this.name = "ToolError";
  }
}

export async function hasCommand(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", 'command -v "$1"', "sh", command]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the command exists, installing its Debian package when it does not.
 * Test files run in parallel: the install runs under the shared apt flock, and apt
 * waits for a dpkg lock held by anything else instead of failing. Services that a
 * package would start (prometheus) stay stopped where policy-rc.d says so.
 */
export async function ensureTool(command: string): Promise<void> {
  const pkg = TOOL_PACKAGES[command];
  if (pkg === undefined) throw new ToolError("UNKNOWN_TOOL", `no Debian package known for ${command}`);
  if (await hasCommand(command)) return;
  const apt = "apt-get -q -o DPkg::Lock::Timeout=600";
  const script = `command -v "$1" >/dev/null || ${apt} install -y --no-install-recommends "$2" || { ${apt} update && ${apt} install -y --no-install-recommends "$2"; }`;
  try {
    await run("flock", ["/tmp/tapefleet-apt.lock", "sh", "-c", script, "sh", command, pkg], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new ToolError("INSTALL_FAILED", `${command} is missing and 'apt-get install ${pkg}' failed: ${(err as Error).message}`);
  }
  if (!(await hasCommand(command))) throw new ToolError("INSTALL_FAILED", `${command} is still missing after installing ${pkg}`);
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command; a non-zero exit is returned, not thrown. */
export async function runTool(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ToolOutput> {
  try {
    const { stdout, stderr } = await run(command, [...args], { env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number | string };
    if (typeof err.code !== "number") throw e;
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code };
  }
}

/** Runs a command and fails with its output when it exits non-zero. */
export async function runToolOk(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  const r = await runTool(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
