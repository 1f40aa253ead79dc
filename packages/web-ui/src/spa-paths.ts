/**
 * Which request paths the single-page app answers with its `index.html`
 * (client routes) and which it never shadows.
 */

/** Paths that belong to the gateway and its probes, never to the app. */
export const RESERVED_PATHS: readonly string[] = ["/api2", "/healthz", "/readyz", "/metrics"];

/** True when `path` is one of {@link RESERVED_PATHS} or below one. */
export function isReservedPath(path: string): boolean {
  return RESERVED_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * True when a GET of `path` (no query) should get the app's `index.html`:
 * not reserved, and not a file name (a last segment with an extension is a
 * missing asset and gets a 404, so a broken build fails loudly).
 */
export function isClientRoute(path: string): boolean {
  if (!path.startsWith("/") || isReservedPath(path)) return false;
  const last = path.slice(path.lastIndexOf("/") + 1);
  return !/\.[A-Za-z0-9]+$/.test(last);
}
