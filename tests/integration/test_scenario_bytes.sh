#!/usr/bin/env bash
# Wrong sizes from the server never cost bytes: a body larger than its RFC822.SIZE is
# served whole (first read, -o ro, after a listing reload and after a remount), st_size
# follows the body once it is known, and a body smaller than announced ends where it ends.
# Against tests/harness/scenario-server (Exchange is known to announce wrong sizes).
. "$(dirname "$0")/mount-lib.sh"

mkdir -p "$W/msgs"
big_eml "$W/msgs/big.eml" 52000 # about 3 MB, read by partial fetches
sed -i 's/$/\r/' "$W/msgs/big.eml"
printf 'From: a@example.org\r\nSubject: small\r\n\r\n%s\r\n' "$(head -c 3000 /dev/zero | tr '\0' y)" \
	>"$W/msgs/small.eml"
printf 'From: b@example.org\r\nSubject: short\r\n\r\nshort body\r\n' >"$W/msgs/short.eml"
big=$(stat -c %s "$W/msgs/big.eml")
small=$(stat -c %s "$W/msgs/small.eml")
short=$(stat -c %s "$W/msgs/short.eml")
cat >"$W/scenario.json" <<JSON
{"folders": [
  {"name": "INBOX", "uidvalidity": 5, "messages": [
    {"uid": 1, "file": "msgs/small.eml", "size": $((small - 1000))},
    {"uid": 2, "file": "msgs/big.eml", "size": $((big * 2 / 3))},
    {"uid": 3, "file": "msgs/short.eml", "size": $((short + 500))}]},
  {"name": "Other", "uidvalidity": 6, "messages": [
    {"uid": 1, "file": "msgs/small.eml", "size": 100}]}]}
JSON
sc_start "$W/scenario.json"

# cat, not cmp: cmp takes a size that differs for a difference without reading, and
# before its first read a body's st_size is the server's word.
reads_whole() { # DESC MOUNT
	check_same "$1: a body larger than announced is read whole" "$W/msgs/small.eml" \
		<(cat "$2/INBOX/0000000001.eml")
	check_same "$1: a 3 MB body announced as 2 MB is read whole" "$W/msgs/big.eml" \
		<(cat "$2/INBOX/0000000002.eml")
	check_same "$1: a body smaller than announced ends where it ends" "$W/msgs/short.eml" \
		<(cat "$2/INBOX/0000000003.eml")
	check_eq "$1: st_size is the body's once read" "$small $big $short" \
		"$(stat -c %s "$2/INBOX/0000000001.eml" "$2/INBOX/0000000002.eml" \
			"$2/INBOX/0000000003.eml" | tr '\n' ' ' | sed 's/ $//')"
}

for mode in rw ro; do
	MNT=$W/mnt-$mode
	rm -rf "$W/cache"
	o=""
	[ $mode = ro ] && o="ro"
	sc_mount "$MNT" "$o" || continue
	check_same "$mode: another folder's first read is whole" "$W/msgs/small.eml" \
		<(cat "$MNT/Other/0000000001.eml")
	reads_whole "$mode" "$MNT"
	sleep 2.5 # past the revalidation age: the listing is asked again
	ls -l "$MNT/INBOX" >/dev/null
	check_eq "$mode: after a reload st_size stays the body's" "$small $big" \
		"$(stat -c %s "$MNT/INBOX/0000000001.eml" "$MNT/INBOX/0000000002.eml" | tr '\n' ' ' | sed 's/ $//')"
	reads_whole "$mode, after a reload" "$MNT"
	mt_umount "$MNT"
	sc_mount "$MNT" "$o" || continue
	reads_whole "$mode, after a remount" "$MNT"
	mt_umount "$MNT"
done
mt_finish
