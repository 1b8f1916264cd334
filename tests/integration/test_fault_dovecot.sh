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

# -- cp while connections are killed -------------------------------------------------
# A connection killed after the APPEND went out loses the server's answer: the message
# may be stored. What cp reports must be what the server holds, so a retry of the
# failures stores nothing twice.
python3 - "$W/many" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(200):
    with open(os.path.join(d, "m%03d.eml" % i), "w") as f:
        f.write("From: k@example.org\nMessage-ID: <kill-%03d@example.org>\n" % i)
        f.write("Subject: sent while connections die %d\n\n" % i)
        f.write(("line %03d of a message sent while connections are killed\n" % i) * 400)
PY
check "mkdir of the target folder" mkdir "$MNT/Killed"
(
	while [ ! -e "$W/stop-killing" ]; do
		ss -K dst 127.0.0.1 dport = ":$IMAPFS_TEST_PORT" >/dev/null 2>&1
		sleep 0.05
	done
) &
killer=$!
: >"$W/cp-ok"
: >"$W/cp-failed"
for f in "$W/many"/*.eml; do
	if cp "$f" "$MNT/Killed/" 2>>"$W/cp.err"; then
		basename "$f" >>"$W/cp-ok"
	else
		basename "$f" >>"$W/cp-failed"
	fi
done
touch "$W/stop-killing"
wait "$killer"
nok=$(wc -l <"$W/cp-ok")
nfail=$(wc -l <"$W/cp-failed")
echo "# cp: $nok stored, $nfail failed; $(grep -c 'answer to an APPEND was lost' "${MT_ERR[$MNT]}") answers lost and found stored"
srv_dump Killed "$W/killed"
cat "$W/killed"/*.eml | sed -n 's/^Message-ID: <kill-\([0-9]*\)@.*/m\1.eml/p' | sort >"$W/on-server"
check_eq "the server holds each message cp reported stored, once" "$(sort "$W/cp-ok")" \
	"$(cat "$W/on-server")"
check_eq "the server holds none that cp reported failed" "" \
	"$(comm -12 <(sort "$W/cp-failed") "$W/on-server")"
[ "$nok" -gt 100 ] && ok "most copies got through the kills ($nok of 200)" ||
	not_ok "most copies got through the kills ($nok of 200)"
mt_umount_allowing "$MNT" "UIDVALIDITY|answer to an APPEND was lost|Killed/|cannot|connection|IMAP"
mt_finish
