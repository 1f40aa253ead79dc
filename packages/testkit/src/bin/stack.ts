/**
 * `npm start`: the whole tapefleet stack on this host, until Ctrl-C / SIGTERM.
 */
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { startStack } from "../stack.ts";

const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);
const show = (p: string) => {
  const r = relative(process.cwd(), p);
  return r.startsWith("..") ? p : `./${r}`;
};

let stack: Awaited<ReturnType<typeof startStack>>;
try {
  stack = await startStack({ varDir: process.env["TAPEFLEET_VAR_DIR"] ?? "var", log });
} catch (err) {
  process.stderr.write(`[stack] could not start: ${(err as Error).message}\n`);
  process.exit(1);
}

let exiting = false;
const shutdown = async (reason: string, code: number) => {
  if (exiting) return;
  exiting = true;
  log(`${reason}: stopping every service`);
  await stack.stop();
  log("stopped");
  process.exit(code);
};
process.on("SIGINT", () => void shutdown("SIGINT", 0));
process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
void stack.failed.then((err) => {
  process.stderr.write(`[stack] ${err.message}\n`);
  void shutdown("a service died", 1);
});

log(`gateway:          ${stack.gatewayUrl}`);
log(`admin token file: ${show(stack.adminTokenFile)}${existsSync(stack.adminTokenFile) ? "" : " (not written yet)"}`);
log(`stack file:       ${show(stack.stackFile)} (read by tapectl)`);
log(`logs:             ${show(stack.varDir)}/logs/`);
if (stack.tls !== undefined) log(`tls:              NATS and gRPC with certificates of ${show(stack.tls.caFile)}, a NATS user per service`);
log("try: node packages/cli/bin/tapectl.mjs pool list    (Ctrl-C stops the stack)");
