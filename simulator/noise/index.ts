// Benign noise that resembles attacks: every scenario (including `none`) has
// all of it, so a detector's false positives can be measured on any run.
import type { Activity, Sim } from "../context.js";
import { adminExportNoise } from "./admin-export.js";
import { backupNoise } from "./backup.js";
import { monitoringNoise } from "./monitoring.js";
import { newsletterNoise } from "./newsletter.js";
import { passwordChangeNoise } from "./password-change.js";
import { staleClientNoise } from "./stale-client.js";
import { travelNoise } from "./travel.js";
import { typoNoise } from "./typos.js";

export function noiseActivities(sim: Sim): Activity[] {
  return [
    typoNoise(sim),
    staleClientNoise(sim),
    monitoringNoise(sim),
    backupNoise(sim),
    passwordChangeNoise(sim),
    newsletterNoise(sim),
    travelNoise(sim),
    adminExportNoise(sim),
  ];
}
