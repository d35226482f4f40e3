import assert from "node:assert/strict";
import { test } from "node:test";
import type { MailEvent } from "../../../events/event.js";
import { createNetworkInfo } from "../../core/networks.js";
import { DAY, egressSample, ev, HOUR, MIN, range, run, runResumed, T0, TEST_ASNS } from "../testing.js";
import { MB } from "./signals.js";
import { volumeDetection } from "./volume.js";

const byTs = (a: MailEvent, b: MailEvent) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);

/** A host's ordinary outbound chatter: the package updater fetching indexes every hour (small uploads). */
function chatter(host: string, from: number, hours: number): MailEvent[] {
  return range(hours).map((h) =>
    egressSample(from + h * HOUR + 7 * MIN, host, "http", "100.64.1.1", 40_000, { dstPort: 80 }),
  );
}

/** `total` bytes from `process` to `ip`, one sample every `everyMs` starting at `at`. */
function upload(
  at: number,
  host: string,
  process: string,
  ip: string,
  total: number,
  perSample: number,
  everyMs = 10_000,
) {
  const n = Math.ceil(total / perSample);
  return range(n).map((i) =>
    egressSample(at + i * everyMs, host, process, ip, Math.min(perSample, total - i * perSample)),
  );
}

test("positive: mysqld on a known host uploads 800 MB to a network it never talked to, caught within a minute", () => {
  const attackAt = T0 + 2 * DAY + 14 * HOUR + 3 * MIN;
  const events = [
    ...chatter("db1", T0, 60),
    ...upload(attackAt, "db1", "mysqld", "203.0.113.50", 800 * MB, 40 * MB),
  ].sort(byTs);
  const findings = run(volumeDetection, events);
  const perProcess = findings.filter((f) => f.entity === "db1/mysqld");
  const perDest = findings.filter((f) => f.entity === "db1->AS64666");
  assert.ok(perProcess.length >= 1 && perDest.length >= 1, JSON.stringify(findings.map((f) => f.summary)));
  const [first] = perProcess;
  assert.ok(first);
  assert.ok(Date.parse(first.ts) - attackAt <= 60_000, `TTD ${Date.parse(first.ts) - attackAt} ms`);
  assert.equal(first.ts, new Date(attackAt + 20_000).toISOString(), "crosses 100 MB at the third sample");
  assert.equal(first.stage, "exfiltration");
  assert.equal(first.entity_type, "host_process");
  assert.equal(first.host, "db1");
  assert.equal(first.observed, 120 * MB);
  assert.equal(first.expected, 0);
  assert.equal(first.window_start, new Date(attackAt).toISOString());
  assert.equal(first.evidence.length, 3);
  assert.match(first.summary, /^mysqld on db1 sent 120 MB in 20 s, mostly to AS64666 \(Bulletproof Hosting, NL\)/);
  assert.match(first.summary, /never seen from this host; usual 0 B\/h; threshold 100 MB\/h/);
  assert.match(perDest[0]?.summary ?? "", /^mysqld on db1 sent 120 MB to AS64666 \(Bulletproof Hosting, NL\) in 20 s/);
  // One episode, one id; re-fired as it doubles, with rising scores.
  assert.equal(new Set(perProcess.map((f) => f.id)).size, 1);
  assert.deepEqual(
    perProcess.map((f) => f.observed / MB),
    [120, 240, 480],
  );
  assert.ok(perProcess.every((f, i) => i === 0 || f.score > (perProcess[i - 1]?.score ?? 0)));
  assert.ok((perProcess.at(-1)?.score ?? 0) >= 80);
});

test("positive: an upload straddling the hour is judged over the last 60 minutes", () => {
  // 90 MB before 15:00 and 90 MB after: neither clock hour reaches 100 MB alone.
  const before = T0 + 2 * DAY + 14 * HOUR + 51 * MIN;
  const events = [
    ...chatter("db1", T0, 62),
    ...upload(before, "db1", "rclone", "100.64.9.9", 90 * MB, 10 * MB, MIN),
    ...upload(T0 + 2 * DAY + 15 * HOUR, "db1", "rclone", "100.64.9.9", 90 * MB, 10 * MB, MIN),
  ].sort(byTs);
  const findings = run(volumeDetection, events).filter((f) => f.entity === "db1/rclone");
  assert.equal(findings.length, 1);
  assert.ok(Date.parse(findings[0]?.ts ?? "") <= T0 + 2 * DAY + 15 * HOUR + 2 * MIN, findings[0]?.ts);
  assert.equal(findings[0]?.window_start, new Date(before).toISOString());
});

test("positive: on a host still learning, the conservative cold threshold applies", () => {
  const events = upload(T0 + 30 * MIN, "ldap1", "slapd", "203.0.113.9", 300 * MB, 50 * MB);
  const findings = run(volumeDetection, events).filter((f) => f.entity === "ldap1/slapd");
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.observed, 250 * MB, "fires past 200 MB, not before");
  assert.match(findings[0]?.summary ?? "", /host still learning, no history; threshold 200 MB\/h/);
  assert.equal(findings[0]?.details?.host_warm, false);
});

test("positive: a process that sends steadily goes far above its own baseline", () => {
  const events = [
    ...range(4 * 24).flatMap((h) =>
      range(6).map((i) => egressSample(T0 + h * HOUR + i * 10 * MIN, "web1", "php-fpm", "100.64.2.2", 8 * MB + i * MB)),
    ),
    ...upload(T0 + 4 * DAY + 10 * HOUR + 5 * MIN, "web1", "php-fpm", "100.64.2.2", 600 * MB, 30 * MB),
  ].sort(byTs);
  const findings = run(volumeDetection, events).filter((f) => f.entity === "web1/php-fpm");
  assert.ok(findings.length >= 1);
  assert.equal(findings[0]?.details?.baseline_warm, true);
  assert.ok((findings[0]?.expected ?? 0) > 60 * MB, "expected is the usual hourly total");
  assert.match(findings[0]?.summary ?? "", /usual \d+ MB\/h at this hour/);
});

test("negative: steady traffic within its usual range over days", () => {
  const events = range(4 * 24).flatMap((h) =>
    range(6).map((i) =>
      egressSample(T0 + h * HOUR + i * 10 * MIN, "web1", "php-fpm", "100.64.2.2", (6 + ((h * 7 + i) % 5)) * MB),
    ),
  );
  assert.deepEqual(run(volumeDetection, events), []);
});

/** A nightly backup: 5 GB in 40 minutes from `restic`, starting around 02:00 (±15 min). */
function nightlyBackups(nights: number): MailEvent[] {
  return range(nights).flatMap((n) => {
    const jitter = [0, -12, 9, -15, 14, 3][n % 6] ?? 0;
    return upload(T0 + n * DAY + 2 * HOUR + jitter * MIN, "db1", "restic", "198.51.100.20", 5000 * MB, 125 * MB, MIN);
  });
}

test("benign look-alike: the nightly backup to an allow-listed target never fires", () => {
  const events = [...chatter("db1", T0, 5 * 24), ...nightlyBackups(5)].sort(byTs);
  const allowed = { allowedDestinations: [{ cidr: "198.51.100.0/24", processes: ["restic"], note: "offsite backup" }] };
  assert.deepEqual(run(volumeDetection, events, allowed), []);
  // The allow rule is scoped to the backup process: another process to the same target still counts.
  const other = [
    ...events,
    ...upload(T0 + 4 * DAY + 13 * HOUR, "db1", "mysqld", "198.51.100.20", 300 * MB, 50 * MB),
  ].sort(byTs);
  assert.ok(run(volumeDetection, other, allowed).some((f) => f.entity === "db1/mysqld"));
});

test("benign look-alike: without an allow-list, the hour-of-day baseline learns the backup after its first night", () => {
  const events = [...chatter("db1", T0, 6 * 24), ...nightlyBackups(6)].sort(byTs);
  const findings = run(volumeDetection, events);
  assert.ok(findings.length > 0, "the first night is new");
  for (const f of findings) assert.ok(Date.parse(f.ts) < T0 + DAY, `fired after the first night: ${f.summary}`);
});

test("benign look-alike: an MX delivering to ever-new MX hosts is judged per process only", () => {
  const events = range(3 * 24).flatMap((h) =>
    range(12).map((i) =>
      egressSample(T0 + h * HOUR + i * 5 * MIN, "mx1", "smtp", `198.51.${(h * 12 + i) % 250}.25`, 2 * MB, {
        dstPort: 25,
      }),
    ),
  );
  const findings = run(volumeDetection, events);
  assert.deepEqual(findings, []);
  // A spam run or mail-borne exfiltration from it is still seen in its process volume.
  const burst = upload(T0 + 3 * DAY + 10 * HOUR, "mx1", "smtp", "203.0.113.25", 900 * MB, 30 * MB).map((e) => ({
    ...e,
    dst_port: 25,
  }));
  const all = run(volumeDetection, [...events, ...burst]);
  assert.ok(all.some((f) => f.entity === "mx1/smtp"));
  assert.ok(!all.some((f) => f.entity_type === "host_destination"));
});

test("benign look-alike: an IMAP server sending mail to its clients is inbound, not egress", () => {
  const events = range(200).flatMap((i) => [
    // With listener info (attrs.direction) …
    egressSample(T0 + i * 10_000, "imap1", "imap", "198.51.100.77", 20 * MB, { attrs: { direction: "in" } }),
    // … and without: local port 993 answering a client's ephemeral port.
    {
      ...egressSample(T0 + i * 10_000 + 1, "imap1", "imap", "198.51.100.78", 20 * MB),
      src_port: 993,
      dst_port: 51_000,
    },
  ]);
  assert.deepEqual(run(volumeDetection, events), []);
});

test("Zeek conn: the originating host is the entity; inbound connections are not egress", () => {
  const zeek = (src: string, dst: string, bytes: number, at: number, attrs?: MailEvent["attrs"]) =>
    ev(at, {
      ...(attrs ? { attrs } : {}),
      host: "sensor1",
      source: "zeek-conn",
      kind: "net",
      action: "conn",
      outcome: "success",
      src_ip: src,
      src_port: 44_000,
      dst_ip: dst,
      dst_port: 443,
      proto: "http",
      bytes_out: bytes,
    });
  const findings = run(volumeDetection, [
    zeek("60.70.1.2", "192.0.2.10", 900 * MB, T0), // a client uploading to our webmail
    zeek("10.20.1.5", "203.0.113.7", 900 * MB, T0 + MIN),
    // Site::local_nets says: ours to ours (a public service address), and theirs to ours.
    zeek("10.20.1.6", "192.0.2.11", 900 * MB, T0 + 2 * MIN, { local_orig: true, local_resp: true }),
    zeek("10.20.1.7", "192.0.2.12", 900 * MB, T0 + 3 * MIN, { local_orig: false, local_resp: true }),
  ]);
  assert.deepEqual(
    findings.map((f) => f.entity),
    ["10.20.1.5/?", "10.20.1.5->AS64666"],
  );
  assert.equal(findings[0]?.host, "10.20.1.5");
});

test("an agent's first sample does not count counters of connections it did not see grow", () => {
  const events = [
    egressSample(T0, "db1", "restic", "100.64.5.5", 4000 * MB, { action: "conn", attrs: { first_sample: true } }),
    egressSample(T0 + 10_000, "db1", "restic", "100.64.5.5", 5 * MB),
  ];
  assert.deepEqual(run(volumeDetection, events), []);
});

test("state: snapshot mid-attack, restore in a fresh engine, same findings", () => {
  const attackAt = T0 + 2 * DAY + 14 * HOUR;
  const events = [
    ...chatter("db1", T0, 60),
    ...nightlyBackups(3),
    ...upload(attackAt, "db1", "mysqld", "203.0.113.50", 800 * MB, 40 * MB),
  ].sort(byTs);
  const whole = run(volumeDetection, events);
  const split = events.findIndex((e) => Date.parse(e.ts) >= attackAt + 30_000);
  assert.ok(whole.length > 0 && split > 0);
  assert.deepEqual(runResumed(volumeDetection, events, split), whole);
  assert.deepEqual(runResumed(volumeDetection, events, Math.floor(events.length / 2)), whole);
});

test("bounded: entities over the cap are dropped oldest first", () => {
  const cfg = volumeDetection.config.parse({ maxProcesses: 100, maxDestinations: 100 });
  const instance = volumeDetection.create(cfg, { networks: createNetworkInfo({ asnTable: TEST_ASNS }) });
  for (const i of range(300)) {
    const e = egressSample(T0 + i * 1000, `h${i}`, "curl", `100.64.${i}.3`, 2 * MB);
    instance.onEvent(e, Date.parse(e.ts));
  }
  // 100 (host, process) + 100 (host, destination) series, and the hosts' first-seen times.
  assert.equal(instance.size(), 500);
  assert.equal(instance.evict(T0 + 250_000), 50 + 50 + 250, "idle ones go");
});
