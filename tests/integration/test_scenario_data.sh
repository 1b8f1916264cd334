#!/usr/bin/env bash
# Bad data from a server costs the bad item at most, and floods and odd orders cost
# neither memory nor time (issue 12), against the scenario server
# (tests/harness/scenario-server), whose JSON file is the truth the mount is checked
# against:
# - a folder with one malformed INTERNALDATE lists every message, serves each byte for
#   byte, shows the bad one at the epoch, and the log has one line for it;
# - a message with UID 0 becomes no file, and no command the server sees names UID 0;
# - a listing that repeats its one FETCH line 100,000 times costs little memory;
# - 300,000 messages listed in descending order take about as long as ascending, and
#   the unmount after them is prompt.
#
# usage (through the harness): with-dovecot --fill=empty -- test_scenario_data.sh IMAPFS
# (SC_BIG=N in the environment lists N generated messages instead: a quicker run by hand)
. "$(dirname "$0")/mount-lib.sh"

BIG=${SC_BIG:-300000}
DUPS=100000
MNT=$W/mnt
MSGS=$W/msgs
mkdir -p "$MSGS"

# The messages as files (CRLF, as a server serves them) and the scenario naming them.
python3 - "$W/scenario.json" "$MSGS" "$BIG" "$DUPS" <<'EOF'
import json, os, sys
path, msgs, big, dups = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def msg(folder, uid, **kw):
    name = f"{folder}-{uid}.eml"
    body = (f"From: Sender <s@example.org>\r\nSubject: {folder} {uid}\r\n"
            f"Message-ID: <{folder}-{uid}@example.org>\r\n\r\n"
            + "".join(f"line {i} of {folder} {uid}\r\n" for i in range(uid * 7 + 3)))
    with open(os.path.join(msgs, name), "w", newline="") as f:
        f.write(body)
    return dict(uid=uid, file=os.path.join(msgs, name), **kw)

dates = {1: "01-Jan-2020 00:00:00 +0000", 2: "17-Jul-1996 02:44:25 -0700",
         3: "32-Foo-2020 99:00:00 +0000", 4: "29-Feb-2024 23:30:00 +0130",
         5: " 5-Mar-2021 10:00:00 +0000"}
sc = {"folders": [
    {"name": "INBOX", "messages": []},
    {"name": "Dates", "uidvalidity": 11,
     "messages": [msg("Dates", u, internaldate=d) for u, d in dates.items()]},
    {"name": "Zero", "uidvalidity": 12,
     "messages": [msg("Zero", 0), msg("Zero", 1), msg("Zero", 2), msg("Zero", 3)]},
    {"name": "Dup", "uidvalidity": 13, "dup_fetch": dups, "messages": [msg("Dup", 1)]},
    {"name": "Asc", "uidvalidity": 14, "generate": {"count": big, "size": 200}},
    {"name": "Desc", "uidvalidity": 15, "order": "desc",
     "generate": {"count": big, "size": 200}},
]}
with open(path, "w") as f:
    json.dump(sc, f)
EOF

sc_start "$W/scenario.json"

# -- one FETCH line repeated ----------------------------------------------------------------
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$2/status"; }
# A mount of its own, whose memory is measured before and after the listing. Under
# ASan (scripts/check), freed memory would wait in its quarantine and count: not here.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0 \
	sc_mount "$MNT" || mt_finish
pid=${MT_PID[$MNT]}
rss0=$(kb VmRSS "$pid") hwm0=$(kb VmHWM "$pid")
ls -l "$MNT/Dup" >"$W/dup.ls"
rss1=$(kb VmRSS "$pid") hwm1=$(kb VmHWM "$pid")
echo "# Dup ($DUPS repeats): VmRSS ${rss0} -> ${rss1} kB, VmHWM ${hwm0} -> ${hwm1} kB"
check_eq "Dup: one file" 1 "$(grep -c '\.eml$' "$W/dup.ls")"
check_same "Dup: served byte for byte" "$MSGS/Dup-1.eml" "$MNT/Dup/0000000001.eml"
# A table entry per line would be 4 MB (40 bytes each), more with the array's slack.
check "Dup: VmHWM grew by under 3 MB (${hwm0} -> ${hwm1} kB)" test $((hwm1 - hwm0)) -lt 3072
check "Dup: VmRSS grew by under 3 MB (${rss0} -> ${rss1} kB)" test $((rss1 - rss0)) -lt 3072

mt_umount "$MNT"

# -- the other cases, on one mount ----------------------------------------------------------
sc_mount "$MNT" || mt_finish
ERR=${MT_ERR[$MNT]}

# -- one malformed INTERNALDATE ---------------------------------------------------------
check_eq "Dates: every message listed, the bad date too" \
	"0000000001.eml 0000000002.eml 0000000003.eml 0000000004.eml 0000000005.eml" \
	"$(ls "$MNT/Dates" | tr '\n' ' ' | sed 's/ $//')"
for u in 1 2 3 4 5; do
	check_same "Dates: UID $u served byte for byte" "$MSGS/Dates-$u.eml" \
		"$MNT/Dates/$(printf %010d $u).eml"
done
for u in 1 2 4 5; do
	want=$(python3 -c 'import datetime, json, sys
d = json.load(open(sys.argv[1]))["folders"][1]["messages"][int(sys.argv[2]) - 1]
print(int(datetime.datetime.strptime(d["internaldate"].strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()))' \
		"$W/scenario.json" "$u")
	check_eq "Dates: UID $u has its INTERNALDATE as mtime" "$want" \
		"$(stat -c %Y "$MNT/Dates/$(printf %010d $u).eml")"
done
check_eq "Dates: the bad date shows as the epoch" 0 "$(stat -c %Y "$MNT/Dates/0000000003.eml")"

# -- UID 0 --------------------------------------------------------------------------------
check_eq "Zero: UID 0 is no file" "0000000001.eml 0000000002.eml 0000000003.eml" \
	"$(ls "$MNT/Zero" | tr '\n' ' ' | sed 's/ $//')"
fails_with "Zero: stat 0000000000.eml" "No such file" stat "$MNT/Zero/0000000000.eml"
# One cat of all, in order: the read-ahead fetches the messages after the first.
cat "$MNT"/Zero/*.eml >"$W/zero.all"
cat "$MSGS"/Zero-1.eml "$MSGS"/Zero-2.eml "$MSGS"/Zero-3.eml >"$W/zero.want"
check_same "Zero: the other messages served byte for byte" "$W/zero.want" "$W/zero.all"

# -- 300,000 messages, both orders -------------------------------------------------------------
list_time() { # FOLDER: ms to list it; the count goes to $W/FOLDER.n
	local t0 t1
	t0=$(date +%s%N)
	ls -f "$MNT/$1" | grep -c '\.eml$' >"$W/$1.n"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
asc=$(list_time Asc)
desc=$(list_time Desc)
echo "# $BIG messages: ascending ${asc} ms, descending ${desc} ms"
check_eq "Asc: every message listed" "$BIG" "$(cat "$W/Asc.n")"
check_eq "Desc: every message listed" "$BIG" "$(cat "$W/Desc.n")"
check "Desc: listed within 2 x ascending + 2 s (${desc} ms vs ${asc} ms)" \
	test "$desc" -le $((2 * asc + 2000))
check_same "Desc: the last message served byte for byte" \
	<(python3 - "$BIG" <<'EOF'
import sys
uid = int(sys.argv[1])
head = (f"From: Sender {uid} <s{uid}@example.org>\r\nSubject: generated message {uid}\r\n"
        f"Message-ID: <gen-{uid}@example.org>\r\n\r\n").encode()
sys.stdout.buffer.write(head + (b"x" * 70 + b"\r\n") * max(0, (200 - len(head)) // 72))
EOF
) "$MNT/Desc/$(printf %010d "$BIG").eml"

# -- what the log and the server saw ---------------------------------------------------------
t0=$(date +%s%N)
mt_umount_allowing "$MNT" '^imapfs: (Dates: UID 3 |Zero: ignored a FETCH line)'
t1=$(date +%s%N)
echo "# unmount took $(((t1 - t0) / 1000000)) ms"
check_eq "log: one line for the bad date" 1 "$(grep -c 'Dates: UID 3 ' "$ERR")"
check "log: it names the file and quotes the server" \
	grep -qF 'imapfs: Dates: UID 3 (0000000003.eml): INTERNALDATE "32-Foo-2020 99:00:00 +0000" is not a date' "$ERR"
check_eq "log: one line for UID 0" 1 "$(grep -c 'Zero: ignored a FETCH line .*UID 0$' "$ERR")"
check_eq "server: no command named UID 0" "" \
	"$(grep -E 'UID [A-Z]+ ([0-9:,*]*[,:])?0([,:][0-9:,*]*)? ' "$SC_LOG")"

mt_finish
