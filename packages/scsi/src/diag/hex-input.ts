/**
 * Hex input as sg3_utils accepts it with `--inhex` / `--file` (lib/sg_lib.c `sg_f2hex_arr`,
 * sg_decode_sense(8)): one or more ASCII hex bytes per line separated by space, tab, comma
 * or hyphen; everything from `#` to the end of the line is a comment; blank lines are
 * ignored; each number is at most 0xFF. A running offset at the start of a line is NOT
 * accepted (sg3_utils only skips it with `--ignore-first`, offered here as `ignoreFirst`).
 * With `noSpace`, each line is a run of hex digit pairs without separators (`--nospace`).
 */
import { ScsiDecodeError } from "../errors.ts";

export interface HexInputOptions {
  /** Skip the first number on each line (a running offset, as `hexdump` prints). */
  ignoreFirst?: boolean;
  /** Digits come in pairs without separators. */
  noSpace?: boolean;
}

const STRUCT = "hex input";

export function parseHexInput(text: string, options: HexInputOptions = {}): Uint8Array {
  const out: number[] = [];
  const lines = text.split("\n");
  let lineStart = 0;
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] as string;
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).replace(/\r$/, "");
    const bad = /[^0-9a-fA-F ,\t-]/.exec(line);
    if (bad) {
      throw new ScsiDecodeError(STRUCT, lineStart + bad.index, `line ${n + 1}, column ${bad.index + 1}: ${JSON.stringify(bad[0])} is not a hex digit or separator`);
    }
    if (options.noSpace) {
      const digits = line.replace(/[ ,\t-]/g, "");
      if (digits.length % 2 !== 0) throw new ScsiDecodeError(STRUCT, lineStart, `line ${n + 1}: odd number of hex digits`);
      for (let i = 0; i < digits.length; i += 2) out.push(Number.parseInt(digits.slice(i, i + 2), 16));
    } else {
      const tokens = line.split(/[ ,\t-]+/).filter((t) => t !== "");
      tokens.forEach((t, i) => {
        if (options.ignoreFirst && i === 0) return;
        const v = Number.parseInt(t, 16);
        if (v > 0xff) throw new ScsiDecodeError(STRUCT, lineStart + line.indexOf(t), `line ${n + 1}: hex number ${t} is larger than 0xff`);
        out.push(v);
      });
    }
    lineStart += raw.length + 1;
  }
  return Uint8Array.from(out);
}
