#!/usr/bin/env bash
# Secrets in config files and proxies, and the outbox with one connection or OAuth2:
# - a config file line GKeyFile cannot parse ("password: x", configparser's other
#   delimiter) is reported by its number, never quoted (it may be the password);
# - a password inside smtp_proxy= is refused on the command line, and a config file
#   holding one must be private (as for proxy=);
# - .outbox with connections=1 and no Sent folder yet: the CREATE after TRYCREATE used
#   to LIST while holding the pool's only session, and cp hung for ever.
# With "oauth2" (with-dovecot --oauth2): .outbox on an OAuth2 mount logs in to SMTP with
#   XOAUTH2 and the token of oauth2_token_command (the SMTP settings used to copy the
#   token before there was one).
#
# usage: with-dovecot --fill=empty [--oauth2] -- test_mount_secrets.sh IMAPFS [oauth2]
. "$(dirname "$0")/mount-lib.sh"

SMTP_SERVER=$MT_LIBDIR/../harness/smtp-server
KEY=$(dirname "$IMAPFS_TEST_CA")/key.pem
MNT=$W/mnt
SMTP_PID=

stop_all() {
	[ -n "$SMTP_PID" ] && kill "$SMTP_PID" 2>/dev/null && wait "$SMTP_PID" 2>/dev/null
	mt_cleanup
}
trap stop_all EXIT

# no_leak DESCRIPTION SECRET FILE: FILE does not hold SECRET.
no_leak() {
	if grep -qF "$2" "$3"; then
		not_ok "$1: the secret is in the output"
		diag "$3"
	else
		ok "$1"
	fi
}

# smtp_up [SERVER OPTIONS]: an SMTP server taking alice's password (or token); SMTP_PORT.
smtp_up() {
	printf '%s:%s\n' "$USER_NAME" "$1" >"$W/auth"
	shift
	"$SMTP_SERVER" --port-file "$W/smtp.port" --spool "$W/spool" --cert "$IMAPFS_TEST_CA" \
		--key "$KEY" --tls=starttls --auth-file "$W/auth" "$@" &
	SMTP_PID=$!
	for _ in $(seq 200); do
		[ -s "$W/smtp.port" ] && break
		sleep 0.05
	done
	SMTP_PORT=$(cat "$W/smtp.port")
}
printf 'From: a@example.org\nTo: b@example.org\nSubject: review\n\nhi\n' >"$W/m.eml"

if [ "${2:-}" = oauth2 ]; then
	: "${IMAPFS_TEST_OAUTH2_PORT:?run with with-dovecot --oauth2}"
	python3 "$MT_LIBDIR/oauth2-service" "$IMAPFS_TEST_OAUTH2_PORT" "$W/token.port" \
		"$IMAPFS_TEST_CA" "$KEY" 3600 "$W" >/dev/null 2>&1 &
	SVC=$!
	trap 'kill $SVC 2>/dev/null; wait $SVC 2>/dev/null; stop_all' EXIT
	for _ in $(seq 100); do [ -s "$W/token.port" ] && break; sleep 0.05; done
	smtp_up static-token --mechs XOAUTH2
	mkdir -p "$MNT"
	MT_ERR[$MNT]=$W/oauth2.stderr
	"$IMAPFS" -f -o "host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_PORT,user=$USER_NAME,security=starttls,ca_file=$IMAPFS_TEST_CA,cache_dir=$W/cache,oauth2=yes,oauth2_token_command=echo static-token,smtp_host=127.0.0.1,smtp_security=starttls,smtp_port=$SMTP_PORT" \
		"$MNT" </dev/null >"${MT_ERR[$MNT]}" 2>&1 &
	MT_PID[$MNT]=$!
	for _ in $(seq 150); do mountpoint -q "$MNT" && break; sleep 0.1; done
	check "an OAuth2 mount with an outbox comes up" mountpoint -q "$MNT"
	mountpoint -q "$MNT" || diag "${MT_ERR[$MNT]}"
	if mountpoint -q "$MNT"; then
		check "cp into .outbox sends with the OAuth2 token" timeout -s KILL 20 cp "$W/m.eml" "$MNT/.outbox/"
		check_eq "the SMTP server got it" 1 "$(ls "$W/spool" 2>/dev/null | grep -c '\.json$')"
		mt_umount "$MNT"
	fi
	mt_finish
	exit
fi

BASE="host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_PORT,user=$USER_NAME,security=starttls"
BASE+=",ca_file=$IMAPFS_TEST_CA,password_file=$PWFILE"

# -- config file syntax errors ----------------------------------------------------------
CONF=$W/config
(umask 077 && printf '[acct]\nhost = %s\nuser = %s\npassword: %s\n' "$IMAPFS_TEST_HOST" \
	"$USER_NAME" "$IMAPFS_TEST_PASSWORD" >"$CONF")
"$IMAPFS" --check --config "$CONF" >"$W/conf.out" 2>&1
check_eq "a config line without '=' is a usage error" 1 "$?"
no_leak "the malformed line is not quoted" "$IMAPFS_TEST_PASSWORD" "$W/conf.out"
check "the error gives the line number" grep -q "line 4 " "$W/conf.out"

# private_only WHAT: $CONF, which holds WHAT, is refused while others can read it and
# taken (imapfs --check logs in) once it is 0600; the last output is in $W/conf.out.
private_only() {
	chmod 644 "$CONF"
	"$IMAPFS" --check --config "$CONF" >"$W/conf.out" 2>&1
	check_eq "a readable config file with $1 is refused" 1 "$?"
	check "... and the refusal says chmod 600" grep -q "chmod 600" "$W/conf.out"
	chmod 600 "$CONF"
	"$IMAPFS" --check --config "$CONF" >"$W/conf.out" 2>&1
	check_eq "a private config file with $1 is taken" 0 "$?"
}

# configparser compares key names without case: "Password" is a password, and "Host" a host.
printf '[acct]\nHost = %s\nPort = %s\nUser = %s\nSecurity = starttls\nCA_File = %s\nPassword = %s\n' \
	"$IMAPFS_TEST_HOST" "$IMAPFS_TEST_PORT" "$USER_NAME" "$IMAPFS_TEST_CA" \
	"$IMAPFS_TEST_PASSWORD" >"$CONF"
private_only '"Password =" (capitalised keys)'

# -- smtp_proxy with a password ----------------------------------------------------------
PROXY_PW=Pr0xyR3view2Secret
"$IMAPFS" --check -o "$BASE,smtp_host=127.0.0.1,smtp_proxy=socks5://u:$PROXY_PW@127.0.0.1:9" \
	>"$W/proxy.out" 2>&1
check_eq "smtp_proxy with a password on the command line is refused" 1 "$?"
check "the refusal says why" grep -q "never taken from the command line" "$W/proxy.out"
no_leak "the refusal does not repeat it" "$PROXY_PW" "$W/proxy.out"

printf '[acct]\nhost = %s\nport = %s\nuser = %s\nsecurity = starttls\nca_file = %s\npassword_file = %s\nsmtp_host = 127.0.0.1\nsmtp_proxy = socks5://u:%s@127.0.0.1:9\n' \
	"$IMAPFS_TEST_HOST" "$IMAPFS_TEST_PORT" "$USER_NAME" "$IMAPFS_TEST_CA" "$PWFILE" \
	"$PROXY_PW" >"$CONF"
private_only "an smtp_proxy password"
no_leak "the check does not show the smtp_proxy password" "$PROXY_PW" "$W/conf.out"

# -- rm drops the message from the table at once (no re-read of the folder) -----------------
for i in 1 2 3; do
	printf 'From: a@example.org\nSubject: rm %s\n\nbody %s\n' "$i" "$i" |
		"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX
done
if mt_mount "$MNT"; then
	uids=$(srv_uids INBOX | tr '\n' ' ')
	set -- $uids
	first=$(printf '%010d.eml' "$1")
	check_eq "three messages listed" 3 "$(ls "$MNT/INBOX" | wc -l)"
	check "rm of one" rm "$MNT/INBOX/$first"
	check_eq "the listing right after shows two" 2 "$(ls "$MNT/INBOX" | wc -l)"
	check "the removed one is not listed" bash -c "! ls '$MNT/INBOX' | grep -qx '$first'"
	check "stat of it is ENOENT" bash -c "! stat '$MNT/INBOX/$first' 2>/dev/null"
	check_eq "the server holds the other two" "$2 $3" "$(srv_uids INBOX | tr '\n' ' ' | sed 's/ $//')"
	check "the others still read" cat "$MNT/INBOX/$(printf '%010d.eml' "$2")" "$MNT/INBOX/$(printf '%010d.eml' "$3")"
	mt_umount "$MNT"
fi
set -- "$IMAPFS"

# -- outbox, one connection, no Sent folder yet ------------------------------------------
smtp_up "$IMAPFS_TEST_PASSWORD"
check_eq "there is no Sent folder yet" 0 "$("$ORACLE" count Sent 2>/dev/null || echo 0)"
if mt_mount "$MNT" "connections=1,smtp_host=127.0.0.1,smtp_security=starttls,smtp_port=$SMTP_PORT"; then
	check "cp into .outbox finishes with one connection" timeout -s KILL 20 cp "$W/m.eml" "$MNT/.outbox/"
	check_eq "the copy is in the Sent folder it created" 1 "$("$ORACLE" count Sent 2>/dev/null || echo 0)"
	check "the new Sent folder is listed" test -d "$MNT/Sent"
	mt_umount "$MNT"
fi

mt_finish
