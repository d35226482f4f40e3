// Every detection, by id. Adding one: a module under its stage's folder, its
// test beside it, and a line here (the registry test checks the rest).
import type { AnyDetection } from "../core/detection.js";
import { stuffingDetection } from "./auth/stuffing.js";

export const DETECTIONS: AnyDetection[] = [stuffingDetection];

export function detectionById(id: string): AnyDetection | undefined {
  return DETECTIONS.find((d) => d.id === id);
}
