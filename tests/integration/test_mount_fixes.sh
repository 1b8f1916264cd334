#!/bin/bash
# Mount tests of reviewed fixes: ".." in listings, unlink/rmdir that fail half-way leave
# the server as it was, rmdir against a concurrent delivery.
# Run as: tests/harness/with-dovecot -- test_mount_fixes.sh IMAPFS_EXE
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
	uid=$(srv_uids html | head -n 1)
	f=$M/html/$(printf '%010d' "$uid").eml
	check "rm fails when UID EXPUNGE is refused" bash -c "! rm '$f'"
	check "the server saw the UID EXPUNGE" grep -q "^UID EXPUNGE $uid\$" "$RELAY_LOG"
	check_eq "the message is still there" "$uid" "$(srv_uids html | grep -x "$uid")"
	check_eq "and not marked \\Deleted" "" "$("$ORACLE" deleted html)"
	check "the file is still listed" test -e "$f"
	mt_umount "$M" && ok "unmount"
fi
relay_stop

mt_finish
