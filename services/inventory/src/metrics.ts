import { Gauge, METRIC_PREFIX, type Registry } from "@tapefleet/common";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { media, type InventorySchema } from "./db/schema.ts";
import { mediumFromRow } from "./core/pool-allocator.ts";
import { computeMediaStatus, currentMediaSet, type Medium } from "./pool-engine/index.ts";

/** Label value of media without a pool. */
export const NO_POOL_LABEL = "";

/** One series of `tapefleet_media`: the number of tapes with these labels. */
export interface MediaCount {
  status: string;
  location: "online" | "offline" | "vault";
  pool: string;
  count: number;
}

/**
 * Count media by computed status (§6.3: stored `full`/`damaged`/`retired`, else
 * `writable`/`full`/`unknown` from the set labels against the pool's current set),
 * location kind and pool. Pure: the rows are read by the caller.
 */
export function countMedia(all: readonly Medium[]): MediaCount[] {
  const currentByPool = new Map<string, ReturnType<typeof currentMediaSet>>();
  const counts = new Map<string, MediaCount>();
  for (const m of all) {
    const pool = m.label.pool;
    let status: string;
    if (pool === undefined) {
      // Free media (§6.3 applied without a pool): the stored status, else writable.
      status = m.storedStatus ?? (m.setLabel === undefined ? "writable" : "unknown");
    } else {
      if (!currentByPool.has(pool)) currentByPool.set(pool, currentMediaSet({ name: pool }, all));
      status = computeMediaStatus({ name: pool }, m, all, { current: currentByPool.get(pool) ?? null });
    }
    const location = m.inImportExport ? "offline" : m.location.kind;
    const key = `${status}\u0000${location}\u0000${pool ?? NO_POOL_LABEL}`;
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { status, location, pool: pool ?? NO_POOL_LABEL, count: 1 });
  }
  return [...counts.values()];
}

/**
 * Register the inventory's series on the service registry. `tapefleet_media` is
 * collected on each scrape from the media rows (one query); no other code feeds it.
 */
export function registerInventoryMetrics(registry: Registry, db: PostgresJsDatabase<InventorySchema>): void {
  new Gauge({
    name: `${METRIC_PREFIX}media`,
    help: "Tapes by computed status (writable, full, unknown, damaged, retired), location kind (online, offline, vault) and pool (empty: none)",
    labelNames: ["status", "location", "pool"] as const,
    registers: [registry],
    async collect() {
      // PostgreSQL unreachable: no series rather than a failed scrape.
      const rows = await db
        .select()
        .from(media)
        .catch(() => []);
      this.reset();
      for (const c of countMedia(rows.map(mediumFromRow))) this.set({ status: c.status, location: c.location, pool: c.pool }, c.count);
    },
  });
}
