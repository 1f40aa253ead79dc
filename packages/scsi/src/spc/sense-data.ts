/**
 * Sense data (fixed 0x70/0x71 and descriptor 0x72/0x73 formats), REQUEST SENSE and
 * TEST UNIT READY, and the classification of sense for tape commands.
 *
 * @see SPC-4 4.5.2 (descriptor format), 4.5.3 (fixed format), 6.29 (REQUEST SENSE),
 *      6.33 (TEST UNIT READY), SSC-4 4.2.x (filemark, EOM, ILI, EOD); PBS reference §7.4
 */
import { ByteReader, checkRange, putI64, putU32 } from "../bytes.ts";
import { Opcode } from "../constants/opcodes.ts";
import { Asc, SenseKey, ascAscqDescription, isAsc, senseKeyName } from "../constants/sense.ts";
import { ScsiDecodeError, ScsiError, type ScsiSenseError, senseError } from "../errors.ts";

export const SenseResponseCode = {
  FIXED_CURRENT: 0x70,
  FIXED_DEFERRED: 0x71,
  DESCRIPTOR_CURRENT: 0x72,
  DESCRIPTOR_DEFERRED: 0x73,
} as const;

/** Sense-key specific field (SPC-4 4.5.2.4), present only when SKSV is set. */
export type SenseKeySpecific =
  | { kind: "field-pointer"; commandData: boolean; bitPointer?: number; fieldPointer: number }
  | { kind: "progress"; progress: number }
  | { kind: "retry-count"; count: number }
  | { kind: "raw"; bytes: [number, number, number] };

export interface SenseDescriptor {
  type: number;
  /** The descriptor bytes after the 2-byte header. */
  data: Uint8Array;
}

export interface DecodedSense {
  /** 0x70, 0x71, 0x72 or 0x73. */
  responseCode: number;
  format: "fixed" | "descriptor";
  /** Response code 0x71/0x73: the error belongs to an earlier command. */
  deferred: boolean;
  senseKey: number;
  senseKeyName: string;
  asc: number;
  ascq: number;
  description: string;
  filemark: boolean;
  eom: boolean;
  ili: boolean;
  /** INFORMATION field when the VALID bit is set (signed: a residue for tape commands). */
  information?: number;
  /** COMMAND-SPECIFIC INFORMATION, when non-zero. */
  commandSpecific?: number;
  /** Field replaceable unit code, when non-zero. */
  fru?: number;
  senseKeySpecific?: SenseKeySpecific;
  /** Descriptor format only: every descriptor as sent. */
  descriptors?: SenseDescriptor[];
}

const STRUCT = "sense data";

function decodeSks(key: number, b0: number, b1: number, b2: number): SenseKeySpecific | undefined {
  if ((b0 & 0x80) === 0) return undefined;
  const v = (b1 << 8) | b2;
  switch (key) {
    case SenseKey.ILLEGAL_REQUEST: {
      const commandData = (b0 & 0x40) !== 0;
      return (b0 & 0x08) !== 0
        ? { kind: "field-pointer", commandData, bitPointer: b0 & 0x07, fieldPointer: v }
        : { kind: "field-pointer", commandData, fieldPointer: v };
    }
    case SenseKey.NO_SENSE:
    case SenseKey.NOT_READY:
      return { kind: "progress", progress: v / 65536 };
    case SenseKey.RECOVERED_ERROR:
    case SenseKey.MEDIUM_ERROR:
    case SenseKey.HARDWARE_ERROR:
      return { kind: "retry-count", count: v };
    default:
      return { kind: "raw", bytes: [b0 & 0x7f, b1, b2] };
  }
}

/**
 * Decodes sense data of either format. Data beyond the ADDITIONAL SENSE LENGTH is ignored;
 * a buffer cut short by the allocation length is accepted as long as the key fields are present.
 * Throws only {@link ScsiDecodeError}.
 */
export function decodeSense(bytes: Uint8Array): DecodedSense {
  const r = new ByteReader(bytes, STRUCT);
  const b0 = r.u8(0, "RESPONSE CODE");
  const responseCode = b0 & 0x7f;
  if (responseCode === 0x70 || responseCode === 0x71) return decodeFixed(r, responseCode, (b0 & 0x80) !== 0);
  if (responseCode === 0x72 || responseCode === 0x73) return decodeDescriptor(r, responseCode);
  return r.fail(0, `RESPONSE CODE 0x${responseCode.toString(16)} is not a sense format (0x70-0x73)`);
}

function decodeFixed(r: ByteReader, responseCode: number, valid: boolean): DecodedSense {
  if (r.length < 8) r.fail(r.length, `fixed-format sense needs at least 8 bytes, got ${r.length}`);
  const b2 = r.u8(2, "SENSE KEY");
  const additional = r.u8(7, "ADDITIONAL SENSE LENGTH");
  const end = Math.min(r.length, 8 + additional);
  // ASC and ASCQ are at bytes 12 and 13: present when the additional length covers them.
  let asc = 0;
  let ascq = 0;
  if (additional >= 6) {
    if (end < 14) r.fail(end, `ADDITIONAL SENSE LENGTH ${additional} promises ASC/ASCQ at bytes 12-13 but only ${r.length} bytes are present`);
    asc = r.u8(12, "ADDITIONAL SENSE CODE");
    ascq = r.u8(13, "ADDITIONAL SENSE CODE QUALIFIER");
  }
  const senseKey = b2 & 0x0f;
  const out: DecodedSense = {
    responseCode,
    format: "fixed",
    deferred: responseCode === 0x71,
    senseKey,
    senseKeyName: senseKeyName(senseKey),
    asc,
    ascq,
    description: ascAscqDescription(asc, ascq),
    filemark: (b2 & 0x80) !== 0,
    eom: (b2 & 0x40) !== 0,
    ili: (b2 & 0x20) !== 0,
  };
  if (valid) out.information = r.i32(3, "INFORMATION");
  if (end >= 12) {
    const cs = r.u32(8, "COMMAND-SPECIFIC INFORMATION");
    if (cs !== 0) out.commandSpecific = cs;
  }
  if (end >= 15) {
    const fru = r.u8(14, "FIELD REPLACEABLE UNIT CODE");
    if (fru !== 0) out.fru = fru;
  }
  if (end >= 18) {
    const sks = decodeSks(senseKey, r.u8(15, "SKSV"), r.u8(16, "SENSE KEY SPECIFIC"), r.u8(17, "SENSE KEY SPECIFIC"));
    if (sks) out.senseKeySpecific = sks;
  }
  return out;
}

function decodeDescriptor(r: ByteReader, responseCode: number): DecodedSense {
  if (r.length < 4) r.fail(r.length, `descriptor-format sense needs at least 4 bytes, got ${r.length}`);
  const senseKey = r.u8(1, "SENSE KEY") & 0x0f;
  const asc = r.u8(2, "ADDITIONAL SENSE CODE");
  const ascq = r.u8(3, "ADDITIONAL SENSE CODE QUALIFIER");
  const out: DecodedSense = {
    responseCode,
    format: "descriptor",
    deferred: responseCode === 0x73,
    senseKey,
    senseKeyName: senseKeyName(senseKey),
    asc,
    ascq,
    description: ascAscqDescription(asc, ascq),
    filemark: false,
    eom: false,
    ili: false,
    descriptors: [],
  };
  if (r.length < 8) return out;
  const additional = r.u8(7, "ADDITIONAL SENSE LENGTH");
  const declaredEnd = 8 + additional;
  const end = Math.min(r.length, declaredEnd);
  let off = 8;
  while (off + 2 <= end) {
    const type = r.u8(off, "DESCRIPTOR TYPE");
    const len = r.u8(off + 1, "ADDITIONAL LENGTH");
    if (off + 2 + len > end) {
      // Cut by the allocation length: keep what is complete. Inside the declared length: malformed.
      if (end < declaredEnd) break;
      r.fail(off, `descriptor 0x${type.toString(16)} of ${len} bytes runs past the additional sense length`);
    }
    const data = r.slice(off + 2, len, "descriptor");
    out.descriptors?.push({ type, data });
    const d = new ByteReader(data, `${STRUCT} descriptor 0x${type.toString(16)}`, off + 2);
    switch (type) {
      case 0x00: // information (SPC-4 4.5.2.2)
        if (len >= 10 && (d.u8(0, "VALID") & 0x80) !== 0) out.information = Number(BigInt.asIntN(64, d.u64big(2, "INFORMATION")));
        break;
      case 0x01: // command-specific information
        if (len >= 10) {
          const v = Number(d.u64big(2, "COMMAND-SPECIFIC INFORMATION"));
          if (v !== 0) out.commandSpecific = v;
        }
        break;
      case 0x02: // sense key specific
        if (len >= 6) {
          const sks = decodeSks(senseKey, d.u8(2, "SKSV"), d.u8(3, "SENSE KEY SPECIFIC"), d.u8(4, "SENSE KEY SPECIFIC"));
          if (sks) out.senseKeySpecific = sks;
        }
        break;
      case 0x03: // field replaceable unit
        if (len >= 2) {
          const fru = d.u8(1, "FIELD REPLACEABLE UNIT CODE");
          if (fru !== 0) out.fru = fru;
        }
        break;
      case 0x04: // stream commands (SSC-4 4.2.x): FILEMARK, EOM, ILI
        if (len >= 2) {
          const f = d.u8(1, "stream flags");
          out.filemark = (f & 0x80) !== 0;
          out.eom = (f & 0x40) !== 0;
          out.ili = (f & 0x20) !== 0;
        }
        break;
      case 0x05: // block commands: ILI
        if (len >= 2) out.ili = out.ili || (d.u8(1, "block flags") & 0x20) !== 0;
        break;
      default:
        break;
    }
    off += 2 + len;
  }
  return out;
}

export interface SenseInput {
  senseKey: number;
  asc?: number;
  ascq?: number;
  filemark?: boolean;
  eom?: boolean;
  ili?: boolean;
  /** INFORMATION (signed); sets VALID. */
  information?: number;
  deferred?: boolean;
  /** Raw 3-byte sense-key specific field (SKSV must be set in the first byte by the caller). */
  senseKeySpecific?: [number, number, number];
}

/**
 * Encodes sense data (the device side; tests and the virtual library): fixed format is 18
 * bytes (additional length 10); descriptor format carries an information descriptor when
 * INFORMATION is given, a stream commands descriptor when FILEMARK/EOM/ILI is set, and a
 * sense-key specific descriptor when given.
 */
export function encodeSense(p: SenseInput, format: "fixed" | "descriptor" = "fixed"): Uint8Array {
  const key = checkRange("senseKey", p.senseKey, 0, 15);
  const asc = checkRange("asc", p.asc ?? 0, 0, 0xff);
  const ascq = checkRange("ascq", p.ascq ?? 0, 0, 0xff);
  const flags = (p.filemark ? 0x80 : 0) | (p.eom ? 0x40 : 0) | (p.ili ? 0x20 : 0);
  if (p.information !== undefined) checkRange("information", p.information, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (format === "fixed") {
    const out = new Uint8Array(18);
    out[0] = (p.deferred ? 0x71 : 0x70) | (p.information !== undefined ? 0x80 : 0);
    out[2] = flags | key;
    if (p.information !== undefined) {
      checkRange("information", p.information, -0x80000000, 0xffffffff);
      putU32(out, 3, p.information < 0 ? p.information + 0x100000000 : p.information);
    }
    out[7] = 10;
    out[12] = asc;
    out[13] = ascq;
    if (p.senseKeySpecific) out.set(p.senseKeySpecific.map((b, i) => checkRange(`senseKeySpecific[${i}]`, b, 0, 0xff)), 15);
    return out;
  }
  const descs: number[][] = [];
  if (p.information !== undefined) {
    const d = new Uint8Array(12);
    d[0] = 0x00;
    d[1] = 0x0a;
    d[2] = 0x80;
    putI64(d, 4, p.information);
    descs.push(Array.from(d));
  }
  if (p.senseKeySpecific) descs.push([0x02, 0x06, 0, 0, ...p.senseKeySpecific.map((b, i) => checkRange(`senseKeySpecific[${i}]`, b, 0, 0xff)), 0]);
  if (flags !== 0) descs.push([0x04, 0x02, 0, flags]);
  const body = descs.flat();
  return Uint8Array.from([p.deferred ? 0x73 : 0x72, key, asc, ascq, 0, 0, 0, body.length, ...body]);
}

/** TEST UNIT READY: `00 00 00 00 00 00` (SPC-4 6.33). */
export function buildTestUnitReadyCdb(): Uint8Array {
  return Uint8Array.of(Opcode.TEST_UNIT_READY, 0, 0, 0, 0, 0);
}

/**
 * REQUEST SENSE (SPC-4 6.29). PBS sends allocation length 252 and fixed format (DESC=0).
 */
export function buildRequestSenseCdb(params: { allocationLength?: number; descriptorFormat?: boolean } = {}): Uint8Array {
  const alloc = checkRange("allocationLength", params.allocationLength ?? 252, 0, 255);
  return Uint8Array.of(Opcode.REQUEST_SENSE, params.descriptorFormat ? 0x01 : 0x00, 0, 0, alloc, 0);
}

/** The command class a sense is classified for (§7.4). */
export type SenseContext = "read" | "write" | "write-filemarks" | "space" | "other";

export type SenseClassification =
  /** A filemark was crossed (READ: end of the current file; SPACE blocks: filemark met). */
  | { kind: "filemark"; information?: number }
  /** BLANK CHECK / end-of-data: no more recorded data. */
  | { kind: "end-of-data"; information?: number }
  /** Logical early warning: the write succeeded, the medium is nearly full. */
  | { kind: "early-warning" }
  /** Incorrect length: the block read differs from the request by `residual` (negative: block was longer). */
  | { kind: "ili"; residual: number }
  /** The command completed; the sense is informational (RECOVERED ERROR, or NO SENSE without condition). */
  | { kind: "recovered"; sense: DecodedSense }
  | { kind: "error"; error: ScsiError };

/** Sense fields as an error (the typed subclass for its key). */
export function senseToError(sense: DecodedSense, context?: string): ScsiSenseError {
  return senseError(
    {
      senseKey: sense.senseKey,
      asc: sense.asc,
      ascq: sense.ascq,
      description: sense.description,
      ...(sense.information !== undefined ? { information: sense.information } : {}),
      deferred: sense.deferred,
    },
    context,
  );
}

/**
 * Classifies sense returned with CHECK CONDITION for a command class. Filemark,
 * end-of-data, early warning and ILI are results, not errors (§7.4). Never throws:
 * undecodable sense is returned as `{kind: "error", error: ScsiDecodeError}`.
 */
export function classifySense(sense: Uint8Array | DecodedSense, context: SenseContext): SenseClassification {
  let s: DecodedSense;
  if (sense instanceof Uint8Array) {
    try {
      s = decodeSense(sense);
    } catch (e) {
      return { kind: "error", error: e instanceof ScsiError ? e : new ScsiDecodeError(STRUCT, 0, String(e)) };
    }
  } else {
    s = sense;
  }
  const info = s.information !== undefined ? { information: s.information } : {};
  if (s.deferred) return { kind: "error", error: senseToError(s) };
  const key = s.senseKey;
  const noSense = key === SenseKey.NO_SENSE;
  const recoveredOrNone = noSense || key === SenseKey.RECOVERED_ERROR;

  if (context === "read" || context === "space") {
    if (recoveredOrNone && (s.filemark || isAsc(s.asc, s.ascq, Asc.FILEMARK_DETECTED))) return { kind: "filemark", ...info };
    if (
      (key === SenseKey.BLANK_CHECK || noSense) &&
      isAsc(s.asc, s.ascq, Asc.END_OF_DATA_DETECTED)
    ) {
      return { kind: "end-of-data", ...info };
    }
    if (context === "read" && recoveredOrNone && s.ili) {
      return { kind: "ili", residual: s.information ?? 0 };
    }
  }
  if (context === "write" || context === "write-filemarks") {
    if (
      recoveredOrNone &&
      (s.eom ||
        isAsc(s.asc, s.ascq, Asc.END_OF_PARTITION_MEDIUM_DETECTED) ||
        isAsc(s.asc, s.ascq, Asc.PROGRAMMABLE_EARLY_WARNING_DETECTED))
    ) {
      return { kind: "early-warning" };
    }
  }
  if (recoveredOrNone && !s.filemark && !s.eom && !s.ili) {
    return { kind: "recovered", sense: s };
  }
  return { kind: "error", error: senseToError(s) };
}
