// Runs the API on a socket for the detector service (`mailwarden detect`).
// Kept apart from app.ts so tests build the app and inject requests instead.
import type { FastifyInstance } from "fastify";
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
  const url = await app.listen({ host: cfg.host, port: cfg.port });
  return { app, url, close: () => app.close() };
}
