/**
 * The operator's tape workflow in the web UI, in Debian's Chromium
 * (playwright-core), against the whole stack as processes (`startStack`:
 * inventory, catalog, keyvault, scheduler, device agent with a virtual
 * library, gateway serving the UI built from the current sources): log in,
 * configure a pool, barcode-label from the changer view, a small sample
 * datastore, a backup job followed to the end (progress bar on the task and
 * on the dashboard), media content, a restore of one snapshot with the
 * wizard (checked through the API), encryption keys with the paper key, and
 * moving and destroying media. Every form here shows the API's message for a
 * bad field under that field; no view may log a console error besides the
 * HTTP errors those steps provoke. Screenshots go to test-output/web-ui-stack/.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { provisionTestEnv, startStack, type RunningStack, type TestEnv } from "@tapefleet/testkit";

const REPO = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const OUT = join(REPO, "test-output", "web-ui-stack");
const CHROMIUM = "/usr/bin/chromium";
const HOST_ID = "host-a";
const DRIVE_SERIAL = "TFD9000001";
/**
 * One changer with one LTO-9 drive and three cartridges. The drive is
 * throttled so that a backup of the small sample takes some seconds: long
 * enough for its progress to be seen on the task and on the dashboard.
 */
const LIBRARY_SPEC = {
  libraries: [
    {
      name: "lib1",
      slots: 8,
      importExportSlots: 2,
      serial: "TFLIB00001",
      drives: [{ generation: 9, serial: DRIVE_SERIAL }],
      cartridges: [
        { barcode: "TF1001L9", slot: 1 },
        { barcode: "TF1002L9", slot: 2 },
        { barcode: "TF1003L9", slot: 3 },
      ],
    },
  ],
  defaults: { capacityBytes: 268435456 },
  timing: { loadMs: 50 },
  faults: [{ type: "throttle", device: "lib1/drive0", bytesPerSec: 1_572_864 }],
};
/** Bytes of sample data (the datastore's logical size). */
const SAMPLE_BYTES = 4 * 1024 * 1024;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const VIEWPORT = { width: 1366, height: 768 };

function poll<T>(fn: () => T | Promise<T>, opts: { timeout?: number } = {}) {
  return expect.poll(fn, { timeout: 30_000, interval: 200, ...opts });
}

let env: TestEnv;
let stack: RunningStack;
let dir: string;
let distDir: string;
let storePath: string;
let adminToken: string;
let profileDir: string;
let context: BrowserContext;
let page: Page;
let uiUrl: string;
let currentView = "login";
const consoleErrors: { view: string; text: string; url: string }[] = [];
/** HTTP errors a step provokes on purpose (the browser logs each as a console error). */
const provoked: { path: string; status: number }[] = [];
/** Filled as the steps go. */
let mediaSetUuid = "";
let restoredSnapshot = "";

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync("sh", ["-c", "flock /tmp/tapefleet-apt.lock sh -c 'apt-get update && apt-get install -y chromium'"], { stdio: "inherit" });
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`Chromium is missing and 'apt-get install -y chromium' failed (exit ${String(r.status)})`);
}

/** Builds the current sources of the web UI into `outDir` (a child `npm run build`). */
async function buildWebUi(outDir: string): Promise<void> {
  let output = "";
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn("npm", ["run", "build", "-w", "@tapefleet/web-ui", "--", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: REPO,
      env: { ...process.env, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", fail);
    child.once("close", done);
  });
  if (code !== 0 || !existsSync(join(outDir, "index.html"))) throw new Error(`building the web UI failed (exit ${String(code)}):\n${output.slice(-4000)}`);
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${stack.gatewayUrl}/api2/json${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** Waits for a task to end (through the API) and returns its exit status and log. */
async function waitTask(upid: string, timeoutMs = 150_000): Promise<{ exitstatus: string; log: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await api("GET", `/nodes/localhost/tasks/${encodeURIComponent(upid)}/status`);
    if (st.body?.data?.status === "stopped") {
      const log = await api("GET", `/nodes/localhost/tasks/${encodeURIComponent(upid)}/log?limit=5000`);
      return { exitstatus: st.body.data.exitstatus, log: (log.body.data as { t: string }[]).map((l) => l.t) };
    }
    if (Date.now() > deadline) throw new Error(`task ${upid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A screenshot of the page: light, and also dark for the main views (`<name>-dark.png`). */
async function shot(name: string, opts: { dark?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  if (!opts.dark) return;
  await page.emulateMedia({ colorScheme: "dark" });
  await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("dark");
  await page.screenshot({ path: join(OUT, `${name}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
  await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("light");
}

async function go(nav: string, heading = nav): Promise<void> {
  currentView = nav;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: nav, exact: true }).click();
  await page.getByRole("heading", { level: 2, name: heading, exact: true }).waitFor();
  await page.waitForLoadState("networkidle");
}

/** The error shown under an input (Mantine links it with aria-describedby: `<id>-error`). */
async function errorUnder(input: Locator): Promise<string> {
  const errorId = async () => ((await input.getAttribute("aria-describedby")) ?? "").split(/\s+/).find((i) => i.endsWith("-error"));
  await poll(errorId).toBeDefined();
  return (await page.locator(`[id="${await errorId()}"]`).textContent()) ?? "";
}

/** The input labelled exactly `label` (a required field's label ends with " *"). */
function field(scope: Locator | Page, label: string): Locator {
  return scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( \\*)?$`));
}

function dialog(title: string): Locator {
  return page.getByRole("dialog", { name: title });
}

/** Picks `option` of the Mantine select labelled `label`. */
async function choose(label: string, option: string): Promise<void> {
  await page.getByRole("combobox", { name: label, exact: true }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

/** The UPID of the task view the page shows. */
function upidOfPage(): string {
  return decodeURIComponent(new URL(page.url()).pathname.slice("/tasks/".length));
}

beforeAll(async () => {
  ensureChromium();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  env = await provisionTestEnv("webuistack");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-webui-stack-"));
  distDir = join(dir, "dist");
  storePath = join(dir, "store1");
  const specFile = join(dir, "vtl-spec.json");
  writeFileSync(specFile, JSON.stringify(LIBRARY_SPEC));
  await buildWebUi(distDir);
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith("TAPEFLEET_") || k === "DATABASE_URL") delete base[k];
  stack = await startStack({
    varDir: join(dir, "var"),
    env: { ...base, ...env.serviceEnv(), TAPEFLEET_HOST_ID: HOST_ID, TAPEFLEET_VTL_SPEC: specFile, TAPEFLEET_WEB_UI_DIR: distDir, TAPEFLEET_LOG_LEVEL: "info" },
    gatewayPort: 0,
    grpcAddress: "127.0.0.1:0",
  });
  uiUrl = stack.gatewayUrl;
  adminToken = readFileSync(stack.adminTokenFile, "utf8").trim();

  // The devices the steps use (their forms are covered by browser.test.ts).
  expect((await api("POST", "/config/changer", { name: "lib1", path: "/dev/tape/by-id/scsi-TFLIB00001" })).status).toBe(200);
  expect((await api("POST", "/config/drive", { name: "d1", path: `/dev/tape/by-id/scsi-${DRIVE_SERIAL}-sg`, changer: "lib1" })).status).toBe(200);

  profileDir = mkdtempSync(join(tmpdir(), "tapefleet-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: VIEWPORT, timezoneId: "UTC", locale: "en-US", colorScheme: "light" });
  context.setDefaultTimeout(30_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push({ view: currentView, text: m.text(), url: m.location().url });
  });
  page.on("pageerror", (e) => consoleErrors.push({ view: currentView, text: `uncaught: ${e.message}`, url: "" }));
}, 240_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await stack?.stop();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === "fail" && page) {
    await page.screenshot({ path: join(OUT, `failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`), fullPage: true }).catch(() => {});
  }
});

describe("the tape workflow in the web UI against the whole stack", () => {
  it("logs in and configures a media pool (a bad retention shows the API's message under the field)", async () => {
    await page.goto(`${uiUrl}/`);
    await field(page, "API token").fill(adminToken);
    await page.getByRole("button", { name: "Log in" }).click();
    currentView = "dashboard";
    await page.getByRole("heading", { level: 2, name: "Dashboard", exact: true }).waitFor();
    await poll(() => page.getByTestId("gateway-status").textContent()).toBe("ready");

    await go("Media Pools");
    await page.getByRole("button", { name: "Add media pool" }).click();
    const form = dialog("New media pool");
    await field(form, "Name").fill("daily");
    await field(form, "Drive").fill("d1");
    const retention = field(form, "Retention");
    await retention.fill("7dayz");
    provoked.push({ path: "/api2/json/config/media-pool", status: 400 });
    await form.getByRole("button", { name: "Create media pool" }).click();
    const expected = await api("POST", "/config/media-pool", { name: "daily", drive: "d1", retention: "7dayz" });
    expect(await errorUnder(retention)).toBe(expected.body.errors.retention);
    await retention.fill("7days");
    await form.getByRole("button", { name: "Create media pool" }).click();
    await form.waitFor({ state: "detached" });
    await page.locator('tr[data-entry="daily"]').waitFor();
    expect((await api("GET", "/config/media-pool/daily")).body.data).toMatchObject({ name: "daily", drive: "d1", retention: "7days" });
  });

  it("barcode-labels the library's tapes into the pool from the changer view", async () => {
    await go("Tape Library");
    const driveRow = page.locator('tr[data-drive="d1"]');
    for (let i = 0; !((await driveRow.textContent()) ?? "").includes("online"); i++) {
      expect(i, "drive d1 never shown online").toBeLessThan(90);
      await page.waitForTimeout(500);
      await page.getByRole("button", { name: "Refresh" }).click();
      await page.waitForLoadState("networkidle");
    }
    const changer = page.locator('[data-changer="lib1"]');
    await changer.getByTestId("changer-status").waitFor();
    await shot("library", { dark: true });
    await changer.getByRole("button", { name: "Barcode label lib1" }).click();
    const form = dialog("Barcode label tapes of lib1");
    const pool = field(form, "Media pool");
    // A pool name the API refuses: its message shows under the pool field.
    const expected = await api("POST", "/tape/drive/d1/barcode-label-media", { pool: "no pool" });
    expect(expected.status).toBe(400);
    provoked.push({ path: "/api2/json/tape/drive/d1/barcode-label-media", status: 400 });
    await pool.fill("no pool");
    await form.getByRole("button", { name: "Label tapes" }).click();
    expect(await errorUnder(pool)).toBe(expected.body.errors.pool);
    await shot("barcode-label-form-error");

    await pool.fill("daily");
    await form.getByRole("button", { name: "Label tapes" }).click();
    currentView = "task";
    await page.waitForURL(/\/tasks\/UPID/);
    await poll(() => page.getByTestId("task-log").textContent(), { timeout: 120_000 }).toMatch(/TASK OK$/);
    expect(await page.getByRole("heading", { level: 2 }).textContent()).toMatch(/^barcode-label/);
    await shot("barcode-label-task");
    const media = (await api("GET", "/tape/media/list")).body.data as { "label-text": string; pool?: string }[];
    expect(media.map((m) => [m["label-text"], m.pool]).sort()).toEqual([
      ["TF1001L9", "daily"],
      ["TF1002L9", "daily"],
      ["TF1003L9", "daily"],
    ]);
  });

  it("creates a datastore in the UI and fills it with a small sample through the API", async () => {
    await go("Datastores");
    await page.getByRole("button", { name: "Add datastore" }).click();
    const form = dialog("New datastore");
    await field(form, "Name").fill("store1");
    await field(form, "Host").fill(HOST_ID);
    await field(form, "Path").fill(storePath);
    await form.getByRole("button", { name: "Create datastore" }).click();
    await form.waitFor({ state: "detached" });
    await page.locator('tr[data-entry="store1"]').waitFor();
    const started = await api("POST", "/admin/datastore/store1/sample", { size: SAMPLE_BYTES, seed: 9 });
    expect(started.status).toBe(200);
    const done = await waitTask(started.body.data);
    expect(done.exitstatus, done.log.join("\n")).toBe("OK");
  });

  it("runs a backup job and watches its progress to the end, on its task and on the dashboard", async () => {
    await go("Backup Jobs");
    await page.getByRole("button", { name: "Add backup job" }).click();
    const form = dialog("New backup job");
    await field(form, "Job id").fill("nightly");
    await field(form, "Datastore").fill("store1");
    await field(form, "Media pool").fill("daily");
    await field(form, "Drive").fill("d1");
    await field(form, "Schedule").fill("mon..fri 02:00");
    await form.getByRole("button", { name: "Create backup job" }).click();
    await form.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Run nightly now" }).click();
    currentView = "task";
    await page.waitForURL(/\/tasks\/UPID/);
    const upid = upidOfPage();
    const taskUrl = page.url();

    // The dashboard, right away: the running job with its progress bar once it writes (the drive
    // is throttled, so the write lasts some seconds whatever the machine's load).
    await go("Dashboard");
    const job = page.locator(`[data-testid="running-job"][data-upid="${upid}"]`);
    await job.waitFor();
    await job.getByTestId("task-progress").waitFor({ timeout: 120_000 });
    expect(await job.getByTestId("progress-rate").textContent()).toMatch(/\/s$/);
    await shot("dashboard-running-job");

    // The task view (from the task list): a progress bar with percent, bytes, rate and ETA (the latest progress line).
    await go("Tasks");
    await page.locator(`tr[data-upid="${upid}"]`).getByRole("link").click();
    currentView = "task";
    await page.waitForURL(taskUrl);
    await page.getByTestId("task-progress").waitFor();
    await poll(() => page.getByTestId("progress-percent").textContent()).toMatch(/^\d+\.\d%/);
    expect(await page.getByTestId("progress-bytes").textContent()).toMatch(/^\d+(\.\d+)? (B|KiB|MiB)/);
    expect(await page.getByTestId("progress-rate").textContent()).toMatch(/\/s$/);
    await shot("backup-task-running");

    // To the end: the task's final status and its whole log, as the API has them.
    const final = await waitTask(upid, 150_000);
    expect(final.exitstatus, final.log.join("\n")).toBe("OK");
    await poll(() => page.getByTestId("task-status").textContent()).toContain("OK");
    await poll(() => page.getByTestId("task-log").locator("div[data-level]").count()).toBe(final.log.length);
    expect(await page.getByTestId("task-log").textContent()).toMatch(/TASK OK$/);
    expect(await page.getByRole("button", { name: "Stop" }).count()).toBe(0);
    await poll(() => page.getByTestId("progress-percent").textContent()).toMatch(/^\d+\.\d%/);
    await shot("backup-task-done", { dark: true });
    await go("Dashboard");
    await poll(() => page.getByTestId("panel-jobs").textContent()).toContain("No job is running or queued.");
  });

  it("browses the content of the tapes: per tape, per media set, with filters", async () => {
    const sets = (await api("GET", "/tape/media/media-sets?pool=daily")).body.data as { "media-set-uuid": string; "media-set-name": string; members: { "label-text": string }[] }[];
    expect(sets.length).toBe(1);
    mediaSetUuid = sets[0]!["media-set-uuid"];
    const content = (await api("GET", `/tape/media/content?media-set-uuid=${mediaSetUuid}`)).body.data as { snapshot: string; store: string; "label-text": string }[];
    expect(content.length).toBeGreaterThan(1);

    await go("Media");
    await page.getByRole("tab", { name: "Content" }).click();
    currentView = "media-content";
    const rows = page.getByTestId("content").locator("tr[data-snapshot]");
    await poll(() => rows.count()).toBe(content.length);
    expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-snapshot")))).sort()).toEqual(content.map((c) => `${c.store}:${c.snapshot}`).sort());
    await shot("media-content", { dark: true });

    // Per tape: the tape's own snapshots.
    const tape = content[0]!["label-text"];
    await choose("Tape", tape);
    await poll(() => rows.count()).toBe(content.filter((c) => c["label-text"] === tape).length);
    expect(page.url()).toContain(`label-text=${tape}`);
    const snapshotFilter = field(page, "Snapshot");
    const first = content.find((c) => !c.snapshot.startsWith("ns/"))!;
    const prefix = first.snapshot.split("/").slice(0, 2).join("/");
    await snapshotFilter.fill(prefix);
    await page.getByRole("button", { name: "Filter" }).click();
    const matching = async () => {
      const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-snapshot")));
      return shown.length > 0 && shown.every((s) => s!.startsWith(`store1:${prefix}`));
    };
    await poll(matching).toBe(true);
    // A datastore name the API refuses: its message shows under the filter.
    const storeFilter = field(page, "Datastore");
    const expected = await api("GET", "/tape/media/content?store=x");
    expect(expected.status).toBe(400);
    provoked.push({ path: "/api2/json/tape/media/content", status: 400 });
    await storeFilter.fill("x");
    await page.getByRole("button", { name: "Filter" }).click();
    expect(await errorUnder(storeFilter)).toBe(expected.body.errors.store);
    await storeFilter.fill("store1");
    await page.getByRole("button", { name: "Filter" }).click();
    await poll(() => rows.count()).toBeGreaterThan(0);

    // Per media set.
    await page.getByRole("tab", { name: "Media sets" }).click();
    currentView = "media-sets";
    const setRow = page.locator(`tr[data-media-set="${mediaSetUuid}"]`);
    await setRow.waitFor();
    expect(await setRow.textContent()).toContain(sets[0]!["media-set-name"]);
    expect(await setRow.textContent()).toContain("online-lib1");
    await shot("media-sets", { dark: true });
    await setRow.getByRole("button", { name: "Content" }).click();
    await poll(() => rows.count()).toBe(content.length);
    expect(page.url()).toContain(`media-set-uuid=${mediaSetUuid}`);
  });

  it("restores one snapshot with the wizard into a mapped namespace; the restored snapshot is in the datastore", async () => {
    const content = (await api("GET", `/tape/media/content?media-set-uuid=${mediaSetUuid}`)).body.data as { snapshot: string; store: string }[];
    const pick = content.find((c) => !c.snapshot.startsWith("ns/"))!;
    const spec = `store1:${pick.snapshot}`;
    restoredSnapshot = `ns/fromtape/${pick.snapshot}`;

    await go("Restore");
    await choose("Media set", await setOptionLabel());
    await page.getByText("Chosen snapshots", { exact: true }).click();
    const snapshots = page.getByTestId("restore-snapshots");
    await snapshots.locator(`tr[data-snapshot="${spec}"]`).getByRole("checkbox").check();
    await shot("restore-source", { dark: true });
    await page.getByRole("button", { name: "Next" }).click();

    const target = page.getByRole("combobox", { name: "Target datastore", exact: true });
    await target.fill("x!");
    await page.getByRole("button", { name: "Add namespace mapping" }).click();
    const mapping = page.getByTestId("namespace-mapping");
    await field(mapping, "Target namespace").fill("fromtape");
    await shot("restore-target");
    await page.getByRole("button", { name: "Next" }).click();

    const tapes = page.getByTestId("restore-tapes");
    await tapes.waitFor();
    expect(await tapes.locator("tr[data-tape]").first().textContent()).toContain("online-lib1");
    expect(await tapes.textContent()).toContain(spec);
    expect(await tapes.locator("tr[data-tape]").first().textContent()).toContain("snapshots");
    expect(await page.getByTestId("tapes-online").textContent()).toBe("Every tape is online in a library.");
    await shot("restore-tapes", { dark: true });
    await page.getByRole("button", { name: "Next" }).click();

    // A bad target datastore: the wizard goes back to the target step, the API's message under the field.
    const expected = await api("POST", "/tape/restore", { "media-set": mediaSetUuid, store: "store1=x!", snapshots: [spec], namespaces: ["store=store1,target=fromtape"] });
    expect(expected.status).toBe(400);
    provoked.push({ path: "/api2/json/tape/restore", status: 400 });
    await page.getByRole("button", { name: "Start restore" }).click();
    expect(await errorUnder(target)).toBe(expected.body.errors.store);
    await shot("restore-target-error");
    await target.fill("store1");
    for (let i = 0; i < 2; i++) await page.getByRole("button", { name: "Next" }).click();
    const summary = page.getByTestId("restore-summary");
    expect(await summary.textContent()).toContain("store=store1,target=fromtape");
    await page.getByRole("button", { name: "Start restore" }).click();
    currentView = "task";
    await page.waitForURL(/\/tasks\/UPID/);
    const upid = upidOfPage();
    const done = await waitTask(upid, 150_000);
    expect(done.exitstatus, done.log.join("\n")).toBe("OK");
    await poll(() => page.getByTestId("task-log").textContent()).toMatch(/TASK OK$/);
    await shot("restore-task");
    // The restore's log names the snapshot as restored into the mapped namespace.
    expect(done.log.join("\n")).toContain(pick.snapshot);

    // Through the API: a backup of the mapped namespace finds the restored snapshot and puts it on tape.
    const again = await api("POST", "/tape/backup", { store: "store1", pool: "daily", drive: "d1", ns: "fromtape" });
    expect(again.status).toBe(200);
    const backed = await waitTask(again.body.data, 150_000);
    expect(backed.exitstatus, backed.log.join("\n")).toBe("OK");
    await poll(async () => ((await api("GET", `/tape/media/content?snapshot=${encodeURIComponent(restoredSnapshot)}`)).body.data as { snapshot: string }[]).map((r) => r.snapshot), { timeout: 60_000 }).toEqual([restoredSnapshot]);
    // And on disk, for good measure.
    expect(existsSync(join(storePath, restoredSnapshot))).toBe(true);
  });

  it("manages encryption keys: create (password twice), show, hint, paper key with its QR code, remove, import", async () => {
    await go("Encryption Keys");
    await page.getByRole("button", { name: "Add key" }).click();
    let form = dialog("New encryption key");
    const password = field(form, "Password");
    const repeat = field(form, "Repeat password");
    // Typed differently: refused in the browser, under the repeated field.
    await password.fill("secret-1");
    await repeat.fill("secret-2");
    await form.getByRole("button", { name: "Create key" }).click();
    expect(await errorUnder(repeat)).toBe("the passwords differ");
    // Too short: the API's message under the password.
    const expected = await api("POST", "/config/tape-encryption-keys", { password: "abc" });
    expect(expected.status).toBe(400);
    provoked.push({ path: "/api2/json/config/tape-encryption-keys", status: 400 });
    await password.fill("abc");
    await repeat.fill("abc");
    await form.getByRole("button", { name: "Create key" }).click();
    expect(await errorUnder(password)).toBe(expected.body.errors.password);
    await shot("key-form-error");
    await password.fill("correct horse");
    await repeat.fill("correct horse");
    await field(form, "Hint").fill("the usual one");
    await form.getByRole("button", { name: "Create key" }).click();
    await form.waitFor({ state: "detached" });
    const keys = (await api("GET", "/config/tape-encryption-keys")).body.data as { fingerprint: string; hint?: string }[];
    expect(keys.map((k) => k.hint)).toEqual(["the usual one"]);
    const fp = keys[0]!.fingerprint;
    const row = page.locator(`tr[data-fingerprint="${fp}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("the usual one");

    await row.getByRole("button", { name: `Show ${fp}` }).click();
    const details = page.getByTestId("key-details");
    await details.waitFor();
    expect(await details.textContent()).toContain(fp);
    expect(await details.textContent()).toMatch(/Key derivation(scrypt|pbkdf2)/);
    await page.keyboard.press("Escape");
    await details.waitFor({ state: "detached" });

    await row.getByRole("button", { name: `Edit ${fp}` }).click();
    form = dialog("Edit encryption key");
    await field(form, "Hint").fill("the new one");
    await form.getByRole("button", { name: "Save" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => row.textContent()).toContain("the new one");
    // A new password with a wrong current one: the API's message under the current password.
    await row.getByRole("button", { name: `Edit ${fp}` }).click();
    form = dialog("Edit encryption key");
    const current = field(form, "Current password");
    await current.fill("not the password");
    await field(form, "New password").fill("another horse");
    await field(form, "Repeat new password").fill("another horse");
    const wrong = await api("PUT", `/config/tape-encryption-keys/${fp}`, { password: "not the password", "new-password": "another horse" });
    expect(wrong.status).toBe(400);
    provoked.push({ path: `/api2/json/config/tape-encryption-keys/${encodeURIComponent(fp)}`, status: 400 });
    await form.getByRole("button", { name: "Save" }).click();
    expect(await errorUnder(current)).toBe(wrong.body.errors.password);
    await form.getByRole("button", { name: "Cancel" }).click();
    await form.waitFor({ state: "detached" });

    await row.getByRole("button", { name: `Paper key ${fp}` }).click();
    const frame = page.frameLocator('[data-testid="paperkey-frame"]');
    const qr = frame.locator('img[src^="data:image/svg+xml;base64,"]');
    await qr.waitFor();
    expect(await frame.locator("pre").textContent()).toContain("BEGIN");
    await page.getByRole("button", { name: "Print" }).waitFor();
    await shot("paperkey");
    await page.getByText("Text", { exact: true }).click();
    const text = (await page.getByTestId("paperkey-text").textContent()) ?? "";
    expect(text).toContain("BEGIN");
    await page.keyboard.press("Escape");

    await row.getByRole("button", { name: `Remove ${fp}` }).click();
    await dialog("Remove encryption key").getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
    expect((await api("GET", "/config/tape-encryption-keys")).body.data).toEqual([]);

    // Import the paper key again: a wrong password shows the API's message under the password.
    await page.getByRole("button", { name: "Import key" }).click();
    form = dialog("Import encryption key");
    await field(form, "Paper key or key file").fill(text);
    const importPassword = field(form, "Password");
    await importPassword.fill("not the password");
    provoked.push({ path: "/api2/json/config/tape-encryption-keys/import", status: 400 });
    await form.getByRole("button", { name: "Import key" }).click();
    expect(await errorUnder(importPassword)).toMatch(/does not open the key/);
    await importPassword.fill("correct horse");
    await form.getByRole("button", { name: "Import key" }).click();
    await form.waitFor({ state: "detached" });
    await row.waitFor();
    await shot("keys", { dark: true });
  });

  it("moves a tape to a vault (a bad vault name shows the API's message) and destroys one", async () => {
    await go("Media");
    const spare = (await api("GET", "/tape/media/list")).body.data.find((m: { "media-set-uuid"?: string }) => m["media-set-uuid"] === undefined)["label-text"] as string;
    const row = page.locator(`tr[data-label="${spare}"]`);
    await row.waitFor();
    await row.getByRole("button", { name: `Move ${spare}` }).click();
    const form = dialog(`Move ${spare}`);
    const vault = field(form, "Vault");
    const expected = await api("POST", "/tape/media/move", { "label-text": spare, "vault-name": "no vault!" });
    expect(expected.status).toBe(400);
    provoked.push({ path: "/api2/json/tape/media/move", status: 400 });
    await vault.fill("no vault!");
    await form.getByRole("button", { name: "Move" }).click();
    expect(await errorUnder(vault)).toBe(expected.body.errors["vault-name"]);
    await vault.fill("offsite");
    await form.getByRole("button", { name: "Move" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => row.textContent()).toContain("vault-offsite");
    await shot("media-inventory", { dark: true });

    await row.getByRole("button", { name: `Destroy ${spare}` }).click();
    await dialog("Destroy medium").getByRole("button", { name: "Destroy" }).click();
    await row.waitFor({ state: "detached" });
    expect(((await api("GET", "/tape/media/list")).body.data as { "label-text": string }[]).some((m) => m["label-text"] === spare)).toBe(false);
  });

  it("logged no console errors in any view (besides the HTTP errors provoked on purpose)", () => {
    const unexpected = consoleErrors.filter((e) => {
      const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(e.text);
      if (!m) return true;
      const path = e.url === "" ? "" : new URL(e.url).pathname;
      return !provoked.some((p) => p.status === Number(m[1]) && p.path === path);
    });
    expect(unexpected).toEqual([]);
    for (const p of provoked) {
      expect(consoleErrors.some((e) => e.url.includes(p.path) && e.text.includes(`status of ${p.status}`)), `${p.status} ${p.path}`).toBe(true);
    }
  });
});

/** The label the media set select shows for the test's set. */
async function setOptionLabel(): Promise<string> {
  const sets = (await api("GET", "/tape/media/media-sets?pool=daily")).body.data as { "media-set-uuid": string; "media-set-name": string; pool: string; members: unknown[] }[];
  const s = sets.find((x) => x["media-set-uuid"] === mediaSetUuid)!;
  return `${s["media-set-name"]} (${s.pool}, ${s.members.length} tape${s.members.length === 1 ? "" : "s"})`;
}
