/**
 * Boxed text tables as the PBS CLI prints them: a header row, a double rule
 * under it, a rule between rows.
 *
 * ```
 * ┌───────┬───────┐
 * │ name  │ drive │
 * ╞═══════╪═══════╡
 * │ daily │ drv1  │
 * └───────┴───────┘
 * ```
 */

export interface Column {
  /** Key of the row object. */
  key: string;
  /** Header text (defaults to the key). */
  header?: string;
  /** Right-align the cells (numbers, as the PBS CLI prints them). */
  align?: "left" | "right";
}

/** Terminal columns a code point takes: 2 for wide East Asian and emoji, 0 for combining marks. */
function charWidth(cp: number): number {
  if ((cp >= 0x0300 && cp <= 0x036f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** A cell's text: lists joined by ',', nothing for absent values, control characters as spaces. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = Array.isArray(value) ? value.map((v) => cellText(v)).join(",") : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** Render rows as a boxed table (ends with a newline). */
export function renderTable(columns: readonly Column[], rows: readonly Record<string, unknown>[]): string {
  const headers = columns.map((c) => c.header ?? c.key);
  const cells = rows.map((r) => columns.map((c) => cellText(r[c.key])));
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((row) => displayWidth(row[i]!))));
  const rule = (left: string, fill: string, mid: string, right: string) => left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
  const cell = (t: string, i: number, header: boolean) =>
    !header && columns[i]!.align === "right" ? " ".repeat(Math.max(0, widths[i]! - displayWidth(t))) + t : pad(t, widths[i]!);
  const line = (texts: readonly string[], header = false) => "│" + texts.map((t, i) => ` ${cell(t, i, header)} `).join("│") + "│";
  const out = [rule("┌", "─", "┬", "┐"), line(headers, true), rule("╞", "═", "╪", "╡")];
  cells.forEach((row, i) => {
    if (i > 0) out.push(rule("├", "─", "┼", "┤"));
    out.push(line(row));
  });
  out.push(rule("└", "─", "┴", "┘"));
  return out.join("\n") + "\n";
}

/** A two-column Name/Value table of an object's fields (in the given order, absent ones skipped). */
export function renderKeyValue(obj: Record<string, unknown>, keys?: readonly string[]): string {
  const order = keys ? [...keys, ...Object.keys(obj).filter((k) => !keys.includes(k))] : Object.keys(obj);
  const rows = order.filter((k) => obj[k] !== undefined && obj[k] !== null).map((k) => ({ name: k, value: obj[k] }));
  return renderTable(
    [
      { key: "name", header: "Name" },
      { key: "value", header: "Value" },
    ],
    rows,
  );
}
