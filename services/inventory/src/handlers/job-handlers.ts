import {
  INVENTORY_JOB_SUBJECTS,
  JOB_REASONS,
  mediaDestroyRequest,
  mediaListTableRequest,
  mediaMoveRequest,
  mediaSetGetRequest,
  mediaSetListRequest,
  mediaUuidRequest,
  parseInput,
  poolAllocateRequest,
  setBytesUsedRequest,
  setMediaStatusRequest,
} from "@tapefleet/api-types";
import { TapefleetError, type Bus, type Logger } from "@tapefleet/common";
import type { EventRelay } from "../core/event-relay.ts";
import type { MediaStore } from "../core/media-store.ts";
import type { PoolAllocator } from "../core/pool-allocator.ts";
import { serveLogged } from "./serve-logged.ts";

/** Where "now" comes from: the system clock, or the request's `now` when the service allows it. */
export interface JobClock {
  allowClientClock: boolean;
  /** System time in epoch seconds. */
  system(): number;
}

export const systemJobClock = (allowClientClock: boolean): JobClock => ({ allowClientClock, system: () => Math.floor(Date.now() / 1000) });

/** The time a request runs at (epoch seconds). */
export function requestNow(clock: JobClock, req: { now?: number | undefined }): number {
  if (req.now === undefined) return clock.system();
  if (!clock.allowClientClock) {
    throw new TapefleetError("VALIDATION", "now: a client clock is not accepted (the service runs without TAPEFLEET_ALLOW_CLIENT_CLOCK=1)", {
      reason: JOB_REASONS.CLIENT_CLOCK_DISABLED,
      fields: [{ field: "now", message: "not accepted by this service" }],
    });
  }
  return req.now;
}

/**
 * The jobs contract of the inventory (`inventory.pool.allocate`,
 * `inventory.media.<mark-full|set-bytes-used|set-status|destroy|move|table>`,
 * `inventory.media-set.<get|list>`). Writes flush the outbox before replying.
 */
export function registerJobHandlers(
  bus: Bus,
  deps: { allocator: PoolAllocator; media: MediaStore; relay: EventRelay; clock: JobClock },
  logger: Logger,
  opts: { slowRequestMs: number },
): void {
  const { allocator, media, relay, clock } = deps;
  const serve = (subject: string, h: (payload: unknown, requestId: string) => Promise<unknown>) => serveLogged(bus, logger, subject, opts.slowRequestMs, h);
  const flushed = async <T>(p: Promise<T>): Promise<T> => {
    const out = await p;
    await relay.flush();
    return out;
  };
  const S = INVENTORY_JOB_SUBJECTS;
  serve(S.poolAllocate, async (p, id) => {
    const req = parseInput(poolAllocateRequest, p ?? {});
    return flushed(allocator.allocate(req, requestNow(clock, req), { correlationId: id }));
  });
  serve(S.mediaMarkFull, async (p, id) => {
    const req = parseInput(mediaUuidRequest, p ?? {});
    requestNow(clock, req);
    return flushed(media.update({ uuid: req.uuid, status: "full" }, { correlationId: id }));
  });
  serve(S.mediaSetBytesUsed, async (p, id) => {
    const req = parseInput(setBytesUsedRequest, p ?? {});
    requestNow(clock, req);
    return flushed(media.update({ uuid: req.uuid, "bytes-used": req.bytesUsed }, { correlationId: id }));
  });
  serve(S.mediaSetStatus, async (p, id) => {
    const req = parseInput(setMediaStatusRequest, p ?? {});
    requestNow(clock, req);
    return flushed(media.update({ uuid: req.uuid, status: req.status ?? "unknown" }, { correlationId: id }));
  });
  serve(S.mediaDestroy, async (p, id) => {
    const req = parseInput(mediaDestroyRequest, p ?? {});
    requestNow(clock, req);
    return flushed(allocator.destroy(req, { correlationId: id }));
  });
  serve(S.mediaMove, async (p, id) => {
    const req = parseInput(mediaMoveRequest, p ?? {});
    requestNow(clock, req);
    return flushed(allocator.move(req, req.vault, { correlationId: id }));
  });
  serve(S.mediaSetGet, async (p) => {
    const req = parseInput(mediaSetGetRequest, p ?? {});
    requestNow(clock, req);
    return allocator.getSet(req.uuid);
  });
  serve(S.mediaSetList, async (p) => {
    const req = parseInput(mediaSetListRequest, p ?? {});
    requestNow(clock, req);
    return allocator.listSets(req.pool);
  });
  serve(S.mediaTable, async (p) => {
    const req = parseInput(mediaListTableRequest, p ?? {});
    return allocator.mediaTable(requestNow(clock, req), { pool: req.pool });
  });
}
