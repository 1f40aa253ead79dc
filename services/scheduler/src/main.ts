import { loadSchedulerConfig } from "./config.ts";
import { startScheduler } from "./scheduler.ts";

try {
  await startScheduler(loadSchedulerConfig());
} catch (err) {
  process.stderr.write(`scheduler: ${(err as Error).message}\n`);
  process.exit(1);
}
