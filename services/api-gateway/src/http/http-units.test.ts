import { ConflictError, NotFoundError, UnavailableError, ValidationError } from "@tapefleet/common";
import { backupStartRequest, CONFIG_KINDS } from "@tapefleet/api-types";
import { describe, expect, it } from "vitest";
import { BACKUP_FIELDS, toBusRequest } from "./job-routes.ts";
import { TAPE_ROUTES, parseQuery, withLocation } from "./tape-routes.ts";
import { splitToken, hashSecret } from "../core/token-store.ts";
import { buildOpenApiDocument } from "../openapi.ts";
import { tokenFromHeader } from "./auth.ts";
import { toHttpError } from "./error-response.ts";
import { RequestStats } from "./request-stats.ts";

describe("Authorization header", () => {
  it("accepts Bearer and PBSAPIToken forms", () => {
    expect(tokenFromHeader("Bearer tf-1:abc")).toBe("tf-1:abc");
    expect(tokenFromHeader("bearer   tf-1:abc ")).toBe("tf-1:abc");
    expect(tokenFromHeader("PBSAPIToken=tf-1:abc")).toBe("tf-1:abc");
    expect(tokenFromHeader("PBSAPIToken tf-1:abc")).toBe("tf-1:abc");
  });
  it("rejects a missing header and other schemes with 401", () => {
    for (const h of [undefined, "", "Basic Zm9vOmJhcg==", "Bearer", "tf-1:abc"]) {
      let code: string | undefined;
      try {
        tokenFromHeader(h);
      } catch (err) {
        code = (err as { code: string }).code;
      }
      expect(code).toBe("UNAUTHORIZED");
    }
  });
  it("splits tokens at the first ':' and hashes secrets with SHA-256", () => {
    expect(splitToken("admin:x:y")).toEqual({ id: "admin", secret: "x:y" });
    expect(splitToken(":x")).toBeUndefined();
    expect(splitToken("admin:")).toBeUndefined();
    expect(splitToken("admin")).toBeUndefined();
    expect(hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("error mapping", () => {
  it("maps typed errors once: status from the code, fields as an object", () => {
    expect(toHttpError(ValidationError.field("retention", "bad"), "r1")).toEqual({
      status: 400,
      internal: false,
      body: { errors: { retention: "bad" }, message: "retention: bad", code: "VALIDATION", requestId: "r1" },
    });
    expect(toHttpError(new NotFoundError("drive", "d9"), "r2").status).toBe(404);
    expect(toHttpError(new ConflictError("in use"), "r3")).toMatchObject({ status: 409, body: { errors: {}, code: "CONFLICT" } });
    expect(toHttpError(new UnavailableError("no inventory"), "r4").status).toBe(503);
  });
  it("turns framework request errors into 400 on the body and hides unknown errors", () => {
    const parse = Object.assign(new Error("Unexpected token n in JSON"), { statusCode: 400 });
    expect(toHttpError(parse, "r5")).toMatchObject({ status: 400, body: { errors: { body: "Unexpected token n in JSON" } } });
    const media = Object.assign(new Error("Unsupported Media Type"), { statusCode: 415 });
    expect(toHttpError(media, "r6").status).toBe(400);
    const boom = toHttpError(new Error("password=hunter2"), "r7");
    expect(boom).toMatchObject({ status: 500, internal: true, body: { code: "INTERNAL", requestId: "r7" } });
    expect(JSON.stringify(boom.body)).not.toContain("hunter2");
  });
});

describe("request stats", () => {
  it("counts by status class and resets on each report", () => {
    const s = new RequestStats();
    for (const status of [200, 200, 404, 503, 301]) s.record(status);
    const r = s.take(Date.now() + 1000);
    expect(r.requests).toBe(5);
    expect(r.byStatus).toEqual({ "2xx": 2, "3xx": 1, "4xx": 1, "5xx": 1 });
    expect(r.perSecond).toBeGreaterThan(0);
    expect(s.take().requests).toBe(0);
  });
});

describe("OpenAPI document", () => {
  const doc = buildOpenApiDocument({ version: "1.2.3" }) as {
    openapi: string;
    paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };
  it("describes every route with a unique operation id and error responses", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ops = Object.values(doc.paths).flatMap((p) => Object.entries(p).filter(([m]) => m !== "parameters").map(([, o]) => o));
    expect(ops).toHaveLength(CONFIG_KINDS.length * 5 + 3 + TAPE_ROUTES.length);
    for (const r of TAPE_ROUTES) expect(doc.paths[`/api2/json${r.path}`]?.[r.method.toLowerCase()]?.operationId).toBe(r.operationId);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    for (const o of ops) expect(Object.keys(o.responses ?? {})).toContain("401");
    expect(Object.keys(doc.paths)).toContain("/api2/json/config/tape-backup-job/{id}");
  });
  it("references only schemas it defines", () => {
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)].map((m) => m[1]!);
    for (const r of new Set(refs)) expect(doc.components.schemas).toHaveProperty(r);
  });
});

describe("tape routes", () => {
  it("follow the PBS paths and give every long operation a task", () => {
    const paths = TAPE_ROUTES.map((r) => `${r.method} ${r.path}`);
    for (const p of [
      "GET /tape/scan-changers",
      "GET /tape/scan-drives",
      "GET /tape/changer/{name}/status",
      "POST /tape/changer/{name}/transfer",
      "POST /tape/drive/{drive}/barcode-label-media",
      "PUT /tape/drive/{drive}/clean",
      "GET /nodes/{node}/tasks/{upid}/log",
      "DELETE /nodes/{node}/tasks/{upid}",
    ]) {
      expect(paths).toContain(p);
    }
    expect(TAPE_ROUTES.filter((r) => r.task && r.op).map((r) => r.op).sort()).toEqual(
      ["barcode-label", "clean", "eject", "erase", "export-media", "format", "inventory", "label", "load-media", "load-slot", "rewind", "unload"].sort(),
    );
  });
  it("job routes: PBS paths, tasks answer a UPID, bodies become the contract's requests", () => {
    const paths = TAPE_ROUTES.map((r) => `${r.method} ${r.path}${r.task ? " (task)" : ""}`);
    for (const p of [
      "POST /tape/backup (task)",
      "POST /tape/restore (task)",
      "POST /config/tape-backup-job/{id}/run (task)",
      "POST /tape/drive/{drive}/catalog (task)",
      "GET /tape/requests",
      "GET /tape/media/list",
      "GET /tape/media/content",
      "GET /tape/media/media-sets",
      "POST /tape/media/destroy",
      "POST /tape/media/move",
      "POST /admin/datastore/{store}/sample (task)",
      "POST /admin/datastore/{store}/ingest (task)",
    ]) {
      expect(paths).toContain(p);
    }
    const restore = TAPE_ROUTES.find((r) => r.operationId === "restore")!;
    const U = "0b5b3f1e-6a3c-4d2e-9f00-1234567890ab";
    expect(restore.forward!.build({ "media-set": U, store: "a12=b12", "notify-user": "ops@pbs" }, {})).toEqual({ mediaSet: U, store: "a12=b12", notifyUser: "ops@pbs" });
    expect(() => restore.forward!.build({ "media-set": "nope", store: "a12" }, {})).toThrow(/media-set: must be a lowercase hyphenated UUID/);
    expect(() => toBusRequest(backupStartRequest, BACKUP_FIELDS, { store: "s12", pool: "p1", "latest-only": "yes" })).toThrow(/latest-only: must be a boolean/);
    expect(() => toBusRequest(backupStartRequest, BACKUP_FIELDS, { store: "s12", pool: "p1", maxDepth: 1 })).toThrow(/maxDepth: unknown field/);
    expect(() => toBusRequest(backupStartRequest, BACKUP_FIELDS, { pool: "p1" })).toThrow(/store: is required/);
  });
  it("types query parameters and names a bad one", () => {
    expect(parseQuery({ running: "1", limit: "20", x: "y" }, { running: "bool", limit: "int" })).toEqual({ running: true, limit: 20 });
    expect(() => parseQuery({ limit: "-1" }, { limit: "int" })).toThrow(/limit: must be a non-negative integer/);
    expect(() => parseQuery({ inventorize: "maybe" }, { inventorize: "bool" })).toThrow(/inventorize/);
  });
  it("joins a configured device with the online device its path names", () => {
    const l = { "host-id": "a", "grpc-address": "a:1", serial: "TFD1", path: "vtl:lib1/drive0", kind: "drive" as const, vendor: "IBM", model: "TD9", online: true, "last-seen": "x" };
    expect(withLocation({ name: "d1", path: "/dev/tape/by-id/scsi-TFD1-sg" }, [l])).toMatchObject({ name: "d1", serial: "TFD1", "host-id": "a", state: "online" });
    expect(withLocation({ name: "d2", path: "/dev/sg9" }, [l])).toEqual({ name: "d2", path: "/dev/sg9", state: "unknown" });
  });
});
