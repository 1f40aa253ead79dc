/**
 * Helpers of the whole-stack tests that drive the real services with the
 * `tapectl` binary: tapectl as a child process, and datastore comparisons
 * (snapshot folders, indexes, chunks) for restores.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { CHUNKS_DIR, decodeDynamicIndex, decodeFixedIndex, decodeManifestBlob, dynamicDigest, fixedDigest, MANIFEST_BLOB_NAME } from "@tapefleet/datastore";
import { expect } from "vitest";
import { REPO_ROOT, type TestEnv } from "../src/index.ts";

export const TAPECTL = join(REPO_ROOT, "packages", "cli", "bin", "tapectl.mjs");

/**
 * The environment of a stack on the test's backing services: this process's environment
 * without any `TAPEFLEET_*` or `DATABASE_URL`, plus the test's database, NATS, Redis and
 * prefixes, info logs, no web UI, the virtual library created from `specFile` on first
 * start, and `extra`.
 */
export function stackEnvOn(env: TestEnv, specFile: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(e)) if (k.startsWith("TAPEFLEET_") || k === "DATABASE_URL") delete e[k];
  return Object.assign(e, {
    DATABASE_URL: env.databaseUrl,
    TAPEFLEET_NATS_URL: env.natsUrl,
    TAPEFLEET_NATS_PREFIX: env.natsPrefix,
    TAPEFLEET_REDIS_URL: env.redisUrl,
    TAPEFLEET_QUEUE_PREFIX: env.queuePrefix,
    TAPEFLEET_LOG_LEVEL: "info",
    TAPEFLEET_WEB_UI: "0",
    TAPEFLEET_VTL_SPEC: specFile,
    ...extra,
  });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** tapectl runs from one folder, which holds the stack's `./var` (it finds the gateway and token there). */
export function tapectlIn(cwd: string) {
  const tapectl = (args: string[], timeoutMs = 150_000): Promise<Run> =>
    new Promise((resolve) => {
      const base: NodeJS.ProcessEnv = { ...process.env };
      for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_")) delete base[k];
      execFile(process.execPath, [TAPECTL, ...args], { cwd, env: { ...base, NO_COLOR: "1" }, timeout: timeoutMs, maxBuffer: 64 * 1024 ** 2 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        resolve({ code, stdout, stderr });
      });
    });
  /** tapectl that must succeed; the failure message holds its output. */
  const ok = async (args: string[]): Promise<string> => {
    const r = await tapectl(args);
    if (r.code !== 0) throw new Error(`tapectl ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const okJson = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, "--output-format", "json"])) as T;
  return { tapectl, ok, okJson };
}

/** Every file under `dir` (relative paths), sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Snapshot folders of a datastore, relative (`[ns/a/]type/id/time`), found by their manifest. */
export function snapshotDirs(store: string): string[] {
  return filesUnder(store)
    .filter((f) => !f.startsWith(`${CHUNKS_DIR}/`) && f.endsWith(`/${MANIFEST_BLOB_NAME}`))
    .map((f) => f.slice(0, -MANIFEST_BLOB_NAME.length - 1))
    .sort();
}

/** Chunk digests the indexes of a snapshot folder reference. */
export function digestsOf(snapshotDir: string): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync(snapshotDir)) {
    const bytes = new Uint8Array(readFileSync(join(snapshotDir, name)));
    if (name.endsWith(".fidx")) {
      const index = decodeFixedIndex(bytes);
      for (let i = 0; i < index.count; i++) out.add(Buffer.from(fixedDigest(index, i)).toString("hex"));
    }
    if (name.endsWith(".didx")) {
      const index = decodeDynamicIndex(bytes);
      for (let i = 0; i < index.count; i++) out.add(Buffer.from(dynamicDigest(index, i)).toString("hex"));
    }
  }
  return out;
}

const chunkFile = (store: string, digest: string) => join(store, CHUNKS_DIR, digest.slice(0, 4), digest);

/**
 * A restored snapshot folder equals the source's: the same files a snapshot
 * archive carries, every index and blob byte for byte, the manifest compared
 * decoded (a restore re-encodes it without `unprotected.verify_state`), and
 * every chunk its indexes reference in the target store with the source's
 * bytes. Returns how many chunks were compared.
 */
export async function expectSameSnapshot(srcStore: string, srcPath: string, dstStore: string, dstPath: string): Promise<number> {
  const src = join(srcStore, srcPath);
  const dst = join(dstStore, dstPath);
  expect(existsSync(dst), `${dstPath} restored into ${dstStore}`).toBe(true);
  const carried = readdirSync(src).filter((n) => !n.startsWith(".")).sort();
  expect(readdirSync(dst).filter((n) => !n.startsWith(".")).sort()).toEqual(carried);
  for (const name of carried) {
    const a = readFileSync(join(src, name));
    const b = readFileSync(join(dst, name));
    if (name === MANIFEST_BLOB_NAME) {
      const ma = await decodeManifestBlob(new Uint8Array(a));
      const mb = await decodeManifestBlob(new Uint8Array(b));
      const { verify_state: _a, ...ua } = ma.unprotected;
      const { verify_state: _b, ...ub } = mb.unprotected;
      expect({ ...mb, unprotected: ub }).toEqual({ ...ma, unprotected: ua });
    } else {
      expect(b.equals(a), `${dstPath}/${name} equals the source byte for byte`).toBe(true);
    }
  }
  const digests = digestsOf(src);
  for (const d of digests) {
    const from = chunkFile(srcStore, d);
    const to = chunkFile(dstStore, d);
    expect(existsSync(to), `chunk ${d} of ${srcPath} in ${dstStore}`).toBe(true);
    expect(readFileSync(to).equals(readFileSync(from)), `chunk ${d} byte for byte`).toBe(true);
  }
  return digests.size;
}
