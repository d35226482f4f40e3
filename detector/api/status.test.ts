// GET /api/v1/status: the detector's watermarks (ISO-8601, null before the
// first event) and counters, for viewers and up; absent without a detector.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { DetectorStatus } from "../service/service.js";
import type { Store } from "../store/client.js";
import { buildApi } from "./app.js";
import { bearer, openTestStore, testDeps } from "./testing.js";

let store: Store;
const status: DetectorStatus = {
  watermarks: { events: Date.parse("2026-11-04T00:00:00Z"), sources: Number.NEGATIVE_INFINITY },
  processed: { "detect-events": 12, "detect-sources": 3 },
  buffered: 0,
  rekeyed: 3,
  emitted: 2,
  findings: 2,
  alerts: 2,
  archived: 12,
  late: 1,
};

before(async () => {
  store = await openTestStore("api-status");
});

after(async () => {
  await store?.close();
});

test("status: watermarks as ISO-8601 or null, counters as they are; a viewer token is needed", async () => {
  const app = await buildApi(testDeps(store, { status: () => status }));
  try {
    const r = await app.inject({ url: "/api/v1/status", headers: bearer("viewer") });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { ...status, watermarks: { events: "2026-11-04T00:00:00.000Z", sources: null } });
    assert.equal((await app.inject({ url: "/api/v1/status" })).statusCode, 401);
  } finally {
    await app.close();
  }
});

test("status: no route where no detector runs in the process", async () => {
  const app = await buildApi(testDeps(store));
  try {
    // Unknown /api/ paths are admin-only (auth.ts): an admin sees the 404.
    assert.equal((await app.inject({ url: "/api/v1/status", headers: bearer("admin") })).statusCode, 404);
  } finally {
    await app.close();
  }
});
