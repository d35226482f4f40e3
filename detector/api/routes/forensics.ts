// /api/v1/forensics: the `mailwarden query` forensic questions over HTTP —
// what the CLI uses while `detect` holds the embedded store. Values are
// checked by the JSON schemas (shape, length) and then by the same parsers as
// the CLI (detector/forensics/input.ts); a bad one is a 400 naming it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { blastRadius } from "../../forensics/blast-radius.js";
import { parseEntity } from "../../forensics/entity.js";
import {
  InputError,
  MAX_NETWORKS,
  MAX_VALUE,
  parseIp,
  parseName,
  parseNetwork,
  parseRange,
} from "../../forensics/input.js";
import { cidrsOf, type ForensicsNetworks } from "../../forensics/networks.js";
import { PIVOT_KINDS, type PivotKind, pivot, RELATIONS } from "../../forensics/pivot.js";
import { timeline } from "../../forensics/timeline.js";
import type { ApiContext } from "../context.js";
import { decodeCursor, MAX_PAGE } from "../cursor.js";
import { apiError, notFound } from "../errors.js";
import { errors, paging } from "../schemas.js";

const PREFIX = "/api/v1/forensics";

const value = { type: "string", minLength: 1, maxLength: MAX_VALUE } as const;
const networks = {
  type: "array",
  items: { type: "string", minLength: 1, maxLength: 64 },
  maxItems: MAX_NETWORKS,
  description: "repeatable: CIDR, or ASN (AS64500) when the detector has an ASN table",
} as const;
const range = {
  from: { type: "string", maxLength: 64, description: "inclusive, ISO-8601 (UTC when no zone)" },
  to: { type: "string", maxLength: 64, description: "exclusive" },
} as const;
const nullableString = { type: ["string", "null"] } as const;
const nullableInt = { type: ["integer", "null"] } as const;
const strings = { type: "array", items: { type: "string" } } as const;

const str = { type: "string" } as const;

const timelineEntry = {
  type: "object",
  properties: {
    ts: str,
    type: { type: "string", enum: ["event", "finding"] },
    id: str,
    host: str,
    source: { ...str, description: "the event's source, or the finding's detection" },
    kind: { ...str, description: "the event's kind, or the finding's stage" },
    action: str,
    outcome: { ...str, description: "the event's outcome, or the finding's severity" },
    user: str,
    src_ip: str,
    dst_ip: str,
    dst_port: nullableInt,
    process: str,
    object: str,
    records: nullableInt,
    bytes_out: nullableInt,
    detail: { ...str, description: "the raw log line, or the finding's summary" },
  },
} as const;

const pivotResult = {
  type: "object",
  required: ["items", "truncated"],
  properties: {
    items: {
      type: "array",
      items: {
        type: "object",
        properties: {
          relation: { type: "string", enum: RELATIONS },
          value: str,
          events: { type: "integer" },
          first_seen: str,
          last_seen: str,
        },
      },
    },
    truncated: { ...strings, description: "relations with more values than `limit`" },
  },
} as const;

const blastRadiusResult = {
  type: "object",
  properties: {
    incident: { type: "string" },
    since: nullableString,
    attacker_networks: strings,
    reads: {
      type: "array",
      items: {
        type: "object",
        properties: {
          ts: { type: "string" },
          id: { type: "string" },
          host: { type: "string" },
          how: { type: "string" },
          principal: { type: "string" },
          process: { type: "string" },
          src_ip: { type: "string" },
          object: { type: "string" },
          records: nullableInt,
          detection: { type: "string" },
        },
      },
    },
    accounts: {
      type: "array",
      items: {
        type: "object",
        properties: {
          account: { type: "string" },
          credentials_read_at: nullableString,
          read_via: strings,
          attacker_login_at: nullableString,
          attacker_ips: strings,
          attacker_logins: { type: "integer" },
          attacker_failures: { type: "integer" },
          evidence: strings,
        },
      },
    },
  },
} as const;

interface TimelineQs {
  host?: string;
  user?: string;
  ip?: string;
  network?: string[];
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Runs `fn`, turning a forensic input error into a 400. */
async function checked<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InputError) throw apiError("bad_request", e.message);
    throw e;
  }
}

export async function forensicsRoutes(
  app: FastifyInstance,
  opts: { ctx: ApiContext; networks: ForensicsNetworks },
): Promise<void> {
  const { ctx, networks: nets } = opts;

  app.get(
    `${PREFIX}/timeline`,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["forensics"],
        summary: "Every event and finding of one host, account, address or network, oldest first",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { host: value, user: value, ip: value, network: networks, ...range, ...paging },
        },
        response: {
          200: {
            type: "object",
            required: ["items", "next_cursor"],
            properties: { items: { type: "array", items: timelineEntry }, next_cursor: nullableString },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request: FastifyRequest<{ Querystring: TimelineQs }>) =>
      checked(() => {
        const q = request.query;
        return timeline(ctx.store, {
          entity: parseEntity(q, nets),
          ...parseRange(q.from, q.to),
          ...(q.cursor !== undefined ? { after: decodeCursor(q.cursor) } : {}),
          limit: q.limit,
        });
      }),
  );

  app.get(
    `${PREFIX}/pivot/:kind/:value`,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["forensics"],
        summary: "What an address, account or host touched: accounts, hosts, processes, destinations, findings",
        params: {
          type: "object",
          required: ["kind", "value"],
          additionalProperties: false,
          properties: { kind: { type: "string", enum: PIVOT_KINDS }, value },
        },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...range,
            limit: { type: "integer", minimum: 1, maximum: 10 * MAX_PAGE, default: 100, description: "per relation" },
          },
        },
        response: { 200: pivotResult, ...errors(400, 401, 403) },
      },
    },
    async (
      request: FastifyRequest<{
        Params: { kind: PivotKind; value: string };
        Querystring: { from?: string; to?: string; limit: number };
      }>,
    ) =>
      checked(() => {
        const { kind, value: v } = request.params;
        return pivot(ctx.store, {
          kind,
          value: kind === "ip" ? parseIp(v) : parseName(v, kind),
          ...parseRange(request.query.from, request.query.to),
          perRelation: request.query.limit,
        });
      }),
  );

  app.get(
    `${PREFIX}/blast-radius/:incident`,
    {
      config: { role: "viewer" },
      schema: {
        tags: ["forensics"],
        summary: "The accounts to force-reset: credentials read in the incident, logins from the attacker's networks",
        params: {
          type: "object",
          required: ["incident"],
          additionalProperties: false,
          properties: { incident: { type: "string", pattern: "^[0-9a-f]{32}$" } },
        },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { network: { ...networks, description: "further attacker networks (repeatable)" } },
        },
        response: { 200: blastRadiusResult, ...errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest<{ Params: { incident: string }; Querystring: { network?: string[] } }>) =>
      checked(async () => {
        const { incident } = request.params;
        const extra = cidrsOf((request.query.network ?? []).map(parseNetwork), nets);
        const br = await blastRadius(ctx.store, { incident, networks: extra, facts: nets });
        if (!br) throw notFound("incident", incident);
        return br;
      }),
  );
}
