// One prom-client registry per process; services expose it on /metrics.
import { collectDefaultMetrics, Registry } from "prom-client";

export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: "mailwarden_process_" });
  return registry;
}
