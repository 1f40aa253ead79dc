/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) for index entry validation: zlib's. */
import { crc32 as zlibCrc32 } from "node:zlib";

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return zlibCrc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
}
