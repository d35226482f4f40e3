#!/usr/bin/env bash
# Mailwarden lab: private instances of REAL mail-platform daemons from
# Debian's packages (Dovecot, Postfix, OpenLDAP slapd, MariaDB, OpenSSH sshd)
# on loopback high ports, all state/config/sockets/logs under one directory.
#
#   lab.sh start  <dir> [--users N] [--ldap-users N] [--db-rows N]
#                       [--mail-users N] [--no-ssh]
#   lab.sh stop   <dir>          idempotent; also sweeps leftovers of <dir>
#   lab.sh status <dir>          exit 0 only when every daemon is up
#   lab.sh ldap-load <dir> N     N LDAP users user000001.. (slapadd, offline)
#   lab.sh db-load   <dir> N     N rows into postfix.mailbox (online or offline)
#   lab.sh mail-load <dir> N     N users in Dovecot's passwd-file
# Bulk users are user000001..userN, password Pw-userNNNNNN, in every store;
# --users N loads all three stores.
#
# Needs root (Dovecot/Postfix/sshd drop privileges themselves) and the packages
# from test/lab/install.sh. Does not need systemd. Logs land in <dir>/logs/.
# See test/lab/README.md for users, passwords, ports and log samples.
set -euo pipefail

# ---------------------------------------------------------------- constants --
# Ports can be overridden by the environment (e.g. to run two labs at once).
IMAP_PORT=${LAB_IMAP_PORT:-10143}
POP3_PORT=${LAB_POP3_PORT:-10110}
SUBMISSION_PORT=${LAB_SUBMISSION_PORT:-10587}
LDAP_PORT=${LAB_LDAP_PORT:-10389}
MYSQL_PORT=${LAB_MYSQL_PORT:-13306}
SSH_PORT=${LAB_SSH_PORT:-10022}
# Lab-only listeners that expect a HAProxy PROXY protocol header (v2 from
# proxy-relay.pl), so a test can make the REAL daemon log a non-loopback
# client address (e.g. 203.0.113.7) while all traffic stays on 127.0.0.1.
IMAP_PROXY_PORT=${LAB_IMAP_PROXY_PORT:-10144}
SUBMISSION_PROXY_PORT=${LAB_SUBMISSION_PROXY_PORT:-10588}
LDAP_PROXY_PORT=${LAB_LDAP_PROXY_PORT:-10390}

DOMAIN=example.test
LDAP_SUFFIX="dc=example,dc=test"
LDAP_ROOTDN="cn=admin,$LDAP_SUFFIX"
LDAP_ROOTPW=Admin-Pass-0
# A service account like the one Dovecot/Postfix would use to look users up;
# it may read userPassword, so it is what an attacker would steal and use.
LDAP_SVCDN="cn=mailservice,ou=services,$LDAP_SUFFIX"
LDAP_SVCPW=Svc-Pass-9
DB_NAME=postfix
DB_USER=postfix
DB_PASS=Pfx-Pass-7
# Fixed lab users (user:password); the same on every service.
LAB_USERS=(alice:Alice-Pass-1 bob:Bob-Pass-2 carol:Carol-Pass-3)
# Dovecot's mail files belong to the base system's `mail` user (uid/gid 8):
# no need to create a vmail user on the machine.
MAIL_UID=$(id -u mail)
MAIL_GID=$(id -g mail)
WAIT_SECS=${LAB_WAIT_SECS:-60}
# Host name written into syslog-style lines (Postfix's maillog_file, and the
# syslog sink used for sshd/slapd).
LAB_HOSTNAME=${LAB_HOSTNAME:-lab}
# sshd and slapd only log to syslog (or to a bare stderr/-E file without
# timestamps). LAB_SYSLOG=1 (default when mount namespaces work) runs each of
# them in a private mount namespace whose /dev/log is a socket of
# syslog-sink.pl, which writes real syslog file lines: rfc3339 (Debian 12
# rsyslog's default) or rfc3164. LAB_SYSLOG=0: slapd `-d stats` to a file and
# sshd `-E file` instead (see README for those formats).
LAB_SYSLOG_FORMAT=${LAB_SYSLOG_FORMAT:-rfc3339}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "lab.sh: $*" >&2; exit 1; }
log() { echo "lab: $*" >&2; }

usage() { # the header comment of this file
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# Bulk loads remember how many users they hold, so repeating one is cheap.
bulk_count() { cat "$1" 2>/dev/null || echo 0; }

# ------------------------------------------------------------------ helpers --
# Readiness = a listening socket on 127.0.0.1:<port> (ss, from iproute2).
# Deliberately not a probe connection: every daemon would log it, and tests
# tailing the logs should only see their own traffic.
port_open() { # port
  [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null | awk '$4 == "127.0.0.1:'"$1"'"') ]]
}

wait_port() { # name port pidfile -> 0 when up, 1 on timeout or if the pid died
  local name=$1 port=$2 pidfile=$3 i
  for ((i = 0; i < WAIT_SECS * 5; i++)); do
    if port_open "$port"; then return 0; fi
    if [[ -n $pidfile && $i -gt 10 ]] && ! pid_alive "$pidfile"; then
      log "$name died during startup (see $D/logs/)"
      return 1
    fi
    sleep 0.2
  done
  log "$name: port $port not open after ${WAIT_SECS}s"
  return 1
}

since_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

read_pid() { awk 'NR == 1 { print $1 }' "$1"; } # Postfix pads its pid file

# Our daemons are orphans once lab.sh exits; a zombie (exited, not yet reaped
# by PID 1) still answers kill -0, so look at the process state too.
proc_alive() { # pid
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

pid_alive() { # pidfile
  [[ -s $1 ]] && proc_alive "$(read_pid "$1")"
}

# stop_pids name:pidfile...: TERM all at once, wait up to 30s, KILL leftovers.
stop_pids() {
  local item name pidfile pid i alive
  local -A pids=()
  for item in "$@"; do
    name=${item%%:*}
    pidfile=${item#*:}
    if pid_alive "$pidfile"; then
      pid=$(read_pid "$pidfile")
      pids[$name]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 300; i++)); do
    alive=0
    for name in "${!pids[@]}"; do
      if proc_alive "${pids[$name]}"; then alive=1; else unset "pids[$name]"; fi
    done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    log "$name (pid ${pids[$name]}) ignored TERM for 30s, killing"
    kill -KILL "${pids[$name]}" 2>/dev/null || true
  done
  # Most daemons remove their own pid file; drop whatever is left.
  for item in "$@"; do rm -f "${item#*:}"; done
}

# Perl is always there (mariadb-server depends on it); Digest::SHA is core.
# {SSHA} as slapd and Dovecot understand it: base64(sha1(pw.salt).salt).
ssha_perl='use Digest::SHA qw(sha1); use MIME::Base64;
  sub ssha { my ($pw) = @_; my $s = join("", map { chr(int(rand(256))) } 1..8);
             return "{SSHA}" . encode_base64(sha1($pw . $s) . $s, ""); }'

# --------------------------------------------- syslog via mount namespace --
syslog_mode() { # -> 0 when sshd/slapd log through a syslog sink
  if [[ -f $D/run/syslog-mode ]]; then
    [[ $(cat "$D/run/syslog-mode") == 1 ]]
    return
  fi
  local mode=${LAB_SYSLOG:-auto}
  if [[ $mode == auto ]]; then
    # Needs CAP_SYS_ADMIN (root on a VM: yes; an unprivileged container: no).
    if unshare -m --propagation private true 2>/dev/null; then mode=1; else mode=0; fi
  fi
  echo "$mode" >"$D/run/syslog-mode"
  [[ $mode == 1 ]]
}

NS_DEV_NODES=(null zero full random urandom tty ptmx)

# sink_start name logfile: syslog receiver on $D/run/<name>-dev/log
sink_start() {
  local name=$1 logfile=$2 dev=$D/run/$1-dev n i
  if pid_alive "$D/run/$name-syslog.pid"; then return 0; fi
  mkdir -p "$dev/pts"
  for n in "${NS_DEV_NODES[@]}"; do [[ -e $dev/$n ]] || touch "$dev/$n"; done
  rm -f "$dev/log"
  setsid perl "$HERE/syslog-sink.pl" "$dev/log" "$logfile" "$LAB_HOSTNAME" "$LAB_SYSLOG_FORMAT" \
    </dev/null >>"$D/logs/syslog-sink.stderr" 2>&1 &
  echo $! >"$D/run/$name-syslog.pid"
  for ((i = 0; i < 50; i++)); do [[ -S $dev/log ]] && return 0; sleep 0.1; done
  die "syslog sink for $name did not come up (see $D/logs/syslog-sink.stderr)"
}

# ns_exec name cmd...: run cmd in a private mount namespace whose /dev is
# $D/run/<name>-dev (the real device nodes bind-mounted + the sink's log
# socket). Only this daemon sees it; the machine's /dev is untouched.
ns_exec() {
  local dev=$D/run/$1-dev
  shift
  unshare -m --propagation private /bin/sh -ec '
    dev=$1; shift
    for n in '"${NS_DEV_NODES[*]}"'; do
      if [ -e "/dev/$n" ]; then mount --bind "/dev/$n" "$dev/$n"; fi
    done
    if [ -d /dev/pts ]; then mount --bind /dev/pts "$dev/pts"; fi
    mount --rbind "$dev" /dev
    exec "$@"' sh "$dev" "$@"
}

mysql_root() { mariadb --no-defaults --protocol=socket -S "$D/mysql/mysqld.sock" -uroot; }

# ------------------------------------------------------------------ dovecot --
dovecot_setup() {
  local c=$D/dovecot
  [[ -f $c/dovecot.conf ]] && return 0
  mkdir -p "$c/run" "$c/state" "$c/mail"
  # passwd-file: user:password:uid:gid:gecos:home:shell:extra
  # users.fixed keeps the fixed users; mail-load rebuilds `users` from it.
  : >"$c/users.fixed"
  local u name pw
  for u in "${LAB_USERS[@]}"; do
    name=${u%%:*}
    pw=${u#*:}
    echo "$name@$DOMAIN:$(doveadm pw -s SHA512-CRYPT -p "$pw"):$MAIL_UID:$MAIL_GID::$c/mail/$name@$DOMAIN::" >>"$c/users.fixed"
  done
  install -m 0640 -g dovecot "$c/users.fixed" "$c/users"
  chown -R "$MAIL_UID:$MAIL_GID" "$c/mail"

  # A complete, self-contained config: nothing from /etc/dovecot is read.
  cat >"$c/dovecot.conf" <<EOF
# Mailwarden lab Dovecot (generated by test/lab/lab.sh)
instance_name = mailwarden-lab
protocols = imap pop3
listen = 127.0.0.1
base_dir = $c/run
state_dir = $c/state

# File logging, Dovecot's default log_timestamp ("%b %d %H:%M:%S ").
log_path = $D/logs/dovecot.log
auth_verbose = yes
# auth_verbose_passwords / auth_debug stay off (the production default).

# Plaintext LOGIN/PLAIN without TLS: loopback-only lab.
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Dovecot's 2s default delay after a failed login makes brute-force tests
# slow and does not change any log line.
auth_failure_delay = ${LAB_AUTH_FAILURE_DELAY:-0}

default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
mail_location = maildir:~/Maildir

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $c/users
}
userdb {
  driver = passwd-file
  args = $c/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  # Lab-only: accepts a HAProxy PROXY header so tests can present any rip.
  inet_listener imap_proxy {
    address = 127.0.0.1
    port = $IMAP_PROXY_PORT
    haproxy = yes
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
haproxy_trusted_networks = 127.0.0.0/8

# Dovecot's auth penalty (anvil) delays further logins from an IP after a
# failure, up to 15s each: brute-force tests from 127.0.0.1 would crawl.
# Without the anvil-auth-penalty socket auth runs without penalty (mode 0 =
# listener not created). LAB_AUTH_PENALTY=1 keeps Dovecot's default.
$(if [[ ${LAB_AUTH_PENALTY:-0} != 1 ]]; then echo 'service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}'; fi)

service auth {
  # SASL socket for Postfix submission (smtpd_sasl_type = dovecot).
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
}

dovecot_start() {
  local pidfile=$D/dovecot/run/master.pid
  if pid_alive "$pidfile"; then return 0; fi
  # Dovecot daemonizes itself and writes base_dir/master.pid.
  dovecot -c "$D/dovecot/dovecot.conf" </dev/null >>"$D/logs/dovecot.stderr" 2>&1
}


# ------------------------------------------------------------------ postfix --
postfix_setup() {
  # Config, queue and data dirs are siblings: `postfix check` wants every
  # file below the config dir owned by root.
  local c=$D/postfix/conf
  [[ -f $c/main.cf ]] && return 0
  mkdir -p "$c" "$D/postfix/spool" "$D/postfix/lib"
  chown postfix:postfix "$D/postfix/lib"
  cat >"$c/main.cf" <<EOF
# Mailwarden lab Postfix (generated by test/lab/lab.sh)
compatibility_level = 3.6
queue_directory = $D/postfix/spool
data_directory = $D/postfix/lib
# postfix-files and dynamicmaps.cf are read from the package's directory.
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop

myhostname = $LAB_HOSTNAME.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
biff = no
smtputf8_enable = no

# Log to a file through postlogd (Postfix >= 3.4), not syslog.
maillog_file = $D/logs/postfix.log
maillog_file_prefixes = $D/logs

# Every accepted message is thrown away: the lab must not send mail anywhere,
# but the usual queue lines (qmgr from=, status=sent) are still logged.
default_transport = discard:lab sink
relay_transport = discard:lab sink

smtpd_banner = \$myhostname ESMTP
# No reverse DNS of clients: the lab has no DNS, and PROXY-header clients
# (203.0.113.x) would each cost a lookup. Clients log as unknown[ip].
smtpd_peername_lookup = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/dovecot/run/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
EOF
  # The package's master.cf with chroot off everywhere (a chroot would need
  # copies of /etc files under the queue dir) and without the port-25
  # listener; plus our submission listeners.
  cat >"$c/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=none
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
# Lab-only: same, behind a HAProxy PROXY header so tests can present any IP.
127.0.0.1:$SUBMISSION_PROXY_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_security_level=none
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_upstream_proxy_protocol=haproxy
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

postfix_pidfile() { echo "$D/postfix/spool/pid/master.pid"; }

postfix_start() {
  if pid_alive "$(postfix_pidfile)"; then return 0; fi
  # `postfix start` creates the queue tree with the right owners
  # (post-install create-missing) and daemonizes master(8).
  postfix -c "$D/postfix/conf" start </dev/null >>"$D/logs/postfix.stderr" 2>&1
}

postfix_stop() {
  # The regular way first (it logs "stopping the Postfix mail system");
  # it only signals master(8): stop_pids then waits for it.
  if pid_alive "$(postfix_pidfile)"; then
    postfix -c "$D/postfix/conf" stop </dev/null >>"$D/logs/postfix.stderr" 2>&1 || true
  fi
}

# -------------------------------------------------------------------- slapd --
slapd_setup() {
  local c=$D/ldap
  [[ -f $c/slapd.conf ]] && return 0
  mkdir -p "$c/db"
  cat >"$c/slapd.conf" <<EOF
# Mailwarden lab slapd (generated by test/lab/lab.sh)
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $c/slapd.pid
argsfile $c/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
# stats = 256: connections, operations and their results.
loglevel stats
sizelimit unlimited

database mdb
maxsize 1073741824
suffix "$LDAP_SUFFIX"
rootdn "$LDAP_ROOTDN"
rootpw $(slappasswd -s "$LDAP_ROOTPW")
directory $c/db
index objectClass eq
index uid,mail eq

# Users authenticate against their own userPassword; the mail service
# account can read it (as a Dovecot/Postfix LDAP lookup account would).
access to attrs=userPassword
  by self write
  by dn.exact="$LDAP_SVCDN" read
  by anonymous auth
  by * none
access to *
  by * read
EOF
  # Base tree + fixed users, loaded offline with slapadd.
  {
    cat <<EOF
dn: $LDAP_SUFFIX
objectClass: dcObject
objectClass: organization
dc: example
o: Example ISP

dn: ou=people,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=services,$LDAP_SUFFIX
objectClass: organizationalUnit
ou: services

dn: $LDAP_SVCDN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: mailservice
userPassword: $(slappasswd -s "$LDAP_SVCPW")

EOF
    local u name pw
    for u in "${LAB_USERS[@]}"; do
      name=${u%%:*}
      pw=${u#*:}
      ldap_user_ldif "$name" "$(slappasswd -s "$pw")"
    done
  } >"$c/base.ldif"
  slapadd -q -f "$c/slapd.conf" -l "$c/base.ldif" >>"$D/logs/slapd.stderr" 2>&1
}

ldap_user_ldif() { # uid hashedpw
  cat <<EOF
dn: uid=$1,ou=people,$LDAP_SUFFIX
objectClass: inetOrgPerson
uid: $1
cn: $1
sn: $1
mail: $1@$DOMAIN
userPassword: $2

EOF
}

slapd_start() {
  local c=$D/ldap
  if pid_alive "$c/slapd.pid"; then return 0; fi
  # pldap:// = LDAP behind a HAProxy PROXY header (OpenLDAP >= 2.5).
  local urls="ldap://127.0.0.1:$LDAP_PORT/ pldap://127.0.0.1:$LDAP_PROXY_PORT/"
  if syslog_mode; then
    # As in production: slapd daemonizes and logs `loglevel stats` to syslog
    # (facility LOCAL4), here our sink. It writes its own pidfile.
    sink_start slapd "$D/logs/slapd.log"
    ns_exec slapd slapd -h "$urls" -f "$c/slapd.conf" </dev/null >>"$D/logs/slapd.stderr" 2>&1
  else
    # slapd only logs to syslog unless run with -d; `-d stats` keeps it in the
    # foreground writing the stats lines to stderr, which goes to the log file.
    setsid slapd -h "$urls" -f "$c/slapd.conf" -d stats </dev/null >>"$D/logs/slapd.log" 2>&1 &
    # With -d slapd does not fork: $! is slapd itself (it also writes pidfile).
    echo $! >"$c/slapd.pid"
  fi
}

slapd_stop() {
  stop_pids "slapd:$D/ldap/slapd.pid"
  stop_pids "slapd-syslog:$D/run/slapd-syslog.pid"
}

mail_load() { # N: Dovecot passwd-file gets user000001..N (password Pw-userNNNNNN)
  local n=$1 c=$D/dovecot t0
  [[ $n =~ ^[0-9]+$ ]] || die "mail-load: N must be a number"
  dovecot_setup
  if [[ $n -le $(bulk_count "$c/.bulk-count") ]]; then return 0; fi
  t0=$(date +%s%N)
  # {SSHA} rather than SHA512-CRYPT: 5000 rounds x N would take minutes.
  # Dovecot re-reads the file when it changes; replace it in one rename.
  {
    cat "$c/users.fixed"
    perl -e "$ssha_perl"'
      my ($n, $d, $uid, $gid, $home) = @ARGV;
      for my $i (1 .. $n) {
        my $u = sprintf("user%06d", $i);
        print "$u\@$d:", ssha("Pw-$u"), ":${uid}:${gid}::${home}/$u\@${d}::\n"; # ${} : "$gid::" would be a package name
      }' "$n" "$DOMAIN" "$MAIL_UID" "$MAIL_GID" "$c/mail"
  } >"$c/users.new"
  chmod 0640 "$c/users.new"
  chgrp dovecot "$c/users.new"
  mv -f "$c/users.new" "$c/users"
  echo "$n" >"$c/.bulk-count"
  log "mail-load: $n users in $(since_ms "$t0") ms"
}

ldap_load() { # N: bulk users user000001..N with {SSHA} passwords
  local n=$1 c=$D/ldap t0 was_running=0 have
  [[ $n =~ ^[0-9]+$ ]] || die "ldap-load: N must be a number"
  slapd_setup
  have=$(bulk_count "$c/.bulk-count")
  if [[ $n -le $have ]]; then return 0; fi
  # slapadd -q must not run against a live database: stop slapd around it.
  if pid_alive "$c/slapd.pid"; then was_running=1; slapd_stop; fi
  t0=$(date +%s%N)
  # Users get password "Pw-<uid>" (deterministic, so tests can log in as any).
  perl -e "$ssha_perl"'
    my ($from, $n, $sfx, $dom) = @ARGV;
    for my $i ($from .. $n) {
      my $u = sprintf("user%06d", $i);
      print "dn: uid=$u,ou=people,$sfx\nobjectClass: inetOrgPerson\nuid: $u\ncn: $u\nsn: $u\n",
            "mail: $u\@$dom\nuserPassword: ", ssha("Pw-$u"), "\n\n";
    }' "$((have + 1))" "$n" "$LDAP_SUFFIX" "$DOMAIN" >"$c/bulk.ldif"
  slapadd -q -f "$c/slapd.conf" -l "$c/bulk.ldif" >>"$D/logs/slapd.stderr" 2>&1 \
    || die "slapadd failed (see $D/logs/slapd.stderr)"
  rm -f "$c/bulk.ldif"
  echo "$n" >"$c/.bulk-count"
  log "ldap-load: users $((have + 1))..$n in $(since_ms "$t0") ms"
  if [[ $was_running -eq 1 ]]; then
    slapd_start
    wait_port slapd "$LDAP_PORT" "$c/slapd.pid" || die "slapd did not come back after ldap-load"
  fi
}

# ------------------------------------------------------------------ mariadb --
mariadb_setup() {
  local c=$D/mysql
  [[ -f $c/.setup-done ]] && return 0
  rm -rf "$c"
  mkdir -p "$c/data"
  chown -R mysql:mysql "$c"
  mariadb-install-db --no-defaults --datadir="$c/data" --user=mysql \
    --auth-root-authentication-method=normal --skip-test-db \
    >>"$D/logs/mariadb-install.log" 2>&1 || die "mariadb-install-db failed (see $D/logs/mariadb-install.log)"
  # Schema and fixed users go in offline (bootstrap mode, like
  # mariadb-install-db does) so the audit/slow logs start empty.
  # Postfixadmin's mailbox table (the columns that matter) and a read-only
  # account like the one Postfix/Dovecot use for lookups.
  {
    cat <<EOF
-- bootstrap runs with grant tables off; FLUSH PRIVILEGES turns them on.
FLUSH PRIVILEGES;
CREATE DATABASE $DB_NAME;
CREATE TABLE $DB_NAME.mailbox (
  username   VARCHAR(255) NOT NULL,
  password   VARCHAR(255) NOT NULL,
  name       VARCHAR(255) NOT NULL DEFAULT '',
  maildir    VARCHAR(255) NOT NULL DEFAULT '',
  quota      BIGINT NOT NULL DEFAULT 0,
  local_part VARCHAR(255) NOT NULL,
  domain     VARCHAR(255) NOT NULL,
  created    DATETIME NOT NULL DEFAULT '2000-01-01 00:00:00',
  modified   DATETIME NOT NULL DEFAULT '2000-01-01 00:00:00',
  active     TINYINT(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (username),
  KEY domain (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
GRANT SELECT ON $DB_NAME.* TO '$DB_USER'@'localhost';
GRANT SELECT ON $DB_NAME.* TO '$DB_USER'@'%';
USE $DB_NAME;
EOF
    local u
    for u in "${LAB_USERS[@]}"; do
      perl -e "$ssha_perl"'my ($n, $p, $d) = @ARGV;
        print "INSERT INTO mailbox (username,password,name,maildir,local_part,domain) VALUES (",
          join(",", map { "\x27$_\x27" } ("$n\@$d", ssha($p), ucfirst($n), "$d/$n/", $n, $d)), ");\n";' \
        "${u%%:*}" "${u#*:}" "$DOMAIN"
    done
  } | mariadb_bootstrap || die "mariadb bootstrap failed (see $D/logs/mariadb-install.log)"
  touch "$c/.setup-done"
}

mariadb_bootstrap() { # SQL on stdin, server offline
  mariadbd --no-defaults --bootstrap --datadir="$D/mysql/data" --user=mysql \
    --innodb-buffer-pool-size=32M --log-error="$D/logs/mariadb-install.log" >>"$D/logs/mariadb-install.log" 2>&1
}

mariadb_start() {
  local c=$D/mysql
  if pid_alive "$D/run/mariadb.pid"; then return 0; fi
  # The audit and slow logs are written by the server (user mysql): give it
  # its own files in logs/ (logs/ itself stays root's).
  local f
  for f in mariadb-audit.log mariadb-slow.log mariadb-error.log; do
    touch "$D/logs/$f"
    chown mysql:mysql "$D/logs/$f"
  done
  # --no-defaults: nothing from /etc/mysql. server_audit: QUERY events carry
  # the SQL text, CONNECT gives (failed) logins. The slow log is the row
  # count: long_query_time=0 makes every statement a candidate, and the
  # examined-row limit (LAB_SLOW_MIN_ROWS, default 1000 as recommended in
  # collectors/parsers/mariadb-audit.ts; 0 = every statement) keeps only bulk
  # reads, so a login's single-row lookup is never written.
  # proxy-protocol-networks: a client may send a PROXY header from loopback.
  setsid mariadbd --no-defaults \
    --datadir="$c/data" --socket="$c/mysqld.sock" --pid-file="$c/mariadbd.pid" \
    --port="$MYSQL_PORT" --bind-address=127.0.0.1 --user=mysql \
    --skip-name-resolve --innodb-buffer-pool-size=32M \
    --log-error="$D/logs/mariadb-error.log" \
    --plugin-load-add=server_audit \
    --server-audit-logging=ON --server-audit-events=CONNECT,QUERY \
    --server-audit-file-path="$D/logs/mariadb-audit.log" --server-audit-file-rotations=0 \
    --slow-query-log=ON --long-query-time=0 --log-slow-verbosity=query_plan \
    --log-slow-min-examined-row-limit="${LAB_SLOW_MIN_ROWS:-1000}" \
    --slow-query-log-file="$D/logs/mariadb-slow.log" \
    --proxy-protocol-networks=127.0.0.0/8 \
    </dev/null >>"$D/logs/mariadb-error.log" 2>&1 &
  # setsid execs mariadbd in place (we are not a group leader): $! is mariadbd.
  echo $! >"$D/run/mariadb.pid"
}

db_load() { # N rows user000001..N (same users and passwords as ldap-load)
  local n=$1 t0 how
  [[ $n =~ ^[0-9]+$ ]] || die "db-load: N must be a number"
  mariadb_setup
  if [[ $n -le $(bulk_count "$D/mysql/.bulk-count") ]]; then return 0; fi
  t0=$(date +%s%N)
  # Multi-row INSERT IGNOREs of 200 rows (bootstrap mode takes at most 60000
  # bytes per statement). Server running: through the client
  # as root (the audit log shows the INSERTs like any bulk import; the session
  # raises long_query_time to keep the slow log clean). Server stopped:
  # offline in bootstrap mode, no log lines at all.
  {
    if pid_alive "$D/run/mariadb.pid"; then
      echo "SET SESSION long_query_time = 1000000;"
    fi
    echo "USE $DB_NAME;"
    perl -e "$ssha_perl"'
      my ($n, $d) = @ARGV;
      for (my $i = 1; $i <= $n; $i += 200) {
        my $end = $i + 199; $end = $n if $end > $n;
        my @v;
        for my $j ($i .. $end) {
          my $u = sprintf("user%06d", $j);
          push @v, "(\x27$u\@$d\x27,\x27" . ssha("Pw-$u") . "\x27,\x27User $j\x27,\x27$d/$u/\x27,\x27$u\x27,\x27$d\x27)";
        }
        print "INSERT IGNORE INTO mailbox (username,password,name,maildir,local_part,domain) VALUES\n",
          join(",\n", @v), ";\n";
      }' "$n" "$DOMAIN"
  } >"$D/mysql/bulk.sql"
  if pid_alive "$D/run/mariadb.pid"; then
    how=online
    mysql_root <"$D/mysql/bulk.sql"
  else
    how=offline
    mariadb_bootstrap <"$D/mysql/bulk.sql" || die "db-load: bootstrap failed (see $D/logs/mariadb-install.log)"
  fi
  rm -f "$D/mysql/bulk.sql"
  echo "$n" >"$D/mysql/.bulk-count"
  log "db-load: $n rows ($how) in $(since_ms "$t0") ms"
}


# --------------------------------------------------------------------- sshd --
sshd_setup() {
  local c=$D/ssh
  [[ -f $c/sshd_config ]] && return 0
  mkdir -p "$c"
  ssh-keygen -q -t ed25519 -N '' -f "$c/ssh_host_ed25519_key" -C mailwarden-lab
  # A client key authorized for the base system's `mail` user (shell
  # nologin): gives real "Accepted publickey" lines without adding a user to
  # the machine. Password logins only ever fail (no user has a known password).
  ssh-keygen -q -t ed25519 -N '' -f "$c/client_ed25519" -C lab-client
  mkdir -p "$c/authorized_keys"
  cp "$c/client_ed25519.pub" "$c/authorized_keys/mail"
  chmod 0644 "$c/authorized_keys/mail"
  cat >"$c/sshd_config" <<EOF
# Mailwarden lab sshd (generated by test/lab/lab.sh)
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $c/ssh_host_ed25519_key
PidFile $c/sshd.pid
LogLevel VERBOSE
PasswordAuthentication yes
KbdInteractiveAuthentication no
# As Debian ships it: PAM adds its pam_unix lines to the (syslog) log.
UsePAM yes
PermitRootLogin no
MaxAuthTries 6
AuthorizedKeysFile $c/authorized_keys/%u
# <dir> usually lives under /tmp (mode 1777), which StrictModes rejects.
StrictModes no
EOF
}

sshd_start() {
  local c=$D/ssh
  if pid_alive "$c/sshd.pid"; then return 0; fi
  # sshd's privilege-separation directory is compiled in (/run/sshd); it is
  # normally created by the init system.
  mkdir -p /run/sshd
  chmod 0755 /run/sshd
  # sshd must be started by absolute path (it re-execs itself); it daemonizes
  # and writes PidFile.
  if syslog_mode; then
    sink_start sshd "$D/logs/sshd.log"
    ns_exec sshd /usr/sbin/sshd -f "$c/sshd_config" </dev/null >>"$D/logs/sshd.stderr" 2>&1
  else
    # -E: sshd writes bare messages (no timestamp, no pid, CRLF) to the file.
    /usr/sbin/sshd -f "$c/sshd_config" -E "$D/logs/sshd.log" </dev/null >>"$D/logs/sshd.stderr" 2>&1
  fi
}

# ----------------------------------------------------------------- commands --
prepare_dir() {
  mkdir -p "$D/logs" "$D/run"
  # Daemons drop privileges (dovenull, dovecot, postfix, mysql, mail) and must
  # traverse <dir>; a mkdtemp dir is 0700.
  chmod a+x "$D"
  chgrp mysql "$D/logs" 2>/dev/null || true
}

want_ssh() { [[ ${NO_SSH:-0} -eq 0 && ! -f $D/.no-ssh ]]; }

cmd_start() {
  local ldap_users=0 db_rows=0 mail_users=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --users) ldap_users=$2; db_rows=$2; mail_users=$2; shift 2 ;;
      --ldap-users) ldap_users=$2; shift 2 ;;
      --db-rows) db_rows=$2; shift 2 ;;
      --mail-users) mail_users=$2; shift 2 ;;
      --no-ssh) NO_SSH=1; shift ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  prepare_dir
  if [[ ${NO_SSH:-0} -eq 1 ]]; then touch "$D/.no-ssh"; fi

  # A port taken by something that is not this lab's daemon (another lab, a
  # leftover from a deleted <dir>) would make a daemon die at bind time.
  local item port pidfile busy=()
  for item in "$IMAP_PORT:$D/dovecot/run/master.pid" "$IMAP_PROXY_PORT:$D/dovecot/run/master.pid" \
    "$POP3_PORT:$D/dovecot/run/master.pid" "$SUBMISSION_PORT:$(postfix_pidfile)" \
    "$SUBMISSION_PROXY_PORT:$(postfix_pidfile)" "$LDAP_PORT:$D/ldap/slapd.pid" \
    "$LDAP_PROXY_PORT:$D/ldap/slapd.pid" "$MYSQL_PORT:$D/run/mariadb.pid" "$SSH_PORT:$D/ssh/sshd.pid"; do
    port=${item%%:*}
    pidfile=${item#*:}
    if [[ $port == "$SSH_PORT" ]] && ! want_ssh; then continue; fi
    if ! pid_alive "$pidfile" && port_open "$port"; then busy+=("$port"); fi
  done
  if [[ ${#busy[@]} -gt 0 ]]; then
    ss -Hltnp 2>/dev/null | grep -E ":($(IFS='|'; echo "${busy[*]}")) " >&2 || true
    die "port(s) ${busy[*]} already in use by something else (another lab? \`lab.sh stop\` it)"
  fi

  local t0=$SECONDS
  dovecot_setup
  if [[ $mail_users -gt 0 ]]; then mail_load "$mail_users"; fi
  postfix_setup
  slapd_setup
  if [[ $ldap_users -gt 0 ]]; then ldap_load "$ldap_users"; fi
  mariadb_setup
  if [[ $db_rows -gt 0 ]]; then db_load "$db_rows"; fi # offline: before mariadbd starts
  if want_ssh; then sshd_setup; fi

  # Dovecot first: Postfix's SASL socket lives in Dovecot's base_dir.
  dovecot_start || start_failed dovecot
  slapd_start || start_failed slapd
  mariadb_start || start_failed mariadb
  if want_ssh; then sshd_start || start_failed sshd; fi
  wait_port dovecot "$IMAP_PORT" "$D/dovecot/run/master.pid" || start_failed dovecot
  postfix_start || start_failed postfix

  local failed=0
  wait_port dovecot-pop3 "$POP3_PORT" "" || failed=1
  wait_port postfix "$SUBMISSION_PORT" "$(postfix_pidfile)" || failed=1
  wait_port slapd "$LDAP_PORT" "$D/ldap/slapd.pid" || failed=1
  wait_port mariadb "$MYSQL_PORT" "$D/run/mariadb.pid" || failed=1
  if want_ssh; then wait_port sshd "$SSH_PORT" "$D/ssh/sshd.pid" || failed=1; fi
  if [[ $failed -ne 0 ]]; then start_failed "not every daemon"; fi
  cmd_status
  log "all up in $((SECONDS - t0))s"
}

# Stop everything, show the end of the logs (CI has nothing else), fail.
start_failed() {
  local f
  cmd_stop
  for f in "$D"/logs/*; do
    [[ -s $f ]] || continue
    echo "----- tail $f" >&2
    tail -n 15 "$f" >&2
  done
  die "$1 did not start; stopped the lab (logs in $D/logs/)"
}

# Processes of this lab that its pid files no longer lead to (e.g. the test
# deleted <dir> before `stop`): our daemons and helpers whose command line
# names a path under <dir>, or, for Postfix's master (`master -w`), whose
# environment has MAIL_CONFIG=<dir>/postfix/conf. Matched by exact path, then
# signalled by pid.
stray_pids() {
  local p exe args
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
    case ${exe##*/} in
      dovecot | slapd | mariadbd | sshd | perl)
        args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
        [[ $args == *[\ =]"$D/"* ]] && echo "$p"
        ;;
      master)
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "MAIL_CONFIG=$D/postfix/conf" && echo "$p"
        ;;
    esac
  done
  return 0
}

cmd_stop() {
  # All daemons in parallel (each is a no-op when not running), then the
  # syslog sinks, so that the daemons' last lines are still written.
  postfix_stop
  stop_pids "postfix:$(postfix_pidfile)" "sshd:$D/ssh/sshd.pid" "mariadb:$D/run/mariadb.pid" \
    "slapd:$D/ldap/slapd.pid" "dovecot:$D/dovecot/run/master.pid"
  stop_pids "sshd-syslog:$D/run/sshd-syslog.pid" "slapd-syslog:$D/run/slapd-syslog.pid"
  local strays p i
  mapfile -t strays < <(stray_pids)
  if [[ ${#strays[@]} -gt 0 ]]; then
    log "stopping leftover processes of this lab: ${strays[*]}"
    kill -TERM "${strays[@]}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      [[ -z $(stray_pids) ]] && break
      sleep 0.1
    done
    for p in $(stray_pids); do kill -KILL "$p" 2>/dev/null || true; done
  fi
}

cmd_status() {
  local rc=0
  row() { # name port pidfile
    local state=down pid=-
    if pid_alive "$3"; then
      pid=$(read_pid "$3")
      if port_open "$2"; then state=up; else state=no-port; fi
    fi
    [[ $state == up ]] || rc=1
    printf '%-8s %-6s 127.0.0.1:%-5s pid=%s\n' "$1" "$state" "$2" "$pid"
  }
  row dovecot "$IMAP_PORT" "$D/dovecot/run/master.pid"
  row pop3 "$POP3_PORT" "$D/dovecot/run/master.pid"
  row postfix "$SUBMISSION_PORT" "$(postfix_pidfile)"
  row slapd "$LDAP_PORT" "$D/ldap/slapd.pid"
  row mariadb "$MYSQL_PORT" "$D/run/mariadb.pid"
  if want_ssh; then row sshd "$SSH_PORT" "$D/ssh/sshd.pid"; fi
  return $rc
}

[[ $# -ge 2 ]] || usage
cmd=$1
[[ $2 == /* ]] || die "<dir> must be an absolute path"
D=${2%/}
shift 2
case $cmd in
  start) cmd_start "$@" ;;
  stop) cmd_stop ;; # also without <dir>: sweeps leftovers
  status) [[ -d $D ]] || die "no lab at $D"; cmd_status ;;
  ldap-load) [[ $# -eq 1 ]] || usage; prepare_dir; ldap_load "$1" ;;
  mail-load) [[ $# -eq 1 ]] || usage; prepare_dir; mail_load "$1" ;;
  db-load) [[ $# -eq 1 ]] || usage; prepare_dir; db_load "$1" ;;
  *) usage ;;
esac
