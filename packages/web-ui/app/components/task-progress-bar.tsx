import { Group, Progress, Stack, Text } from "@mantine/core";
import { describeProgress, type TaskProgress } from "../../src/task-progress.ts";

/** A task's latest progress: bar with percent, bytes, rate and ETA. */
export function TaskProgressBar({ progress, label, size = "lg" }: { progress: TaskProgress; label?: string; size?: "sm" | "lg" }) {
  const d = describeProgress(progress);
  return (
    <Stack gap={4} data-testid="task-progress">
      <Progress
        value={progress.percent ?? 0}
        size={size}
        striped={progress.percent === undefined || progress.percent < 100}
        animated={progress.percent !== undefined && progress.percent < 100}
        aria-label={`${label ?? "progress"}: ${d.percent ?? d.amount}`}
      />
      <Group gap="md" justify="space-between">
        <Text size="sm" fw={600} data-testid="progress-percent">
          {d.percent ?? "—"}
          {label ? <Text span c="dimmed" fw={400} size="sm">{` ${label}`}</Text> : null}
        </Text>
        <Group gap="md">
          <Text size="sm" data-testid="progress-bytes">{d.amount}</Text>
          <Text size="sm" data-testid="progress-rate">{d.rate}</Text>
          {d.eta && <Text size="sm" data-testid="progress-eta">{d.eta}</Text>}
        </Group>
      </Group>
    </Stack>
  );
}
