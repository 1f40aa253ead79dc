/**
 * Parsers for what mtx, tapeinfo, sg3_utils and sdparm print, so the tests can
 * compare their view field by field with the virtual library and our decoders.
 */

export interface MtxDrive {
  index: number;
  full: boolean;
  loadedSlot?: number;
  volumeTag?: string;
}

export interface MtxSlot {
  slot: number;
  importExport: boolean;
  full: boolean;
  volumeTag?: string;
}

export interface MtxStatus {
  driveCount: number;
  slotCount: number;
  importExportCount: number;
  drives: MtxDrive[];
  slots: MtxSlot[];
}

/** `mtx -f DEV status`. */
export function parseMtxStatus(text: string): MtxStatus {
  const header = /Storage Changer .*?:(\d+) Drives, (\d+) Slots \( (\d+) Import\/Export \)/.exec(text);
  if (header === null) throw new Error(`mtx status: no header in\n${text}`);
  const drives: MtxDrive[] = [];
  const slots: MtxSlot[] = [];
  for (const line of text.split("\n")) {
    const d = /^Data Transfer Element (\d+):(Empty|Full)(?: \(Storage Element (\d+) Loaded\))?(?::VolumeTag ?= ?(\S+))?/.exec(line.trim());
    if (d !== null) {
      const drive: MtxDrive = { index: Number(d[1]), full: d[2] === "Full" };
      if (d[3] !== undefined) drive.loadedSlot = Number(d[3]);
      if (d[4] !== undefined) drive.volumeTag = d[4];
      drives.push(drive);
      continue;
    }
    const s = /^Storage Element (\d+)( IMPORT\/EXPORT)?:(Empty|Full)(?: :VolumeTag=(\S+))?/.exec(line.trim());
    if (s !== null) {
      const slot: MtxSlot = { slot: Number(s[1]), importExport: s[2] !== undefined, full: s[3] === "Full" };
      if (s[4] !== undefined) slot.volumeTag = s[4];
      slots.push(slot);
    }
  }
  return {
    driveCount: Number(header[1]),
    slotCount: Number(header[2]),
    importExportCount: Number(header[3]),
    drives,
    slots,
  };
}

/** Lines `Key: value` (or `Key=value` with `sep`), first occurrence wins; keys trimmed. */
export function parseKeyValues(text: string, sep = ":"): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(sep);
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    if (!out.has(key)) out.set(key, line.slice(i + sep.length).trim());
  }
  return out;
}

/** Like parseKeyValues, keeping every occurrence of a key. */
export function parseKeyValueList(text: string, sep = ":"): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split("\n")) {
    const i = line.indexOf(sep);
    if (i <= 0) continue;
    out.push([line.slice(0, i).trim(), line.slice(i + sep.length).trim()]);
  }
  return out;
}

export function value(map: Map<string, string>, key: string): string {
  const v = map.get(key);
  if (v === undefined) throw new Error(`no "${key}" in the tool output (keys: ${[...map.keys()].join(", ")})`);
  return v;
}

/** tapeinfo prints `Key: 'value'`: strip the quotes, keep inner spaces. */
export function unquote(v: string): string {
  const m = /^'(.*)'$/.exec(v);
  return m !== null ? (m[1] ?? "") : v;
}

/**
 * sg_logs -p 0x2e: the flag lines in parameter order (0x01..0x40), each
 * `Name: 0|1`, after the page title line.
 */
export function parseTapeAlertFlags(text: string): number[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /Tape alert page/i.test(l));
  if (start < 0) throw new Error(`sg_logs: no TapeAlert page in\n${text}`);
  const set: number[] = [];
  let n = 0;
  for (const line of lines.slice(start + 1)) {
    const m = /:\s*(\d+)\s*$/.exec(line);
    if (m === null) continue;
    n += 1;
    if (Number(m[1]) !== 0) set.push(n);
  }
  if (n !== 64) throw new Error(`sg_logs: expected 64 TapeAlert parameters, found ${n}`);
  return set;
}

/**
 * sg_modes / sdparm hex dumps: `>> Page name...` followed by lines
 * ` OO     hh hh ...`; returns page code → bytes (the code from the first byte).
 */
export function parseModePageDumps(text: string): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let current: number[] | undefined;
  const flush = () => {
    if (current !== undefined && current.length > 0) out.set((current[0] ?? 0) & 0x3f, Uint8Array.from(current));
    current = undefined;
  };
  for (const line of text.split("\n")) {
    if (line.startsWith(">>")) {
      flush();
      current = [];
      continue;
    }
    if (current === undefined) continue;
    const m = /^\s[0-9a-f]{2,}\s{2,}((?:[0-9a-f]{2}\s*)+)$/.exec(line);
    if (m === null) {
      if (line.trim() !== "") flush();
      continue;
    }
    for (const h of (m[1] ?? "").trim().split(/\s+/)) current.push(parseInt(h, 16));
  }
  flush();
  return out;
}
