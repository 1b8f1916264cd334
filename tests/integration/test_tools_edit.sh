#!/usr/bin/env bash
# Editing messages in place through the mount (issue 11): vim's real write path (:wq!,
# :w then :q; backupcopy=auto, =no, where vim renames the original aside, =yes, where it
# truncates it in place, and no backup at all), sed -i
# (a temporary file renamed onto the name) and the shell's `cat new >existing`
# (O_TRUNC). Each must end with exactly one message under the same name, edited: the
# server holds the new bytes and not the old ones, the count is unchanged, and no
# temporary, backup or swap file is left in the folder. Both UID-named messages and
# messages written through the mount under a name of their own are edited.
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_edit.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt

# Every case edits one file in a folder of its own, so that one failure does not
# spill into the next: EdN holds two messages put there by another client (UID 1 and
# 2, UID-named) and one written through the mount as note.eml. Every body has "foo".
CASES=12
tt_gen "$W/gen" $((CASES * 2)) msg
tt_gen "$W/notes" "$CASES" note
tt_gen "$W/repl" 2 replacement
for c in $(seq "$CASES"); do
	"${DOVEADM[@]}" mailbox create -u "$USER_NAME" "Ed$c"
	"$ORACLE" append "Ed$c" "$W/gen/msg-$(printf %02d $((c * 2 - 1))).eml" >/dev/null
	"$ORACLE" append "Ed$c" "$W/gen/msg-$(printf %02d $((c * 2))).eml" >/dev/null
done
u1=$(tt_uidname 1)

mt_mount "$MNT" || mt_finish

# EXP/EdN: what the folder must show (the server's bytes of UID 1 and 2, note.eml);
# each case edits it the same way locally.
for c in $(seq "$CASES"); do
	mkdir -p "$W/exp/Ed$c"
	"$ORACLE" body "Ed$c" 1 >"$W/exp/Ed$c/$u1"
	"$ORACLE" body "Ed$c" 2 >"$W/exp/Ed$c/$(tt_uidname 2)"
	cp "$W/notes/note-$(printf %02d "$c").eml" "$W/exp/Ed$c/note.eml"
	cp "$W/notes/note-$(printf %02d "$c").eml" "$MNT/Ed$c/note.eml" ||
		not_ok "cp of note.eml into Ed$c"
done
check "the mount shows the two UID-named messages and note.eml in Ed1" \
	tt_cmp names "$MNT/Ed1" "$W/exp/Ed1"

# edited DESC FOLDER NAME: after an edit of FOLDER/NAME (applied to EXP/FOLDER too), the
# server and the mount hold EXP/FOLDER: 3 messages, the edited one once, under NAME.
edited() {
	local desc=$1 f=$2 name=$3
	check_eq "$desc: the count is unchanged" 3 "$(tt_count "$f")"
	tt_snap "$f" "$W/s.$f"
	check "$desc: the server has the edited message, not the old one" \
		tt_cmp bytes "$W/s.$f" "$W/exp/$f"
	check "$desc: the mount shows it under $name, nothing else was added" \
		tt_cmp names "$MNT/$f" "$W/exp/$f"
}

# vim -es drives vim's real write path. Its default backupskip holds /tmp/*, where the
# mount is: set it empty, as for a mount in one's home, so that vim makes its backup
# (backupcopy=auto: an empty probe file "4913", then rename NAME to NAME~, create NAME,
# write, fsync, close, unlink NAME~; =yes: copy to NAME~, then truncate NAME in place;
# =no: the rename). The swap file .NAME.swp goes into the folder first ('directory').
# vim -es exits 1 after any error message (E297 for a swap file it could not write...):
# those go to stderr, where check_quiet sees them.
vim_run() {
	local f=$1 rc
	shift
	vim -es -u DEFAULTS -i NONE --cmd "redir! >$W/vim.msgs" "$@" "$f" </dev/null
	rc=$?
	[ "$rc" -eq 0 ] || grep -E '^E[0-9]+:' "$W/vim.msgs" >&2
	return "$rc"
}

vim_edit() {
	local f=$1
	shift
	vim_run "$f" -c 'set backupskip=' "$@"
}

# case N DESC NAME SED COMMAND...: run COMMAND (on EdN/NAME), apply SED to EXP's copy
# (or, when SED starts with "<", copy that file over it), then check.
case_() {
	local c=$1 desc=$2 name=$3 sedexpr=$4
	shift 4
	check_quiet "$desc on Ed$c/$name" "$@"
	if [ "${sedexpr#<}" != "$sedexpr" ]; then
		cp "${sedexpr#<}" "$W/exp/Ed$c/$name"
	else
		sed -i "$sedexpr" "$W/exp/Ed$c/$name"
	fi
	edited "$desc" "Ed$c" "$name"
}

case_ 1 "vim :%s/foo/bar/ then :wq!" "$u1" s/foo/bar/ \
	vim_edit "$MNT/Ed1/$u1" -c '%s/foo/bar/' -c 'wq!'
case_ 2 "vim :w then :q" "$u1" s/foo/bar/ \
	vim_edit "$MNT/Ed2/$u1" -c '%s/foo/bar/' -c w -c q
case_ 3 "vim :wq! on a file written through the mount" note.eml s/foo/bar/ \
	vim_edit "$MNT/Ed3/note.eml" -c '%s/foo/bar/' -c 'wq!'
case_ 4 "vim with backupcopy=no (rename aside, write anew)" "$u1" s/foo/bar/ \
	vim_edit "$MNT/Ed4/$u1" -c 'set backupcopy=no' -c '%s/foo/bar/' -c 'wq!'
case_ 5 "vim with backupcopy=yes (copy aside, truncate in place)" note.eml s/foo/bar/ \
	vim_edit "$MNT/Ed5/note.eml" -c 'set backupcopy=yes' -c '%s/foo/bar/' -c 'wq!'
# Without a backup (vim's own backupskip holds /tmp/*): open NAME O_WRONLY, ftruncate
# 0, write, fsync, close.
case_ 6 "vim without a backup (backupskip=/tmp/*)" "$u1" s/foo/bar/ \
	vim_run "$MNT/Ed6/$u1" -c '%s/foo/bar/' -c 'wq!'
case_ 7 "sed -i s/foo/bar/" "$u1" s/foo/bar/ sed -i s/foo/bar/ "$MNT/Ed7/$u1"
case_ 8 "sed -i s/foo/bar/" note.eml s/foo/bar/ sed -i s/foo/bar/ "$MNT/Ed8/note.eml"
case_ 9 "cat new >existing (O_TRUNC)" "$u1" "<$W/repl/replacement-01.eml" \
	bash -c 'cat "$1" >"$2"' _ "$W/repl/replacement-01.eml" "$MNT/Ed9/$u1"
case_ 10 "cat new >existing (O_TRUNC)" note.eml "<$W/repl/replacement-02.eml" \
	bash -c 'cat "$1" >"$2"' _ "$W/repl/replacement-02.eml" "$MNT/Ed10/note.eml"
# Twice: the second edit finds a message that the mount itself sent under that name.
case_ 11 "vim :wq!" "$u1" s/foo/bar/ vim_edit "$MNT/Ed11/$u1" -c '%s/foo/bar/' -c 'wq!'
case_ 11 "vim :wq! a second time" "$u1" s/bar/baz/ \
	vim_edit "$MNT/Ed11/$u1" -c '%s/bar/baz/' -c 'wq!'
case_ 12 "sed -i" "$u1" s/foo/bar/ sed -i s/foo/bar/ "$MNT/Ed12/$u1"
case_ 12 "then vim :wq!" "$u1" s/bar/baz/ vim_edit "$MNT/Ed12/$u1" -c '%s/bar/baz/' -c 'wq!'

for c in $(seq "$CASES"); do
	ls -a "$MNT/Ed$c"
done | grep -vE '^(\.|\.\.|[0-9]{10}\.eml|note\.eml)$' >"$W/leftovers"
check_eq "no swap, backup or temporary file is left in any folder" "" "$(cat "$W/leftovers")"

# vim's swap files and its empty probe file 4913 are not messages: imapfs may log them
# as refused (vim goes on without them). Nothing else may be logged.
grep -E '4913|\.sw[a-z]' "${MT_ERR[$MNT]}" | head -n 3 | sed 's/^/# logged: /'
mt_umount_allowing "$MNT" '4913|\.sw[a-z]' && ok "unmounts cleanly"
mt_finish
