import {
  keyCreateRequest,
  keyFingerprintRequest,
  keyImportRequest,
  keyPaperkeyRequest,
  keyRemoveRequest,
  keyRestoreRequest,
  keyUpdateRequest,
  KEYVAULT_SUBJECTS,
  type KeyListEntry,
  type KeyPaperkeyReply,
  type KeyShowReply,
} from "@tapefleet/api-types";
import { toBusRequest } from "./job-routes.ts";
import type { TapeRoute } from "./tape-routes.ts";

type BodyField = NonNullable<TapeRoute["body"]>[string];
type FieldMap = Parameters<typeof toBusRequest>[1];

const str = (description: string, required = false): BodyField => ({ type: "string", description, ...(required ? { required } : {}) });

const BASE = "/config/tape-encryption-keys";
const ITEM = `${BASE}/{fingerprint}`;

/** HTTP (PBS kebab-case) → keyvault request fields. Passwords are body fields only: never in a URL, so never in the request log. */
const CREATE_FIELDS: FieldMap = {
  hint: { bus: "hint", field: str("Password hint (1-64 characters).") },
  password: { bus: "password", field: str("Password protecting the key file (at least 5 bytes).", true) },
};
const UPDATE_FIELDS: FieldMap = {
  hint: { bus: "hint", field: str("New password hint.") },
  password: { bus: "oldPassword", field: str("Current password (with new-password).") },
  "new-password": { bus: "newPassword", field: str("New password (with password).") },
};
const IMPORT_FIELDS: FieldMap = {
  "key-config": { bus: "keyConfig", field: str("Paper key text or KeyConfig JSON (text or object).", true) },
  password: { bus: "password", field: str("Password of the key file.", true) },
  hint: { bus: "hint", field: str("Replace the password hint.") },
};

const RESTORE_FIELDS: FieldMap = {
  password: { bus: "password", field: str("Password of the key config on the tape.", true) },
  hint: { bus: "hint", field: str("Replace the password hint.") },
};

const bodyOf = (fields: FieldMap) => Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.field]));

/**
 * Tape encryption keys (PBS `/config/tape-encryption-keys`), forwarded to the
 * keyvault. Reads need a token, changes the admin role (the gateway's write
 * rule). Replies never carry a key or a password.
 */
export const KEY_ROUTES: readonly TapeRoute[] = [
  {
    method: "POST",
    path: "/tape/drive/{drive}/restore-key",
    operationId: "restoreTapeEncryptionKey",
    summary: "Restore a key from the media set label of the tape in a drive (read without the key, opened with the password); returns its fingerprint",
    tag: "tape-drives",
    long: true,
    body: bodyOf(RESTORE_FIELDS),
    forward: {
      subject: KEYVAULT_SUBJECTS.restore,
      build: (input, params) => toBusRequest(keyRestoreRequest, RESTORE_FIELDS, input, { drive: params["drive"] }),
      map: (data) => (data as KeyShowReply).fingerprint,
    },
  },
  {
    method: "GET",
    path: BASE,
    operationId: "listTapeEncryptionKeys",
    summary: "Tape encryption keys (fingerprint, hint, created)",
    tag: "tape-media",
    forward: { subject: KEYVAULT_SUBJECTS.list, build: () => ({}) },
  },
  {
    method: "POST",
    path: BASE,
    operationId: "createTapeEncryptionKey",
    summary: "Create a random tape encryption key protected by a password; returns its fingerprint",
    tag: "tape-media",
    body: bodyOf(CREATE_FIELDS),
    forward: {
      subject: KEYVAULT_SUBJECTS.create,
      build: (input) => toBusRequest(keyCreateRequest, CREATE_FIELDS, input),
      map: (data) => (data as KeyListEntry).fingerprint,
    },
  },
  {
    method: "POST",
    path: `${BASE}/import`,
    operationId: "importTapeEncryptionKey",
    summary: "Import a key from a paper key or KeyConfig JSON (the password must open it)",
    tag: "tape-media",
    body: bodyOf(IMPORT_FIELDS),
    forward: { subject: KEYVAULT_SUBJECTS.import, build: (input) => toBusRequest(keyImportRequest, IMPORT_FIELDS, input) },
  },
  {
    method: "GET",
    path: ITEM,
    operationId: "readTapeEncryptionKey",
    summary: "A tape encryption key: kdf, created, modified, fingerprint, hint",
    tag: "tape-media",
    forward: { subject: KEYVAULT_SUBJECTS.show, build: (input, params) => toBusRequest(keyFingerprintRequest, {}, input, { fingerprint: params["fingerprint"] }) },
  },
  {
    method: "PUT",
    path: ITEM,
    operationId: "updateTapeEncryptionKey",
    summary: "Change the hint and/or the password of a key",
    tag: "tape-media",
    body: bodyOf(UPDATE_FIELDS),
    forward: { subject: KEYVAULT_SUBJECTS.update, build: (input, params) => toBusRequest(keyUpdateRequest, UPDATE_FIELDS, input, { fingerprint: params["fingerprint"] }) },
  },
  {
    method: "DELETE",
    path: ITEM,
    operationId: "removeTapeEncryptionKey",
    summary: "Remove a key (refused while a media pool encrypts with it, unless force)",
    tag: "tape-media",
    query: { force: "bool" },
    forward: {
      subject: KEYVAULT_SUBJECTS.remove,
      build: (input, params) => toBusRequest(keyRemoveRequest, { force: { bus: "force", field: { type: "boolean", description: "Remove even if in use." } } }, input, { fingerprint: params["fingerprint"] }),
      map: () => null,
    },
  },
  {
    method: "GET",
    path: `${ITEM}/paperkey`,
    operationId: "tapeEncryptionKeyPaperkey",
    summary: "Paper key of a key (text, or html with an SVG QR code)",
    tag: "tape-media",
    query: { "output-format": "string" },
    forward: {
      subject: KEYVAULT_SUBJECTS.paperkey,
      build: (input, params) =>
        toBusRequest(keyPaperkeyRequest, { "output-format": { bus: "format", field: str("text or html.") } }, input, { fingerprint: params["fingerprint"] }),
      map: (data) => (data as KeyPaperkeyReply).document,
    },
  },
];
