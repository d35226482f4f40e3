#!/usr/bin/env bash
# Real client traffic against a lab started with `lab.sh start <dir>`.
#
#   drive.sh <dir> [all]                   the whole scenario below, checked
#   drive.sh <dir> imap USER PASS [IP]     IMAP LOGIN (curl)
#   drive.sh <dir> pop3 USER PASS          POP3 USER/PASS (curl)
#   drive.sh <dir> smtp USER PASS [IP] [RCPT]  submission AUTH PLAIN + a message (curl)
#   drive.sh <dir> smtp-login USER PASS    submission AUTH LOGIN, no message (swaks)
#   drive.sh <dir> ldap-bind UID PASS [IP] simple bind as uid=UID,ou=people (ldapwhoami)
#   drive.sh <dir> ldap-lookup UID [IP]    service-account search for one user (ldapsearch)
#   drive.sh <dir> ldap-dump [IP] [PAGESIZE]  "attacker": every entry with userPassword
#   drive.sh <dir> sql-login USER PASS [IP]    connect + SELECT 1 (mariadb client)
#   drive.sh <dir> sql-lookup USER [IP]    single-row password lookup as Postfix does
#   drive.sh <dir> sql-dump [IP]           "attacker": SELECT username, password FROM mailbox
#   drive.sh <dir> ssh-password USER PASS  password login (sshpass + ssh)
#   drive.sh <dir> ssh-key                 publickey login as `mail` (Accepted publickey)
#
# USER for imap/pop3/smtp/sql-lookup is a full address (alice@example.test).
# IP (optional): go through the daemon's PROXY-protocol listener via
# proxy-relay.pl so the daemon logs that address as the client (loopback only).
# Single actions exit 0 when the server accepted, 1 when it refused the
# credentials, 2 on anything else (daemon down, protocol error).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAP_PORT=${LAB_IMAP_PORT:-10143}
POP3_PORT=${LAB_POP3_PORT:-10110}
SUBMISSION_PORT=${LAB_SUBMISSION_PORT:-10587}
LDAP_PORT=${LAB_LDAP_PORT:-10389}
MYSQL_PORT=${LAB_MYSQL_PORT:-13306}
SSH_PORT=${LAB_SSH_PORT:-10022}
IMAP_PROXY_PORT=${LAB_IMAP_PROXY_PORT:-10144}
SUBMISSION_PROXY_PORT=${LAB_SUBMISSION_PROXY_PORT:-10588}
LDAP_PROXY_PORT=${LAB_LDAP_PROXY_PORT:-10390}
LDAP_SUFFIX="dc=example,dc=test"
LDAP_SVCDN="cn=mailservice,ou=services,$LDAP_SUFFIX"
LDAP_SVCPW=Svc-Pass-9
DB_USER=postfix
DB_PASS=Pfx-Pass-7

usage() {
  sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
D=${1%/}
shift
[[ -d $D ]] || { echo "drive.sh: no lab dir $D" >&2; exit 2; }

# via IP PROXYPORT DIRECTPORT cmd... : run cmd with {PORT} replaced by the
# daemon's port, or, with an IP, by a one-shot PROXY-header relay's port.
via() {
  local ip=$1 proxy_port=$2 direct_port=$3 fd port
  shift 3
  if [[ -z $ip ]]; then
    "${@//\{PORT\}/$direct_port}"
    return
  fi
  # stderr to a file: an inherited pipe would keep a caller (spawnSync) waiting.
  exec {fd}< <(perl "$HERE/proxy-relay.pl" "$proxy_port" "$ip" 2>>"$D/logs/proxy-relay.stderr")
  read -r -u "$fd" port
  exec {fd}<&-
  "${@//\{PORT\}/$port}"
}

# Map a client's exit code to 0 accepted / 1 refused / 2 other.
classify() { # rc refused-codes...
  local rc=$1 c
  shift
  [[ $rc -eq 0 ]] && return 0
  for c in "$@"; do [[ $rc -eq $c ]] && return 1; done
  return 2
}

CURL=(curl -sS --max-time 20)

act_imap() { # USER PASS [IP]
  local rc=0
  via "${3:-}" "$IMAP_PROXY_PORT" "$IMAP_PORT" \
    "${CURL[@]}" -o /dev/null "imap://127.0.0.1:{PORT}/INBOX?ALL" --user "$1:$2" 2>/dev/null || rc=$?
  classify $rc 67 # 67 = CURLE_LOGIN_DENIED
}

act_pop3() { # USER PASS
  local rc=0
  "${CURL[@]}" -o /dev/null "pop3://127.0.0.1:$POP3_PORT/" --user "$1:$2" 2>/dev/null || rc=$?
  classify $rc 67
}

act_smtp() { # USER PASS [IP] [RCPT]: AUTH PLAIN, then send one message
  local rc=0 rcpt=${4:-dave@remote.test}
  local msg
  msg=$(printf 'From: <%s>\r\nTo: <%s>\r\nSubject: lab message\r\n\r\nHello from the Mailwarden lab.\r\n' "$1" "$rcpt")
  via "${3:-}" "$SUBMISSION_PROXY_PORT" "$SUBMISSION_PORT" \
    "${CURL[@]}" "smtp://127.0.0.1:{PORT}" --login-options AUTH=PLAIN --user "$1:$2" \
    --mail-from "$1" --mail-rcpt "$rcpt" -T - <<<"$msg" 2>/dev/null || rc=$?
  classify $rc 67
}

act_smtp_login() { # USER PASS: AUTH LOGIN with swaks, quit right after AUTH
  local rc=0
  swaks --server 127.0.0.1 --port "$SUBMISSION_PORT" --auth LOGIN --auth-user "$1" \
    --auth-password "$2" --quit-after AUTH --silent 2 >/dev/null 2>&1 || rc=$?
  classify $rc 28 # swaks: 28 = AUTH failed
}

act_ldap_bind() { # UID PASS [IP]
  local rc=0
  via "${3:-}" "$LDAP_PROXY_PORT" "$LDAP_PORT" \
    ldapwhoami -x -H "ldap://127.0.0.1:{PORT}" -D "uid=$1,ou=people,$LDAP_SUFFIX" -w "$2" \
    >/dev/null 2>&1 || rc=$?
  classify $rc 49 # invalidCredentials
}

act_ldap_lookup() { # UID [IP]: what a mail server's LDAP passdb does per login
  local rc=0
  via "${2:-}" "$LDAP_PROXY_PORT" "$LDAP_PORT" \
    ldapsearch -x -LLL -H "ldap://127.0.0.1:{PORT}" -D "$LDAP_SVCDN" -w "$LDAP_SVCPW" \
    -b "ou=people,$LDAP_SUFFIX" "(&(objectClass=inetOrgPerson)(uid=$1))" uid mail userPassword \
    >/dev/null 2>&1 || rc=$?
  classify $rc 49
}

act_ldap_dump() { # [IP] [PAGESIZE]: bulk read of every password hash
  local rc=0 paged=()
  # With a page size (RFC 2696 paged results) slapd logs one SEARCH RESULT
  # per page (nentries=PAGESIZE each) on the same conn=, ops op=1, op=2, ...
  if [[ -n ${2:-} ]]; then paged=(-E "pr=$2/noprompt"); fi
  via "${1:-}" "$LDAP_PROXY_PORT" "$LDAP_PORT" \
    ldapsearch -x -LLL "${paged[@]}" -H "ldap://127.0.0.1:{PORT}" -D "$LDAP_SVCDN" -w "$LDAP_SVCPW" \
    -b "$LDAP_SUFFIX" "(objectClass=*)" uid mail userPassword >/dev/null 2>&1 || rc=$?
  classify $rc 49
}

sql() { # IP USER PASS SQL
  via "$1" "$MYSQL_PORT" "$MYSQL_PORT" \
    mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "{PORT}" -u "$2" -p"$3" -D postfix -N -B -e "$4"
}

act_sql_login() { # USER PASS [IP]
  local rc=0
  sql "${3:-}" "$1" "$2" "SELECT 1" >/dev/null 2>&1 || rc=$?
  classify $rc 1
}

act_sql_lookup() { # USER [IP]: the query Postfix/Dovecot run per login
  local rc=0 user=${1//\'/}
  sql "${2:-}" "$DB_USER" "$DB_PASS" \
    "SELECT password FROM mailbox WHERE username = '$user' AND active = '1'" >/dev/null 2>&1 || rc=$?
  classify $rc 1
}

act_sql_dump() { # [IP]
  local rc=0
  sql "${1:-}" "$DB_USER" "$DB_PASS" "SELECT username, password FROM mailbox" >/dev/null 2>&1 || rc=$?
  classify $rc 1
}

SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
  -o ConnectTimeout=10 -p "$SSH_PORT")

act_ssh_password() { # USER PASS
  local rc=0
  sshpass -p "$2" ssh "${SSH_OPTS[@]}" -o PreferredAuthentications=password -o PubkeyAuthentication=no \
    -o NumberOfPasswordPrompts=1 -T "$1@127.0.0.1" true >/dev/null 2>&1 || rc=$?
  # sshpass: 5 = wrong password; ssh: 255 = permission denied
  classify $rc 5 255
}

act_ssh_key() { # publickey login as `mail`; its shell (nologin) then exits 1
  local rc=0
  ssh "${SSH_OPTS[@]}" -o BatchMode=yes -o IdentitiesOnly=yes -i "$D/ssh/client_ed25519" \
    -T mail@127.0.0.1 true >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 0 || $rc -eq 1 ]] && return 0 # 1 = nologin ran: we were let in
  classify $rc 255
}

# ------------------------------------------------------------ the scenario --
FAILED=0
step() { # expect(ok|refused) description action args...
  local expect=$1 desc=$2 rc=0 got
  shift 2
  "$@" || rc=$?
  case $rc in 0) got=ok ;; 1) got=refused ;; *) got="error($rc)" ;; esac
  if [[ $got == "$expect" ]]; then
    printf 'ok    %-8s %s\n' "$got" "$desc"
  else
    printf 'FAIL  %-8s %s (expected %s)\n' "$got" "$desc" "$expect"
    FAILED=$((FAILED + 1))
  fi
}

scenario() {
  local attacker=203.0.113.7
  step ok "imap login alice" act_imap alice@example.test Alice-Pass-1
  step refused "imap login alice, wrong password" act_imap alice@example.test wrong-pass
  step refused "imap login unknown user mallory" act_imap mallory@example.test whatever
  step ok "imap login bob from $attacker (PROXY)" act_imap bob@example.test Bob-Pass-2 "$attacker"
  step refused "imap login carol, wrong password, from $attacker (PROXY)" act_imap carol@example.test guess1 "$attacker"
  step ok "pop3 login bob" act_pop3 bob@example.test Bob-Pass-2
  step refused "pop3 login bob, wrong password" act_pop3 bob@example.test wrong-pass
  step refused "pop3 login unknown user mallory" act_pop3 mallory@example.test whatever
  step ok "smtp AUTH PLAIN alice + message" act_smtp alice@example.test Alice-Pass-1
  step refused "smtp AUTH PLAIN alice, wrong password" act_smtp alice@example.test wrong-pass
  step ok "smtp AUTH PLAIN carol + message from $attacker (PROXY)" act_smtp carol@example.test Carol-Pass-3 "$attacker"
  step ok "smtp AUTH LOGIN bob (swaks)" act_smtp_login bob@example.test Bob-Pass-2
  step refused "smtp AUTH LOGIN unknown user (swaks)" act_smtp_login mallory@example.test whatever
  step ok "ldap bind alice" act_ldap_bind alice Alice-Pass-1
  step refused "ldap bind alice, wrong password" act_ldap_bind alice wrong-pass
  step refused "ldap bind unknown uid" act_ldap_bind mallory whatever
  step ok "ldap lookup bob as the mail service account" act_ldap_lookup bob
  step ok "ldap dump of all userPassword from $attacker (PROXY)" act_ldap_dump "$attacker"
  step ok "ldap dump, paged (1000 entries a page)" act_ldap_dump "" 1000
  step ok "sql lookup alice as postfix" act_sql_lookup alice@example.test
  step refused "sql login postfix, wrong password" act_sql_login postfix wrong-pass
  step ok "sql dump SELECT username, password FROM mailbox" act_sql_dump
  step ok "sql dump from $attacker (PROXY)" act_sql_dump "$attacker"
  if [[ -f $D/ssh/sshd_config ]]; then
    step refused "ssh password, invalid user alice" act_ssh_password alice Alice-Pass-1
    step refused "ssh password, existing user mail" act_ssh_password mail guess
    step ok "ssh publickey as mail" act_ssh_key
  fi
  echo "drive: $FAILED step(s) did not behave as expected"
  [[ $FAILED -eq 0 ]]
}

action=${1:-all}
[[ $# -gt 0 ]] && shift
need() { [[ $1 -ge $2 ]] || usage; } # need <given> <required>
case $action in
  all) scenario ;;
  imap) need $# 2 && act_imap "$@" ;;
  pop3) need $# 2 && act_pop3 "$@" ;;
  smtp) need $# 2 && act_smtp "$@" ;;
  smtp-login) need $# 2 && act_smtp_login "$@" ;;
  ldap-bind) need $# 2 && act_ldap_bind "$@" ;;
  ldap-lookup) need $# 1 && act_ldap_lookup "$@" ;;
  ldap-dump) act_ldap_dump "$@" ;;
  sql-login) need $# 2 && act_sql_login "$@" ;;
  sql-lookup) need $# 1 && act_sql_lookup "$@" ;;
  sql-dump) act_sql_dump "$@" ;;
  ssh-password) need $# 2 && act_ssh_password "$@" ;;
  ssh-key) act_ssh_key ;;
  *) usage ;;
esac
