import { List, Text } from "@mantine/core";
import { formatRun, previewSchedule } from "../../src/schedule-preview.ts";

const BROWSER_ZONE = new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The next runs of the calendar event being typed, computed in the browser. */
export function SchedulePreviewBox({ text, now }: { text: string; now: Date }) {
  const preview = previewSchedule(text, now);
  if (preview.kind === "empty") return null;
  return (
    <div data-testid="schedule-preview" aria-live="polite">
      {preview.kind === "invalid" && (
        <Text size="xs" c="orange.7" data-testid="schedule-preview-error">
          Not a calendar event: {preview.message}
        </Text>
      )}
      {preview.kind === "never" && (
        <Text size="xs" c="dimmed">
          This event never occurs again.
        </Text>
      )}
      {preview.kind === "runs" && (
        <>
          <Text size="xs" c="dimmed">
            Next runs ({BROWSER_ZONE}):
          </Text>
          <List size="xs" spacing={0} data-testid="schedule-preview-runs">
            {preview.runs.map((d) => (
              <List.Item key={d.getTime()} ff="monospace">
                {formatRun(d)}
              </List.Item>
            ))}
          </List>
        </>
      )}
    </div>
  );
}
