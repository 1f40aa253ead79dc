import { execFileSync, execSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createKeyConfig, decryptKeyConfig, formatKeyConfig, type KeyConfig } from "./key-config.ts";
import { PAPERKEY_BEGIN, PAPERKEY_END, paperkeyQrPng, parseKeyImport, renderPaperkey } from "./paperkey.ts";

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xa0 ^ i));
const PASSWORD = "paper secret";
let config: KeyConfig;

beforeAll(async () => {
  config = await createKeyConfig(KEY, PASSWORD, { hint: "vault <B>" });
});

/** zbarimg (Debian zbar-tools), installed when missing so a fresh machine runs this test. */
function zbarimg(): string {
  try {
    return execSync("command -v zbarimg", { encoding: "utf8" }).trim();
  } catch {
    execSync("flock /tmp/tapefleet-apt.lock sh -c 'apt-get update && apt-get install -y zbar-tools'", { stdio: "ignore" });
    return execSync("command -v zbarimg", { encoding: "utf8" }).trim();
  }
}

describe("paper key", () => {
  it("text: BEGIN marker, the pretty-printed KeyConfig lines, END marker, then a QR code of UTF-8 blocks", async () => {
    const text = await renderPaperkey(config, "text");
    const lines = text.split("\n");
    const json = formatKeyConfig(config).split("\n");
    expect(lines[0]).toBe(PAPERKEY_BEGIN);
    expect(lines.slice(1, 1 + json.length)).toEqual(json);
    expect(lines[1 + json.length]).toBe(PAPERKEY_END);
    expect(json[0]).toBe("{");
    expect(json[1]).toBe('  "kdf": {');
    const qr = lines.slice(2 + json.length).filter((l) => l.length > 0);
    expect(qr.length).toBeGreaterThan(10);
    for (const row of qr) expect(row).toMatch(/^[ █▀▄]+$/);
    // a square of modules, two module rows per text row
    for (const row of qr) expect(row.length).toBe(qr[0]!.length);
    expect(qr.length).toBe(Math.ceil(qr[0]!.length / 2));
  });

  it("html: the block in <pre> and the QR code as an SVG data URI", async () => {
    const html = await renderPaperkey(config, "html");
    expect(html).toContain(`<pre>\n${PAPERKEY_BEGIN}\n`);
    expect(html).toContain("vault &lt;B&gt;");
    const m = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(html);
    expect(m).not.toBeNull();
    const svg = Buffer.from(m![1]!, "base64").toString("utf8");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it("the QR code, rendered to PNG, decodes with zbarimg to the exact KeyConfig JSON", async () => {
    const bin = zbarimg();
    const dir = mkdtempSync(join(tmpdir(), "paperkey-"));
    const file = join(dir, "qr.png");
    writeFileSync(file, await paperkeyQrPng(config));
    const decoded = execFileSync(bin, ["--raw", "-q", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(decoded.replace(/\n$/, "")).toBe(formatKeyConfig(config));
    const back = parseKeyImport(decoded);
    expect(back).toEqual(config);
  });

  it("import takes the paper key text (QR and all) or the bare JSON, and restores the same key", async () => {
    const text = await renderPaperkey(config, "text");
    const fromPaper = parseKeyImport(`printed 2024-05-01\n${text}`);
    expect(fromPaper).toEqual(config);
    expect(parseKeyImport(JSON.stringify(config))).toEqual(config);
    const opened = await decryptKeyConfig(fromPaper, PASSWORD);
    expect(opened.key.equals(KEY)).toBe(true);
    expect(opened.fingerprint).toBe(config.fingerprint);
  });

  it("refuses a paper key without END marker and text that is no key", () => {
    expect(() => parseKeyImport(`${PAPERKEY_BEGIN}\n{}`)).toThrow(/no '-----END PROXMOX BACKUP KEY-----'/);
    expect(() => parseKeyImport("hello")).toThrow(/neither a paper key nor KeyConfig JSON/);
    expect(() => parseKeyImport(`${PAPERKEY_BEGIN}\n{"kdf": null}\n${PAPERKEY_END}`)).toThrow(/created: must be an RFC 3339 time/);
  });
});
