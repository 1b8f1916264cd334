#!/usr/bin/env bash
# cp into the mount (issue 11: everyday tools never lose or duplicate mail), each step
# checked on the server by the oracle and on the mount:
# - a file written under NAME is listed and found as NAME, and not also under its UID
#   name; messages not written through the mount keep their UID names
# - cp over an existing name (written or UID-named) replaces: count unchanged, the old
#   message gone from the server, the new one there under the same name
# - cp -r of a folder into one holding the same names replaces each of them
# - cp -a: INTERNALDATE and st_mtime are the source's mtime; user.imap.flags go along
# - not a message (shell redirection of text, a PNG, an empty file): refused with
#   EINVAL, nothing on the server, one log line per refused file
# - mknod of a regular file, then open/write/close, is a create
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_cp.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt

# Local sources: the threading corpus as t-NN.eml (LF), each with its own mtime, and
# five other messages for the overwrites.
SRC=$W/src
NSRC=$(tt_corpus_copy "$SRC" t 1500000000 90061)
tt_gen "$W/new" 5 new
# EXP mirrors what CpDst must hold after each step.
EXP=$W/exp
cp -a "$SRC" "$EXP"

mt_mount "$MNT" || mt_finish

# -- names -------------------------------------------------------------------------
check "mkdir CpDst" mkdir "$MNT/CpDst"
check_quiet "cp of $NSRC files into it" cp "$SRC"/t-*.eml "$MNT/CpDst/"
check_eq "the server holds $NSRC messages" "$NSRC" "$(tt_count CpDst)"
tt_snap CpDst "$W/s1"
check "the server's messages are the files, each once" tt_cmp bytes "$W/s1" "$EXP"
check "the mount lists exactly the written names, each with its bytes" \
	tt_cmp names "$MNT/CpDst" "$EXP"
check "t-01.eml is found by name" test -f "$MNT/CpDst/t-01.eml"
check "a written message is not also found under its UID name" \
	test ! -e "$MNT/CpDst/$(tt_uidname "$(srv_uids CpDst | head -n 1)")"
check_eq "messages not written through the mount are named by UID" \
	"$(srv_uids threading | while read -r u; do tt_uidname "$u"; echo; done)" \
	"$(ls "$MNT/threading")"

# -- cp over an existing name replaces ----------------------------------------------
n=$(tt_count CpDst)
check_quiet "cp over an existing written name" cp "$W/new/new-01.eml" "$MNT/CpDst/t-01.eml"
cp "$W/new/new-01.eml" "$EXP/t-01.eml"
check_eq "the count is unchanged" "$n" "$(tt_count CpDst)"
tt_snap CpDst "$W/s2"
check "the server has the new message and not the old one" tt_cmp bytes "$W/s2" "$EXP"
check "the mount shows the new bytes under the same name" tt_cmp names "$MNT/CpDst" "$EXP"

# Over a UID-named message: the name stays, the old UID goes.
n=$(tt_count threading)
old2=$(tt_uidname 2)
check_quiet "cp over a UID-named message" cp "$W/new/new-02.eml" "$MNT/threading/$old2"
check_eq "the count of threading is unchanged" "$n" "$(tt_count threading)"
check_eq "the server no longer has UID 2" "" "$(srv_uids threading | grep -x 2)"
check "the server has the new message" \
	cmp -s <(tr -d '\r' <"$W/new/new-02.eml") \
	<("$ORACLE" body threading "$(srv_uids threading | tail -n 1)" | tr -d '\r')
check "the mount shows it under $old2" \
	cmp -s <(tr -d '\r' <"$W/new/new-02.eml") <(tr -d '\r' <"$MNT/threading/$old2")
check_eq "threading still lists $n names, $old2 among them" "$n $old2" \
	"$(ls "$MNT/threading" | wc -l) $(ls "$MNT/threading" | grep -x "$old2")"
check "the new message is not also under its UID name" \
	test ! -e "$MNT/threading/$(tt_uidname "$(srv_uids threading | tail -n 1)")"

# -- cp -r of a folder into one holding the same names -------------------------------
mkdir -p "$W/tree/CpDst"
for k in 2 3 4; do
	cp "$W/new/new-0$((k + 1)).eml" "$W/tree/CpDst/t-0$k.eml"
done
cp "$IMAPFS_CORPUS/default/0005.eml" "$W/tree/CpDst/x-new.eml"
cp "$W/tree/CpDst"/*.eml "$EXP/"
check_quiet "cp -r of a folder onto CpDst (3 same names, 1 new)" cp -r "$W/tree/CpDst" "$MNT/"
check_eq "the server holds one message more" "$((NSRC + 1))" "$(tt_count CpDst)"
tt_snap CpDst "$W/s3"
check "every same-named message was replaced, the new one added" tt_cmp bytes "$W/s3" "$EXP"
check "the mount lists the names with the new bytes" tt_cmp names "$MNT/CpDst" "$EXP"

# -- cp -a: dates and flags ----------------------------------------------------------
check "mkdir CpDates" mkdir "$MNT/CpDates"
check_quiet "cp -a of $NSRC files" cp -a "$SRC"/t-*.eml "$MNT/CpDates/"
check_eq "the server holds $NSRC messages" "$NSRC" "$(tt_count CpDates)"
tt_snap CpDates "$W/s4"
check "with the files' bytes" tt_cmp bytes "$W/s4" "$SRC"
check "INTERNALDATE is each file's mtime" tt_cmp dates "$W/s4" "$SRC"
check "the mount shows the names" tt_cmp names "$MNT/CpDates" "$SRC"
check "st_mtime on the mount is each file's mtime" tt_cmp mtimes "$MNT/CpDates" "$SRC"

mkdir -p "$W/flagged"
cp -a "$SRC/t-01.eml" "$SRC/t-02.eml" "$W/flagged/"
setfattr -n user.imap.flags -v '\Seen \Flagged $Work' "$W/flagged/t-01.eml"
setfattr -n user.imap.flags -v '\Answered' "$W/flagged/t-02.eml"
check "mkdir CpFlags" mkdir "$MNT/CpFlags"
check_quiet "cp -a of files carrying user.imap.flags" cp -a "$W/flagged"/*.eml "$MNT/CpFlags/"
tt_snap CpFlags "$W/s5"
check "the server has the messages" tt_cmp bytes "$W/s5" "$W/flagged"
check "with the flags they carried (sent with the APPEND)" tt_cmp flags "$W/s5" "$W/flagged"
check "and the dates" tt_cmp dates "$W/s5" "$W/flagged"
check_eq "getfattr on the stored file shows the flags" '$Work \Flagged \Seen' \
	"$(getfattr --only-values -n user.imap.flags "$MNT/CpFlags/t-01.eml" 2>/dev/null |
		tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"

# -- mknod of a regular file is a create ---------------------------------------------
n=$(tt_count CpDst)
check "mknod, then open/write/close" python3 - "$MNT/CpDst/made.eml" "$W/new/new-05.eml" <<'EOF'
import os, stat, sys
os.mknod(sys.argv[1], 0o600 | stat.S_IFREG)
data = open(sys.argv[2], "rb").read()
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, data)
os.close(fd)
EOF
cp "$W/new/new-05.eml" "$EXP/made.eml"
check_eq "the server holds one message more" "$((n + 1))" "$(tt_count CpDst)"
tt_snap CpDst "$W/s6"
check "the made message is on the server" tt_cmp bytes "$W/s6" "$EXP"
check "and listed as made.eml with its bytes" tt_cmp names "$MNT/CpDst" "$EXP"

# -- not a message ------------------------------------------------------------------
n=$(tt_count CpDst)
mark=$(tt_err_mark "$MNT")
bash -c 'echo hi >"$1"' _ "$MNT/CpDst/x.txt" 2>"$W/redir.err"
rc=$?
check "the shell's redirection of 'hi' into x.txt fails" test "$rc" -ne 0
check "its stderr says Invalid argument" grep -q "Invalid argument" "$W/redir.err"
tt_png "$W/picture.png"
fails_with "cp of a PNG picture" "Invalid argument" cp "$W/picture.png" "$MNT/CpDst/"
: >"$W/empty.eml"
fails_with "cp of an empty file" "Invalid argument" cp "$W/empty.eml" "$MNT/CpDst/"
check_eq "nothing was stored for them" "$n" "$(tt_count CpDst)"
check_eq "none of them is listed" "" \
	"$(ls -a "$MNT/CpDst" | grep -E '^(x\.txt|picture\.png|empty\.eml)$')"
check "CpDst still holds what it held" tt_cmp names "$MNT/CpDst" "$EXP"
tt_err_since "$MNT" "$mark" >"$W/refused.log"
for f in x.txt picture.png empty.eml; do
	check_eq "imapfs logged one line for $f" 1 "$(grep -cF "$f" "$W/refused.log")"
	check_eq "naming the folder" 1 "$(grep -F "$f" "$W/refused.log" | grep -c CpDst)"
done
check_eq "and no other lines" 3 "$(wc -l <"$W/refused.log")"

mt_umount_allowing "$MNT" 'x\.txt|picture\.png|empty\.eml' && ok "unmounts cleanly"
mt_finish
