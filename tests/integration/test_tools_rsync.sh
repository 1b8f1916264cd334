#!/usr/bin/env bash
# rsync into the mount (issue 11), each run checked on the server by the oracle and on
# the mount. rsync writes .NAME.XXXXXX, closes it, sets its times (and with -X its
# xattrs) by path, and renames it to NAME: the mount sends it at the rename, with the
# date and the flags.
# - a copy made out of the mount (CRLF) rsynced into an empty folder: names, bytes,
#   INTERNALDATE = mtime; a second run transfers nothing and changes nothing
# - --delete into a folder holding other messages under the same names: they are
#   replaced, the extra one expunged; a second run transfers nothing
# - an LF copy of corpus files: a re-run may send again but never duplicates
# - -aX of files carrying user.imap.flags: the flags are on the server, getfattr shows
#   them on the stored file
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_rsync.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt

# R2 holds 13 other messages (UIDs 1..13) before the --delete runs.
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" R2
tt_gen "$W/other" 13 other
for f in "$W/other"/*.eml; do
	"$ORACLE" append R2 "$f" >/dev/null
done

mt_mount "$MNT" || mt_finish

# transferred FILE: rsync --stats' count of regular files transferred.
transferred() {
	sed -n 's/^Number of regular files transferred: //p' "$1"
}

# synced FOLDER SRC DESC: FOLDER on the server and the mount is SRC.
synced() {
	local f=$1 src=$2 desc=$3
	check_eq "$desc: $f holds as many messages as ${src##*/}/ has files" \
		"$(find "$src" -type f | wc -l)" "$(tt_count "$f")"
	tt_snap "$f" "$W/s.$f"
	check "$desc: the server's messages are the files, each once" tt_cmp bytes "$W/s.$f" "$src"
	check "$desc: INTERNALDATE of each is its file's mtime" tt_cmp dates "$W/s.$f" "$src"
	check "$desc: the mount lists exactly the names, each with its bytes" \
		tt_cmp names "$MNT/$f" "$src"
	check "$desc: st_mtime of each is its file's mtime" tt_cmp mtimes "$MNT/$f" "$src"
}

# -- a copy made out of the mount --------------------------------------------------
check_quiet "rsync -a of threading out of the mount" rsync -a "$MNT/threading/" "$W/crlf/"
tt_snap threading "$W/s.threading"
check "the copy holds the server's messages" tt_cmp bytes "$W/s.threading" "$W/crlf"
check "with their dates" tt_cmp dates "$W/s.threading" "$W/crlf"

check "mkdir R1" mkdir "$MNT/R1"
check_quiet "rsync -a --stats into the empty R1" \
	rsync -a --stats "$W/crlf/" "$MNT/R1/"
rsync -a --stats "$W/crlf/" "$MNT/R1/" >"$W/r1.stats" 2>&1 # the second run
check_eq "the second run transfers no file" 0 "$(transferred "$W/r1.stats")"
synced R1 "$W/crlf" "rsync -a twice"
meta=$(srv_meta R1)
rsync -a --stats "$W/crlf/" "$MNT/R1/" >"$W/r1.stats3" 2>&1
check_eq "a third run transfers no file either" 0 "$(transferred "$W/r1.stats3")"
check_eq "and changes nothing on the server (UIDs, dates, flags)" "$meta" "$(srv_meta R1)"

# -- --delete over other messages under the same names ------------------------------
check_eq "R2 holds the 13 other messages" 13 "$(tt_count R2)"
check_quiet "rsync -a --delete into R2" rsync -a --delete "$W/crlf/" "$MNT/R2/"
synced R2 "$W/crlf" "rsync -a --delete"
rsync -a --delete --stats "$W/crlf/" "$MNT/R2/" >"$W/r2.stats" 2>&1
check_eq "the second --delete run transfers no file" 0 "$(transferred "$W/r2.stats")"
check_eq "and deletes none" "" "$(grep '^deleting ' "$W/r2.stats")"
synced R2 "$W/crlf" "rsync -a --delete twice"

# -- an LF copy: a re-run may send again, never twice ------------------------------
tt_corpus_copy "$W/lf" lf 1400000000 7777 >/dev/null
check "mkdir R3" mkdir "$MNT/R3"
for run in 1 2 3; do
	check_quiet "rsync -a of LF files into R3, run $run" rsync -a "$W/lf/" "$MNT/R3/"
	synced R3 "$W/lf" "LF rsync run $run"
done

# -- -aX: user.imap.flags go with the APPEND ------------------------------------------
mkdir -p "$W/xsrc"
cp -a "$W/crlf"/* "$W/xsrc/"
set -- "$W/xsrc"/*
setfattr -n user.imap.flags -v '\Seen \Flagged $Work' "$1"
setfattr -n user.imap.flags -v '\Answered' "$2"
setfattr -n user.imap.flags -v '\Seen' "$3"
x1=$(basename "$1")
check "mkdir RX" mkdir "$MNT/RX"
check_quiet "rsync -aX of files carrying user.imap.flags" rsync -aX "$W/xsrc/" "$MNT/RX/"
synced RX "$W/xsrc" "rsync -aX"
check "rsync -aX: each message has its file's flags" tt_cmp flags "$W/s.RX" "$W/xsrc"
check_eq "getfattr -n user.imap.flags on the stored $x1" '$Work \Flagged \Seen' \
	"$(getfattr --only-values -n user.imap.flags "$MNT/RX/$x1" 2>/dev/null |
		tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check "getfattr -d (listxattr) lists user.imap.flags on it" \
	grep -q '^user\.imap\.flags=' <(getfattr -d "$MNT/RX/$x1" 2>&1)
meta=$(srv_meta RX)
rsync -aX --stats "$W/xsrc/" "$MNT/RX/" >"$W/rx.stats" 2>&1
check_eq "a second -aX run transfers no file" 0 "$(transferred "$W/rx.stats")"
check_eq "and changes nothing on the server" "$meta" "$(srv_meta RX)"

# Flags changed on the source only: -aX sets them on the stored message (a STORE, not
# a new APPEND).
uids=$(srv_uids RX)
setfattr -n user.imap.flags -v '\Seen' "$1"
check_quiet "rsync -aX after a flag change on the source" rsync -aX "$W/xsrc/" "$MNT/RX/"
tt_snap RX "$W/s.RX2"
check "the server's flags follow" tt_cmp flags "$W/s.RX2" "$W/xsrc"
check_eq "and no message was sent again (same UIDs)" "$uids" "$(srv_uids RX)"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
