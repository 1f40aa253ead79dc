import { parseInput, SCHEDULER_LEASE_CHECK_SUBJECT, SCHEDULER_QUEUE } from "@tapefleet/api-types";
import { TapefleetError, type Bus, type Logger } from "@tapefleet/common";
import { z } from "zod";
import { driveResource, type LeaseManager } from "../core/lease-manager.ts";

/** `scheduler.lease.check` request: does `job` (a UPID) hold the lease of drive `drive`. */
export const leaseCheckRequest = z.object({
  job: z.string().min(1).max(256),
  drive: z.string().min(1).max(256),
});
export type LeaseCheckRequest = z.output<typeof leaseCheckRequest>;
export interface LeaseCheckReply {
  held: boolean;
}

/** Answers a lease check: held only while the lease table has a live lease of the drive for the job. */
export async function checkLease(leases: Pick<LeaseManager, "isHeld">, payload: unknown): Promise<LeaseCheckReply> {
  const req = parseInput(leaseCheckRequest, payload);
  return { held: await leases.isHeld(req.job, driveResource(req.drive)) };
}

/**
 * `scheduler.lease.check {job, drive}` → `{held}` (queue group `scheduler`),
 * asked by the key vault before it releases a media set's drive key.
 */
export function registerLeaseHandlers(bus: Bus, leases: Pick<LeaseManager, "isHeld">, logger: Logger): void {
  bus.serve(
    SCHEDULER_LEASE_CHECK_SUBJECT,
    async (payload, meta) => {
      const started = performance.now();
      let outcome = "ok";
      try {
        return await checkLease(leases, payload);
      } catch (err) {
        outcome = err instanceof TapefleetError ? err.code : "INTERNAL";
        throw err;
      } finally {
        logger.info({ subject: SCHEDULER_LEASE_CHECK_SUBJECT, requestId: meta.requestId, outcome, durationMs: Math.round(performance.now() - started) }, "request");
      }
    },
    { queue: SCHEDULER_QUEUE },
  );
}
