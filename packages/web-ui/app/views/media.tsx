import { ActionIcon, Anchor, Badge, Button, Group, Loader, Modal, Select, Stack, Table, Tabs, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import { splitFieldErrors, type ApiProblem } from "../../src/api-problem.ts";
import { snapshotSpec } from "../../src/restore-wizard.ts";
import { formatTimestamp } from "../../src/schedule-preview.ts";
import { formatBytes } from "../../src/task-progress.ts";
import {
  ApiError,
  destroyMedia,
  listConfig,
  listMedia,
  listMediaSets,
  mediaContent,
  moveMedia,
  setMediaStatus,
  type MediaContentQuery,
  type MediaContentRow,
  type MediaListEntry,
  type MediaSetEntry,
} from "../api.ts";
import { FormButtons, useFormAction } from "../components/form-action.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { navigate, usePath } from "../router.ts";

export const MEDIA_ROUTE = "/media";
export const MEDIA_CONTENT_ROUTE = "/media/content";
export const MEDIA_SETS_ROUTE = "/media/sets";
/** The restore wizard (its own view); `?media-set=<uuid>` preselects a set. */
export const RESTORE_ROUTE = "/restore";

const STATUS_COLOR: Record<string, string> = { full: "blue", writable: "green", damaged: "red", retired: "gray", unknown: "gray" };

function useFailure(): [ApiProblem | null, (p: ApiProblem | null) => void, (err: unknown) => void] {
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiError) setProblem(err.problem);
    else throw err;
  }, []);
  return [problem, setProblem, fail];
}

function VaultIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <rect x="3" y="4" width="18" height="16" rx="2" />
      <circle cx="12" cy="12" r="3" />
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

function FlagIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M5 21V4M5 4h11l-2 4 2 4H5" />
    </svg>
  );
}

/** The statuses an operator sets (PBS `media status`); "clear" lets the inventory compute it again. */
const SETTABLE_STATUS = [
  { value: "full", label: "full" },
  { value: "damaged", label: "damaged" },
  { value: "retired", label: "retired" },
  { value: "clear", label: "clear (computed again)" },
];

/** Sets or clears a tape's status: the API's message for a bad value shows under the field. */
function StatusForm({ medium, onDone, onCancel }: { medium: MediaListEntry; onDone: () => void; onCancel: () => void }) {
  const [status, setStatus] = useState<string | null>(SETTABLE_STATUS.some((s) => s.value === medium.status) ? medium.status : "full");
  const { busy, byField, alert, submit } = useFormAction(["status"]);
  return (
    <form
      onSubmit={submit(async () => {
        await setMediaStatus(medium.uuid, status === null || status === "clear" ? undefined : status);
        onDone();
      })}
      aria-label={`Status of ${medium["label-text"]}`}
    >
      <Stack>
        {alert}
        <Text size="sm">
          A full tape gets no more writes; a damaged or retired one is never written or chosen again. Clear lets the inventory work the status out again.
        </Text>
        <Select label="Status" data={SETTABLE_STATUS} value={status} onChange={setStatus} allowDeselect={false} error={byField["status"]} />
        <FormButtons label="Set status" busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

/** Moves a tape to a vault (or offline): the API's message for a bad vault name shows under the field. */
function MoveForm({ label, onDone, onCancel }: { label: string; onDone: () => void; onCancel: () => void }) {
  const [vault, setVault] = useState("");
  const { busy, byField, alert, submit } = useFormAction(["vault-name"]);
  return (
    <form
      onSubmit={submit(async () => {
        await moveMedia(label, vault.trim() === "" ? undefined : vault.trim());
        onDone();
      })}
      aria-label={`Move ${label}`}
    >
      <Stack>
        {alert}
        <Text size="sm">
          Record where tape <b>{label}</b> is kept. Leave the vault empty to mark it offline.
        </Text>
        <TextInput label="Vault" placeholder="offsite" value={vault} onChange={(e) => setVault(e.currentTarget.value)} error={byField["vault-name"]} data-autofocus />
        <FormButtons label="Move" busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

/** The media inventory: label, pool, media set, location and state of every labelled tape; set its status, move to a vault, destroy. */
function Inventory() {
  const [media, setMedia] = useState<MediaListEntry[] | null>(null);
  const [pools, setPools] = useState<string[]>([]);
  const [pool, setPool] = useState<string | null>(null);
  const [location, setLocation] = useState<string | null>(null);
  const [problem, setProblem, fail] = useFailure();
  const [moving, setMoving] = useState<string | null>(null);
  const [marking, setMarking] = useState<MediaListEntry | null>(null);
  const [destroying, setDestroying] = useState<string | null>(null);
  const [destroyProblem, setDestroyProblem] = useState<ApiProblem | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    listConfig("media-pool").then((p) => setPools(p.map((e) => String(e["name"]))), fail);
  }, [fail]);
  useEffect(() => {
    let live = true;
    listMedia(pool === null ? {} : { pool }).then(
      (m) => live && setMedia(m as MediaListEntry[]),
      (err: unknown) => live && fail(err),
    );
    return () => {
      live = false;
    };
  }, [pool, reload, fail]);
  const locations = [...new Set((media ?? []).map((m) => m.location))].sort();
  const shown = media?.filter((m) => location === null || m.location === location) ?? null;
  async function destroy(label: string) {
    try {
      await destroyMedia(label);
      setDestroying(null);
      setDestroyProblem(null);
      setReload((n) => n + 1);
    } catch (err) {
      if (err instanceof ApiError) setDestroyProblem(err.problem);
      else throw err;
    }
  }
  return (
    <Stack gap="md">
      <Group gap="md" align="flex-end">
        <Select label="Pool" placeholder="all pools" data={pools} value={pool} onChange={setPool} clearable w={200} />
        <Select label="Location" placeholder="everywhere" data={locations} value={location} onChange={setLocation} clearable w={200} />
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {shown === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {shown !== null && shown.length === 0 && <Text c="dimmed" data-testid="empty">No labelled media{pool ? ` in pool ${pool}` : ""}{location ? ` at ${location}` : ""}.</Text>}
      {shown !== null && shown.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Media" data-testid="media">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th>
                <Table.Th>Pool</Table.Th>
                <Table.Th>Media set</Table.Th>
                <Table.Th>Location</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Used</Table.Th>
                <Table.Th>Labelled</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((m) => (
                <Table.Tr key={m.uuid} data-label={m["label-text"]}>
                  <Table.Td ff="monospace" fw={600}>
                    <Anchor
                      href={`${MEDIA_CONTENT_ROUTE}?label-text=${encodeURIComponent(m["label-text"])}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`${MEDIA_CONTENT_ROUTE}?label-text=${encodeURIComponent(m["label-text"])}`);
                      }}
                      title="Content of this tape"
                    >
                      {m["label-text"]}
                    </Anchor>
                    {m.worm && <Badge ml={6} size="xs" variant="outline">WORM</Badge>}
                    {m["encryption-key-fingerprint"] && <Badge ml={6} size="xs" variant="outline" title={m["encryption-key-fingerprint"]}>encrypted</Badge>}
                  </Table.Td>
                  <Table.Td>{m.pool ?? <Text c="dimmed" size="sm">free</Text>}</Table.Td>
                  <Table.Td style={{ fontSize: "var(--mantine-font-size-xs)" }}>
                    {m["media-set-uuid"] ? (
                      <span title={m["media-set-uuid"]}>
                        {m["media-set-name"] ?? `${m["media-set-uuid"].slice(0, 8)}…`} #{m["seq-nr"] ?? 0}
                      </span>
                    ) : (
                      "—"
                    )}
                  </Table.Td>
                  <Table.Td>{m.location}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={STATUS_COLOR[m.status] ?? "gray"}>{m.status}</Badge>
                  </Table.Td>
                  <Table.Td ff="monospace" style={{ fontSize: "var(--mantine-font-size-xs)" }}>
                    {m["expire-time"] !== undefined ? formatTimestamp(new Date(m["expire-time"] * 1000)) : m["media-set-uuid"] ? "never" : "—"}
                    {m.expired && <Badge ml={6} size="xs" color="gray" variant="light">expired</Badge>}
                  </Table.Td>
                  <Table.Td>{m["bytes-used"] === undefined ? "—" : formatBytes(m["bytes-used"])}</Table.Td>
                  <Table.Td ff="monospace">{formatTimestamp(new Date(m.ctime * 1000))}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Tooltip label="Set status (full, damaged, retired)">
                        <ActionIcon variant="subtle" aria-label={`Status of ${m["label-text"]}`} onClick={() => setMarking(m)}>
                          <FlagIcon />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Move to a vault">
                        <ActionIcon variant="subtle" aria-label={`Move ${m["label-text"]}`} onClick={() => setMoving(m["label-text"])}>
                          <VaultIcon />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Destroy (remove from the inventory)">
                        <ActionIcon variant="subtle" color="red" aria-label={`Destroy ${m["label-text"]}`} onClick={() => setDestroying(m["label-text"])}>
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
      <Modal opened={marking !== null} onClose={() => setMarking(null)} title={`Status of ${marking?.["label-text"] ?? ""}`}>
        {marking !== null && (
          <StatusForm
            medium={marking}
            onCancel={() => setMarking(null)}
            onDone={() => {
              setMarking(null);
              setReload((n) => n + 1);
            }}
          />
        )}
      </Modal>
      <Modal opened={moving !== null} onClose={() => setMoving(null)} title={`Move ${moving ?? ""}`}>
        {moving !== null && (
          <MoveForm
            label={moving}
            onCancel={() => setMoving(null)}
            onDone={() => {
              setMoving(null);
              setReload((n) => n + 1);
            }}
          />
        )}
      </Modal>
      <Modal opened={destroying !== null} onClose={() => { setDestroying(null); setDestroyProblem(null); }} title="Destroy medium">
        {destroying !== null && (
          <Stack>
            {destroyProblem && <ProblemAlert problem={destroyProblem} title="The medium was not destroyed" />}
            <Text>
              Remove tape <b>{destroying}</b> from the inventory? Its catalog stays; the cartridge itself is not touched.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => { setDestroying(null); setDestroyProblem(null); }}>
                Cancel
              </Button>
              <Button color="red" onClick={() => void destroy(destroying)}>
                Destroy
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

const CONTENT_FILTERS = ["label-text", "pool", "media-set-uuid", "store", "snapshot"] as const;
type ContentFilter = (typeof CONTENT_FILTERS)[number];

function filtersOfUrl(): Partial<Record<ContentFilter, string>> {
  const q = new URLSearchParams(window.location.search);
  const out: Partial<Record<ContentFilter, string>> = {};
  for (const f of CONTENT_FILTERS) {
    const v = q.get(f);
    if (v !== null && v !== "") out[f] = v;
  }
  return out;
}

/** Snapshots on tape from the catalog, per tape or per media set, with filters. */
function Content() {
  const [filters, setFilters] = useState<Partial<Record<ContentFilter, string>>>(filtersOfUrl);
  const [applied, setApplied] = useState(filters);
  const [rows, setRows] = useState<MediaContentRow[] | null>(null);
  const [labels, setLabels] = useState<string[]>([]);
  const [pools, setPools] = useState<string[]>([]);
  const [sets, setSets] = useState<{ value: string; label: string }[]>([]);
  const [problem, setProblem, fail] = useFailure();
  useEffect(() => {
    listMedia().then((m) => setLabels(m.map((x) => x["label-text"])), fail);
    listConfig("media-pool").then((p) => setPools(p.map((e) => String(e["name"]))), fail);
    listMediaSets().then((s) => setSets(s.map((x) => ({ value: x["media-set-uuid"], label: x["media-set-name"] }))), fail);
  }, [fail]);
  useEffect(() => {
    let live = true;
    setRows(null);
    setProblem(null);
    const q = new URLSearchParams(Object.entries(applied).filter(([, v]) => v !== undefined && v !== "") as [string, string][]).toString();
    window.history.replaceState(null, "", `${MEDIA_CONTENT_ROUTE}${q ? `?${q}` : ""}`);
    mediaContent(applied as MediaContentQuery).then(
      (r) => live && setRows(r),
      (err: unknown) => live && fail(err),
    );
    return () => {
      live = false;
    };
  }, [applied, fail, setProblem]);
  const { byField, other } = problem ? splitFieldErrors(problem, [...CONTENT_FILTERS]) : { byField: {} as Record<string, string>, other: [] as string[] };
  const set = (k: ContentFilter, v: string | null) => setFilters((f) => ({ ...f, [k]: v ?? undefined }));
  const pick = (k: ContentFilter, v: string | null) => {
    set(k, v);
    setApplied((f) => ({ ...f, [k]: v ?? undefined }));
  };
  return (
    <Stack gap="md">
      <form
        aria-label="Content filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...filters });
        }}
      >
        <Group gap="md" align="flex-start">
          <Select label="Tape" placeholder="any tape" data={labels} value={filters["label-text"] ?? null} onChange={(v) => pick("label-text", v)} clearable searchable w={170} error={byField["label-text"]} />
          <Select label="Pool" placeholder="any pool" data={pools} value={filters.pool ?? null} onChange={(v) => pick("pool", v)} clearable w={160} error={byField["pool"]} />
          <Select label="Media set" placeholder="any media set" data={sets} value={filters["media-set-uuid"] ?? null} onChange={(v) => pick("media-set-uuid", v)} clearable w={230} error={byField["media-set-uuid"]} />
          <TextInput label="Datastore" placeholder="any" value={filters.store ?? ""} onChange={(e) => set("store", e.currentTarget.value)} w={150} error={byField["store"]} />
          <TextInput label="Snapshot" placeholder="vm/100 or a full path" value={filters.snapshot ?? ""} onChange={(e) => set("snapshot", e.currentTarget.value)} w={240} error={byField["snapshot"]} />
          <Button type="submit" mt={25} variant="light">
            Filter
          </Button>
        </Group>
      </form>
      {problem && (other.length > 0 || Object.keys(byField).length === 0) && <ProblemAlert problem={problem} other={other} />}
      {rows === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {rows !== null && rows.length === 0 && <Text c="dimmed" data-testid="empty">No snapshots on tape match.</Text>}
      {rows !== null && rows.length > 0 && (
        <>
          <Text size="sm" c="dimmed" data-testid="content-count">
            {rows.length} snapshot{rows.length === 1 ? "" : "s"} on {new Set(rows.map((r) => r.uuid)).size} tape(s)
          </Text>
          <Table.ScrollContainer minWidth={900}>
            <Table striped highlightOnHover verticalSpacing="xs" aria-label="Media content" data-testid="content">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Snapshot</Table.Th>
                  <Table.Th>Datastore</Table.Th>
                  <Table.Th>Backup time</Table.Th>
                  <Table.Th>Tape</Table.Th>
                  <Table.Th>Media set</Table.Th>
                  <Table.Th>Pool</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={`${r.uuid}/${snapshotSpec(r)}`} data-snapshot={snapshotSpec(r)}>
                    <Table.Td ff="monospace" style={{ fontSize: "var(--mantine-font-size-sm)", wordBreak: "break-all" }}>{r.snapshot}</Table.Td>
                    <Table.Td>{r.store}</Table.Td>
                    <Table.Td ff="monospace">{formatTimestamp(new Date(r["backup-time"] * 1000))}</Table.Td>
                    <Table.Td ff="monospace">
                      {r["label-text"]} <Text span c="dimmed" size="xs">#{r["seq-nr"]}</Text>
                    </Table.Td>
                    <Table.Td style={{ fontSize: "var(--mantine-font-size-xs)" }} title={r["media-set-uuid"]}>{r["media-set-name"]}</Table.Td>
                    <Table.Td>{r.pool}</Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="light"
                        aria-label={`Restore ${snapshotSpec(r)}`}
                        onClick={() => navigate(`${RESTORE_ROUTE}?media-set=${encodeURIComponent(r["media-set-uuid"])}&snapshot=${encodeURIComponent(snapshotSpec(r))}`)}
                      >
                        Restore
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      )}
    </Stack>
  );
}

/** Media sets, newest first, with their tapes and where each one is. */
function MediaSets() {
  const [sets, setSets] = useState<MediaSetEntry[] | null>(null);
  const [pools, setPools] = useState<string[]>([]);
  const [pool, setPool] = useState<string | null>(null);
  const [problem, , fail] = useFailure();
  useEffect(() => {
    listConfig("media-pool").then((p) => setPools(p.map((e) => String(e["name"]))), fail);
  }, [fail]);
  useEffect(() => {
    let live = true;
    listMediaSets(pool === null ? {} : { pool }).then(
      (s) => live && setSets(s),
      (err: unknown) => live && fail(err),
    );
    return () => {
      live = false;
    };
  }, [pool, fail]);
  return (
    <Stack gap="md">
      <Select label="Pool" placeholder="all pools" data={pools} value={pool} onChange={setPool} clearable w={200} />
      {problem && <ProblemAlert problem={problem} />}
      {sets === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {sets !== null && sets.length === 0 && <Text c="dimmed" data-testid="empty">No media sets{pool ? ` in pool ${pool}` : ""}.</Text>}
      {sets !== null && sets.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped verticalSpacing="xs" aria-label="Media sets" data-testid="media-sets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Media set</Table.Th>
                <Table.Th>Pool</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Tapes (where)</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sets.map((s) => (
                <Table.Tr key={s["media-set-uuid"]} data-media-set={s["media-set-uuid"]}>
                  <Table.Td>
                    <Text size="sm" fw={600}>{s["media-set-name"]}</Text>
                    <Text size="xs" c="dimmed" ff="monospace">{s["media-set-uuid"]}</Text>
                    {!s.complete && <Badge size="xs" color="yellow" variant="light">incomplete</Badge>}
                    {s["encryption-key-fingerprint"] && <Badge size="xs" variant="outline" title={s["encryption-key-fingerprint"]}>encrypted</Badge>}
                  </Table.Td>
                  <Table.Td>{s.pool}</Table.Td>
                  <Table.Td ff="monospace">{formatTimestamp(new Date(s["media-set-ctime"] * 1000))}</Table.Td>
                  <Table.Td>
                    {s.members.map((m) => (
                      <Text key={m.uuid} size="sm">
                        <Text span ff="monospace">#{m["seq-nr"]} {m["label-text"]}</Text> <Text span c="dimmed" size="xs">{m.location}</Text>
                      </Text>
                    ))}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="default" onClick={() => navigate(`${MEDIA_CONTENT_ROUTE}?media-set-uuid=${encodeURIComponent(s["media-set-uuid"])}`)}>
                        Content
                      </Button>
                      <Button size="compact-xs" variant="light" aria-label={`Restore ${s["media-set-name"]}`} onClick={() => navigate(`${RESTORE_ROUTE}?media-set=${encodeURIComponent(s["media-set-uuid"])}`)}>
                        Restore
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

/** Media: the inventory, the content on tape, the media sets (one route each). */
export function MediaView() {
  const path = usePath();
  const tab = path === MEDIA_CONTENT_ROUTE ? MEDIA_CONTENT_ROUTE : path === MEDIA_SETS_ROUTE ? MEDIA_SETS_ROUTE : MEDIA_ROUTE;
  return (
    <Stack gap="md">
      <Title order={2}>Media</Title>
      <Tabs value={tab} onChange={(v) => v !== null && navigate(v)} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value={MEDIA_ROUTE}>Inventory</Tabs.Tab>
          <Tabs.Tab value={MEDIA_CONTENT_ROUTE}>Content</Tabs.Tab>
          <Tabs.Tab value={MEDIA_SETS_ROUTE}>Media sets</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value={MEDIA_ROUTE} pt="md">
          <Inventory />
        </Tabs.Panel>
        <Tabs.Panel value={MEDIA_CONTENT_ROUTE} pt="md">
          <Content />
        </Tabs.Panel>
        <Tabs.Panel value={MEDIA_SETS_ROUTE} pt="md">
          <MediaSets />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
