import { Badge, Button, Card, Group, Loader, Modal, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useCallback, useEffect, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { activityText, alertFlags, valueText, wearRows, type DriveStatusData } from "../../src/drive-detail.ts";
import { formatRun } from "../../src/schedule-preview.ts";
import { cartridgeMemory, cleanDrive, driveStatus, ejectMedia, formatMedia, readLabel, rewindDrive, volumeStatistics, type MamAttributeEntry, type TapeLabelInfo } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { asProblem, openTask, runTask } from "../run-task.ts";
import { FormButtons, useFormAction } from "../components/form-action.tsx";

type Loaded<T> = T | ApiProblem | null;

function isProblem(v: unknown): v is ApiProblem {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "code" in v && "fields" in v;
}

/** Key/value rows of a status or statistics object. */
function KeyValueTable({ data, label, testId }: { data: DriveStatusData; label: string; testId: string }) {
  return (
    <Table verticalSpacing={2} aria-label={label} data-testid={testId}>
      <Table.Tbody>
        {Object.entries(data).map(([k, v]) => (
          <Table.Tr key={k} data-key={k}>
            <Table.Th style={{ width: "45%" }}>{k}</Table.Th>
            <Table.Td ff="monospace">{valueText(v)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Format confirmation: everything on the tape is lost. The API's field messages show under the fields. */
function FormatForm({ drive, onCancel }: { drive: string; onCancel: () => void }) {
  const [label, setLabel] = useState("");
  const [fast, setFast] = useState(true);
  const { busy, byField, alert, submit } = useFormAction(["label-text", "fast"]);
  return (
    <Card withBorder padding="sm" data-testid="format-confirm">
      <form onSubmit={submit(() => openTask(() => formatMedia(drive, { fast, ...(label.trim() === "" ? {} : { "label-text": label.trim() }) })))} aria-label="Format tape">
        <Stack gap="xs">
          {alert}
          <Text size="sm" fw={600} c="red">
            Format the tape in drive {drive}? Its labels and everything written on it are lost.
          </Text>
          <TextInput label="Label text" description="Optional: format only if the loaded tape has this label" value={label} onChange={(e) => setLabel(e.currentTarget.value)} error={byField["label-text"]} />
          <Switch label="Fast format" checked={fast} onChange={(e) => setFast(e.currentTarget.checked)} />
          <FormButtons label="Format tape" color="red" busy={busy} onCancel={onCancel} />
        </Stack>
      </form>
    </Card>
  );
}

/**
 * One drive: its status (every field), the tape's wear, cartridge memory and
 * volume statistics, the labels on the tape; read label, rewind, eject, clean
 * and format (the last four run as tasks and open the task's log).
 */
export function DriveDetailModal({ drive, onClose }: { drive: string | null; onClose: () => void }) {
  const [status, setStatus] = useState<Loaded<DriveStatusData>>(null);
  const [mam, setMam] = useState<Loaded<MamAttributeEntry[]>>(null);
  const [stats, setStats] = useState<Loaded<DriveStatusData>>(null);
  const [label, setLabel] = useState<Loaded<TapeLabelInfo | "none">>(null);
  const [reading, setReading] = useState(false);
  const [formatting, setFormatting] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  const load = useCallback(async (name: string) => {
    setStatus(null);
    setMam(null);
    setStats(null);
    let s: DriveStatusData;
    try {
      s = await driveStatus(name);
    } catch (err) {
      setStatus(asProblem(err));
      return;
    }
    setStatus(s);
    // Cartridge memory and volume statistics exist only with a tape in the drive.
    if (s["medium-present"] !== true) return;
    await Promise.all([
      cartridgeMemory(name).then(setMam, (err: unknown) => setMam(asProblem(err))),
      volumeStatistics(name).then(setStats, (err: unknown) => setStats(asProblem(err))),
    ]);
  }, []);

  useEffect(() => {
    setLabel(null);
    setProblem(null);
    setFormatting(false);
    if (drive !== null) void load(drive);
  }, [drive, load]);

  async function doReadLabel(name: string) {
    setReading(true);
    setProblem(null);
    try {
      setLabel((await readLabel(name)) ?? "none");
    } catch (err) {
      setLabel(asProblem(err));
    } finally {
      setReading(false);
    }
  }

  const present = status !== null && !isProblem(status) && status["medium-present"] === true;
  const flags = status !== null && !isProblem(status) ? alertFlags(status) : [];
  const wear = present ? wearRows(status, stats !== null && !isProblem(stats) ? stats : null) : [];
  return (
    <Modal opened={drive !== null} onClose={onClose} title={`Drive ${drive ?? ""}`} size="xl">
      {drive !== null && (
        <Stack gap="md" data-testid="drive-detail">
          <Group gap="xs" justify="space-between">
            <Group gap="xs">
              {status !== null && !isProblem(status) && (
                <Badge variant="light" color={present ? "blue" : "gray"} data-testid="drive-activity" style={{ textTransform: "none" }}>
                  {activityText(status)}
                </Badge>
              )}
              {flags.map((f) => (
                <Badge key={f} color="red" variant="filled" data-testid="tape-alert">
                  {f}
                </Badge>
              ))}
            </Group>
            <Group gap="xs">
              <Button size="compact-sm" variant="light" loading={reading} disabled={!present} onClick={() => void doReadLabel(drive)}>
                Read label
              </Button>
              <Button size="compact-sm" variant="light" disabled={!present} onClick={() => void runTask(() => rewindDrive(drive), setProblem)}>
                Rewind
              </Button>
              <Button size="compact-sm" variant="light" disabled={!present} onClick={() => void runTask(() => ejectMedia(drive), setProblem)}>
                Eject
              </Button>
              <Button size="compact-sm" variant="light" onClick={() => void runTask(() => cleanDrive(drive), setProblem)}>
                Clean
              </Button>
              <Button size="compact-sm" variant="light" color="red" disabled={!present} onClick={() => setFormatting(true)}>
                Format…
              </Button>
              <Button size="compact-sm" variant="default" onClick={() => void load(drive)} aria-label={`Reread ${drive}`}>
                Reread
              </Button>
            </Group>
          </Group>
          {problem && !formatting && <ProblemAlert problem={problem} />}
          {formatting && <FormatForm drive={drive} onCancel={() => setFormatting(false)} />}
          {label !== null && (
            <Card withBorder padding="sm">
              <Title order={5} mb="xs">
                Labels on the tape
              </Title>
              {isProblem(label) ? (
                <ProblemAlert problem={label} title="Reading the label failed" />
              ) : label === "none" ? (
                <Text size="sm" data-testid="media-label">
                  The tape has no label.
                </Text>
              ) : (
                <Table verticalSpacing={2} aria-label="Labels on the tape" data-testid="media-label">
                  <Table.Tbody>
                    {Object.entries(label)
                      .filter(([k]) => k !== "key-config")
                      .map(([k, v]) => (
                        <Table.Tr key={k} data-key={k}>
                          <Table.Th style={{ width: "45%" }}>{k}</Table.Th>
                          <Table.Td ff="monospace">{k.endsWith("ctime") && typeof v === "number" ? formatRun(new Date(v * 1000)) : valueText(v)}</Table.Td>
                        </Table.Tr>
                      ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
          )}
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
            <Stack gap="xs">
              <Title order={5}>Status</Title>
              {status === null && <Loader size="sm" aria-label="Loading" />}
              {isProblem(status) && <ProblemAlert problem={status} title="Drive status unavailable" />}
              {status !== null && !isProblem(status) && <KeyValueTable data={status} label="Drive status" testId="drive-status" />}
            </Stack>
            <Stack gap="xs">
              <Title order={5}>Wear</Title>
              {!present && (
                <Text size="sm" c="dimmed">
                  No tape in the drive.
                </Text>
              )}
              {present && wear.length === 0 && stats === null && <Loader size="sm" aria-label="Loading" />}
              {wear.length > 0 && (
                <Table verticalSpacing={2} aria-label="Tape wear" data-testid="tape-wear">
                  <Table.Tbody>
                    {wear.map((w) => (
                      <Table.Tr key={w.label}>
                        <Table.Th style={{ width: "55%" }}>{w.label}</Table.Th>
                        <Table.Td ff="monospace">{w.value}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
              <Title order={5} mt="sm">
                Volume statistics
              </Title>
              {present && stats === null && <Loader size="sm" aria-label="Loading" />}
              {isProblem(stats) && <ProblemAlert problem={stats} title="Volume statistics unavailable" />}
              {stats !== null && !isProblem(stats) && <KeyValueTable data={stats} label="Volume statistics" testId="volume-statistics" />}
            </Stack>
          </SimpleGrid>
          <Stack gap="xs">
            <Title order={5}>Cartridge memory</Title>
            {!present && (
              <Text size="sm" c="dimmed">
                No tape in the drive.
              </Text>
            )}
            {present && mam === null && <Loader size="sm" aria-label="Loading" />}
            {isProblem(mam) && <ProblemAlert problem={mam} title="Cartridge memory unavailable" />}
            {Array.isArray(mam) && (
              <Table.ScrollContainer minWidth={480}>
                <Table striped verticalSpacing={2} aria-label="Cartridge memory" data-testid="cartridge-memory">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th style={{ width: 90 }}>Id</Table.Th>
                      <Table.Th>Attribute</Table.Th>
                      <Table.Th>Value</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {mam.map((a) => (
                      <Table.Tr key={a.id} data-mam={a.id}>
                        <Table.Td ff="monospace">0x{a.id.toString(16).padStart(4, "0")}</Table.Td>
                        <Table.Td>{a.name}</Table.Td>
                        <Table.Td ff="monospace">{a.value}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Stack>
        </Stack>
      )}
    </Modal>
  );
}
