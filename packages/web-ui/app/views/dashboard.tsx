import { Anchor, Badge, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState, type ReactNode } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { CONFIG_KINDS, FORM_SPECS, type ConfigKind, type Entry } from "../../src/config-forms.ts";
import { formatRun, previewSchedule } from "../../src/schedule-preview.ts";
import { ApiError, listConfig, readiness, type Readiness } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { navigate } from "../router.ts";

/** What the dashboard panels read, loaded once per visit. */
export interface DashboardData {
  readiness: Readiness | ApiProblem;
  config: Record<ConfigKind, Entry[]>;
}

/**
 * A dashboard panel. Panels are a list so that views of further API routes
 * (drive activity, running jobs, tape requests) are added as entries here,
 * each reading what it needs from {@link DashboardData}.
 */
interface Panel {
  id: string;
  title: string;
  /** Columns of the grid the panel spans on wide screens (1 or 2). */
  span: 1 | 2;
  render: (d: DashboardData) => ReactNode;
}

function isProblem(v: Readiness | ApiProblem): v is ApiProblem {
  return "code" in v;
}

function GatewayPanel({ r }: { r: Readiness | ApiProblem }) {
  if (isProblem(r)) return <ProblemAlert problem={r} title="Gateway not answering" />;
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Text size="sm">Gateway</Text>
        <Badge color={r.status === "ready" ? "green" : "red"} data-testid="gateway-status">
          {r.status}
        </Badge>
      </Group>
      <Group gap="xs">
        {Object.entries(r.checks).map(([name, ok]) => (
          <Badge key={name} variant="light" color={ok ? "green" : "red"}>
            {name}: {ok ? "ok" : "failing"}
          </Badge>
        ))}
      </Group>
    </Stack>
  );
}

function CountsPanel({ config }: { config: DashboardData["config"] }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
      {CONFIG_KINDS.map((k) => (
        <Card key={k} withBorder padding="sm" data-testid={`count-${k}`}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            {FORM_SPECS[k].plural}
          </Text>
          <Text size="xl" fw={700}>
            {config[k].length}
          </Text>
          <Anchor
            size="xs"
            href={FORM_SPECS[k].route}
            onClick={(e) => {
              e.preventDefault();
              navigate(FORM_SPECS[k].route);
            }}
          >
            Manage
          </Anchor>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function DrivesPanel({ config }: { config: DashboardData["config"] }) {
  const pools = config["media-pool"];
  if (config.drive.length === 0) return <Text c="dimmed" size="sm">No drives configured.</Text>;
  return (
    <Table.ScrollContainer minWidth={420}>
      <Table verticalSpacing={4} aria-label="Drives summary">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Drive</Table.Th>
            <Table.Th>Changer</Table.Th>
            <Table.Th>Pools</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {config.drive.map((d) => (
            <Table.Tr key={String(d["name"])}>
              <Table.Td fw={600}>{String(d["name"])}</Table.Td>
              <Table.Td>{d["changer"] === undefined ? "standalone" : `${String(d["changer"])} #${String(d["changer-drivenum"] ?? 0)}`}</Table.Td>
              <Table.Td>{pools.filter((p) => p["drive"] === d["name"]).map((p) => String(p["name"])).join(", ") || "—"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function UpcomingPanel({ config }: { config: DashboardData["config"] }) {
  const now = new Date();
  const rows = config["tape-backup-job"]
    .flatMap((j) => {
      const p = typeof j["schedule"] === "string" ? previewSchedule(j["schedule"], now, { count: 1 }) : null;
      return p?.kind === "runs" ? [{ id: String(j["id"]), pool: String(j["pool"]), at: p.runs[0]! }] : [];
    })
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  if (rows.length === 0) return <Text c="dimmed" size="sm">No scheduled backup jobs.</Text>;
  return (
    <Table verticalSpacing={4} aria-label="Upcoming backup jobs">
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.id}>
            <Table.Td ff="monospace">{formatRun(r.at)}</Table.Td>
            <Table.Td fw={600}>{r.id}</Table.Td>
            <Table.Td>pool {r.pool}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

const PANELS: readonly Panel[] = [
  { id: "gateway", title: "Services", span: 1, render: (d) => <GatewayPanel r={d.readiness} /> },
  { id: "counts", title: "Configuration", span: 1, render: (d) => <CountsPanel config={d.config} /> },
  { id: "drives", title: "Drives", span: 1, render: (d) => <DrivesPanel config={d.config} /> },
  { id: "upcoming", title: "Next scheduled backups", span: 1, render: (d) => <UpcomingPanel config={d.config} /> },
];

async function loadDashboard(): Promise<DashboardData> {
  const ready = readiness().catch((err: unknown) => {
    if (err instanceof ApiError) return err.problem;
    throw err;
  });
  const lists = await Promise.all(CONFIG_KINDS.map((k) => listConfig(k)));
  const config = Object.fromEntries(CONFIG_KINDS.map((k, i) => [k, lists[i]!])) as Record<ConfigKind, Entry[]>;
  return { readiness: await ready, config };
}

export function Dashboard() {
  const [data, setData] = useState<DashboardData | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    let live = true;
    loadDashboard().then(
      (d) => live && setData(d),
      (err: unknown) => {
        if (err instanceof ApiError) {
          if (live) setProblem(err.problem);
        } else throw err;
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <Stack gap="md">
      <Title order={2}>Dashboard</Title>
      {problem && <ProblemAlert problem={problem} />}
      {data === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {data !== null && (
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
          {PANELS.map((p) => (
            <Card key={p.id} withBorder padding="md" data-testid={`panel-${p.id}`} style={p.span === 2 ? { gridColumn: "1 / -1" } : undefined}>
              <Title order={4} mb="sm">
                {p.title}
              </Title>
              {p.render(data)}
            </Card>
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}
