#!/usr/bin/env bash
# A folder of 10,000 messages (written by gen-mailbox): `ls -l` and `cat *` work,
# in bounded time, and the bytes and sizes agree with the server.
#
# usage (through the harness): with-dovecot [--delimiter=/] -- test_mount_big.sh IMAPFS [COUNT]
. "$(dirname "$0")/mount-lib.sh"

COUNT=${2:-10000}
FOLDER=Big
MNT=$W/mnt
DIR=$MNT/$FOLDER

have=$("$GEN_MAILBOX" --count "$COUNT" "$FOLDER")
check_eq "gen-mailbox filled $FOLDER" "$COUNT" "$have"

# The server's view: total RFC822.SIZE and the oracle's bytes.
srv_meta "$FOLDER" | awk '{ s += $2 } END { print s }' >"$W/size.srv"
srv_dump "$FOLDER" "$W/dump"
bytes_srv=$(cat "$W/dump"/* | wc -c)
check_eq "the oracle's bytes add up to the server's RFC822.SIZE" "$(cat "$W/size.srv")" "$bytes_srv"

mt_mount "$MNT" || mt_finish

t0=$(date +%s%N)
n=$(ls -l "$DIR" | wc -l)
t1=$(date +%s%N)
check_eq "ls -l of $COUNT messages lists them all (plus the total line)" $((COUNT + 1)) "$n"
ms=$(((t1 - t0) / 1000000))
check "ls -l of $COUNT messages takes under 10 s (${ms} ms)" test "$ms" -lt 10000

sum_size=$(find "$DIR" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
check_eq "the st_size of the $COUNT files add up to the server's RFC822.SIZE" \
	"$(cat "$W/size.srv")" "$sum_size"

t0=$(date +%s%N)
bytes=$(cd "$DIR" && cat -- * | wc -c)
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
check_eq "cat * over $COUNT messages gives the server's bytes" "$bytes_srv" "$bytes"
check "cat * over $COUNT messages takes under 45 s (${ms} ms)" test "$ms" -lt 45000
check "the $COUNT files equal the oracle's dump (diff -r)" diff -r -q "$W/dump" "$DIR"

# gen-mailbox gives message n the INTERNALDATE 2020-01-01 + n * 61 s.
check_eq "st_mtime of the last message is its INTERNALDATE" \
	$((1577836800 + COUNT * 61)) "$(stat -c %Y "$DIR/$(printf '%010d' "$COUNT").eml")"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
