// Keyset pagination: a page ends at a (time, id) position and the next page
// starts strictly after it in (time DESC, id DESC) order, so rows inserted
// while a client pages neither shift nor repeat what it sees. The cursor is
// opaque to clients (base64url JSON) and validated when it comes back.
import { apiError } from "./errors.js";

export interface Cursor {
  /** Sort time, ms since the epoch. */
  t: number;
  /** Row id, the tie-breaker. */
  id: string;
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

const ID = /^[0-9a-f]{32}$/;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id]), "utf8").toString("base64url");
}

/** Decodes a cursor; undefined when it is not one `encodeCursor` made. */
export function parseCursor(raw: string): Cursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string" && ID.test(v[1])) {
      return { t: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** Decodes a cursor from a request; anything malformed is a 400. */
export function decodeCursor(raw: string): Cursor {
  const c = parseCursor(raw);
  if (!c) throw apiError("bad_request", "querystring/cursor is not a cursor this API returned");
  return c;
}

/**
 * Given up to `limit + 1` rows in page order, returns the page and the cursor
 * of its last row when more rows follow.
 */
export function page<R>(rows: R[], limit: number, key: (r: R) => Cursor): { items: R[]; next_cursor: string | null } {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(key(items[limit - 1] as R)) };
}
