/**
 * Magic numbers of the PBS tape and datastore formats. Each one is the first 8
 * bytes of SHA-256 of a quoted ASCII text (the text is given beside it).
 * @see shared reference pbs-tape-format.md §1.1, §2.2, §2.3, §5.1, §11.2
 */
const m = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

/** "Proxmox Tape Block Header v1.0" (§1.1). */
export const BLOCK_HEADER_MAGIC_1_0 = m(0xdc, 0xbd, 0xaf, 0xca, 0xeb, 0xa0, 0xa5, 0x28);
/** "Proxmox Backup Content Header v1.0" (§2.2). */
export const MEDIA_CONTENT_HEADER_MAGIC_1_0 = m(0x63, 0xee, 0x14, 0x9f, 0xcd, 0xf2, 0x9b, 0x0c);

/** "Proxmox Backup Tape Label v1.0" (§2.3). */
export const MEDIA_LABEL_MAGIC_1_0 = m(42, 5, 191, 60, 176, 48, 170, 57);
/** "Proxmox Backup MediaSet Label v1.0" (§2.3). */
export const MEDIA_SET_LABEL_MAGIC_1_0 = m(8, 96, 99, 249, 47, 151, 83, 216);
/** "Proxmox Backup Chunk Archive v1.0" (§2.3): unreleased, rejected on read. */
export const CHUNK_ARCHIVE_MAGIC_1_0 = m(62, 173, 167, 95, 49, 76, 6, 110);
/** "Proxmox Backup Chunk Archive v1.1" (§2.3): current. */
export const CHUNK_ARCHIVE_MAGIC_1_1 = m(109, 49, 99, 109, 215, 2, 131, 191);
/** "Proxmox Backup Chunk Archive Entry v1.0" (§4.1): per-entry magic. */
export const CHUNK_ARCHIVE_ENTRY_MAGIC_1_0 = m(72, 87, 109, 242, 222, 66, 143, 220);
/** "Proxmox Backup Snapshot Archive v1.0" (§2.3): unreleased, rejected on read. */
export const SNAPSHOT_ARCHIVE_MAGIC_1_0 = m(9, 182, 2, 31, 125, 232, 114, 133);
/** "Proxmox Backup Snapshot Archive v1.1" (§2.3): snapshots of the root namespace. */
export const SNAPSHOT_ARCHIVE_MAGIC_1_1 = m(218, 22, 21, 208, 17, 226, 154, 98);
/** "Proxmox Backup Snapshot Archive v1.2" (§2.3): snapshots of a non-root namespace. */
export const SNAPSHOT_ARCHIVE_MAGIC_1_2 = m(98, 16, 54, 155, 186, 16, 51, 29);
/** "Proxmox Backup Catalog Archive v1.0" (§2.3): jobs without namespace support. */
export const CATALOG_ARCHIVE_MAGIC_1_0 = m(183, 207, 199, 37, 158, 153, 30, 115);
/** "Proxmox Backup Catalog Archive v1.1" (§2.3): catalog may contain `ns/` paths. */
export const CATALOG_ARCHIVE_MAGIC_1_1 = m(179, 236, 113, 240, 173, 236, 2, 96);

/** "Proxmox Backup Media Catalog v1.0" (§5.1): rejected on load. */
export const MEDIA_CATALOG_MAGIC_1_0 = m(0xdd, 0x1d, 0xa4, 0x01, 0x3b, 0x45, 0x13, 0x28);
/** "Proxmox Backup Media Catalog v1.1" (§5.1): current. */
export const MEDIA_CATALOG_MAGIC_1_1 = m(0x4c, 0x8e, 0xe8, 0xc1, 0x20, 0xa8, 0x89, 0x71);

/** "Proxmox Backup uncompressed blob v1.0" (§11.2). */
export const UNCOMPRESSED_BLOB_MAGIC_1_0 = m(66, 171, 56, 7, 190, 131, 112, 161);
/** "Proxmox Backup zstd compressed blob v1.0" (§11.2). */
export const COMPRESSED_BLOB_MAGIC_1_0 = m(49, 185, 88, 66, 111, 182, 163, 127);
/** "Proxmox Backup encrypted blob v1.0" (§11.2). */
export const ENCRYPTED_BLOB_MAGIC_1_0 = m(123, 103, 133, 190, 34, 45, 76, 240);
/** "Proxmox Backup zstd compressed encrypted blob v1.0" (§11.2). */
export const ENCR_COMPR_BLOB_MAGIC_1_0 = m(230, 89, 27, 191, 11, 191, 216, 11);

/** The quoted texts the magics are derived from, for documentation and tests. */
export const MAGIC_SOURCE_TEXTS: ReadonlyArray<readonly [name: string, text: string, magic: Uint8Array]> = [
  ["BLOCK_HEADER_MAGIC_1_0", "Proxmox Tape Block Header v1.0", BLOCK_HEADER_MAGIC_1_0],
  ["MEDIA_CONTENT_HEADER_MAGIC_1_0", "Proxmox Backup Content Header v1.0", MEDIA_CONTENT_HEADER_MAGIC_1_0],
  ["MEDIA_LABEL_MAGIC_1_0", "Proxmox Backup Tape Label v1.0", MEDIA_LABEL_MAGIC_1_0],
  ["MEDIA_SET_LABEL_MAGIC_1_0", "Proxmox Backup MediaSet Label v1.0", MEDIA_SET_LABEL_MAGIC_1_0],
  ["CHUNK_ARCHIVE_MAGIC_1_0", "Proxmox Backup Chunk Archive v1.0", CHUNK_ARCHIVE_MAGIC_1_0],
  ["CHUNK_ARCHIVE_MAGIC_1_1", "Proxmox Backup Chunk Archive v1.1", CHUNK_ARCHIVE_MAGIC_1_1],
  ["CHUNK_ARCHIVE_ENTRY_MAGIC_1_0", "Proxmox Backup Chunk Archive Entry v1.0", CHUNK_ARCHIVE_ENTRY_MAGIC_1_0],
  ["SNAPSHOT_ARCHIVE_MAGIC_1_0", "Proxmox Backup Snapshot Archive v1.0", SNAPSHOT_ARCHIVE_MAGIC_1_0],
  ["SNAPSHOT_ARCHIVE_MAGIC_1_1", "Proxmox Backup Snapshot Archive v1.1", SNAPSHOT_ARCHIVE_MAGIC_1_1],
  ["SNAPSHOT_ARCHIVE_MAGIC_1_2", "Proxmox Backup Snapshot Archive v1.2", SNAPSHOT_ARCHIVE_MAGIC_1_2],
  ["CATALOG_ARCHIVE_MAGIC_1_0", "Proxmox Backup Catalog Archive v1.0", CATALOG_ARCHIVE_MAGIC_1_0],
  ["CATALOG_ARCHIVE_MAGIC_1_1", "Proxmox Backup Catalog Archive v1.1", CATALOG_ARCHIVE_MAGIC_1_1],
  ["MEDIA_CATALOG_MAGIC_1_0", "Proxmox Backup Media Catalog v1.0", MEDIA_CATALOG_MAGIC_1_0],
  ["MEDIA_CATALOG_MAGIC_1_1", "Proxmox Backup Media Catalog v1.1", MEDIA_CATALOG_MAGIC_1_1],
  ["UNCOMPRESSED_BLOB_MAGIC_1_0", "Proxmox Backup uncompressed blob v1.0", UNCOMPRESSED_BLOB_MAGIC_1_0],
  ["COMPRESSED_BLOB_MAGIC_1_0", "Proxmox Backup zstd compressed blob v1.0", COMPRESSED_BLOB_MAGIC_1_0],
  ["ENCRYPTED_BLOB_MAGIC_1_0", "Proxmox Backup encrypted blob v1.0", ENCRYPTED_BLOB_MAGIC_1_0],
  ["ENCR_COMPR_BLOB_MAGIC_1_0", "Proxmox Backup zstd compressed encrypted blob v1.0", ENCR_COMPR_BLOB_MAGIC_1_0],
];

/** Content magics that may appear in a MediaContentHeader, by kind. */
export type ContentKind =
  | "media-label"
  | "media-set-label"
  | "chunk-archive"
  | "snapshot-archive"
  | "catalog-archive";

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Parses lowercase/uppercase hex; returns undefined when malformed. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
