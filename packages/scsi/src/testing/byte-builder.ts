/**
 * Field-by-field byte assembly for tests: responses are written the way the standard
 * tables list them, so a test reads like the table it checks. Not exported from the package.
 */
export class ByteBuilder {
  private readonly out: number[] = [];

  get length(): number {
    return this.out.length;
  }

  u8(...values: number[]): this {
    for (const v of values) this.out.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v >>> 8, v);
  }

  u24(v: number): this {
    return this.u8(v >>> 16, v >>> 8, v);
  }

  u32(v: number): this {
    return this.u8(Math.floor(v / 0x1000000), v >>> 16, v >>> 8, v);
  }

  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    for (let i = 0; i < 8; i++) {
      bytes.unshift(Number(b & 0xffn));
      b >>= 8n;
    }
    return this.u8(...bytes);
  }

  /** ASCII text in a fixed-width field, padded with `pad` (space by default). */
  ascii(text: string, width: number, pad = 0x20): this {
    for (let i = 0; i < width; i++) this.out.push(i < text.length ? text.charCodeAt(i) & 0xff : pad);
    return this;
  }

  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.out.push(0);
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push((b[i] as number) & 0xff);
    return this;
  }

  /** Overwrites a big-endian length field at `offset` (`size` bytes) with `value`. */
  patch(offset: number, size: number, value: number): this {
    for (let i = size - 1; i >= 0; i--) {
      this.out[offset + i] = value & 0xff;
      value = Math.floor(value / 256);
    }
    return this;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export const bb = (): ByteBuilder => new ByteBuilder();

/** Hex of bytes with spaces, for readable assertions on CDBs. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A fixed-format sense buffer (18 bytes) with the given fields. */
export function fixedSense(f: {
  key: number;
  asc?: number;
  ascq?: number;
  filemark?: boolean;
  eom?: boolean;
  ili?: boolean;
  information?: number;
  deferred?: boolean;
  sks?: [number, number, number];
}): Uint8Array {
  return bb()
    .u8((f.information !== undefined ? 0x80 : 0) | (f.deferred ? 0x71 : 0x70))
    .u8(0)
    .u8((f.filemark ? 0x80 : 0) | (f.eom ? 0x40 : 0) | (f.ili ? 0x20 : 0) | (f.key & 0x0f))
    .u32((f.information ?? 0) >>> 0)
    .u8(10)
    .u32(0)
    .u8(f.asc ?? 0, f.ascq ?? 0, 0)
    .u8(...(f.sks ?? [0, 0, 0]))
    .build();
}
