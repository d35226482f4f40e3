// The pam_unix failure line that sshd and Dovecot (passdb pam) both carry:
//   pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7  user=root
// pam_unix writes "ruser=%s rhost=%s" and then, when known, "  user=%s" (two
// spaces). ruser and user are what the client sent — hostile — and rhost is
// the address the service passed to PAM. A user name such as
// "x rhost=6.6.6.6" makes several splits possible, so every split is tried:
// a valid one ends in "rhost=<no spaces>" followed by nothing or "  user=...";
// when more than one is valid, the one where ruser is empty or equals user
// (how sshd and Dovecot fill them) wins; if that still leaves a choice, the
// line is ambiguous and no address is taken from it.

export interface PamFailure {
  /** The PAM service and module type, e.g. "sshd:auth". */
  service: string;
  ruser: string;
  rhost: string | undefined;
  user: string | undefined;
  tty: string;
  /** True when the line allows more than one reading of rhost (then rhost is undefined). */
  ambiguous: boolean;
}

const HEAD = /^pam_unix\(([\w.-]+:auth)\): authentication failure; logname=\S* uid=\d* euid=\d* tty=(\S*) ruser=/;

interface Split {
  ruser: string;
  rhost: string;
  user: string | undefined;
}

/** The fields of a pam_unix "authentication failure" message, or null. */
export function parsePamFailure(message: string): PamFailure | null {
  const m = HEAD.exec(message);
  if (m === null) return null;
  const body = message.slice(m[0].length);
  const valid: Split[] = [];
  for (let k = body.indexOf(" rhost="); k !== -1; k = body.indexOf(" rhost=", k + 1)) {
    const hostStart = k + 7;
    let hostEnd = body.indexOf(" ", hostStart);
    if (hostEnd === -1) hostEnd = body.length;
    const rest = body.slice(hostEnd);
    // pam_unix logs "rhost=X  user=Y"; tolerate trailing blanks when user is absent.
    if (rest.trim() === "") {
      valid.push({ ruser: body.slice(0, k), rhost: body.slice(hostStart, hostEnd), user: undefined });
    } else if (rest.startsWith("  user=")) {
      valid.push({ ruser: body.slice(0, k), rhost: body.slice(hostStart, hostEnd), user: rest.slice(7) });
    }
    if (valid.length > 8) break; // a line built to explode the search is ambiguous anyway
  }
  // `rhost=` with an empty value and nothing else (local login) also lands here.
  let chosen: Split | undefined;
  let ambiguous = false;
  if (valid.length === 1) chosen = valid[0];
  else if (valid.length > 1) {
    const consistent = valid.filter((s) => s.ruser === "" || s.ruser === s.user);
    if (consistent.length === 1) chosen = consistent[0];
    else ambiguous = true;
  }
  if (chosen === undefined) {
    return { service: m[1] ?? "", ruser: "", rhost: undefined, user: undefined, tty: m[2] ?? "", ambiguous };
  }
  return {
    service: m[1] ?? "",
    ruser: chosen.ruser,
    rhost: chosen.rhost === "" ? undefined : chosen.rhost,
    user: chosen.user,
    tty: m[2] ?? "",
    ambiguous: false,
  };
}
