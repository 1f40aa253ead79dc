/**
 * The Dockerfile, read statically (no engine here): stages, user, health check,
 * entry point, every COPY source present in the context, and the dependencies
 * the pruned image keeps covering every import the services make at run time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { copyOperands, instructionsOf, parseDockerfile, parseDockerIgnore, REPO_ROOT, type Dockerfile, type DockerIgnore, type Stage } from "../src/index.ts";

const SERVICES = ["api-gateway", "inventory", "catalog", "keyvault", "scheduler", "device-agent"] as const;

let df: Dockerfile;
let ignore: DockerIgnore;
let runtime: Stage;

beforeAll(() => {
  df = parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  ignore = parseDockerIgnore(readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8"));
  runtime = df.stages.at(-1)!;
});

function expand(text: string): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => df.globalArgs[name] ?? `<${name}>`);
}

describe("Dockerfile stages", () => {
  it("builds in named stages and ends with the runtime stage", () => {
    expect(df.stages.map((s) => s.name)).toEqual(["manifests", "deps", "build", "runtime"]);
  });

  it("uses the Node 20 Debian slim image for every stage that is not a stage of this file", () => {
    const names = new Set(df.stages.map((s) => s.name));
    for (const s of df.stages) {
      if (names.has(s.from)) continue;
      expect(expand(s.from), `stage ${s.name}`).toBe("node:20-bookworm-slim");
    }
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=20\./);
  });

  it("copies from earlier stages only", () => {
    const seen: string[] = [];
    for (const s of df.stages) {
      for (const ins of instructionsOf(s, "COPY")) {
        const from = ins.flags["from"];
        if (from !== undefined) expect(seen, `line ${ins.line}: --from=${from}`).toContain(from);
      }
      if (s.name !== undefined) seen.push(s.name);
    }
  });

  it("installs with npm ci, keeps tsx and prunes what only development needs", () => {
    const deps = df.stages.find((s) => s.name === "deps")!;
    const run = instructionsOf(deps, "RUN").map((i) => i.args).join(" && ");
    const steps = run.split("&&").map((s) => s.trim());
    const at = (re: RegExp) => steps.findIndex((s) => re.test(s));
    expect(at(/^npm ci\b/)).toBe(0);
    expect(at(/^npm pkg set "dependencies\.tsx=/)).toBeGreaterThan(0);
    expect(at(/^npm prune --omit=dev\b/)).toBeGreaterThan(at(/^npm pkg set "dependencies\.tsx=/));
    expect(at(/^test -f node_modules\/tsx\/package\.json$/)).toBeGreaterThan(at(/^npm prune/));
    // tsx is a root development dependency: the step that keeps it reads it from there.
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(root.devDependencies["tsx"]).toBeDefined();
  });

  it("runs the workspaces' build scripts on the sources, before the runtime stage copies them", () => {
    const build = df.stages.find((s) => s.name === "build")!;
    expect(instructionsOf(build, "RUN").map((i) => i.args)).toEqual(["npm run build --workspaces --if-present && chmod 0755 deploy/bin/entrypoint.sh"]);
    const lastCopy = Math.max(...instructionsOf(build, "COPY").map((i) => i.line));
    expect(instructionsOf(build, "RUN")[0]!.line).toBeGreaterThan(lastCopy);
    // Bundles are built in the image, never taken from the checkout.
    expect(ignore.ignores("packages/web-ui/dist/index.html")).toBe(true);
  });

  it("runs as uid 10001 in the final stage, never as root", () => {
    const users = instructionsOf(runtime, "USER").map((u) => u.args.trim());
    expect(users.at(-1)).toBe("10001:10001");
    for (const u of users) expect(u).not.toMatch(/^(root|0)(:|$)/);
    const run = instructionsOf(runtime, "RUN").map((i) => i.args).join(" ");
    expect(run).toMatch(/useradd [^&]*--uid 10001/);
    expect(run).toMatch(/groupadd [^&]*--gid 10001/);
    // The code is root's: the service user can read it, not change it.
    const copy = instructionsOf(runtime, "COPY").find((c) => c.flags["from"] === "build")!;
    expect(copy.flags["chown"]).toBe("root:root");
  });

  it("has a HEALTHCHECK on /healthz, STOPSIGNAL SIGTERM and tini in front of the entry point", () => {
    const hc = instructionsOf(runtime, "HEALTHCHECK");
    expect(hc).toHaveLength(1);
    expect(hc[0]!.args).toBe('CMD ["node", "/app/deploy/bin/healthcheck.mjs"]');
    expect(readFileSync(join(REPO_ROOT, "deploy/bin/healthcheck.mjs"), "utf8")).toContain("/healthz");
    expect(instructionsOf(runtime, "STOPSIGNAL").map((i) => i.args)).toEqual(["SIGTERM"]);
    expect(instructionsOf(runtime, "ENTRYPOINT")[0]!.exec).toEqual(["/usr/bin/tini", "--", "/app/deploy/bin/entrypoint.sh"]);
    expect(instructionsOf(runtime, "RUN").some((i) => /apt-get install -y --no-install-recommends tini\b/.test(i.args))).toBe(true);
  });

  it("sets no secret and no listen address that would be announced to others", () => {
    const env = instructionsOf(runtime, "ENV").map((i) => i.args).join(" ");
    expect(env).toContain("TAPEFLEET_HTTP_HOST=0.0.0.0");
    expect(env).not.toMatch(/TAPEFLEET_GRPC_ADDRESS|PASSWORD|MASTER_KEY=|DATABASE_URL/);
    for (const port of ["8007", "8008", "8080"]) expect(instructionsOf(runtime, "EXPOSE")[0]!.args.split(/\s+/)).toContain(port);
  });
});

describe("build context", () => {
  it("finds every COPY source of the context in the checkout, not excluded by .dockerignore", () => {
    const checked: string[] = [];
    for (const s of df.stages) {
      for (const ins of instructionsOf(s, "COPY")) {
        if (ins.flags["from"] !== undefined) continue;
        for (const src of copyOperands(ins).sources) {
          const path = src.replace(/\/$/, "");
          if (path === ".") continue;
          expect(existsSync(join(REPO_ROOT, path)), `line ${ins.line}: ${src}`).toBe(true);
          expect(ignore.ignores(path), `line ${ins.line}: ${src} is excluded by .dockerignore`).toBe(false);
          checked.push(path);
        }
      }
    }
    expect(checked.sort()).toEqual(["deploy/bin", "packages", "proto", "services", "tsconfig.base.json", "tsconfig.json"]);
  });

  it("leaves out what the image must not carry", () => {
    for (const p of [".git/HEAD", "node_modules/x/index.js", "services/inventory/node_modules/zod/index.js", "var/master-key", "var/admin-token", "deploy/k8s/base/kustomization.yaml", "services/inventory/src/config.test.ts", "packages/deploy-tests/test/image.test.ts"]) {
      expect(ignore.ignores(p), p).toBe(true);
    }
  });

  it("keeps the manifests, the lock file and every migration", () => {
    expect(ignore.ignores("package-lock.json")).toBe(false);
    for (const ws of workspaceDirs()) expect(ignore.ignores(`${ws}/package.json`), ws).toBe(false);
    for (const svc of SERVICES) {
      for (const folder of ["drizzle", "migrations"]) {
        const dir = join(REPO_ROOT, "services", svc, folder);
        if (!existsSync(dir)) continue;
        for (const f of walk(dir)) expect(ignore.ignores(relative(REPO_ROOT, f)), f).toBe(false);
      }
    }
  });
});

// --- what the services import at run time ---------------------------------

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  resolved?: string;
}

function workspaceDirs(): string[] {
  const out: string[] = [];
  for (const parent of ["packages", "services"]) {
    for (const d of readdirSync(join(REPO_ROOT, parent))) if (existsSync(join(REPO_ROOT, parent, d, "package.json"))) out.push(`${parent}/${d}`);
  }
  if (existsSync(join(REPO_ROOT, "proto/package.json"))) out.push("proto");
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Module specifiers of the value imports of a TypeScript/JavaScript source (type-only imports are erased). */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const statement = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm;
  const dynamic = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of source.matchAll(statement)) specs.push(m[1]!);
  for (const m of source.matchAll(dynamic)) specs.push(m[1]!);
  return specs;
}

function packageNameOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe("runtime dependencies of the pruned image", () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const byName = new Map<string, string>();
  for (const ws of workspaceDirs()) {
    const pj = JSON.parse(readFileSync(join(REPO_ROOT, ws, "package.json"), "utf8")) as { name: string };
    byName.set(pj.name, ws);
  }
  const builtins = new Set(builtinModules);

  /** Follows value imports from the entry points through relative paths and workspace packages. */
  function closure(entries: string[]): { files: Set<string>; external: Map<string, Set<string>> } {
    const files = new Set<string>();
    const external = new Map<string, Set<string>>();
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (!existsSync(target)) throw new Error(`${relative(REPO_ROOT, file)} imports ${spec}, which does not exist`);
          if (/\.(ts|mts|js|mjs)$/.test(target)) queue.push(target);
          continue;
        }
        if (spec.startsWith("node:") || builtins.has(spec)) continue;
        const name = packageNameOf(spec);
        const ws = byName.get(name);
        if (ws !== undefined) {
          const pj = JSON.parse(readFileSync(join(REPO_ROOT, ws, "package.json"), "utf8")) as { exports: Record<string, string> };
          if (spec !== name) throw new Error(`${relative(REPO_ROOT, file)} imports ${spec}: a deep import into a workspace`);
          queue.push(join(REPO_ROOT, ws, pj.exports["."]!));
          continue;
        }
        const from = relative(REPO_ROOT, file);
        if (!external.has(name)) external.set(name, new Set());
        external.get(name)!.add(from);
      }
    }
    return { files, external };
  }

  const entries = [...SERVICES.map((s) => join(REPO_ROOT, "services", s, "src", "main.ts")), join(REPO_ROOT, "deploy/bin/migrate.ts"), join(REPO_ROOT, "deploy/bin/healthcheck.mjs")];
  const { files, external } = closure(entries);

  it("reaches every service's sources from its main.ts", () => {
    for (const s of SERVICES) expect([...files].some((f) => f.includes(`/services/${s}/src/`) && !f.endsWith("main.ts")), s).toBe(true);
    expect(files.size).toBeGreaterThan(50);
  });

  it("ships every source file the services load (none left out by .dockerignore)", () => {
    for (const f of files) expect(ignore.ignores(relative(REPO_ROOT, f)), relative(REPO_ROOT, f)).toBe(false);
  });

  it("keeps every imported package after npm prune --omit=dev", () => {
    const problems: string[] = [];
    for (const [name, importers] of external) {
      // Resolution as Node does it: the importing workspace's own node_modules first.
      const candidates = [...importers].map((f) => {
        const ws = [...byName.values()].find((w) => f.startsWith(`${w}/`));
        return ws !== undefined && lock.packages[`${ws}/node_modules/${name}`] !== undefined ? `${ws}/node_modules/${name}` : `node_modules/${name}`;
      });
      for (const key of new Set(candidates)) {
        const entry = lock.packages[key];
        if (entry === undefined) problems.push(`${name}: not installed (imported by ${[...importers].join(", ")})`);
        else if (entry.dev === true) problems.push(`${name}: a development dependency only, pruned from the image (imported by ${[...importers].join(", ")})`);
      }
    }
    expect(problems).toEqual([]);
    for (const name of ["zod", "pino", "postgres", "drizzle-orm", "fastify", "bullmq", "@grpc/grpc-js", "koffi"]) expect(external.has(name), name).toBe(true);
    // The lock file marks development-only packages: the check above can fail.
    expect(lock.packages["node_modules/vitest"]?.dev).toBe(true);
    expect(external.has("@tapefleet/testkit")).toBe(false);
    expect([...files].some((f) => f.includes("/packages/testkit/"))).toBe(false);
  });

  it("reads the import statements a source can have", () => {
    const src = [
      'import { a } from "pkg-a";',
      'import type { T } from "types-only";',
      "import {",
      "  b,",
      "  type C,",
      '} from "@scope/pkg-b/sub";',
      'export { d } from "./d.ts";',
      'export type { E } from "./e.ts";',
      'import "side-effect";',
      ' * import x from "in-a-comment-line";',
      'const m = await import("dyn");',
    ].join("\n");
    expect(importsOf(src)).toEqual(["pkg-a", "@scope/pkg-b/sub", "./d.ts", "side-effect", "dyn"]);
    expect(packageNameOf("@scope/pkg-b/sub")).toBe("@scope/pkg-b");
    expect(packageNameOf("drizzle-orm/pg-core")).toBe("drizzle-orm");
  });
});
