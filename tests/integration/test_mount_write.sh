#!/usr/bin/env bash
# Changing mail through the mount, each change checked on the server by the oracle:
# cp (APPEND), a refused cp (no header block; over quota), user.imap.flags, immutable
# messages, touch, rm (with and without UIDPLUS), mv between folders (MOVE or COPY),
# mkdir/rmdir/mv of nested and non-ASCII folders, INBOX protected, rm -r, rsync -a.
#
# usage (through the harness, with --quota small enough for a 4 MB message to be
# refused): with-dovecot --quota=3M [--caps=...] [--delimiter=/] -- \
#     test_mount_write.sh IMAPFS [minimal]
# "minimal": the server lacks UIDPLUS and MOVE, so the fallbacks run.
. "$(dirname "$0")/mount-lib.sh"

MINIMAL=${2:-}
D=$DELIM
MNT=$W/mnt

count() {
	"$ORACLE" count "$1"
}

last_uid() {
	srv_uids "$1" | tail -n 1
}

# LF line ends, as the corpus files have them (the server serves CRLF).
body_lf() {
	"$ORACLE" body "$1" "$2" | tr -d '\r'
}

name() {
	printf '%010d.eml' "$1"
}

mt_mount "$MNT" || mt_finish

# -- cp: APPEND at close --------------------------------------------------------
src=$IMAPFS_CORPUS/default/0001.eml
n=$(count html)
check "cp of a message into a folder succeeds" cp "$src" "$MNT/html/"
check_eq "the server holds one more message in html" $((n + 1)) "$(count html)"
new=$(last_uid html)
body_lf html "$new" >"$W/new.eml"
check_same "the new message has the file's bytes" "$src" "$W/new.eml"
check_eq "the new message has no flags" "" "$("$ORACLE" flags html "$new")"
check "the new message keeps the name it was written under" test -f "$MNT/html/0001.eml"
tr -d '\r' <"$MNT/html/0001.eml" >"$W/new-mnt.eml"
check_same "reading it through the mount gives the same bytes" "$src" "$W/new-mnt.eml"
check_eq "it is not also listed under its UID name" "" "$(ls "$MNT/html" | grep -x "$(name "$new")")"

# Written by two processes in turn through a descriptor they inherited: their closes
# are not the end of the file, the shell's is.
n=$(count html)
{
	head -n 3 "$src"
	tail -n +4 "$src"
} >"$MNT/html/split.eml"
check_eq "a file two processes wrote in turn is sent once" $((n + 1)) "$(count html)"
body_lf html "$(last_uid html)" >"$W/split.eml"
check_same "and whole" "$src" "$W/split.eml"

printf 'just some text\nwithout a header block\n' >"$W/noheader.txt"
n=$(count html)
fails_with "cp of a file without a header block" "Invalid argument" \
	cp "$W/noheader.txt" "$MNT/html/"
check_eq "nothing was sent for it" "$n" "$(count html)"

# Over the quota (3M): the APPEND is refused, cp fails, nothing stays on the server.
{
	printf 'From: big@example.org\nSubject: too big\n\n'
	head -c 3000000 /dev/zero | tr '\0' 'x' | fold -w 76
} >"$W/big.eml"
n=$(count html)
fails_with "cp of a message over the quota" "quota" cp "$W/big.eml" "$MNT/html/"
check_eq "the refused message left nothing on the server" "$n" "$(count html)"

# -- flags, writing over a message, touch ---------------------------------------
f=$MNT/html/0001.eml
check "setfattr user.imap.flags" setfattr -n user.imap.flags -v '\Seen \Flagged $Work' "$f"
check_eq "the server has the flags and the keyword" '$Work \Flagged \Seen' \
	"$("$ORACLE" flags html "$new")"
check_eq "getfattr shows them" '\Seen \Flagged $Work' \
	"$(getfattr --only-values -n user.imap.flags "$f" 2>/dev/null | tr ' ' '\n' | sort -r | tr '\n' ' ' | sed 's/ $//')"
check "setfattr to an empty list" setfattr -n user.imap.flags -v '' "$f"
check_eq "the server's flags are cleared" "" "$("$ORACLE" flags html "$new")"
check_eq "getfattr shows none at once" "" \
	"$(getfattr --only-values -n user.imap.flags "$f" 2>/dev/null)"
fails_with "setfattr of an invalid flag" "Invalid argument" \
	setfattr -n user.imap.flags -v '\Bogus' "$f"

n=$(count html)
old_date=$(srv_meta html | awk -v u="$new" '$1 == u { print $3 }')
check "appending to an existing message" bash -c "echo appended >>'$f'"
check_eq "replaced it: the server holds as many messages" "$n" "$(count html)"
check_eq "the old one is gone" "" "$(srv_uids html | grep -x "$new")"
edited=$(last_uid html)
check_eq "the new one ends with the appended line" "appended" "$(body_lf html "$edited" | tail -n 1)"
check_eq "under the same name" "appended" "$(tail -n 1 "$f" | tr -d '\r')"
check_eq "an edited message keeps its INTERNALDATE" "$old_date" \
	"$(srv_meta html | awk -v u="$edited" '$1 == u { print $3 }')"
meta_before=$(srv_meta html)
fails_with "truncating an existing message to nothing" "Invalid argument" truncate -s 0 "$f"
check "touch of an existing message succeeds" touch "$f"
check_eq "nothing changed on the server" "$meta_before" "$(srv_meta html)"
check_eq "message files are 0600 on a read-write mount" 600 "$(stat -c %a "$f")"

# -- rm --------------------------------------------------------------------------
n=$(count threading)
check "rm of a message" rm "$MNT/threading/$(name 1)"
check_eq "the server no longer has UID 1" "" "$(srv_uids threading | grep -x 1)"
check_eq "and holds one message less" $((n - 1)) "$(count threading)"
check "the file is gone from the mount" test ! -e "$MNT/threading/$(name 1)"

# Another message already \Deleted (by another client).
"$ORACLE" set-flags threading 2 '\Deleted'
if [ "$MINIMAL" = minimal ]; then
	fails_with "rm without UIDPLUS while another message is \\Deleted" \
		"Device or resource busy" rm "$MNT/threading/$(name 3)"
	check_eq "both messages are still on the server" "2 3" \
		"$(srv_uids threading | grep -x '[23]' | tr '\n' ' ' | sed 's/ $//')"
	check_eq "only the other client's \\Deleted flag is set" 2 "$("$ORACLE" deleted threading)"
else
	check "rm with UIDPLUS while another message is \\Deleted" rm "$MNT/threading/$(name 3)"
	check_eq "UID EXPUNGE removed only that message" 2 \
		"$(srv_uids threading | grep -x '[23]' | tr '\n' ' ' | sed 's/ $//')"
fi
"$ORACLE" set-flags threading 2 ''

# -- mv between folders ---------------------------------------------------------
body_lf threading 4 >"$W/moved.eml"
n=$(count lkml)
ls "$MNT/lkml" >/dev/null # loaded: mv then adds the message to its table (COPYUID)
before=$(stat -c '%s %Y' "$MNT/threading/$(name 4)")
check "mv of a message to another folder" mv "$MNT/threading/$(name 4)" "$MNT/lkml/moved-4.eml"
check_eq "the source no longer has it" "" "$(srv_uids threading | grep -x 4)"
check_eq "the destination has one more message" $((n + 1)) "$(count lkml)"
moved=$(last_uid lkml)
body_lf lkml "$moved" >"$W/moved-dst.eml"
check_same "the moved message has the same bytes" "$W/moved.eml" "$W/moved-dst.eml"
check "it shows in the destination under the name it was given" test -f "$MNT/lkml/moved-4.eml"
check_eq "with the same size and date (INTERNALDATE)" "$before" \
	"$(stat -c '%s %Y' "$MNT/lkml/moved-4.eml")"
check "the source file is gone" test ! -e "$MNT/threading/$(name 4)"
# mv keeps the name; onto a name the destination has, it replaces that message.
body_lf threading 5 >"$W/moved5.eml"
check "mv of a message onto a name the destination has" mv "$MNT/threading/$(name 5)" "$MNT/lkml/"
check_eq "the destination holds as many messages" $((n + 1)) "$(count lkml)"
check_eq "its UID 5 was replaced" "" "$(srv_uids lkml | grep -x 5)"
tr -d '\r' <"$MNT/lkml/$(name 5)" >"$W/moved5-mnt.eml"
check_same "the name shows the moved message" "$W/moved5.eml" "$W/moved5-mnt.eml"

# -- folders ---------------------------------------------------------------------
check "mkdir" mkdir "$MNT/NewFolder"
check "mkdir of a nested folder" mkdir "$MNT/NewFolder/Sub"
check "mkdir of a non-ASCII folder" mkdir "$MNT/Übung"
srv_folders >"$W/folders"
check "the server has NewFolder" grep -qx "NewFolder" "$W/folders"
check "the server has NewFolder${D}Sub" grep -qxF "NewFolder${D}Sub" "$W/folders"
check "the server has Übung" grep -qx "Übung" "$W/folders"
check "mv of a folder (RENAME)" mv "$MNT/NewFolder" "$MNT/Renamed"
check "mv of a non-ASCII folder into a nested one" mv "$MNT/Übung" "$MNT/Renamed/Ärger"
srv_folders >"$W/folders"
check_eq "the server's folders after the renames" \
	"$(printf 'Renamed\nRenamed%sSub\nRenamed%sÄrger' "$D" "$D" | sort)" \
	"$(grep -E '^(NewFolder|Renamed|Übung)' "$W/folders" | sort)"
check "the renamed tree shows on the mount" test -d "$MNT/Renamed/Sub" -a -d "$MNT/Renamed/Ärger"
check "rmdir of an empty folder" rmdir "$MNT/Renamed/Sub"
check_eq "the server no longer has it" "" "$(srv_folders | grep -xF "Renamed${D}Sub")"

n=$(count "Archive${D}2024")
fails_with "rmdir of a folder with messages" "Directory not empty" rmdir "$MNT/Archive/2024"
fails_with "rmdir of a folder with a child folder" "Directory not empty" rmdir "$MNT/Archive"
check_eq "rmdir deleted nothing" "$n" "$(count "Archive${D}2024")"
fails_with "rmdir INBOX" "Operation not permitted" rmdir "$MNT/INBOX"
fails_with "mv INBOX" "Operation not permitted" mv "$MNT/INBOX" "$MNT/Inbox2"
check "rm -r of a folder tree" rm -r "$MNT/Archive"
check_eq "the server no longer has Archive or Archive${D}2024" "" \
	"$(srv_folders | grep '^Archive')"

# -- rsync -a of a local copy into an empty folder -------------------------------
srv_dump html "$W/local"
mkdir -p "$W/local"
srv_dump threading "$W/local2"
cp "$W/local2"/* "$W/local/" 2>/dev/null
# The dumps carry the server's UIDs as names; renumber 1..N as a Maildir copy would be.
i=0
mkdir -p "$W/copy"
for f in "$W/local"/*.eml; do
	i=$((i + 1))
	cp "$f" "$W/copy/$(name "$i")"
done
check "mkdir of an empty folder for the backup" mkdir "$MNT/Backup"
check "rsync -a into it" rsync -a "$W/copy/" "$MNT/Backup/"
check_eq "the server holds exactly as many messages" "$i" "$(count Backup)"
srv_dump Backup "$W/back"
if diff -r "$W/copy" "$W/back" >"$W/rsync.diff"; then
	ok "the server's messages are the copied files, byte for byte"
else
	not_ok "the server's messages are the copied files, byte for byte"
	diag "$W/rsync.diff"
fi
check_eq "the mount lists exactly those names" "$(ls "$W/copy")" "$(ls "$MNT/Backup")"

# -- a newcomer whose UID name a written file holds ---------------------------------
check "mkdir of a folder for a name clash" mkdir "$MNT/Clash"
check "cp under the UID name the next message will get" cp "$src" "$MNT/Clash/$(name 2)"
"$ORACLE" append Clash "$IMAPFS_CORPUS/default/0002.eml" >/dev/null
sleep 2.5 # past the revalidation age: the listing asks the server
check_eq "both are listed, the newcomer under a name of its own" \
	"$(printf '%010d-2.eml' 2) $(name 2)" "$(ls "$MNT/Clash" | sort | tr '\n' ' ' | sed 's/ $//')"
check_same "the written name still shows the written file" "$src" \
	<(tr -d '\r' <"$MNT/Clash/$(name 2)")
check_same "the newcomer's name shows the newcomer" "$IMAPFS_CORPUS/default/0002.eml" \
	<(tr -d '\r' <"$MNT/Clash/$(printf '%010d-2.eml' 2)")

# Refusals are logged, one line each, naming the folder and the file.
mt_umount_allowing "$MNT" '^imapfs: (html/noheader\.txt: not stored: not a message|html/big\.eml: not stored: .*[Qq]uota|html/0001\.eml: not stored: not a message: the file is empty|threading: cannot expunge UID 3: another message is marked)' &&
	ok "unmounts cleanly, nothing else on stderr"
mt_finish
