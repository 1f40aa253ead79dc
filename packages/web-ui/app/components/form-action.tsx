import { Button, Group } from "@mantine/core";
import { useState, type FormEvent, type ReactNode } from "react";
import { splitFieldErrors, type ApiProblem } from "../../src/api-problem.ts";
import { asProblem } from "../run-task.ts";
import { ProblemAlert } from "./problem-alert.tsx";

const NO_FIELD_ERRORS = { byField: {} as Record<string, string>, other: [] as string[] };

/**
 * The submission of a form that calls the API: busy while it runs, the API's
 * problem kept, its field messages under the form's `fields` (`byField`) and
 * the rest in `alert` (a `ProblemAlert`, or null; also the whole problem when
 * it names none of the fields). Anything but an API problem is thrown again.
 */
export function useFormAction(fields: readonly string[]): {
  problem: ApiProblem | null;
  setProblem: (p: ApiProblem | null) => void;
  busy: boolean;
  byField: Record<string, string>;
  alert: ReactNode;
  /** A form's `onSubmit`: prevents the page load and runs `action`. */
  submit: (action: () => Promise<void>) => (e: FormEvent) => void;
} {
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const { byField, other } = problem ? splitFieldErrors(problem, fields) : NO_FIELD_ERRORS;
  const alert = problem && (other.length > 0 || Object.keys(byField).length === 0) ? <ProblemAlert problem={problem} other={other} /> : null;
  const submit = (action: () => Promise<void>) => (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    void action()
      .catch((err: unknown) => setProblem(asProblem(err)))
      .finally(() => setBusy(false));
  };
  return { problem, setProblem, busy, byField, alert, submit };
}

/** Cancel and the submit button at the end of a form. */
export function FormButtons({ label, busy, onCancel, color }: { label: ReactNode; busy: boolean; onCancel: () => void; color?: string }) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" loading={busy} {...(color === undefined ? {} : { color })}>
        {label}
      </Button>
    </Group>
  );
}
