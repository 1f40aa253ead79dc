/**
 * Paper keys (PBS `paperkey`): the pretty-printed KeyConfig between BEGIN/END
 * markers, followed by a QR code of those JSON lines, as text (UTF-8 blocks)
 * or as an HTML block with the QR code as an SVG data URI; and the way back
 * (import accepts a paper key or the bare JSON).
 * @see ../../../../../shared/reference/pbs-tape-format.md §9.4
 */
import QRCode from "qrcode";
import { formatKeyConfig, KeyConfigError, parseKeyConfig, type KeyConfig } from "./key-config.ts";

export const PAPERKEY_BEGIN = "-----BEGIN PROXMOX BACKUP KEY-----";
export const PAPERKEY_END = "-----END PROXMOX BACKUP KEY-----";
/** QR error correction as PBS's `qrencode -lm`. */
export const PAPERKEY_QR_LEVEL = "M";

export type PaperkeyFormat = "text" | "html";

/** What the QR code holds: the pretty-printed KeyConfig lines joined with `\n`. */
export function paperkeyQrPayload(config: KeyConfig): string {
  return formatKeyConfig(config);
}

/** The QR code as UTF-8 half blocks (dark modules as `█`, no quiet zone: `qrencode -t utf8i -m0`). */
export async function paperkeyQrText(config: KeyConfig): Promise<string> {
  return QRCode.toString(paperkeyQrPayload(config), { type: "utf8", errorCorrectionLevel: PAPERKEY_QR_LEVEL, margin: 0 });
}

/** The QR code as a PNG (with a quiet zone), e.g. to print or to check with a scanner. */
export async function paperkeyQrPng(config: KeyConfig, scale = 4): Promise<Buffer> {
  return QRCode.toBuffer(paperkeyQrPayload(config), { type: "png", errorCorrectionLevel: PAPERKEY_QR_LEVEL, margin: 4, scale });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}

/** The paper key document: `text` (markers, JSON lines, QR blocks) or `html` (a printable page with an SVG QR code). */
export async function renderPaperkey(config: KeyConfig, format: PaperkeyFormat): Promise<string> {
  const json = formatKeyConfig(config);
  const block = `${PAPERKEY_BEGIN}\n${json}\n${PAPERKEY_END}\n`;
  if (format === "text") return `${block}${await paperkeyQrText(config)}\n`;
  const svg = await QRCode.toString(paperkeyQrPayload(config), { type: "svg", errorCorrectionLevel: PAPERKEY_QR_LEVEL, margin: 4 });
  const uri = `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
  const title = config.fingerprint === undefined ? "Proxmox Backup key" : `Proxmox Backup key ${escapeHtml(config.fingerprint)}`;
  return (
    `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n` +
    `<style>pre { font-size: 12px; } img { width: 60mm; height: 60mm; }</style>\n</head>\n<body>\n` +
    `<div style="page-break-inside: avoid">\n<pre>\n${escapeHtml(block)}</pre>\n` +
    `<img src="${uri}" alt="QR code of the key">\n</div>\n</body>\n</html>\n`
  );
}

/**
 * A KeyConfig from an import document: a paper key (the JSON between the
 * BEGIN/END markers; anything around it, the QR code included, is ignored)
 * or a bare KeyConfig JSON text.
 */
export function parseKeyImport(text: string): KeyConfig {
  let json = text;
  const begin = text.indexOf(PAPERKEY_BEGIN);
  if (begin >= 0) {
    const end = text.indexOf(PAPERKEY_END, begin);
    if (end < 0) throw new KeyConfigError("MALFORMED", "keyConfig", `paper key has '${PAPERKEY_BEGIN}' but no '${PAPERKEY_END}'`);
    json = text.slice(begin + PAPERKEY_BEGIN.length, end);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new KeyConfigError("MALFORMED", "keyConfig", "is neither a paper key nor KeyConfig JSON");
  }
  return parseKeyConfig(value);
}
