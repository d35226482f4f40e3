// Every detection, by id. Adding one: a module under its stage's folder, its
// test beside it, and a line here (the registry test checks the rest).
import type { AnyDetection } from "../core/detection.js";
import { silentDetection } from "./agent/silent.js";
import { bruteforceDetection } from "./auth/bruteforce.js";
import { slowDistributedDetection } from "./auth/slow-distributed.js";
import { sprayDetection } from "./auth/spray.js";
import { stuffingDetection } from "./auth/stuffing.js";
import { takeoverDetection } from "./auth/takeover.js";
import { bulkReadDetection } from "./cred/bulk-read.js";
import { slowReadDetection } from "./cred/slow-read.js";
import { newDestinationDetection } from "./egress/new-destination.js";
import { rareProcessDetection } from "./egress/rare-process.js";
import { smtpExfilDetection } from "./egress/smtp-exfil.js";
import { volumeDetection } from "./egress/volume.js";

export const DETECTIONS: AnyDetection[] = [
  stuffingDetection,
  bruteforceDetection,
  sprayDetection,
  takeoverDetection,
  slowDistributedDetection,
  bulkReadDetection,
  slowReadDetection,
  volumeDetection,
  newDestinationDetection,
  rareProcessDetection,
  smtpExfilDetection,
  silentDetection,
];

export function detectionById(id: string): AnyDetection | undefined {
  return DETECTIONS.find((d) => d.id === id);
}
