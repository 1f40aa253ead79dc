import type { Logger } from "@tapefleet/common";
import { createTransport, type Transporter } from "nodemailer";

/** Event type (JetStream `events.<type>`) of every notification. */
export const NOTIFICATION_EVENT = "scheduler.notification";

/** A notification as published on NATS. */
export interface NotificationEvent {
  user: string;
  /** Mail address it was sent to; absent when the user has none configured. */
  to?: string;
  subject: string;
  text: string;
}

export interface NotifierOptions {
  smtp?: { host: string; port: number; from: string; tls: boolean };
  /** User id → mail address. */
  addresses: Record<string, string>;
  /** Publishes the notification event (JetStream). */
  publish: (e: NotificationEvent) => Promise<void>;
  logger: Logger;
}

/**
 * `notify-user` of jobs (PBS): a mail to the user's address over SMTP (plain
 * by default, STARTTLS/TLS when `tls`) on tape requests, errors and job
 * results, and always an event on NATS. A failing mail server is logged and
 * never fails the job.
 */
export class Notifier {
  private readonly transport: Transporter | undefined;

  constructor(private readonly opts: NotifierOptions) {
    const s = opts.smtp;
    this.transport = s ? createTransport({ host: s.host, port: s.port, secure: s.tls, ignoreTLS: !s.tls, tls: { rejectUnauthorized: s.tls } }) : undefined;
  }

  async notify(user: string, subject: string, text: string): Promise<void> {
    const to = this.opts.addresses[user];
    const event: NotificationEvent = { user, subject, text, ...(to !== undefined ? { to } : {}) };
    await this.opts.publish(event).catch((err: unknown) => this.opts.logger.warn({ err, user, subject }, "cannot publish the notification event"));
    if (!this.transport || to === undefined) return;
    try {
      await this.transport.sendMail({ from: this.opts.smtp!.from, to, subject: `tapefleet: ${subject}`, text });
    } catch (err) {
      this.opts.logger.warn({ err, user, to, subject }, "cannot send the notification mail");
    }
  }

  close(): void {
    this.transport?.close();
  }
}
