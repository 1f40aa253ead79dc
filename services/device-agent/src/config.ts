import { hostname } from "node:os";
import { baseConfigShape, env, isLoopbackHost, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** gRPC listen address when `TAPEFLEET_GRPC_ADDRESS` is not set: plaintext, loopback only. */
export const DEFAULT_GRPC_ADDRESS = "127.0.0.1:8008";
/** TEST UNIT READY poll interval while waiting for a drive (PBS: 1 s). */
export const DEFAULT_READY_POLL_MS = 1000;

const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Environment values are strings: a JSON list given through `TAPEFLEET_DEVICES` is parsed first. */
function jsonIfString(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** One configured device source: a real device by persistent path, or a virtual library folder. */
export const deviceConfigSchema = z.union([
  z
    .object({
      /** Persistent path of a real drive or changer (`/dev/tape/by-id/scsi-<serial>-sg`, `/dev/tape/by-id/scsi-<serial>`), resolved at every open. */
      path: z.string().regex(/^\//, "must be an absolute path (use /dev/tape/by-id/...)"),
    })
    .strict(),
  z
    .object({
      /** Folder of a virtual tape library served by this agent (created on first start). */
      vtl: z.string().min(1),
      /** JSON spec file the library is created from when the folder is empty (default: the default site). */
      spec: z.string().min(1).optional(),
    })
    .strict(),
]);

export type DeviceConfig = z.infer<typeof deviceConfigSchema>;

/** Configuration of the device agent, parsed once at boot. */
export const deviceAgentConfigSchema = z
  .object({
    ...baseConfigShape,
    /** `host:port` the gRPC server binds (port 0: any free port). */
    grpcAddress: z
      .string()
      .regex(HOST_PORT_RE, "must be host:port (IPv6 in brackets)")
      .refine((a) => Number(HOST_PORT_RE.exec(a)?.[2]) <= 65535, "port must be at most 65535")
      .default(DEFAULT_GRPC_ADDRESS),
    /** Stable identifier of this host in the fleet (default: the host name). */
    hostId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' and '-', at most 63, not starting with a symbol")
      .default(() => hostname().split(".")[0] || "localhost"),
    /** Folder of the virtual tape library served on this host (its devices are listed). */
    vtlDir: z.string().min(1).optional(),
    /** JSON spec file `vtlDir` is created from when empty (default: the default site). */
    vtlSpec: z.string().min(1).optional(),
    /** Further devices: real devices by path and/or virtual library folders (JSON list in `TAPEFLEET_DEVICES`). */
    devices: z.preprocess(jsonIfString, z.array(deviceConfigSchema)).default([]),
    /** Shared library providing the system calls of SG_IO (default libc.so.6). */
    sgLibrary: z.string().min(1).optional(),
    /** Concurrent chunk file readers of a write session that names none (default: the cores, 2 to 4). */
    chunkReaders: z.coerce.number().int().min(1).max(64).optional(),
    /** TEST UNIT READY poll interval while waiting for a drive, in ms. */
    readyPollMs: z.coerce.number().int().min(10).max(60_000).default(DEFAULT_READY_POLL_MS),
    /** CA bundle (PEM) client certificates are checked against: when set, every gRPC client must present one (mutual TLS). */
    grpcTlsCa: z.string().min(1).optional(),
    /** Server certificate chain (PEM) of the gRPC listener; with `grpcTlsKey` it turns TLS on. */
    grpcTlsCert: z.string().min(1).optional(),
    /** Private key (PEM) of `grpcTlsCert`. */
    grpcTlsKey: z.string().min(1).optional(),
    /** Allow plaintext gRPC on an address other hosts can reach (default: refused; plaintext is for loopback only). */
    grpcInsecure: env.bool(false),
  })
  .superRefine((c, ctx) => {
    if ((c.grpcTlsCert === undefined) !== (c.grpcTlsKey === undefined)) {
      const path = c.grpcTlsCert === undefined ? "grpcTlsKey" : "grpcTlsCert";
      ctx.addIssue({ code: "custom", path: [path], message: "set both TAPEFLEET_GRPC_TLS_CERT and TAPEFLEET_GRPC_TLS_KEY" });
    }
    if (c.grpcTlsCa !== undefined && c.grpcTlsCert === undefined) {
      ctx.addIssue({ code: "custom", path: ["grpcTlsCa"], message: "checks client certificates over TLS: needs the server's TAPEFLEET_GRPC_TLS_CERT and TAPEFLEET_GRPC_TLS_KEY" });
    }
    if (c.grpcInsecure && c.grpcTlsCert !== undefined) {
      ctx.addIssue({ code: "custom", path: ["grpcInsecure"], message: "contradicts TAPEFLEET_GRPC_TLS_CERT: set one of them" });
    }
    const seen = new Set<string>();
    const all = [...(c.vtlDir !== undefined ? [c.vtlDir] : []), ...c.devices.map((d) => ("path" in d ? d.path : d.vtl))];
    for (const [i, key] of all.entries()) {
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["devices", i], message: `${key} is configured twice` });
      seen.add(key);
    }
    if (c.vtlSpec !== undefined && c.vtlDir === undefined) ctx.addIssue({ code: "custom", path: ["vtlSpec"], message: "needs vtlDir (TAPEFLEET_VTL_DIR)" });
  });

export type DeviceAgentConfig = z.infer<typeof deviceAgentConfigSchema>;

/** Reads the device agent configuration from `TAPEFLEET_*` variables (and `TAPEFLEET_CONFIG_FILE`). */
export function loadDeviceAgentConfig(options?: LoadConfigOptions): DeviceAgentConfig {
  return loadConfig(deviceAgentConfigSchema, options);
}

/** Splits `host:port` (IPv6 in brackets) into its parts. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = HOST_PORT_RE.exec(address);
  if (!m) throw new Error(`not host:port: ${address}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * Why the gRPC listener of `config` must not start, or undefined: plaintext
 * gRPC is for loopback addresses; any other address needs TLS
 * (`TAPEFLEET_GRPC_TLS_CERT`/`_KEY`, with `_CA` for client certificates) or
 * an explicit `TAPEFLEET_GRPC_INSECURE=1` (a network fence in front of it).
 */
export function grpcExposureProblem(config: Pick<DeviceAgentConfig, "grpcAddress" | "grpcTlsCert" | "grpcInsecure">): string | undefined {
  if (config.grpcTlsCert !== undefined || config.grpcInsecure) return undefined;
  const { host } = splitHostPort(config.grpcAddress);
  if (isLoopbackHost(host)) return undefined;
  return `refusing plaintext gRPC on ${config.grpcAddress}, which other hosts can reach: set TAPEFLEET_GRPC_TLS_CERT and TAPEFLEET_GRPC_TLS_KEY (and TAPEFLEET_GRPC_TLS_CA to require client certificates), or TAPEFLEET_GRPC_INSECURE=1`;
}
