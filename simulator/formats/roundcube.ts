// Roundcube 1.6 `userlogins` log (log_logins = true, log_driver = file):
//   [01-Nov-2026 09:12:45 +0000]: <0f1e2d3c> Successful login for alice@example.jp (ID: 42) from 60.70.1.2 in session 0f1e2d3c4b5a6978
// The webmail hosts take connections directly (no proxy), so the address is the client's.
import { roundcubeDate } from "./time.js";

export function roundcubeSuccess(ts: number, session: string, user: string, userId: number, ip: string): string {
  return `[${roundcubeDate(ts)}]: <${session.slice(0, 8)}> Successful login for ${user} (ID: ${userId}) from ${ip} in session ${session}`;
}

export function roundcubeFailure(ts: number, session: string, user: string, ip: string): string {
  return `[${roundcubeDate(ts)}]: <${session.slice(0, 8)}> Failed login for ${user} from ${ip} in session ${session} (error: 0)`;
}
