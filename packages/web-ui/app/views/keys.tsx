import { ActionIcon, Button, Code, Group, Loader, Modal, PasswordInput, SegmentedControl, Stack, Switch, Table, Text, Textarea, TextInput, Title, Tooltip } from "@mantine/core";
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { splitFieldErrors, type ApiProblem } from "../../src/api-problem.ts";
import { keyCreateBody, keyImportBody, keyUpdateBody, REPEAT_FIELD, type KeyFormResult } from "../../src/key-forms.ts";
import { formatTimestamp } from "../../src/schedule-preview.ts";
import { ApiError, createKey, importKey, listKeys, paperkey, removeKey, showKey, updateKey, type Body, type KeyInfo } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";

export const KEYS_ROUTE = "/encryption-keys";

/** Fingerprints are long: the first 8 bytes in the list, the whole one on hover. */
function shortFingerprint(fp: string): string {
  return fp.length > 23 ? `${fp.slice(0, 23)}…` : fp;
}

type Form = { kind: "create" } | { kind: "import" } | { kind: "edit"; key: KeyInfo };

/**
 * One key form: its fields' values, the browser's own check (the password
 * typed twice) and the API's messages under the fields they name.
 */
function KeyForm({ form, onDone, onCancel }: { form: Form; onDone: () => void; onCancel: () => void }) {
  const [v, setV] = useState({ password: "", repeat: "", hint: form.kind === "edit" ? (form.key.hint ?? "") : "", newPassword: "", keyConfig: "" });
  const [local, setLocal] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = form.kind === "create" ? ["password", "hint"] : form.kind === "import" ? ["key-config", "password", "hint"] : ["hint", "password", "new-password"];
  const { byField, other } = problem ? splitFieldErrors(problem, fields) : { byField: {} as Record<string, string>, other: [] as string[] };
  const err = (f: string) => local[f] ?? byField[f];
  const set = (k: keyof typeof v) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setV((x) => ({ ...x, [k]: value }));
  };

  async function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(null);
    const r: KeyFormResult =
      form.kind === "create"
        ? keyCreateBody(v)
        : form.kind === "import"
          ? keyImportBody(v)
          : keyUpdateBody({ hint: v.hint, ...(form.key.hint !== undefined ? { oldHint: form.key.hint } : {}), password: v.password, newPassword: v.newPassword, repeat: v.repeat });
    if ("errors" in r) {
      setLocal(r.errors);
      return;
    }
    setLocal({});
    setBusy(true);
    try {
      const body: Body = r.body;
      if (form.kind === "create") await createKey(body);
      else if (form.kind === "import") await importKey(body);
      else await updateKey(form.key.fingerprint, body);
      onDone();
    } catch (error) {
      if (error instanceof ApiError) setProblem(error.problem);
      else throw error;
    } finally {
      setBusy(false);
    }
  }

  const title = form.kind === "create" ? "New encryption key" : form.kind === "import" ? "Import encryption key" : `Edit key ${shortFingerprint(form.key.fingerprint)}`;
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={title}>
      <Stack>
        {problem && (other.length > 0 || Object.keys(byField).length === 0) && <ProblemAlert problem={problem} other={other} />}
        {form.kind === "create" && (
          <>
            <Text size="sm">A random 256-bit key, stored wrapped by the key vault and protected by this password (needed to restore the key from its paper key).</Text>
            <PasswordInput label="Password" value={v.password} onChange={set("password")} error={err("password")} autoComplete="new-password" data-autofocus />
            <PasswordInput label="Repeat password" value={v.repeat} onChange={set("repeat")} error={err(REPEAT_FIELD)} autoComplete="new-password" />
            <TextInput label="Hint" description="Shown with the key, to remember the password" value={v.hint} onChange={set("hint")} error={err("hint")} />
          </>
        )}
        {form.kind === "import" && (
          <>
            <Textarea label="Paper key or key file" description="The text of a paper key, or the key file's JSON" value={v.keyConfig} onChange={set("keyConfig")} error={err("key-config")} autosize minRows={6} maxRows={14} styles={{ input: { fontFamily: "monospace" } }} data-autofocus />
            <PasswordInput label="Password" value={v.password} onChange={set("password")} error={err("password")} autoComplete="off" />
            <TextInput label="Hint" description="Empty: keep the key's hint" value={v.hint} onChange={set("hint")} error={err("hint")} />
          </>
        )}
        {form.kind === "edit" && (
          <>
            <TextInput label="Hint" value={v.hint} onChange={set("hint")} error={err("hint")} data-autofocus />
            <Text size="sm" c="dimmed">
              To change the password, give the current one and the new one twice; leave them empty to keep it.
            </Text>
            <PasswordInput label="Current password" value={v.password} onChange={set("password")} error={err("password")} autoComplete="current-password" />
            <PasswordInput label="New password" value={v.newPassword} onChange={set("newPassword")} error={err("new-password")} autoComplete="new-password" />
            <PasswordInput label="Repeat new password" value={v.repeat} onChange={set("repeat")} error={err(REPEAT_FIELD)} autoComplete="new-password" />
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {form.kind === "create" ? "Create key" : form.kind === "import" ? "Import key" : "Save"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The paper key: the HTML document with its QR code (printable), or the text block. */
function PaperKey({ fingerprint }: { fingerprint: string }) {
  const [format, setFormat] = useState<"html" | "text">("html");
  const [doc, setDoc] = useState<string | ApiProblem | null>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    let live = true;
    setDoc(null);
    paperkey(fingerprint, format).then(
      (d) => live && setDoc(d),
      (err: unknown) => {
        if (!(err instanceof ApiError)) throw err;
        if (live) setDoc(err.problem);
      },
    );
    return () => {
      live = false;
    };
  }, [fingerprint, format]);
  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl value={format} onChange={(f) => setFormat(f as "html" | "text")} data={[{ value: "html", label: "With QR code" }, { value: "text", label: "Text" }]} />
        {format === "html" && typeof doc === "string" && (
          <Button variant="light" onClick={() => frame.current?.contentWindow?.print()}>
            Print
          </Button>
        )}
      </Group>
      {doc === null && <Loader size="sm" aria-label="Loading" />}
      {doc !== null && typeof doc !== "string" && <ProblemAlert problem={doc} />}
      {typeof doc === "string" && format === "html" && (
        // The keyvault's document, shown as it prints (no scripts may run in it).
        <iframe ref={frame} title="Paper key" srcDoc={doc} sandbox="allow-same-origin allow-modals" data-testid="paperkey-frame" style={{ width: "100%", height: "60vh", border: "1px solid var(--mantine-color-default-border)", background: "white" }} />
      )}
      {typeof doc === "string" && format === "text" && (
        <Code block data-testid="paperkey-text">
          {doc}
        </Code>
      )}
    </Stack>
  );
}

function KeyDetails({ fingerprint }: { fingerprint: string }) {
  const [info, setInfo] = useState<KeyInfo | ApiProblem | null>(null);
  useEffect(() => {
    showKey(fingerprint).then(setInfo, (err: unknown) => {
      if (err instanceof ApiError) setInfo(err.problem);
      else throw err;
    });
  }, [fingerprint]);
  if (info === null) return <Loader size="sm" aria-label="Loading" />;
  if ("code" in info) return <ProblemAlert problem={info} />;
  const rows: [string, string][] = [
    ["Fingerprint", info.fingerprint],
    ["Hint", info.hint ?? "—"],
    ["Key derivation", info.kdf ?? "—"],
    ["Created", formatTimestamp(new Date(info.created * 1000))],
    ["Modified", info.modified !== undefined ? formatTimestamp(new Date(info.modified * 1000)) : "—"],
  ];
  return (
    <Table verticalSpacing={4} data-testid="key-details">
      <Table.Tbody>
        {rows.map(([k, val]) => (
          <Table.Tr key={k}>
            <Table.Th style={{ width: 140 }}>{k}</Table.Th>
            <Table.Td ff={k === "Fingerprint" ? "monospace" : undefined} style={{ wordBreak: "break-all" }}>{val}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Tape encryption keys: list, create, show, edit hint and password, paper key, import, remove. */
export function KeysView() {
  const [keys, setKeys] = useState<KeyInfo[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const [paper, setPaper] = useState<string | null>(null);
  const [removing, setRemoving] = useState<KeyInfo | null>(null);
  const [force, setForce] = useState(false);
  const [removeProblem, setRemoveProblem] = useState<ApiProblem | null>(null);

  const load = useCallback(async () => {
    try {
      setKeys(await listKeys());
      setProblem(null);
    } catch (err) {
      if (err instanceof ApiError) setProblem(err.problem);
      else throw err;
    }
  }, []);
  useEffect(() => void load(), [load]);

  async function remove(k: KeyInfo) {
    try {
      await removeKey(k.fingerprint, force);
      setRemoving(null);
      setRemoveProblem(null);
      await load();
    } catch (err) {
      if (err instanceof ApiError) setRemoveProblem(err.problem);
      else throw err;
    }
  }

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Encryption Keys</Title>
        <Group gap="sm">
          <Button variant="default" onClick={() => setForm({ kind: "import" })}>
            Import key
          </Button>
          <Button onClick={() => setForm({ kind: "create" })}>Add key</Button>
        </Group>
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {keys === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {keys !== null && keys.length === 0 && <Text c="dimmed" data-testid="empty">No encryption keys yet.</Text>}
      {keys !== null && keys.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Encryption keys" data-testid="keys">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Fingerprint</Table.Th>
                <Table.Th>Hint</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.map((k) => (
                <Table.Tr key={k.fingerprint} data-fingerprint={k.fingerprint}>
                  <Table.Td ff="monospace" title={k.fingerprint}>{shortFingerprint(k.fingerprint)}</Table.Td>
                  <Table.Td>{k.hint ?? <Text c="dimmed" size="sm">—</Text>}</Table.Td>
                  <Table.Td ff="monospace">{formatTimestamp(new Date(k.created * 1000))}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap" justify="flex-end">
                      <Button size="compact-xs" variant="subtle" onClick={() => setShowing(k.fingerprint)} aria-label={`Show ${k.fingerprint}`}>
                        Show
                      </Button>
                      <Button size="compact-xs" variant="subtle" onClick={() => setPaper(k.fingerprint)} aria-label={`Paper key ${k.fingerprint}`}>
                        Paper key
                      </Button>
                      <Button size="compact-xs" variant="subtle" onClick={() => setForm({ kind: "edit", key: k })} aria-label={`Edit ${k.fingerprint}`}>
                        Edit
                      </Button>
                      <Tooltip label="Remove">
                        <ActionIcon variant="subtle" color="red" aria-label={`Remove ${k.fingerprint}`} onClick={() => { setForce(false); setRemoving(k); }}>
                          ×
                        </ActionIcon>
                      </Tooltip>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <Modal opened={form !== null} onClose={() => setForm(null)} title={form?.kind === "create" ? "New encryption key" : form?.kind === "import" ? "Import encryption key" : "Edit encryption key"} size="lg">
        {form !== null && (
          <KeyForm
            form={form}
            onCancel={() => setForm(null)}
            onDone={() => {
              setForm(null);
              void load();
            }}
          />
        )}
      </Modal>
      <Modal opened={showing !== null} onClose={() => setShowing(null)} title="Encryption key" size="lg">
        {showing !== null && <KeyDetails fingerprint={showing} />}
      </Modal>
      <Modal opened={paper !== null} onClose={() => setPaper(null)} title="Paper key" size="xl">
        {paper !== null && <PaperKey fingerprint={paper} />}
      </Modal>
      <Modal opened={removing !== null} onClose={() => { setRemoving(null); setRemoveProblem(null); }} title="Remove encryption key">
        {removing !== null && (
          <Stack>
            {removeProblem && <ProblemAlert problem={removeProblem} title="The key was not removed" />}
            <Text>
              Remove key <Code>{shortFingerprint(removing.fingerprint)}</Code>? Tapes written with it can only be read again after importing its paper key.
            </Text>
            <Switch label="Even if a media pool encrypts with it" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => { setRemoving(null); setRemoveProblem(null); }}>
                Cancel
              </Button>
              <Button color="red" onClick={() => void remove(removing)}>
                Remove
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
