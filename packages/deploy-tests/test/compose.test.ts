/**
 * deploy/compose.yaml, read by Debian's docker-compose (`config` needs no
 * engine): the file is valid, the site has every piece, the start order is
 * expressed with health and completion conditions, and every tapefleet
 * container's environment passes that service's own configuration check.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_DIR, ensureTool, parseDockerfile, parseYamlDocuments, REPO_ROOT, runTool, type ToolOutput } from "../src/index.ts";
import { SERVICE_CONFIG, SERVICES, unknownVariables, type ServiceName } from "./helpers/service-config.ts";

const COMPOSE_FILE = join(DEPLOY_DIR, "compose.yaml");
const PASSWORD = "compose-test-password";
const REDIS_PASSWORD = "compose-test-redis-password";
/** What deploy/.env holds (make-secrets.sh compose). */
const DOT_ENV = { TAPEFLEET_POSTGRES_PASSWORD: PASSWORD, TAPEFLEET_REDIS_PASSWORD: REDIS_PASSWORD };

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  volumes?: (string | { source?: string; target: string; type: string; read_only?: boolean })[];
  devices?: string[];
  group_add?: (string | number)[];
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  ports?: (string | { target: number; published: number | string; host_ip?: string })[];
  secrets?: (string | { source: string })[];
  read_only?: boolean;
  restart?: string;
  expose?: string[];
}

interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

let work: string;

/**
 * `docker-compose config` of compose.yaml, or of a variant of its text written
 * to a scratch folder, with deploy/ as the project directory as an operator has it.
 */
async function composeConfig(text: string | undefined, env: Record<string, string>): Promise<ToolOutput> {
  let file = COMPOSE_FILE;
  if (text !== undefined) {
    file = join(work, "compose.yaml");
    writeFileSync(file, text);
  }
  return runTool("docker-compose", ["-f", file, "--project-directory", DEPLOY_DIR, "config"], { env: { PATH: process.env["PATH"] ?? "", HOME: work, ...env }, cwd: work });
}

function parseModel(out: ToolOutput): ComposeModel {
  expect(out.stderr.replace(/^.*(WARNING|Warning).*version.*$/gm, "").trim()).toBe("");
  expect(out.code).toBe(0);
  return parseYamlDocuments(out.stdout, "docker-compose config")[0] as ComposeModel;
}

let model: ComposeModel;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tf-compose-"));
  await ensureTool("docker-compose");
  model = parseModel(await composeConfig(undefined, DOT_ENV));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("compose.yaml", () => {
  it("holds the backing servers, the migration step and the six services", () => {
    expect(Object.keys(model.services).sort()).toEqual(["api-gateway", "catalog", "device-agent", "inventory", "keyvault", "migrate", "nats", "postgres", "redis", "scheduler"]);
  });

  it("runs every tapefleet container from the one image, service chosen by argument and TAPEFLEET_SERVICE", () => {
    for (const name of [...SERVICES, "migrate"]) {
      const svc = model.services[name]!;
      expect(svc.image, name).toBe("tapefleet:latest");
      expect(svc.command, name).toEqual([name]);
      expect(svc.environment?.["TAPEFLEET_SERVICE"], name).toBe(name);
      expect(svc.read_only, name).toBe(true);
      expect(svc.cap_drop, name).toEqual(["ALL"]);
      expect(svc.privileged, name).toBeUndefined();
    }
    expect(model.services["migrate"]!.build?.context).toBe(REPO_ROOT.replace(/\/$/, ""));
    expect(model.services["migrate"]!.restart).toBe("no");
  });

  it("starts NATS with JetStream and Redis without eviction", () => {
    expect(model.services["nats"]!.command).toEqual(expect.arrayContaining(["--jetstream", "--store_dir", "/data"]));
    const redis = model.services["redis"]!.command!.join(" ");
    expect(redis).toContain("--maxmemory-policy noeviction");
    expect(redis).toContain("--appendonly yes");
  });

  it("has a health check on every long-running container and the image's on the services", () => {
    for (const [name, svc] of Object.entries(model.services)) {
      if (name === "migrate") {
        // `disable: true`, as docker-compose renders it.
        expect(svc.healthcheck?.test).toEqual(["NONE"]);
        continue;
      }
      expect(svc.healthcheck?.test?.length, name).toBeGreaterThan(1);
    }
    for (const name of SERVICES) expect(model.services[name]!.healthcheck!.test).toEqual(["CMD", "node", "/app/deploy/bin/healthcheck.mjs"]);
  });

  it("orders the start with depends_on conditions", () => {
    const deps = (name: string) => model.services[name]!.depends_on ?? {};
    expect(deps("migrate")).toEqual({ postgres: { condition: "service_healthy" } });
    for (const name of ["inventory", "catalog", "keyvault", "scheduler"]) {
      expect(deps(name)["migrate"], name).toEqual({ condition: "service_completed_successfully" });
      expect(deps(name)["nats"], name).toEqual({ condition: "service_healthy" });
    }
    expect(deps("scheduler")["redis"]).toEqual({ condition: "service_healthy" });
    expect(deps("device-agent")).toEqual({ nats: { condition: "service_healthy" } });
    for (const name of ["inventory", "catalog", "keyvault", "scheduler", "device-agent"]) expect(deps("api-gateway")[name], name).toEqual({ condition: "service_healthy" });
    // Every condition names a service of the file with a health check (or the one-shot).
    for (const [name, svc] of Object.entries(model.services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(model.services[dep], `${name} -> ${dep}`).toBeDefined();
        expect(condition === "service_completed_successfully" ? dep === "migrate" : model.services[dep]!.healthcheck?.test?.[0] !== "NONE", `${name} -> ${dep}`).toBe(true);
      }
    }
  });

  it("publishes only the gateway, on loopback by default", () => {
    for (const [name, svc] of Object.entries(model.services)) if (name !== "api-gateway") expect(svc.ports, name).toBeUndefined();
    const ports = model.services["api-gateway"]!.ports!;
    expect(ports).toHaveLength(1);
    const p = ports[0]!;
    expect(typeof p === "string" ? p : `${p.host_ip}:${p.published}:${p.target}`).toMatch(/^127\.0\.0\.1:8007:8007/);
  });

  it("gives the device agent its virtual library and a gRPC address the scheduler can dial", () => {
    const agent = model.services["device-agent"]!;
    expect(agent.environment?.["TAPEFLEET_VTL_DIR"]).toBe("/var/lib/tapefleet/vtl");
    expect(agent.environment?.["TAPEFLEET_GRPC_ADDRESS"]).toBe("device-agent:8008");
    expect(agent.expose).toEqual(["8008"]);
    expect(JSON.stringify(agent.volumes)).toContain("/var/lib/tapefleet/vtl");
    expect(agent.devices).toBeUndefined();
    expect(model.volumes).toHaveProperty("vtl-data");
  });

  it("reads the master key from a secret file, never from the environment", () => {
    const kv = model.services["keyvault"]!;
    expect(kv.environment?.["TAPEFLEET_MASTER_KEY_FILE"]).toBe("/run/secrets/master-key");
    expect(kv.environment?.["TAPEFLEET_MASTER_KEY"]).toBeUndefined();
    expect(JSON.stringify(kv.secrets)).toContain("master-key");
    expect(model.secrets?.["master-key"]?.file).toBe(join(DEPLOY_DIR, "secrets/master-key"));
  });

  it("hands each service an environment its own configuration check accepts, with no variable it does not read", () => {
    const image = parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8")).stages.at(-1)!;
    const imageEnv: Record<string, string> = {};
    for (const ins of image.instructions.filter((i) => i.keyword === "ENV")) {
      for (const m of ins.args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) imageEnv[m[1]!] = m[2]!;
    }
    for (const name of SERVICES) {
      const env = model.services[name]!.environment ?? {};
      expect(unknownVariables(name as ServiceName, env), name).toEqual([]);
      const full: Record<string, string> = { ...imageEnv };
      for (const [k, v] of Object.entries(env)) if (v !== null) full[k] = v;
      // The entry point's port default, as it sets it.
      full["TAPEFLEET_HTTP_PORT"] ??= name === "api-gateway" ? "8007" : "8080";
      expect(() => SERVICE_CONFIG[name as ServiceName].load(full), name).not.toThrow();
    }
    expect(model.services["inventory"]!.environment?.["TAPEFLEET_DATABASE_URL"]).toBe(`postgres://tapefleet:${PASSWORD}@postgres:5432/tapefleet`);
    // The database password reaches only the containers that use the database.
    expect(model.services["device-agent"]!.environment?.["TAPEFLEET_DATABASE_URL"]).toBeUndefined();
  });

  it("refuses to render without the PostgreSQL or the Redis password, naming the variable", async () => {
    const r = await composeConfig(undefined, { TAPEFLEET_REDIS_PASSWORD: REDIS_PASSWORD });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("TAPEFLEET_POSTGRES_PASSWORD");
    const noRedis = await composeConfig(undefined, { TAPEFLEET_POSTGRES_PASSWORD: PASSWORD });
    expect(noRedis.code).not.toBe(0);
    expect(noRedis.stderr).toContain("TAPEFLEET_REDIS_PASSWORD");
  });

  it("requires the Redis password and mutual TLS between the scheduler and the device agent", () => {
    const redis = model.services["redis"]!;
    expect(redis.command!.join(" ")).toContain(`--requirepass ${REDIS_PASSWORD}`);
    // The health check authenticates (redis-cli reads REDISCLI_AUTH).
    expect(redis.environment?.["REDISCLI_AUTH"]).toBe(REDIS_PASSWORD);
    const scheduler = model.services["scheduler"]!;
    expect(new URL(scheduler.environment!["TAPEFLEET_REDIS_URL"]!).password).toBe(REDIS_PASSWORD);
    const agent = model.services["device-agent"]!;
    expect(agent.environment?.["TAPEFLEET_GRPC_INSECURE"]).toBeUndefined();
    // Each TLS file is a secret of the container that reads it, from deploy/secrets/.
    const secretFile = (svc: ComposeService, path: string | null | undefined) => {
      const name = /^\/run\/secrets\/(.+)$/.exec(path ?? "")?.[1];
      expect(name, path ?? "unset").toBeDefined();
      expect(JSON.stringify(svc.secrets), name).toContain(`"${name}"`);
      return model.secrets?.[name!]?.file;
    };
    const at = (f: string) => join(DEPLOY_DIR, "secrets", f);
    expect(secretFile(agent, agent.environment?.["TAPEFLEET_GRPC_TLS_CERT"])).toBe(at("device-agent.crt"));
    expect(secretFile(agent, agent.environment?.["TAPEFLEET_GRPC_TLS_KEY"])).toBe(at("device-agent.key"));
    expect(secretFile(agent, agent.environment?.["TAPEFLEET_GRPC_TLS_CA"])).toBe(at("ca.crt"));
    expect(secretFile(scheduler, scheduler.environment?.["TAPEFLEET_GRPC_TLS_CA"])).toBe(at("ca.crt"));
    expect(secretFile(scheduler, scheduler.environment?.["TAPEFLEET_GRPC_TLS_CERT"])).toBe(at("scheduler.crt"));
    expect(secretFile(scheduler, scheduler.environment?.["TAPEFLEET_GRPC_TLS_KEY"])).toBe(at("scheduler.key"));
    // The CA's key reaches no container.
    expect(Object.values(model.secrets ?? {}).map((x) => x.file)).not.toContain(at("ca.key"));
  });

  it("stays valid with the commented real-hardware pass-through turned on, still without privileges", async () => {
    const text = readFileSync(COMPOSE_FILE, "utf8");
    const lines = text.split("\n");
    const begin = lines.findIndex((l) => l.trim() === "# real hardware: begin");
    const end = lines.findIndex((l) => l.trim() === "# real hardware: end");
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    const enabled = lines.map((l, i) => {
      if (i > begin && i < end) return l.replace(/^(\s*)# /, "$1");
      const m = /^(\s*)# (- \/dev\/tape\/by-id:\/dev\/tape\/by-id:ro)\s+# real hardware$/.exec(l);
      return m ? `${m[1]}${m[2]}` : l;
    });
    expect(enabled.join("\n")).not.toBe(text);
    const hw = parseModel(await composeConfig(enabled.join("\n"), DOT_ENV)).services["device-agent"]!;
    expect(hw.devices).toEqual(["/dev/sg3:/dev/sg3", "/dev/sg4:/dev/sg4", "/dev/sg5:/dev/sg5"]);
    expect(hw.group_add).toEqual(["6"]);
    expect(JSON.stringify(hw.volumes)).toContain("/dev/tape/by-id");
    expect(JSON.stringify(hw.volumes)).toMatch(/"read_only":true|:ro"/);
    expect(hw.privileged).toBeUndefined();
    expect(hw.cap_add).toBeUndefined();
    expect(hw.cap_drop).toEqual(["ALL"]);
  });
});
