#!/usr/bin/env bash
# tar through the mount (issue 11), each extraction checked on the server by the oracle
# and on the mount: tar c of a folder, then tar x into new folders with the members in
# name order, reversed and shuffled (so a member named like another message's UID name
# arrives before or after it), again over the same names (tar unlinks and creates
# again), with --xattrs (user.imap.flags set on the new file before it is sent: tar
# mknods, setxattrs, opens, writes, sets times on the descriptor, closes), and an archive
# holding the folder itself. Each time: the count, the names, the bytes and the dates
# (INTERNALDATE and st_mtime = the member's mtime) equal the originals.
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_tar.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
SRCF=threading

# Flags on some of the originals, for --xattrs.
"$ORACLE" set-flags "$SRCF" 1 '\Seen \Flagged $Work'
"$ORACLE" set-flags "$SRCF" 3 '\Answered'
"$ORACLE" set-flags "$SRCF" 5 '\Seen'

mt_mount "$MNT" || mt_finish
N=$(tt_count "$SRCF")

# The originals as the mount shows them (CRLF, mtimes, user.imap.flags).
check_quiet "cp -a of the originals out of the mount" cp -a "$MNT/$SRCF" "$W/orig"
tt_snap "$SRCF" "$W/s0"
check "the local copy holds the server's messages" tt_cmp bytes "$W/s0" "$W/orig"
check "and their dates" tt_cmp dates "$W/s0" "$W/orig"
check "and their flags" tt_cmp flags "$W/s0" "$W/orig"

# Archives of the folder read through the mount, members in three orders.
cd "$MNT/$SRCF" || exit 1
ls | sort >"$W/order.fwd"
sort -r "$W/order.fwd" >"$W/order.rev"
shuf --random-source=<(yes) "$W/order.fwd" >"$W/order.shuf"
cd "$W" || exit 1
for o in fwd rev shuf; do
	check_quiet "tar c ($o order) of $SRCF from the mount" \
		tar cf "$W/$o.tar" -C "$MNT/$SRCF" -T "$W/order.$o"
done
check_quiet "tar --xattrs c (shuffled order)" \
	tar --xattrs -cf "$W/xattrs.tar" -C "$MNT/$SRCF" -T "$W/order.shuf"
check_eq "the archive holds $N members" "$N" "$(tar tf "$W/fwd.tar" | wc -l)"
mkdir -p "$W/untar"
tar xf "$W/fwd.tar" -C "$W/untar"
check "its members are the messages as the mount shows them" diff -r "$W/orig" "$W/untar"
check_eq "the shuffled order is not the name order" 1 \
	"$(cmp -s "$W/order.fwd" "$W/order.shuf"; echo $?)"

# extracted FOLDER ARCHIVE DESC: tar x ARCHIVE into the new folder FOLDER of the mount,
# then check it against the originals.
extracted() {
	local f=$1 a=$2 desc=$3
	shift 3
	check "mkdir $f" mkdir "$MNT/$f"
	check_quiet "tar x ($desc) into $f" tar "$@" -xf "$a" -C "$MNT/$f"
	check_eq "$f holds $N messages on the server" "$N" "$(tt_count "$f")"
	tt_snap "$f" "$W/s.$f"
	check "$f: the server's messages are the originals, each once" \
		tt_cmp bytes "$W/s.$f" "$W/orig"
	check "$f: INTERNALDATE of each is its original's date" tt_cmp dates "$W/s.$f" "$W/orig"
	check "$f: the mount lists the original names, each with its bytes" \
		tt_cmp names "$MNT/$f" "$W/orig"
	check "$f: st_mtime of each is its original's" tt_cmp mtimes "$MNT/$f" "$W/orig"
}

extracted TarFwd "$W/fwd.tar" "name order"
extracted TarRev "$W/rev.tar" "reverse order"
extracted TarShuf "$W/shuf.tar" "shuffled order"

# Again over the same names: tar's O_EXCL create fails, it unlinks the name and creates
# it again. Nothing may be duplicated or lost.
check_quiet "tar x again over the same names (TarRev)" tar xf "$W/shuf.tar" -C "$MNT/TarRev"
check_eq "TarRev still holds $N messages" "$N" "$(tt_count TarRev)"
tt_snap TarRev "$W/s.again"
check "TarRev: the originals, each once" tt_cmp bytes "$W/s.again" "$W/orig"
check "TarRev: dates kept" tt_cmp dates "$W/s.again" "$W/orig"
check "TarRev: the same names" tt_cmp names "$MNT/TarRev" "$W/orig"

# --xattrs: the flags go with the APPEND.
extracted TarX "$W/xattrs.tar" "--xattrs, shuffled" --xattrs
check "TarX: each message has its original's flags" tt_cmp flags "$W/s.TarX" "$W/orig"
f1=$(head -n 1 "$W/order.fwd")
check_eq "getfattr -n user.imap.flags on the extracted $f1" '$Work \Flagged \Seen' \
	"$(getfattr --only-values -n user.imap.flags "$MNT/TarX/$f1" 2>/dev/null |
		tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
check "getfattr -d (listxattr) lists user.imap.flags on it" \
	grep -q '^user\.imap\.flags=' <(getfattr -d "$MNT/TarX/$f1" 2>&1)

# An archive holding the folder itself (tar c -C MNT threading): mkdir, members, and
# the folder's times at the end.
check_quiet "tar c of the folder itself" tar cf "$W/tree.tar" -C "$MNT" "$SRCF"
check "mkdir TarTree" mkdir "$MNT/TarTree"
check_quiet "tar x of it into TarTree" tar xf "$W/tree.tar" -C "$MNT/TarTree"
sub=TarTree$DELIM$SRCF
check_eq "TarTree/$SRCF holds $N messages on the server" "$N" "$(tt_count "$sub")"
tt_snap "$sub" "$W/s.tree"
check "TarTree/$SRCF: the originals with their dates" tt_cmp dates "$W/s.tree" "$W/orig"
check "TarTree/$SRCF: the original names" tt_cmp names "$MNT/TarTree/$SRCF" "$W/orig"

check_eq "the original folder is untouched" "$(cat "$W/s0.meta")" "$(srv_meta "$SRCF")"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
