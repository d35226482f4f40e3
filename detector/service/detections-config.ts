// Builds the engine's detection list from the registry and the config's
// per-detection settings, validating each against the detection's own schema
// so a typo is a `config: detector.detections.<id>.<key>: ...` error.
import { ConfigError } from "../../cli/errors.js";
import type { EngineDetection } from "../core/engine.js";
import { DETECTIONS } from "../detections/registry.js";

export function configuredDetections(
  settings: Record<string, Record<string, unknown>>,
  disabled: string[],
): EngineDetection[] {
  const known = new Set(DETECTIONS.map((d) => d.id));
  for (const id of [...Object.keys(settings), ...disabled]) {
    if (!known.has(id))
      throw new ConfigError(`detector.detections.${id}`, `unknown detection (known: ${[...known].join(", ")})`);
  }
  return DETECTIONS.filter((d) => !disabled.includes(d.id)).map((detection) => {
    const r = detection.config.safeParse({ ...detection.defaults, ...(settings[detection.id] ?? {}) });
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ConfigError(
        `detector.detections.${detection.id}.${issue?.path.join(".") ?? ""}`,
        issue?.message ?? "invalid",
      );
    }
    return { detection, config: r.data };
  });
}
