#!/usr/bin/env bash
# A server that stalls mid-FETCH (issue 12): the user's call fails within the timeout
# the user set (give or take one connect), other folders still answer meanwhile, and an
# unmount with the stalled connection still open lets imapfs exit at once.
# Against tests/harness/scenario-server.
. "$(dirname "$0")/mount-lib.sh"

mkdir -p "$W/msgs"
printf 'From: a@example.org\r\nSubject: fine\r\n\r\nfine body\r\n' >"$W/msgs/fine.eml"
printf 'From: b@example.org\r\nSubject: stalls\r\n\r\n%s\r\n' "$(head -c 20000 /dev/zero | tr '\0' s)" \
	>"$W/msgs/stall.eml"
big_eml "$W/msgs/big.eml" 40000
sed -i 's/$/\r/' "$W/msgs/big.eml"
cat >"$W/scenario.json" <<JSON
{"folders": [
  {"name": "INBOX", "uidvalidity": 5, "messages": [
    {"uid": 1, "file": "msgs/stall.eml", "stall_at": 5000},
    {"uid": 2, "file": "msgs/big.eml", "stall_at": 300000}]},
  {"name": "Other", "uidvalidity": 6, "messages": [
    {"uid": 1, "file": "msgs/fine.eml"}]}]}
JSON
sc_start "$W/scenario.json"
T=3 # the user's timeout, in seconds

elapsed_of() { # OUTFILE COMMAND...: runs it, prints the seconds it took
	local out=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" >"$out" 2>&1
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}
within() { # DESC SECONDS LIMIT
	if awk -v s="$2" -v l="$3" 'BEGIN { exit !(s <= l) }'; then
		ok "$1 (${2} s, limit ${3} s)"
	else
		not_ok "$1 (${2} s, limit ${3} s)"
	fi
}

for mode in rw ro; do
	MNT=$W/mnt-$mode
	rm -rf "$W/cache"
	o="timeout=$T"
	[ $mode = ro ] && o+=",ro"
	sc_mount "$MNT" "$o" || continue
	ls "$MNT/INBOX" >/dev/null
	s=$(elapsed_of "$W/cat.out" cat "$MNT/INBOX/0000000001.eml")
	within "$mode: cat of a message whose FETCH stalls fails within the timeout" "$s" "$((T + 2))"
	check_eq "$mode: and says Connection timed out" "1" "$(grep -c 'Connection timed out' "$W/cat.out")"
	s=$(elapsed_of "$W/cat.out" cat "$MNT/INBOX/0000000002.eml")
	within "$mode: cat of a large message stalling mid-way fails within the timeout" "$s" "$((T + 2))"
	check_eq "$mode: and says Connection timed out" "1" "$(grep -c 'Connection timed out' "$W/cat.out")"
	check_same "$mode: another folder answers" "$W/msgs/fine.eml" <(cat "$MNT/Other/0000000001.eml")
	mt_umount_allowing "$MNT" "INBOX|timed out|no data"
	# A long timeout and a reader waiting on the stalled server, which the user kills
	# (^C), then unmounts; and the same ended by SIGTERM instead of an unmount.
	for how in unmount SIGTERM; do
		sc_mount "$MNT" "${o/timeout=$T/timeout=30}" || continue
		cat "$MNT/INBOX/0000000001.eml" >/dev/null 2>&1 &
		reader=$!
		sleep 1
		kill -KILL "$reader"
		wait "$reader" 2>/dev/null
		pid=${MT_PID[$MNT]}
		t0=$(date +%s.%N)
		if [ $how = unmount ]; then
			fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT"
		else
			kill -TERM "$pid"
		fi
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		t1=$(date +%s.%N)
		within "$mode: imapfs exits soon after an $how during a stalled fetch (timeout=30)" \
			"$(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')" 3
		mt_kill "$MNT"
	done
done
mt_finish
