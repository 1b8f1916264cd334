#!/usr/bin/env bash
# Failures that must leave nothing behind:
# - a write into a new file that fails (EFBIG past the 2 GiB limit, as ENOSPC or EIO in
#   the cache directory would) fails the file: close(2) fails and nothing is APPENDed
#   (a failed cp leaves no partial message on the server);
# - SIGTERM ends imapfs within a few seconds, with invalidations still queued.
#
# usage: with-dovecot --fill=empty -- test_mount_failures.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt

mt_mount "$MNT" || mt_finish

# -- a failed write fails the close, and sends nothing -------------------------------------
n=$("$ORACLE" count INBOX)
python3 - "$MNT/INBOX/partial.eml" >"$W/partial.out" 2>&1 <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"From: a@example.org\nSubject: partial\n\nthe first part\n")
try:
    os.pwrite(fd, b"x", 3 << 30)
    print("write past 2 GiB: accepted")
except OSError as e:
    print("write past 2 GiB:", errno.errorcode.get(e.errno, e.errno))
try:
    os.close(fd)
    print("close: ok")
except OSError as e:
    print("close:", errno.errorcode.get(e.errno, e.errno))
PY
check "the write past 2 GiB fails with EFBIG" grep -qx "write past 2 GiB: EFBIG" "$W/partial.out"
check "close after the failed write fails" grep -qx "close: EFBIG" "$W/partial.out"
grep -q "close: ok" "$W/partial.out" && diag "$W/partial.out"
check_eq "no message was appended for it" "$n" "$("$ORACLE" count INBOX)"
check "the failed file's name is gone" bash -c "! test -e '$MNT/INBOX/partial.eml'"

# A later write after the failure fails too (the file is failed, not just that write).
python3 - "$MNT/INBOX/partial2.eml" >"$W/partial2.out" 2>&1 <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"From: a@example.org\nSubject: partial\n\n")
try:
    os.pwrite(fd, b"x", 3 << 30)
except OSError:
    pass
try:
    os.write(fd, b"more\n")
    print("write after: ok")
except OSError as e:
    print("write after:", errno.errorcode.get(e.errno, e.errno))
try:
    os.close(fd)
    print("close: ok")
except OSError as e:
    print("close:", errno.errorcode.get(e.errno, e.errno))
PY
check "a write after the failed one fails" grep -qx "write after: EFBIG" "$W/partial2.out"
check "and so does close" grep -qx "close: EFBIG" "$W/partial2.out"
check_eq "still no new message" "$n" "$("$ORACLE" count INBOX)"

printf 'From: a@example.org\nSubject: whole\n\nbody\n' >"$W/whole.eml"
check "a normal cp still works" cp "$W/whole.eml" "$MNT/INBOX/"
check_eq "and appends one message" $((n + 1)) "$("$ORACLE" count INBOX)"

mt_umount_allowing "$MNT" "^imapfs: INBOX/partial2?\\.eml: not stored: File too large$" &&
	ok "unmounts cleanly, each failed file logged once"

# -- SIGTERM with invalidations queued and lookups arriving ----------------------------
# The invalidations of rm (and of the folder that changed) are queued while processes
# keep looking names up; SIGTERM must end imapfs within a few seconds all the same.
for i in $(seq 20); do
	printf 'From: a@example.org\nSubject: term %s\n\nbody\n' "$i" |
		"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX
done
if mt_mount "$MNT"; then
	ls "$MNT/INBOX" >/dev/null
	( for _ in $(seq 200); do stat "$MNT/INBOX/nothere-$RANDOM" >/dev/null 2>&1; done ) &
	LOOKUPS=$!
	rm -f "$MNT"/INBOX/00*.eml &
	RMS=$!
	sleep 0.2
	pid=${MT_PID[$MNT]}
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "imapfs exits within 5 s of SIGTERM"
	else
		wait "$pid"
		check_eq "imapfs exits 0 after SIGTERM" 0 "$?"
		unset "MT_PID[$MNT]"
	fi
	check "the mount is gone" bash -c "! mountpoint -q '$MNT'"
	kill "$LOOKUPS" "$RMS" 2>/dev/null
	wait "$LOOKUPS" "$RMS" 2>/dev/null
	mt_kill "$MNT"
fi
mt_finish
