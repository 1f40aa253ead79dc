import { status as grpcStatus } from "@grpc/grpc-js";
import { Health } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { GrpcError } from "./grpc-error.ts";
import type { HandlerContext, ServiceImpl } from "./server.ts";

/** A serving status given by name or by its enum value. */
export type ServingStatusInput = ServingStatus | "SERVING" | "NOT_SERVING";

/** The service name that stands for the whole server. */
export const SERVER_HEALTH = "";

/** The grpc.health.v1.Health service with its status table. */
export interface HealthService {
  /** The handlers, for `addService(server, Health, health.implementation)`. */
  readonly implementation: ServiceImpl<typeof Health>;
  /** Sets the status of a service (`""` = the whole server) and notifies its watchers. */
  setStatus(service: string, status: ServingStatusInput): void;
  /** The status of a service, or undefined when it was never set (or was cleared). */
  getStatus(service: string): ServingStatus | undefined;
  /** Forgets a service: Check answers NOT_FOUND, watchers get SERVICE_UNKNOWN. */
  clearStatus(service: string): void;
  /**
   * Marks every service NOT_SERVING and ignores later `setStatus` calls, so
   * load balancers drain the server before it stops (the gRPC shutdown rule).
   */
  enterShutdown(): void;
}

function toStatus(status: ServingStatusInput): ServingStatus {
  if (status === "SERVING") return ServingStatus.SERVING;
  if (status === "NOT_SERVING") return ServingStatus.NOT_SERVING;
  return status;
}

/** Delivers status changes of one service to one watcher; `next()` resolves undefined once `signal` aborts. */
class StatusQueue {
  private readonly pending: ServingStatus[] = [];
  private wake: (() => void) | undefined;

  push(status: ServingStatus): void {
    this.pending.push(status);
    this.wake?.();
  }

  async next(signal: AbortSignal): Promise<ServingStatus | undefined> {
    while (this.pending.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return this.pending.shift();
  }
}

/**
 * Creates an implementation of the standard gRPC health service
 * (grpc.health.v1.Health: Check, List, Watch). The whole server (`""`)
 * starts SERVING unless `initial` says otherwise.
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/health-checking.md
 */
export function createHealthService(initial: Readonly<Record<string, ServingStatusInput>> = { [SERVER_HEALTH]: "SERVING" }): HealthService {
  const statuses = new Map<string, ServingStatus>();
  for (const [service, status] of Object.entries(initial)) statuses.set(service, toStatus(status));
  const watchers = new Map<string, Set<StatusQueue>>();
  let shuttingDown = false;

  const notify = (service: string, status: ServingStatus): void => {
    for (const queue of watchers.get(service) ?? []) queue.push(status);
  };

  const implementation: ServiceImpl<typeof Health> = {
    async check(request) {
      const status = statuses.get(request.service);
      if (status === undefined) throw new GrpcError(grpcStatus.NOT_FOUND, `unknown service "${request.service}"`);
      return { status };
    },
    async list() {
      return { statuses: Object.fromEntries([...statuses].map(([service, status]) => [service, { status }])) };
    },
    async *watch(request, context: HandlerContext) {
      const queue = new StatusQueue();
      let set = watchers.get(request.service);
      if (set === undefined) watchers.set(request.service, (set = new Set()));
      set.add(queue);
      try {
        let last = statuses.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        yield { status: last };
        for (;;) {
          const next = await queue.next(context.signal);
          if (next === undefined) return;
          if (next === last) continue;
          last = next;
          yield { status: next };
        }
      } finally {
        set.delete(queue);
        if (set.size === 0) watchers.delete(request.service);
      }
    },
  };

  return {
    implementation,
    setStatus(service, status) {
      if (shuttingDown) return;
      const value = toStatus(status);
      statuses.set(service, value);
      notify(service, value);
    },
    getStatus: (service) => statuses.get(service),
    clearStatus(service) {
      if (!statuses.delete(service)) return;
      notify(service, ServingStatus.SERVICE_UNKNOWN);
    },
    enterShutdown() {
      shuttingDown = true;
      for (const service of statuses.keys()) {
        statuses.set(service, ServingStatus.NOT_SERVING);
        notify(service, ServingStatus.NOT_SERVING);
      }
    },
  };
}
