import { Autocomplete, Button, Group, Stack, Switch, Textarea, TextInput } from "@mantine/core";
import { useEffect, useState, type FormEvent } from "react";
import { splitFieldErrors, type ApiProblem } from "../../src/api-problem.ts";
import { createBody, formValuesOf, hasChanges, updateBody, type ConfigKind, type Entry, type FieldSpec, type FormSpec, type FormValues } from "../../src/config-forms.ts";
import { ALLOCATION_KEYWORDS } from "../../src/schedule-preview.ts";
import { ApiError, createConfig, updateConfig } from "../api.ts";
import { ProblemAlert } from "./problem-alert.tsx";
import { SchedulePreviewBox } from "./schedule-preview-box.tsx";

export interface EntryFormProps {
  spec: FormSpec;
  /** The entry being edited and its digest; undefined to create one. */
  editing?: { entry: Entry; digest?: string };
  /** Names of existing entries, for fields that refer to other kinds. */
  suggestions: Partial<Record<ConfigKind, string[]>>;
  onSaved: (entry: Entry) => void;
  onCancel: () => void;
}

function showsPreview(f: FieldSpec, value: string): boolean {
  if (f.calendar === undefined) return false;
  if (f.calendar === "unless-keyword") return !ALLOCATION_KEYWORDS.includes(value.trim());
  return true;
}

/** Create or edit form of one entry; the API's message for a bad field shows under that field. */
export function EntryForm({ spec, editing, suggestions, onSaved, onCancel }: EntryFormProps) {
  const [values, setValues] = useState<FormValues>(() => formValuesOf(spec, editing?.entry));
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 60_000);
    return () => window.clearInterval(timer);
  }, []);

  const { byField, other } = problem ? splitFieldErrors(problem, spec.fields.map((f) => f.key)) : { byField: {}, other: [] as string[] };
  const set = (key: string, value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (editing) {
        const body = updateBody(spec, editing.entry, values, editing.digest);
        if (!hasChanges(body)) {
          onCancel();
          return;
        }
        onSaved(await updateConfig(spec.kind, String(editing.entry[spec.keyField]), body));
      } else {
        onSaved(await createConfig(spec.kind, createBody(spec, values)));
      }
    } catch (err) {
      if (err instanceof ApiError) setProblem(err.problem);
      else throw err;
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label={`${editing ? "Edit" : "New"} ${spec.title}`}>
      <Stack gap="sm">
        {problem && <ProblemAlert problem={problem} other={other} title={`The ${spec.title} was not saved`} />}
        {spec.fields.map((f) => {
          const error = byField[f.key];
          const common = {
            label: f.label,
            description: f.description,
            error,
            withAsterisk: f.required === true && !(editing && f.isKey),
            name: f.key,
          };
          if (f.type === "boolean") {
            return <Switch key={f.key} {...common} checked={values[f.key] === true} onChange={(e) => set(f.key, e.currentTarget.checked)} />;
          }
          const text = typeof values[f.key] === "string" ? (values[f.key] as string) : "";
          if (f.type === "lines") {
            return <Textarea key={f.key} {...common} autosize minRows={2} value={text} onChange={(e) => set(f.key, e.currentTarget.value)} />;
          }
          const input =
            f.suggest !== undefined ? (
              <Autocomplete key={f.key} {...common} data={suggestions[f.suggest] ?? []} value={text} onChange={(v) => set(f.key, v)} placeholder={f.placeholder} />
            ) : (
              <TextInput
                key={f.key}
                {...common}
                value={text}
                onChange={(e) => set(f.key, e.currentTarget.value)}
                placeholder={f.placeholder}
                readOnly={editing !== undefined && f.isKey === true}
                inputMode={f.type === "integer" ? "numeric" : undefined}
                spellCheck={false}
                autoComplete="off"
              />
            );
          if (!showsPreview(f, text)) return input;
          return (
            <Stack gap={4} key={f.key}>
              {input}
              <SchedulePreviewBox text={text} now={now} />
            </Stack>
          );
        })}
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {editing ? "Save" : `Create ${spec.title}`}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
