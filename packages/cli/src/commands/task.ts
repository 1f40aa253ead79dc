import type { TaskInfo, TaskLogLine, TaskStatus } from "@tapefleet/api-types";
import type { Command } from "commander";
import type { ApiClient } from "../api-client.ts";
import type { CliContext, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";
import { renderTable } from "../table.ts";

/** Node name used in task paths (the scheduler serves the tasks of every node). */
export const TASK_NODE = "localhost";
/** How often a followed task's log is polled (ms). */
export const FOLLOW_POLL_MS = 250;

const taskPath = (upid: string) => `/nodes/${TASK_NODE}/tasks/${encodeURIComponent(upid)}`;

interface LogReply {
  lines: TaskLogLine[];
  active: boolean;
}

/** Read a task log page; the API answers `{data: lines, total, active}`. */
async function logPage(client: ApiClient, upid: string, start: number): Promise<LogReply> {
  const raw = await client.getRaw<{ data: TaskLogLine[]; active?: boolean }>(`${taskPath(upid)}/log?start=${start}&limit=1000`);
  return { lines: raw.data ?? [], active: raw.active !== false };
}

/** True for a PBS exit status that is not a failure. */
export function taskSucceeded(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || (exitstatus ?? "").startsWith("WARNINGS");
}

/**
 * Print a task's log as it grows until the task ends (as `proxmox-tape`
 * does); throws when the task failed, so tapectl exits non-zero.
 */
export async function followTask(ctx: CliContext, client: ApiClient, upid: string, opts: { print?: boolean } = {}): Promise<TaskStatus> {
  let seen = 0;
  for (;;) {
    const page = await logPage(client, upid, seen);
    for (const l of page.lines) {
      if (opts.print !== false) ctx.io.stdout(l.t + "\n");
      seen = Math.max(seen, l.n);
    }
    if (!page.active && page.lines.length === 0) break;
    if (page.lines.length === 0) await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
  const status = await client.get<TaskStatus>(`${taskPath(upid)}/status`);
  if (!taskSucceeded(status.exitstatus)) throw new CliError(`task failed: ${status.exitstatus ?? "unknown"}`, [], "TASK_FAILED");
  return status;
}

/** Start a task (the API answers its UPID) and follow it unless output is JSON. */
export async function runTask(ctx: CliContext, g: GlobalOptions, method: "post" | "put", path: string, body: unknown): Promise<void> {
  const client = ctx.client(g);
  const upid = method === "post" ? await client.post<string>(path, body) : await client.put<string>(path, body);
  if (g.outputFormat !== "text") {
    const status = await followTask(ctx, client, upid, { print: false });
    ctx.print(g, { upid, status: status.exitstatus }, () => "");
    return;
  }
  await followTask(ctx, client, upid);
}

const fmtTime = (epoch: number | undefined) => (epoch === undefined ? "" : new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));

/** `tapectl task list|log|stop`. */
export function registerTask(program: Command, ctx: CliContext): void {
  const task = program.command("task").description("Tasks: long drive and changer operations.");
  task
    .command("list")
    .description("List tasks, newest first.")
    .option("--running", "only running tasks")
    .option("--limit <n>", "how many (default 50)")
    .action(async (o: { running?: boolean; limit?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      const q = new URLSearchParams();
      if (o.running) q.set("running", "1");
      if (o.limit) q.set("limit", o.limit);
      const data = await ctx.client(g).get<TaskInfo[]>(`/nodes/${TASK_NODE}/tasks${q.size > 0 ? `?${q}` : ""}`);
      ctx.print(g, data, (d) =>
        renderTable(
          [{ key: "starttime" }, { key: "endtime" }, { key: "worker-type" }, { key: "worker-id" }, { key: "user" }, { key: "status" }, { key: "upid" }],
          (d as TaskInfo[]).map((t) => ({ ...t, starttime: fmtTime(t.starttime), endtime: fmtTime(t.endtime), status: t.status ?? "running" })),
        ),
      );
    });
  task
    .command("log")
    .description("Print a task's log.")
    .argument("<upid>", "task UPID")
    .option("--follow", "keep printing until the task ends; exit non-zero when it failed")
    .action(async (upid: string, o: { follow?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      const client = ctx.client(g);
      if (o.follow) {
        await followTask(ctx, client, upid);
        return;
      }
      const page = await logPage(client, upid, 0);
      ctx.print(g, page.lines, (d) => (d as TaskLogLine[]).map((l) => l.t + "\n").join(""));
    });
  task
    .command("stop")
    .description("Stop a running task.")
    .argument("<upid>", "task UPID")
    .action(async (upid: string, _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      await ctx.client(g).delete(taskPath(upid));
    });
}
