#!/usr/bin/env bash
# Sending mail by copying a file into .outbox/, against a real SMTP server (aiosmtpd,
# tests/harness/smtp-server) and the harness's Dovecot for the Sent copy (oracle):
# cp sends (Bcc removed, recipients To+Cc+Bcc), the copy lands in Sent with \Seen, the
# file vanishes from .outbox; a refused recipient, a wrong password and a server that
# never greets make cp fail with nothing sent and nothing in Sent; no recipients or no
# header block: EINVAL. A relay without AUTH is refused unless smtp_auth=none says so.
#
# usage: with-dovecot --fill=empty -- test_mount_outbox.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

SMTP_SERVER=$MT_LIBDIR/../harness/smtp-server
KEY=$(dirname "$IMAPFS_TEST_CA")/key.pem
MNT=$W/mnt
declare -a SERVER_PIDS=()

# smtp_start NAME OPTIONS...: starts smtp-server, spool in $W/NAME; sets PORT.
smtp_start() {
	local name=$1 i
	shift
	"$SMTP_SERVER" --port-file "$W/$name.port" --spool "$W/$name" --cert "$IMAPFS_TEST_CA" \
		--key "$KEY" "$@" &
	SERVER_PIDS+=($!)
	for i in $(seq 200); do
		[ -s "$W/$name.port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$W/$name.port")
}
stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	mt_cleanup
}
trap stop_servers EXIT

delivered() { ls "$W/$1" 2>/dev/null | grep -c '\.json$'; }
sent_count() { "$ORACLE" count Sent 2>/dev/null || echo 0; }

# expect_logged MOUNT PATTERN: imapfs logged PATTERN, and only "outbox: not sent" lines;
# then forget them so the unmount's empty-stderr rule holds for everything else.
expect_logged() {
	local err=${MT_ERR[$1]}
	# imapfs keeps writing at its own offset after the truncation below: drop the NULs.
	tr -d '\0' <"$err" >"$W/logged"
	check "the refusal is logged ($2)" grep -q "$2" "$W/logged"
	check "nothing else on stderr" bash -c "! grep -v '^imapfs: outbox: not sent: ' '$W/logged'"
	: >"$err"
}

printf '%s:%s\n' "$IMAPFS_TEST_USER" "$IMAPFS_TEST_PASSWORD" >"$W/auth"
(umask 077 && printf 'wrong\n' >"$W/wrong-password")

cat >"$W/msg.eml" <<'EOF'
From: Alice <alice@example.org>
To: Bob <bob@example.org>, "Carol, C." <carol@example.org>
Cc: dave@example.org
Bcc: hidden@example.org,
 friend@example.org
Subject: outbox test
Message-ID: <outbox-1@example.org>

.a line starting with a dot
..and two
.
EOF
grep -v -e '^Bcc:' -e '^ friend@' "$W/msg.eml" | sed 's/$/\r/' >"$W/expected.eml"
printf 'From: a@example.org\nSubject: nobody\n\nno recipients\n' >"$W/norcpt.eml"
printf 'just text, no header block\n' >"$W/nohead.eml"
printf 'From: a@example.org\nTo: ok@example.org, refused@example.org\n\nhi\n' >"$W/refused.eml"
printf 'From: a@example.org\nTo: b@example.org\nSubject: not sent\n\nhi\n' >"$W/plain.eml"

smtp_start good --tls=starttls --auth-file "$W/auth" --pipelining --refuse refused@example.org
GOOD=$PORT
smtp_start silent --silent
SILENT=$PORT
SMTP="smtp_host=127.0.0.1,smtp_security=starttls"

# -- a working server ---------------------------------------------------------------
if mt_mount "$MNT" "$SMTP,smtp_port=$GOOD"; then
	check "the root lists .outbox" bash -c "ls -a '$MNT' | grep -qx .outbox"
	check "cp into .outbox succeeds" cp "$W/msg.eml" "$MNT/.outbox/"
	check_eq "the SMTP server got one message" 1 "$(delivered good)"
	check_same "it is the file minus Bcc, with CRLF" "$W/expected.eml" "$W/good/0001.eml"
	check "recipients are exactly To+Cc+Bcc" grep -qF '"rcpt": ["bob@example.org", "carol@example.org", "dave@example.org", "hidden@example.org", "friend@example.org"]' "$W/good/0001.json"
	check "sent after login over TLS" grep -qF '"login": "alice", "tls": true' "$W/good/0001.json"
	check_eq "a copy is in Sent" 1 "$(sent_count)"
	uid=$("$ORACLE" uids Sent | head -n 1)
	check_eq "the copy is \\Seen" '\Seen' "$("$ORACLE" flags Sent "$uid")"
	check "the copy is the file" bash -c "'$ORACLE' body Sent '$uid' | tr -d '\r' | cmp -s - '$W/msg.eml'"
	check "the sent file is gone from .outbox" test ! -e "$MNT/.outbox/msg.eml"
	check_eq ".outbox lists nothing" "" "$(ls "$MNT/.outbox")"

	fails_with "a refused recipient" "Input/output error" cp "$W/refused.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "refused recipient <refused@example.org>: 550"
	fails_with "no recipients" "Invalid argument" cp "$W/norcpt.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "no recipients"
	fails_with "no header block" "Invalid argument" cp "$W/nohead.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "no header block"
	check_eq "nothing more was sent" 1 "$(delivered good)"
	check_eq "nothing more is in Sent" 1 "$(sent_count)"
	check "a refused file is gone from .outbox too" test ! -e "$MNT/.outbox/refused.eml"
	fails_with "mkdir in .outbox" "Operation not permitted" mkdir "$MNT/.outbox/x"
	mt_umount "$MNT"
fi

# -- a wrong password --------------------------------------------------------------------
if mt_mount "$MNT" "$SMTP,smtp_port=$GOOD,smtp_password_file=$W/wrong-password"; then
	fails_with "a wrong SMTP password" "Permission denied" cp "$W/plain.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "refused login"
	check_eq "nothing sent with a wrong password" 1 "$(delivered good)"
	check_eq "nothing in Sent with a wrong password" 1 "$(sent_count)"
	mt_umount "$MNT"
fi

# -- a server that never greets -------------------------------------------------------------
if mt_mount "$MNT" "smtp_host=127.0.0.1,smtp_security=plain,smtp_port=$SILENT,smtp_greeting_timeout=1"; then
	fails_with "a server that never greets" "Connection timed out" cp "$W/plain.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "no greeting within 1000 ms"
	check_eq "nothing in Sent after no greeting" 1 "$(sent_count)"
	mt_umount "$MNT"
fi

# -- a relay that takes mail without AUTH (a local MTA): smtp_auth=none --------------------
smtp_start relay --no-auth
RELAY="smtp_host=127.0.0.1,smtp_security=plain,smtp_port=$PORT"
if mt_mount "$MNT" "$RELAY"; then
	fails_with "without smtp_auth=none, a relay with no AUTH is refused" "Permission denied" \
		cp "$W/plain.eml" "$MNT/.outbox/"
	expect_logged "$MNT" "offers no authentication (no AUTH after EHLO on an unencrypted connection); for a relay that takes mail without it, set smtp_auth=none"
	check_eq "nothing reached the relay" 0 "$(delivered relay)"
	check_eq "nothing more is in Sent" 1 "$(sent_count)"
	mt_umount "$MNT"
fi
# The key from a config file, as a user would write it; the password stays for IMAP only.
printf '[relay]\nsmtp_auth = none\n' >"$W/relay.conf"
if mt_mount "$MNT" "$RELAY,config=$W/relay.conf,account=relay"; then
	check "with smtp_auth=none, cp into .outbox sends" cp "$W/msg.eml" "$MNT/.outbox/"
	check_eq "the relay got one message" 1 "$(delivered relay)"
	check_same "it is the file minus Bcc, with CRLF" "$W/expected.eml" "$W/relay/0001.eml"
	check "no login was made (and no TLS asked for)" \
		grep -qF '"login": null, "tls": false' "$W/relay/0001.json"
	check_eq "a copy is in Sent" 2 "$(sent_count)"
	mt_umount "$MNT"
fi
fails_with "smtp_auth=none with an SMTP user is refused at mount time" \
	"smtp_auth=none sends no credentials" \
	"$IMAPFS" -f -o "$(mt_opts "$RELAY,smtp_auth=none,smtp_user=bob")" "$MNT"
fails_with "smtp_auth with another value is refused" \
	"invalid value 'nobody' for option smtp_auth (expected login or none)" \
	"$IMAPFS" -f -o "$(mt_opts "$RELAY,smtp_auth=nobody")" "$MNT"

# -- no SMTP configured: no outbox -----------------------------------------------------------
if mt_mount "$MNT"; then
	check "without smtp_host there is no .outbox" test ! -e "$MNT/.outbox"
	mt_umount "$MNT"
fi

mt_finish
