// Every error the API answers with, in one place: a stable machine code, its
// HTTP status, and one JSON shape `{statusCode, code, message}`. Handlers throw
// `apiError(...)`; fastify's own errors (validation, body parsing, unknown
// routes) are mapped here too, so a client never sees two error formats.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const API_ERRORS = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  store_unavailable: 503,
  not_ready: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.statusCode = API_ERRORS[code];
  }
}

export function apiError(code: ApiErrorCode, message: string, headers?: Record<string, string>): ApiError {
  return new ApiError(code, message, headers);
}

export const notFound = (what: string, id: string): ApiError => apiError("not_found", `${what} '${id}' not found`);

/** The JSON schema of an error body, referenced by every route's responses. */
export const errorSchema = {
  $id: "Error",
  type: "object",
  required: ["statusCode", "code", "message"],
  properties: {
    statusCode: { type: "integer" },
    code: { type: "string", enum: Object.keys(API_ERRORS) },
    message: { type: "string" },
  },
} as const;

const STATUS_CODES = new Map<number, ApiErrorCode>(
  (Object.entries(API_ERRORS) as [ApiErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

function send(reply: FastifyReply, err: ApiError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.status(err.statusCode).send({ statusCode: err.statusCode, code: err.code, message: err.message });
}

/** Maps anything thrown in a route to the one error shape; 5xx details go to the log only. */
export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError;
  if (e.validation) return apiError("bad_request", e.message);
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return apiError(STATUS_CODES.get(status) ?? "bad_request", e.message.split("\n")[0] ?? "bad request");
  }
  return apiError("internal", "internal error");
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const apiErr = toApiError(err);
    if (apiErr.statusCode >= 500) request.log.error({ err }, "request failed");
    return send(reply, apiErr);
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, apiError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}
