import { TapefleetError } from "@tapefleet/common";
import { and, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { leases, type SchedulerSchema } from "../db/schema.ts";

type Db = PostgresJsDatabase<SchedulerSchema>;

/** How long a lease lives without a heartbeat (ms). */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** Reason of the CONFLICT error when a resource is leased by another job. */
export const LEASE_BUSY = "LEASE_BUSY";
/** Reason of the error a job gets when its lease was lost (expired and taken, or released). */
export const LEASE_LOST = "LEASE_LOST";

/** Resource name of a drive lease. */
export const driveResource = (drive: string): string => `drive:${drive}`;
/** Resource name of a tape (medium) lease. */
export const mediaResource = (uuid: string): string => `media:${uuid}`;

/** Resources held together by one job. */
export interface Lease {
  holderJob: string;
  holderWorker: string;
  resources: string[];
}

export interface LeaseHolder {
  resource: string;
  holderJob: string;
  holderWorker: string;
  expiresAt: Date;
}

function pgCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string" && /^[0-9A-Z]{5}$/.test(c)) return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Fleet-wide leases in PostgreSQL (`scheduler.lease`). A job takes a drive
 * and the tapes of its media set in **one transaction**: expired leases on
 * those resources are dropped, then every resource is inserted; the primary
 * key on `resource` makes a concurrent second holder fail (unique violation,
 * the whole transaction rolls back, nothing is half-taken). Heartbeats move
 * `expires_at`; a worker that dies stops renewing and its leases can be taken
 * over once expired. Expiry is judged by the database clock only.
 */
export class LeaseManager {
  /** Unique violations seen (two acquirers raced for one resource); the loser got LEASE_BUSY. */
  conflicts = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: { worker: string; ttlMs?: number },
  ) {}

  get ttlMs(): number {
    return this.opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /**
   * Leases every resource for `holderJob`, all or none. A resource held by
   * another job (unexpired) is a CONFLICT with reason LEASE_BUSY naming it and
   * its holder. Re-acquiring resources the same job holds renews them.
   */
  async acquire(holderJob: string, resources: readonly string[], ttlMs = this.ttlMs): Promise<Lease> {
    const wanted = [...new Set(resources)].sort();
    if (wanted.length === 0) return { holderJob, holderWorker: this.opts.worker, resources: [] };
    try {
      await this.db.transaction(async (tx) => {
        await tx.delete(leases).where(and(inArray(leases.resource, wanted), lt(leases.expiresAt, sql`now()`)));
        await tx.delete(leases).where(and(inArray(leases.resource, wanted), eq(leases.holderJob, holderJob)));
        await tx.insert(leases).values(
          wanted.map((resource) => ({
            resource,
            holderJob,
            holderWorker: this.opts.worker,
            expiresAt: sql`now() + ${`${ttlMs} milliseconds`}::interval`,
          })),
        );
      });
    } catch (err) {
      if (pgCode(err) !== "23505") throw err;
      this.conflicts++;
      const held = (await this.holders(wanted)).filter((h) => h.holderJob !== holderJob);
      const what = held.length > 0 ? held.map((h) => `${h.resource} (held by ${h.holderJob})`).join(", ") : wanted.join(", ");
      throw new TapefleetError("CONFLICT", `busy: ${what}`, { reason: LEASE_BUSY, cause: err });
    }
    return { holderJob, holderWorker: this.opts.worker, resources: wanted };
  }

  /**
   * Tries each candidate drive in order together with `media`; returns the
   * lease and the drive taken. Every candidate busy is LEASE_BUSY.
   */
  async acquireAnyDrive(holderJob: string, drives: readonly string[], media: readonly string[] = []): Promise<{ lease: Lease; drive: string }> {
    let last: unknown;
    for (const drive of drives) {
      try {
        return { lease: await this.acquire(holderJob, [driveResource(drive), ...media.map(mediaResource)]), drive };
      } catch (err) {
        if ((err as { reason?: string }).reason !== LEASE_BUSY) throw err;
        last = err;
      }
    }
    throw last ?? new TapefleetError("CONFLICT", "no drive to lease", { reason: LEASE_BUSY });
  }

  /** Adds resources to a held lease (e.g. the next tape of the set), in one transaction. */
  async extend(lease: Lease, resources: readonly string[]): Promise<Lease> {
    const more = resources.filter((r) => !lease.resources.includes(r));
    if (more.length === 0) return lease;
    await this.acquire(lease.holderJob, more);
    return { ...lease, resources: [...lease.resources, ...more].sort() };
  }

  /** Moves the expiry of every resource of the lease; false when any was lost (expired and taken, or released). */
  async renew(lease: Lease, ttlMs = this.ttlMs): Promise<boolean> {
    if (lease.resources.length === 0) return true;
    const rows = await this.db
      .update(leases)
      .set({ expiresAt: sql`now() + ${`${ttlMs} milliseconds`}::interval` })
      .where(and(inArray(leases.resource, lease.resources), eq(leases.holderJob, lease.holderJob)))
      .returning({ resource: leases.resource });
    return rows.length === lease.resources.length;
  }

  /** Gives up some (default: all) resources of the lease. */
  async release(lease: Lease, resources: readonly string[] = lease.resources): Promise<void> {
    if (resources.length === 0) return;
    await this.db.delete(leases).where(and(inArray(leases.resource, [...resources]), eq(leases.holderJob, lease.holderJob)));
  }

  /** Whether `holderJob` holds a live (unexpired, by the database clock) lease of `resource`. */
  async isHeld(holderJob: string, resource: string): Promise<boolean> {
    const rows = await this.db
      .select({ resource: leases.resource })
      .from(leases)
      .where(and(eq(leases.resource, resource), eq(leases.holderJob, holderJob), gt(leases.expiresAt, sql`now()`)))
      .limit(1);
    return rows.length > 0;
  }

  /** Current holders of resources (expired ones included). */
  async holders(resources?: readonly string[]): Promise<LeaseHolder[]> {
    const rows = await this.db
      .select()
      .from(leases)
      .where(resources ? inArray(leases.resource, [...resources]) : undefined)
      .orderBy(leases.resource);
    return rows.map((r) => ({ resource: r.resource, holderJob: r.holderJob, holderWorker: r.holderWorker, expiresAt: r.expiresAt }));
  }

  /**
   * Renews the lease every third of its TTL until stopped; when a renewal
   * finds the lease lost, calls `onLost` once and stops.
   */
  keepAlive(lease: () => Lease, onLost: (err: TapefleetError) => void, ttlMs = this.ttlMs): () => void {
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      let ok: boolean;
      try {
        ok = await this.renew(lease(), ttlMs);
      } catch {
        // The database is away: the lease may still be valid; try again at the next tick.
        ok = true;
      }
      if (!ok && !stopped) {
        stopped = true;
        clearInterval(timer);
        onLost(new TapefleetError("CONFLICT", `lease of ${lease().resources.join(", ")} was lost (expired)`, { reason: LEASE_LOST }));
      }
    };
    const timer = setInterval(() => void tick(), Math.max(50, Math.floor(ttlMs / 3)));
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}
