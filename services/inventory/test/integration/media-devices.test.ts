import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AGENT_HEARTBEAT_SUBJECT,
  DEVICE_SCAN_SUBJECT,
  deviceLocationSubject,
  inventorySubject,
  mediaSubject,
  type DeviceLocation,
  type MediaEntry,
} from "@tapefleet/api-types";
import { Bus, createLogger, TapefleetError } from "@tapefleet/common";
import { provisionTestEnv, type TestEnv } from "@tapefleet/testkit";
import { inventoryConfigSchema, startInventory, type RunningInventory } from "../../src/index.ts";

const logger = createLogger({ service: "inventory-test", level: "silent" });
let env: TestEnv;
let inv: RunningInventory;
let bus: Bus;

const U1 = "0e6f5c3a-9f1d-4e2b-8a7c-000000000001";
const U2 = "0e6f5c3a-9f1d-4e2b-8a7c-000000000002";
const U3 = "0e6f5c3a-9f1d-4e2b-8a7c-000000000003";

const rejected = async (p: Promise<unknown>): Promise<TapefleetError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TapefleetError);
  return err as TapefleetError;
};

beforeAll(async () => {
  env = await provisionTestEnv("invmedia");
  const config = inventoryConfigSchema.parse({
    databaseUrl: env.databaseUrl,
    natsUrl: env.natsUrl,
    natsPrefix: env.natsPrefix,
    logLevel: "silent",
    deviceOfflineMs: 1000,
    scanDeadlineMs: 300,
  });
  inv = await startInventory(config, { logger, installSignalHandlers: false });
  bus = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "inventory-media-test", logger });
});

afterAll(async () => {
  await bus?.close();
  await inv?.stop();
  await env?.cleanup();
});

describe("media inventory over NATS", () => {
  it("registers labelled media, refuses a duplicate label text, finds by uuid and label", async () => {
    const e = await bus.request<MediaEntry>(mediaSubject("register"), { uuid: U1, "label-text": "TF0001L9", ctime: 1700000000, pool: "daily" });
    expect(e).toEqual({ uuid: U1, "label-text": "TF0001L9", ctime: 1700000000, pool: "daily", status: "unknown", location: "offline", worm: false });
    const dup = await rejected(bus.request(mediaSubject("register"), { uuid: U2, "label-text": "TF0001L9", ctime: 1700000001 }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.fields?.[0]?.field).toBe("label-text");
    const cln = await rejected(bus.request(mediaSubject("register"), { uuid: U2, "label-text": "CLN001L1", ctime: 1 }));
    expect(cln.code).toBe("VALIDATION");
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { "label-text": "TF0001L9" })).uuid).toBe(U1);
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { uuid: U1 }))["label-text"]).toBe("TF0001L9");
    expect((await rejected(bus.request(mediaSubject("get"), { uuid: U3 }))).code).toBe("NOT_FOUND");
    expect((await rejected(bus.request(mediaSubject("get"), { uuid: "nope" }))).message).toMatch(/uuid/);
  });

  it("updates status and location, and refreshes online media from a changer's tags", async () => {
    await bus.request(mediaSubject("register"), { uuid: U2, "label-text": "TF0002L9", ctime: 1700000100 });
    await bus.request(mediaSubject("register"), { uuid: U3, "label-text": "TF0003L9", ctime: 1700000200, location: "vault-safe1" });
    const full = await bus.request<MediaEntry>(mediaSubject("update"), { uuid: U2, status: "full" });
    expect(full.status).toBe("full");
    expect((await bus.request<MediaEntry>(mediaSubject("update"), { uuid: U2, status: "unknown" })).status).toBe("unknown");
    const changed = await bus.request<MediaEntry[]>(mediaSubject("set-online"), { changer: "lib1", "label-texts": ["TF0001L9", "TF0002L9", "CLN001L1", "NEW001L9"] });
    expect(changed.map((m) => m["label-text"]).sort()).toEqual(["TF0001L9", "TF0002L9"]);
    const online = await bus.request<MediaEntry[]>(mediaSubject("list"), { location: "online-lib1" });
    expect(online.map((m) => m["label-text"])).toEqual(["TF0001L9", "TF0002L9"]);
    await bus.request(mediaSubject("set-online"), { changer: "lib1", "label-texts": ["TF0002L9"] });
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { uuid: U1 })).location).toBe("offline");
    expect((await bus.request<MediaEntry>(mediaSubject("get"), { uuid: U3 })).location).toBe("vault-safe1");
    expect((await bus.request<MediaEntry[]>(mediaSubject("list"), { pool: "daily" })).map((m) => m.uuid)).toEqual([U1]);
    const removed = await bus.request<MediaEntry>(mediaSubject("remove"), { "label-text": "TF0003L9" });
    expect(removed.uuid).toBe(U3);
    expect((await bus.request<MediaEntry[]>(mediaSubject("list"), {})).length).toBe(2);
  });
});

describe("device locations", () => {
  it("records scan answers, follows heartbeats, and takes a silent agent's devices and media offline", async () => {
    await bus.request(inventorySubject("changer", "create"), { name: "lib1", path: "/dev/tape/by-id/scsi-TFC0000001" });
    const agent = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "fake-agent", logger });
    const answer = {
      hostId: "host-a",
      grpcAddress: "127.0.0.1:18008",
      devices: [
        { serial: "TFC0000001", path: "vtl:lib1/changer", kind: "changer", vendor: "TAPEFLT", model: "VLIB", online: true },
        { serial: "TFD9000001", path: "vtl:lib1/drive0", kind: "drive", vendor: "IBM", model: "ULT3580-TD9", generation: "LTO-9", online: true },
      ],
    };
    agent.serve(DEVICE_SCAN_SUBJECT, async () => answer);
    try {
      const listed = await bus.request<DeviceLocation[]>(deviceLocationSubject("scan"), {});
      expect(listed.map((d) => [d.kind, d.serial, d["host-id"], d["grpc-address"], d.online])).toEqual([
        ["changer", "TFC0000001", "host-a", "127.0.0.1:18008", true],
        ["drive", "TFD9000001", "host-a", "127.0.0.1:18008", true],
      ]);
      expect((await bus.request<DeviceLocation[]>(deviceLocationSubject("list"), { kind: "drive" }))[0]?.generation).toBe("LTO-9");
      await bus.request(mediaSubject("set-online"), { changer: "lib1", "label-texts": ["TF0001L9"] });

      // Heartbeats keep the host alive past the offline threshold.
      const beat = () => agent.publish(AGENT_HEARTBEAT_SUBJECT, { service: "device-agent", info: { hostId: "host-a", grpcAddress: "127.0.0.1:18008", devices: "vtl" } });
      for (let i = 0; i < 6; i++) {
        beat();
        await new Promise((r) => setTimeout(r, 250));
      }
      expect((await bus.request<DeviceLocation[]>(deviceLocationSubject("list"), { online: true })).length).toBe(2);
      // Silence: the sweep takes the host offline, and the media online in its changer.
      let online = 2;
      for (let i = 0; i < 100 && online > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        online = (await bus.request<DeviceLocation[]>(deviceLocationSubject("list"), { online: true })).length;
      }
      expect(online).toBe(0);
      let loc = "";
      for (let i = 0; i < 50 && loc !== "offline"; i++) {
        loc = (await bus.request<MediaEntry>(mediaSubject("get"), { "label-text": "TF0001L9" })).location;
        if (loc !== "offline") await new Promise((r) => setTimeout(r, 100));
      }
      expect(loc).toBe("offline");
      // The agent comes back: its next heartbeat triggers a scan and the devices are online again.
      beat();
      for (let i = 0; i < 100 && online < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        online = (await bus.request<DeviceLocation[]>(deviceLocationSubject("list"), { online: true })).length;
      }
      expect(online).toBe(2);
    } finally {
      await agent.close();
    }
  });

  it("stores devices listed in heartbeats, and restores rows another replica's sweep took offline", async () => {
    const agent = await Bus.connect({ url: env.natsUrl, prefix: env.natsPrefix, name: "fake-agent-c", logger });
    const devices = [{ serial: "TFD7000003", path: "vtl:tape0", kind: "drive", vendor: "IBM", model: "ULT3580-TD7", online: true, revision: "x", virtual: true }];
    const beat = () => agent.publish(AGENT_HEARTBEAT_SUBJECT, { service: "device-agent", info: { hostId: "host-c", grpcAddress: "127.0.0.1:18009", devices } });
    const onlineC = async () => (await bus.request<DeviceLocation[]>(deviceLocationSubject("list"), { online: true })).filter((d) => d["host-id"] === "host-c").length;
    try {
      beat();
      let n = 0;
      for (let i = 0; i < 50 && n === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        n = await onlineC();
      }
      expect(n).toBe(1);
      await inv.service.database!.sql`update inventory.device_location set online = false where host_id = 'host-c'`;
      expect(await onlineC()).toBe(0);
      n = 0;
      beat();
      for (let i = 0; i < 50 && n === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        n = await onlineC();
      }
      expect(n).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
