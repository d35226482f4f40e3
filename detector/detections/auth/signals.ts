// How authentication events count, shared by the auth detections. One failed
// attempt is counted once although Dovecot may log it three times (auth
// worker, auth process, login process): only events carrying
// `attrs.attempts` (the login process's summary, one sshd/Postfix/slapd/
// Roundcube line per attempt) count, by that number; the others are evidence.
import type { MailEvent } from "../../../events/event.js";

export function failedAttempts(e: MailEvent): number {
  if (e.kind !== "auth" || e.outcome !== "failure") return 0;
  const n = e.attrs?.attempts;
  return typeof n === "number" && n > 0 ? n : 0;
}

export function isLoginSuccess(e: MailEvent): boolean {
  return e.kind === "auth" && e.outcome === "success";
}

/** Account names compare case-insensitively (IMAP logins are not case-sensitive on most stores). */
export function accountOf(e: MailEvent): string | undefined {
  return e.user ? e.user.toLowerCase() : undefined;
}

export function domainOf(user: string): string {
  const at = user.lastIndexOf("@");
  return at >= 0 ? user.slice(at + 1) : "";
}
