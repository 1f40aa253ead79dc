import { hostname } from "node:os";
import { baseConfigShape, loadConfig, type LoadConfigOptions } from "@tapefleet/common";
import { z } from "zod";

/** gRPC listen address when `TAPEFLEET_GRPC_ADDRESS` is not set: plaintext, loopback only. */
export const DEFAULT_GRPC_ADDRESS = "127.0.0.1:8008";

const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Configuration of the device agent, parsed once at boot. */
export const deviceAgentConfigSchema = z.object({
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
