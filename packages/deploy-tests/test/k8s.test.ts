/**
 * deploy/k8s: the example overlay (and the base) built with `kubectl kustomize`,
 * every object checked against the Kubernetes schemas, then what the manifests
 * promise: privileges, probes, replicas, budgets, who may reach whom, and an
 * environment each service's own configuration check accepts.
 *
 * kubectl comes from the machine, or from Debian's kubernetes-client when it is
 * missing. Debian 12's kubectl (1.20) embeds kustomize 2.0.3, which cannot read
 * current kustomizations (`labels`, `patches`, directories in `resources`); with
 * it, the objects are the manifest files the kustomizations list, each file
 * validated on its own, and the kustomizations' references are checked instead
 * of the built result (see `mode` below).
 */
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asK8sObject,
  DEPLOY_DIR,
  egressAllowed,
  ensureTool,
  ingressAllowed,
  objectName,
  parseYamlDocuments,
  readYamlDocuments,
  runTool,
  runToolOk,
  typeCheckObjects,
  validateObjects,
  type K8sObject,
  type Peer,
} from "../src/index.ts";
import { SERVICE_MIGRATIONS, serviceUrlVariable } from "../../../deploy/bin/migrate.ts";
import { SERVICE_CONFIG, SERVICES, unknownVariables, type ServiceName } from "./helpers/service-config.ts";

const K8S = join(DEPLOY_DIR, "k8s");
const BASE = join(K8S, "base");
const OVERLAY = join(K8S, "overlays/example");
const MAKE_SECRETS = join(DEPLOY_DIR, "bin/make-secrets.sh");
const KUBECTL = process.env["TAPEFLEET_KUBECTL"] ?? "kubectl";
const PLACEHOLDER = "REPLACE-ME-run-deploy-bin-make-secrets-sh";
const IMAGE = "registry.example.com/tapefleet/tapefleet:0.1.0";

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: { name: string; behavior?: string; literals?: string[] }[];
  secretGenerator?: { name: string; type?: string; envs?: string[]; files?: string[] }[];
  patches?: { path: string }[];
}

/** `built`: kubectl kustomize output. `files`: the listed manifest files (old kustomize). */
let mode: "built" | "files";
let overlay: K8sObject[];
let base: K8sObject[];
let scratch: string;

function kustomization(dir: string): Kustomization {
  return readYamlDocuments(join(dir, "kustomization.yaml"))[0] as Kustomization;
}

/** The objects of the manifest files a kustomization lists, its bases' first (old-kustomize path). */
function listedObjects(dir: string): K8sObject[] {
  const k = kustomization(dir);
  const out: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    expect(existsSync(p), `${dir}: resource ${r}`).toBe(true);
    if (statSync(p).isDirectory()) out.push(...listedObjects(p));
    else out.push(...readYamlDocuments(p).map((d) => asK8sObject(d, p)));
  }
  for (const o of out) if (k.namespace !== undefined && o.kind !== "Namespace") o.metadata = { ...o.metadata, namespace: k.namespace };
  return out;
}

function parseEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Secret name → key → value: from the built Secrets, or from the overlay's generator sources. */
function secretValues(objects: readonly K8sObject[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (mode === "built") {
    for (const o of objects.filter((x) => x.kind === "Secret")) {
      const data = (o["data"] ?? {}) as Record<string, string>;
      out.set(baseName(o.metadata!.name!), Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v.replace(/\s/g, ""), "base64").toString("utf8")])));
    }
    return out;
  }
  for (const g of kustomization(OVERLAY).secretGenerator ?? []) {
    const values: Record<string, string> = {};
    for (const e of g.envs ?? []) Object.assign(values, parseEnvFile(join(OVERLAY, e)));
    for (const f of g.files ?? []) {
      const [key, path] = f.includes("=") ? (f.split("=") as [string, string]) : [f.split("/").at(-1)!, f];
      values[key] = readFileSync(join(OVERLAY, path), "utf8").trim();
    }
    out.set(g.name, values);
  }
  return out;
}

/** The object of a kind whose name is `name` or `name-<kustomize hash>`. */
function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && (o.metadata?.name === name || new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata?.name ?? "")));
}

function baseName(name: string): string {
  return name.replace(/-[a-z0-9]{10}$/, "");
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tf-k8s-"));
  if (process.env["TAPEFLEET_KUBECTL"] === undefined) await ensureTool("kubectl");
  const version = await runTool(KUBECTL, ["version", "--client"]);
  const m = /Kustomize Version: v(\d+)/.exec(version.stdout);
  mode = m !== null && Number(m[1]) >= 4 ? "built" : "files";
  if (mode === "built") {
    const parse = (out: string, where: string) => parseYamlDocuments(out, where).map((d) => asK8sObject(d, where));
    overlay = parse(await runToolOk(KUBECTL, ["kustomize", OVERLAY]), "overlay");
    base = parse(await runToolOk(KUBECTL, ["kustomize", BASE]), "base");
  } else {
    base = listedObjects(BASE);
    overlay = listedObjects(OVERLAY);
  }
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("kubernetes manifests", () => {
  it("build into the objects of a site", () => {
    const kinds = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${baseName(o.metadata?.name ?? "")}`).sort();
    const expectedBase = [
      "ConfigMap/tapefleet-config",
      "DaemonSet/device-agent",
      ...["api-gateway", "catalog", "inventory", "keyvault"].map((n) => `Deployment/${n}`),
      "StatefulSet/scheduler",
      "Job/migrate",
      "Namespace/tapefleet",
      ...["api-gateway-ingress", "default-deny", "device-agent-grpc-egress", "device-agent-grpc-ingress", "dns-egress", "nats-egress", "postgres-egress", "redis-egress"].map((n) => `NetworkPolicy/${n}`),
      ...["api-gateway", "catalog", "inventory", "keyvault", "scheduler"].map((n) => `PodDisruptionBudget/${n}`),
      "Service/api-gateway",
      "Service/scheduler",
      "ServiceAccount/tapefleet",
    ].sort();
    expect(kinds(base)).toEqual(expectedBase);
    const secrets = [
      "tapefleet-api-token",
      "tapefleet-ca",
      "tapefleet-database",
      "tapefleet-device-agent-tls",
      "tapefleet-gateway-tls",
      "tapefleet-keyvault",
      "tapefleet-nats",
      "tapefleet-redis",
      "tapefleet-scheduler-tls",
    ].map((n) => `Secret/${n}`);
    expect(kinds(overlay)).toEqual([...expectedBase, "Ingress/api-gateway", ...(mode === "built" ? secrets : [])].sort());
    for (const o of overlay) if (o.kind !== "Namespace") expect(o.metadata?.namespace, objectName(o)).toBe("tapefleet");
  });

  it("match the Kubernetes OpenAPI schemas", async () => {
    // Secret data as kustomize writes it: base64 folded over lines, which the API server's decoder accepts.
    const normalized = overlay.map((o) =>
      o.kind === "Secret" ? { ...o, data: Object.fromEntries(Object.entries((o["data"] ?? {}) as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, "")])) } : o,
    );
    expect(await validateObjects(normalized)).toEqual([]);
    expect(await validateObjects(base)).toEqual([]);
  });

  it("have no unknown or misspelt field anywhere", () => {
    expect(typeCheckObjects(overlay)).toEqual([]);
  });

  it("catch a misspelt field and a wrong type (the checks can fail)", async () => {
    const dep = structuredClone(find(overlay, "Deployment", "inventory")!) as K8sObject & { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
    dep.spec.template.spec.containers[0]!["readinessProbes"] = {};
    dep.spec.replicas = "2";
    const typed = typeCheckObjects([dep]).map((p) => p.message).join("\n");
    expect(typed).toContain("readinessProbes");
    expect(typed).toContain("not assignable to type 'number'");
    expect((await validateObjects([dep])).map((p) => p.message).join("\n")).toContain("replicas must be integer");
  });
});

// --- workloads ----------------------------------------------------------------

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: Record<string, Record<string, unknown>> }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; hostPath?: { path: string; type?: string }; emptyDir?: unknown; secret?: { secretName: string; defaultMode?: number } }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; supplementalGroups?: number[]; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  nodeSelector?: Record<string, string>;
  restartPolicy?: string;
}

interface Workload {
  object: K8sObject;
  name: string;
  labels: Record<string, string>;
  pod: PodSpec;
}

function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((o) => ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(o.kind))
    .map((o) => {
      const tpl = (o["spec"] as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
      return { object: o, name: o.metadata!.name!, labels: tpl.metadata.labels, pod: tpl.spec };
    });
}

function workload(name: string): Workload {
  const w = workloads(overlay).find((x) => x.name === name);
  expect(w, name).toBeDefined();
  return w!;
}

describe("workloads", () => {
  it("run the services as Deployments and the scheduler as a StatefulSet, replicated where that is safe", () => {
    const replicas = Object.fromEntries(overlay.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet").map((o) => [`${o.kind}/${o.metadata!.name!}`, (o["spec"] as { replicas: number }).replicas]));
    expect(replicas).toEqual({ "Deployment/api-gateway": 2, "Deployment/inventory": 2, "Deployment/catalog": 2, "Deployment/keyvault": 2, "StatefulSet/scheduler": 2 });
    for (const name of ["api-gateway", "inventory", "catalog", "keyvault"]) {
      const strategy = (find(overlay, "Deployment", name)!["spec"] as { strategy: { rollingUpdate: { maxUnavailable: number } } }).strategy;
      expect(strategy.rollingUpdate.maxUnavailable, name).toBe(0);
    }
    for (const w of workloads(overlay)) expect(w.pod.containers.map((c) => c.args), w.name).toEqual([[w.name === "migrate" ? "migrate" : w.name]]);
  });

  it("give each scheduler replica its pod name as node name, from a StatefulSet with a headless Service", () => {
    const sts = find(overlay, "StatefulSet", "scheduler")!["spec"] as {
      serviceName: string;
      podManagementPolicy?: string;
      updateStrategy?: { type: string };
      selector: { matchLabels: Record<string, string> };
    };
    // The node name: the pod name through the downward API (scheduler-0, scheduler-1: unique, the same after a restart).
    const env = workload("scheduler").pod.containers[0]!.env!;
    expect(env.find((e) => e.name === "TAPEFLEET_NODE_NAME")).toEqual({ name: "TAPEFLEET_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect(env.filter((e) => e.name === "TAPEFLEET_NODE_NAME")).toHaveLength(1);
    // The scheduler accepts a StatefulSet pod's name as node name.
    for (const pod of ["scheduler-0", "scheduler-1"]) {
      expect(SERVICE_CONFIG.scheduler.load({ TAPEFLEET_DATABASE_URL: "postgres://tf_scheduler@db/tapefleet", TAPEFLEET_NODE_NAME: pod }), pod).toMatchObject({ nodeName: pod });
    }
    expect(sts.podManagementPolicy).toBe("Parallel");
    expect(sts.updateStrategy?.type).toBe("RollingUpdate");
    // The governing Service exists and is headless, over the scheduler pods only.
    const svc = find(overlay, "Service", sts.serviceName)!["spec"] as { clusterIP?: string; selector: Record<string, string> };
    expect(svc.clusterIP).toBe("None");
    expect(svc.selector).toEqual(sts.selector.matchLabels);
    expect(workloads(overlay).filter((w) => Object.entries(svc.selector).every(([k, v]) => w.labels[k] === v)).map((w) => w.name)).toEqual(["scheduler"]);
  });

  it("run every pod as uid 10001 without privileges, capabilities or a service account token", () => {
    for (const w of workloads(overlay)) {
      expect(w.pod.securityContext, w.name).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } });
      expect(w.pod.automountServiceAccountToken, w.name).toBe(false);
      expect(w.pod.serviceAccountName, w.name).toBe("tapefleet");
      expect(w.pod.hostNetwork ?? false, w.name).toBe(false);
      expect(w.pod.hostPID ?? false, w.name).toBe(false);
      for (const c of [...w.pod.containers, ...(w.pod.initContainers ?? [])]) {
        expect(c.securityContext, `${w.name}/${c.name}`).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        expect(c.securityContext?.privileged ?? false).toBe(false);
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        // A read-only root: tsx's cache and Node's temporary files go to an emptyDir.
        expect(c.volumeMounts?.find((m) => m.mountPath === "/tmp"), `${w.name}: /tmp`).toBeDefined();
        expect(c.image, w.name).toBe(mode === "built" ? IMAGE : "tapefleet");
      }
      for (const v of w.pod.volumes ?? []) if (v.hostPath !== undefined) expect(w.name).toBe("device-agent");
    }
    if (mode === "files") expect(kustomization(OVERLAY).images).toEqual([{ name: "tapefleet", newName: IMAGE.split(":")[0], newTag: IMAGE.split(":")[1] }]);
  });

  it("probe /readyz and /healthz on the port the service listens on", () => {
    for (const w of workloads(overlay).filter((x) => x.object.kind !== "Job")) {
      const c = w.pod.containers[0]!;
      const portName = c.readinessProbe?.httpGet?.port;
      expect(c.readinessProbe?.httpGet?.path, w.name).toBe("/readyz");
      expect(c.livenessProbe?.httpGet?.path, w.name).toBe("/healthz");
      expect(c.startupProbe?.httpGet?.path, w.name).toBe("/healthz");
      expect(c.livenessProbe?.httpGet?.port, w.name).toBe(portName);
      const port = c.ports?.find((p) => p.name === portName)?.containerPort;
      expect(port, `${w.name}: port ${String(portName)}`).toBe(w.name === "api-gateway" ? 8007 : 8080);
      expect(c.env?.find((e) => e.name === "TAPEFLEET_HTTP_PORT")?.value, w.name).toBe(String(port));
    }
  });

  it("runs the device agent on tape hosts only, with the by-id links and the sg group, and nothing more", () => {
    const agent = workload("device-agent");
    expect(agent.object.kind).toBe("DaemonSet");
    expect(agent.pod.nodeSelector).toEqual({ "tapefleet.io/tape-host": "true" });
    expect(agent.pod.securityContext?.supplementalGroups).toEqual([6]);
    const byId = agent.pod.volumes!.find((v) => v.hostPath !== undefined)!;
    expect(byId.hostPath).toEqual({ path: "/dev/tape/by-id", type: "Directory" });
    expect(agent.pod.volumes!.filter((v) => v.hostPath !== undefined)).toHaveLength(1);
    const c = agent.pod.containers[0]!;
    expect(c.volumeMounts!.find((m) => m.name === byId.name)).toEqual({ name: byId.name, mountPath: "/dev/tape/by-id", readOnly: true });
    const env = c.env!;
    const podIp = env.findIndex((e) => e.name === "POD_IP");
    const grpc = env.findIndex((e) => e.name === "TAPEFLEET_GRPC_ADDRESS");
    expect(env[podIp]!.valueFrom).toEqual({ fieldRef: { fieldPath: "status.podIP" } });
    // $(POD_IP) expands only from variables defined before it.
    expect(podIp).toBeLessThan(grpc);
    expect(env[grpc]!.value).toBe("$(POD_IP):8008");
    expect(c.ports!.find((p) => p.name === "grpc")!.containerPort).toBe(8008);
    if (mode === "built") expect(c.resources?.limits?.["squat.ai/sg"]).toBe("1");
    else expect(readYamlDocuments(join(OVERLAY, kustomization(OVERLAY).patches![0]!.path))[0]).toMatchObject({ kind: "DaemonSet", metadata: { name: "device-agent" } });
  });

  it("runs the migration as a Job of the same image", () => {
    const job = workload("migrate");
    expect(job.object.kind).toBe("Job");
    expect(job.pod.restartPolicy).toBe("OnFailure");
    // Each service's migrations run as its own role: one URL per service that owns tables.
    const env = job.pod.containers[0]!.env!;
    for (const m of SERVICE_MIGRATIONS) {
      const ref = env.find((x) => x.name === serviceUrlVariable(m.service))?.valueFrom?.["secretKeyRef"] as { name: string; key: string } | undefined;
      expect(ref && { name: baseName(ref.name), key: ref.key }, m.service).toEqual({ name: "tapefleet-database", key: m.service });
    }
    expect(env.some((e) => e.name === "TAPEFLEET_DATABASE_URL")).toBe(false);
  });

  it("keeps at least one replica of each replicated service through voluntary disruptions", () => {
    const pdbs = overlay.filter((o) => o.kind === "PodDisruptionBudget");
    for (const pdb of pdbs) {
      const spec = pdb["spec"] as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
      const targets = workloads(overlay).filter((w) => Object.entries(spec.selector.matchLabels).every(([k, v]) => w.labels[k] === v));
      expect(targets.map((t) => t.name), objectName(pdb)).toEqual([pdb.metadata!.name]);
      const replicas = (targets[0]!.object["spec"] as { replicas: number }).replicas;
      expect(spec.minAvailable).toBe(1);
      expect(replicas, objectName(pdb)).toBeGreaterThan(spec.minAvailable);
    }
    expect(pdbs.map((p) => p.metadata!.name).sort()).toEqual(["api-gateway", "catalog", "inventory", "keyvault", "scheduler"]);
  });

  it("finds every Secret and ConfigMap a pod refers to", () => {
    const secrets = secretValues(overlay);
    const configMaps = new Set(overlay.filter((o) => o.kind === "ConfigMap").map((o) => baseName(o.metadata!.name!)));
    for (const w of workloads(overlay)) {
      for (const c of w.pod.containers) {
        for (const e of c.env ?? []) {
          const s = e.valueFrom?.["secretKeyRef"] as { name: string; key: string; optional?: boolean } | undefined;
          if (s !== undefined) {
            const values = secrets.get(baseName(s.name));
            expect(values, `${w.name}: Secret ${s.name}`).toBeDefined();
            expect(values![s.key], `${w.name}: Secret ${s.name} key ${s.key}`).toBeDefined();
          }
          const cm = e.valueFrom?.["configMapKeyRef"] as { name: string } | undefined;
          if (cm !== undefined) expect(configMaps.has(baseName(cm.name)), `${w.name}: ConfigMap ${cm.name}`).toBe(true);
        }
        for (const f of c.envFrom ?? []) expect(configMaps.has(baseName(f.configMapRef!.name)), w.name).toBe(true);
      }
      for (const v of w.pod.volumes ?? []) if (v.secret !== undefined) expect(secrets.has(baseName(v.secret.secretName)), `${w.name}: ${v.secret.secretName}`).toBe(true);
    }
    // The master key file: root-owned, readable by the service's group only (0440).
    const kv = workload("keyvault").pod.volumes!.find((v) => v.secret !== undefined && baseName(v.secret.secretName) === "tapefleet-keyvault")!;
    expect(kv.secret!.defaultMode).toBe(0o440);
    const ingress = find(overlay, "Ingress", "api-gateway")!["spec"] as { tls: { secretName: string }[]; rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] };
    expect(secrets.has(baseName(ingress.tls[0]!.secretName))).toBe(true);
    const backend = ingress.rules[0]!.http.paths[0]!.backend.service;
    const svc = find(overlay, "Service", backend.name)!["spec"] as { ports: { name: string; targetPort: string }[]; type: string; selector: Record<string, string> };
    expect(svc.type).toBe("ClusterIP");
    expect(svc.ports.map((p) => p.name)).toContain(backend.port.name);
    expect(svc.selector).toEqual({ "app.kubernetes.io/name": "api-gateway" });
  });

  it("hands each service an environment its own configuration check accepts, with no variable it does not read", () => {
    const secrets = secretValues(overlay);
    const configMap = (find(overlay, "ConfigMap", "tapefleet-config")!["data"] ?? {}) as Record<string, string>;
    if (mode === "files") for (const l of kustomization(OVERLAY).configMapGenerator?.[0]?.literals ?? []) configMap[l.split("=")[0]!] = l.slice(l.indexOf("=") + 1);
    const fields: Record<string, string> = { "metadata.name": "pod-0", "spec.nodeName": "tapehost-1", "status.podIP": "10.1.2.3" };
    for (const name of SERVICES) {
      const c = workload(name).pod.containers[0]!;
      const env: Record<string, string> = { ...configMap };
      for (const e of c.env ?? []) {
        let value = e.value;
        const s = e.valueFrom?.["secretKeyRef"] as { name: string; key: string } | undefined;
        const cm = e.valueFrom?.["configMapKeyRef"] as { key: string } | undefined;
        const field = e.valueFrom?.["fieldRef"] as { fieldPath: string } | undefined;
        if (s !== undefined) value = secrets.get(baseName(s.name))?.[s.key];
        if (cm !== undefined) value = configMap[cm.key];
        if (field !== undefined) value = fields[field.fieldPath];
        if (value === undefined) continue;
        env[e.name] = value.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (_, v: string) => env[v] ?? `$(${v})`);
      }
      const tapefleet = Object.fromEntries(Object.entries(env).filter(([k]) => k !== "POD_IP"));
      expect(unknownVariables(name as ServiceName, tapefleet), name).toEqual([]);
      expect(() => SERVICE_CONFIG[name as ServiceName].load(tapefleet), name).not.toThrow();
    }
    // Database credentials only where a database is used.
    for (const name of ["device-agent"]) expect(workload(name).pod.containers[0]!.env!.some((e) => e.name === "TAPEFLEET_DATABASE_URL"), name).toBe(false);
  });
});

describe("security between the services (on in the overlay)", () => {
  const configMap = () => {
    const data = { ...((find(overlay, "ConfigMap", "tapefleet-config")!["data"] ?? {}) as Record<string, string>) };
    if (mode === "files") for (const l of kustomization(OVERLAY).configMapGenerator?.[0]?.literals ?? []) data[l.split("=")[0]!] = l.slice(l.indexOf("=") + 1);
    return data;
  };
  /** The file a path names inside a container: the Secret (and its key) mounted there. */
  const secretFileOf = (w: Workload, path: string): { secret: string; key: string } | undefined => {
    const c = w.pod.containers[0]!;
    for (const m of c.volumeMounts ?? []) {
      if (!path.startsWith(`${m.mountPath}/`)) continue;
      const v = w.pod.volumes?.find((x) => x.name === m.name);
      if (v?.secret === undefined) return undefined;
      const file = path.slice(m.mountPath.length + 1);
      const items = (v.secret as { items?: { key: string; path: string }[] }).items;
      const key = items === undefined ? file : items.find((i) => i.path === file)?.key;
      return key === undefined ? undefined : { secret: baseName(v.secret.secretName), key };
    }
    return undefined;
  };
  const envOf = (w: Workload, name: string) => w.pod.containers[0]!.env?.find((e) => e.name === name);

  it("NATS over TLS checked against the site's CA, with a user and password per service", () => {
    const cm = configMap();
    expect(cm["TAPEFLEET_NATS_URL"]).toMatch(/^tls:\/\//);
    const secrets = secretValues(overlay);
    for (const name of SERVICES) {
      const w = workload(name);
      expect(secretFileOf(w, cm["TAPEFLEET_NATS_TLS_CA"]!), `${name}: NATS CA`).toEqual({ secret: "tapefleet-ca", key: "ca.crt" });
      expect(envOf(w, "TAPEFLEET_NATS_USER")?.value, name).toBe(name);
      const pw = envOf(w, "TAPEFLEET_NATS_PASSWORD")?.valueFrom?.["secretKeyRef"] as { name: string; key: string; optional?: boolean };
      expect({ name: baseName(pw.name), key: pw.key }, name).toEqual({ name: "tapefleet-nats", key: name });
      expect(pw.optional ?? false, name).toBe(false);
      expect(secrets.get("tapefleet-nats")?.[name], name).toBeDefined();
    }
  });

  it("mutual TLS between the scheduler and the device agents, no plaintext gRPC", () => {
    const agent = workload("device-agent");
    const scheduler = workload("scheduler");
    expect(envOf(agent, "TAPEFLEET_GRPC_INSECURE")).toBeUndefined();
    const file = (w: Workload, v: string) => secretFileOf(w, envOf(w, v)?.value ?? "");
    // The agent: its server certificate and key, and the CA client certificates must chain to.
    expect(file(agent, "TAPEFLEET_GRPC_TLS_CERT")).toEqual({ secret: "tapefleet-device-agent-tls", key: "tls.crt" });
    expect(file(agent, "TAPEFLEET_GRPC_TLS_KEY")).toEqual({ secret: "tapefleet-device-agent-tls", key: "tls.key" });
    expect(file(agent, "TAPEFLEET_GRPC_TLS_CA")).toEqual({ secret: "tapefleet-ca", key: "ca.crt" });
    // The scheduler: the CA of the agents' certificates, its client certificate, the name the agents' certificate carries.
    expect(file(scheduler, "TAPEFLEET_GRPC_TLS_CA")).toEqual({ secret: "tapefleet-ca", key: "ca.crt" });
    expect(file(scheduler, "TAPEFLEET_GRPC_TLS_CERT")).toEqual({ secret: "tapefleet-scheduler-tls", key: "tls.crt" });
    expect(file(scheduler, "TAPEFLEET_GRPC_TLS_KEY")).toEqual({ secret: "tapefleet-scheduler-tls", key: "tls.key" });
    expect(envOf(scheduler, "TAPEFLEET_GRPC_TLS_SERVER_NAME")?.value).toBe("device-agent.tapefleet.svc");
    // Private keys: readable by the service's group only.
    for (const w of [agent, scheduler]) {
      const v = w.pod.volumes!.find((x) => x.name === w.pod.containers[0]!.volumeMounts!.find((m) => m.mountPath === "/etc/tapefleet/grpc")!.name)!;
      expect(v.secret?.defaultMode, w.name).toBe(0o440);
      expect((w.pod.securityContext as { fsGroup?: number }).fsGroup, w.name).toBe(10001);
    }
    const secrets = secretValues(overlay);
    for (const s of ["tapefleet-device-agent-tls", "tapefleet-scheduler-tls"]) expect(Object.keys(secrets.get(s) ?? {}).sort(), s).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    // The CA's private key is in no Secret.
    expect(Object.keys(secrets.get("tapefleet-ca") ?? {})).toEqual(["ca.crt"]);
  });

  it("a PostgreSQL role per service, TLS to the server, and a Redis password", () => {
    const secrets = secretValues(overlay);
    const dbs = secrets.get("tapefleet-database")!;
    for (const name of SERVICES.filter((n) => n !== "device-agent")) {
      const ref = envOf(workload(name), "TAPEFLEET_DATABASE_URL")?.valueFrom?.["secretKeyRef"] as { name: string; key: string };
      expect({ name: baseName(ref.name), key: ref.key }, name).toEqual({ name: "tapefleet-database", key: name });
      const url = new URL(dbs[name]!);
      expect(url.username, name).toBe(`tf_${name.replace(/-/g, "_")}`);
      expect(url.searchParams.get("sslmode"), name).toBe("require");
    }
    expect(new Set(Object.values(dbs).map((u) => new URL(u).username)).size).toBe(Object.keys(dbs).length);
    const redis = envOf(workload("scheduler"), "TAPEFLEET_REDIS_URL")?.valueFrom?.["secretKeyRef"] as { name: string; key: string };
    expect(new URL(secrets.get(baseName(redis.name))![redis.key]!).password.length).toBeGreaterThan(0);
  });
});

describe("deploy/README.md", () => {
  const readme = readFileSync(join(DEPLOY_DIR, "README.md"), "utf8");
  const table = (heading: string) => {
    const at = readme.indexOf(heading);
    expect(at, heading).toBeGreaterThan(0);
    const rows: string[][] = [];
    for (const line of readme.slice(at).split("\n").slice(1)) {
      const t = line.trim();
      if (t === "" && rows.length > 0) break;
      if (!t.startsWith("|") || /^\|\s*-/.test(t)) continue;
      rows.push(t.split("|").slice(1, -1).map((c) => c.trim()));
    }
    return rows.slice(1);
  };

  it("states the replicas the manifests have", () => {
    const rows = table("**Replicas.**");
    const stated = Object.fromEntries(rows.map((r) => [r[0]!, r[1]!]));
    for (const o of overlay.filter((x) => x.kind === "Deployment" || x.kind === "StatefulSet")) {
      const replicas = (o["spec"] as { replicas: number }).replicas;
      expect(stated[o.metadata!.name!], o.metadata!.name).toMatch(new RegExp(`^${replicas}\\b`));
    }
    expect(stated["device-agent"]).toMatch(/^DaemonSet/);
  });

  it("lists the Secrets and keys the overlay generates", () => {
    const rows = table("The secretGenerator makes:");
    const secrets = secretValues(overlay);
    expect(rows.map((r) => r[0]!.replace(/`/g, "")).sort()).toEqual([...secrets.keys()].sort());
    for (const r of rows) {
      const keys = [...r[1]!.matchAll(/`([a-z.-]+)`/g)].map((m) => m[1]!);
      expect(keys.sort(), r[0]).toEqual(Object.keys(secrets.get(r[0]!.replace(/`/g, ""))!).sort());
    }
  });
});

// --- network ------------------------------------------------------------------

describe("network policies", () => {
  const labelsOf = (name: string) => workload(name).labels;
  const external: Peer = { kind: "external" };
  const dns: Peer = { kind: "pod", labels: { "k8s-app": "kube-dns" }, namespace: { labels: { "kubernetes.io/metadata.name": "kube-system" } } };
  const policies = () => overlay.filter((o) => o.kind === "NetworkPolicy");
  const all = [...SERVICES, "migrate"];

  it("let only the gateway be reached from outside", () => {
    expect(ingressAllowed(policies(), labelsOf("api-gateway"), external, 8007)).toBe(true);
    for (const name of all) {
      for (const port of [8080, 8008, 8007]) {
        if (name === "api-gateway" && port === 8007) continue;
        expect(ingressAllowed(policies(), labelsOf(name), external, port), `${name}:${port}`).toBe(false);
      }
    }
  });

  it("let only the scheduler and the keyvault reach the agents' gRPC port", () => {
    const agent = labelsOf("device-agent");
    for (const name of all) {
      const from = labelsOf(name);
      const both = egressAllowed(policies(), from, { kind: "pod", labels: agent, namespace: "same" }, 8008) && ingressAllowed(policies(), agent, { kind: "pod", labels: from, namespace: "same" }, 8008);
      expect(both, `${name} -> device-agent:8008`).toBe(name === "scheduler" || name === "keyvault");
    }
  });

  it("let each service reach DNS and the backing servers it uses, and no others", () => {
    const uses: Record<string, number[]> = {
      "api-gateway": [4222, 5432],
      inventory: [4222, 5432],
      catalog: [4222, 5432],
      keyvault: [4222, 5432],
      scheduler: [4222, 5432, 6379],
      "device-agent": [4222],
      migrate: [5432],
    };
    for (const name of all) {
      expect(egressAllowed(policies(), labelsOf(name), dns, 53), `${name}: DNS`).toBe(true);
      for (const port of [4222, 5432, 6379, 443]) {
        expect(egressAllowed(policies(), labelsOf(name), external, port), `${name} -> :${port}`).toBe(uses[name]!.includes(port));
      }
    }
    // What a pod's environment names agrees with what its policy allows.
    for (const name of SERVICES) {
      const env = workload(name).pod.containers[0]!.env!.map((e) => e.name);
      expect(env.includes("TAPEFLEET_DATABASE_URL"), name).toBe(uses[name]!.includes(5432));
      expect(env.includes("TAPEFLEET_REDIS_URL"), name).toBe(uses[name]!.includes(6379));
    }
  });
});

// --- secrets and external dependencies ----------------------------------------

describe("secrets", () => {
  it("ship as obvious placeholders, exactly what make-secrets.sh --placeholders writes", async () => {
    const dir = join(scratch, "placeholders");
    await runToolOk("sh", [MAKE_SECRETS, "k8s", dir, "--placeholders"]);
    const committed = join(OVERLAY, "secrets");
    expect(readdirSync(committed).sort()).toEqual(readdirSync(dir).sort());
    for (const f of readdirSync(dir)) {
      expect(readFileSync(join(committed, f), "utf8"), f).toBe(readFileSync(join(dir, f), "utf8"));
      expect(readFileSync(join(committed, f), "utf8"), f).toContain(PLACEHOLDER);
    }
    // The keyvault refuses the placeholder master key: it is not base64 of 32 bytes.
    expect(Buffer.from(readFileSync(join(committed, "master-key"), "utf8").trim(), "base64").length).not.toBe(32);
  });

  it("are generated with fresh random values by make-secrets.sh k8s", async () => {
    const a = join(scratch, "a");
    const b = join(scratch, "b");
    const out = await runToolOk("sh", [MAKE_SECRETS, "k8s", a]);
    await runToolOk("sh", [MAKE_SECRETS, "k8s", b]);
    expect(out).toContain("wrote");
    const key = readFileSync(join(a, "master-key"), "utf8").trim();
    expect(Buffer.from(key, "base64").length).toBe(32);
    expect(key).not.toBe(readFileSync(join(b, "master-key"), "utf8").trim());
    // A role and password per service that owns tables, TLS to the server.
    const dbs = parseEnvFile(join(a, "database.env"));
    expect(Object.keys(dbs).sort()).toEqual(SERVICE_MIGRATIONS.map((m) => m.service).sort());
    const passwords = new Set<string>();
    for (const [svc, url] of Object.entries(dbs)) {
      const db = new URL(url);
      expect([db.protocol, db.username, db.hostname, db.pathname, db.searchParams.get("sslmode")], svc).toEqual(["postgres:", `tf_${svc.replace(/-/g, "_")}`, "tapefleet-db-rw.tapefleet-infra.svc", "/tapefleet", "require"]);
      expect(db.password.length).toBeGreaterThanOrEqual(32);
      passwords.add(db.password);
    }
    expect(passwords.size).toBe(Object.keys(dbs).length);
    expect(new URL(parseEnvFile(join(b, "database.env"))["inventory"]!).password).not.toBe(new URL(dbs["inventory"]!).password);
    expect(new URL(parseEnvFile(join(a, "redis.env"))["url"]!).hostname).toBe("redis-master.tapefleet-infra.svc");
    // A NATS user per service.
    const nats = parseEnvFile(join(a, "nats.env"));
    expect(Object.keys(nats).sort()).toEqual([...SERVICES].sort());
    for (const pw of Object.values(nats)) expect(pw.length).toBeGreaterThanOrEqual(32);
    for (const f of ["database.env", "redis.env", "nats.env", "master-key", "tls.key", "ca.key", "scheduler.key", "device-agent.key", "nats-server.key"]) expect(statSync(join(a, f)).mode & 0o077, f).toBe(0);
    // The private CA signed the scheduler's client certificate, the agents' and the NATS server's server certificates.
    const ca = new X509Certificate(readFileSync(join(a, "ca.crt")));
    expect(ca.ca).toBe(true);
    for (const [name, san, usage] of [
      ["scheduler", "DNS:scheduler", "1.3.6.1.5.5.7.3.2"],
      ["device-agent", "DNS:device-agent.tapefleet.svc", "1.3.6.1.5.5.7.3.1"],
      ["nats-server", "DNS:nats.tapefleet-infra.svc, DNS:*.nats-headless.tapefleet-infra.svc", "1.3.6.1.5.5.7.3.1"],
    ] as const) {
      const c = new X509Certificate(readFileSync(join(a, `${name}.crt`)));
      expect(c.verify(ca.publicKey), name).toBe(true);
      expect(c.subjectAltName, name).toBe(san);
      expect(c.keyUsage, name).toEqual([usage]);
      expect(c.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(a, `${name}.key`)))), name).toBe(true);
    }
    const cert = new X509Certificate(readFileSync(join(a, "tls.crt")));
    expect(cert.subjectAltName).toBe("DNS:tapefleet.example.com");
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(a, "tls.key"))))).toBe(true);
    // A second run keeps what exists: a new master key would orphan every wrapped tape key.
    const again = await runToolOk("sh", [MAKE_SECRETS, "k8s", a]);
    expect(again).not.toContain("wrote");
    expect(readFileSync(join(a, "master-key"), "utf8").trim()).toBe(key);
  });

  it("for compose: PostgreSQL and Redis passwords in .env, a master key file, the agent's mutual TLS certificates", async () => {
    const dir = join(scratch, "compose");
    await runToolOk("sh", [MAKE_SECRETS, "compose", dir]);
    expect(readFileSync(join(dir, ".env"), "utf8")).toMatch(/^TAPEFLEET_POSTGRES_PASSWORD=[A-Za-z0-9_-]{32}\nTAPEFLEET_REDIS_PASSWORD=[A-Za-z0-9_-]{32}\n$/);
    expect(Buffer.from(readFileSync(join(dir, "secrets/master-key"), "utf8"), "base64").length).toBe(32);
    expect(statSync(join(dir, "secrets/master-key")).mode & 0o777).toBe(0o400);
    const ca = new X509Certificate(readFileSync(join(dir, "secrets/ca.crt")));
    for (const [name, san] of [
      ["device-agent", "DNS:device-agent"],
      ["scheduler", "DNS:scheduler"],
    ] as const) {
      const c = new X509Certificate(readFileSync(join(dir, `secrets/${name}.crt`)));
      expect(c.verify(ca.publicKey), name).toBe(true);
      expect(c.subjectAltName, name).toBe(san);
      expect(statSync(join(dir, `secrets/${name}.key`)).mode & 0o077, name).toBe(0);
    }
    // An .env of an earlier version gets the Redis password it lacks; what it has stays.
    writeFileSync(join(dir, ".env"), "TAPEFLEET_POSTGRES_PASSWORD=kept\n");
    await runToolOk("sh", [MAKE_SECRETS, "compose", dir]);
    expect(readFileSync(join(dir, ".env"), "utf8")).toMatch(/^TAPEFLEET_POSTGRES_PASSWORD=kept\nTAPEFLEET_REDIS_PASSWORD=[A-Za-z0-9_-]{32}\n$/);
  });

  it("refuses a call it does not understand", async () => {
    for (const args of [[], ["k8s"], ["k8s", join(scratch, "x"), "--bogus"], ["helm"]]) {
      const r = await runTool("sh", [MAKE_SECRETS, ...args]);
      expect(r.code, args.join(" ")).toBe(64);
      expect(r.stderr).toContain("usage:");
    }
  });
});

describe("external dependencies", () => {
  const ext = (f: string) => readYamlDocuments(join(K8S, "external", f))[0] as Record<string, unknown>;

  it("give a CloudNativePG cluster whose read/write service the database URL names", () => {
    const cluster = ext("postgres-cloudnativepg.yaml") as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: { instances: number; bootstrap: { initdb: { database: string; owner: string } } } };
    expect([cluster.apiVersion, cluster.kind]).toEqual(["postgresql.cnpg.io/v1", "Cluster"]);
    expect(cluster.spec.instances).toBeGreaterThanOrEqual(3);
    expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: "tapefleet", owner: "tapefleet" });
    for (const [svc, u] of Object.entries(parseEnvFile(join(OVERLAY, "secrets/database.env")))) {
      const url = new URL(u);
      expect(url.hostname, svc).toBe(`${cluster.metadata.name}-rw.${cluster.metadata.namespace}.svc`);
      expect(url.pathname, svc).toBe("/tapefleet");
      // The operator manages the service's role; its password comes from a Secret of the same name.
      const role = (cluster.spec as unknown as { managed: { roles: { name: string; login: boolean; passwordSecret: { name: string } }[] } }).managed.roles.find((r) => r.name === url.username);
      expect(role, `${svc}: role ${url.username}`).toMatchObject({ login: true, passwordSecret: { name: `tapefleet-db-${url.username.replace(/_/g, "-")}` } });
    }
    // Each role may create its own schemas in the database.
    const sql = (cluster.spec.bootstrap.initdb as unknown as { postInitApplicationSQL: string[] }).postInitApplicationSQL.join("\n");
    for (const m of SERVICE_MIGRATIONS) expect(sql).toContain(`GRANT CREATE ON DATABASE tapefleet TO tf_${m.service.replace(/-/g, "_")}`);
  });

  it("give NATS with JetStream on persistent storage, where the ConfigMap points", () => {
    const nats = ext("nats-values.yaml") as {
      config: {
        jetstream: { enabled: boolean; fileStore: { enabled: boolean; pvc: { enabled: boolean } } };
        cluster: { enabled: boolean; replicas: number };
        nats: { tls: { enabled: boolean; secretName: string } };
        merge: { authorization: { users: { user: string; password: string }[] } };
      };
    };
    expect(nats.config.jetstream.enabled).toBe(true);
    expect(nats.config.jetstream.fileStore.pvc.enabled).toBe(true);
    expect(nats.config.cluster.replicas).toBeGreaterThanOrEqual(3);
    const cm = find(overlay, "ConfigMap", "tapefleet-config")!["data"] as Record<string, string>;
    expect(cm["TAPEFLEET_NATS_URL"]).toBe("tls://nats.tapefleet-infra.svc:4222");
    // TLS with the site's certificate, and the services' users.
    expect(nats.config.nats.tls).toMatchObject({ enabled: true, secretName: "tapefleet-nats-server-tls" });
    expect(nats.config.merge.authorization.users.map((u) => u.user).sort()).toEqual([...SERVICES].sort());
  });

  it("give Redis that keeps every key and survives restarts", () => {
    const redis = ext("redis-values.yaml") as { commonConfiguration: string; auth: { enabled: boolean }; master: { persistence: { enabled: boolean } } };
    expect(redis.commonConfiguration.split("\n")).toEqual(expect.arrayContaining(["appendonly yes", "maxmemory-policy noeviction"]));
    expect(redis.auth.enabled).toBe(true);
    expect(redis.master.persistence.enabled).toBe(true);
  });

  it("give cert-manager Certificates that write the TLS Secrets the pods mount, with the names the services check", () => {
    const docs = readYamlDocuments(join(K8S, "external", "cert-manager.yaml")) as { kind: string; metadata: { name: string }; spec: { secretName?: string; dnsNames?: string[]; usages?: string[]; isCA?: boolean; issuerRef?: { name: string } } }[];
    const certs = new Map(docs.filter((d) => d.kind === "Certificate").map((d) => [d.spec.secretName!, d.spec]));
    const mounted = new Set(workloads(overlay).flatMap((w) => (w.pod.volumes ?? []).filter((v) => v.secret !== undefined).map((v) => baseName(v.secret!.secretName))));
    for (const s of ["tapefleet-ca", "tapefleet-scheduler-tls", "tapefleet-device-agent-tls"]) {
      expect(certs.has(s), s).toBe(true);
      expect(mounted.has(s), s).toBe(true);
    }
    expect(certs.get("tapefleet-ca")!.isCA).toBe(true);
    expect(certs.get("tapefleet-scheduler-tls")!.usages).toContain("client auth");
    const agentName = workload("scheduler").pod.containers[0]!.env!.find((e) => e.name === "TAPEFLEET_GRPC_TLS_SERVER_NAME")!.value!;
    expect(certs.get("tapefleet-device-agent-tls")!.dnsNames).toEqual([agentName]);
    expect(certs.get("tapefleet-device-agent-tls")!.usages).toContain("server auth");
    const natsHost = new URL(((find(overlay, "ConfigMap", "tapefleet-config")!["data"] ?? {}) as Record<string, string>)["TAPEFLEET_NATS_URL"]!).hostname;
    expect(certs.get("tapefleet-nats-server-tls")!.dnsNames).toContain(natsHost);
    for (const [name, c] of certs) if (name !== "tapefleet-ca") expect(c.issuerRef?.name, name).toBe("tapefleet-ca");
  });

  it("are not part of any kustomization (their kinds need operators and charts)", () => {
    const listed = [...(kustomization(BASE).resources ?? []), ...(kustomization(OVERLAY).resources ?? [])].map((r) => r.replace(/^(\.\.\/)+/, ""));
    expect(listed.some((r) => r.includes("external"))).toBe(false);
    expect(dirname(join(K8S, "external", "x"))).toBe(join(K8S, "external"));
  });
});
