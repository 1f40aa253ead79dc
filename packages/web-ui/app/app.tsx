import { Alert, AppShell, Burger, Button, Center, Group, NavLink, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useEffect, useState, type FormEvent } from "react";
import { CONFIG_KINDS, FORM_SPECS, specOfRoute } from "../src/config-forms.ts";
import { ApiError, checkToken, setUnauthorizedHandler, storedToken, storeToken } from "./api.ts";
import { ThemeToggle } from "./components/theme-toggle.tsx";
import { navigate, usePath } from "./router.ts";
import { ConfigPage } from "./views/config-page.tsx";
import { Dashboard } from "./views/dashboard.tsx";
import { KEYS_ROUTE, KeysView } from "./views/keys.tsx";
import { MEDIA_ROUTE, MediaView, RESTORE_ROUTE } from "./views/media.tsx";
import { RestoreWizard } from "./views/restore.tsx";
import { LIBRARY_ROUTE, TapeLibrary } from "./views/tape-library.tsx";
import { TASKS_ROUTE, TaskList, TaskView } from "./views/tasks.tsx";

const NAV: readonly { route: string; label: string }[] = [
  { route: "/", label: "Dashboard" },
  { route: LIBRARY_ROUTE, label: "Tape Library" },
  { route: MEDIA_ROUTE, label: "Media" },
  { route: RESTORE_ROUTE, label: "Restore" },
  { route: TASKS_ROUTE, label: "Tasks" },
  { route: KEYS_ROUTE, label: "Encryption Keys" },
  ...CONFIG_KINDS.map((k) => ({ route: FORM_SPECS[k].route, label: FORM_SPECS[k].plural })),
];

/** The navigation entry a path belongs to (`/tasks/<upid>` belongs to Tasks). */
function navOf(path: string) {
  return NAV.find((n) => n.route === path) ?? NAV.find((n) => n.route !== "/" && path.startsWith(`${n.route}/`));
}

function tokenId(token: string): string {
  return token.split(":", 1)[0] ?? token;
}

function Login({ notice, onLogin }: { notice: string | null; onLogin: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const t = token.trim();
    if (!/^[^:\s]+:\S+$/.test(t)) {
      setError("an API token has the form <id>:<secret>");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await checkToken(t);
      onLogin(t);
    } catch (err) {
      if (err instanceof ApiError) setError(err.problem.message);
      else throw err;
    } finally {
      setBusy(false);
    }
  }
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={440} maw="100%">
        <form onSubmit={(e) => void submit(e)} aria-label="Log in">
          <Stack>
            <Group justify="space-between">
              <Title order={2}>tapefleet</Title>
              <ThemeToggle />
            </Group>
            <Text size="sm" c="dimmed">
              Log in with an API token (<code>id:secret</code>), e.g. the admin token in <code>var/admin-token</code> or one created through{" "}
              <code>POST /api2/json/access/token</code>. It is kept in this browser tab only.
            </Text>
            {notice && (
              <Alert color="yellow" variant="light" data-testid="login-notice">
                {notice}
              </Alert>
            )}
            <PasswordInput
              label="API token"
              value={token}
              onChange={(e) => setToken(e.currentTarget.value)}
              error={error}
              autoComplete="off"
              spellCheck={false}
              data-autofocus
            />
            <Button type="submit" loading={busy}>
              Log in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <Stack>
      <Title order={2}>Not found</Title>
      <Text>
        There is no page at <code>{path}</code>.
      </Text>
    </Stack>
  );
}

function Page({ path }: { path: string }) {
  if (path === "/") return <Dashboard />;
  if (path === LIBRARY_ROUTE) return <TapeLibrary />;
  if (path === MEDIA_ROUTE || path.startsWith(`${MEDIA_ROUTE}/`)) return <MediaView />;
  if (path === RESTORE_ROUTE) return <RestoreWizard key={window.location.search} />;
  if (path === KEYS_ROUTE) return <KeysView />;
  if (path === TASKS_ROUTE) return <TaskList />;
  if (path.startsWith(`${TASKS_ROUTE}/`)) {
    const upid = decodeURIComponent(path.slice(TASKS_ROUTE.length + 1));
    return <TaskView key={upid} upid={upid} />;
  }
  const spec = specOfRoute(path);
  if (spec) return <ConfigPage key={spec.kind} kind={spec.kind} />;
  return <NotFound path={path} />;
}

export function App() {
  const [token, setToken] = useState<string | null>(() => storedToken());
  const [notice, setNotice] = useState<string | null>(null);
  const [opened, { toggle, close }] = useDisclosure(false);
  const path = usePath();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setToken(null);
      setNotice("The gateway rejected the token (revoked or unknown): log in again.");
    });
  }, []);

  useEffect(() => {
    document.title = `${navOf(path)?.label ?? "tapefleet"} · tapefleet`;
  }, [path]);

  if (token === null) {
    return (
      <Login
        notice={notice}
        onLogin={(t) => {
          storeToken(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3}>tapefleet</Title>
          </Group>
          <Group gap="sm">
            <Text size="sm" c="dimmed" visibleFrom="xs" data-testid="token-id">
              {tokenId(token)}
            </Text>
            <ThemeToggle />
            <Button
              variant="default"
              size="xs"
              onClick={() => {
                storeToken(null);
                setToken(null);
              }}
            >
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV.map((n) => (
          <NavLink
            key={n.route}
            href={n.route}
            label={n.label}
            active={navOf(path)?.route === n.route}
            onClick={(e) => {
              e.preventDefault();
              close();
              navigate(n.route);
            }}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Page path={path} />
      </AppShell.Main>
    </AppShell>
  );
}
