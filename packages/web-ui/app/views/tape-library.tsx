import { Autocomplete, Badge, Button, Card, Group, Loader, Menu, Modal, Select, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import {
  barcodeLabel,
  changerStatus,
  exportMedia,
  inventoryChanger,
  listConfig,
  listTapeChangers,
  listTapeDrives,
  loadSlot,
  transferMedia,
  unloadDrive,
  type ChangerStatusEntry,
  type LocatedDevice,
} from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { asProblem, openTask, runTask } from "../run-task.ts";
import { FormButtons, useFormAction } from "../components/form-action.tsx";
import { DriveDetailModal } from "./drive-detail.tsx";

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

/** Barcode-label form of a changer: the drive to label with and the pool; opens the task. The API's field messages show under the fields. */
function BarcodeLabelForm({ drives, onCancel }: { drives: string[]; onCancel: () => void }) {
  const [drive, setDrive] = useState<string | null>(drives[0] ?? null);
  const [pool, setPool] = useState("");
  const [pools, setPools] = useState<string[]>([]);
  const { setProblem, busy, byField, alert, submit } = useFormAction(["drive", "pool"]);
  useEffect(() => {
    listConfig("media-pool").then(
      (p) => setPools(p.map((e) => String(e["name"]))),
      (err: unknown) => setProblem(asProblem(err)),
    );
  }, []);
  return (
    <form onSubmit={submit(() => openTask(() => barcodeLabel(drive ?? "", pool.trim() === "" ? undefined : pool.trim())))} aria-label="Barcode label">
      <Stack>
        {alert}
        <Text size="sm">Writes a media label with its barcode on every tape of the library that has none yet (cleaning cartridges are skipped).</Text>
        <Select label="Drive" data={drives} value={drive} onChange={setDrive} allowDeselect={false} error={byField["drive"]} />
        <Autocomplete label="Media pool" description="Empty: label the tapes as free media" data={pools} value={pool} onChange={setPool} error={byField["pool"]} />
        <FormButtons label="Label tapes" busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

function elementName(r: ChangerStatusEntry): string {
  return r["entry-kind"] === "import-export" ? `import/export ${r["entry-id"]}` : `slot ${r["entry-id"]}`;
}

function isFull(r: ChangerStatusEntry): boolean {
  return r["label-text"] !== undefined || r.state === "full";
}

/** Transfer form of a changer: a full slot (or import/export slot) to an empty one. The API's field messages show under the fields. */
function TransferForm({ changer, rows, onDone, onCancel }: { changer: string; rows: ChangerStatusEntry[]; onDone: () => void; onCancel: () => void }) {
  const slots = rows.filter((r) => r["entry-kind"] !== "drive");
  const option = (r: ChangerStatusEntry) => ({ value: String(r["entry-id"]), label: `${elementName(r)}${r["label-text"] ? ` (${r["label-text"]})` : ""}` });
  const sources = slots.filter(isFull).map(option);
  const targets = slots.filter((r) => !isFull(r)).map(option);
  const [from, setFrom] = useState<string | null>(sources[0]?.value ?? null);
  const [to, setTo] = useState<string | null>(targets[0]?.value ?? null);
  const { busy, byField, alert, submit } = useFormAction(["from", "to"]);
  return (
    <form
      onSubmit={submit(async () => {
        await transferMedia(changer, Number(from ?? 0), Number(to ?? 0));
        onDone();
      })}
      aria-label="Transfer"
    >
      <Stack>
        {alert}
        <Select label="From" data={sources} value={from} onChange={setFrom} allowDeselect={false} error={byField["from"]} />
        <Select label="To" data={targets} value={to} onChange={setTo} allowDeselect={false} error={byField["to"]} />
        <FormButtons label="Transfer" busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

/** Inventory form of a changer: the drive that reads the labels, and whether to read tapes the inventory already knows; opens the task. */
function InventoryForm({ drives, onCancel }: { drives: string[]; onCancel: () => void }) {
  const [drive, setDrive] = useState<string | null>(drives[0] ?? null);
  const [readAll, setReadAll] = useState(false);
  const { busy, byField, alert, submit } = useFormAction(["drive", "read-all-labels"]);
  return (
    <form onSubmit={submit(() => openTask(() => inventoryChanger(drive ?? "", readAll)))} aria-label="Inventory">
      <Stack>
        {alert}
        <Text size="sm">Loads each tape of the library whose label the inventory does not know yet, reads its labels and adds it to the inventory.</Text>
        <Select label="Drive" data={drives} value={drive} onChange={setDrive} allowDeselect={false} error={byField["drive"]} />
        <Switch label="Read all labels" description="Also read the tapes the inventory already knows" checked={readAll} onChange={(e) => setReadAll(e.currentTarget.checked)} />
        <FormButtons label="Read labels" busy={busy} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

function ChangerCard({ changer, drives, onProblem }: { changer: LocatedDevice; drives: LocatedDevice[]; onProblem: (p: ApiProblem | null) => void }) {
  const name = String(changer["name"]);
  const [rows, setRows] = useState<ChangerStatusEntry[] | ApiProblem | null>(null);
  const reload = useCallback(() => {
    changerStatus(name).then(setRows, (err: unknown) => setRows(asProblem(err)));
  }, [name]);
  useEffect(() => reload(), [reload]);
  const own = drives.filter((d) => d["changer"] === name);
  const driveNames = own.map((d) => String(d["name"]));
  const driveAt = (num: number) => own.find((d) => Number(d["changer-drivenum"] ?? 0) === num);
  const [dialog, setDialog] = useState<"label" | "transfer" | "inventory" | null>(null);
  const [moving, setMoving] = useState<number | null>(null);
  const freeDrives = Array.isArray(rows) ? own.filter((d) => !rows.some((r) => r["entry-kind"] === "drive" && r["entry-id"] === Number(d["changer-drivenum"] ?? 0) && isFull(r))) : [];
  const freeSlot = Array.isArray(rows) ? rows.find((r) => r["entry-kind"] === "slot" && !isFull(r)) : undefined;
  const freeIe = Array.isArray(rows) && rows.some((r) => r["entry-kind"] === "import-export" && !isFull(r));
  /** Import: the cartridge of an import/export slot into the first free storage slot (a transfer). */
  async function importFrom(ie: number, slot: number) {
    setMoving(ie);
    onProblem(null);
    try {
      await transferMedia(name, ie, slot);
      reload();
    } catch (err) {
      onProblem(asProblem(err));
    } finally {
      setMoving(null);
    }
  }
  const titles = { label: `Barcode label tapes of ${name}`, transfer: `Transfer in ${name}`, inventory: `Inventory of ${name}` } as const;
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
          {Array.isArray(rows) && (
            <Button size="compact-sm" variant="light" onClick={() => setDialog("transfer")} aria-label={`Transfer in ${name}`}>
              Transfer…
            </Button>
          )}
          {own.length > 0 && (
            <Button size="compact-sm" variant="light" onClick={() => setDialog("inventory")} aria-label={`Inventory ${name}`}>
              Inventory…
            </Button>
          )}
          {own.length > 0 && (
            <Button size="compact-sm" variant="light" onClick={() => setDialog("label")} aria-label={`Barcode label ${name}`}>
              Barcode label…
            </Button>
          )}
          <Button size="compact-sm" variant="default" onClick={reload} aria-label={`Reread ${name}`}>
            Reread
          </Button>
        </Group>
      </Group>
      <Modal opened={dialog !== null} onClose={() => setDialog(null)} title={dialog === null ? "" : titles[dialog]}>
        {dialog === "label" && <BarcodeLabelForm drives={driveNames} onCancel={() => setDialog(null)} />}
        {dialog === "inventory" && <InventoryForm drives={driveNames} onCancel={() => setDialog(null)} />}
        {dialog === "transfer" && Array.isArray(rows) && (
          <TransferForm
            changer={name}
            rows={rows}
            onCancel={() => setDialog(null)}
            onDone={() => {
              setDialog(null);
              reload();
            }}
          />
        )}
      </Modal>
      {rows === null && <Loader size="sm" aria-label="Loading" />}
      {rows !== null && !Array.isArray(rows) && <ProblemAlert problem={rows} title="Changer status unavailable" />}
      {Array.isArray(rows) && (
        <Table.ScrollContainer minWidth={560}>
          <Table striped verticalSpacing={4} aria-label={`Changer ${name} status`} data-testid="changer-status">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Element</Table.Th>
                <Table.Th>Cartridge</Table.Th>
                <Table.Th>Note</Table.Th>
                <Table.Th style={{ width: 200 }}>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => {
                const drive = r["entry-kind"] === "drive" ? driveAt(r["entry-id"]) : undefined;
                const full = isFull(r);
                const label = r["label-text"];
                return (
                  <Table.Tr key={`${r["entry-kind"]}-${r["entry-id"]}`} data-element={`${r["entry-kind"]}-${r["entry-id"]}`}>
                    <Table.Td>{r["entry-kind"] === "drive" ? `drive ${r["entry-id"]}${drive ? ` (${String(drive["name"])})` : ""}` : elementName(r)}</Table.Td>
                    <Table.Td ff="monospace">{label ?? (full ? "(no label)" : "")}</Table.Td>
                    <Table.Td>{r["loaded-slot"] !== undefined ? `from slot ${r["loaded-slot"]}` : (r.state ?? "")}</Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
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
                        {r["entry-kind"] === "slot" && label !== undefined && freeIe && driveNames.length > 0 && (
                          <Button size="compact-xs" variant="light" aria-label={`Export ${label}`} onClick={() => void runTask(() => exportMedia(driveNames[0]!, label), onProblem)}>
                            Export
                          </Button>
                        )}
                        {r["entry-kind"] === "import-export" && full && freeSlot && (
                          <Button
                            size="compact-xs"
                            variant="light"
                            loading={moving === r["entry-id"]}
                            aria-label={`Import from ${elementName(r)}`}
                            onClick={() => void importFrom(r["entry-id"], freeSlot["entry-id"])}
                          >
                            Import
                          </Button>
                        )}
                      </Group>
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

/** Drives and changers as the device agents see them: state, a drive's detail panel, slots; load, unload, transfer, export, import, inventory, barcode-label. */
export function TapeLibrary() {
  const [drives, setDrives] = useState<LocatedDevice[] | null>(null);
  const [changers, setChangers] = useState<LocatedDevice[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [detailOf, setDetailOf] = useState<string | null>(null);
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
                        <Button size="compact-xs" variant="light" onClick={() => setDetailOf(String(d["name"]))} aria-label={`Details of ${String(d["name"])}`}>
                          Details
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
      <DriveDetailModal drive={detailOf} onClose={() => setDetailOf(null)} />
    </Stack>
  );
}
