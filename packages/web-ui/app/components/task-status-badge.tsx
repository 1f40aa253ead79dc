import { Badge } from "@mantine/core";

/** A task's outcome: running, OK, warnings, or the error text. */
export function TaskStatusBadge({ status, running }: { status: string | undefined; running: boolean }) {
  if (running) return <Badge color="blue" variant="light">running</Badge>;
  if (status === undefined) return <Badge color="gray" variant="light">unknown</Badge>;
  if (status === "OK") return <Badge color="green" variant="light">OK</Badge>;
  if (status.startsWith("WARNINGS")) return <Badge color="yellow" variant="light">{status}</Badge>;
  return (
    <Badge color="red" variant="light" style={{ textTransform: "none", maxWidth: 420 }} title={status}>
      {status}
    </Badge>
  );
}
