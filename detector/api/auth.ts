// Bearer-token authentication and role checks. Every route under /api/ states
// the least role it needs in its `config.role` (a route that forgets is
// admin-only); viewer < responder < admin. Tokens are compared in constant
// time: both sides are hashed to fixed-length digests and every configured
// token is compared, so neither the position of a mismatch nor which token
// matched shows in the timing.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiRole, ApiToken } from "./config.js";
import { apiError } from "./errors.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Least role allowed to call the route; routes under /api/ without one are admin-only. */
    role?: ApiRole;
  }
  interface FastifyRequest {
    /** The caller, once authenticated. */
    principal?: Principal;
  }
}

export interface Principal {
  name: string;
  role: ApiRole;
}

const RANK: Record<ApiRole, number> = { viewer: 0, responder: 1, admin: 2 };

export const roleAllows = (have: ApiRole, need: ApiRole): boolean => RANK[have] >= RANK[need];

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

const CHALLENGE = 'Bearer realm="mailwarden"';

/** Finds the principal a presented token belongs to, looking at every token every time. */
export function tokenMatcher(tokens: ApiToken[]): (presented: string) => Principal | undefined {
  const known = tokens.map((t) => ({ digest: digest(t.token), principal: { name: t.name, role: t.role } }));
  return (presented) => {
    const d = digest(presented);
    let found: Principal | undefined;
    for (const k of known) {
      if (timingSafeEqual(d, k.digest) && found === undefined) found = k.principal;
    }
    return found;
  };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Authenticates /api/ requests and enforces each route's role, before the body is even parsed. */
export function installAuth(app: FastifyInstance, tokens: ApiToken[]): void {
  const match = tokenMatcher(tokens);
  app.addHook("onRequest", async (request) => {
    const need = request.routeOptions.config?.role ?? (request.url.startsWith("/api/") ? "admin" : undefined);
    if (need === undefined) return;
    const presented = bearer(request);
    if (presented === undefined) {
      throw apiError("unauthenticated", "missing bearer token", { "www-authenticate": CHALLENGE });
    }
    const principal = match(presented);
    if (!principal) {
      throw apiError("unauthenticated", "invalid token", {
        "www-authenticate": `${CHALLENGE}, error="invalid_token"`,
      });
    }
    request.principal = principal;
    if (!roleAllows(principal.role, need)) {
      throw apiError("forbidden", `role '${principal.role}' may not ${request.method} this resource (needs ${need})`);
    }
  });
}

/** The authenticated caller; routes with a role always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw apiError("unauthenticated", "not authenticated");
  return request.principal;
}
