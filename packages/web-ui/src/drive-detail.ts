/**
 * What the drive detail panel and the dashboard read from a drive's status
 * (`tape/drive/{drive}/status`) and volume statistics
 * (`tape/drive/{drive}/volume-statistics`): the activity as text, the raised
 * TapeAlert flags, and the tape's wear counters.
 */

/** A drive's status as the API gives it (PBS `LtoDriveAndMediaStatus` fields, kebab-case). */
export type DriveStatusData = Readonly<Record<string, unknown>>;

/** Activity names of the drive's device status log (SSC-4 DT device activity) → what the UI says. */
const ACTIVITY_TEXT: Readonly<Record<string, string>> = {
  "no-activity": "idle",
  "reading-encrypted": "reading (encrypted)",
  "writing-encrypted": "writing (encrypted)",
  "microcode-update": "updating microcode",
  "other-dt": "busy",
  other: "busy",
};

/**
 * What the drive is doing: its device activity (`idle`, `loading`, `writing`,
 * `cleaning`, `calibrating`, …), or `idle, no tape` / `not ready` when the
 * drive reports no activity page.
 */
export function activityText(status: DriveStatusData): string {
  const a = status["drive-activity"];
  if (typeof a === "string" && a !== "") return ACTIVITY_TEXT[a] ?? a;
  if (status["medium-present"] === false) return "idle, no tape";
  if (status["ready"] === false) return "not ready";
  return "idle";
}

/** Is the activity one that moves tape (not idle, no tape, not ready)? */
export function isBusy(status: DriveStatusData): boolean {
  const a = status["drive-activity"];
  return typeof a === "string" && a !== "" && a !== "no-activity";
}

/** The TapeAlert flags the drive raised (`alert-flags`: names joined by ` | `, or `(empty)`). */
export function alertFlags(status: DriveStatusData): string[] {
  const f = status["alert-flags"];
  if (typeof f !== "string") return [];
  return f
    .split("|")
    .map((s) => s.trim())
    .filter((s) => s !== "" && s !== "(empty)");
}

/** One wear counter of the loaded tape. */
export interface WearRow {
  label: string;
  value: string;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * A byte count of the volume statistics as text, in the decimal units drives
 * count in (the API gives bytes; the drive's counters are whole 10^6 bytes).
 */
function decimalBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  return `${n} B`;
}

/**
 * The tape's wear: lifetime counters of the volume statistics (mounts, bytes
 * written and read over its life, passes) and the status's medium wearout.
 * Counters neither source has are left out.
 */
export function wearRows(status: DriveStatusData | null, stats: DriveStatusData | null): WearRow[] {
  const rows: WearRow[] = [];
  const s = stats ?? {};
  const st = status ?? {};
  const mounts = num(s["volume-mounts"]) ?? num(st["volume-mounts"]);
  if (mounts !== undefined) rows.push({ label: "Mounts", value: String(mounts) });
  const written = num(s["lifetime-bytes-written"]);
  if (written !== undefined) rows.push({ label: "Written (lifetime)", value: decimalBytes(written) });
  const read = num(s["lifetime-bytes-read"]);
  if (read !== undefined) rows.push({ label: "Read (lifetime)", value: decimalBytes(read) });
  const passes = num(st["medium-passes"]);
  if (passes !== undefined) rows.push({ label: "Medium passes", value: String(passes) });
  const bom = num(s["beginning-of-medium-passes"]);
  if (bom !== undefined) rows.push({ label: "Beginning-of-medium passes", value: String(bom) });
  const mot = num(s["middle-of-tape-passes"]);
  if (mot !== undefined) rows.push({ label: "Middle-of-tape passes", value: String(mot) });
  const wearout = st["medium-wearout"];
  // A fraction of the medium's rated passes (PBS `medium-wearout`).
  if (typeof wearout === "number" && Number.isFinite(wearout)) rows.push({ label: "Wearout", value: `${(wearout * 100).toFixed(2)}%` });
  return rows;
}

/** A status or statistics value as text (lists joined with `; `). */
export function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => valueText(x)).join("; ");
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** The drive a running task uses, where its worker type tells: drive operations name it, backups through their job or pool. */
export function driveOfTask(
  task: { "worker-type": string; "worker-id"?: string },
  config: { jobs: readonly Readonly<Record<string, unknown>>[]; pools: readonly Readonly<Record<string, unknown>>[] },
): string | undefined {
  const id = task["worker-id"];
  if (id === undefined) return undefined;
  const poolDrive = (pool: unknown) => {
    const d = config.pools.find((p) => p["name"] === pool)?.["drive"];
    return typeof d === "string" ? d : undefined;
  };
  switch (task["worker-type"]) {
    case "tape-backup-job": {
      const job = config.jobs.find((j) => j["id"] === id);
      if (!job) return undefined;
      return typeof job["drive"] === "string" ? job["drive"] : poolDrive(job["pool"]);
    }
    case "tape-backup": {
      // `<store>:<pool>:<drive or any>`
      const [, pool, drive] = id.split(":");
      return drive !== undefined && drive !== "any" ? drive : poolDrive(pool);
    }
    case "tape-restore":
    case "datastore-sample":
    case "datastore-ingest":
      return undefined;
    default:
      // Drive operations (load-media, unload, label, format, clean, catalog, …) are named after their drive.
      return id;
  }
}
