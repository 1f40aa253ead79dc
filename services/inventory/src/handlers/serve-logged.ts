import { TapefleetError, type Bus, type Logger } from "@tapefleet/common";
import { INVENTORY_QUEUE } from "@tapefleet/api-types";

/** Serve one subject in the inventory queue group with one log line per request (id, outcome, duration). */
export function serveLogged(
  bus: Bus,
  logger: Logger,
  subject: string,
  slowRequestMs: number,
  handler: (payload: unknown, requestId: string) => Promise<unknown>,
): void {
  bus.serve(
    subject,
    async (payload, meta) => {
      const started = performance.now();
      let outcome = "ok";
      try {
        return await handler(payload, meta.requestId);
      } catch (err) {
        outcome = err instanceof TapefleetError ? err.code : "INTERNAL";
        throw err;
      } finally {
        const durationMs = Math.round(performance.now() - started);
        const line = { subject, requestId: meta.requestId, outcome, durationMs };
        if (durationMs >= slowRequestMs) logger.warn(line, "slow request");
        else logger.info(line, "request");
      }
    },
    { queue: INVENTORY_QUEUE },
  );
}
