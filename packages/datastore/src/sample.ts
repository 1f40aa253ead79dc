import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256, toHex } from "./binary.ts";
import { encodeBlob } from "./blob.ts";
import { GearChunker } from "./chunker.ts";
import { Datastore } from "./datastore.ts";
import { encodeDynamicIndex, type DynamicEntry } from "./dynamic-index.ts";
import { DatastoreError } from "./errors.ts";
import { encodeFixedIndex } from "./fixed-index.ts";
import { encodeManifestBlob, type ManifestFile } from "./manifest.ts";
import { CLIENT_LOG_BLOB_NAME, GROUP_NOTES_FILE, PROTECTED_MARKER, groupPath, snapshotPath, type BackupType, type Namespace, type SnapshotRef } from "./names.ts";
import { ContentGenerator, mix, type ContentProfile } from "./sample-content.ts";
import { SnapshotWriter, createNamespace } from "./snapshot-writer.ts";

/**
 * A realistic sample datastore of roughly `size` bytes, deterministic from
 * the seed: nested namespaces; vm groups with fixed-chunk images, ct and
 * host groups with content-defined dynamic archives; several snapshots per
 * group, each sharing most chunks with the one before; blobs, client logs,
 * notes, one protected snapshot and one unfinished snapshot.
 */

export interface SampleOptions {
  /** Target size of the datastore in bytes (mostly chunk files). */
  size: number;
  seed?: number;
  /** Datastore name for the returned handle; default "sample". */
  name?: string;
  /** Add one unfinished snapshot (no manifest). Default true. */
  unfinished?: boolean;
  /** Progress callback: bytes of chunk files written so far. */
  onProgress?: (chunkBytes: number) => void;
}

export interface SampleReport {
  datastore: Datastore;
  namespaces: number;
  groups: number;
  /** Finished snapshots. */
  snapshots: number;
  /** Distinct chunk files written and their total bytes. */
  chunks: number;
  chunkBytes: number;
  /** Chunk references over all indexes of all snapshots. */
  chunkRefs: number;
  /** Sum of image / stream sizes over all snapshots. */
  logicalBytes: number;
  /** Plain bytes of the distinct chunks (before compression). */
  uniquePlainBytes: number;
  /** Chunk size used for images and as the dynamic average. */
  chunkSize: number;
  elapsedMs: number;
}

interface GroupPlan {
  ns: Namespace;
  type: BackupType;
  id: string;
  weight: number;
  owner: string;
}

const PLAN: GroupPlan[] = [
  { ns: [], type: "vm", id: "100", weight: 3, owner: "root@pam" },
  { ns: [], type: "vm", id: "101", weight: 2, owner: "root@pam" },
  { ns: [], type: "ct", id: "200", weight: 1.5, owner: "root@pam" },
  { ns: [], type: "host", id: "backup-srv", weight: 1, owner: "root@pam" },
  { ns: ["prod"], type: "vm", id: "110", weight: 2.5, owner: "backup@pbs!tape" },
  { ns: ["prod"], type: "ct", id: "210", weight: 1, owner: "backup@pbs!tape" },
  { ns: ["prod", "db"], type: "vm", id: "120", weight: 2, owner: "backup@pbs!tape" },
  { ns: ["prod", "db"], type: "host", id: "db01", weight: 1, owner: "backup@pbs!tape" },
  { ns: ["dev"], type: "ct", id: "220", weight: 0.8, owner: "dev@pbs" },
  { ns: ["dev", "ci", "nightly"], type: "vm", id: "130", weight: 1, owner: "dev@pbs" },
];

const VM_PROFILE: ContentProfile = { random: 40, text: 25, zero: 25 };
const FS_PROFILE: ContentProfile = { random: 35, text: 45, zero: 5 };
/** Share of fixed chunks rewritten between two snapshots. */
const FIXED_CHANGE_PER_MILLE = 30;
/** Per-segment edit odds of dynamic archives (per mille): replace, insert after, delete. */
const SEG_REPLACE = 20;
const SEG_INSERT = 8;
const SEG_DELETE = 4;
const BASE_TIME = 1767225600; // 2026-01-01T00:00:00Z
const DAY = 86400;

function chunkSizeFor(size: number): number {
  let cs = 16 * 1024;
  while (cs < 4 * 1024 * 1024 && cs * 256 < size) cs *= 2;
  return cs;
}

interface Segment {
  key: number;
  len: number;
}

interface Stats {
  chunks: number;
  chunkBytes: number;
  chunkRefs: number;
  logicalBytes: number;
  uniquePlainBytes: number;
}

class SampleBuilder {
  readonly ds: Datastore;
  readonly gen: ContentGenerator;
  readonly seed: number;
  readonly stats: Stats = { chunks: 0, chunkBytes: 0, chunkRefs: 0, logicalBytes: 0, uniquePlainBytes: 0 };
  readonly #present = new Set<string>();
  readonly #onProgress: ((n: number) => void) | undefined;
  #keyCounter = 1;

  constructor(ds: Datastore, seed: number, onProgress?: (n: number) => void) {
    this.ds = ds;
    this.seed = seed;
    this.gen = new ContentGenerator(seed);
    this.#onProgress = onProgress;
  }

  newKey(): number {
    return mix(this.seed, 0x5e6, this.#keyCounter++);
  }

  /** Stores one chunk (plain bytes); returns its digest. */
  async storeChunk(plain: Uint8Array): Promise<Uint8Array> {
    const digest = sha256(plain);
    const hex = toHex(digest);
    if (!this.#present.has(hex)) {
      this.#present.add(hex);
      const blob = await encodeBlob(plain);
      await this.ds.chunks.insertChunk(digest, blob, { trusted: true });
      this.stats.chunks++;
      this.stats.chunkBytes += blob.length;
      this.stats.uniquePlainBytes += plain.length;
      this.#onProgress?.(this.stats.chunkBytes);
    }
    this.stats.chunkRefs++;
    return digest;
  }
}

/** A fixed-chunk image that changes a few chunks per snapshot. */
class ImageArchive {
  readonly #b: SampleBuilder;
  readonly size: number;
  readonly chunkSize: number;
  readonly #key: number;
  readonly #versions: Uint32Array;
  #digests: Uint8Array | undefined;

  constructor(b: SampleBuilder, size: number, chunkSize: number) {
    this.#b = b;
    this.size = size;
    this.chunkSize = chunkSize;
    this.#key = b.newKey();
    this.#versions = new Uint32Array(Math.ceil(size / chunkSize));
  }

  /** Digests of snapshot `v` (0 first); only changed chunks are produced. */
  async next(v: number): Promise<Uint8Array> {
    const count = this.#versions.length;
    const digests = new Uint8Array(count * 32);
    const buf = new Uint8Array(this.chunkSize);
    for (let i = 0; i < count; i++) {
      const changed = v === 0 || mix(this.#key, i, v) % 1000 < FIXED_CHANGE_PER_MILLE;
      if (!changed && this.#digests) {
        digests.set(this.#digests.subarray(i * 32, (i + 1) * 32), i * 32);
        this.#b.stats.chunkRefs++;
        continue;
      }
      if (v > 0) this.#versions[i] = v;
      const len = Math.min(this.chunkSize, this.size - i * this.chunkSize);
      const plain = buf.subarray(0, len);
      const key = mix(this.#key, i, this.#versions[i]!);
      if (key % 100 < 12) plain.fill(0);
      else this.#b.gen.fill(key, 0, plain, VM_PROFILE);
      digests.set(await this.#b.storeChunk(plain), i * 32);
    }
    this.#digests = digests;
    this.#b.stats.logicalBytes += this.size;
    return digests;
  }
}

/**
 * A dynamic archive: a stream of keyed segments (files) that is edited a
 * little per snapshot and chunked by content. Chunks of unchanged stretches
 * are taken over from the previous snapshot without reading their bytes.
 */
class StreamArchive {
  readonly #b: SampleBuilder;
  readonly #avg: number;
  readonly #profile: ContentProfile;
  readonly #chunker: GearChunker;
  #segs: Segment[] = [];
  #entries: DynamicEntry[] = [];

  constructor(b: SampleBuilder, size: number, avg: number, profile: ContentProfile) {
    this.#b = b;
    this.#avg = avg;
    this.#profile = profile;
    this.#chunker = new GearChunker({ avgSize: avg });
    let total = 0;
    while (total < size) {
      const len = Math.max(1, Math.min(size - total, this.#segLen()));
      this.#segs.push({ key: b.newKey(), len });
      total += len;
    }
  }

  #segLen(): number {
    const k = this.#b.newKey();
    return Math.floor(this.#avg / 8) + (k % (this.#avg * 2));
  }

  #read(segs: Segment[], starts: number[], pos: number, out: Uint8Array): void {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    let at = 0;
    for (let s = lo; at < out.length && s < segs.length; s++) {
      const seg = segs[s]!;
      const off = s === lo ? pos - starts[s]! : 0;
      const n = Math.min(seg.len - off, out.length - at);
      this.#b.gen.fill(seg.key, off, out.subarray(at, at + n), this.#profile);
      at += n;
    }
  }

  async next(v: number): Promise<DynamicEntry[]> {
    // Edit the segment list; remember where kept segments were in the old stream.
    const old = this.#segs;
    const oldStarts: number[] = [];
    let o = 0;
    for (const s of old) {
      oldStarts.push(o);
      o += s.len;
    }
    const segs: Segment[] = [];
    const keptFrom: (number | undefined)[] = [];
    if (v === 0) {
      segs.push(...old);
      keptFrom.push(...old.map(() => undefined));
    } else {
      old.forEach((s, i) => {
        const r = mix(s.key, v, 0xed17) % 1000;
        if (r < SEG_REPLACE) {
          segs.push({ key: this.#b.newKey(), len: Math.max(1, Math.floor(s.len * (0.5 + (r % 10) / 10))) });
          keptFrom.push(undefined);
        } else if (r < SEG_REPLACE + SEG_DELETE) {
          // deleted
        } else {
          segs.push(s);
          keptFrom.push(oldStarts[i]);
          if (r < SEG_REPLACE + SEG_DELETE + SEG_INSERT) {
            segs.push({ key: this.#b.newKey(), len: this.#segLen() });
            keptFrom.push(undefined);
          }
        }
      });
    }
    const starts: number[] = [];
    let total = 0;
    for (const s of segs) {
      starts.push(total);
      total += s.len;
    }
    // Runs of content identical to the old stream: [newStart, newEnd) ↔ oldStart.
    const runs: { start: number; end: number; old: number }[] = [];
    segs.forEach((s, i) => {
      const from = keptFrom[i];
      if (from === undefined) return;
      const last = runs[runs.length - 1];
      if (last && last.end === starts[i] && last.old + (last.end - last.start) === from) last.end += s.len;
      else runs.push({ start: starts[i]!, end: starts[i]! + s.len, old: from });
    });
    const oldEntries = this.#entries;
    const oldTotal = oldEntries.length > 0 ? oldEntries[oldEntries.length - 1]!.end : 0;
    const oldChunkAt = new Map<number, number>();
    oldEntries.forEach((e, i) => oldChunkAt.set(i === 0 ? 0 : oldEntries[i - 1]!.end, i));

    const entries: DynamicEntry[] = [];
    let pos = 0;
    let run = 0;
    const piece = new Uint8Array(Math.max(4096, Math.floor(this.#avg / 2)));
    while (pos < total) {
      while (run < runs.length && runs[run]!.end <= pos) run++;
      const r = runs[run];
      if (r && r.start <= pos) {
        const q = r.old + (pos - r.start);
        const k = oldChunkAt.get(q);
        if (k !== undefined) {
          const e = oldEntries[k]!;
          const len = e.end - q;
          const isOldLast = e.end === oldTotal;
          if (pos + len <= r.end && (!isOldLast || pos + len === total)) {
            pos += len;
            entries.push({ end: pos, digest: e.digest });
            this.#b.stats.chunkRefs++;
            continue;
          }
        }
      }
      // Chunk fresh data from pos.
      this.#chunker.reset();
      const parts: Uint8Array[] = [];
      let at = pos;
      for (;;) {
        const n = Math.min(piece.length, total - at);
        const buf = piece.subarray(0, n);
        this.#read(segs, starts, at, buf);
        const cut = this.#chunker.scan(buf);
        if (cut >= 0 || at + n === total) {
          const take = cut >= 0 ? cut : n;
          parts.push(buf.slice(0, take));
          at += take;
          break;
        }
        parts.push(buf.slice());
        at += n;
      }
      const plain = parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
      entries.push({ end: at, digest: await this.#b.storeChunk(plain) });
      pos = at;
    }
    this.#segs = segs;
    this.#entries = entries;
    this.#b.stats.logicalBytes += total;
    return entries;
  }
}

function vmConfig(id: string, diskBytes: number, key: number): string {
  return [
    "boot: order=scsi0;net0",
    `cores: ${1 + (key % 8)}`,
    `memory: ${1024 * (1 + (key % 16))}`,
    `name: vm${id}`,
    `net0: virtio=BC:24:11:${((key >>> 8) & 0xff).toString(16).padStart(2, "0")}:${((key >>> 16) & 0xff).toString(16).padStart(2, "0")}:${(key >>> 24).toString(16).padStart(2, "0")},bridge=vmbr0`,
    "ostype: l26",
    `scsi0: local-lvm:vm-${id}-disk-0,size=${diskBytes}`,
    "scsihw: virtio-scsi-single",
    "",
  ].join("\n");
}

function ctConfig(id: string, key: number): string {
  return [`arch: amd64`, `cores: ${1 + (key % 4)}`, `hostname: ct${id}`, `memory: ${512 * (1 + (key % 8))}`, "ostype: debian", `rootfs: local-lvm:vm-${id}-disk-0,size=8G`, ""].join("\n");
}

export async function createSampleDatastore(path: string, options: SampleOptions): Promise<SampleReport> {
  const started = performance.now();
  if (!Number.isSafeInteger(options.size) || options.size < 64 * 1024) {
    throw new DatastoreError("invalid-field", `sample size: ${options.size} is below 64 KiB`, { field: "size" });
  }
  const seed = (options.seed ?? 1) >>> 0;
  const ds = new Datastore(path, options.name ?? "sample");
  await ds.chunks.create();
  const b = new SampleBuilder(ds, seed, options.onProgress);
  const chunkSize = chunkSizeFor(options.size);
  const totalWeight = PLAN.reduce((s, g) => s + g.weight, 0);
  let remainingWeight = totalWeight;
  // Stored bytes per planned logical byte, refined after each group.
  let storedPerByte = 0.75;
  let snapshots = 0;
  let protectedDone = false;
  let lastRef: SnapshotRef | undefined;
  let lastFiles: { name: string; bytes: Uint8Array }[] = [];
  const namespaces = new Set<string>([""]);

  for (const [gi, plan] of PLAN.entries()) {
    const gkey = mix(seed, gi, 0x6a);
    const nSnaps = 2 + (gkey % 3);
    const budget = Math.max(0, options.size - b.stats.chunkBytes) * (plan.weight / remainingWeight);
    remainingWeight -= plan.weight;
    const changeShare = plan.type === "vm" ? FIXED_CHANGE_PER_MILLE / 1000 : (SEG_REPLACE + SEG_INSERT) / 1000 + 0.02;
    const logical = Math.max(chunkSize, Math.floor(budget / (storedPerByte * (1 + (nSnaps - 1) * changeShare))));
    const before = b.stats.chunkBytes;
    const plannedBefore = b.stats.uniquePlainBytes;

    await createNamespace(ds, plan.ns);
    for (let i = 1; i <= plan.ns.length; i++) namespaces.add(plan.ns.slice(0, i).join("/"));

    const images: { name: string; archive: ImageArchive }[] = [];
    const streams: { name: string; archive: StreamArchive }[] = [];
    if (plan.type === "vm") {
      const second = gkey % 2 === 0;
      const mainSize = second ? Math.floor(logical * 0.8) : logical;
      // Disk sizes: whole chunks, except an odd tail on the second disk.
      images.push({ name: "drive-scsi0.img.fidx", archive: new ImageArchive(b, Math.max(chunkSize, Math.floor(mainSize / chunkSize) * chunkSize), chunkSize) });
      if (second) images.push({ name: "drive-scsi1.img.fidx", archive: new ImageArchive(b, Math.max(1, logical - mainSize) + 4096 * 3, chunkSize) });
    } else {
      streams.push({ name: "root.pxar.didx", archive: new StreamArchive(b, logical, chunkSize, FS_PROFILE) });
      streams.push({ name: "catalog.pcat1.didx", archive: new StreamArchive(b, Math.max(4096, Math.floor(logical / 300)), Math.max(1024, chunkSize / 16), FS_PROFILE) });
    }

    for (let v = 0; v < nSnaps; v++) {
      const time = BASE_TIME + (seed % 97) * DAY + v * DAY + gi * 600 + (mix(gkey, v) % 300);
      const ref: SnapshotRef = { ns: plan.ns, type: plan.type, id: plan.id, time };
      const writer = await SnapshotWriter.create(ds, ref, { owner: plan.owner });
      const files: ManifestFile[] = [];
      const written: { name: string; bytes: Uint8Array }[] = [];
      for (const { name, archive } of images) {
        const digests = await archive.next(v);
        const fidx = encodeFixedIndex({ size: archive.size, chunkSize: archive.chunkSize, digests, ctime: time, uuid: sha256(new Uint8Array([gi, v, 1])).subarray(0, 16) });
        await writer.writeFile(name, fidx);
        written.push({ name, bytes: fidx });
        files.push({ filename: name, cryptMode: "none", size: archive.size, csum: toHex(fidx.subarray(32, 64)) });
      }
      for (const { name, archive } of streams) {
        const entries = await archive.next(v);
        const didx = encodeDynamicIndex({ entries, ctime: time, uuid: sha256(new Uint8Array([gi, v, 2])).subarray(0, 16) });
        await writer.writeFile(name, didx);
        written.push({ name, bytes: didx });
        files.push({ filename: name, cryptMode: "none", size: entries.length > 0 ? entries[entries.length - 1]!.end : 0, csum: toHex(didx.subarray(32, 64)) });
      }
      const conf =
        plan.type === "vm"
          ? { name: "qemu-server.conf.blob", text: vmConfig(plan.id, images[0]!.archive.size, gkey) }
          : plan.type === "ct"
            ? { name: "pct.conf.blob", text: ctConfig(plan.id, gkey) }
            : undefined;
      if (conf) {
        const blob = await encodeBlob(new TextEncoder().encode(conf.text));
        await writer.writeFile(conf.name, blob);
        files.push({ filename: conf.name, cryptMode: "none", size: blob.length, csum: toHex(sha256(blob)) });
      }
      const log = await encodeBlob(b.gen.text(mix(gkey, v, 9), 2048 + (mix(gkey, v) % 8192)));
      await writer.writeFile(CLIENT_LOG_BLOB_NAME, log);
      const unprotected: Record<string, unknown> = {};
      if (v === nSnaps - 1 && gi % 3 === 0) unprotected["notes"] = `nightly backup of ${plan.type}/${plan.id}`;
      if (v === 0) unprotected["verify_state"] = { state: "ok", upid: `UPID:pbs:0000${gi}A1B:000${v}C2D3:00000000:${time.toString(16).toUpperCase()}:verify:sample:root@pam:` };
      files.sort((x, y) => (x.filename < y.filename ? -1 : 1));
      const manifest = await encodeManifestBlob({ backupType: plan.type, backupId: plan.id, backupTime: time, files, unprotected, signature: null, extra: {} });
      await writer.commit(manifest, { reencode: false });
      snapshots++;
      if (!protectedDone && plan.type === "vm" && v === 0) {
        await writeFile(join(ds.resolvePath(snapshotPath(ref)), PROTECTED_MARKER), "");
        protectedDone = true;
      }
      lastRef = ref;
      lastFiles = written;
    }
    if (gi % 4 === 0) await writeFile(join(ds.resolvePath(groupPath(plan)), GROUP_NOTES_FILE), `Group ${plan.type}/${plan.id}\nkept for 30 days\n`);
    const plannedUnique = b.stats.uniquePlainBytes - plannedBefore;
    if (plannedUnique > 0) {
      const measured = (b.stats.chunkBytes - before) / (logical * (1 + (nSnaps - 1) * changeShare));
      storedPerByte = Math.min(2, Math.max(0.05, (storedPerByte + measured) / 2));
    }
  }

  if ((options.unfinished ?? true) && lastRef) {
    // A backup still being written: files of the previous snapshot, no manifest.
    const ref = { ...lastRef, time: lastRef.time + DAY };
    const dir = ds.resolvePath(snapshotPath(ref));
    await mkdir(dir, { recursive: true });
    for (const f of lastFiles) await writeFile(join(dir, f.name), f.bytes);
  }

  return {
    datastore: ds,
    namespaces: namespaces.size,
    groups: PLAN.length,
    snapshots,
    chunks: b.stats.chunks,
    chunkBytes: b.stats.chunkBytes,
    chunkRefs: b.stats.chunkRefs,
    logicalBytes: b.stats.logicalBytes,
    uniquePlainBytes: b.stats.uniquePlainBytes,
    chunkSize,
    elapsedMs: performance.now() - started,
  };
}
