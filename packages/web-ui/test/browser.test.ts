/**
 * The web UI in a real browser (Debian's Chromium through playwright-core)
 * against a real gateway and inventory (in-process, PostgreSQL + NATS from
 * provisionTestEnv). The gateway starts listening inside startGateway, so the
 * UI is served by a Fastify app of this test that registers the web UI plugin
 * and forwards /api2, /healthz and /readyz to the gateway.
 * Screenshots of every main view, light and dark, go to test-output/web-ui/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@tapefleet/common";
import { gatewayConfigSchema, startGateway, type RunningGateway } from "@tapefleet/api-gateway";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "@tapefleet/inventory";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { registerWebUi } from "../src/server.ts";

const REPO = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
const OUT = join(REPO, "test-output", "web-ui");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** A laptop screen; the large-monitor screenshot uses LARGE. */
const LAPTOP = { width: 1366, height: 768 };
const LARGE = { width: 2560, height: 1440 };
const VIEWS = [
  { name: "dashboard", nav: "Dashboard", heading: "Dashboard" },
  { name: "changers", nav: "Changers", heading: "Changers" },
  { name: "drives", nav: "Drives", heading: "Drives" },
  { name: "media-pools", nav: "Media Pools", heading: "Media Pools" },
  { name: "backup-jobs", nav: "Backup Jobs", heading: "Backup Jobs" },
] as const;

let env: TestEnv;
let inv: RunningInventory;
let gw: RunningGateway;
let ui: FastifyInstance;
let uiUrl: string;
let adminToken: string;
let profileDir: string;
let distDir: string;
let context: BrowserContext;
let page: Page;

/** Console errors and uncaught page errors, with the view they happened on. */
const consoleErrors: { view: string; text: string; url: string }[] = [];
/** HTTP errors a step provokes on purpose (the browser logs each as a console error). */
const provoked: { path: string; status: number }[] = [];
let currentView = "login";

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const r = spawnSync("sh", ["-c", "flock /tmp/tapefleet-apt.lock sh -c 'apt-get update && apt-get install -y chromium'"], { stdio: "inherit" });
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`Chromium is missing and 'apt-get install -y chromium' failed (exit ${String(r.status)})`);
}

/** Forwards a request to the gateway as it came (method, headers, raw body). */
async function forward(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || ["host", "connection", "content-length"].includes(k)) continue;
    headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const body = req.method === "GET" || req.method === "HEAD" || req.body === undefined ? undefined : (req.body as Buffer);
  const res = await fetch(`${gw.url}${req.url}`, { method: req.method, headers, ...(body === undefined ? {} : { body }) });
  reply.code(res.status);
  for (const h of ["content-type", "x-request-id"]) {
    const v = res.headers.get(h);
    if (v !== null) reply.header(h, v);
  }
  return reply.send(Buffer.from(await res.arrayBuffer()));
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
  await expect.poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe(scheme);
  await page.screenshot({ path: join(OUT, `${name}-${scheme}.png`), fullPage: true });
}

async function go(view: (typeof VIEWS)[number]): Promise<void> {
  currentView = view.name;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: view.nav, exact: true }).click();
  await page.getByRole("heading", { level: 2, name: view.heading, exact: true }).waitFor();
  await page.waitForLoadState("networkidle");
}

/** The error shown under an input (Mantine links it with aria-describedby: `<id>-error`). */
async function errorUnder(field: Locator): Promise<string> {
  const errorId = async () => ((await field.getAttribute("aria-describedby")) ?? "").split(/\s+/).find((i) => i.endsWith("-error"));
  await expect.poll(errorId).toBeDefined();
  return (await page.locator(`[id="${await errorId()}"]`).textContent()) ?? "";
}

/** The input labelled exactly `label` (a required field's label ends with " *"). */
function field(scope: Locator | Page, label: string): Locator {
  return scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( \\*)?$`));
}

function dialog(title: string): Locator {
  return page.getByRole("dialog", { name: title });
}

beforeAll(async () => {
  ensureChromium();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  env = await provisionTestEnv("webui");
  const dir = mkdtempSync(join(tmpdir(), "tapefleet-webui-"));
  const base = { natsUrl: env.natsUrl, natsPrefix: env.natsPrefix, databaseUrl: env.databaseUrl, logLevel: "silent" };
  inv = await startInventory(inventoryConfigSchema.parse(base), { logger: createLogger({ service: "inventory", level: "silent" }), installSignalHandlers: false });
  gw = await startGateway(gatewayConfigSchema.parse({ ...base, httpPort: 0, statsIntervalMs: 0, adminTokenFile: join(dir, "admin-token") }), {
    logger: createLogger({ service: "api-gateway", level: "silent" }),
    installSignalHandlers: false,
  });
  adminToken = readFileSync(join(dir, "admin-token"), "utf8").trim();

  // A fresh dist folder: registerWebUi builds the current sources into it (vite build).
  distDir = join(dir, "dist");
  ui = Fastify({ logger: false });
  ui.removeAllContentTypeParsers();
  ui.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  ui.all("/api2/*", forward);
  ui.get("/readyz", forward);
  ui.get("/healthz", forward);
  await registerWebUi(ui, { distDir });
  uiUrl = await ui.listen({ host: "127.0.0.1", port: 0 });

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
  await ui?.close();
  await gw?.stop();
  await inv?.stop();
  await env?.cleanup();
});

afterEach(async (ctx) => {
  // A failing step leaves a picture of the page behind for the report.
  if (ctx.task.result?.state === "fail" && page) {
    await page.screenshot({ path: join(OUT, `failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`), fullPage: true }).catch(() => {});
  }
});

describe("web UI server", () => {
  it("built the app into the given dist folder and serves it on client routes without shadowing the API", async () => {
    expect(existsSync(join(distDir, "index.html"))).toBe(true);
    const index = await fetch(`${uiUrl}/media-pools`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    expect(await index.text()).toContain('<div id="root">');

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
    await expect.poll(() => page.getByTestId("gateway-status").textContent()).toBe("ready");
    expect(await page.getByTestId("token-id").textContent()).toBe("admin");
    expect(await page.evaluate("sessionStorage.getItem('tapefleet.token')")).toBe(adminToken);
  });

  it("creates a drive; a bad name shows the API's message under the name field", async () => {
    await go(VIEWS[2]);
    expect(await page.getByTestId("empty").textContent()).toContain("No drives configured yet");
    await page.getByRole("button", { name: "Add drive" }).click();
    const form = dialog("New drive");
    const name = field(form, "Name");
    provoked.push({ path: "/api2/json/config/drive", status: 400 });
    await name.fill("x");
    await field(form, "Device path").fill("/dev/tape/by-id/scsi-TFD9000001-sg");
    await form.getByRole("button", { name: "Create drive" }).click();
    const expected = await api("POST", "/api2/json/config/drive", { name: "x", path: "/dev/tape/by-id/scsi-TFD9000001-sg" });
    expect(expected.status).toBe(400);
    expect(await errorUnder(name)).toBe(expected.body.errors.name);

    await name.fill("d1");
    await form.getByRole("button", { name: "Create drive" }).click();
    await form.waitFor({ state: "detached" });
    await page.locator('tr[data-entry="d1"]').waitFor();
    expect(await page.locator('tr[data-entry="d1"]').textContent()).toContain("/dev/tape/by-id/scsi-TFD9000001-sg");
  });

  it("configures a media pool: a bad retention shows the API's field error under the field, a good one saves", async () => {
    await go(VIEWS[3]);
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
    expect(await form.getByTestId("schedule-preview-runs").locator("li").count()).toBe(5);
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

  it("creates a backup job and previews its next runs as the schedule is typed", async () => {
    await go(VIEWS[4]);
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

  it("creates, edits and removes a changer", async () => {
    await go(VIEWS[1]);
    await page.getByRole("button", { name: "Add changer" }).click();
    let form = dialog("New changer");
    await field(form, "Name").fill("sl3");
    await field(form, "Device path").fill("/dev/tape/by-id/scsi-TFL9000001-changer");
    await form.getByRole("button", { name: "Create changer" }).click();
    await form.waitFor({ state: "detached" });
    const row = page.locator('tr[data-entry="sl3"]');
    await row.waitFor();

    await page.getByRole("button", { name: "Edit sl3" }).click();
    form = dialog("Edit changer sl3");
    expect(await field(form, "Name").inputValue()).toBe("sl3");
    await field(form, "Export slots").fill("15,16");
    await form.getByRole("button", { name: "Save" }).click();
    await form.waitFor({ state: "detached" });
    await expect.poll(() => row.textContent()).toContain("15, 16");
    expect((await api("GET", "/api2/json/config/changer/sl3")).body.data["export-slots"]).toEqual([15, 16]);

    await page.getByRole("button", { name: "Remove sl3" }).click();
    await dialog("Remove changer").getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
    expect((await api("GET", "/api2/json/config/changer")).body.data).toEqual([]);
    await api("POST", "/api2/json/config/changer", { name: "sl3", path: "/dev/tape/by-id/scsi-TFL9000001-changer", "export-slots": "15,16" });
  });

  it("shows every main view readably in light and dark, on a laptop and on a large monitor", async () => {
    for (const view of VIEWS) {
      await go(view);
      if (view.name !== "dashboard") await page.getByTestId("entries").waitFor();
      await shot(view.name, "light");
      await shot(view.name, "dark");
    }
    await go(VIEWS[0]);
    expect(await page.getByTestId("count-drive").textContent()).toContain("1");
    expect(await page.getByTestId("panel-upcoming").textContent()).toContain("nightly");
    await page.setViewportSize(LARGE);
    await shot("dashboard-large", "dark");
    await go(VIEWS[4]);
    await shot("backup-jobs-large", "light");
    await page.setViewportSize(LAPTOP);
  });

  it("toggles the color scheme and keeps the choice over the OS preference", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await expect.poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("light");
    await page.getByRole("button", { name: "Switch to dark mode" }).click();
    await expect.poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("dark");
    await page.reload();
    await page.getByRole("heading", { level: 2 }).first().waitFor();
    expect(await page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("dark");
    await page.getByRole("button", { name: "Switch to light mode" }).click();
    await expect.poll(() => page.locator("html").getAttribute("data-mantine-color-scheme")).toBe("light");
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
    // The page the session was on stays (here: the last view visited).
    currentView = "backup-jobs";
    await page.getByRole("heading", { level: 2, name: "Backup Jobs", exact: true }).waitFor();
    expect(await page.getByTestId("token-id").textContent()).toBe(created.body.data.id);

    expect((await api("DELETE", `/api2/json/access/token/${created.body.data.id}`)).status).toBe(200);
    provoked.push({ path: "/api2/json/config/drive", status: 401 });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Drives", exact: true }).click();
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
  });
});
