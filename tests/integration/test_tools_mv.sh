#!/usr/bin/env bash
# mv and rm through the mount (issue 11), checked on the server by the oracle and on the
# mount: mv of 5 and of 50 messages to another folder (exit 0, nothing on stderr; the
# source loses exactly them, the destination gains them with their bytes, dates and
# flags, under the names they had), mv within a folder (the new name, the same
# message), mv onto an existing name (within a folder and between folders: the old
# message goes), mv back, and rm of single names and of a glob: exactly the messages
# shown under those names are expunged, also where a kept name is another message's
# UID name.
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_mv.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
S=lkml
n=$(tt_uidname 1)

"$ORACLE" set-flags "$S" 3 '\Flagged $Work'
"$ORACLE" set-flags "$S" 12 '\Seen'

# EXP/F: what folder F must hold, named as the mount must show it, with the server's
# dates as mtimes and the flags as user.imap.flags.
tt_snap "$S" "$W/s0"
mkdir -p "$W/exp/$S" "$W/exp/G"
while read -r uid _ date flags; do
	f=$W/exp/$S/$(tt_uidname "$uid")
	cp "$W/s0/$(tt_uidname "$uid")" "$f"
	touch -d "@$date" "$f"
	[ -n "$flags" ] && setfattr -n user.imap.flags -v "$flags" "$f"
done <"$W/s0.meta"
NS=$(wc -l <"$W/s0.meta")

# moved NAME... : move the names from EXP/$S to EXP/G.
moved() {
	local x
	for x in "$@"; do
		mv "$W/exp/$S/$x" "$W/exp/G/"
	done
}

# holds DESC F: the server's and the mount's F is EXP/F.
holds() {
	local desc=$1 f=$2
	check_eq "$desc: $f holds $(ls "$W/exp/$f" | wc -l) messages" \
		"$(ls "$W/exp/$f" | wc -l)" "$(tt_count "$f")"
	tt_snap "$f" "$W/s.$f"
	check "$desc: the server's $f holds exactly the expected messages" \
		tt_cmp bytes "$W/s.$f" "$W/exp/$f"
	check "$desc: with their dates" tt_cmp dates "$W/s.$f" "$W/exp/$f"
	check "$desc: and flags" tt_cmp flags "$W/s.$f" "$W/exp/$f"
	check "$desc: the mount lists $f's names, each with its bytes" \
		tt_cmp names "$MNT/$f" "$W/exp/$f"
}

mt_mount "$MNT" || mt_finish
check "mkdir G" mkdir "$MNT/G"

# -- mv to another folder --------------------------------------------------------------
check_quiet "mv $S/000000000[1-5].eml G/" bash -c 'mv "$1"/000000000[1-5].eml "$2"/' _ \
	"$MNT/$S" "$MNT/G"
moved 000000000{1,2,3,4,5}.eml
check_eq "the server's $S lost exactly UIDs 1-5" \
	"$(seq 6 "$NS")" "$(srv_uids "$S")"
holds "mv of 5" G

set -- "$MNT/$S"/00000000[1-5][0-9].eml
check_eq "the glob names 50 files" 50 "$#"
check_quiet "mv of a glob of 50 files to G/" mv "$@" "$MNT/G/"
moved $(cd "$W/exp/$S" && ls 00000000[1-5][0-9].eml)
check_eq "the server's $S lost exactly UIDs 10-59" \
	"$(seq 6 9; seq 60 "$NS")" "$(srv_uids "$S")"
holds "mv of 50" G
check_eq "G shows the kept name of lkml's UID 10, no UID name of G's own" "" \
	"$(ls "$MNT/G" | grep -vxE '00000000(0[1-5]|[1-5][0-9])\.eml')"

# -- within a folder ---------------------------------------------------------------------
uids=$(srv_uids G)
check_quiet "mv G/$n G/renamed.eml" mv "$MNT/G/$n" "$MNT/G/renamed.eml"
mv "$W/exp/G/$n" "$W/exp/G/renamed.eml"
check "the old name is gone" test ! -e "$MNT/G/$n"
check_eq "the same messages on the server (a rename in a folder sends nothing)" \
	"$uids" "$(srv_uids G)"
holds "rename within G" G

a=$(tt_uidname 2) b=$(tt_uidname 3)
check_quiet "mv G/$a onto the existing G/$b" mv "$MNT/G/$a" "$MNT/G/$b"
mv "$W/exp/G/$a" "$W/exp/G/$b"
holds "mv onto an existing name in G" G

# -- between folders, onto an existing name, and back -------------------------------------
a=$(tt_uidname 4) b=$(tt_uidname 100)
check_quiet "mv G/$a onto the existing $S/$b" mv "$MNT/G/$a" "$MNT/$S/$b"
mv "$W/exp/G/$a" "$W/exp/$S/$b"
holds "mv onto an existing name in $S" G
check_eq "$S still holds $((NS - 55)) messages" "$((NS - 55))" "$(tt_count "$S")"

a=$(tt_uidname 5)
check_quiet "mv G/$a back to $S/" mv "$MNT/G/$a" "$MNT/$S/"
mv "$W/exp/G/$a" "$W/exp/$S/"
check "$S shows it under its old name again" test -f "$MNT/$S/$a"
check "and not under its new UID's name" \
	test ! -e "$MNT/$S/$(tt_uidname "$(srv_uids "$S" | tail -n 1)")"

# -- rm: exactly the message shown under the name --------------------------------------
# G/0000000010.eml is lkml's UID 10 (kept name); G's own UID 10 is another message.
a=$(tt_uidname 10)
check_quiet "rm G/$a" rm "$MNT/G/$a"
rm "$W/exp/G/$a"
holds "rm of a kept name" G
check_quiet "rm G/renamed.eml" rm "$MNT/G/renamed.eml"
rm "$W/exp/G/renamed.eml"
check_quiet "rm of a glob of 20 in G" bash -c 'rm "$1"/00000000[2-3]?.eml' _ "$MNT/G"
rm "$W/exp/G"/00000000[2-3]?.eml
holds "rm of a glob" G
a=$(tt_uidname 200)
check_quiet "rm $S/$a" rm "$MNT/$S/$a"
rm "$W/exp/$S/$a"
check_eq "the server's $S lost exactly UID 200" "" "$(srv_uids "$S" | grep -x 200)"
holds "after everything" "$S"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
