/** Starting an operation that runs as a task from a view: open its log, or report the API's problem. */
import type { ApiProblem } from "../src/api-problem.ts";
import { ApiError } from "./api.ts";
import { navigate } from "./router.ts";
import { taskRoute } from "./views/tasks.tsx";

/** The API problem of a failed call; anything else is a bug and is thrown again. */
export function asProblem(err: unknown): ApiProblem {
  if (err instanceof ApiError) return err.problem;
  throw err;
}

/** Starts a drive or changer task and opens its log (a failure is the caller's). */
export async function openTask(start: () => Promise<string>): Promise<void> {
  navigate(taskRoute(await start()));
}

/** Starts a drive or changer task and opens its log, or reports the API's problem. */
export async function runTask(start: () => Promise<string>, onProblem: (p: ApiProblem) => void): Promise<void> {
  try {
    await openTask(start);
  } catch (err) {
    onProblem(asProblem(err));
  }
}
