#!/usr/bin/env bash
# Live updates and lost connections: other clients' changes show without a remount
# (the watcher, fs/watch.c); killed connections (doveadm kick, ss -K) are
# re-established without the user noticing; with the server down, cached bodies are
# still served, and the mount recovers when it is back.
#
# usage (through the harness): with-dovecot [--caps=...] -- test_mount_live.sh IMAPFS
# Run against a full Dovecot (NOTIFY + IDLE) and one without IDLE/NOTIFY/CONDSTORE/
# QRESYNC (the poll path).
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
LIMIT_MS=2000

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# within_ms MS COMMAND...: run COMMAND repeatedly until it succeeds or MS have
# passed; prints the milliseconds it took; fails on the deadline.
within_ms() {
	local limit=$1 start t
	shift
	start=$(now_ms)
	while :; do
		if "$@" >/dev/null 2>&1; then
			echo $(($(now_ms) - start))
			return 0
		fi
		t=$(($(now_ms) - start))
		[ "$t" -ge "$limit" ] && { echo "$t"; return 1; }
		sleep 0.05
	done
}

# check_live DESCRIPTION COMMAND...: COMMAND comes true within LIMIT_MS.
check_live() {
	local desc=$1 ms
	shift
	if ms=$(within_ms "$LIMIT_MS" "$@"); then
		ok "$desc (after $ms ms)"
	else
		not_ok "$desc (not within $ms ms)"
	fi
}

next_uid() { echo $(($(srv_uids "$1" | tail -n 1) + 1)); }
listed() { ls "$1" | grep -qx "$2"; }
gone() { ! stat "$1" >/dev/null 2>&1 && [ "$(stat "$1" 2>&1 | grep -c 'No such file')" = 1 ]; }
sorted_flags() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
flags_are() {
	[ "$(getfattr --only-values -n user.imap.flags "$1" 2>/dev/null | sorted_flags)" = "$2" ]
}

INBOX=$MNT/INBOX
LKML=$MNT/lkml
mt_mount "$MNT" || mt_finish

# -- new mail ----------------------------------------------------------------------
# Strict: one ls, then deliver, then ls again and again for at most 2 s.
ls "$LKML" >/dev/null
ls "$INBOX" >/dev/null
uid=$(next_uid INBOX)
name=$(printf '%010d.eml' "$uid")
"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX <"$IMAPFS_CORPUS/html/0001.eml"
check_live "mail delivered to INBOX (doveadm save) shows in ls within 2 s ($name)" \
	listed "$INBOX" "$name"
"$ORACLE" body INBOX "$uid" >"$W/new.eml"
check "the new message reads as the server's bytes" cmp "$W/new.eml" "$INBOX/$name"

# A watched folder that is not the most recently used one (the STATUS round).
uid=$(next_uid lkml)
name=$(printf '%010d.eml' "$uid")
"${DOVEADM[@]}" save -u "$USER_NAME" -m lkml <"$IMAPFS_CORPUS/html/0002.eml"
check_live "mail delivered to lkml while INBOX is in use shows in ls within 2 s ($name)" \
	listed "$LKML" "$name"

# -- expunged elsewhere ------------------------------------------------------------
# stat first, so the kernel holds the entry and its attributes (60 s timeouts):
# only an invalidation makes the next stat ask again.
victim=$INBOX/0000000003.eml
stat "$victim" >/dev/null
"${DOVEADM[@]}" expunge -u "$USER_NAME" mailbox INBOX uid 3
check_live "a message expunged elsewhere is ENOENT on stat within 2 s" gone "$victim"
check "... and no longer listed" bash -c "! ls '$INBOX' | grep -qx 0000000003.eml"

# -- flags changed elsewhere ---------------------------------------------------------
target=$INBOX/0000000005.eml
check_eq "user.imap.flags starts empty" "" \
	"$(getfattr --only-values -n user.imap.flags "$target" 2>/dev/null)"
"${DOVEADM[@]}" flags add -u "$USER_NAME" '\Flagged $Work' mailbox INBOX uid 5
check_live "flags added elsewhere show in getfattr within 2 s" flags_are "$target" '$Work \Flagged'
"${DOVEADM[@]}" flags replace -u "$USER_NAME" '\Seen' mailbox INBOX uid 5
check_live "flags replaced elsewhere show in getfattr within 2 s" flags_are "$target" '\Seen'
check_eq "user.imap.flags equals the oracle's" "$("$ORACLE" flags INBOX 5 | sorted_flags)" \
	"$(getfattr --only-values -n user.imap.flags "$target" 2>/dev/null | sorted_flags)"

# -- an open file across a kick ----------------------------------------------------
# A message over 1 MiB is read by partial fetches, so reading on after the kick
# needs a new connection.
big_eml "$W/big.eml" 60000
uid=$(next_uid INBOX)
name=$(printf '%010d.eml' "$uid")
"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX <"$W/big.eml"
within_ms 3000 listed "$INBOX" "$name" >/dev/null
"$ORACLE" body INBOX "$uid" >"$W/big.srv"
if exec 3<"$INBOX/$name"; then
	dd bs=65536 count=1 status=none <&3 >"$W/big.read"
	"${DOVEADM[@]}" kick "$USER_NAME" >/dev/null 2>&1
	sleep 0.3
	cat <&3 >>"$W/big.read" 2>"$W/big.err"
	exec 3<&-
	check "an open 3 MB file reads on after doveadm kick, with the server's bytes" \
		cmp "$W/big.srv" "$W/big.read"
	check "... and no read error" test ! -s "$W/big.err"
	diag "$W/big.err"
else
	not_ok "open $name"
fi

# -- still watching after the kick -------------------------------------------------
ls "$INBOX" >/dev/null
uid=$(next_uid INBOX)
name=$(printf '%010d.eml' "$uid")
"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX <"$IMAPFS_CORPUS/html/0002.eml"
check_live "after the kick, new mail still shows within 2 s ($name)" listed "$INBOX" "$name"

# -- the server down, then back ------------------------------------------------------
# Cached bodies need no server; the pool and the watcher back off (0.1 s doubling to
# 5 s, silently) and reconnect once it is back.
listening() { ss -ltn "sport = :$IMAPFS_TEST_PORT" | grep -q LISTEN; }
one=$INBOX/0000000001.eml
"$ORACLE" body INBOX 1 >"$W/one.srv"
"$ORACLE" body INBOX 2 >"$W/two.srv"
cat "$one" >/dev/null
exec 4<"$INBOX/0000000002.eml"
# Stopping the master leaves running sessions alive (the TLS login proxies): kill them.
"${DOVEADM[@]}" stop
ss -K dst 127.0.0.1 dport = "$IMAPFS_TEST_PORT" >/dev/null 2>&1
if within_ms 10000 bash -c "! ss -ltn 'sport = :$IMAPFS_TEST_PORT' | grep -q LISTEN" >/dev/null; then
	check "with the server down, a message read before is served from the cache" \
		cmp "$W/one.srv" "$one"
	cat <&4 >"$W/two.read" 2>&1
	check "with the server down, an open file reads (from the cache)" \
		cmp "$W/two.srv" "$W/two.read"
	sleep 2.1 # every table is older than the 2 s revalidation age now
	start=$(now_ms)
	if timeout 20 ls "$LKML" >/dev/null 2>"$W/down-ls.err"; then
		not_ok "with the server down, a listing that needs revalidating fails"
	else
		ok "with the server down, a listing that needs revalidating fails in $(($(now_ms) - start)) ms: $(head -c 80 "$W/down-ls.err")"
	fi
	check_eq "and the log says why, once" 1 \
		"$(grep -c '^imapfs: lkml: cannot list: cannot connect to .*: Connection refused$' \
			"${MT_ERR[$MNT]}")"
	# fd 4 is a file on the mount: Dovecot must not inherit it (unmount: busy).
	dovecot -c "$IMAPFS_TEST_DOVECOT_CONF" </dev/null >>"$W/dovecot-restart.log" 2>&1 4<&-
	within_ms 10000 listening >/dev/null
	uid=$(next_uid INBOX)
	name=$(printf '%010d.eml' "$uid")
	"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX <"$IMAPFS_CORPUS/html/0001.eml"
	if ms=$(within_ms 7000 listed "$INBOX" "$name"); then
		ok "the server back, new mail shows within 7 s (backoff cap 5 s + 2 s) (after $ms ms)"
	else
		not_ok "the server back, new mail shows within 7 s (not within $ms ms)"
	fi
else
	not_ok "doveadm stop stops the server"
fi
exec 4<&-

mt_umount_allowing "$MNT" '^imapfs: lkml: cannot list: cannot connect to .*: Connection refused$' &&
	ok "unmounts cleanly (watcher logged out), nothing on stderr but the failed listing"

# -- grep -r while connections are killed ------------------------------------------
# Fresh mounts with empty caches, so the grep really fetches every body.
grep_mount() {
	local mnt=$1 out=$2 kill=$3 pid kills=0 start
	MT_CACHE=$W/cache-$(basename "$mnt")
	rm -rf "$MT_CACHE"
	mt_mount "$mnt" || return 1
	start=$(now_ms)
	(cd "$mnt" && grep -r -i '^subject:' . >"$out" 2>"$out.err"; echo $? >"$out.rc") &
	pid=$!
	if [ "$kill" = kill ]; then
		sleep 0.05
		while kill -0 "$pid" 2>/dev/null; do
			if ss -K dst 127.0.0.1 dport = "$IMAPFS_TEST_PORT" 2>/dev/null |
				grep -q ESTAB; then
				kills=$((kills + 1))
			fi
			# A few kills, spaced: a request is tried at most 3 times, each on a
			# new connection, so kills must not break every attempt of one request.
			sleep 0.3
		done
		echo "$kills" >"$out.kills"
	fi
	wait "$pid"
	echo "$(($(now_ms) - start)) ms" >"$out.time"
	sort -o "$out" "$out"
	mt_umount "$mnt" && ok "unmounts cleanly after grep -r ($kill), nothing on stderr"
	MT_CACHE=
}

# A bulk folder, so the grep runs long enough for several kills: since the read path
# prefetches, grep -r over 1500 messages could end within 0.5 s, before the second
# kill, and the check below then counted only one.
"$GEN_MAILBOX" --count 2500 bulk >/dev/null
grep_mount "$W/g1" "$W/grep.plain" nokill
grep_mount "$W/g2" "$W/grep.killed" kill
kills=$(cat "$W/grep.killed.kills" 2>/dev/null || echo 0)
check "connections were killed (ss -K) while grep -r ran ($kills times in $(cat "$W/grep.killed.time"); $(cat "$W/grep.plain.time") without)" \
	test "$kills" -ge 2
check_eq "grep -r exits 0 while connections are killed" 0 "$(cat "$W/grep.killed.rc")"
check "grep -r prints no error while connections are killed" test ! -s "$W/grep.killed.err"
diag "$W/grep.killed.err"
check "grep -r found something ($(wc -l <"$W/grep.plain") lines)" test -s "$W/grep.plain"
check_same "grep -r gives the same output with connections killed as without" \
	"$W/grep.plain" "$W/grep.killed"

mt_finish
