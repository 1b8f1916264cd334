#!/usr/bin/env bash
# A background mount's log (-o log=...): once imapfs has gone to the background its stderr
# is /dev/null, so its lines must reach syslog (the default) or the file given; and every
# EIO a user's call gets has one line there with the folder, the file and the server's
# own words.
#
# The syslog check is real: imapfs calls syslog(3), which writes to /dev/log. This script
# runs in a private mount namespace (it re-executes itself under unshare --mount) where a
# fresh /dev holds the devices imapfs needs and, as /dev/log, the socket of a small
# datagram receiver started here. No system syslog daemon is assumed or touched.
#
# usage: with-dovecot -- test_mount_log.sh IMAPFS
if [ -z "${IMAPFS_LOG_TEST_NS:-}" ]; then
	IMAPFS_LOG_TEST_NS=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
mkdir -p "$MNT"

# -- a relay that refuses body fetches (tests/integration/imap-fault-relay) ----------
RELAY_PID=
relay_start() {
	"$MT_LIBDIR/imap-fault-relay" --to "$IMAPFS_TEST_HOST:$IMAPFS_TEST_PORT" \
		--port-file "$W/relay.port" "$@" 2>"$W/relay.err" &
	RELAY_PID=$!
	BG_PIDS+=("$RELAY_PID")
	for _ in $(seq 50); do
		[ -s "$W/relay.port" ] && break
		sleep 0.1
	done
	RELAY_PORT=$(cat "$W/relay.port")
}
# Listings pass (UID FETCH 1:* (UID RFC822.SIZE ...)); every body fetch is refused, and
# so is CREATE.
relay_start --refuse 'FETCH .*BODY' --refuse '^CREATE '
relay_opts() { printf 'port=%s,security=plain,connections=2' "$RELAY_PORT"; }

# bg_mount EXTRA_OPTS: mount in the background (no -f); the command must return 0 once
# the mount is up, as a daemon does.
bg_mount() {
	if "$IMAPFS" -o "$(mt_opts "$(relay_opts),$1")" "$MNT" </dev/null >"$W/bg.out" 2>&1 &&
		mountpoint -q "$MNT"; then
		return 0
	fi
	not_ok "background mount with $1"
	diag "$W/bg.out"
	return 1
}

# The pid of the imapfs serving $MNT: the only one in this mount namespace (other tests
# may run the same executable at the same time, each in its own namespace or none).
daemon_pid() {
	local p ns
	ns=$(readlink /proc/self/ns/mnt)
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$IMAPFS" ] &&
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] &&
			echo "${p#/proc/}" && return
	done
}

# bg_umount: unmount and wait (10 s at most) for the daemon to exit.
bg_umount() {
	local pid
	pid=$(daemon_pid)
	fusermount3 -u "$MNT" || return 1
	for _ in $(seq 100); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
bg_kill() {
	local pid
	pid=$(daemon_pid)
	fusermount3 -u -z "$MNT" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
}
trap 'bg_kill; mt_cleanup' EXIT

# A message that is not cached: the open fetches it, and the relay refuses that.
UID1=$(srv_uids html | sed -n 1p)
NAME=$(printf '%010d.eml' "$UID1")
WORDS_RE='cannot read: server refused UID FETCH: \[SERVERBUG\] refused by the test relay'
LINE_RE="^imapfs: html/$NAME: $WORDS_RE\$"

# -- log=FILE --------------------------------------------------------------------------
LOG=$W/imapfs.log
MT_CACHE=$W/cache-file
if bg_mount "log=$LOG"; then
	check_eq "the log file is created 0600" 600 "$(stat -c %a "$LOG")"
	check "the mount command returned while imapfs serves in the background" \
		test -n "$(daemon_pid)"
	cat "$MNT/html/$NAME" >/dev/null 2>"$W/cat.err"
	check_eq "cat of a message whose FETCH is refused fails" 1 "$?"
	check "with EIO" grep -q 'Input/output error' "$W/cat.err"
	grep -F "html/$NAME" "$LOG" >"$W/lines"
	check_eq "the log has exactly one line for it" 1 "$(wc -l <"$W/lines")"
	check "naming the folder, the file and the server's words" grep -qE "$LINE_RE" "$W/lines"
	# A loop over the same failing read: identical lines at most once a second, and
	# none lost without a trace: the lines plus the drops they count cover every read.
	start=$(date +%s%N)
	for _ in $(seq 20); do cat "$MNT/html/$NAME" >/dev/null 2>&1; done
	secs=$((($(date +%s%N) - start + 999999999) / 1000000000))
	n=$(grep -cF "html/$NAME" "$LOG")
	if [ "$n" -ge 1 ] && [ "$n" -le $((secs + 1)) ]; then
		ok "20 more failed reads in ${secs} s add at most one line a second ($n in all)"
	else
		not_ok "20 more failed reads in ${secs} s add at most one line a second (got $n lines)"
		diag "$LOG"
	fi
	# A second later the line is logged again, saying how many were dropped.
	sleep 1.1
	cat "$MNT/html/$NAME" >/dev/null 2>&1
	grep -F "html/$NAME" "$LOG" >"$W/lines"
	dropped=$(sed -n 's/.* (\([0-9]*\) identical lines dropped since the last one)$/\1/p' \
		"$W/lines" | awk '{ s += $1 } END { print s + 0 }')
	lines=$(wc -l <"$W/lines")
	if [ -n "$dropped" ] && [ $((dropped + lines)) -ge 22 ]; then
		ok "the lines count the dropped ones ($lines lines, $dropped dropped, 22 reads)"
	else
		not_ok "the lines count the dropped ones ($lines lines, '$dropped' dropped, 22 reads)"
		diag "$LOG"
	fi
	# Another call's EIO: mkdir, whose CREATE is refused.
	mkdir "$MNT/logtest" 2>"$W/mkdir.err"
	check_eq "mkdir whose CREATE is refused fails" 1 "$?"
	check "with EIO" grep -q 'Input/output error' "$W/mkdir.err"
	n=$(grep -cE '^imapfs: logtest: mkdir: .*\[SERVERBUG\] refused by the test relay$' "$LOG")
	check_eq "and logs one line naming the folder and the server's words" 1 "$n"
	[ "$n" = 1 ] || diag "$LOG"
	check "no password in the log" bash -c "! grep -qF '$IMAPFS_TEST_PASSWORD' '$LOG'"
	check "nothing printed by the mount command" test ! -s "$W/bg.out"
	check "unmount, and imapfs exits" bg_umount
	if grep -vE "^imapfs: (html/$NAME: $WORDS_RE( \([0-9]+ identical lines dropped since the last one\))?|logtest: mkdir: .*)\$" \
		"$LOG" >"$W/other.lines"; then
		not_ok "nothing else in the log"
		diag "$W/other.lines"
	else
		ok "nothing else in the log"
	fi
else
	bg_kill
fi

# -- the default in the background: syslog -------------------------------------------
# A fresh /dev in this namespace: the devices imapfs and the tools use, and /dev/log as
# the receiver's socket. /dev/fd and friends for bash.
mkdir -p "$W/realdev"
mount --rbind /dev "$W/realdev"
mount -t tmpfs -o mode=0755 imapfs-test-dev /dev
for n in null zero full random urandom tty fuse; do
	[ -e "$W/realdev/$n" ] || continue
	touch "/dev/$n"
	mount --bind "$W/realdev/$n" "/dev/$n"
done
# Each node is its own mount now: the real /dev leaves the scratch directory (which the
# harness removes afterwards, from outside this namespace).
umount -R -l "$W/realdev"
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr

SYSLOG=$W/syslog.txt
: >"$SYSLOG"
python3 - /dev/log "$SYSLOG" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
BG_PIDS+=("$!")
for _ in $(seq 50); do
	[ -S /dev/log ] && break
	sleep 0.1
done
check "a datagram receiver listens on /dev/log" test -S /dev/log

MT_CACHE=$W/cache-syslog
if bg_mount ""; then
	pid=$(daemon_pid)
	cat "$MNT/html/$NAME" >/dev/null 2>"$W/cat.err"
	check_eq "cat of the refused message fails" 1 "$?"
	check "with EIO" grep -q 'Input/output error' "$W/cat.err"
	for _ in $(seq 30); do
		grep -qF "html/$NAME" "$SYSLOG" && break
		sleep 0.1
	done
	grep -F "html/$NAME" "$SYSLOG" >"$W/lines"
	check_eq "syslog got exactly one line for it" 1 "$(wc -l <"$W/lines")"
	# <27>: LOG_DAEMON (3 << 3) | LOG_ERR (3); ident imapfs with the daemon's pid; the
	# "imapfs: " prefix of stderr is not repeated.
	if grep -qE "^<27>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} imapfs\\[$pid\\]: html/$NAME: $WORDS_RE\$" \
		"$W/lines"; then
		ok "as daemon.err from imapfs[$pid], without the stderr prefix"
	else
		not_ok "as daemon.err from imapfs[$pid], without the stderr prefix"
		diag "$SYSLOG"
	fi
	check "no password in syslog" bash -c "! grep -qF '$IMAPFS_TEST_PASSWORD' '$SYSLOG'"
	check "unmount, and imapfs exits" bg_umount
else
	bg_kill
fi

# -- foreground: stderr stays the default --------------------------------------------
MT_CACHE=$W/cache-fg
if mt_mount "$MNT" "$(relay_opts)"; then
	cat "$MNT/html/$NAME" >/dev/null 2>&1
	check "with -f the line goes to stderr" grep -qE "$LINE_RE" "${MT_ERR[$MNT]}"
	before=$(wc -l <"$SYSLOG")
	mt_umount_allowing "$MNT" "$LINE_RE" && ok "unmount"
	check_eq "and nothing to syslog" "$before" "$(wc -l <"$SYSLOG")"
fi

# -- a log file that cannot be opened: refused before anything is mounted ------------
"$IMAPFS" -o "$(mt_opts "log=$W/no/such/dir/x.log")" "$MNT" </dev/null >"$W/bad.out" 2>&1
check_eq "an unopenable log file: exit status 1 (usage)" 1 "$?"
check "it says why" grep -q "cannot open the log $W/no/such/dir/x.log" "$W/bad.out"
check "nothing mounted" bash -c "! mountpoint -q '$MNT'"

mt_finish
