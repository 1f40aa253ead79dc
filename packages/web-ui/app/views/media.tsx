import { Badge, Group, Loader, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import type { ApiProblem } from "../../src/api-problem.ts";
import { formatTimestamp } from "../../src/schedule-preview.ts";
import { ApiError, listConfig, listMedia, type MediaEntry } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";

export const MEDIA_ROUTE = "/media";

const STATUS_COLOR: Record<string, string> = { full: "blue", damaged: "red", retired: "gray", unknown: "gray" };

/** Bytes as `1.5 GiB`. */
function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The media inventory: label, pool, media set, location and state of every labelled tape. */
export function MediaList() {
  const [media, setMedia] = useState<MediaEntry[] | null>(null);
  const [pools, setPools] = useState<string[]>([]);
  const [pool, setPool] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  useEffect(() => {
    listConfig("media-pool").then(
      (p) => setPools(p.map((e) => String(e["name"]))),
      (err: unknown) => {
        if (err instanceof ApiError) setProblem(err.problem);
        else throw err;
      },
    );
  }, []);
  useEffect(() => {
    let live = true;
    setMedia(null);
    listMedia(pool === null ? {} : { pool }).then(
      (m) => live && setMedia(m),
      (err: unknown) => {
        if (!(err instanceof ApiError)) throw err;
        if (live) setProblem(err.problem);
      },
    );
    return () => {
      live = false;
    };
  }, [pool]);
  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>Media</Title>
        <Select label="Pool" placeholder="all pools" data={pools} value={pool} onChange={setPool} clearable w={220} />
      </Group>
      {problem && <ProblemAlert problem={problem} />}
      {media === null && !problem && <Loader size="sm" aria-label="Loading" />}
      {media !== null && media.length === 0 && <Text c="dimmed" data-testid="empty">No labelled media{pool ? ` in pool ${pool}` : ""}.</Text>}
      {media !== null && media.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Media" data-testid="media">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th>
                <Table.Th>Pool</Table.Th>
                <Table.Th>Media set</Table.Th>
                <Table.Th>Location</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Used</Table.Th>
                <Table.Th>Labelled</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {media.map((m) => (
                <Table.Tr key={m.uuid} data-label={m["label-text"]}>
                  <Table.Td ff="monospace" fw={600}>
                    {m["label-text"]}
                    {m.worm && <Badge ml={6} size="xs" variant="outline">WORM</Badge>}
                    {m["encryption-key-fingerprint"] && <Badge ml={6} size="xs" variant="outline" title={m["encryption-key-fingerprint"]}>encrypted</Badge>}
                  </Table.Td>
                  <Table.Td>{m.pool ?? <Text c="dimmed" size="sm">free</Text>}</Table.Td>
                  <Table.Td ff="monospace" style={{ fontSize: "var(--mantine-font-size-xs)" }}>
                    {m["media-set-uuid"] ? `${m["media-set-uuid"].slice(0, 8)}… #${m["seq-nr"] ?? 0}` : "—"}
                  </Table.Td>
                  <Table.Td>{m.location}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={STATUS_COLOR[m.status] ?? "gray"}>{m.status}</Badge>
                  </Table.Td>
                  <Table.Td>{m["bytes-used"] === undefined ? "—" : formatBytes(m["bytes-used"])}</Table.Td>
                  <Table.Td ff="monospace">{formatTimestamp(new Date(m.ctime * 1000))}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
