import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * Paths redacted in every log line: secrets never reach a log, whatever a
 * caller passes in. Keys are matched at any of the first levels.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "key",
  "*.key",
  "rawKey",
  "*.rawKey",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "headers.authorization",
  "natsPassword",
  "*.natsPassword",
  "natsToken",
  "*.natsToken",
  "databaseUrl",
  "*.databaseUrl",
  "redisUrl",
  "*.redisUrl",
];

export interface CreateLoggerOptions {
  service: string;
  instanceId?: string;
  level?: string;
  /** Destination stream (defaults to stdout). */
  destination?: NodeJS.WritableStream;
}

/** The shared pino logger: one per process; components take child loggers. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? "info",
    base: { service: opts.service, instance: opts.instanceId ?? `${opts.service}-${process.pid}` },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** Strip credentials from a connection URL before it is logged or shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
