import { defineConfig } from "drizzle-kit";

/** `npx drizzle-kit generate` (from this folder) writes the committed migrations to ./drizzle. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  schemaFilter: ["scheduler"],
});
