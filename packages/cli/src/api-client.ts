import { CliError, type CliFieldError } from "./errors.ts";

type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

/**
 * A small client of the tapefleet REST API (`/api2/json/...`): sends the
 * token, unwraps `{ data }`, and turns error bodies into `CliError`s carrying
 * the field errors.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  /** GET returning the whole JSON body (for replies with fields beside `data`, e.g. a task log's `active`). */
  getRaw<T = unknown>(path: string): Promise<T> {
    return this.call<T>("GET", path, undefined, true);
  }
  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }
  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PUT", path, body);
  }
  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>("DELETE", path);
  }

  private async call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    const url = `${this.baseUrl}/api2/json${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: "application/json" };
    const init: { method: string; headers: Record<string, string>; body?: string } = { method, headers };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the API at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`${method} ${url}: HTTP ${res.status} with a body that is not JSON`, [], "PROTOCOL", res.status);
    }
    if (!res.ok) {
      const e = (json ?? {}) as { message?: unknown; code?: unknown; errors?: unknown };
      const fields: CliFieldError[] =
        e.errors && typeof e.errors === "object" ? Object.entries(e.errors as Record<string, unknown>).map(([field, message]) => ({ field, message: String(message) })) : [];
      const message = typeof e.message === "string" ? e.message : `HTTP ${res.status}`;
      throw new CliError(message, fields, typeof e.code === "string" ? e.code : "HTTP", res.status);
    }
    if (raw) return json as T;
    return (json as { data?: T } | undefined)?.data as T;
  }
}
