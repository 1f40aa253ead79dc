import { ActionIcon, Badge, Button, Group, Loader, Modal, Stack, Table, Text, Title, Tooltip, VisuallyHidden } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { FORM_SPECS, type ConfigKind, type Entry, type FormSpec } from "../../src/config-forms.ts";
import { formatRun, previewSchedule } from "../../src/schedule-preview.ts";
import { ApiError, getConfig, listConfig, removeConfig, runBackupJob } from "../api.ts";
import { EntryForm } from "../components/entry-form.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { navigate } from "../router.ts";
import { taskRoute } from "./tasks.tsx";

/** Kinds whose names a form of `spec` suggests. */
function referencedKinds(spec: FormSpec): ConfigKind[] {
  return [...new Set(spec.fields.flatMap((f) => (f.suggest ? [f.suggest] : [])))];
}

function cell(spec: FormSpec, key: string, entry: Entry) {
  const v = entry[key];
  if (v === undefined || v === null || v === "") return <Text c="dimmed" size="sm">—</Text>;
  if (typeof v === "boolean") return v ? <Badge variant="light">yes</Badge> : <Text size="sm">no</Text>;
  if (Array.isArray(v)) return v.join(", ");
  if (spec.kind === "tape-backup-job" && key === "schedule" && typeof v === "string") {
    const p = previewSchedule(v, new Date(), { count: 1 });
    return (
      <Stack gap={0}>
        <Text size="sm" ff="monospace">{v}</Text>
        {p.kind === "runs" && <Text size="xs" c="dimmed">next {formatRun(p.runs[0]!)}</Text>}
      </Stack>
    );
  }
  return <Text size="sm" ff={key === "path" || key === "encrypt" ? "monospace" : undefined} style={{ wordBreak: "break-all" }}>{String(v)}</Text>;
}

function EditIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z" />
    </svg>
  );
}

function PlayIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M7 4l13 8-13 8z" />
    </svg>
  );
}

function TrashIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14" />
    </svg>
  );
}

/** List of one kind of configuration entry, with create, edit and remove. */
export function ConfigPage({ kind }: { kind: ConfigKind }) {
  const spec = FORM_SPECS[kind];
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [suggestions, setSuggestions] = useState<Partial<Record<ConfigKind, string[]>>>({});
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [form, setForm] = useState<{ editing?: { entry: Entry; digest?: string } } | null>(null);
  const [removing, setRemoving] = useState<Entry | null>(null);
  const [removeProblem, setRemoveProblem] = useState<ApiProblem | null>(null);

  const load = useCallback(async () => {
    try {
      setEntries(await listConfig(kind));
      setProblem(null);
    } catch (err) {
      if (err instanceof ApiError) setProblem(err.problem);
      else throw err;
    }
  }, [kind]);

  useEffect(() => {
    setEntries(null);
    void load();
  }, [load]);

  async function openForm(entry?: Entry) {
    const names: Partial<Record<ConfigKind, string[]>> = {};
    try {
      for (const k of referencedKinds(spec)) names[k] = (await listConfig(k)).map((e) => String(e[FORM_SPECS[k].keyField]));
      setSuggestions(names);
      if (entry === undefined) {
        setForm({});
      } else {
        const { data, digest } = await getConfig(kind, String(entry[spec.keyField]));
        setForm({ editing: digest === undefined ? { entry: data } : { entry: data, digest } });
      }
    } catch (err) {
      if (err instanceof ApiError) setProblem(err.problem);
      else throw err;
    }
  }

  async function remove(entry: Entry) {
    try {
      await removeConfig(kind, String(entry[spec.keyField]));
      setRemoving(null);
      setRemoveProblem(null);
      await load();
    } catch (err) {
      if (err instanceof ApiError) setRemoveProblem(err.problem);
      else throw err;
    }
  }

  async function runNow(entry: Entry) {
    try {
      navigate(taskRoute(await runBackupJob(String(entry[spec.keyField]))));
    } catch (err) {
      if (err instanceof ApiError) setProblem(err.problem);
      else throw err;
    }
  }

  const keyOf = (e: Entry) => String(e[spec.keyField]);
  const label = (key: string) => spec.fields.find((f) => f.key === key)?.label ?? key;

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>{spec.plural}</Title>
        <Button onClick={() => void openForm()}>Add {spec.title}</Button>
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {entries === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {entries !== null && entries.length === 0 && (
        <Text c="dimmed" data-testid="empty">
          No {spec.title}s configured yet.
        </Text>
      )}
      {entries !== null && entries.length > 0 && (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label={spec.plural} data-testid="entries">
            <Table.Thead>
              <Table.Tr>
                {spec.columns.map((c) => (
                  <Table.Th key={c}>{label(c)}</Table.Th>
                ))}
                <Table.Th style={{ width: kind === "tape-backup-job" ? 120 : 90 }}>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((e) => (
                <Table.Tr key={keyOf(e)} data-entry={keyOf(e)}>
                  {spec.columns.map((c) => (
                    <Table.Td key={c}>{c === spec.keyField ? <Text fw={600} size="sm">{keyOf(e)}</Text> : cell(spec, c, e)}</Table.Td>
                  ))}
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {kind === "tape-backup-job" && (
                        <Tooltip label="Run now">
                          <ActionIcon variant="subtle" color="green" aria-label={`Run ${keyOf(e)} now`} onClick={() => void runNow(e)}>
                            <PlayIcon />
                          </ActionIcon>
                        </Tooltip>
                      )}
                      <Tooltip label="Edit">
                        <ActionIcon variant="subtle" aria-label={`Edit ${keyOf(e)}`} onClick={() => void openForm(e)}>
                          <EditIcon />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Remove">
                        <ActionIcon variant="subtle" color="red" aria-label={`Remove ${keyOf(e)}`} onClick={() => setRemoving(e)}>
                          <TrashIcon />
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

      <Modal
        opened={form !== null}
        onClose={() => setForm(null)}
        title={form?.editing ? `Edit ${spec.title} ${keyOf(form.editing.entry)}` : `New ${spec.title}`}
        size="lg"
      >
        {form !== null && (
          <EntryForm
            spec={spec}
            {...(form.editing ? { editing: form.editing } : {})}
            suggestions={suggestions}
            onCancel={() => setForm(null)}
            onSaved={() => {
              setForm(null);
              void load();
            }}
          />
        )}
      </Modal>

      <Modal opened={removing !== null} onClose={() => { setRemoving(null); setRemoveProblem(null); }} title={`Remove ${spec.title}`}>
        {removing !== null && (
          <Stack>
            {removeProblem && <ProblemAlert problem={removeProblem} title={`The ${spec.title} was not removed`} />}
            <Text>
              Remove {spec.title} <b>{keyOf(removing)}</b>?
            </Text>
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
