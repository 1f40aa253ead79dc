import { defineConfig } from "vitest/config";

/**
 * One test runner for every workspace. Unit tests sit beside the code
 * (`src/**\/*.test.ts`); integration tests live in `test/` folders and use the
 * real PostgreSQL, NATS and Redis provisioned by @tapefleet/testkit.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["proto/src/**/*.test.ts", "proto/test/**/*.test.ts", "packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
