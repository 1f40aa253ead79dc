/**
 * The web UI in a real browser (Debian's Chromium through playwright-core),
 * served by the gateway itself at `/`, against a real gateway, inventory and
 * scheduler (in-process, PostgreSQL + NATS + Redis from provisionTestEnv) and
 * a device agent process with a virtual library (one changer, one drive).
 * The app is built from the current sources of packages/web-ui into a fresh
 * folder (`npm run build -w @tapefleet/web-ui` as a child command, no package
 * import) that the gateway serves through `webUiDir`.
 * Screenshots of every main view, light and dark, go to test-output/web-ui/.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@tapefleet/common";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { loadSchedulerConfig, startScheduler, type RunningScheduler } from "@tapefleet/scheduler";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { gatewayConfigSchema } from "../../src/config.ts";
import { startGateway, type RunningGateway } from "../../src/gateway.ts";

const REPO = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
const OUT = join(REPO, "test-output", "web-ui");
const CHROMIUM = "/usr/bin/chromium";
const AGENT_MAIN = join(REPO, "services/device-agent/src/main.ts");
/** The virtual library of the device agent: 8 slots, 2 import/export slots, one LTO-9 drive. */
const LIBRARY_SPEC = {
  libraries: [
    {
      name: "lib1",
      slots: 8,
      importExportSlots: 2,
      serial: "TFLIB00001",
      drives: [{ generation: 9, serial: "TFD9000001" }],
      cartridges: [
        { barcode: "TF1001L9", slot: 1 },
        { barcode: "TF1002L9", slot: 2 },
        { barcode: "CLN101L1", slot: 8, cleaningCycles: 50 },
      ],
    },
  ],
  defaults: { capacityBytes: 67108864 },
  timing: { loadMs: 50, cleaningMs: 300, calibrationMs: 100, powerOnUnitAttention: true },
};
const CHANGER_PATH = "/dev/tape/by-id/scsi-TFLIB00001";
const DRIVE_PATH = "/dev/tape/by-id/scsi-TFD9000001-sg";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** Waits for a condition of the page, long enough for a loaded two-core machine. */
function poll<T>(fn: () => T | Promise<T>, opts: { timeout?: number } = {}) {
  return expect.poll(fn, { timeout: 20_000, interval: 100, ...opts });
}

/** A laptop screen; the large-monitor screenshot uses LARGE. */
const LAPTOP = { width: 1366, height: 768 };
const LARGE = { width: 2560, height: 1440 };
const VIEWS = [
  { name: "dashboard", nav: "Dashboard", heading: "Dashboard" },
  { name: "library", nav: "Tape Library", heading: "Tape Library" },
  { name: "media", nav: "Media", heading: "Media" },
  { name: "tasks", nav: "Tasks", heading: "Tasks" },
  { name: "changers", nav: "Changers", heading: "Changers" },
  { name: "drives", nav: "Drives", heading: "Drives" },
  { name: "media-pools", nav: "Media Pools", heading: "Media Pools" },
  { name: "backup-jobs", nav: "Backup Jobs", heading: "Backup Jobs" },
  { name: "datastores", nav: "Datastores", heading: "Datastores" },
] as const;

let env: TestEnv;
let inv: RunningInventory;
let sched: RunningScheduler;
let agent: ChildProcess | undefined;
let agentLog = "";
let gw: RunningGateway;
let uiUrl: string;
let adminToken: string;
let profileDir: string;
let dir: string;
let distDir: string;
let context: BrowserContext;
let page: Page;

/** Console errors and uncaught page errors, with the view they happened on. */
const consoleErrors: { view: string; text: string; url: string }[] = [];
/** HTTP errors a step provokes on purpose (the browser logs each as a console error). */
const provoked: { path: string; status: number }[] = [];
let currentView = "login";
/** What the gateway answers for the tape request list (503 while no scheduler serves that subject). */
let tapeRequestsStatus = 0;

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync("sh", ["-c", "flock /tmp/tapefleet-apt.lock sh -c 'apt-get update && apt-get install -y chromium'"], { stdio: "inherit" });
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`Chromium is missing and 'apt-get install -y chromium' failed (exit ${String(r.status)})`);
}

/** Builds the current sources of the web UI into `outDir` (a child `npm run build`, so this workspace imports nothing of the UI). */
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
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

async function shot(name: string, scheme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe(scheme);
  await page.screenshot({ path: join(OUT, `${name}-${scheme}.png`), fullPage: true });
}

type View = (typeof VIEWS)[number];

function view(name: View["name"]): View {
  return VIEWS.find((v) => v.name === name)!;
}

async function go(view: View): Promise<void> {
  currentView = view.name;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: view.nav, exact: true }).click();
  await page.getByRole("heading", { level: 2, name: view.heading, exact: true }).waitFor();
  await page.waitForLoadState("networkidle");
}

/** The error shown under an input (Mantine links it with aria-describedby: `<id>-error`). */
async function errorUnder(field: Locator): Promise<string> {
  const errorId = async () => ((await field.getAttribute("aria-describedby")) ?? "").split(/\s+/).find((i) => i.endsWith("-error"));
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

/** Waits for the task view a UI action opened until its task ends (OK, or with warnings where `warnings`); returns the UPID. */
async function followTask(warnings = false): Promise<string> {
  currentView = "task";
  await page.waitForURL(/\/tasks\/UPID/);
  const upid = decodeURIComponent(new URL(page.url()).pathname.slice("/tasks/".length));
  const ended = warnings ? /^(OK|WARNINGS: \d+)/ : /^OK/;
  await poll(() => page.getByTestId("task-status").textContent(), { timeout: 90_000 }).toMatch(ended);
  await poll(() => page.getByTestId("task-log").textContent()).toMatch(warnings ? /TASK (OK|WARNINGS: \d+)$/ : /TASK OK$/);
  return upid;
}

/** Waits for a task started through the API to end; its exit status. */
async function taskEnd(upid: string): Promise<string> {
  let st: { status: string; exitstatus?: string } | undefined;
  await poll(async () => {
    st = (await api("GET", `/api2/json/nodes/localhost/tasks/${encodeURIComponent(upid)}/status`)).body.data;
    return st?.status;
  }, { timeout: 90_000 }).toBe("stopped");
  return st!.exitstatus ?? "";
}

beforeAll(async () => {
  ensureChromium();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  env = await provisionTestEnv("webui");
  dir = mkdtempSync(join(tmpdir(), "tapefleet-webui-"));
  const specFile = join(dir, "vtl-spec.json");
  writeFileSync(specFile, JSON.stringify(LIBRARY_SPEC));
  agent = spawn(process.execPath, ["--import", "tsx", AGENT_MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      ...env.serviceEnv(),
      TAPEFLEET_HOST_ID: "host-a",
      TAPEFLEET_GRPC_ADDRESS: "127.0.0.1:0",
      TAPEFLEET_VTL_DIR: join(dir, "vtl"),
      TAPEFLEET_VTL_SPEC: specFile,
      TAPEFLEET_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  agent.stdout!.on("data", (c: Buffer) => (agentLog += c.toString()));
  agent.stderr!.on("data", (c: Buffer) => (agentLog += c.toString()));
  // A fresh dist folder with the current sources, built while the agent starts.
  distDir = join(dir, "dist");
  const built = buildWebUi(distDir);
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "silent" };
  inv = await startInventory(inventoryConfigSchema.parse({ ...base, scanDeadlineMs: 1000, deviceOfflineMs: 7000 }), {
    logger: createLogger({ service: "inventory", level: "silent" }),
    installSignalHandlers: false,
  });
  sched = await startScheduler(loadSchedulerConfig({ env: { ...env.serviceEnv(), TAPEFLEET_LOG_LEVEL: "silent" } }), { installSignalHandlers: false });
  await built;
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, statsIntervalMs: 0, adminTokenFile: join(dir, "admin-token"), webUiDir: distDir }), {
    logger: createLogger({ service: "api-gateway", level: "silent" }),
    installSignalHandlers: false,
  });
  adminToken = readFileSync(join(dir, "admin-token"), "utf8").trim();
  // The gateway serves the UI itself, on the API's own address.
  uiUrl = gw.url;

  // The device agent answers a scan once it is up.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const scan = await api("GET", "/api2/json/tape/scan-changers");
    if (scan.status === 200 && JSON.stringify(scan.body.data).includes("TFLIB00001")) break;
    if (Date.now() > deadline || agent.exitCode !== null) throw new Error(`the device agent did not come up: ${JSON.stringify(scan.body)}\n${agentLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  // The dashboard reads the tape requests; where the scheduler does not serve them yet, the
  // gateway answers 503 and the panel must show that answer (the browser logs the 503).
  tapeRequestsStatus = (await api("GET", "/api2/json/tape/requests")).status;
  if (tapeRequestsStatus === 503) provoked.push({ path: "/api2/json/tape/requests", status: 503 });

  profileDir = mkdtempSync(join(tmpdir(), "tapefleet-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: LAPTOP,
    timezoneId: "UTC",
    locale: "en-US",
    colorScheme: "light",
  });
  context.setDefaultTimeout(20_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push({ view: currentView, text: m.text(), url: m.location().url });
  });
  page.on("pageerror", (e) => consoleErrors.push({ view: currentView, text: `uncaught: ${e.message}`, url: "" }));
});

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once("exit", r));
    agent.kill("SIGTERM");
    const timer = setTimeout(() => agent!.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await gw?.stop();
  await sched?.stop();
  await inv?.stop();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

afterEach(async (ctx) => {
  // A failing step leaves a picture of the page behind for the report.
  if (ctx.task.result?.state === "fail" && page) {
    await page.screenshot({ path: join(OUT, `failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`), fullPage: true }).catch(() => {});
  }
});

describe("the gateway serving the web UI", () => {
  it("serves the app built into TAPEFLEET_WEB_UI_DIR at / and on client routes without a token, without shadowing the API", async () => {
    expect(gw.webUi).toEqual({ dir: distDir, built: true });
    const root = await fetch(`${uiUrl}/`);
    expect(root.status).toBe(200);
    const html = await root.text();
    expect(html).toBe(readFileSync(join(distDir, "index.html"), "utf8"));
    const index = await fetch(`${uiUrl}/media-pools`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(await index.text()).toContain('<div id="root">');
    // The bundle the page loads is served, cached for good (its name carries its hash).
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const bundle = await fetch(`${uiUrl}${script!}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    await bundle.arrayBuffer();

    expect((await fetch(`${uiUrl}/api2/json/config/drive`)).status).toBe(401);
    expect((await fetch(`${uiUrl}/api2/openapi.json`)).status).toBe(200);

    const unknownApi = await fetch(`${uiUrl}/api2/json/no-such-route`);
    expect(unknownApi.status).toBe(401);
    expect(((await unknownApi.json()) as { code: string }).code).toBe("UNAUTHORIZED");

    const ready = await fetch(`${uiUrl}/readyz`);
    expect(((await ready.json()) as { status: string }).status).toBe("ready");
    expect((await fetch(`${uiUrl}/assets/no-such-file.js`)).status).toBe(404);
  });
});

describe("web UI in Chromium", () => {
  it("refuses a bad token with the API's message, then logs in with the admin token", async () => {
    await page.goto(`${uiUrl}/`);
    const tokenField = field(page, "API token");
    await tokenField.waitFor();
    await shot("login", "light");
    await shot("login", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    provoked.push({ path: "/api2/json/access/token", status: 401 });
    await tokenField.fill("admin:not-the-secret");
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await errorUnder(tokenField)).toBe("invalid API token");

    await tokenField.fill(adminToken);
    await page.getByRole("button", { name: "Log in" }).click();
    currentView = "dashboard";
    await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
    await poll(() => page.getByTestId("gateway-status").textContent()).toBe("ready");
    expect(await page.getByTestId("token-id").textContent()).toBe("admin");
    expect(await page.evaluate("sessionStorage.getItem('tapefleet.token')")).toBe(adminToken);
  });

  it("creates a drive; a bad name shows the API's message under the name field", async () => {
    await go(view("drives"));
    expect(await page.getByTestId("empty").textContent()).toContain("No drives configured yet");
    await page.getByRole("button", { name: "Add drive" }).click();
    const form = dialog("New drive");
    const name = field(form, "Name");
    provoked.push({ path: "/api2/json/config/drive", status: 400 });
    await name.fill("x");
    await field(form, "Device path").fill(DRIVE_PATH);
    await form.getByRole("button", { name: "Create drive" }).click();
    const expected = await api("POST", "/api2/json/config/drive", { name: "x", path: DRIVE_PATH });
    expect(expected.status).toBe(400);
    expect(await errorUnder(name)).toBe(expected.body.errors.name);

    await name.fill("d1");
    await form.getByRole("button", { name: "Create drive" }).click();
    await form.waitFor({ state: "detached" });
    await page.locator('tr[data-entry="d1"]').waitFor();
    expect(await page.locator('tr[data-entry="d1"]').textContent()).toContain(DRIVE_PATH);
  });

  it("configures a media pool: a bad retention shows the API's field error under the field, a good one saves", async () => {
    await go(view("media-pools"));
    await page.getByRole("button", { name: "Add media pool" }).click();
    const form = dialog("New media pool");
    await field(form, "Name").fill("daily");
    await field(form, "Drive").fill("d1");
    const retention = field(form, "Retention");
    provoked.push({ path: "/api2/json/config/media-pool", status: 400 });
    await retention.fill("7dayz");
    await form.getByRole("button", { name: "Create media pool" }).click();

    const expected = await api("POST", "/api2/json/config/media-pool", { name: "daily", drive: "d1", retention: "7dayz" });
    expect(expected.status).toBe(400);
    const message = await errorUnder(retention);
    expect(message).toBe(expected.body.errors.retention);
    expect(message).toMatch(/invalid time span '7dayz'/);
    await field(form, "Allocation").fill("sat 18:00");
    await poll(() => form.getByTestId("schedule-preview-runs").locator("li").count()).toBe(5);
    await shot("media-pool-form-error", "light");
    await shot("media-pool-form-error", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    await retention.fill("7days");
    await form.getByRole("button", { name: "Create media pool" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.locator('tr[data-entry="daily"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("7days");
    const stored = await api("GET", "/api2/json/config/media-pool/daily");
    expect(stored.body.data).toMatchObject({ name: "daily", drive: "d1", retention: "7days", allocation: "sat 18:00" });
  });

  it("creates a datastore; a relative path shows the API's message under the path field", async () => {
    await go(view("datastores"));
    await page.getByRole("button", { name: "Add datastore" }).click();
    const form = dialog("New datastore");
    await field(form, "Name").fill("store1");
    await field(form, "Host").fill("host-a");
    const path = field(form, "Path");
    provoked.push({ path: "/api2/json/config/datastore", status: 400 });
    await path.fill("srv/store1");
    await form.getByRole("button", { name: "Create datastore" }).click();
    const expected = await api("POST", "/api2/json/config/datastore", { name: "store1", host: "host-a", path: "srv/store1" });
    expect(expected.status).toBe(400);
    expect(await errorUnder(path)).toBe(expected.body.errors.path);
    expect(expected.body.errors.path).toMatch(/absolute path/);

    await path.fill(join(dir, "store1"));
    await form.getByRole("button", { name: "Create datastore" }).click();
    await form.waitFor({ state: "detached" });
    await page.locator('tr[data-entry="store1"]').waitFor();
    expect((await api("GET", "/api2/json/config/datastore/store1")).body.data).toEqual({ name: "store1", host: "host-a", path: join(dir, "store1") });
  });

  it("creates a backup job and previews its next runs as the schedule is typed", async () => {
    await go(view("backup-jobs"));
    await page.getByRole("button", { name: "Add backup job" }).click();
    const form = dialog("New backup job");
    await field(form, "Job id").fill("nightly");
    await field(form, "Datastore").fill("store1");
    await field(form, "Media pool").fill("daily");
    await field(form, "Drive").fill("d1");
    const schedule = field(form, "Schedule");

    await schedule.fill("mon..fri 25:00");
    expect(await form.getByTestId("schedule-preview-error").textContent()).toMatch(/^Not a calendar event: /);

    await schedule.fill("mon..fri 02:00");
    await poll(() => form.getByTestId("schedule-preview-runs").locator("li").count()).toBe(5);
    const runs = await form.getByTestId("schedule-preview-runs").locator("li").allTextContents();
    expect(runs).toHaveLength(5);
    for (const r of runs) expect(r).toMatch(/^(Mon|Tue|Wed|Thu|Fri) \d{4}-\d{2}-\d{2} 02:00$/);
    const times = runs.map((r) => Date.parse(`${r.slice(4).replace(" ", "T")}:00Z`));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    expect(times[0]! - Date.now()).toBeLessThan(4 * 86_400_000);
    await shot("backup-job-form", "light");
    await shot("backup-job-form", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    await form.getByRole("button", { name: "Create backup job" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.locator('tr[data-entry="nightly"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("mon..fri 02:00");
    expect(await row.textContent()).toContain(`next ${runs[0]}`);
  });

  it("creates, edits and removes changers, and puts the drive into the changer", async () => {
    await go(view("changers"));
    for (const [name, path] of [["lib1", CHANGER_PATH], ["old1", "/dev/sg9"]] as const) {
      await page.getByRole("button", { name: "Add changer" }).click();
      const form = dialog("New changer");
      await field(form, "Name").fill(name);
      await field(form, "Device path").fill(path);
      await form.getByRole("button", { name: "Create changer" }).click();
      await form.waitFor({ state: "detached" });
      await page.locator(`tr[data-entry="${name}"]`).waitFor();
    }

    await page.getByRole("button", { name: "Edit lib1" }).click();
    let form = dialog("Edit changer lib1");
    expect(await field(form, "Name").inputValue()).toBe("lib1");
    expect(await field(form, "Name").getAttribute("readonly")).not.toBeNull();
    await form.getByRole("switch", { name: /^Eject before unload/ }).check({ force: true });
    await form.getByRole("button", { name: "Save" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => page.locator('tr[data-entry="lib1"]').textContent()).toContain("yes");
    expect((await api("GET", "/api2/json/config/changer/lib1")).body.data).toMatchObject({ name: "lib1", path: CHANGER_PATH, "eject-before-unload": true });

    await page.getByRole("button", { name: "Remove old1" }).click();
    await dialog("Remove changer").getByRole("button", { name: "Remove" }).click();
    await page.locator('tr[data-entry="old1"]').waitFor({ state: "detached" });
    expect((await api("GET", "/api2/json/config/changer")).body.data.map((c: { name: string }) => c.name)).toEqual(["lib1"]);

    await go(view("drives"));
    await page.getByRole("button", { name: "Edit d1" }).click();
    form = dialog("Edit drive d1");
    await field(form, "Changer").fill("lib1");
    await form.getByRole("button", { name: "Save" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => page.locator('tr[data-entry="d1"]').textContent()).toContain("lib1");
    expect((await api("GET", "/api2/json/config/drive/d1")).body.data).toMatchObject({ name: "d1", changer: "lib1" });
  });

  it("shows drive and changer state, loads a cartridge from a slot and follows the task's log", async () => {
    await go(view("library"));
    const driveRow = page.locator('tr[data-drive="d1"]');
    // The inventory learns where devices live from the agent's announcements.
    for (let i = 0; !((await driveRow.textContent()) ?? "").includes("online"); i++) {
      expect(i, "drive d1 never shown online").toBeLessThan(60);
      await page.waitForTimeout(500);
      await page.getByRole("button", { name: "Refresh" }).click();
      await page.waitForLoadState("networkidle");
    }
    expect(await driveRow.textContent()).toContain("TFD9000001");
    const changer = page.locator('[data-changer="lib1"]');
    await changer.getByTestId("changer-status").waitFor();
    expect(await changer.locator('tr[data-element="slot-1"]').textContent()).toContain("TF1001L9");
    expect(await changer.locator('tr[data-element="import-export-9"]').count()).toBe(1);
    await shot("library", "light");
    await shot("library", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    await changer.getByRole("button", { name: "Load slot 1" }).click();
    await page.getByRole("menuitem", { name: "into d1" }).click();
    currentView = "task";
    await page.waitForURL(/\/tasks\/UPID/);
    const status = page.getByTestId("task-status");
    await poll(() => status.textContent(), { timeout: 60_000 }).toContain("OK");
    expect(await page.getByRole("heading", { level: 2 }).textContent()).toBe("load-media d1");
    expect(await page.getByTestId("task-log").textContent()).toContain("load media from slot 1 into drive 'd1'");
    await poll(() => page.getByTestId("task-log").textContent()).toMatch(/TASK OK$/);
    await shot("task-log", "light");
    await shot("task-log", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    await go(view("library"));
    await poll(() => changer.locator('tr[data-element="drive-0"]').textContent()).toContain("TF1001L9");
    expect(await changer.locator('tr[data-element="drive-0"]').textContent()).toContain("from slot 1");
    await page.getByRole("button", { name: "Details of d1" }).click();
    const statusTable = dialog("Drive d1").getByTestId("drive-status");
    await statusTable.waitFor();
    expect(await statusTable.textContent()).toMatch(/medium-presenttrue/);
    await page.keyboard.press("Escape");
    await statusTable.waitFor({ state: "detached" });
  });

  it("lists the tasks with their outcome", async () => {
    await go(view("tasks"));
    const rows = page.getByTestId("tasks").locator("tr[data-upid]");
    await rows.first().waitFor();
    expect(await rows.first().textContent()).toMatch(/load-media d1admin.*OK$/);
  });

  it("lists the labelled media of the inventory, all or of one pool", async () => {
    const started = await api("POST", "/api2/json/tape/drive/d1/barcode-label-media", { pool: "daily" });
    expect(started.status).toBe(200);
    const upid = encodeURIComponent(started.body.data);
    for (let i = 0; ; i++) {
      const st = await api("GET", `/api2/json/nodes/localhost/tasks/${upid}/status`);
      if (st.body.data.status === "stopped") {
        expect(st.body.data.exitstatus).toBe("OK");
        break;
      }
      expect(i, "barcode-label task still running").toBeLessThan(240);
      await new Promise((r) => setTimeout(r, 250));
    }
    await go(view("media"));
    const rows = page.getByTestId("media").locator("tr[data-label]");
    await rows.first().waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-label")))).toEqual(["TF1001L9", "TF1002L9"]);
    expect(await page.locator('tr[data-label="TF1002L9"]').textContent()).toMatch(/^TF1002L9daily.*online-lib1/);

    await field(page, "Pool").first().click();
    await page.getByRole("option", { name: "daily" }).click();
    await poll(() => rows.count()).toBe(2);
    await shot("media", "light");
    await shot("media", "dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("runs a backup job now and follows its task to the end", async () => {
    await go(view("backup-jobs"));
    await page.getByRole("button", { name: "Run nightly now" }).click();
    currentView = "task";
    await page.waitForURL(/\/tasks\/UPID/);
    const upid = decodeURIComponent(new URL(page.url()).pathname.slice("/tasks/".length));
    // Whatever the job's outcome on this empty datastore, the view follows the task until it ends
    // and shows the same status and log as the API.
    let final: { status: string; exitstatus?: string } | undefined;
    await poll(async () => {
      final = (await api("GET", `/api2/json/nodes/localhost/tasks/${encodeURIComponent(upid)}/status`)).body.data;
      return final?.status;
    }, { timeout: 120_000 }).toBe("stopped");
    const exit = final!.exitstatus!;
    await poll(() => page.getByTestId("task-status").textContent()).toContain(exit.length > 40 ? exit.slice(0, 40) : exit);
    const lines = (await api("GET", `/api2/json/nodes/localhost/tasks/${encodeURIComponent(upid)}/log?limit=1000`)).body.data as { t: string }[];
    expect(lines.length).toBeGreaterThan(0);
    await poll(() => page.getByTestId("task-log").locator("div[data-level]").count()).toBe(lines.length);
    await shot("backup-task", "light");
  });

  it("shows every main view readably in light and dark, on a laptop and on a large monitor", async () => {
    for (const view of VIEWS) {
      await go(view);
      if (["changers", "drives", "media-pools", "backup-jobs", "datastores"].includes(view.name)) await page.getByTestId("entries").waitFor();
      if (view.name === "library") await page.getByTestId("changer-status").waitFor();
      if (view.name === "tasks") await page.getByTestId("tasks").waitFor();
      if (view.name === "media") await page.getByTestId("media").waitFor();
      await shot(view.name, "light");
      await shot(view.name, "dark");
    }
    await go(view("dashboard"));
    expect(await page.getByTestId("count-drive").textContent()).toContain("1");
    expect(await page.getByTestId("devices-online").textContent()).toBe("2 of 2 devices online");
    expect(await page.getByTestId("agents").textContent()).toBe("Device agentshost-a: 2/2 online");
    const requestsPanel = page.getByTestId("panel-tape-requests");
    if (tapeRequestsStatus === 200) expect(await requestsPanel.textContent()).toContain("No job is waiting for a tape.");
    else expect(await requestsPanel.getByTestId("problem").textContent()).toContain(`HTTP ${tapeRequestsStatus}`);
    expect(await page.getByTestId("panel-tasks").textContent()).toContain("load-media d1");
    expect(await page.getByTestId("panel-upcoming").textContent()).toContain("nightly");
    await page.setViewportSize(LARGE);
    await poll(() => page.evaluate("window.innerWidth")).toBe(LARGE.width);
    await shot("dashboard-large", "dark");
    await go(view("backup-jobs"));
    await shot("backup-jobs-large", "light");
    await page.setViewportSize(LAPTOP);
  });

  it("runs the changer's transfer, export, import and inventory, a drive's detail panel with its actions, and media status", async () => {
    // Start from an empty drive (the backup job may have left its tape loaded).
    const before = (await api("GET", "/api2/json/tape/changer/lib1/status")).body.data as { "entry-kind": string; "entry-id": number; "label-text"?: string }[];
    if (before.some((r) => r["entry-kind"] === "drive" && r["label-text"] !== undefined)) {
      const unload = await api("POST", "/api2/json/tape/drive/d1/unload", {});
      expect(await taskEnd(unload.body.data)).toBe("OK");
    }
    const where = async (label: string) =>
      ((await api("GET", "/api2/json/tape/changer/lib1/status")).body.data as { "entry-kind": string; "entry-id": number; "label-text"?: string }[])
        .filter((r) => r["label-text"] === label)
        .map((r) => `${r["entry-kind"]}-${r["entry-id"]}`);
    const from = (await where("TF1002L9"))[0]!;
    expect(from).toMatch(/^slot-\d+$/);
    const fromSlot = Number(from.slice("slot-".length));

    await go(view("library"));
    const changer = page.locator('[data-changer="lib1"]');
    await changer.getByTestId("changer-status").waitFor();
    const cell = (element: string) => changer.locator(`tr[data-element="${element}"] td`).nth(1);
    const empty = ((await api("GET", "/api2/json/tape/changer/lib1/status")).body.data as { "entry-kind": string; "entry-id": number; "label-text"?: string; state?: string }[]).find(
      (r) => r["entry-kind"] === "slot" && r["label-text"] === undefined && r.state !== "full",
    )!["entry-id"];

    // Transfer: a tape from its slot into an empty one.
    await changer.getByRole("button", { name: "Transfer in lib1" }).click();
    let form = dialog("Transfer in lib1");
    await field(form, "From").click();
    await page.getByRole("option", { name: `slot ${fromSlot} (TF1002L9)`, exact: true }).click();
    await field(form, "To").click();
    await page.getByRole("option", { name: `slot ${empty}`, exact: true }).click();
    await form.getByRole("button", { name: "Transfer" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => cell(`slot-${empty}`).textContent()).toBe("TF1002L9");
    expect(await cell(`slot-${fromSlot}`).textContent()).toBe("");
    expect(await where("TF1002L9")).toEqual([`slot-${empty}`]);

    // Export: the tape goes to an import/export slot (a task).
    await changer.getByRole("button", { name: "Export TF1002L9" }).click();
    await followTask();
    expect(await page.getByTestId("task-log").textContent()).toMatch(/exported media 'TF1002L9' to import\/export slot 9/);
    await go(view("library"));
    await changer.getByTestId("changer-status").waitFor();
    await poll(() => cell("import-export-9").textContent()).toBe("TF1002L9");
    await shot("library-exported", "light");

    // Import: from the import/export slot into the first free slot.
    const firstFree = ((await api("GET", "/api2/json/tape/changer/lib1/status")).body.data as { "entry-kind": string; "entry-id": number; "label-text"?: string; state?: string }[]).find(
      (r) => r["entry-kind"] === "slot" && r["label-text"] === undefined && r.state !== "full",
    )!["entry-id"];
    await changer.getByRole("button", { name: "Import from import/export 9" }).click();
    await poll(() => cell(`slot-${firstFree}`).textContent()).toBe("TF1002L9");
    expect(await cell("import-export-9").textContent()).toBe("");
    expect(await where("TF1002L9")).toEqual([`slot-${firstFree}`]);

    // Inventory, reading every label.
    await changer.getByRole("button", { name: "Inventory lib1" }).click();
    form = dialog("Inventory of lib1");
    await form.getByRole("switch", { name: /^Read all labels/ }).check({ force: true });
    await form.getByRole("button", { name: "Read labels" }).click();
    const inventoryUpid = await followTask();
    expect(await page.getByRole("heading", { level: 2 }).textContent()).toBe("inventory-update d1");
    expect((await api("GET", `/api2/json/nodes/localhost/tasks/${encodeURIComponent(inventoryUpid)}/status`)).body.data.exitstatus).toBe("OK");

    // The drive detail panel of the empty drive: status, and cleaning (a task).
    await go(view("library"));
    await page.getByRole("button", { name: "Details of d1" }).click();
    let detail = dialog("Drive d1");
    await detail.getByTestId("drive-status").waitFor();
    expect(await detail.getByTestId("drive-status").textContent()).toMatch(/medium-presentfalse/);
    expect(await detail.getByRole("button", { name: "Read label" }).isDisabled()).toBe(true);
    await detail.getByRole("button", { name: "Clean" }).click();
    // The virtual drive may still raise TapeAlert flags after cleaning: the task warns about them.
    await followTask(true);
    expect(await page.getByTestId("task-log").textContent()).toContain("used cleaning cartridge 'CLN101L1'");
    expect(await page.getByTestId("task-log").textContent()).toContain("drive cleaned successfully");

    // With a tape loaded: status, wear, cartridge memory, volume statistics, labels.
    await go(view("library"));
    await changer.getByTestId("changer-status").waitFor();
    const tf1001 = Number((await where("TF1001L9"))[0]!.slice("slot-".length));
    await changer.getByRole("button", { name: `Load slot ${tf1001}` }).click();
    await page.getByRole("menuitem", { name: "into d1" }).click();
    await followTask();
    await go(view("library"));
    await page.getByRole("button", { name: "Details of d1" }).click();
    detail = dialog("Drive d1");
    await detail.getByTestId("drive-status").waitFor();
    expect(await detail.getByTestId("drive-status").textContent()).toMatch(/medium-presenttrue/);
    const status = (await api("GET", "/api2/json/tape/drive/d1/status")).body.data as Record<string, unknown>;
    expect(await detail.getByTestId("drive-status").locator("tr[data-key]").count()).toBe(Object.keys(status).length);
    await detail.getByTestId("cartridge-memory").waitFor();
    const mam = (await api("GET", "/api2/json/tape/drive/d1/cartridge-memory")).body.data as { id: number; name: string; value: string }[];
    expect(mam.length).toBeGreaterThan(0);
    expect(await detail.getByTestId("cartridge-memory").locator("tr[data-mam]").count()).toBe(mam.length);
    const serial = mam.find((a) => a.name.toLowerCase().includes("serial"));
    if (serial) expect(await detail.getByTestId("cartridge-memory").textContent()).toContain(serial.value);
    await detail.getByTestId("volume-statistics").waitFor();
    const stats = (await api("GET", "/api2/json/tape/drive/d1/volume-statistics")).body.data as Record<string, unknown>;
    expect(await detail.getByTestId("volume-statistics").locator("tr[data-key]").count()).toBe(Object.keys(stats).length);
    expect(await detail.getByTestId("tape-wear").textContent()).toContain("Mounts");
    await detail.getByRole("button", { name: "Read label" }).click();
    await detail.getByTestId("media-label").waitFor();
    expect(await detail.getByTestId("media-label").locator('tr[data-key="label-text"]').textContent()).toBe("label-textTF1001L9");
    await shot("drive-detail", "light");
    await shot("drive-detail", "dark");
    await page.emulateMedia({ colorScheme: "light" });

    // Rewind (a task).
    await detail.getByRole("button", { name: "Rewind" }).click();
    await followTask();
    expect(await page.getByRole("heading", { level: 2 }).textContent()).toBe("rewind-media d1");

    // Format: confirmation; a bad label shows the API's message under the field; then the tape is formatted.
    await go(view("library"));
    await page.getByRole("button", { name: "Details of d1" }).click();
    detail = dialog("Drive d1");
    await detail.getByTestId("drive-status").waitFor();
    await detail.getByRole("button", { name: "Format…" }).click();
    const confirm = detail.getByTestId("format-confirm");
    const labelField = field(confirm, "Label text");
    provoked.push({ path: "/api2/json/tape/drive/d1/format-media", status: 400 });
    await labelField.fill("bad label!");
    await confirm.getByRole("button", { name: "Format tape" }).click();
    const expected = await api("POST", "/api2/json/tape/drive/d1/format-media", { "label-text": "bad label!" });
    expect(expected.status).toBe(400);
    expect(await errorUnder(labelField)).toBe(expected.body.errors["label-text"]);
    await labelField.fill("TF1001L9");
    await confirm.getByRole("button", { name: "Format tape" }).click();
    await followTask();
    expect(await page.getByTestId("task-log").textContent()).toContain("format media (fast)");
    expect((await api("GET", "/api2/json/tape/media/list")).body.data.map((m: { "label-text": string }) => m["label-text"])).not.toContain("TF1001L9");

    // Eject (a task).
    await go(view("library"));
    await page.getByRole("button", { name: "Details of d1" }).click();
    detail = dialog("Drive d1");
    await detail.getByTestId("drive-status").waitFor();
    await detail.getByRole("button", { name: "Eject" }).click();
    await followTask();

    // Media status: mark a tape damaged, then clear the mark (the inventory works the status out again).
    await go(view("media"));
    const tape = page.locator('tr[data-label="TF1002L9"]');
    await tape.waitFor();
    const statusOf = async () => ((await api("GET", "/api2/json/tape/media/list")).body.data as { "label-text": string; status: string }[]).find((m) => m["label-text"] === "TF1002L9")?.status;
    const computed = await statusOf();
    expect(computed).not.toBe("damaged");
    await tape.getByRole("button", { name: "Status of TF1002L9" }).click();
    form = dialog("Status of TF1002L9");
    await field(form, "Status").click();
    await page.getByRole("option", { name: "damaged", exact: true }).click();
    await form.getByRole("button", { name: "Set status" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => tape.locator("td").nth(4).textContent()).toBe("damaged");
    expect(await statusOf()).toBe("damaged");
    await shot("media-status", "light");
    await tape.getByRole("button", { name: "Status of TF1002L9" }).click();
    form = dialog("Status of TF1002L9");
    await field(form, "Status").click();
    await page.getByRole("option", { name: /^clear/ }).click();
    await form.getByRole("button", { name: "Set status" }).click();
    await form.waitFor({ state: "detached" });
    await poll(() => tape.locator("td").nth(4).textContent()).toBe(computed);
    expect(await statusOf()).toBe(computed);

    // The dashboard shows what each drive does and its TapeAlert flags as the status has them.
    await go(view("dashboard"));
    const activity = page.getByTestId("panel-activity").locator('tr[data-drive="d1"]');
    await activity.getByTestId("activity").waitFor();
    expect(await activity.getByTestId("activity").textContent()).toMatch(/^(idle|idle, no tape|not ready|loading|unloading|rewinding|busy|in use)$/);
    const flags = String((await api("GET", "/api2/json/tape/drive/d1/status")).body.data["alert-flags"] ?? "(empty)");
    if (flags === "(empty)") expect(await activity.textContent()).toContain("no TapeAlert");
    else expect(await activity.getByTestId("tape-alert").first().textContent()).toBe(flags.split(" | ")[0]);
    await shot("dashboard-activity", "light");

    await go(view("library"));
    await changer.getByTestId("changer-status").waitFor();
    await shot("changer", "light");
    await shot("changer", "dark");
    await page.emulateMedia({ colorScheme: "light" });
  }, 300_000);

  it("folds the navigation behind a menu button on a narrow window", async () => {
    await page.setViewportSize({ width: 700, height: 900 });
    const burger = page.getByRole("button", { name: "Toggle navigation" });
    await burger.waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    // Folded, the navigation is moved out of the window to the left.
    const onScreen = async () => {
      const box = await nav.boundingBox();
      return box !== null && box.x + box.width > 0;
    };
    await poll(onScreen).toBe(false);
    await burger.click();
    await poll(onScreen).toBe(true);
    await nav.getByRole("link", { name: "Drives", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Drives", exact: true }).waitFor();
    await poll(onScreen).toBe(false);
    await shot("drives-narrow", "light");
    await page.setViewportSize(LAPTOP);
    await poll(() => burger.isVisible()).toBe(false);
    await poll(onScreen).toBe(true);
  });

  it("toggles the color scheme and keeps the choice over the OS preference", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("light");
    await page.getByRole("button", { name: "Switch to dark mode" }).click();
    await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("dark");
    await page.reload();
    await page.getByRole("heading", { level: 2 }).first().waitFor();
    expect(await page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("dark");
    await page.getByRole("button", { name: "Switch to light mode" }).click();
    await poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("light");
    // Back to following the OS preference.
    await page.evaluate("localStorage.clear()");
    await page.reload();
    await page.getByRole("heading", { level: 2 }).first().waitFor();
  });

  it("goes back to the login page when the gateway rejects the session's token", async () => {
    const created = await api("POST", "/api2/json/access/token", { role: "audit", comment: "web UI test" });
    expect(created.status).toBe(200);
    await page.getByRole("button", { name: "Log out" }).click();
    currentView = "login";
    await field(page, "API token").fill(created.body.data.token);
    await page.getByRole("button", { name: "Log in" }).click();
    // The page the session was on stays.
    currentView = "after-login";
    await page.getByRole("heading", { level: 2 }).first().waitFor();
    expect(await page.getByTestId("token-id").textContent()).toBe(created.body.data.id);

    // A view that reads nothing on a timer (the dashboard's running jobs and the task list do), so
    // that the click below is the first request with the revoked token.
    await go(view("drives"));
    expect((await api("DELETE", `/api2/json/access/token/${created.body.data.id}`)).status).toBe(200);
    provoked.push({ path: "/api2/json/config/changer", status: 401 });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Changers", exact: true }).click();
    currentView = "login";
    await page.getByTestId("login-notice").waitFor();
    expect(await page.getByTestId("login-notice").textContent()).toContain("rejected the token");
    expect(await page.evaluate("sessionStorage.getItem('tapefleet.token')")).toBeNull();
  });

  it("logged no console errors in any view (besides the HTTP errors provoked on purpose)", () => {
    const unexpected = consoleErrors.filter((e) => {
      const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(e.text);
      if (!m) return true;
      const path = e.url === "" ? "" : new URL(e.url).pathname;
      return !provoked.some((p) => p.status === Number(m[1]) && p.path === path);
    });
    expect(unexpected).toEqual([]);
    // The listener does see errors: each provoked HTTP error was logged by the browser.
    for (const p of provoked) {
      expect(consoleErrors.some((e) => e.url.endsWith(p.path) && e.text.includes(`status of ${p.status}`)), `${p.status} ${p.path}`).toBe(true);
    }
  });
});
