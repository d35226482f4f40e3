// Everything `mailwarden detect` runs in one process, assembled once for the
// command and the demo: suppressions, notifiers with their outboxes, the
// detector's stages and the API on its socket.
import type { Kafka } from "kafkajs";
import type { DetectorConfig } from "../../config/roles.js";
import type { Logger } from "../../telemetry/log.js";
import { createMetricsRegistry } from "../../telemetry/metrics.js";
import { resolveApiTokens } from "../api/config.js";
import { type RunningApi, startApiServer } from "../api/server.js";
import { SuppressionFilter } from "../api/suppressions.js";
import { networksFromConfig } from "../forensics/networks.js";
import { createNotificationRouter } from "../sinks/notifiers/router.js";
import type { Store } from "../store/client.js";
import type { Alert } from "./findings-stage.js";
import { DetectorService } from "./service.js";

export interface RunningDetector {
  service: DetectorService;
  api: RunningApi;
  stop(): Promise<void>;
}

export async function startDetector(
  cfg: DetectorConfig,
  deps: { kafka: Kafka; store: Store; log: Logger; onAlerts?: (alerts: Alert[]) => Promise<void> },
): Promise<RunningDetector> {
  const metrics = createMetricsRegistry({ service: "detector" });
  const suppressions = new SuppressionFilter(deps.store.client, {
    refreshMs: 10_000,
    onError: (e) => deps.log.warn({ err: e }, "suppressions refresh failed"),
  });
  await suppressions.start();
  const router = createNotificationRouter(cfg.notifiers, { log: deps.log, metrics });
  router.start();
  const service = new DetectorService(cfg, {
    kafka: deps.kafka,
    store: deps.store,
    log: deps.log,
    accept: suppressions.accept,
    notify: async (alerts) => {
      await router.notifyAlerts(alerts);
      await deps.onAlerts?.(alerts);
    },
  });
  const stopAll = async (api?: RunningApi) => {
    await api?.close();
    await service.stop();
    // What it evaluated, and how much of it late (out of order), for the operator.
    deps.log.info({ status: service.status() }, "detector stopped");
    await router.stop();
    suppressions.stop();
  };
  try {
    await service.start();
    const api = await startApiServer(cfg.api, {
      store: deps.store.client,
      tokens: resolveApiTokens(cfg.api),
      metrics,
      readiness: () => service.readiness(),
      status: () => service.status(),
      onAlertAction: router.onAlertAction,
      networks: networksFromConfig(cfg.detector.networks),
    });
    return { service, api, stop: () => stopAll(api) };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
