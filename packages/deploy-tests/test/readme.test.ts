/**
 * deploy/README.md stays true: the files and commands it names exist, and the
 * ports it lists are the ones the image, compose and the manifests use.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEPLOY_DIR, REPO_ROOT } from "../src/index.ts";

const readme = readFileSync(join(DEPLOY_DIR, "README.md"), "utf8");

describe("deploy/README.md", () => {
  it("names only files that exist", () => {
    const paths = new Set<string>();
    for (const m of readme.matchAll(/`((?:\.\/)?(?:bin|k8s|deploy\/bin|deploy\/k8s|services|packages)\/[A-Za-z0-9_./-]+)`/g)) paths.add(m[1]!.replace(/^\.\//, ""));
    for (const m of readme.matchAll(/\]\(([A-Za-z0-9_./-]+)\)/g)) if (!m[1]!.startsWith("http")) paths.add(m[1]!);
    for (const f of ["compose.yaml", "alerts.yaml"]) if (readme.includes(`\`${f}\``)) paths.add(f);
    for (const p of ["k8s/external/postgres-cloudnativepg.yaml", "k8s/external/nats-values.yaml", "k8s/external/redis-values.yaml", "../services/device-agent/README.md", "k8s/base/network-policies.yaml"]) expect(paths, p).toContain(p);
    for (const p of paths) {
      const inDeploy = join(DEPLOY_DIR, p);
      const inRoot = join(REPO_ROOT, p);
      expect(existsSync(inDeploy) || existsSync(inRoot), p).toBe(true);
    }
  });

  it("runs make-secrets.sh in the modes the script has", () => {
    const script = readFileSync(join(DEPLOY_DIR, "bin/make-secrets.sh"), "utf8");
    const modes = [...readme.matchAll(/make-secrets\.sh (compose|k8s)\b/g)].map((m) => m[1]!);
    expect(new Set(modes)).toEqual(new Set(["compose", "k8s"]));
    for (const mode of modes) expect(script).toContain(`  ${mode})`);
  });

  it("lists the ports the image exposes", () => {
    const expose = /^EXPOSE (.+)$/m.exec(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"))![1]!.split(/\s+/);
    const table = readme.slice(0, readme.indexOf("## The image"));
    for (const port of expose) expect(table, port).toContain(`${port}:`);
  });
});
