// A small client for the detector's API, for commands that must not open the
// store while `mailwarden detect` holds it (DESIGN §3: only one process can
// hold the embedded engine). Answers with the API's JSON; a refused connection
// is `ApiUnreachable` (the caller may fall back to the store), every other
// failure a one-line UserError.
import { UserError } from "./errors.js";

export class ApiUnreachable extends Error {}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export class ApiClient {
  constructor(
    readonly base: string,
    private readonly token: string | undefined,
  ) {}

  /** A list value repeats the parameter (`?network=a&network=b`). */
  async get<T>(path: string, query: Record<string, string | number | string[]> = {}): Promise<T> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) {
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
    }
    let res: Response;
    try {
      res = await fetch(url, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiUnreachable(`${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new UserError(
        `the detector API at ${this.base} refused the request (${res.status}): give a viewer token (api.tokens in --config, or MAILWARDEN_API_TOKEN)`,
      );
    }
    if (res.status === 400 || res.status === 404) {
      // The request's own mistake (bad value, unknown id): the API's one-line message.
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      throw new UserError(body.message ?? `the detector API answered ${res.status} to ${url.pathname}`);
    }
    if (!res.ok) throw new UserError(`the detector API at ${this.base} answered ${res.status} to ${url.pathname}`, 1);
    return (await res.json()) as T;
  }

  /** Every item of a cursor-paginated listing. */
  async all<T>(path: string, query: Record<string, string | number>): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<T> = await this.get<Page<T>>(path, { ...query, limit: 500, ...(cursor ? { cursor } : {}) });
      out.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  }
}
