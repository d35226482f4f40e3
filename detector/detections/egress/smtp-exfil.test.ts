import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { DAY, HOUR, MIN, mailDelivery, range, run, runResumed, T0 } from "../testing.js";
import { MB } from "./signals.js";
import { smtpExfilDetection } from "./smtp-exfil.js";

const byTs = (a: MailEvent, b: MailEvent) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);

/** An ordinary user: a handful of messages a day, in office hours. */
function ordinary(sender: string, days: number): MailEvent[] {
  return range(days).flatMap((d) =>
    range(4).map((i) =>
      mailDelivery(T0 + d * DAY + (1 + 2 * i) * HOUR + 7 * MIN, sender, `friend${i}@gmail.test`, 40_000),
    ),
  );
}

/** `n` deliveries from `sender` spread evenly over `spanMs` from `at`. */
function burst(at: number, sender: string, n: number, size: number, spanMs: number): MailEvent[] {
  return range(n).map((i) => mailDelivery(at + Math.floor((i * spanMs) / n), sender, `r${i}@list.test`, size));
}

test("positive: a taken-over account with no history spams 300 recipients", () => {
  const at = T0 + 10 * HOUR;
  const findings = run(smtpExfilDetection, burst(at, "kenji@example.jp", 300, 20_000, 15 * MIN));
  assert.equal(findings.length, 1);
  const [f] = findings;
  assert.equal(f?.entity, "kenji@example.jp");
  assert.equal(f?.entity_type, "sender");
  assert.equal(f?.user, "kenji@example.jp");
  assert.equal(f?.observed, 201, "fires at the 201st delivery");
  assert.equal(f?.details?.by, "messages");
  assert.equal(f?.window_start, new Date(at).toISOString());
  assert.match(
    f?.summary ?? "",
    /^kenji@example\.jp sent mail to 201 outside recipients \(4\.0 MB\) in 10 min \(no history yet/,
  );
  assert.match(f?.summary ?? "", /threshold 200 recipients or 100 MB per hour\)$/);
});

test("positive: a known user mails out 120 MB of attachments in half an hour", () => {
  const at = T0 + 14 * DAY + 15 * HOUR;
  const events = [...ordinary("yui@example.jp", 15), ...burst(at, "yui@example.jp", 12, 10 * MB, 30 * MIN)].sort(byTs);
  const findings = run(smtpExfilDetection, events);
  assert.ok(findings.length >= 1);
  const [f] = findings;
  assert.equal(f?.details?.by, "bytes");
  assert.equal(f?.details?.warm, true);
  assert.equal(f?.observed, 60 * MB, "past the 50 MB floor at the sixth attachment");
  assert.match(
    f?.summary ?? "",
    /usual 0\.2 recipients \(6\.8 kB\) an hour, busiest recent hour 1 \(39 kB\); threshold 50 recipients or 50 MB/,
  );
});

test("one message to many recipients: every delivery counts, its bytes once", () => {
  const at = T0 + 10 * HOUR;
  const oneMessage = burst(at, "mei@example.jp", 300, 5 * MB, 5 * MIN).map((e) => ({
    ...e,
    attrs: { queue_id: "4Q9X1Z2Y3" },
  }));
  const findings = run(smtpExfilDetection, oneMessage);
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.details?.by, "messages");
  assert.equal(findings[0]?.details?.bytes, 5 * MB);
  assert.equal(findings[0]?.observed, 201);
});

test("negative: ordinary senders, local deliveries and failed deliveries", () => {
  const events = [
    ...ordinary("yui@example.jp", 10),
    // A mailing list expanding to local mailboxes.
    ...burst(T0 + 3 * DAY, "list@example.jp", 2000, 50_000, HOUR).map((e) => ({ ...e, attrs: { local: true } })),
    // Deferred retries of a message to a dead domain, then its bounce.
    ...burst(T0 + 4 * DAY, "aoi@example.jp", 400, 30_000, HOUR).map((e) => ({ ...e, outcome: "unknown" as const })),
    ...burst(T0 + 4 * DAY + 2 * HOUR, "aoi@example.jp", 300, 30_000, HOUR).map((e) => ({
      ...e,
      outcome: "failure" as const,
    })),
    // Bounces (null sender).
    ...burst(T0 + 5 * DAY, "", 400, 30_000, HOUR),
  ].sort(byTs);
  assert.deepEqual(run(smtpExfilDetection, events), []);
});

/** A weekly newsletter: ~3000 deliveries over 90 minutes every Monday morning. */
function newsletter(weeks: number, sender = "news@example.jp"): MailEvent[] {
  return range(weeks).flatMap((w) =>
    burst(T0 + w * 7 * DAY + 9 * HOUR, sender, 2900 + (w % 3) * 100, 60_000, 90 * MIN),
  );
}

test("benign look-alike: an allow-listed newsletter never fires", () => {
  const events = newsletter(4);
  assert.deepEqual(run(smtpExfilDetection, events, { allowedSenders: ["news@example.jp"] }), []);
  assert.deepEqual(run(smtpExfilDetection, events, { allowedSenders: ["*@EXAMPLE.jp"] }), []);
});

test("benign look-alike: without an allow-list, the weekly burst is expected after its first week", () => {
  const findings = run(smtpExfilDetection, newsletter(6));
  assert.ok(findings.length > 0, "the first burst is new");
  for (const f of findings) assert.ok(Date.parse(f.ts) < T0 + DAY, `fired after the first week: ${f.summary}`);
  // A burst 5× the usual one still fires.
  const big = [...newsletter(4), ...burst(T0 + 28 * DAY + 9 * HOUR, "news@example.jp", 15_000, 60_000, 90 * MIN)];
  assert.ok(run(smtpExfilDetection, big).some((f) => Date.parse(f.ts) > T0 + 28 * DAY));
});

test("state: snapshot mid-stream, restore in a fresh engine, same findings", () => {
  const events = [
    ...ordinary("yui@example.jp", 15),
    ...newsletter(3),
    ...burst(T0 + 14 * DAY + 15 * HOUR, "yui@example.jp", 400, 300_000, 40 * MIN),
  ].sort(byTs);
  const whole = run(smtpExfilDetection, events);
  assert.ok(whole.length >= 2);
  for (const split of [events.findIndex((e) => Date.parse(e.ts) >= T0 + 14 * DAY + 15 * HOUR + 20 * MIN), 100]) {
    assert.deepEqual(runResumed(smtpExfilDetection, events, split), whole);
  }
});

test("bounded: senders over the cap are dropped oldest first", () => {
  const instance = smtpExfilDetection.create(smtpExfilDetection.config.parse({ maxSenders: 100 }), {
    networks: undefined as never,
  });
  for (const i of range(1000)) {
    const e = mailDelivery(T0 + i * 1000, `u${i}@example.jp`, "x@gmail.test", 1000);
    instance.onEvent(e, Date.parse(e.ts));
  }
  assert.equal(instance.size(), 100);
});
