#!/usr/bin/env bash
# Folders and the tools that walk them (issue 11), checked on the server by the oracle:
# - a folder another client creates while mounted is reachable by path within 1 s,
#   without listing its parent again: at the top, nested under a new parent, and
#   under a folder the mount had already listed; its messages are listed
# - directory times (stat %Y) are the same after an unmount and a mount with the
#   same cache_dir, for the root, old folders and folders made during the mount
# - mkdir a.b: on a '.' server it fails with EINVAL, creates nothing, and imapfs logs
#   one line saying why; on a '/' server it is a folder named a.b
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_folders.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
D=$DELIM

# reachable DESC PATH: PATH is a directory on the mount within 1 s (first try at once).
reachable() {
	local desc=$1 p=$2 i start=$(date +%s%N)
	for i in $(seq 11); do
		if test -d "$p" && ls "$p" >/dev/null 2>&1; then
			ok "$desc (after $((($(date +%s%N) - start) / 1000000)) ms)"
			return 0
		fi
		sleep 0.1
	done
	not_ok "$desc (still not there after 1 s)"
	return 1
}

mt_mount "$MNT" || mt_finish
ls "$MNT" "$MNT/html" >/dev/null # the root and html are listed (and cached) first

# -- folders created by another client ------------------------------------------------
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" NewTop
reachable "a new top-level folder is reachable by path" "$MNT/NewTop"
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" "Outer${D}Inner"
reachable "a new nested folder is reachable by path (its parent new too)" "$MNT/Outer/Inner"
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" "html${D}Sub"
reachable "a new child of an already listed folder is reachable by path" "$MNT/html/Sub"
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" WithMail
"$ORACLE" append WithMail "$IMAPFS_CORPUS/default/0001.eml" >/dev/null
"$ORACLE" append WithMail "$IMAPFS_CORPUS/default/0002.eml" >/dev/null
reachable "a new folder holding messages is reachable by path" "$MNT/WithMail"
check_eq "and lists its messages" "$(tt_uidname 1) $(tt_uidname 2)" \
	"$(ls "$MNT/WithMail" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
check "its message reads as the server has it" \
	cmp -s <("$ORACLE" body WithMail 2) "$MNT/WithMail/$(tt_uidname 2)"
check "the root's listing shows NewTop, Outer and WithMail" \
	test "$(ls "$MNT" | grep -cxE 'NewTop|Outer|WithMail')" -eq 3
check "html's listing shows Sub" test "$(ls "$MNT/html" | grep -cx Sub)" -eq 1

# -- mkdir a.b ---------------------------------------------------------------------------
mark=$(tt_err_mark "$MNT")
if [ "$D" = . ]; then
	fails_with "mkdir a.b on a '.' server" "Invalid argument" mkdir "$MNT/a.b"
	check_eq "the server has no folder a.b, nor a" "" "$(srv_folders | grep -xE 'a|a\.b')"
	check "the mount shows no a.b" test ! -e "$MNT/a.b"
	tt_err_since "$MNT" "$mark" >"$W/mkdir.log"
	check_eq "imapfs logged one line about a.b" 1 "$(grep -c 'a\.b' "$W/mkdir.log")"
	check_eq "and nothing else" 1 "$(wc -l <"$W/mkdir.log")"
	sed 's/^/# logged: /' "$W/mkdir.log"
	check "mkdir a-b (no delimiter) works" mkdir "$MNT/a-b"
else
	check_quiet "mkdir a.b on a '/' server" mkdir "$MNT/a.b"
	check_eq "the server has a folder named a.b" a.b "$(srv_folders | grep -x 'a\.b')"
	check "the mount shows it" test -d "$MNT/a.b"
	check_quiet "cp of a message into a.b" cp "$IMAPFS_CORPUS/default/0003.eml" "$MNT/a.b/"
	check_eq "the server's a.b holds it" 1 "$(tt_count a.b)"
	check_eq "nothing was logged" "" "$(tt_err_since "$MNT" "$mark")"
	check "mkdir a-b works" mkdir "$MNT/a-b"
fi

# -- directory times across a remount -------------------------------------------------------
DIRS=". INBOX html html/Sub Archive Archive/2024 NewTop Outer Outer/Inner WithMail a-b"
dir_times() {
	local d
	for d in $DIRS; do
		printf '%s %s\n' "$d" "$(stat -c %Y "$MNT/$d" 2>&1)"
	done
}
dir_times >"$W/times.before"
sleep 1.1 # a time taken from the clock at mount would differ
if [ "$D" = . ]; then
	mt_umount_allowing "$MNT" 'a\.b' && ok "unmounts cleanly (the refused mkdir logged)"
else
	mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
fi
mt_mount "$MNT" || mt_finish
dir_times >"$W/times.after"
check_same "directory times are the same after a remount (same cache_dir)" \
	"$W/times.before" "$W/times.after"
ls -R "$MNT" >/dev/null
dir_times >"$W/times.listed"
check_same "and after listing every folder" "$W/times.before" "$W/times.listed"
check "the folders made during the first mount are there" test -d "$MNT/a-b" -a -d "$MNT/NewTop"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
