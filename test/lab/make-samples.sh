#!/usr/bin/env bash
# Regenerate test/lab/samples/: start a lab, run drive.sh's scenario, stop,
# copy the logs. Also the alternative formats (rfc3164 syslog files, slapd
# `-d stats` and sshd `-E` files). Needs root and test/lab/install.sh.
#
#   make-samples.sh [users]      bulk users to load first (default 2500)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USERS=${1:-2500}
OUT=$HERE/samples
# A fixed, neutral path: it appears inside some lines (Postfix's config dir,
# sshd's authorized_keys path, MariaDB's socket).
D=${TMPDIR:-/tmp}/mailwarden-lab

run() { # [VAR=value...]: one lab run with the scenario
  "$HERE/lab.sh" stop "$D" >/dev/null 2>&1 || true
  rm -rf "$D"
  mkdir -p "$D"
  env ${1+"$@"} "$HERE/lab.sh" start "$D" --users "$USERS" >/dev/null
  "$HERE/drive.sh" "$D" >&2
  sleep 1 # let the last lines reach the files
  "$HERE/lab.sh" stop "$D"
}

mkdir -p "$OUT"
run
for f in dovecot.log postfix.log slapd.log sshd.log mariadb-audit.log mariadb-slow.log mariadb-error.log; do
  cp "$D/logs/$f" "$OUT/$f"
done

run LAB_SYSLOG_FORMAT=rfc3164
cp "$D/logs/slapd.log" "$OUT/slapd.rfc3164.log"
cp "$D/logs/sshd.log" "$OUT/sshd.rfc3164.log"

run LAB_SYSLOG=0
cp "$D/logs/slapd.log" "$OUT/slapd.debug.log"
cp "$D/logs/sshd.log" "$OUT/sshd.E.log"

rm -rf "$D"
echo "samples written to $OUT"
