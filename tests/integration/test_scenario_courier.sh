#!/usr/bin/env bash
# Courier-IMAP refuses an APPEND into the folder the connection has open read-only
# ("NO Current box is selected READ-ONLY"; issue 15): a folder the mount has listed
# takes every cp, not only the first. Against tests/harness/scenario-server.
. "$(dirname "$0")/mount-lib.sh"

cat >"$W/scenario.json" <<JSON
{"capabilities": "IMAP4rev1 UIDPLUS SASL-IR AUTH=PLAIN", "delimiter": ".",
 "append_store": true, "append_examined_refused": true,
 "folders": [{"name": "INBOX", "uidvalidity": 5, "messages": []},
             {"name": "INBOX.Empty", "uidvalidity": 6, "messages": []}]}
JSON
sc_start "$W/scenario.json"
mkdir -p "$W/src"
for i in 1 2 3; do
	printf 'From: c%d@example.org\r\nSubject: courier %d\r\nMessage-ID: <courier-%d@example.org>\r\n\r\nbody %d\r\n' \
		"$i" "$i" "$i" "$i" >"$W/src/m$i.eml"
done
MNT=$W/mnt
sc_mount "$MNT" "connections=1" || mt_finish
ls "$MNT/INBOX/Empty" >/dev/null # the mount EXAMINEs it
for i in 1 2 3; do
	check "cp $i into a folder the mount has open read-only" cp "$W/src/m$i.eml" "$MNT/INBOX/Empty/"
done
check_eq "one APPEND refused while the folder was open read-only, sent again after a CLOSE" \
	"4 1" "$(grep -c 'APPEND' "$SC_LOG") $(grep -c ': CLOSE' "$SC_LOG")"
sleep 2.5
check_eq "the folder holds the three, once each" "m1.eml m2.eml m3.eml" \
	"$(ls "$MNT/INBOX/Empty" | tr '\n' ' ' | sed 's/ $//')"
for i in 1 2 3; do
	check_same "m$i.eml reads back" "$W/src/m$i.eml" <(cat "$MNT/INBOX/Empty/m$i.eml")
done
mt_umount "$MNT"
mt_finish
