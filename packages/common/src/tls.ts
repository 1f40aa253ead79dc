import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ConfigError } from "./errors.ts";

/**
 * TLS material named by configuration: file paths of a CA bundle, a
 * certificate chain and its private key (PEM). Each field carries the name of
 * the setting it came from, so a missing file is reported by that name.
 */
export interface TlsFiles {
  ca?: { file: string; setting: string } | undefined;
  cert?: { file: string; setting: string } | undefined;
  key?: { file: string; setting: string } | undefined;
}

/** The PEM contents of {@link TlsFiles}, read at boot. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads the files of a TLS setting group once at boot. A certificate without
 * its key (or the reverse) is a contradiction; an unreadable or non-PEM file
 * is named by its setting. Throws {@link ConfigError} only.
 */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const errors: { field: string; message: string }[] = [];
  if ((files.cert === undefined) !== (files.key === undefined)) {
    const given = files.cert ?? files.key!;
    const missing = files.cert === undefined ? "certificate" : "private key";
    errors.push({ field: given.setting, message: `is set without its ${missing}: set both the certificate and the key` });
  }
  const out: TlsMaterial = {};
  for (const part of ["ca", "cert", "key"] as const) {
    const f = files[part];
    if (f === undefined) continue;
    let data: Buffer;
    try {
      data = readFileSync(f.file);
    } catch (err) {
      errors.push({ field: f.setting, message: `cannot read ${f.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    if (!data.toString("latin1").includes("-----BEGIN ")) {
      errors.push({ field: f.setting, message: `${f.file} is not a PEM file (no '-----BEGIN' line)` });
      continue;
    }
    out[part] = data;
  }
  if (errors.length > 0) throw new ConfigError(errors);
  return out;
}

/**
 * True for hosts only this machine can reach: `localhost`, 127.0.0.0/8,
 * `::1` (brackets allowed) and IPv4-mapped loopback. Any other name is taken
 * as reachable from the network (it may resolve anywhere).
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}
