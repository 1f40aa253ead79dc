import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@tapefleet/common";
import { Notifier, type NotificationEvent } from "../../src/index.ts";

const logger = createLogger({ service: "sched-notify-test", level: "silent" });
const received: { from: string; to: string[]; body: string }[] = [];
let server: SMTPServer;
let port: number;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on("data", (b: Buffer) => parts.push(b));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(parts).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("notifications", () => {
  it("mails the user's address over plain SMTP and publishes every notification as an event", async () => {
    const events: NotificationEvent[] = [];
    const n = new Notifier({
      smtp: { host: "127.0.0.1", port, from: "tapefleet@example.test", tls: false },
      addresses: { "admin@pam": "admin@example.test" },
      publish: async (e) => void events.push(e),
      logger,
    });
    await n.notify("admin@pam", "Tape request for backup UPID:x", "insert a writable tape of pool 'daily'");
    await n.notify("nobody@pam", "Tape backup of 'store1' OK", "done");
    n.close();
    expect(received).toHaveLength(1);
    expect(received[0]!.from).toBe("tapefleet@example.test");
    expect(received[0]!.to).toEqual(["admin@example.test"]);
    expect(received[0]!.body).toContain("Subject: tapefleet: Tape request for backup UPID:x");
    expect(received[0]!.body).toContain("insert a writable tape of pool 'daily'");
    expect(events).toEqual([
      { user: "admin@pam", to: "admin@example.test", subject: "Tape request for backup UPID:x", text: "insert a writable tape of pool 'daily'" },
      { user: "nobody@pam", subject: "Tape backup of 'store1' OK", text: "done" },
    ]);
  });

  it("a mail server that is down is logged, the event still goes out", async () => {
    const events: NotificationEvent[] = [];
    const n = new Notifier({ smtp: { host: "127.0.0.1", port: 9, from: "t@example.test", tls: false }, addresses: { u: "u@example.test" }, publish: async (e) => void events.push(e), logger });
    await n.notify("u", "job failed", "medium error");
    n.close();
    expect(events.map((e) => e.subject)).toEqual(["job failed"]);
  });
});
