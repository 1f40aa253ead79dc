import {
  CATALOG_QUEUE,
  CATALOG_REQUESTS,
  catalogDigestsRequest,
  catalogHeldRecordsRequest,
  catalogMediaContentRequest,
  catalogMediaFilesRequest,
  catalogMediaForgetRequest,
  catalogMediaCatalogRequest,
  catalogMediaListRequest,
  catalogMediaSetSnapshotsRequest,
  catalogRestorePlanRequest,
  parseInput,
} from "@tapefleet/api-types";
import type { Bus, Logger, Sql } from "@tapefleet/common";
import { mediaCatalogPage } from "./core/media-catalog-records.ts";
import { forgetMedia, heldRecords, mediaContent, mediaFiles, mediaList, mediaSetDigests, mediaSetSnapshots, restorePlan } from "./core/queries.ts";

/** Registers the catalog's request/reply handlers (queue group `catalog`): validate, call the core, reply. */
export function registerCatalogHandlers(bus: Bus, sql: Sql, logger: Logger): void {
  const serve = (subject: string, handler: (payload: unknown) => Promise<unknown>) =>
    bus.serve(
      subject,
      async (payload, meta) => {
        const started = performance.now();
        try {
          return await handler(payload ?? {});
        } finally {
          logger.debug({ subject, requestId: meta.requestId, ms: Math.round(performance.now() - started) }, "catalog request");
        }
      },
      { queue: CATALOG_QUEUE },
    );
  serve(CATALOG_REQUESTS.mediaContent, (p) => mediaContent(sql, parseInput(catalogMediaContentRequest, p)));
  serve(CATALOG_REQUESTS.mediaSetSnapshots, (p) => mediaSetSnapshots(sql, parseInput(catalogMediaSetSnapshotsRequest, p)));
  serve(CATALOG_REQUESTS.restorePlan, (p) => restorePlan(sql, parseInput(catalogRestorePlanRequest, p)));
  serve(CATALOG_REQUESTS.mediaSetDigests, (p) => mediaSetDigests(sql, parseInput(catalogDigestsRequest, p)));
  serve(CATALOG_REQUESTS.mediaList, (p) => mediaList(sql, parseInput(catalogMediaListRequest, p)));
  serve(CATALOG_REQUESTS.mediaCatalog, (p) => mediaCatalogPage(sql, parseInput(catalogMediaCatalogRequest, p)));
  serve(CATALOG_REQUESTS.mediaFiles, (p) => mediaFiles(sql, parseInput(catalogMediaFilesRequest, p).mediaUuid));
  serve(CATALOG_REQUESTS.mediaForget, async (p) => {
    const { mediaUuid } = parseInput(catalogMediaForgetRequest, p);
    const dropped = await forgetMedia(sql, mediaUuid);
    logger.info(dropped, "tape forgotten by the catalog");
    return dropped;
  });
  serve(CATALOG_REQUESTS.heldRecords, (p) => heldRecords(sql, parseInput(catalogHeldRecordsRequest, p).limit));
}
