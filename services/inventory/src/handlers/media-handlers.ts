import {
  deviceLocationSubject,
  listMediaRequest,
  mediaSelector,
  mediaSubject,
  parseInput,
  registerMediaRequest,
  setOnlineRequest,
  updateMediaRequest,
  type DeviceKindText,
} from "@tapefleet/api-types";
import { ValidationError, type Bus, type Logger } from "@tapefleet/common";
import type { DeviceTracker } from "../core/device-locations.ts";
import type { EventRelay } from "../core/event-relay.ts";
import type { MediaStore } from "../core/media-store.ts";
import { serveLogged } from "./serve-logged.ts";

function deviceFilter(payload: unknown): { kind?: DeviceKindText; online?: boolean } {
  const p = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
  const out: { kind?: DeviceKindText; online?: boolean } = {};
  if (p["kind"] !== undefined) {
    if (p["kind"] !== "drive" && p["kind"] !== "changer") throw ValidationError.field("kind", "must be 'drive' or 'changer'");
    out.kind = p["kind"];
  }
  if (p["online"] !== undefined) {
    if (typeof p["online"] !== "boolean") throw ValidationError.field("online", "must be a boolean");
    out.online = p["online"];
  }
  return out;
}

/**
 * `inventory.media.<op>` (register, get, list, update, remove, set-online)
 * and `inventory.device.<list|scan>`. Writes flush the outbox before replying.
 */
export function registerMediaHandlers(
  bus: Bus,
  deps: { media: MediaStore; devices: DeviceTracker; relay: EventRelay },
  logger: Logger,
  opts: { slowRequestMs: number },
): void {
  const { media, devices, relay } = deps;
  const serve = (subject: string, h: (payload: unknown, requestId: string) => Promise<unknown>) => serveLogged(bus, logger, subject, opts.slowRequestMs, h);
  const flushed = async <T>(p: Promise<T>): Promise<T> => {
    const out = await p;
    await relay.flush();
    return out;
  };
  serve(mediaSubject("register"), (p, id) => flushed(media.register(parseInput(registerMediaRequest, p ?? {}), { correlationId: id })));
  serve(mediaSubject("get"), async (p) => media.get(parseInput(mediaSelector, p ?? {})));
  serve(mediaSubject("list"), async (p) => media.list(parseInput(listMediaRequest, p ?? {})));
  serve(mediaSubject("update"), (p, id) => flushed(media.update(parseInput(updateMediaRequest, p ?? {}), { correlationId: id })));
  serve(mediaSubject("remove"), (p, id) => flushed(media.remove(parseInput(mediaSelector, p ?? {}), { correlationId: id })));
  serve(mediaSubject("set-online"), (p, id) => {
    const req = parseInput(setOnlineRequest, p ?? {});
    return flushed(media.setOnline(req.changer, req["label-texts"], { correlationId: id }));
  });
  serve(deviceLocationSubject("list"), async (p) => devices.list(deviceFilter(p)));
  serve(deviceLocationSubject("scan"), async (p) => {
    const filter = deviceFilter(p);
    await devices.scan();
    return devices.list(filter.kind ? { kind: filter.kind } : {});
  });
}
