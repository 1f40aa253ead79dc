import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, type FieldError } from "./errors.ts";

/**
 * One validated configuration per service: environment variables (prefix
 * `TAPEFLEET_`) override an optional JSON file named by `TAPEFLEET_CONFIG_FILE`.
 * Parsed once at boot; contradictions are rejected there, never deep down.
 */

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; defaults to env TAPEFLEET_CONFIG_FILE. */
  file?: string;
}

/** Env var name for a config key: `natsUrl` → `TAPEFLEET_NATS_URL`. */
export function envNameOf(key: string): string {
  return "TAPEFLEET_" + key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function zodIssuesToFields(issues: readonly z.core.$ZodIssue[], keyToName: (k: string) => string): FieldError[] {
  return issues.map((i) => {
    const key = i.path.map(String).join(".");
    return { field: key === "" ? "(config)" : `${key} (${keyToName(String(i.path[0] ?? ""))})`, message: i.message };
  });
}

export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions = {}): z.infer<S> {
  const env = options.env ?? process.env;
  const file = options.file ?? env["TAPEFLEET_CONFIG_FILE"];
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([{ field: "TAPEFLEET_CONFIG_FILE", message: `cannot read ${file}: ${(err as Error).message}` }]);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ConfigError([{ field: "TAPEFLEET_CONFIG_FILE", message: "must hold a JSON object" }]);
    }
  }
  for (const key of Object.keys(schema.shape)) {
    const value = env[envNameOf(key)];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodIssuesToFields(parsed.error.issues, envNameOf));
  return parsed.data;
}

/** Common zod helpers for env values (which are strings). */
export const env = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  bool: (def: boolean) =>
    z
      .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no"])])
      .default(def)
      .transform((v) => v === true || v === "1" || v === "true" || v === "yes"),
  url: () => z.string().min(1),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

/** Settings every service shares. Spread into a service schema: `z.object({ ...baseConfigShape, ... })`. */
export const baseConfigShape = {
  /** Unique instance name (defaults to service name + pid). */
  instanceId: z.string().min(1).optional(),
  logLevel: env.logLevel(),
  /** Health/metrics HTTP listener. */
  httpHost: z.string().default("127.0.0.1"),
  httpPort: env.port(0),
  natsUrl: z.string().default("nats://127.0.0.1:4222"),
  natsUser: z.string().optional(),
  natsPassword: z.string().optional(),
  /** NATS authentication token (instead of user/password or a creds file). */
  natsToken: z.string().min(1).optional(),
  /** NATS credentials file (`.creds`: user JWT and nkey seed, as `nsc` writes it). */
  natsCredsFile: z.string().min(1).optional(),
  /** CA bundle (PEM) the NATS server certificate is checked against; setting it turns TLS on. */
  natsTlsCa: z.string().min(1).optional(),
  /** Client certificate (PEM) for NATS servers that verify clients; needs `natsTlsKey`. */
  natsTlsCert: z.string().min(1).optional(),
  /** Private key (PEM) of `natsTlsCert`. */
  natsTlsKey: z.string().min(1).optional(),
  /** Prefix of every NATS subject and JetStream stream name (isolates stacks and test runs). */
  natsPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, "letters, digits, '_' and '-' only, at most 32")
    .default("tf"),
};
