import type { CatalogMediaCatalogPage } from "@tapefleet/api-types";

/** The catalog queries a backup needs to hand a write session the catalogs of the earlier members. */
export interface MemberCatalogPort {
  /** One page of a tape's PBS media catalog (`catalog.media.catalog`). */
  mediaCatalogPage(mediaUuid: string, after?: string): Promise<CatalogMediaCatalogPage>;
  /** The highest file number the catalog lists for a tape; undefined when it does not know the tape. */
  catalogLastFile(mediaUuid: string): Promise<number | undefined>;
}

/** A member catalog as the write session streams it to the agent: its pages, fetched as they are sent. */
export interface MemberCatalogStream {
  mediaUuid: string;
  seqNr: number;
  /** The `.log` bytes in pieces (one catalog page each). */
  pieces: AsyncIterable<Uint8Array>;
}

export interface MemberCatalogOptions {
  /** Files a write session of this job committed, per tape: the catalog must list them before its catalog is taken. */
  committed?: ReadonlyMap<string, number>;
  /** How long to wait for the catalog to ingest those commits (ms). */
  waitMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** How long a backup waits for the catalog to ingest the previous tape's last commits. */
export const DEFAULT_MEMBER_CATALOG_WAIT_MS = 60_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * The media catalogs of the members before `seqNr` of a media set, as
 * catalog archives for a tape joining the set (reference §4.3): with them,
 * the last tape of a set alone rebuilds the whole set's catalog.
 *
 * Each member's catalog is taken from the catalog service once it lists every
 * file this job's write sessions committed on that tape (the records travel
 * on JetStream, so the last ones may still be on their way). Its first page is
 * read here (the member must be in this set at that seq nr); the other pages
 * are read while the session sends them, so the scheduler holds one page
 * (≤ 512 KiB) per member at a time.
 *
 * Returns `{ missing }` (why) instead when a member's catalog cannot be had:
 * the write goes on without catalog archives, and the set is then restored
 * by scanning its tapes.
 */
export async function memberCatalogsFor(
  port: MemberCatalogPort,
  setUuid: string,
  members: ReadonlyArray<{ uuid: string; seqNr: number; labelText: string }>,
  seqNr: number,
  options: MemberCatalogOptions = {},
): Promise<{ catalogs: MemberCatalogStream[] } | { missing: string }> {
  const earlier = members.filter((m) => m.seqNr < seqNr).sort((a, b) => a.seqNr - b.seqNr);
  for (let i = 0; i < seqNr; i++) {
    if (!earlier.some((m) => m.seqNr === i)) return { missing: `member ${i} of media set ${setUuid} is not known` };
  }
  const catalogs: MemberCatalogStream[] = [];
  for (const m of earlier) {
    const want = options.committed?.get(m.uuid);
    if (want !== undefined) {
      const deadline = Date.now() + (options.waitMs ?? DEFAULT_MEMBER_CATALOG_WAIT_MS);
      for (;;) {
        let last: number | undefined;
        try {
          last = await port.catalogLastFile(m.uuid);
        } catch (err) {
          return { missing: `the catalog does not answer for media '${m.labelText}': ${(err as Error).message}` };
        }
        if (last !== undefined && last >= want) break;
        if (Date.now() > deadline) return { missing: `the catalog lists media '${m.labelText}' up to file ${last ?? "none"}, not yet file ${want}` };
        await sleep(options.pollMs ?? 200, options.signal);
      }
    }
    let first: CatalogMediaCatalogPage;
    try {
      first = await port.mediaCatalogPage(m.uuid);
    } catch (err) {
      return { missing: `no catalog of media '${m.labelText}': ${(err as Error).message}` };
    }
    if (first.mediaSetUuid.toLowerCase() !== setUuid.toLowerCase() || first.seqNr !== m.seqNr) {
      return { missing: `the catalog has media '${m.labelText}' as member ${first.seqNr} of media set ${first.mediaSetUuid}, not member ${m.seqNr} of ${setUuid}` };
    }
    catalogs.push({ mediaUuid: m.uuid, seqNr: m.seqNr, pieces: pages(port, m.uuid, first) });
  }
  return { catalogs };
}

async function* pages(port: MemberCatalogPort, mediaUuid: string, first: CatalogMediaCatalogPage): AsyncGenerator<Uint8Array> {
  let page = first;
  for (;;) {
    yield new Uint8Array(Buffer.from(page.data, "base64"));
    if (page.next === undefined) return;
    page = await port.mediaCatalogPage(mediaUuid, page.next);
  }
}
