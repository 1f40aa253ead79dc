import { KEYVAULT_SUBJECTS, type KeyReleaseReply } from "@tapefleet/api-types";
import { createSecretRecipient, driveKeyContext, TapefleetError, type Bus } from "@tapefleet/common";
import { findAesGcmAlgorithm } from "@tapefleet/scsi";
import { readLabels, type MediaSetLabel } from "@tapefleet/tape-format";
import type { ScsiTape } from "./scsi-tape.ts";
import { SessionError } from "./session-error.ts";

/** Who the drive key of a media set is released for: the job (UPID) holding the drive's lease, and the drive's configured name. */
export interface KeyReleaseFor {
  job: string;
  drive: string;
}

/**
 * Where a session gets tape keys: the key vault over the bus. `driveKey`
 * answers the per-media-set drive key (32 bytes; the caller wipes it), or
 * throws a `SessionError` `key-needed` ("key FP needed") when the key vault
 * does not have the key, `key-refused` when it refuses the release.
 */
export interface TapeKeySource {
  /** The password-protected KeyConfig of a key (the `key-config` of an encrypted set label). */
  keyConfig(fingerprint: string): Promise<Record<string, unknown>>;
  driveKey(req: { fingerprint: string; mediaSetUuid: string } & KeyReleaseFor): Promise<Buffer>;
}

/** The message of a session that cannot go on without a key (the wording PBS uses). */
export function keyNeededMessage(fingerprint: string): string {
  return `key ${fingerprint} needed`;
}

function keyError(err: unknown, fingerprint: string, what: string): SessionError {
  if (err instanceof TapefleetError && err.code === "NOT_FOUND") {
    return new SessionError("key-needed", `${keyNeededMessage(fingerprint)}: the key vault does not have it (restore it from the tape with 'key restore', or import its paper key)`, { cause: err });
  }
  const reason = err instanceof TapefleetError ? `${err.code}${err.reason ? ` ${err.reason}` : ""}: ${err.message}` : (err as Error).message;
  return new SessionError("key-refused", `${what} of key ${fingerprint} failed: ${reason}`, { cause: err });
}

/**
 * The key vault over the bus. A release sends a one-time X25519 public key
 * (`recipientKey`) and opens the sealed drive key it gets back: the key is
 * never on the bus in clear, and only this process can open it.
 */
export function busKeySource(bus: Pick<Bus, "request">, options: { agent: string; timeoutMs?: number }): TapeKeySource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async keyConfig(fingerprint) {
      try {
        return await bus.request<Record<string, unknown>>(KEYVAULT_SUBJECTS.keyConfig, { fingerprint }, { timeoutMs });
      } catch (err) {
        throw keyError(err, fingerprint, "reading the key config");
      }
    },
    async driveKey(req) {
      const recipient = createSecretRecipient();
      let reply: KeyReleaseReply;
      try {
        reply = await bus.request<KeyReleaseReply>(
          KEYVAULT_SUBJECTS.release,
          { fingerprint: req.fingerprint, mediaSetUuid: req.mediaSetUuid, drive: req.drive, job: req.job, agent: options.agent, recipientKey: recipient.publicKey },
          { timeoutMs },
        );
      } catch (err) {
        throw keyError(err, req.fingerprint, "the release");
      }
      try {
        return recipient.open(reply.sealedDriveKey, driveKeyContext(req));
      } catch (err) {
        throw new SessionError("key-refused", `the released drive key of key ${req.fingerprint} does not open for media set ${req.mediaSetUuid} on drive '${req.drive}'`, { cause: err });
      }
    },
  };
}

/**
 * Loads a drive key (SSC-4 8.5.3.2 via SECURITY PROTOCOL OUT): picks the
 * AES-256-GCM algorithm from the capabilities page, sets encrypt + mixed
 * decrypt and checks the status page says mixed. @see reference §9.3
 */
export async function loadDriveKey(tape: ScsiTape, key: Uint8Array): Promise<void> {
  try {
    const algorithm = findAesGcmAlgorithm(await tape.device.encryptionCapabilities());
    if (algorithm === undefined) throw new SessionError("io", "the drive offers no AES-256-GCM encryption with a 32-byte key");
    await tape.device.setEncryptionKey(key, algorithm.index);
    const status = await tape.device.encryptionStatus();
    if (status.state !== "mixed") throw new SessionError("io", `the drive reports encryption '${status.state}' after setting the key (expected mixed)`);
  } catch (err) {
    if (err instanceof SessionError) throw err;
    throw new SessionError("io", `setting the drive encryption key: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Clears the drive key (SECURITY PROTOCOL OUT with encryption and decryption
 * off) and checks the status page says off. A drive without the encryption
 * pages has no key to clear. @see reference §9.3
 */
export async function clearDriveKey(tape: ScsiTape): Promise<void> {
  let algorithmIndex = 0;
  try {
    algorithmIndex = findAesGcmAlgorithm(await tape.device.encryptionCapabilities())?.index ?? 0;
  } catch {
    return; // no SECURITY PROTOCOL IN capabilities: the drive lacks encryption
  }
  try {
    await tape.device.setEncryptionKey(null, algorithmIndex);
    const status = await tape.device.encryptionStatus();
    if (status.state !== "off") throw new SessionError("io", `the drive reports encryption '${status.state}' after clearing the key (expected off)`);
  } catch (err) {
    if (err instanceof SessionError) throw err;
    throw new SessionError("io", `clearing the drive encryption key: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The drive key of one session: `load` releases and loads the key of a set,
 * `end` clears it (when one was loaded). Sessions call `end` in a `finally`
 * so the key leaves the drive on failure too.
 */
export class SessionKey {
  #loaded = false;
  constructor(
    private readonly tape: ScsiTape,
    private readonly keys: TapeKeySource | undefined,
    private readonly releaseFor: Partial<KeyReleaseFor>,
  ) {}

  get loaded(): boolean {
    return this.#loaded;
  }

  /** The KeyConfig of `fingerprint` for a new set label (fails early when the key vault lacks the key). */
  async keyConfig(fingerprint: string): Promise<Record<string, unknown>> {
    return this.source(fingerprint).keyConfig(fingerprint);
  }

  /** Releases the drive key of the set and loads it (mixed mode); the copy in memory is wiped. */
  async load(fingerprint: string, mediaSetUuid: string): Promise<void> {
    const keys = this.source(fingerprint);
    const { job, drive } = this.releaseFor;
    if (!job) throw new SessionError("invalid-request", `job: required to release key ${fingerprint} (the tape's media set is encrypted)`, { field: "job" });
    if (!drive) throw new SessionError("invalid-request", `drive_name: required to release key ${fingerprint} (the tape's media set is encrypted)`, { field: "drive_name" });
    const key = await keys.driveKey({ fingerprint, mediaSetUuid, job, drive });
    try {
      this.#loaded = true;
      await loadDriveKey(this.tape, key);
    } finally {
      key.fill(0);
    }
  }

  /** Reads the labels and loads the set's key when its set label carries a fingerprint. Leaves the tape after the labels. */
  async loadForLabels(): Promise<MediaSetLabel | undefined> {
    await this.tape.rewind();
    const labels = await readLabels(this.tape);
    const set = labels.kind === "blank" ? undefined : labels.mediaSetLabel;
    if (set?.encryptionKeyFingerprint !== undefined) await this.load(set.encryptionKeyFingerprint, set.uuid);
    return set;
  }

  /** Clears the key from the drive when one was loaded: checked on success, best effort after a failure. */
  async end(failed: boolean): Promise<void> {
    if (!this.#loaded) return;
    this.#loaded = false;
    if (!failed) {
      await clearDriveKey(this.tape);
      return;
    }
    await clearDriveKey(this.tape).catch(() => undefined);
  }

  private source(fingerprint: string): TapeKeySource {
    if (this.keys === undefined) throw new SessionError("key-needed", `${keyNeededMessage(fingerprint)}: this device agent has no key vault connection`);
    return this.keys;
  }
}
