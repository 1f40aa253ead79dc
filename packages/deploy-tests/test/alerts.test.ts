/**
 * deploy/alerts.yaml: valid for Prometheus (`promtool check rules`), firing as
 * intended on synthetic series (`promtool test rules`), and speaking only of
 * the metrics deploy/README.md lists as the contract.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TAPE_ALERT_FLAGS } from "@tapefleet/scsi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_DIR, ensureTool, readYamlDocuments, runTool } from "../src/index.ts";

const ALERTS = join(DEPLOY_DIR, "alerts.yaml");
const RULE_TESTS = join(import.meta.dirname, "fixtures", "alerts-rules-test.yaml");

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const rules = (readYamlDocuments(ALERTS)[0] as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "tf-alerts-"));
  await ensureTool("promtool");
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The metric contract: the `tapefleet_*` names of the README's metrics table. */
function contract(): string[] {
  const readme = readFileSync(join(DEPLOY_DIR, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Metrics (contract)"), readme.indexOf("\n## ", readme.indexOf("## Metrics (contract)") + 1));
  return [...section.matchAll(/^\| `(tapefleet_[a-z_]+)` \|/gm)].map((m) => m[1]!);
}

describe("alert rules", () => {
  it("pass promtool check rules", async () => {
    const r = await runTool("promtool", ["check", "rules", ALERTS]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("fire, and stay quiet, as the promtool unit tests expect", async () => {
    const file = join(scratch, "rules-test.yaml");
    writeFileSync(file, `rule_files:\n  - ${ALERTS}\n${readFileSync(RULE_TESTS, "utf8")}`);
    const r = await runTool("promtool", ["test", "rules", file]);
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("fail the unit tests when an alert changes (the check can fail)", async () => {
    const broken = join(scratch, "alerts-broken.yaml");
    writeFileSync(broken, readFileSync(ALERTS, "utf8").replace('severity="critical"}[15m]) > 0', 'severity="warning"}[15m]) > 0'));
    const file = join(scratch, "rules-test-broken.yaml");
    writeFileSync(file, `rule_files:\n  - ${broken}\n${readFileSync(RULE_TESTS, "utf8")}`);
    const r = await runTool("promtool", ["test", "rules", file]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("TapefleetTapeAlertCritical");
  });

  it("cover drive TapeAlerts, job failures, catalog ingest lag, agents down and queue depth", () => {
    const names = rules.map((r) => r.alert);
    for (const a of ["TapefleetTapeAlertCritical", "TapefleetJobFailures", "TapefleetCatalogIngestLag", "TapefleetDeviceAgentDown", "TapefleetQueueBacklog"]) expect(names).toContain(a);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(r.alert, r.alert).toMatch(/^Tapefleet[A-Z][A-Za-z]+$/);
      expect(["warning", "critical"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
    }
  });

  it("use only the metrics of the README contract, and every one of them", () => {
    const names = contract();
    expect(names).toEqual([
      "tapefleet_drive_state",
      "tapefleet_drive_bytes_written_total",
      "tapefleet_jobs_total",
      "tapefleet_job_duration_seconds",
      "tapefleet_queue_depth",
      "tapefleet_media",
      "tapefleet_tapealert_flags_total",
      "tapefleet_catalog_ingest_lag_seconds",
    ]);
    const used = new Set<string>();
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\b(tapefleet_[a-z_]+)\b/g)) {
        // A histogram is queried through its _bucket, _sum and _count series.
        const n = m[1]!;
        used.add(names.includes(n) ? n : n.replace(/_(bucket|sum|count)$/, ""));
      }
      for (const m of r.expr.matchAll(/\b([a-z_]+)\{/g)) if (!m[1]!.startsWith("tapefleet_")) expect(m[1], r.alert).toBe("up");
    }
    expect([...used].sort()).toEqual([...names].sort());
  });

  it("name TapeAlert flags and severities that the SCSI package knows", () => {
    const flags = new Set(TAPE_ALERT_FLAGS.map((f) => f.name));
    const severities = new Set(TAPE_ALERT_FLAGS.map((f) => f.severity));
    let checked = 0;
    for (const r of rules.filter((x) => x.expr.includes("tapefleet_tapealert_flags_total"))) {
      for (const m of r.expr.matchAll(/flag=~?"([^"]+)"/g)) {
        for (const f of m[1]!.split("|")) {
          expect(flags.has(f), `${r.alert}: ${f}`).toBe(true);
          checked += 1;
        }
      }
      for (const m of r.expr.matchAll(/severity="([^"]+)"/g)) {
        expect(severities.has(m[1]! as (typeof TAPE_ALERT_FLAGS)[number]["severity"]), `${r.alert}: ${m[1]}`).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    // The critical alert counts the flags the SCSI package marks critical.
    expect(TAPE_ALERT_FLAGS.filter((f) => f.severity === "critical").map((f) => f.name)).toContain("WRITE_FAILURE");
  });
});
