import { DEVICE_OP_NAMES, SCHEDULER_QUEUE, schedulerDeviceSubject, taskSubject, type DeviceOp } from "@tapefleet/api-types";
import { TapefleetError, ValidationError, type Bus, type Logger } from "@tapefleet/common";
import type { DeviceOps } from "../core/device-ops.ts";
import type { TaskRegistry } from "../core/task-registry.ts";

/** Broadcast subject every scheduler instance listens on to stop a task it runs. */
export const TASK_ABORT_SUBJECT = "scheduler.task.abort";

const obj = (p: unknown): Record<string, unknown> => (typeof p === "object" && p !== null && !Array.isArray(p) ? { ...(p as Record<string, unknown>) } : {});

/** Split the caller (`user`, set by the gateway) from the operation's parameters. */
export function splitUser(payload: unknown): { user: string; params: Record<string, unknown> } {
  const params = obj(payload);
  const user = params["user"];
  delete params["user"];
  if (user !== undefined && (typeof user !== "string" || !/^[^\s:]{1,64}$/.test(user))) throw ValidationError.field("user", "must be a token id without spaces or ':'");
  return { user: (user as string | undefined) ?? "root", params };
}

function intOf(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw ValidationError.field(field, "must be a non-negative integer");
  return v;
}

function serveLogged(bus: Bus, logger: Logger, subject: string, handler: (payload: unknown, requestId: string) => Promise<unknown>): void {
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
        logger.info({ subject, requestId: meta.requestId, outcome, durationMs: Math.round(performance.now() - started) }, "request");
      }
    },
    { queue: SCHEDULER_QUEUE },
  );
}

/**
 * `task stop`, taken by any replica: a task running in this process is aborted
 * here; a queued one (no process runs it yet) ends in the database; otherwise
 * every replica hears the abort on `TASK_ABORT_SUBJECT` and the one that runs
 * the task stops it. Returns how the stop went.
 */
export async function stopTask(bus: Bus, tasks: TaskRegistry, logger: Logger, upidField: unknown): Promise<"local" | "queue" | "broadcast"> {
  const upid = await tasks.requireRunning(upidField);
  let via: "local" | "queue" | "broadcast";
  if (tasks.abortLocal(upid)) via = "local";
  else if (await tasks.stopQueued(upid)) via = "queue";
  else {
    bus.publish(TASK_ABORT_SUBJECT, { upid });
    via = "broadcast";
  }
  logger.info({ upid, via }, "task stop");
  return via;
}

/**
 * `scheduler.device.<op>` (payload: the operation's parameters plus `user`)
 * and `scheduler.task.<list|status|log|stop>`, in queue group `scheduler`.
 */
export function registerDeviceHandlers(bus: Bus, deps: { ops: (requestId?: string) => DeviceOps; tasks: TaskRegistry }, logger: Logger): void {
  for (const op of DEVICE_OP_NAMES) {
    serveLogged(bus, logger, schedulerDeviceSubject(op), async (payload, requestId) => {
      const { user, params } = splitUser(payload);
      return deps.ops(requestId).run(op as DeviceOp, params, user);
    });
  }
  serveLogged(bus, logger, taskSubject("list"), async (p) => {
    const q = obj(p);
    const limit = intOf(q["limit"], "limit");
    const start = intOf(q["start"], "start");
    return deps.tasks.list({ running: q["running"] === true, ...(limit !== undefined ? { limit } : {}), ...(start !== undefined ? { start } : {}) });
  });
  serveLogged(bus, logger, taskSubject("status"), async (p) => deps.tasks.status(obj(p)["upid"]));
  serveLogged(bus, logger, taskSubject("log"), async (p) => {
    const q = obj(p);
    return deps.tasks.log(q["upid"], intOf(q["start"], "start") ?? 0, intOf(q["limit"], "limit") ?? 500);
  });
  serveLogged(bus, logger, taskSubject("stop"), async (p) => {
    await stopTask(bus, deps.tasks, logger, obj(p)["upid"]);
    return null;
  });
  bus.subscribe(TASK_ABORT_SUBJECT, (data) => {
    const upid = obj(data)["upid"];
    if (typeof upid === "string" && deps.tasks.abortLocal(upid)) logger.info({ upid }, "task stop received from another replica");
  });
}
