import { Anchor, Button, Code, Group, Loader, ScrollArea, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { formatDuration, formatTimestamp } from "../../src/schedule-preview.ts";
import { latestProgress } from "../../src/task-progress.ts";
import { ApiError, listTasks, stopTask, taskLog, taskStatus, type TaskInfo, type TaskLogLine, type TaskStatus } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { TaskProgressBar } from "../components/task-progress-bar.tsx";
import { TaskStatusBadge } from "../components/task-status-badge.tsx";
import { navigate } from "../router.ts";

/** How often the list and a running task's log are read again. */
const LIST_REFRESH_MS = 3000;
const LOG_REFRESH_MS = 1000;

export const TASKS_ROUTE = "/tasks";

export function taskRoute(upid: string): string {
  return `${TASKS_ROUTE}/${encodeURIComponent(upid)}`;
}

function describe(t: { "worker-type": string; "worker-id"?: string }): string {
  return t["worker-id"] ? `${t["worker-type"]} ${t["worker-id"]}` : t["worker-type"];
}

/** Tasks, newest first, read again every few seconds. */
export function TaskList() {
  const [tasks, setTasks] = useState<TaskInfo[] | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [runningOnly, setRunningOnly] = useState(false);
  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const list = await listTasks(runningOnly ? { running: true, limit: 200 } : { limit: 200 });
        if (live) {
          setTasks(list);
          setProblem(null);
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (live) setProblem(err.problem);
      }
    };
    void load();
    const timer = window.setInterval(() => void load(), LIST_REFRESH_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [runningOnly]);
  const now = Date.now() / 1000;
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Tasks</Title>
        <Switch label="Running only" checked={runningOnly} onChange={(e) => setRunningOnly(e.currentTarget.checked)} />
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {tasks === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {tasks !== null && tasks.length === 0 && <Text c="dimmed" data-testid="empty">No tasks{runningOnly ? " running" : ""}.</Text>}
      {tasks !== null && tasks.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Tasks" data-testid="tasks">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Started</Table.Th>
                <Table.Th>Task</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Duration</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tasks.map((t) => (
                <Table.Tr key={t.upid} data-upid={t.upid}>
                  <Table.Td ff="monospace">{formatTimestamp(new Date(t.starttime * 1000))}</Table.Td>
                  <Table.Td>
                    <Anchor
                      href={taskRoute(t.upid)}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(taskRoute(t.upid));
                      }}
                    >
                      {describe(t)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{t.user}</Table.Td>
                  <Table.Td>{formatDuration((t.endtime ?? now) - t.starttime)}</Table.Td>
                  <Table.Td>
                    <TaskStatusBadge status={t.status} running={t.endtime === undefined} />
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

/** One task: its status and its log, followed while the task runs. */
export function TaskView({ upid }: { upid: string }) {
  const [status, setStatus] = useState<TaskStatus | null>(null);
  const [lines, setLines] = useState<TaskLogLine[]>([]);
  const [active, setActive] = useState(true);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [stopping, setStopping] = useState(false);
  const viewport = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    let next = 0;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const page = await taskLog(upid, next);
        const st = await taskStatus(upid);
        if (!live) return;
        next += page.data.length;
        if (page.data.length > 0) setLines((l) => [...l, ...page.data]);
        setStatus(st);
        setActive(page.active);
        setProblem(null);
        if (page.active || next < page.total) timer = window.setTimeout(() => void poll(), page.active ? LOG_REFRESH_MS : 0);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (live) {
          setProblem(err.problem);
          timer = window.setTimeout(() => void poll(), LOG_REFRESH_MS * 3);
        }
      }
    };
    setLines([]);
    void poll();
    return () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [upid]);

  useEffect(() => {
    viewport.current?.scrollTo({ top: viewport.current.scrollHeight });
  }, [lines.length]);

  const running = status?.status === "running";
  const progress = latestProgress(lines);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Group gap="sm">
          <Anchor
            href={TASKS_ROUTE}
            onClick={(e) => {
              e.preventDefault();
              navigate(TASKS_ROUTE);
            }}
          >
            Tasks
          </Anchor>
          <Text c="dimmed">/</Text>
          <Title order={2}>{status ? describe(status) : "Task"}</Title>
        </Group>
        {running && (
          <Button
            color="red"
            variant="light"
            loading={stopping}
            onClick={() => {
              setStopping(true);
              stopTask(upid)
                .catch((err: unknown) => {
                  if (err instanceof ApiError) setProblem(err.problem);
                  else throw err;
                })
                .finally(() => setStopping(false));
            }}
          >
            Stop
          </Button>
        )}
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {status && (
        <Group gap="lg" data-testid="task-status">
          <TaskStatusBadge status={status.exitstatus} running={running} />
          <Text size="sm">started {formatTimestamp(new Date(status.starttime * 1000))}</Text>
          {status.endtime !== undefined && <Text size="sm">took {formatDuration(status.endtime - status.starttime)}</Text>}
          <Text size="sm">by {status.user}</Text>
        </Group>
      )}
      {progress && <TaskProgressBar progress={progress.progress} {...(progress.label === undefined ? {} : { label: progress.label })} />}
      <Code block p={0}>
        <ScrollArea h="60vh" viewportRef={viewport} p="sm" data-testid="task-log" aria-label="Task log">
          {lines.map((l) => (
            <div key={l.n} data-level={l.level} style={{ color: l.level === "error" ? "var(--mantine-color-red-text)" : l.level === "warn" ? "var(--mantine-color-yellow-text)" : undefined, whiteSpace: "pre-wrap" }}>
              {l.t}
            </div>
          ))}
          {active && <Loader size="xs" type="dots" aria-label="Following the log" />}
        </ScrollArea>
      </Code>
      <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: "break-all" }}>
        {upid}
      </Text>
    </Stack>
  );
}
