import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** Gateway the dev server (`npm run dev -w @tapefleet/web-ui`) forwards API calls to. */
const GATEWAY_URL = process.env["TAPEFLEET_URL"] ?? "http://127.0.0.1:8007";

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Mantine and React in one chunk are above Vite's default warning size; the app is served from the LAN.
    chunkSizeWarningLimit: 2048,
  },
  server: {
    proxy: {
      "/api2": GATEWAY_URL,
      "/readyz": GATEWAY_URL,
      "/healthz": GATEWAY_URL,
    },
  },
});
