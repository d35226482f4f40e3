// Runs the API on a socket for the detector service (`mailwarden detect`).
// Kept apart from app.ts so tests build the app and inject requests instead.
import type { FastifyInstance } from "fastify";
import { UserError } from "../../cli/errors.js";
import { type ApiDeps, buildApi } from "./app.js";
import type { ApiConfig } from "./config.js";

export interface RunningApi {
  app: FastifyInstance;
  /** The address it listens on, e.g. http://127.0.0.1:8470. */
  url: string;
  close(): Promise<void>;
}

export async function startApiServer(cfg: ApiConfig, deps: Omit<ApiDeps, "bodyLimit">): Promise<RunningApi> {
  const app = await buildApi({ ...deps, bodyLimit: cfg.bodyLimit });
  const url = await app.listen({ host: cfg.host, port: cfg.port }).catch(async (e: NodeJS.ErrnoException) => {
    await app.close();
    if (e.code !== "EADDRINUSE" && e.code !== "EADDRNOTAVAIL" && e.code !== "EACCES") throw e;
    throw new UserError(
      `api: cannot listen on ${cfg.host}:${cfg.port} (${e.code}): is another detector running? Set api.port`,
    );
  });
  return { app, url, close: () => app.close() };
}
