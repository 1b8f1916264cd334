#!/bin/bash
# Recovery: ".." in listings, unlink/rmdir that fail half-way leave
# the server as it was, rmdir against a concurrent delivery.
# Run as: tests/harness/with-dovecot -- test_mount_recovery.sh IMAPFS_EXE
. "$(dirname "$0")/mount-lib.sh"

M=$W/mnt

# -- ".." carries the parent's inode, not the folder's own -----------------------
# d_ino of every entry as readdir(3) returns it (ls -i may stat instead).
readdir_inos() {
	python3 -c '
import ctypes, sys
class Dirent(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint64), ("off", ctypes.c_int64),
                ("reclen", ctypes.c_ushort), ("type", ctypes.c_ubyte),
                ("name", ctypes.c_char * 256)]
libc = ctypes.CDLL(None)
libc.opendir.restype = ctypes.c_void_p
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = [ctypes.c_void_p]
libc.closedir.argtypes = [ctypes.c_void_p]
d = libc.opendir(sys.argv[1].encode())
while d:
    e = libc.readdir(d)
    if not e:
        break
    print(e.contents.ino, e.contents.name.decode())
libc.closedir(d)
' "$1"
}
dotdot_ino() { readdir_inos "$1" | awk '$2 == ".." { print $1 }'; }
dot_ino() { readdir_inos "$1" | awk '$2 == "." { print $1 }'; }

if mt_mount "$M"; then
	check_eq "'..' of Archive/2024 is Archive" "$(stat -c %i "$M/Archive")" \
		"$(dotdot_ino "$M/Archive/2024")"
	check_eq "'..' of Archive is the root" "$(stat -c %i "$M")" "$(dotdot_ino "$M/Archive")"
	check_eq "'.' of Archive is Archive" "$(stat -c %i "$M/Archive")" "$(dot_ino "$M/Archive")"
	mt_umount "$M" && ok "unmount"
fi

# -- a relay that refuses chosen commands (tests/integration/imap-fault-relay) ------
RELAY_PID=
# relay_start ARGS...: a fresh relay to the plaintext port; sets RELAY_PORT and RELAY_LOG.
relay_start() {
	relay_stop
	rm -f "$W/relay.port" "$W/relay.port.log"
	"$MT_LIBDIR/imap-fault-relay" --to "$IMAPFS_TEST_HOST:$IMAPFS_TEST_PORT" \
		--port-file "$W/relay.port" "$@" 2>"$W/relay.err" &
	RELAY_PID=$!
	for _ in $(seq 50); do
		[ -s "$W/relay.port" ] && break
		sleep 0.1
	done
	RELAY_PORT=$(cat "$W/relay.port")
	RELAY_LOG=$W/relay.port.log
}
relay_stop() {
	if [ -n "$RELAY_PID" ]; then
		kill "$RELAY_PID" 2>/dev/null
		wait "$RELAY_PID" 2>/dev/null
	fi
	RELAY_PID=
}
trap 'relay_stop; mt_cleanup' EXIT
# Options of a mount through the relay (plaintext on loopback; later port= wins).
relay_opts() { printf 'port=%s,security=plain,connections=2' "$RELAY_PORT"; }

# -- rm whose UID EXPUNGE fails leaves no \Deleted behind ---------------------------
relay_start --refuse '^UID EXPUNGE'
if mt_mount "$M" "$(relay_opts)"; then
	uid=$(srv_uids html | sed -n 1p)
	f=$M/html/$(printf '%010d' "$uid").eml
	check "rm fails when UID EXPUNGE is refused" bash -c "! rm '$f'"
	check "the server saw the UID EXPUNGE" grep -q ": UID EXPUNGE $uid\$" "$RELAY_LOG"
	check_eq "the message is still there" "$uid" "$(srv_uids html | grep -x "$uid")"
	check_eq "and not marked \\Deleted" "" "$("$ORACLE" deleted html)"
	check "the file is still listed" test -e "$f"
	mt_umount_allowing "$M" "^imapfs: html: cannot expunge UID $uid: .*SERVERBUG. refused by the test relay$" && ok "unmount, the refusal logged with the server's words"
fi
relay_stop

# -- rmdir never deletes mail delivered while it runs ---------------------------------
MSG=$(ls "$IMAPFS_CORPUS/default/"* | sed -n 1p)
# A hook for the relay: deliver one message to folder $1 (as an MTA would) and record it.
cat >"$W/deliver" <<EOF
#!/bin/bash
if doveadm -c "$IMAPFS_TEST_DOVECOT_CONF" save -u "$USER_NAME" -m "\$1" <"$MSG" 2>/dev/null; then
	echo "\$1" >>"$W/delivered"
fi
EOF
chmod +x "$W/deliver"
: >"$W/delivered"
leftovers() { srv_folders | grep -c imapfs-rmdir; }
# The folder these checks race on. Its mkdir is set-up here (mount_write tests mkdir
# itself): once in ~10 loaded runs it said EEXIST although nothing had made the folder
# (cause not yet found; see the closing note of the session that saw it). What matters
# below is that the folder exists on the server, so that is what is checked.
setup_folder() {
	local out
	if out=$(mkdir "$M/$1" 2>&1); then
		ok "mkdir $1"
	elif srv_folders | grep -qx "$1"; then
		ok "mkdir $1 (said '$out', but the folder is on the server)"
	else
		not_ok "mkdir $1: $out"
	fi
}

# Mail arriving just before the DELETE: the old STATUS-then-DELETE order lost it.
relay_start --before '^DELETE ' "$W/deliver race1"
if mt_mount "$M" "$(relay_opts)"; then
	setup_folder race1
	rmdir "$M/race1" 2>/dev/null
	if grep -qx race1 "$W/delivered"; then
		check_eq "mail delivered during rmdir is still on the server" 1 \
			"$("$ORACLE" count race1 2>/dev/null)"
	else
		ok "a delivery during rmdir found no folder (it was renamed away), nothing lost"
		check "rmdir went through" test ! -e "$M/race1"
	fi
	check_eq "no renamed folder left behind" 0 "$(leftovers)"
	setup_folder race2
	mt_umount "$M"
fi
relay_stop

# Mail arriving just before the RENAME: found under the new name, renamed back.
relay_start --before '^RENAME "?race2"? ' "$W/deliver race2"
if mt_mount "$M" "$(relay_opts)"; then
	rmdir "$M/race2" 2>"$W/rmdir.err"
	check_eq "rmdir fails when mail arrived before the rename" 1 "$?"
	check "with ENOTEMPTY" grep -q 'not empty' "$W/rmdir.err"
	check_eq "the message is in race2" 1 "$("$ORACLE" count race2 2>/dev/null)"
	check_eq "no renamed folder left behind" 0 "$(leftovers)"
	check "an empty folder still goes" bash -c "mkdir '$M/empty3' && rmdir '$M/empty3'"
	check_eq "and is gone on the server" 0 "$(srv_folders | grep -cx empty3)"
	mt_umount "$M" && ok "unmount"
fi
relay_stop

# -- keepalive: a pool session idle for longer gets a NOOP before its next command -----
# noop_first LOG: on some connection, NOOP came first and other commands after it.
noop_first() {
	awk '{ c = $1; sub(/^c[0-9]+: /, ""); n[c]++ }
	     n[c] == 1 { first[c] = $0 }
	     END { for (c in n) if (first[c] == "NOOP" && n[c] > 1) exit 0; exit 1 }' "$1"
}
relay_start
if mt_mount "$M" "$(relay_opts),connections=1,keepalive=1"; then
	uids=($(srv_uids lkml | sed -n 1,3p))
	name() { printf '%s/lkml/%010d.eml' "$M" "$1"; }
	check "a first read" cat "$(name "${uids[0]}")"
	sleep 2.5
	lines=$(wc -l <"$RELAY_LOG")
	check "a read after 2.5 s idle" cat "$(name "${uids[1]}")"
	tail -n +"$((lines + 1))" "$RELAY_LOG" >"$W/after-idle.log"
	check "keepalive=1: NOOP before anything else on the idle connection" \
		noop_first "$W/after-idle.log"
	"${DOVEADM[@]}" kick "$USER_NAME" >/dev/null
	sleep 1.5
	check "a read after the server dropped every connection" cat "$(name "${uids[2]}")"
	mt_umount "$M" && ok "unmount, nothing on stderr"
fi
relay_stop

# -- a daemonized mount (no -f): forked before any thread ---------------------------
# bg_mount MOUNTPOINT OPTS: imapfs without -f; its exit status in BG_RC, stderr in BG_ERR.
bg_mount() {
	mkdir -p "$1"
	BG_ERR=$W/bg-$(basename "$1").stderr
	timeout 30 "$IMAPFS" -o "$2" "$1" </dev/null >"$BG_ERR" 2>&1
	BG_RC=$?
}
# The pid of the imapfs process serving MOUNTPOINT (its command line names it).
bg_pid() {
	local p
	for p in /proc/[0-9]*; do
		if cat "$p/cmdline" 2>/dev/null | tr '\0' '\n' | grep -qxF "$1"; then
			basename "$p"
			return 0
		fi
	done
	return 1
}
# Four readers at once over every file of a few folders (so the pool opens more
# connections); each compares with the oracle's copies.
read_parallel() {
	local mnt=$1 ref=$2 f pids=() rc=0
	for r in 1 2 3 4; do
		(
			for f in INBOX lkml html threading; do
				for m in "$ref/$f"/*.eml; do
					cmp -s "$m" "$mnt/$f/$(basename "$m")" || exit 1
				done
			done
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return $rc
}
# bg_umount MOUNTPOINT PID: unmount, then the daemon exits within 10 s.
bg_umount() {
	check "unmount of the daemonized $1" fusermount3 -u "$1"
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$2" 2>/dev/null; then
		not_ok "the daemon exits within 10 s of the unmount"
		kill -9 "$2"
	else
		ok "the daemon exits after the unmount"
	fi
}

REF=$W/ref
for f in INBOX lkml html threading; do
	mkdir -p "$REF/$f"
	srv_dump "$f" "$REF/$f"
done

B=$W/bg-name
bg_mount "$B" "$(mt_opts host=localhost,connections=4,cache_dir=$W/cache-bg)"
check_eq "daemonized mount to host=localhost exits 0" 0 "$BG_RC"
check "and printed nothing" test ! -s "$BG_ERR"
diag "$BG_ERR"
if mountpoint -q "$B" && pid=$(bg_pid "$B"); then
	ok "mounted, served by pid $pid"
	check "4 parallel readers through 4 connections read every file right" \
		read_parallel "$B" "$REF"
	bg_umount "$B" "$pid"
else
	not_ok "the daemonized mount is there"
	fusermount3 -u -z "$B" 2>/dev/null
fi

# A tunnel is a child process: the daemon must be its parent, or closing it never ends.
B=$W/bg-tunnel
TUNNEL="doveadm -c $IMAPFS_TEST_DOVECOT_CONF exec imap -u $USER_NAME 2>>$W/tunnel.log"
bg_mount "$B" "tunnel=$TUNNEL,connections=3,cache_dir=$W/cache-bgt"
check_eq "daemonized tunnel mount exits 0" 0 "$BG_RC"
check "and printed nothing" test ! -s "$BG_ERR"
diag "$BG_ERR"
if mountpoint -q "$B" && pid=$(bg_pid "$B"); then
	check "parallel readers through tunnels read every file right" read_parallel "$B" "$REF"
	bg_umount "$B" "$pid"
else
	not_ok "the daemonized tunnel mount is there"
	fusermount3 -u -z "$B" 2>/dev/null
fi

# A failed login still fails in the foreground, before anything is mounted.
B=$W/bg-fail
printf 'wrong-password' >"$W/wrong"
chmod 600 "$W/wrong"
bg_mount "$B" "$(mt_opts host=localhost),password_file=$W/wrong"
check_eq "daemonized mount with a wrong password exits with the authentication status" 6 "$BG_RC"
check "and says why" grep -q "cannot log in to localhost" "$BG_ERR"
check "nothing is mounted" bash -c "! mountpoint -q '$B'"

mt_finish
