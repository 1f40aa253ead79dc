/**
 * Internal: checks an inventory once and indexes it (media by UUID, media sets per
 * pool), so that each public function looks at every medium a bounded number of times.
 */
import { InvalidMediumError } from "./errors.ts";
import { MAX_EPOCH_SECONDS } from "./pool-policy.ts";
import { type MediaSetInfo, type MediaSetLabel, type Medium, ZERO_UUID } from "./types.ts";

const STORED_STATUSES: ReadonlySet<string> = new Set(["full", "damaged", "retired"]);

/** The set label of a medium unless it is absent or the legacy zero (unassigned) label (§3.4). */
export function assignedSetLabel(medium: Medium): MediaSetLabel | undefined {
  const set = medium.setLabel;
  return set === undefined || set.uuid === ZERO_UUID ? undefined : set;
}

/**
 * The pool a medium belongs to: its set label's pool, else its media label's pool;
 * null for free (unassigned) media (§6.3).
 */
export function mediumPool(medium: Medium): string | null {
  return medium.setLabel?.pool ?? medium.label.pool ?? null;
}

/** An indexed inventory. */
export interface InventoryIndex {
  readonly media: readonly Medium[];
  readonly byUuid: ReadonlyMap<string, Medium>;
  /** Non-zero media sets per pool, oldest first (by first ctime, then UUID). */
  readonly setsByPool: ReadonlyMap<string, readonly MediaSetInfo[]>;
  /** The same sets by pool, then set UUID. */
  readonly setByUuid: ReadonlyMap<string, ReadonlyMap<string, MediaSetInfo>>;
}

function fail(field: string, reason: string): never {
  throw new InvalidMediumError(field, reason);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function checkString(v: unknown, field: string, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== "string" || v.length === 0) fail(field, `must be a non-empty string, got ${describe(v)}`);
}

function checkInt(v: unknown, field: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? "" : max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`;
    fail(field, `must be an integer${range}, got ${describe(v)}`);
  }
}

/** Largest sequence number accepted in a set label (a set of a million tapes is not plausible). */
export const MAX_SEQ_NR = 999_999;

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined || v === null || typeof v === "number" || typeof v === "boolean") return String(v);
  return typeof v;
}

/** @throws {InvalidMediumError} naming the first bad field. */
export function validateMedium(m: unknown, at: string): asserts m is Medium {
  if (!isObject(m)) fail(at, `must be an object, got ${describe(m)}`);
  const label = m["label"];
  if (!isObject(label)) fail(`${at}.label`, "is required");
  checkString(label["uuid"], `${at}.label.uuid`);
  checkString(label["labelText"], `${at}.label.labelText`);
  checkInt(label["ctime"], `${at}.label.ctime`, -MAX_EPOCH_SECONDS, MAX_EPOCH_SECONDS);
  checkString(label["pool"], `${at}.label.pool`, true);
  const set = m["setLabel"];
  if (set !== undefined) {
    if (!isObject(set)) fail(`${at}.setLabel`, `must be an object, got ${describe(set)}`);
    checkString(set["pool"], `${at}.setLabel.pool`);
    checkString(set["uuid"], `${at}.setLabel.uuid`);
    checkInt(set["seqNr"], `${at}.setLabel.seqNr`, 0, MAX_SEQ_NR);
    checkInt(set["ctime"], `${at}.setLabel.ctime`, -MAX_EPOCH_SECONDS, MAX_EPOCH_SECONDS);
    checkString(set["encryptionKeyFingerprint"], `${at}.setLabel.encryptionKeyFingerprint`, true);
  }
  const status = m["storedStatus"];
  if (status !== undefined && (typeof status !== "string" || !STORED_STATUSES.has(status))) {
    fail(`${at}.storedStatus`, `must be 'full', 'damaged' or 'retired', got ${describe(status)}`);
  }
  const loc = m["location"];
  if (!isObject(loc)) fail(`${at}.location`, "is required");
  switch (loc["kind"]) {
    case "online":
      checkString(loc["changer"], `${at}.location.changer`);
      break;
    case "vault":
      checkString(loc["name"], `${at}.location.name`);
      break;
    case "offline":
      break;
    default:
      fail(`${at}.location.kind`, `must be 'online', 'offline' or 'vault', got ${describe(loc["kind"])}`);
  }
  const used = m["bytesUsed"];
  if (used !== undefined && (typeof used !== "number" || !Number.isFinite(used) || used < 0)) {
    fail(`${at}.bytesUsed`, `must be a number >= 0, got ${describe(used)}`);
  }
}

/**
 * Validates and indexes `media`.
 *
 * @throws {InvalidMediumError} for a malformed medium or a medium UUID listed twice.
 */
export function indexInventory(media: readonly Medium[]): InventoryIndex {
  if (!Array.isArray(media)) fail("media", `must be an array, got ${describe(media)}`);
  const byUuid = new Map<string, Medium>();
  const at = new Map<string, number>();
  interface Building {
    pool: string;
    uuid: string;
    slots: (string | null)[];
    dups: Map<number, string[]>;
    start: number | null;
    ctime: number;
    firstCtime: number;
  }
  const building = new Map<string, Map<string, Building>>();
  media.forEach((m, i) => {
    validateMedium(m, `media[${i}]`);
    const uuid = m.label.uuid;
    const prev = at.get(uuid);
    if (prev !== undefined) fail(`media[${i}].label.uuid`, `duplicate of media[${prev}] (${uuid})`);
    at.set(uuid, i);
    byUuid.set(uuid, m);
    const set = assignedSetLabel(m);
    if (set === undefined) return;
    let pool = building.get(set.pool);
    if (pool === undefined) building.set(set.pool, (pool = new Map()));
    let b = pool.get(set.uuid);
    if (b === undefined) {
      b = { pool: set.pool, uuid: set.uuid, slots: [], dups: new Map(), start: null, ctime: set.ctime, firstCtime: set.ctime };
      pool.set(set.uuid, b);
    }
    b.ctime = Math.max(b.ctime, set.ctime);
    b.firstCtime = Math.min(b.firstCtime, set.ctime);
    if (set.seqNr === 0) b.start = set.ctime;
    while (b.slots.length <= set.seqNr) b.slots.push(null);
    const taken = b.slots[set.seqNr];
    if (taken === null || taken === undefined) {
      b.slots[set.seqNr] = uuid;
    } else {
      const list = b.dups.get(set.seqNr) ?? [taken];
      list.push(uuid);
      b.dups.set(set.seqNr, list);
    }
  });
  const setsByPool = new Map<string, MediaSetInfo[]>();
  const setByUuid = new Map<string, Map<string, MediaSetInfo>>();
  for (const [pool, sets] of building) {
    const infos: MediaSetInfo[] = [...sets.values()].map((b) => ({
      uuid: b.uuid,
      pool: b.pool,
      members: b.slots,
      startTime: b.start,
      ctime: b.ctime,
      firstCtime: b.firstCtime,
      duplicates: [...b.dups].sort((x, y) => x[0] - y[0]).map(([seqNr, list]) => ({ seqNr, media: list })),
    }));
    infos.sort((a, b) => a.firstCtime - b.firstCtime || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
    setsByPool.set(pool, infos);
    setByUuid.set(pool, new Map(infos.map((i) => [i.uuid, i])));
  }
  return { media, byUuid, setsByPool, setByUuid };
}

/** Orders label texts as PBS does (byte order; plain code unit order for ASCII labels). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The current set of `pool` (see `currentMediaSet`). */
export function currentSetOf(index: InventoryIndex, pool: string): MediaSetInfo | null {
  return currentSetChoice(index, pool).current;
}

/** The current set, or the sets tied for it. */
export function currentSetChoice(
  index: InventoryIndex,
  pool: string,
): { current: MediaSetInfo | null; tied: readonly MediaSetInfo[] } {
  const sets = index.setsByPool.get(pool) ?? [];
  let best: MediaSetInfo | null = null;
  let tied: MediaSetInfo[] = [];
  for (const s of sets) {
    if (best === null || s.ctime > best.ctime) {
      best = s;
      tied = [s];
    } else if (s.ctime === best.ctime) {
      tied.push(s);
    }
  }
  return tied.length > 1 ? { current: null, tied } : { current: best, tied: [] };
}


/**
 * The smallest first ctime of the sets of `pool` that is greater than `after`, or null
 * (binary search over the pool's sets, which are sorted by first ctime).
 */
export function nextSetStartAfter(index: InventoryIndex, pool: string, after: number): number | null {
  const sets = index.setsByPool.get(pool) ?? [];
  let lo = 0;
  let hi = sets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sets[mid] as MediaSetInfo).firstCtime > after) hi = mid;
    else lo = mid + 1;
  }
  return sets[lo]?.firstCtime ?? null;
}
