import { ActionIcon, Alert, Anchor, Autocomplete, Badge, Button, Checkbox, Group, Loader, NumberInput, SegmentedControl, Select, Stack, Stepper, Table, Text, TextInput, Title } from "@mantine/core";
import { useCallback, useEffect, useMemo, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { neededTapes, offlineTapes, restoreBody, snapshotSpec, sourceStores, type NamespaceMapping, type TapeNeed } from "../../src/restore-wizard.ts";
import { formatTimestamp } from "../../src/schedule-preview.ts";
import { ApiError, listConfig, listMedia, listMediaSets, mediaContent, startRestore, type MediaContentRow, type MediaListEntry, type MediaSetEntry } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { navigate } from "../router.ts";
import { MEDIA_ROUTE, RESTORE_ROUTE } from "./media.tsx";
import { taskRoute } from "./tasks.tsx";

export { RESTORE_ROUTE };

/** How the tapes step shows whether the restore reads a tape. */
const NEED: Record<TapeNeed, { label: string; color: string }> = {
  whole: { label: "whole tape", color: "blue" },
  snapshots: { label: "snapshots", color: "blue" },
  chunks: { label: "chunks, if needed", color: "gray" },
  none: { label: "not read", color: "gray" },
};

/** Which wizard step shows the message of an API field. */
const STEP_OF_FIELD: Record<string, number> = { "media-set": 0, snapshots: 0, store: 1, namespaces: 1, drive: 1 };

function fieldHead(field: string): string {
  return field.split(".")[0]!;
}

/** Messages of the problem for fields starting with `head` (`namespaces`, `namespaces.0`). */
function messagesOf(problem: ApiProblem | null, head: string): string | undefined {
  if (!problem) return undefined;
  const msgs = Object.entries(problem.fields)
    .filter(([f]) => fieldHead(f) === head)
    .map(([f, m]) => (f === head ? m : `${f}: ${m}`));
  return msgs.length > 0 ? msgs.join("; ") : undefined;
}

/**
 * The restore wizard: a media set (or some of its snapshots) from the catalog,
 * target datastores and namespace mappings, the tapes it reads and where they
 * are, then start and follow the task.
 */
export function RestoreWizard() {
  const initial = useMemo(() => new URLSearchParams(window.location.search), []);
  const [step, setStep] = useState(0);
  const [sets, setSets] = useState<MediaSetEntry[] | null>(null);
  const [setUuid, setSetUuid] = useState<string | null>(initial.get("media-set"));
  const [content, setContent] = useState<MediaContentRow[] | null>(null);
  const [mode, setMode] = useState<"all" | "some">(initial.getAll("snapshot").length > 0 ? "some" : "all");
  const [chosen, setChosen] = useState<string[]>(initial.getAll("snapshot"));
  const [datastores, setDatastores] = useState<string[]>([]);
  const [drives, setDrives] = useState<string[]>([]);
  const [media, setMedia] = useState<MediaListEntry[]>([]);
  const [targets, setTargets] = useState<Record<string, string>>({});
  const [mappings, setMappings] = useState<NamespaceMapping[]>([]);
  const [drive, setDrive] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [loadProblem, setLoadProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiError) setLoadProblem(err.problem);
    else throw err;
  }, []);

  useEffect(() => {
    listMediaSets().then(setSets, fail);
    listConfig("datastore").then((d) => setDatastores(d.map((e) => String(e["name"]))), fail);
    listConfig("drive").then((d) => setDrives(d.map((e) => String(e["name"]))), fail);
    listMedia().then((m) => setMedia(m as MediaListEntry[]), fail);
  }, [fail]);

  useEffect(() => {
    let live = true;
    setContent(null);
    if (setUuid === null) return;
    mediaContent({ "media-set-uuid": setUuid }).then(
      (rows) => live && setContent(rows),
      (err: unknown) => live && fail(err),
    );
    return () => {
      live = false;
    };
  }, [setUuid, fail]);

  const set = sets?.find((s) => s["media-set-uuid"] === setUuid);
  const snapshots = mode === "some" ? chosen : [];
  const stores = content ? sourceStores(content, snapshots) : [];
  const tapes = set && content ? neededTapes(set, content, snapshots, media) : [];
  const away = offlineTapes(tapes);
  const uniqueContent = content ? [...new Map(content.map((r) => [snapshotSpec(r), r])).values()] : [];

  // Every source store gets a target field (empty until chosen); the key changes only with the set of stores.
  const storesKey = stores.join(",");
  useEffect(() => {
    setTargets((t) => Object.fromEntries(storesKey.split(",").filter((s) => s !== "").map((s) => [s, t[s] ?? ""])));
  }, [storesKey]);

  const body = setUuid === null ? null : restoreBody({ mediaSet: setUuid, targets, snapshots, namespaces: mappings, ...(drive ? { drive } : {}) });

  async function start() {
    if (body === null) return;
    setBusy(true);
    setProblem(null);
    try {
      navigate(taskRoute(await startRestore(body)));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setProblem(err.problem);
      const steps = Object.keys(err.problem.fields).map((f) => STEP_OF_FIELD[fieldHead(f)]).filter((s): s is number => s !== undefined);
      if (steps.length > 0) setStep(Math.min(...steps));
    } finally {
      setBusy(false);
    }
  }

  const known = new Set(Object.keys(STEP_OF_FIELD));
  const otherFields = problem ? Object.entries(problem.fields).filter(([f]) => !known.has(fieldHead(f))).map(([f, m]) => `${f}: ${m}`) : [];
  const canLeaveSource = set !== undefined && content !== null && (mode === "all" || chosen.length > 0);

  return (
    <Stack gap="md">
      <Group gap="sm">
        <Anchor
          href={MEDIA_ROUTE}
          onClick={(e) => {
            e.preventDefault();
            navigate(MEDIA_ROUTE);
          }}
        >
          Media
        </Anchor>
        <Text c="dimmed">/</Text>
        <Title order={2}>Restore</Title>
      </Group>
      {loadProblem && <ProblemAlert problem={loadProblem} />}
      {problem && (otherFields.length > 0 || Object.keys(problem.fields).length === 0) && <ProblemAlert problem={problem} other={otherFields} title="The restore was not started" />}
      <Stepper active={step} onStepClick={(s) => (s === 0 || canLeaveSource) && setStep(s)} size="sm">
        <Stepper.Step label="Source" description="Media set or snapshots">
          <Stack gap="sm" mt="md" data-testid="restore-source">
            {sets === null ? (
              <Loader size="sm" aria-label="Loading" />
            ) : (
              <Select
                label="Media set"
                placeholder={sets.length === 0 ? "no media sets yet" : "pick a media set"}
                data={sets.map((s) => ({ value: s["media-set-uuid"], label: `${s["media-set-name"]} (${s.pool}, ${s.members.length} tape${s.members.length === 1 ? "" : "s"})` }))}
                value={setUuid}
                onChange={(v) => {
                  setSetUuid(v);
                  setChosen([]);
                }}
                searchable
                w={460}
                maw="100%"
                error={messagesOf(problem, "media-set")}
              />
            )}
            {set && !set.complete && <Alert color="yellow" variant="light">This media set is incomplete: a restore needs every tape of the set.</Alert>}
            {setUuid !== null && (
              <SegmentedControl
                value={mode}
                onChange={(v) => setMode(v as "all" | "some")}
                data={[
                  { value: "all", label: "Whole media set" },
                  { value: "some", label: "Chosen snapshots" },
                ]}
                w={320}
              />
            )}
            {setUuid !== null && content === null && !loadProblem && <Loader size="sm" aria-label="Loading" />}
            {content !== null && content.length === 0 && <Text c="dimmed" size="sm">The catalog has no snapshots of this media set.</Text>}
            {content !== null && content.length > 0 && (
              <Table.ScrollContainer minWidth={640}>
                <Table striped verticalSpacing={4} aria-label="Snapshots of the media set" data-testid="restore-snapshots">
                  <Table.Thead>
                    <Table.Tr>
                      {mode === "some" && <Table.Th style={{ width: 40 }} />}
                      <Table.Th>Snapshot</Table.Th>
                      <Table.Th>Datastore</Table.Th>
                      <Table.Th>Backup time</Table.Th>
                      <Table.Th>Tape</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {uniqueContent.map((r) => {
                      const spec = snapshotSpec(r);
                      return (
                        <Table.Tr key={spec} data-snapshot={spec}>
                          {mode === "some" && (
                            <Table.Td>
                              <Checkbox aria-label={`Restore ${spec}`} checked={chosen.includes(spec)} onChange={(e) => setChosen((c) => (e.currentTarget.checked ? [...c, spec] : c.filter((x) => x !== spec)))} />
                            </Table.Td>
                          )}
                          <Table.Td ff="monospace" style={{ fontSize: "var(--mantine-font-size-sm)", wordBreak: "break-all" }}>{r.snapshot}</Table.Td>
                          <Table.Td>{r.store}</Table.Td>
                          <Table.Td ff="monospace">{formatTimestamp(new Date(r["backup-time"] * 1000))}</Table.Td>
                          <Table.Td ff="monospace">{r["label-text"]}</Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {messagesOf(problem, "snapshots") && <Text c="red" size="sm">{messagesOf(problem, "snapshots")}</Text>}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label="Target" description="Datastores, namespaces">
          <Stack gap="sm" mt="md" data-testid="restore-target">
            {stores.map((s, i) => (
              <Autocomplete
                key={s}
                label={stores.length === 1 ? "Target datastore" : `Target datastore for ${s}`}
                description={`Snapshots of datastore '${s}' are restored into it`}
                data={datastores}
                value={targets[s] ?? ""}
                onChange={(v) => setTargets((t) => ({ ...t, [s]: v }))}
                error={i === 0 ? messagesOf(problem, "store") : undefined}
                w={360}
                maw="100%"
              />
            ))}
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Namespace mapping
              </Text>
              <Text size="xs" c="dimmed">
                Restore the snapshots of a source namespace into another namespace of the target (empty: keep the namespaces as they are).
              </Text>
              {mappings.map((m, i) => (
                <Group key={i} gap="xs" align="flex-end" data-testid="namespace-mapping">
                  <Select label="Source datastore" data={stores} value={m.store} onChange={(v) => setMappings((ms) => ms.map((x, j) => (j === i ? { ...x, store: v ?? "" } : x)))} w={170} allowDeselect={false} />
                  <TextInput label="Source namespace" placeholder="(root)" value={m.source} onChange={(e) => { const v = e.currentTarget.value; setMappings((ms) => ms.map((x, j) => (j === i ? { ...x, source: v } : x))); }} w={170} />
                  <TextInput label="Target namespace" placeholder="(root)" value={m.target} onChange={(e) => { const v = e.currentTarget.value; setMappings((ms) => ms.map((x, j) => (j === i ? { ...x, target: v } : x))); }} w={170} />
                  <NumberInput
                    label="Max depth"
                    placeholder="all"
                    min={0}
                    max={7}
                    value={m.maxDepth ?? ""}
                    onChange={(v) => setMappings((ms) => ms.map((x, j) => { if (j !== i) return x; const { maxDepth: _, ...rest } = x; return typeof v === "number" ? { ...rest, maxDepth: v } : rest; }))}
                    w={100}
                  />
                  <ActionIcon variant="subtle" color="red" aria-label={`Remove mapping ${i + 1}`} onClick={() => setMappings((ms) => ms.filter((_, j) => j !== i))} mb={4}>
                    ×
                  </ActionIcon>
                </Group>
              ))}
              {messagesOf(problem, "namespaces") && <Text c="red" size="sm" data-testid="namespaces-error">{messagesOf(problem, "namespaces")}</Text>}
              <Button variant="default" size="compact-sm" w="fit-content" disabled={stores.length === 0} onClick={() => setMappings((ms) => [...ms, { store: stores[0] ?? "", source: "", target: "" }])}>
                Add namespace mapping
              </Button>
            </Stack>
            <Select label="Drive" description="Empty: any free drive of a library" placeholder="any" data={drives} value={drive} onChange={setDrive} clearable w={240} error={messagesOf(problem, "drive")} />
          </Stack>
        </Stepper.Step>

        <Stepper.Step label="Tapes" description="Which, and where">
          <Stack gap="sm" mt="md">
            <Text size="sm">
              Tapes of media set <b>{set?.["media-set-name"]}</b>, in the order the restore reads them. A snapshot&apos;s chunks may sit on any tape of the set
              before the one holding the snapshot; the catalog&apos;s restore plan reads only the files needed.
            </Text>
            <Table.ScrollContainer minWidth={560}>
              <Table striped verticalSpacing={4} aria-label="Tapes needed" data-testid="restore-tapes">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Seq</Table.Th>
                    <Table.Th>Tape</Table.Th>
                    <Table.Th>Where</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Read</Table.Th>
                    <Table.Th>Holds</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {tapes.map((t) => (
                    <Table.Tr key={t.uuid} data-tape={t.labelText}>
                      <Table.Td>{t.seqNr}</Table.Td>
                      <Table.Td ff="monospace" fw={600}>{t.labelText}</Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={t.location.startsWith("online-") ? "green" : "orange"} style={{ textTransform: "none" }}>
                          {t.location}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{t.status}</Table.Td>
                      <Table.Td>
                        <Badge variant="light" color={NEED[t.need].color} style={{ textTransform: "none" }}>
                          {NEED[t.need].label}
                        </Badge>
                      </Table.Td>
                      <Table.Td style={{ fontSize: "var(--mantine-font-size-xs)" }}>{t.holds.join(", ")}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {away.length > 0 ? (
              <Alert color="orange" variant="light" data-testid="tapes-offline">
                Not in a library: {away.map((t) => `${t.labelText} (${t.location})`).join(", ")}. Insert them, or the job waits with a tape request.
              </Alert>
            ) : (
              <Text size="sm" c="dimmed" data-testid="tapes-online">
                Every tape is online in a library.
              </Text>
            )}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label="Start" description="Review and run">
          <Stack gap="sm" mt="md" data-testid="restore-summary">
            <Table verticalSpacing={4} aria-label="Restore request">
              <Table.Tbody>
                {body !== null &&
                  Object.entries(body).map(([k, v]) => (
                    <Table.Tr key={k}>
                      <Table.Th style={{ width: 160 }}>{k}</Table.Th>
                      <Table.Td ff="monospace" style={{ wordBreak: "break-all" }}>{Array.isArray(v) ? v.join("\n") : String(v)}</Table.Td>
                    </Table.Tr>
                  ))}
              </Table.Tbody>
            </Table>
            <Group>
              <Button onClick={() => void start()} loading={busy}>
                Start restore
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
      </Stepper>
      <Group justify="space-between">
        <Button variant="default" disabled={step === 0} onClick={() => setStep((s) => s - 1)}>
          Back
        </Button>
        {step < 3 && (
          <Button disabled={!canLeaveSource} onClick={() => setStep((s) => s + 1)}>
            Next
          </Button>
        )}
      </Group>
      <Text size="xs" c="dimmed">
        The restore runs as a task (<code>POST /api2/json/tape/restore</code>); its log shows every file read.
      </Text>
    </Stack>
  );
}
