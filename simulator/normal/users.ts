// Subscribers' normal life: IMAP clients (desktop IDLE clients reconnect a few
// times a day, phones many times from changing CGNAT addresses), POP pollers,
// webmail sessions, messages sent and received. Every account draws a Poisson
// number of actions per hour from its own rates times the diurnal/weekly
// rhythm of its profile; nothing here ever fails (failures are noise or attacks).
import { type Activity, type Sim, within } from "../context.js";
import { type Account, homeIp, mobileIp } from "../platform.js";
import type { RemoteMx } from "../services.js";
import { REMOTE_MX } from "../services.js";
import { activity } from "./habits.js";

const EXTERNAL_SENDERS = [
  "news@shop-mail.example",
  "noreply@bank-notice.example",
  "info@travel-deals.example",
  "no-reply@social.example",
  "alerts@city-office.example",
];

export function externalAddress(k: number): { address: string; mx: RemoteMx } {
  const mx = REMOTE_MX[k % REMOTE_MX.length] as RemoteMx;
  return { address: `friend${k % 5000}@${mx.domain}`, mx };
}

/** The address an account's client uses at `ts` (travel overrides habits). */
export function clientIp(sim: Sim, a: Account, ts: number, mobile: boolean): string {
  const loc = sim.locations.get(a.index);
  if (loc !== undefined && ts >= loc.start && ts < loc.end) return loc.ip(ts);
  return mobile && a.mobile >= 0 ? mobileIp(sim.platform, a, ts) : homeIp(sim.platform, a, ts);
}

export function userActivity(sim: Sim): Activity {
  const rng = sim.rng.fork("normal/users");
  const accounts = sim.platform.accounts;
  return {
    name: "normal/users",
    hour(t0, t1) {
      const mult0 = activity(0, t0);
      const mult1 = activity(1, t0);
      for (const a of accounts) {
        const m = a.profile === 0 ? mult0 : mult1;
        const total = a.desktopPerDay + a.mobilePerDay + a.popPerDay + a.webPerDay + a.sendPerDay + a.recvPerDay;
        const n = rng.poisson((total / 24) * m);
        for (let i = 0; i < n; i++) {
          const ts = within(rng, t0, t1);
          const r = rng.next() * total;
          const e1 = a.desktopPerDay;
          const e2 = e1 + a.mobilePerDay;
          const e3 = e2 + a.popPerDay;
          const e4 = e3 + a.webPerDay;
          const e5 = e4 + a.sendPerDay;
          if (r < e1) {
            sim.svc.mailLogin(ts, a.user, a, clientIp(sim, a, ts, false), "imap", 0, true);
          } else if (r < e2) {
            sim.svc.mailLogin(ts, a.user, a, clientIp(sim, a, ts, rng.chance(0.7)), "imap", 0, true);
          } else if (r < e3) {
            sim.svc.mailLogin(ts, a.user, a, clientIp(sim, a, ts, false), "pop3", 0, true);
          } else if (r < e4) {
            const ip = clientIp(sim, a, ts, rng.chance(0.4));
            const host = sim.svc.webmailLogin(ts, a, a.user, ip, true);
            if (rng.chance(0.1)) sim.svc.addressBookSearch(ts + 20_000 + rng.int(600_000), host, a.user.slice(0, 2));
          } else if (r < e5) {
            sendOne(sim, a, ts);
          } else {
            const from = EXTERNAL_SENDERS[rng.int(EXTERNAL_SENDERS.length)] ?? "x@example.net";
            sim.svc.receiveMessage(ts, from, a, Math.floor(rng.lognormal(12_000, 1.2)) + 600);
          }
        }
      }
    },
  };

  function sendOne(sim: Sim, a: Account, ts: number): void {
    const k = 1 + (rng.chance(0.2) ? rng.int(3) : 0);
    const recipients: Array<{ address: string; local: Account | undefined; mx?: RemoteMx }> = [];
    for (let j = 0; j < k; j++) {
      if (rng.chance(0.3)) {
        const other = accounts[rng.int(accounts.length)] as Account;
        recipients.push({ address: other.user, local: other });
      } else {
        const ext = externalAddress(rng.int(1_000_000));
        recipients.push({ address: ext.address, local: undefined, mx: ext.mx });
      }
    }
    const size = Math.floor(rng.lognormal(9_000, 1.1)) + 500;
    const viaWebmail = a.webPerDay > 0 && rng.chance(0.4);
    const ip = viaWebmail ? sim.svc.webmailHost().internalIp : clientIp(sim, a, ts, rng.chance(0.5));
    sim.svc.submitMessage(ts, a.user, ip, recipients, size);
  }
}
