import { describe, expect, it } from "vitest";
import { CATALOG_STREAM, CATALOG_STREAM_SUBJECTS, catalogRecord } from "@tapefleet/api-types";
import { COMMIT_STREAM, memoryCommitPublisher, natsCommitPublisher, type CommitBus } from "./commit-publisher.ts";
import type { CommitRecord, CommitTape } from "./commit-record.ts";
import { SessionError } from "./session-error.ts";

const SET = "7D1C9A4E-2B3F-4C5D-9E8F-A0B1C2D3E4F5";
const MEDIA = "0e6f5c3a-9f1d-4e2b-8a7c-112233445566";
const tape: CommitTape = { kind: "tape", mediaUuid: MEDIA, labelText: "TAPE01L9", mediaSetUuid: SET, seqNr: 0, pool: "daily", mediaSetCtime: 1_700_000_000, joined: false };
const chunkArchive: CommitRecord = {
  mediaSetUuid: SET.toLowerCase(),
  mediaUuid: MEDIA,
  seqNr: 0,
  fileNumber: 2,
  archiveUuid: "11111111-2222-4333-8444-555555555555",
  kind: "chunk-archive",
  store: "store1",
  chunkDigests: ["ab".repeat(32)],
};
const snapshotArchive: CommitRecord = { ...chunkArchive, fileNumber: 3, archiveUuid: "11111111-2222-4333-8444-666666666666", kind: "snapshot-archive", snapshot: "vm/100/2026-01-02T03:04:05Z", chunkDigests: [] };

/** A bus that records what would go to NATS. */
function fakeBus(options: { failAt?: number } = {}) {
  const streams: Array<{ name: string; subjects: string[] }> = [];
  const sent: Array<{ subject: string; data: unknown; msgID: string | undefined }> = [];
  const bus = {
    subject: (rel: string) => `tfx.${rel}`,
    ensureStream: async (name: string, subjects: string[]) => {
      streams.push({ name, subjects });
      return `TFX_${name.toUpperCase()}`;
    },
    nc: {
      jetstream: () => ({
        publish: async (subject: string, data: Uint8Array, opts?: { msgID?: string }) => {
          if (sent.length === options.failAt) throw new Error("nats: timeout");
          sent.push({ subject, data: JSON.parse(new TextDecoder().decode(data)), msgID: opts?.msgID });
          return { stream: "TFX_CATALOG", seq: sent.length, duplicate: false };
        },
      }),
    },
  };
  return { bus: bus as unknown as CommitBus, streams, sent };
}

describe("commit publisher", () => {
  it("uses the catalog's stream and publishes each catalog record as JSON on the set's subject, message id = record id, in order", async () => {
    const { bus, streams, sent } = fakeBus();
    const now = new Date("2026-03-01T00:00:00Z");
    const publisher = await natsCommitPublisher(bus, { now: () => now });
    expect(streams).toEqual([{ name: CATALOG_STREAM, subjects: CATALOG_STREAM_SUBJECTS }]);
    expect(COMMIT_STREAM).toBe(CATALOG_STREAM);

    await publisher.publish([{ ...tape, joined: true }]);
    await publisher.publish([tape, chunkArchive, snapshotArchive]);
    expect(sent.map((s) => s.subject)).toEqual(Array(5).fill(`tfx.catalog.commit.${SET.toLowerCase()}`));
    expect(sent.map((s) => (s.data as { type: string; kind?: string }).kind ?? (s.data as { type: string }).type)).toEqual([
      "media-set-joined",
      "media-label",
      "media-set-label",
      "chunk-archive",
      "snapshot-archive",
    ]);
    for (const s of sent) {
      const r = catalogRecord.parse(s.data);
      expect(s.msgID).toBe(r.recordId);
      expect(r).toEqual(s.data);
    }

    // a retried publish sends the very same messages (JetStream and the catalog drop them)
    await publisher.publish([tape, chunkArchive, snapshotArchive]);
    expect(sent.slice(5)).toEqual(sent.slice(3, 5));
  });

  it("validates the whole batch before sending anything, and passes a failed send on", async () => {
    const { bus, sent } = fakeBus({ failAt: 1 });
    const publisher = await natsCommitPublisher(bus);
    const bad = { ...snapshotArchive, snapshot: "vm/100/2026-13-45T03:04:05Z" };
    await expect(publisher.publish([tape, chunkArchive, bad])).rejects.toMatchObject({ code: "invalid-request", field: "snapshot", fileNumber: 3 });
    await expect(publisher.publish([chunkArchive])).rejects.toBeInstanceOf(SessionError);
    expect(sent).toEqual([]);
    await expect(publisher.publish([tape, chunkArchive, snapshotArchive])).rejects.toThrow(/nats: timeout/);
    expect(sent).toHaveLength(1);
  });

  it("keeps tapes and commit records apart in memory", async () => {
    const publisher = memoryCommitPublisher();
    await publisher.publish([{ ...tape, joined: true }]);
    await publisher.publish([tape, chunkArchive, snapshotArchive]);
    await publisher.publish([chunkArchive]);
    expect(publisher.tapes).toEqual([{ ...tape, joined: true }, tape]);
    expect(publisher.records).toEqual([chunkArchive, snapshotArchive, chunkArchive]);
  });
});
