import { Autocomplete, Badge, Button, Card, Group, Loader, Menu, Modal, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { splitFieldErrors, type ApiProblem } from "../../src/api-problem.ts";
import {
  ApiError,
  barcodeLabel,
  changerStatus,
  listConfig,
  driveStatus,
  listTapeChangers,
  listTapeDrives,
  loadSlot,
  unloadDrive,
  type ChangerStatusEntry,
  type LocatedDevice,
} from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { navigate } from "../router.ts";
import { taskRoute } from "./tasks.tsx";

export const LIBRARY_ROUTE = "/library";

const STATE_COLOR: Record<string, string> = { online: "green", offline: "red", unknown: "gray" };

export function DeviceState({ state }: { state: string | undefined }) {
  const s = state ?? "unknown";
  return (
    <Badge variant="light" color={STATE_COLOR[s] ?? "gray"}>
      {s}
    </Badge>
  );
}

function asProblem(err: unknown): ApiProblem {
  if (err instanceof ApiError) return err.problem;
  throw err;
}

/** Starts a drive task and opens its log. */
async function runTask(start: () => Promise<string>, onProblem: (p: ApiProblem) => void): Promise<void> {
  try {
    navigate(taskRoute(await start()));
  } catch (err) {
    onProblem(asProblem(err));
  }
}

function DriveStatusModal({ drive, onClose }: { drive: string | null; onClose: () => void }) {
  const [status, setStatus] = useState<Record<string, unknown> | ApiProblem | null>(null);
  useEffect(() => {
    if (drive === null) return;
    setStatus(null);
    driveStatus(drive).then(setStatus, (err: unknown) => setStatus(asProblem(err)));
  }, [drive]);
  return (
    <Modal opened={drive !== null} onClose={onClose} title={`Drive ${drive ?? ""} status`} size="lg">
      {status === null && <Loader size="sm" aria-label="Loading" />}
      {status !== null && "code" in status && "fields" in status && <ProblemAlert problem={status as ApiProblem} />}
      {status !== null && !("fields" in status) && (
        <Table verticalSpacing={4} aria-label="Drive status" data-testid="drive-status">
          <Table.Tbody>
            {Object.entries(status).map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Th style={{ width: "40%" }}>{k}</Table.Th>
                <Table.Td ff="monospace">{Array.isArray(v) ? v.join("; ") : String(v)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Modal>
  );
}

/** Barcode-label form of a changer: the drive to label with and the pool; opens the task. The API's field messages show under the fields. */
function BarcodeLabelForm({ drives, onCancel }: { drives: string[]; onCancel: () => void }) {
  const [drive, setDrive] = useState<string | null>(drives[0] ?? null);
  const [pool, setPool] = useState("");
  const [pools, setPools] = useState<string[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    listConfig("media-pool").then(
      (p) => setPools(p.map((e) => String(e["name"]))),
      (err: unknown) => setProblem(asProblem(err)),
    );
  }, []);
  const { byField, other } = problem ? splitFieldErrors(problem, ["drive", "pool"]) : { byField: {} as Record<string, string>, other: [] as string[] };
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      navigate(taskRoute(await barcodeLabel(drive ?? "", pool.trim() === "" ? undefined : pool.trim())));
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Barcode label">
      <Stack>
        {problem && (other.length > 0 || Object.keys(byField).length === 0) && <ProblemAlert problem={problem} other={other} />}
        <Text size="sm">Writes a media label with its barcode on every tape of the library that has none yet (cleaning cartridges are skipped).</Text>
        <Select label="Drive" data={drives} value={drive} onChange={setDrive} allowDeselect={false} error={byField["drive"]} />
        <Autocomplete label="Media pool" description="Empty: label the tapes as free media" data={pools} value={pool} onChange={setPool} error={byField["pool"]} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Label tapes
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ChangerCard({ changer, drives, onProblem }: { changer: LocatedDevice; drives: LocatedDevice[]; onProblem: (p: ApiProblem) => void }) {
  const name = String(changer["name"]);
  const [rows, setRows] = useState<ChangerStatusEntry[] | ApiProblem | null>(null);
  useEffect(() => {
    changerStatus(name).then(setRows, (err: unknown) => setRows(asProblem(err)));
  }, [name]);
  const own = drives.filter((d) => d["changer"] === name);
  const driveAt = (num: number) => own.find((d) => Number(d["changer-drivenum"] ?? 0) === num);
  const [labelling, setLabelling] = useState(false);
  const freeDrives = Array.isArray(rows) ? own.filter((d) => !rows.some((r) => r["entry-kind"] === "drive" && r["entry-id"] === Number(d["changer-drivenum"] ?? 0) && (r["label-text"] !== undefined || r.state === "full"))) : [];
  return (
    <Card withBorder padding="md" data-changer={name}>
      <Group justify="space-between" mb="sm">
        <Group gap="sm">
          <Title order={4}>{name}</Title>
          <DeviceState state={changer.state} />
        </Group>
        <Group gap="sm">
          <Text size="sm" c="dimmed">
            {[changer.vendor, changer.model, changer.serial, changer["host-id"] ? `on ${changer["host-id"]}` : undefined].filter(Boolean).join(" · ")}
          </Text>
          {own.length > 0 && (
            <Button size="compact-sm" variant="light" onClick={() => setLabelling(true)} aria-label={`Barcode label ${name}`}>
              Barcode label…
            </Button>
          )}
        </Group>
      </Group>
      <Modal opened={labelling} onClose={() => setLabelling(false)} title={`Barcode label tapes of ${name}`}>
        {labelling && <BarcodeLabelForm drives={own.map((d) => String(d["name"]))} onCancel={() => setLabelling(false)} />}
      </Modal>
      {rows === null && <Loader size="sm" aria-label="Loading" />}
      {rows !== null && !Array.isArray(rows) && <ProblemAlert problem={rows} title="Changer status unavailable" />}
      {Array.isArray(rows) && (
        <Table.ScrollContainer minWidth={520}>
          <Table striped verticalSpacing={4} aria-label={`Changer ${name} status`} data-testid="changer-status">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Element</Table.Th>
                <Table.Th>Cartridge</Table.Th>
                <Table.Th>Note</Table.Th>
                <Table.Th style={{ width: 160 }}>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => {
                const drive = r["entry-kind"] === "drive" ? driveAt(r["entry-id"]) : undefined;
                const full = r["label-text"] !== undefined || r.state === "full";
                return (
                  <Table.Tr key={`${r["entry-kind"]}-${r["entry-id"]}`} data-element={`${r["entry-kind"]}-${r["entry-id"]}`}>
                    <Table.Td>
                      {r["entry-kind"] === "drive" ? `drive ${r["entry-id"]}${drive ? ` (${String(drive["name"])})` : ""}` : r["entry-kind"] === "import-export" ? `import/export ${r["entry-id"]}` : `slot ${r["entry-id"]}`}
                    </Table.Td>
                    <Table.Td ff="monospace">{r["label-text"] ?? (full ? "(no label)" : "")}</Table.Td>
                    <Table.Td>{r["loaded-slot"] !== undefined ? `from slot ${r["loaded-slot"]}` : (r.state ?? "")}</Table.Td>
                    <Table.Td>
                      {drive && full && (
                        <Button size="compact-xs" variant="light" onClick={() => void runTask(() => unloadDrive(String(drive["name"])), onProblem)}>
                          Unload
                        </Button>
                      )}
                      {r["entry-kind"] === "slot" && full && freeDrives.length > 0 && (
                        <Menu position="bottom-end" withinPortal>
                          <Menu.Target>
                            <Button size="compact-xs" variant="light" aria-label={`Load slot ${r["entry-id"]}`}>
                              Load…
                            </Button>
                          </Menu.Target>
                          <Menu.Dropdown>
                            {freeDrives.map((d) => (
                              <Menu.Item key={String(d["name"])} onClick={() => void runTask(() => loadSlot(String(d["name"]), r["entry-id"]), onProblem)}>
                                into {String(d["name"])}
                              </Menu.Item>
                            ))}
                          </Menu.Dropdown>
                        </Menu>
                      )}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

/** Drives and changers as the device agents see them: state, status, slots; load and unload. */
export function TapeLibrary() {
  const [drives, setDrives] = useState<LocatedDevice[] | null>(null);
  const [changers, setChangers] = useState<LocatedDevice[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [statusOf, setStatusOf] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const [d, c] = await Promise.all([listTapeDrives(), listTapeChangers()]);
      setDrives(d);
      setChangers(c);
    } catch (err) {
      setProblem(asProblem(err));
    }
  }, []);
  useEffect(() => void load(), [load]);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Tape Library</Title>
        <Button variant="default" onClick={() => void load()}>
          Refresh
        </Button>
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {(drives === null || changers === null) && !problem && <Loader size="sm" aria-label="Loading" />}
      {drives !== null && (
        <Card withBorder padding="md">
          <Title order={4} mb="sm">
            Drives
          </Title>
          {drives.length === 0 ? (
            <Text c="dimmed" size="sm">No drives configured.</Text>
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table striped verticalSpacing={4} aria-label="Tape drives" data-testid="tape-drives">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Drive</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Model</Table.Th>
                    <Table.Th>Serial</Table.Th>
                    <Table.Th>Host</Table.Th>
                    <Table.Th>Changer</Table.Th>
                    <Table.Th style={{ width: 100 }} />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {drives.map((d) => (
                    <Table.Tr key={String(d["name"])} data-drive={String(d["name"])}>
                      <Table.Td fw={600}>{String(d["name"])}</Table.Td>
                      <Table.Td>
                        <DeviceState state={d.state} />
                      </Table.Td>
                      <Table.Td>{[d.vendor, d.model].filter(Boolean).join(" ") || "—"}</Table.Td>
                      <Table.Td ff="monospace">{d.serial ?? "—"}</Table.Td>
                      <Table.Td>{d["host-id"] ?? "—"}</Table.Td>
                      <Table.Td>{d["changer"] === undefined ? "standalone" : `${String(d["changer"])} #${String(d["changer-drivenum"] ?? 0)}`}</Table.Td>
                      <Table.Td>
                        <Button size="compact-xs" variant="light" onClick={() => setStatusOf(String(d["name"]))} aria-label={`Status of ${String(d["name"])}`}>
                          Status
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
      )}
      {changers !== null && drives !== null && changers.map((c) => <ChangerCard key={String(c["name"])} changer={c} drives={drives} onProblem={setProblem} />)}
      {changers !== null && changers.length === 0 && <Text c="dimmed" size="sm">No changers configured.</Text>}
      <DriveStatusModal drive={statusOf} onClose={() => setStatusOf(null)} />
    </Stack>
  );
}
