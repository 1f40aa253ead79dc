import { Anchor, Badge, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState, type ReactNode } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { CONFIG_KINDS, FORM_SPECS, type ConfigKind, type Entry } from "../../src/config-forms.ts";
import { formatDuration, formatRun, previewSchedule } from "../../src/schedule-preview.ts";
import { activityText, alertFlags, driveOfTask, isBusy, type DriveStatusData } from "../../src/drive-detail.ts";
import { formatRate, latestProgress, type TaskProgress } from "../../src/task-progress.ts";
import {
  ApiError,
  driveStatus,
  listConfig,
  listTapeChangers,
  listTapeDrives,
  listTapeRequests,
  listTasks,
  readiness,
  taskLogTail,
  type LocatedDevice,
  type Readiness,
  type TapeRequestEntry,
  type TaskInfo,
} from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { TaskProgressBar } from "../components/task-progress-bar.tsx";
import { TaskStatusBadge } from "../components/task-status-badge.tsx";
import { navigate } from "../router.ts";
import { DeviceState } from "./tape-library.tsx";
import { taskRoute } from "./tasks.tsx";

/** What the dashboard panels read, loaded once per visit. */
export interface DashboardData {
  readiness: Readiness | ApiProblem;
  config: Record<ConfigKind, Entry[]>;
  /** Drives and changers with their state as the device agents report it. */
  tapeDrives: LocatedDevice[] | ApiProblem;
  tapeChangers: LocatedDevice[] | ApiProblem;
  /** The latest tasks, newest first. */
  tasks: TaskInfo[] | ApiProblem;
  /** Jobs waiting for an operator to load or insert a tape. */
  tapeRequests: TapeRequestEntry[] | ApiProblem;
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

function isProblem<T extends object>(v: T | ApiProblem): v is ApiProblem {
  return !Array.isArray(v) && "code" in v && "fields" in v;
}

/** Device agents as the devices' locations name them, with how many of their devices are online. */
function agentsOf(d: DashboardData): { host: string; online: number; total: number }[] {
  const devices = [...(isProblem(d.tapeDrives) ? [] : d.tapeDrives), ...(isProblem(d.tapeChangers) ? [] : d.tapeChangers)];
  const hosts = new Map<string, { online: number; total: number }>();
  for (const dev of devices) {
    const host = dev["host-id"];
    if (host === undefined) continue;
    const h = hosts.get(host) ?? { online: 0, total: 0 };
    h.total += 1;
    if (dev.state === "online") h.online += 1;
    hosts.set(host, h);
  }
  return [...hosts].map(([host, h]) => ({ host, ...h })).sort((a, b) => a.host.localeCompare(b.host));
}

function ServicesPanel({ d }: { d: DashboardData }) {
  const r = d.readiness;
  const agents = agentsOf(d);
  return (
    <Stack gap="xs">
      {isProblem(r) ? (
        <ProblemAlert problem={r} title="Gateway not answering" />
      ) : (
        <>
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
        </>
      )}
      <Group gap="xs" data-testid="agents">
        <Text size="sm">Device agents</Text>
        {agents.length === 0 && (
          <Text size="sm" c="dimmed">
            none with configured devices
          </Text>
        )}
        {agents.map((a) => (
          <Badge key={a.host} variant="light" color={a.online === a.total ? "green" : a.online === 0 ? "red" : "yellow"} style={{ textTransform: "none" }}>
            {a.host}: {a.online}/{a.total} online
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

function DevicesPanel({ d }: { d: DashboardData }) {
  const pools = d.config["media-pool"];
  if (isProblem(d.tapeDrives)) return <ProblemAlert problem={d.tapeDrives} title="Drive states unavailable" />;
  const changers = isProblem(d.tapeChangers) ? [] : d.tapeChangers;
  if (d.tapeDrives.length === 0 && changers.length === 0) return <Text c="dimmed" size="sm">No drives or changers configured.</Text>;
  const online = [...d.tapeDrives, ...changers].filter((x) => x.state === "online").length;
  return (
    <Stack gap="xs">
      <Text size="sm" data-testid="devices-online">
        {online} of {d.tapeDrives.length + changers.length} devices online
      </Text>
      <Table.ScrollContainer minWidth={420}>
        <Table verticalSpacing={4} aria-label="Devices summary">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Device</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Where</Table.Th>
              <Table.Th>Pools</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {changers.map((c) => (
              <Table.Tr key={`c-${String(c["name"])}`}>
                <Table.Td fw={600}>{String(c["name"])}</Table.Td>
                <Table.Td><DeviceState state={c.state} /></Table.Td>
                <Table.Td>changer{c["host-id"] ? ` on ${c["host-id"]}` : ""}</Table.Td>
                <Table.Td />
              </Table.Tr>
            ))}
            {d.tapeDrives.map((dr) => (
              <Table.Tr key={`d-${String(dr["name"])}`}>
                <Table.Td fw={600}>{String(dr["name"])}</Table.Td>
                <Table.Td><DeviceState state={dr.state} /></Table.Td>
                <Table.Td>{dr["changer"] === undefined ? "standalone" : `${String(dr["changer"])} #${String(dr["changer-drivenum"] ?? 0)}`}{dr["host-id"] ? ` on ${dr["host-id"]}` : ""}</Table.Td>
                <Table.Td>{pools.filter((p) => p["drive"] === dr["name"]).map((p) => String(p["name"])).join(", ") || "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

function TasksPanel({ tasks }: { tasks: DashboardData["tasks"] }) {
  if (isProblem(tasks)) return <ProblemAlert problem={tasks} title="Tasks unavailable" />;
  if (tasks.length === 0) return <Text c="dimmed" size="sm">No tasks yet.</Text>;
  const running = tasks.filter((t) => t.endtime === undefined).length;
  return (
    <Stack gap="xs">
      <Text size="sm" data-testid="tasks-running">{running} running</Text>
      <Table verticalSpacing={4} aria-label="Recent tasks">
        <Table.Tbody>
          {tasks.slice(0, 8).map((t) => (
            <Table.Tr key={t.upid}>
              <Table.Td>
                <Anchor
                  size="sm"
                  href={taskRoute(t.upid)}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(taskRoute(t.upid));
                  }}
                >
                  {t["worker-type"]}{t["worker-id"] ? ` ${t["worker-id"]}` : ""}
                </Anchor>
              </Table.Td>
              <Table.Td ff="monospace">{formatRun(new Date(t.starttime * 1000))}</Table.Td>
              <Table.Td><TaskStatusBadge status={t.status} running={t.endtime === undefined} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function TapeRequestsPanel({ requests }: { requests: DashboardData["tapeRequests"] }) {
  if (isProblem(requests)) return <ProblemAlert problem={requests} title="Tape requests unavailable" />;
  if (requests.length === 0) return <Text c="dimmed" size="sm" data-testid="tape-requests-none">No job is waiting for a tape.</Text>;
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table verticalSpacing={4} aria-label="Tape requests">
        <Table.Tbody>
          {requests.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Badge color="orange" variant="light">{r.kind}</Badge>
              </Table.Td>
              <Table.Td>
                <Anchor
                  size="sm"
                  href={taskRoute(r.upid)}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(taskRoute(r.upid));
                  }}
                >
                  {r.message}
                </Anchor>
              </Table.Td>
              <Table.Td>drive {r.drive}</Table.Td>
              <Table.Td ff="monospace">{formatRun(new Date(r.since * 1000))}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** How often the running jobs panel reads the running tasks and their latest progress. */
const JOBS_REFRESH_MS = 2000;
/** Log lines read from the end of a running task to find its latest progress. */
const TAIL_LINES = 20;

interface RunningJob {
  task: TaskInfo;
  progress?: { progress: TaskProgress; label?: string };
  /** The task's last log line (what it is doing or waiting for). */
  last?: string;
}

/**
 * Running and queued jobs with their progress, read again every few seconds;
 * a job waiting for an operator shows the tape request.
 */
function RunningJobsPanel({ requests }: { requests: DashboardData["tapeRequests"] }) {
  const [jobs, setJobs] = useState<RunningJob[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const load = async () => {
      try {
        const tasks = await listTasks({ running: true, limit: 50 });
        const out = await Promise.all(
          tasks.map(async (task): Promise<RunningJob> => {
            const tail = await taskLogTail(task.upid, TAIL_LINES);
            const p = latestProgress(tail);
            const last = tail.at(-1)?.t;
            return { task, ...(p ? { progress: p } : {}), ...(last !== undefined ? { last } : {}) };
          }),
        );
        if (live) {
          setJobs(out);
          setProblem(null);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (live) setProblem(err.problem);
      }
      if (live) timer = window.setTimeout(() => void load(), JOBS_REFRESH_MS);
    };
    void load();
    return () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, []);
  if (problem) return <ProblemAlert problem={problem} title="Running jobs unavailable" />;
  if (jobs === null) return <Loader size="sm" aria-label="Loading" />;
  if (jobs.length === 0) return <Text c="dimmed" size="sm" data-testid="jobs-none">No job is running or queued.</Text>;
  const waiting = isProblem(requests) ? [] : requests;
  const now = Date.now() / 1000;
  return (
    <Stack gap="sm">
      {jobs.map((j) => {
        const request = waiting.find((r) => r.upid === j.task.upid);
        return (
          <Stack key={j.task.upid} gap={4} data-testid="running-job" data-upid={j.task.upid}>
            <Group justify="space-between" gap="xs">
              <Anchor
                size="sm"
                fw={600}
                href={taskRoute(j.task.upid)}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(taskRoute(j.task.upid));
                }}
              >
                {j.task["worker-type"]}
                {j.task["worker-id"] ? ` ${j.task["worker-id"]}` : ""}
              </Anchor>
              <Group gap="xs">
                {request && <Badge color="orange" variant="light">waiting for a tape</Badge>}
                {!request && j.last === undefined && <Badge color="gray" variant="light">queued</Badge>}
                <Text size="xs" c="dimmed">running {formatDuration(now - j.task.starttime)}</Text>
              </Group>
            </Group>
            {j.progress ? (
              <TaskProgressBar progress={j.progress.progress} size="sm" {...(j.progress.label === undefined ? {} : { label: j.progress.label })} />
            ) : (
              <Text size="xs" c="dimmed" truncate="end">
                {request ? request.message : (j.last ?? "starting")}
              </Text>
            )}
          </Stack>
        );
      })}
    </Stack>
  );
}

/** How often the drive activity panel reads the drives' status and what runs on them. */
const ACTIVITY_REFRESH_MS = 3000;

interface DriveActivity {
  drive: string;
  status: DriveStatusData | ApiProblem;
  /** The rate of a running task on the drive, from its latest progress line. */
  rate?: number;
  task?: string;
}

/**
 * What each online drive is doing (its device activity: idle, loading,
 * writing, cleaning, calibrating, …), at what rate when a running task on it
 * reports progress, and the TapeAlert flags it raised.
 */
function DriveActivityPanel({ d }: { d: DashboardData }) {
  const [rows, setRows] = useState<DriveActivity[] | null>(null);
  const drives = isProblem(d.tapeDrives) ? [] : d.tapeDrives.filter((x) => x.state === "online").map((x) => String(x["name"]));
  const key = drives.join(",");
  const jobs = d.config["tape-backup-job"];
  const pools = d.config["media-pool"];
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const names = key === "" ? [] : key.split(",");
    const load = async () => {
      const running = await listTasks({ running: true, limit: 50 }).catch((err: unknown) => {
        if (err instanceof ApiError) return [];
        throw err;
      });
      const out = await Promise.all(
        names.map(async (drive): Promise<DriveActivity> => {
          const status = await driveStatus(drive).catch((err: unknown) => {
            if (err instanceof ApiError) return err.problem;
            throw err;
          });
          const task = running.find((t) => driveOfTask(t, { jobs, pools }) === drive);
          if (!task) return { drive, status };
          const p = latestProgress(await taskLogTail(task.upid, TAIL_LINES).catch(() => []));
          return { drive, status, task: task["worker-type"], ...(p ? { rate: p.progress.rate } : {}) };
        }),
      );
      if (!live) return;
      setRows(out);
      timer = window.setTimeout(() => void load(), ACTIVITY_REFRESH_MS);
    };
    void load();
    return () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [key, jobs, pools]);
  if (isProblem(d.tapeDrives)) return <ProblemAlert problem={d.tapeDrives} title="Drives unavailable" />;
  if (drives.length === 0) return <Text c="dimmed" size="sm" data-testid="activity-none">No drive is online.</Text>;
  if (rows === null) return <Loader size="sm" aria-label="Loading" />;
  return (
    <Table verticalSpacing={4} aria-label="Drive activity">
      <Table.Tbody>
        {rows.map((r) => {
          const problem = isProblem(r.status) ? r.status : null;
          const status = problem ? null : (r.status as DriveStatusData);
          const flags = status ? alertFlags(status) : [];
          return (
            <Table.Tr key={r.drive} data-testid="drive-activity-row" data-drive={r.drive}>
              <Table.Td fw={600}>{r.drive}</Table.Td>
              <Table.Td>
                {problem ? (
                  <Text size="sm" c="red">
                    {problem.message}
                  </Text>
                ) : (
                  <Group gap="xs">
                    {/* Between its commands a drive in use reports no activity: a task running on it says it is in use. */}
                    <Badge variant="light" color={(status && isBusy(status)) || r.task !== undefined ? "blue" : "gray"} style={{ textTransform: "none" }} data-testid="activity">
                      {status && !isBusy(status) && r.task !== undefined ? "in use" : activityText(status!)}
                    </Badge>
                    {r.rate !== undefined && (
                      <Text size="xs" data-testid="activity-rate">
                        {r.task} at {formatRate(r.rate)}
                      </Text>
                    )}
                    {r.rate === undefined && r.task !== undefined && (
                      <Text size="xs" c="dimmed">
                        {r.task}
                      </Text>
                    )}
                  </Group>
                )}
              </Table.Td>
              <Table.Td>
                {flags.length === 0 ? (
                  <Text size="xs" c="dimmed">
                    no TapeAlert
                  </Text>
                ) : (
                  <Group gap={4}>
                    {flags.map((f) => (
                      <Badge key={f} color="red" variant="filled" data-testid="tape-alert">
                        {f}
                      </Badge>
                    ))}
                  </Group>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
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
  { id: "services", title: "Services", span: 1, render: (d) => <ServicesPanel d={d} /> },
  { id: "counts", title: "Configuration", span: 1, render: (d) => <CountsPanel config={d.config} /> },
  { id: "devices", title: "Drives and changers", span: 1, render: (d) => <DevicesPanel d={d} /> },
  { id: "activity", title: "Drive activity", span: 1, render: (d) => <DriveActivityPanel d={d} /> },
  { id: "jobs", title: "Running jobs", span: 1, render: (d) => <RunningJobsPanel requests={d.tapeRequests} /> },
  { id: "tasks", title: "Tasks", span: 1, render: (d) => <TasksPanel tasks={d.tasks} /> },
  { id: "upcoming", title: "Next scheduled backups", span: 1, render: (d) => <UpcomingPanel config={d.config} /> },
  { id: "tape-requests", title: "Tape requests", span: 1, render: (d) => <TapeRequestsPanel requests={d.tapeRequests} /> },
];

/** The value, or the problem when the call failed (each panel shows its own). */
function settle<T>(p: Promise<T>): Promise<T | ApiProblem> {
  return p.catch((err: unknown) => {
    if (err instanceof ApiError) return err.problem;
    throw err;
  });
}

async function loadDashboard(): Promise<DashboardData> {
  const ready = settle(readiness());
  const tapeDrives = settle(listTapeDrives());
  const tapeChangers = settle(listTapeChangers());
  const tasks = settle(listTasks({ limit: 20 }));
  const tapeRequests = settle(listTapeRequests());
  const lists = await Promise.all(CONFIG_KINDS.map((k) => listConfig(k)));
  const config = Object.fromEntries(CONFIG_KINDS.map((k, i) => [k, lists[i]!])) as Record<ConfigKind, Entry[]>;
  return { readiness: await ready, config, tapeDrives: await tapeDrives, tapeChangers: await tapeChangers, tasks: await tasks, tapeRequests: await tapeRequests };
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
