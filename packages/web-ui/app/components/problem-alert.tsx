import { Alert, Text } from "@mantine/core";
import type { ApiProblem } from "../../src/api-problem.ts";

/** An API problem above a form or a list: message, code, other field messages. */
export function ProblemAlert({ problem, other = [], title }: { problem: ApiProblem; other?: readonly string[]; title?: string }) {
  return (
    <Alert color="red" variant="light" title={title ?? "The request failed"} role="alert" data-testid="problem">
      <Text size="sm">{problem.message}</Text>
      {other.map((line) => (
        <Text size="sm" key={line}>
          {line}
        </Text>
      ))}
      <Text size="xs" c="dimmed" mt={4}>
        {problem.code}
        {problem.status > 0 ? ` · HTTP ${problem.status}` : ""}
        {problem.requestId ? ` · request ${problem.requestId}` : ""}
      </Text>
    </Alert>
  );
}
