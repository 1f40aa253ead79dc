import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  AckPolicy,
  DeliverPolicy,
  headers as natsHeaders,
  type NatsConnection,
  type Subscription,
  type JetStreamClient,
  type JetStreamManager,
  type ConsumerMessages,
  type ConnectionOptions,
} from "nats";
import { ConfigError, errorFromJson, TapefleetError, TimeoutError, toPublicError, UnavailableError, type FieldError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { readTlsFiles } from "./tls.ts";

/**
 * The event envelope every service publishes (proto3 JSON form of
 * `tapefleet.events.v1.Envelope`).
 */
export interface EventEnvelope<T = unknown> {
  id: string;
  /** Dotted event type, e.g. `inventory.pool.created`. */
  type: string;
  /** Service and instance that published it. */
  source: string;
  /** RFC 3339 time. */
  time: string;
  /** The entity the event is about (e.g. the pool name). */
  subject: string;
  correlationId?: string;
  data: T;
}

export type BusOptions = {
  url: string;
  /** Prefix of every subject and stream (isolates stacks and test runs). */
  prefix: string;
  name: string;
  logger: Logger;
} & NatsSecurity;

/**
 * How a client proves who it is to NATS and checks the server: at most one of
 * user/password, token and creds file; TLS with a private CA and a client
 * certificate. Every field optional: none of them is plaintext without
 * authentication (a server that requires TLS is still met with TLS, checked
 * against the system CAs).
 */
export interface NatsSecurity {
  user?: string | undefined;
  password?: string | undefined;
  /** Authentication token (`authorization { token: … }` on the server). */
  token?: string | undefined;
  /** `.creds` file: user JWT and nkey seed (decentralized auth, `nsc`). */
  credsFile?: string | undefined;
  /** CA bundle file (PEM); setting it turns TLS on. */
  tlsCaFile?: string | undefined;
  /** Client certificate and key files (PEM), for servers with `verify: true`. */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
}

/** The NATS security settings of a service configuration (see `baseConfigShape`). */
export function natsSecurityOf(cfg: {
  natsUser?: string | undefined;
  natsPassword?: string | undefined;
  natsToken?: string | undefined;
  natsCredsFile?: string | undefined;
  natsTlsCa?: string | undefined;
  natsTlsCert?: string | undefined;
  natsTlsKey?: string | undefined;
}): NatsSecurity {
  return {
    user: cfg.natsUser,
    password: cfg.natsPassword,
    token: cfg.natsToken,
    credsFile: cfg.natsCredsFile,
    tlsCaFile: cfg.natsTlsCa,
    tlsCertFile: cfg.natsTlsCert,
    tlsKeyFile: cfg.natsTlsKey,
  };
}

/**
 * The connection options of {@link NatsSecurity} for `nats.connect`: files
 * are read here (at boot), contradictions (two ways to authenticate, a
 * password without a user, a certificate without its key) are rejected with a
 * {@link ConfigError} naming the settings.
 */
export function natsConnectionOptions(sec: NatsSecurity): Partial<ConnectionOptions> {
  const errors: FieldError[] = [];
  const ways = [
    sec.user !== undefined && sec.user !== "" ? "TAPEFLEET_NATS_USER" : undefined,
    sec.token !== undefined ? "TAPEFLEET_NATS_TOKEN" : undefined,
    sec.credsFile !== undefined ? "TAPEFLEET_NATS_CREDS_FILE" : undefined,
  ].filter((w): w is string => w !== undefined);
  if (ways.length > 1) errors.push({ field: ways[1]!, message: `set only one way to authenticate to NATS (${ways.join(", ")} are set)` });
  if (sec.password !== undefined && sec.password !== "" && (sec.user === undefined || sec.user === "")) {
    errors.push({ field: "TAPEFLEET_NATS_PASSWORD", message: "is set without TAPEFLEET_NATS_USER" });
  }
  const out: Partial<ConnectionOptions> = {};
  if (sec.credsFile !== undefined) {
    try {
      const creds = readFileSync(sec.credsFile);
      if (!creds.toString("latin1").includes("-----BEGIN NATS USER JWT-----")) {
        errors.push({ field: "TAPEFLEET_NATS_CREDS_FILE", message: `${sec.credsFile} is not a NATS creds file (no user JWT)` });
      } else out.authenticator = credsAuthenticator(new Uint8Array(creds));
    } catch (err) {
      errors.push({ field: "TAPEFLEET_NATS_CREDS_FILE", message: `cannot read ${sec.credsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
  }
  if (errors.length > 0) throw new ConfigError(errors);
  if (sec.user !== undefined && sec.user !== "") {
    out.user = sec.user;
    out.pass = sec.password ?? "";
  }
  if (sec.token !== undefined) out.token = sec.token;
  const file = (f: string | undefined, setting: string) => (f === undefined ? undefined : { file: f, setting });
  const tls = readTlsFiles({
    ca: file(sec.tlsCaFile, "TAPEFLEET_NATS_TLS_CA"),
    cert: file(sec.tlsCertFile, "TAPEFLEET_NATS_TLS_CERT"),
    key: file(sec.tlsKeyFile, "TAPEFLEET_NATS_TLS_KEY"),
  });
  if (tls.ca !== undefined || tls.cert !== undefined) {
    out.tls = {
      ...(tls.ca !== undefined ? { ca: tls.ca.toString("utf8") } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert.toString("utf8"), key: tls.key!.toString("utf8") } : {}),
    };
  }
  return out;
}

const codec = JSONCodec<unknown>();

type Reply = { ok: true; data: unknown } | { ok: false; error: unknown };

export type RequestHandler = (payload: unknown, meta: { subject: string; requestId: string }) => Promise<unknown>;

/**
 * NATS request/reply and JetStream events with JSON payloads, all subjects
 * under one prefix. Handler errors travel as typed error replies, so a caller
 * gets the same `TapefleetError` (code, fields) the handler threw.
 */
export class Bus {
  readonly prefix: string;
  readonly source: string;
  private subs: Subscription[] = [];
  private consumers: ConsumerMessages[] = [];
  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly logger: Logger,
    opts: BusOptions,
  ) {
    this.prefix = opts.prefix;
    this.source = opts.name;
  }

  static async connect(opts: BusOptions): Promise<Bus> {
    const security = natsConnectionOptions(opts);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.url,
        name: opts.name,
        ...security,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
      });
    } catch (err) {
      throw new UnavailableError(`cannot connect to NATS at ${opts.url}: ${(err as Error).message}`, err);
    }
    const jsm = await nc.jetstreamManager();
    return new Bus(nc, nc.jetstream(), jsm, opts.logger, opts);
  }

  /** Full subject for a relative one: `inventory.pool.list` → `<prefix>.inventory.pool.list`. */
  subject(rel: string): string {
    return `${this.prefix}.${rel}`;
  }

  /** Name of a JetStream stream under this prefix (stream names allow no dots). */
  streamName(rel: string): string {
    return `${this.prefix}_${rel}`.replace(/[^A-Za-z0-9_-]/g, "_").toUpperCase();
  }

  get connected(): boolean {
    return !this.nc.isClosed();
  }

  /** Serve a request/reply subject (queue group: one instance answers). */
  serve(rel: string, handler: RequestHandler, opts: { queue?: string } = {}): void {
    const subject = this.subject(rel);
    const sub = this.nc.subscribe(subject, opts.queue ? { queue: opts.queue } : {});
    this.subs.push(sub);
    void (async () => {
      for await (const msg of sub) {
        const requestId = msg.headers?.get("request-id") || randomUUID();
        let reply: Reply;
        try {
          const payload = msg.data.length > 0 ? codec.decode(msg.data) : undefined;
          reply = { ok: true, data: await handler(payload, { subject: msg.subject, requestId }) };
        } catch (err) {
          const pub = toPublicError(err, requestId);
          if (!(err instanceof TapefleetError)) this.logger.error({ err, subject: msg.subject, requestId }, "request handler failed");
          reply = { ok: false, error: pub.toJSON() };
        }
        if (msg.reply) msg.respond(codec.encode(reply));
      }
    })();
  }

  /** Send a request and return the reply data, or throw the typed error the handler threw. */
  async request<T = unknown>(rel: string, payload?: unknown, opts: { timeoutMs?: number; requestId?: string } = {}): Promise<T> {
    const h = natsHeaders();
    h.set("request-id", opts.requestId ?? randomUUID());
    let msg;
    try {
      msg = await this.nc.request(this.subject(rel), payload === undefined ? new Uint8Array() : codec.encode(payload), {
        timeout: opts.timeoutMs ?? 10_000,
        headers: h,
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "503") throw new UnavailableError(`no service answers '${rel}'`, err);
      if (code === "TIMEOUT") throw new TimeoutError(`no reply to '${rel}' in time`, err);
      throw new UnavailableError(`request '${rel}' failed: ${(err as Error).message}`, err);
    }
    const reply = codec.decode(msg.data) as Reply;
    if (reply.ok) return reply.data as T;
    throw errorFromJson(reply.error);
  }

  /**
   * Scatter-gather: publish a request and collect every reply that arrives
   * before the deadline (e.g. all agents of the fleet answering a scan).
   */
  async gather<T = unknown>(rel: string, payload: unknown, deadlineMs: number): Promise<T[]> {
    const inbox = `_INBOX.${randomUUID()}`;
    const sub = this.nc.subscribe(inbox);
    const out: T[] = [];
    const timer = setTimeout(() => sub.unsubscribe(), deadlineMs);
    this.nc.publish(this.subject(rel), codec.encode(payload ?? null), { reply: inbox });
    for await (const msg of sub) {
      const reply = codec.decode(msg.data) as Reply;
      if (reply.ok) out.push(reply.data as T);
    }
    clearTimeout(timer);
    return out;
  }

  /** Create or update a JetStream stream capturing `<prefix>.<rel subjects>`. */
  async ensureStream(rel: string, subjects: string[], opts: { maxAgeMs?: number } = {}): Promise<string> {
    const name = this.streamName(rel);
    const cfg = {
      name,
      subjects: subjects.map((s) => this.subject(s)),
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: (opts.maxAgeMs ?? 30 * 24 * 3600_000) * 1_000_000,
    };
    try {
      await this.jsm.streams.info(name);
      await this.jsm.streams.update(name, cfg);
    } catch (err) {
      if ((err as { code?: string }).code === "404" || /not found/i.test((err as Error).message)) {
        try {
          await this.jsm.streams.add(cfg);
        } catch (addErr) {
          // Another instance created it between our info and add: fine.
          if (!/already in use|exists/i.test((addErr as Error).message)) throw addErr;
        }
      } else throw err;
    }
    return name;
  }

  /** Publish an event on JetStream (acknowledged by the server: durable when this resolves). */
  async publishEvent<T>(type: string, subject: string, data: T, opts: { correlationId?: string } = {}): Promise<EventEnvelope<T>> {
    const env: EventEnvelope<T> = {
      id: randomUUID(),
      type,
      source: this.source,
      time: new Date().toISOString(),
      subject,
      data,
      ...(opts.correlationId ? { correlationId: opts.correlationId } : {}),
    };
    await this.js.publish(this.subject(`events.${type}`), codec.encode(env), { msgID: env.id });
    return env;
  }

  /** Plain (non-durable) publish, e.g. heartbeats. */
  publish(rel: string, data: unknown): void {
    this.nc.publish(this.subject(rel), codec.encode(data));
  }

  /** Subscribe to plain messages (non-durable). */
  subscribe(rel: string, handler: (data: unknown, subject: string) => void): void {
    const sub = this.nc.subscribe(this.subject(rel));
    this.subs.push(sub);
    void (async () => {
      for await (const msg of sub) {
        try {
          handler(codec.decode(msg.data), msg.subject);
        } catch (err) {
          this.logger.error({ err, subject: msg.subject }, "subscriber failed");
        }
      }
    })();
  }

  /**
   * Consume events from a stream with a durable consumer (at-least-once; the
   * handler must be idempotent). Messages are acked after the handler resolves.
   */
  async consumeEvents(
    streamRel: string,
    durable: string,
    filterRel: string,
    handler: (env: EventEnvelope) => Promise<void>,
    opts: { deliverAll?: boolean } = {},
  ): Promise<void> {
    const stream = this.streamName(streamRel);
    try {
      await this.jsm.consumers.info(stream, durable);
    } catch {
      await this.jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: opts.deliverAll === false ? DeliverPolicy.New : DeliverPolicy.All,
        filter_subject: this.subject(filterRel),
      });
    }
    const consumer = await this.js.consumers.get(stream, durable);
    const messages = await consumer.consume();
    this.consumers.push(messages);
    void (async () => {
      for await (const m of messages) {
        try {
          await handler(codec.decode(m.data) as EventEnvelope);
          m.ack();
        } catch (err) {
          this.logger.error({ err, subject: m.subject }, "event handler failed; will be redelivered");
          m.nak(1000);
        }
      }
    })();
  }

  async close(): Promise<void> {
    for (const c of this.consumers) c.stop();
    for (const s of this.subs) s.unsubscribe();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}
