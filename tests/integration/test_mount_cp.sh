#!/usr/bin/env bash
# cp of many messages into an empty folder, the write side of issue 6's benchmark: every
# file arrives once with its bytes (line ends aside), the mount at once shows each new
# message under its UID with the server's size and date, and the wire carries one APPEND
# per file and nothing else for it (no SELECT, no search, no re-listing). A file with a
# lone CR goes as it is and its entry is fetched.
#
# usage: with-dovecot --fill=empty -- test_mount_cp.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
SRC=$W/src
N=40
mkdir -p "$SRC"
i=0
# broken/ is left out: some of it is no message at all (imapfs refuses those, EINVAL).
for f in $(find "$IMAPFS_CORPUS" -path '*/broken' -prune -o -name '*.eml' -size -200k -print |
	sort | head -n "$N"); do
	i=$((i + 1))
	cp "$f" "$SRC/$(printf %04d "$i").eml"
done
printf 'Subject: crlf\r\nFrom: a@example.org\r\n\r\nbody\r\n' >"$SRC/crlf.eml"
printf 'Subject: lone cr\nFrom: a@example.org\n\nbo\rdy\n' >"$SRC/lonecr.eml"
total=$((N + 2))

name() {
	printf '%010d.eml' "$1"
}

"${DOVEADM[@]}" mailbox create -u "$USER_NAME" Push
mt_mount "$MNT" imap_trace || mt_finish
ERR=${MT_ERR[$MNT]}
ls "$MNT/Push" >/dev/null
before=$(wc -l <"$ERR")
check "cp of $total files into an empty folder" cp "$SRC"/*.eml "$MNT/Push/"
tail -n +"$((before + 1))" "$ERR" >"$W/cp.trace"
# The watcher's own traffic (IDLE, NOOP, STATUS polls, NOTIFY) and the log-in of pool
# connections opened meanwhile depend on timing and load, not on the copy: they are left
# out of the count.
cmds=$(grep '^imapfs: C: A[0-9]* ' "$W/cp.trace" |
	grep -cvE '^imapfs: C: A[0-9]* (IDLE|NOOP|STATUS|NOTIFY|LOGOUT|STARTTLS|CAPABILITY|AUTHENTICATE|LOGIN|ENABLE) ?')
appends=$(grep -c '^imapfs: C: A[0-9]* APPEND Push' "$W/cp.trace")

check_eq "the server holds $total messages" "$total" "$("$ORACLE" count Push)"
check_eq "one APPEND per file" "$total" "$appends"
check_eq "no SELECT or SEARCH for them" "" \
	"$(grep -E '^imapfs: C: A[0-9]* (SELECT|UID SEARCH|SEARCH)' "$W/cp.trace")"
check_eq "no full re-listing of the folder" "" \
	"$(grep -E '^imapfs: C: A[0-9]* UID FETCH 1:\* \(UID RFC822.SIZE INTERNALDATE FLAGS( MODSEQ)?\)$' \
		"$W/cp.trace")"
# The lone-CR file's FETCH (and its EXAMINE) and what the watcher does on its own
# connection are the only other commands.
if [ "$cmds" -le $((total + 12)) ]; then
	ok "about one command per file ($cmds for $total files)"
else
	not_ok "about one command per file ($cmds for $total files)"
	grep '^imapfs: C: A[0-9]* ' "$W/cp.trace" | grep -v ' APPEND ' | head -n 20 | sed 's/^/#   /'
fi

# cp went in name order, so UID k holds the k-th file, shown under that file's name.
mapfile -t NAMES < <(cd "$SRC" && ls -- *.eml)

# What the mount shows right away is what the server says, for every message.
srv_meta Push >"$W/meta"
bad=0
while read -r uid size date _; do
	got=$(stat -c '%s %Y' "$MNT/Push/${NAMES[$((uid - 1))]}" 2>&1)
	if [ "$got" != "$size $date" ]; then
		[ "$bad" -lt 5 ] && echo "#   $(name "$uid"): mount says '$got', server '$size $date'"
		bad=$((bad + 1))
	fi
done <"$W/meta"
check_eq "size and date through the mount match the server for every message" 0 "$bad"

bad=0
uid=0
for f in "$SRC"/*.eml; do
	uid=$((uid + 1))
	if ! cmp -s <(tr -d '\r' <"$f") <("$ORACLE" body Push "$uid" | tr -d '\r') ||
		! cmp -s <(tr -d '\r' <"$f") <(tr -d '\r' <"$MNT/Push/$(basename "$f")"); then
		[ "$bad" -lt 5 ] && echo "#   $(basename "$f") differs as UID $uid"
		bad=$((bad + 1))
	fi
done
check_eq "every file arrived with its bytes, on the server and through the mount" 0 "$bad"
check_eq "the listing holds exactly the names the files were written under" \
	"$(ls "$SRC")" "$(ls "$MNT/Push")"

# The trace is on stderr: mt_umount checks an empty stand-in, this the real one, where
# nothing but the trace (no warning) may be.
: >"$W/no-stderr"
MT_ERR[$MNT]=$W/no-stderr
mt_umount "$MNT"
check_eq "nothing but the protocol trace on stderr" "" "$(grep -v '^imapfs: [CS]: ' "$ERR")"
mt_finish
