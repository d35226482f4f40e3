#!/usr/bin/env bash
# Parse rate, ours vs fail2ban-regex (Debian's fail2ban, stock dovecot/postfix/
# sshd filters), on the same deterministic mixed corpus, in the same run, each
# pinned to one core. Also compares the sets of failing source addresses.
#   bench/vs-fail2ban.sh [LINES]        (default 1000000; needs `npm run build`)
# Prints a Markdown table for the README and the address-set comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
command -v fail2ban-regex >/dev/null || { echo "vs-fail2ban: install Debian's fail2ban first (apt-get install fail2ban)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
core() { taskset -c 0 "$@"; }
# Wall seconds of a command whose own output is redirected by the caller.
secs() { local t0 t1; t0=$(date +%s%N); "$@"; t1=$(date +%s%N); echo "scale=3; ($t1 - $t0) / 1000000000" | bc >&3; }

node dist/bench/parse-rate.js --print --lines "$LINES" > "$work/corpus.log"

# Ours: the in-memory pipeline rate, then the whole CLI (read file, parse, write JSONL).
core node dist/bench/parse-rate.js --rounds 3 "$work/corpus.log" > "$work/ours.json"
ours_core=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).lines_per_s)' "$work/ours.json")
t_cli=$( { secs core node dist/cli/main.js parse --source auto "$work/corpus.log" > "$work/events.jsonl" 2>/dev/null; } 3>&1)

# fail2ban: one run per filter, as three jails would each scan the log.
declare -A t_f2b
# The aggressive modes match every failure form (e.g. sshd's pre-auth disconnects).
filters=("sshd[mode=aggressive]" "dovecot" "postfix[mode=aggressive]")
for f in "${filters[@]}"; do
  t_f2b[$f]=$( { secs core fail2ban-regex -o ip "$work/corpus.log" "$f" > "$work/f2b-${f%%[*}.ips" 2>/dev/null; } 3>&1)
done
t_f2b_all=$(echo "${t_f2b[${filters[0]}]} + ${t_f2b[${filters[1]}]} + ${t_f2b[${filters[2]}]}" | bc)

rate() { echo "$LINES / $1" | bc; }
echo "| parser | lines/s (one core, ${LINES} lines) |"
echo "| --- | --- |"
echo "| mailwarden, pipeline (envelope → parser → redaction → schema), in memory | $ours_core |"
echo "| mailwarden parse CLI, file → JSONL | $(rate "$t_cli") |"
for f in "${filters[@]}"; do echo "| fail2ban-regex $f | $(rate "${t_f2b[$f]}") |"; done
echo "| fail2ban-regex, all three filters (the corpus scanned by three jails) | $(rate "$t_f2b_all") |"

# Failing sources: our auth failures from the three daemons vs fail2ban's matches.
node -e '
const fs = require("fs");
const [events, ...f2b] = process.argv.slice(1);
const ours = new Set();
for (const l of fs.readFileSync(events, "utf8").split("\n")) {
  if (!l) continue;
  const e = JSON.parse(l);
  if (e.kind === "auth" && e.outcome === "failure" && e.src_ip && ["sshd", "dovecot", "postfix"].includes(e.source)) ours.add(e.src_ip);
}
const theirs = new Set(f2b.flatMap((f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean)));
const onlyOurs = [...ours].filter((ip) => !theirs.has(ip));
const onlyTheirs = [...theirs].filter((ip) => !ours.has(ip));
console.log(`\nfailing source addresses: mailwarden ${ours.size}, fail2ban ${theirs.size}, both ${ours.size - onlyOurs.length}`);
console.log(`only mailwarden: ${onlyOurs.length}${onlyOurs.length ? ` e.g. ${onlyOurs.slice(0, 5).join(" ")}` : ""}`);
console.log(`only fail2ban: ${onlyTheirs.length}${onlyTheirs.length ? ` e.g. ${onlyTheirs.slice(0, 5).join(" ")}` : ""}`);
' "$work/events.jsonl" "$work"/f2b-*.ips
