#!/usr/bin/env bash
# `imapfs status MOUNTPOINT` against a live mount, after some reads, a send and a refused
# send: the server and security in use, the connections, how the watcher watches and
# which folders, the cache's size and limit, hits and fetches (the same numbers as the
# user.imapfs.stats counters), the outbox's counts, and the last error with its time.
# And a clear refusal for a directory that is no imapfs mount.
#
# usage: with-dovecot -- test_mount_status.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

SMTP_SERVER=$MT_LIBDIR/../harness/smtp-server
MNT=$W/mnt
"$SMTP_SERVER" --port-file "$W/smtp.port" --spool "$W/spool" --no-auth \
	--refuse refused@example.org &
SMTP_PID=$!
trap 'kill $SMTP_PID 2>/dev/null; wait $SMTP_PID 2>/dev/null; mt_cleanup' EXIT
for _ in $(seq 200); do
	[ -s "$W/smtp.port" ] && break
	sleep 0.05
done
SMTP_PORT=$(cat "$W/smtp.port")

status() { "$IMAPFS" status "$MNT"; }
field() { status | sed -n "s/^$1: //p"; }
stat_of() { getfattr --absolute-names --only-values -n user.imapfs.stats "$MNT" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

mt_mount "$MNT" "cache_size=64M,connections=2,smtp_host=127.0.0.1,smtp_port=$SMTP_PORT,smtp_security=plain,smtp_auth=none" ||
	mt_finish

check "imapfs status of a fresh mount succeeds" status
check_eq "server" "$IMAPFS_TEST_HOST port $IMAPFS_TEST_PORT, user $USER_NAME" "$(field server)"
check_eq "security" "STARTTLS; certificate checked, host name checked" "$(field security)"
check_eq "connections" "2 for requests, 1 for the watcher" "$(field connections)"
check_eq "no errors yet" "none" "$(status | sed -n 's/^last errors: //p')"

# Reads: three messages of INBOX, twice (the second time from the cache), and lkml listed.
mapfile -t MSGS < <(ls "$MNT/INBOX" | head -n 3)
for f in "${MSGS[@]}"; do cat "$MNT/INBOX/$f" >/dev/null; done
for f in "${MSGS[@]}"; do cat "$MNT/INBOX/$f" >/dev/null; done
ls "$MNT/lkml" >/dev/null
inuse=$(field "connections in use")
case $inuse in
"0 of 1 open" | "0 of 2 open") ok "connections in use after the reads: $inuse" ;;
*) not_ok "connections in use after the reads: 0 of 1 or 2 open (got '$inuse')" ;;
esac

# The watcher connects on its own; Dovecot offers NOTIFY, which it then uses.
for _ in $(seq 50); do
	field watching | grep -q '^NOTIFY' && break
	sleep 0.1
done
check_eq "watching" "NOTIFY (the server says what changed), then IDLE" "$(field watching)"
check "the folders used are watched, lkml the most recent" \
	bash -c "'$IMAPFS' status '$MNT' | grep -qE '^watched: [0-9]+ folders: lkml, .*INBOX'"
check "bodies: the same numbers as user.imapfs.stats, some served from the cache" \
	test "$(field bodies)" = "$(stat_of cache_hits) served from the cache, $(stat_of bodies_fetched) fetched from the server in $(stat_of body_fetches) FETCH commands" -a "$(stat_of cache_hits)" -gt 0
cache=$(field cache)
# (GLib puts a no-break space between number and unit.)
cache_ok() { [[ $cache == *" of 64.0"*"MiB, in $W/cache/"* && $cache != "0"*"bytes "* ]]; }
check "cache: some used, of the 64 MiB limit, in the cache directory ($cache)" cache_ok

# A send, and a refused one.
printf 'From: a@example.org\nTo: b@example.org\nSubject: status\n\nhi\n' >"$W/ok.eml"
printf 'From: a@example.org\nTo: refused@example.org\nSubject: no\n\nhi\n' >"$W/no.eml"
check "a message sent through the outbox" cp "$W/ok.eml" "$MNT/.outbox/"
before=$(date '+%Y-%m-%d %H:%M:%S')
cp "$W/no.eml" "$MNT/.outbox/" 2>/dev/null
after=$(date '+%Y-%m-%d %H:%M:%S')
check_eq "outbox" ".outbox, sent by 127.0.0.1 port $SMTP_PORT (no AUTH: smtp_auth=none): 0 being sent now, 1 sent, 1 not sent" \
	"$(field outbox)"
status >"$W/status.txt"
errline=$(sed -n '/^last errors:$/{n;p}' "$W/status.txt")
check "the last error is the refused send, with the server's words" \
	grep -qE '^  [0-9-]{10} [0-9:]{8} outbox: not sent: .*refused@example.org.*550' <<<"$errline"
when=$(cut -c3-21 <<<"$errline")
check "with its time ($when, between $before and $after)" \
	test ! "$when" \< "$before" -a ! "$when" \> "$after"
sed 's/^/# /' "$W/status.txt"

check_eq "listxattr of the root names both" "user.imapfs.stats user.imapfs.status" \
	"$(getfattr -d -m - --absolute-names "$MNT" 2>/dev/null | sed -n 's/=.*//p' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
mkdir -p "$W/plain"
fails_with "imapfs status of a directory that is no imapfs mount" \
	"imapfs: $W/plain: not an imapfs mount (no user.imapfs.status)" "$IMAPFS" status "$W/plain"
fails_with "imapfs status without a mount point" "usage: imapfs status MOUNTPOINT" "$IMAPFS" status
check_eq "--status is the same" "$(status | head -n 3)" "$("$IMAPFS" --status "$MNT" | head -n 3)"
mt_umount_allowing "$MNT" '^imapfs: outbox: not sent: .*refused@example.org' && ok "unmounts cleanly"
mt_finish
