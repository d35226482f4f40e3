#!/usr/bin/env bash
# Install the real mail daemons the lab runs (see test/lab/README.md).
#
# Idempotent and non-interactive: safe to run on every CI run. When every
# package is already installed it does nothing (no apt-get update, no network).
# Must run as root (CI and dev machines run as root).
#
# The packages' own maintainer scripts would normally start system instances
# of dovecot/postfix/slapd/mariadb/sshd on the standard ports; the lab runs
# private instances on high ports instead, so we forbid service starts during
# the install with a policy-rc.d that exits 101 ("action forbidden").
set -euo pipefail

PACKAGES=(
  dovecot-core dovecot-imapd dovecot-pop3d # IMAP/POP3 + auth socket for Postfix SASL
  postfix                                  # SMTP submission with SASL auth
  slapd ldap-utils                         # OpenLDAP server + ldapsearch/ldapwhoami/slapadd
  mariadb-server                           # ships server_audit.so in Debian 12 (no separate plugin pkg)
  curl                                     # real IMAP/POP3/SMTP client
  swaks                                    # real SMTP AUTH client (second opinion to curl)
  openssh-server sshpass                   # sshd + password-auth client for failed-login traffic
  prometheus-alertmanager                  # a real Alertmanager for the notifier test
)

export DEBIAN_FRONTEND=noninteractive
export DEBCONF_NONINTERACTIVE_SEEN=true

if [[ $(id -u) -ne 0 ]]; then
  echo "install.sh: must run as root" >&2
  exit 1
fi

start=$(date +%s)

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) != installed ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "lab install: all ${#PACKAGES[@]} packages already installed (0s, no apt-get update)"
  exit 0
fi

# Preseed debconf so postinst scripts never ask:
#  - postfix: "Local only" writes a harmless /etc/postfix/main.cf; the lab
#    writes its own config under <dir> anyway.
#  - slapd: no_configuration=true -> no default database in /etc/ldap/slapd.d;
#    the lab runs slapd from its own slapd.conf.
debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string lab.example.test
postfix postfix/destinations string localhost
slapd slapd/no_configuration boolean true
slapd shared/organization string example
slapd slapd/domain string example.test
EOF

# policy-rc.d: keep an existing one (Docker-style images ship one); only add
# and later remove our own.
POLICY=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# added by mailwarden test/lab/install.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  own_policy=1
fi
cleanup() { if [[ $own_policy -eq 1 ]]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

# apt-get update only when needed: no package lists at all, or a package we
# want has no install candidate in the lists we have.
did_update=no
need_update=0
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  need_update=1
else
  for p in "${missing[@]}"; do
    # capture first: `apt-cache | grep -q` would SIGPIPE apt-cache under pipefail
    policy=$(apt-cache policy "$p" 2>/dev/null || true)
    if [[ $policy != *"Candidate: "[0-9]* ]]; then
      need_update=1
      break
    fi
  done
fi
if [[ $need_update -eq 1 ]]; then
  apt-get update -qq
  did_update=yes
fi

APT_OPTS=(-y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# apt output goes to a temp file and is shown only on failure (quiet CI log).
aptlog=$(mktemp)
trap 'cleanup; rm -f "$aptlog"' EXIT
# Stale lists give 404s on download: refresh once and retry.
if ! apt-get install "${APT_OPTS[@]}" "${missing[@]}" >"$aptlog" 2>&1; then
  if [[ $did_update == no ]]; then
    apt-get update -qq
    did_update=yes
    if ! apt-get install "${APT_OPTS[@]}" "${missing[@]}" >"$aptlog" 2>&1; then
      cat "$aptlog" >&2
      exit 1
    fi
  else
    cat "$aptlog" >&2
    exit 1
  fi
fi

# Without systemd, postinst scripts do not start anything (policy-rc.d), but be
# explicit: make sure no package-started system daemon is holding resources the
# lab instances would trip over (none of our ports overlap, this is belt and
# braces). Only stop processes whose pid files the packages own.
for pidf in /run/dovecot/master.pid /var/spool/postfix/pid/master.pid /run/slapd/slapd.pid /run/mysqld/mysqld.pid /run/sshd.pid; do
  if [[ -s $pidf ]] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "lab install: stopping package-started daemon pid $(cat "$pidf") ($pidf)" >&2
    kill "$(cat "$pidf")" || true
  fi
done

audit=$(find /usr/lib/mysql/plugin -name 'server_audit.so' 2>/dev/null | head -n1)
end=$(date +%s)
echo "lab install: installed ${#missing[@]} of ${#PACKAGES[@]} packages in $((end - start))s (apt-get update: $did_update; server_audit: ${audit:-MISSING})"
