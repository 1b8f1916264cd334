#!/usr/bin/env bash
# Faults injected into the harness's Dovecot (issue 12): a folder recreated (a new
# UIDVALIDITY, and a new message under the old one's UID) while a file of it is open
# and half read.
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
big_eml "$W/old.eml" 50000
python3 - "$W/new.eml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: z@example.org\nSubject: the new one\n\n")
    for i in range(50000):
        f.write("NEW %06d the message that took the old one's UID after the change\n" % i)
PY
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" Vol
"$ORACLE" append Vol "$W/old.eml" >/dev/null
"$ORACLE" body Vol 1 >"$W/old.crlf"
mt_mount "$MNT" || exit 1

# -- an open file read across a UIDVALIDITY change ---------------------------------
cat >"$W/recreate" <<SH
#!/bin/sh
set -e
${DOVEADM[*]} mailbox delete -u $USER_NAME Vol
${DOVEADM[*]} mailbox create -u $USER_NAME Vol
$ORACLE append Vol $W/new.eml >/dev/null
SH
chmod +x "$W/recreate"
out=$(python3 - "$MNT/Vol/0000000001.eml" "$W/got" "$W/recreate" <<'PY'
import os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
got = os.read(fd, 300000)
while len(got) < 300000:
    got += os.read(fd, 300000 - len(got))
subprocess.run([sys.argv[3]], check=True)
err = "EOF"
try:
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        got += b
except OSError as e:
    err = os.strerror(e.errno)
open(sys.argv[2], "wb").write(got)
print(err)
PY
)
check_eq "the new message under the old UID is on the server" "1" "$("$ORACLE" count Vol)"
if cmp -s -n "$(stat -c %s "$W/got")" "$W/got" "$W/old.crlf"; then
	ok "every byte read from the open file is the old message's ($(stat -c %s "$W/got") bytes; then: $out)"
else
	not_ok "every byte read from the open file is the old message's ($(stat -c %s "$W/got") bytes)"
fi
[ "$(stat -c %s "$W/got")" -lt "$(stat -c %s "$W/old.crlf")" ] &&
	check_eq "the read that cannot go on fails: No such file or directory" \
		"No such file or directory" "$out"
check_same "the path now reads the new message" <(tr -d '\r' <"$W/new.eml") \
	<(sleep 2.5; tr -d '\r' <"$MNT/Vol/0000000001.eml")
mt_umount_allowing "$MNT" "UIDVALIDITY"
mt_finish
