#!/usr/bin/env bash
# Reading through the mount with ordinary tools: find, cat, grep -r, cp -r, rsync,
# tar, stat, getfattr, df.  The server's view comes from the harness's oracle (an
# independent IMAP client) and from doveadm; the mount must show exactly that.
#
# usage (through the harness): with-dovecot [--delimiter=/] -- test_mount_read.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
EXP=$W/expected

# Flags set before mounting by another client, shown by getfattr on the mount.
"${DOVEADM[@]}" flags add -u "$USER_NAME" '\Flagged $Work' mailbox lkml uid 2
# seen_list: every "folder uid" with \Seen.
seen_list() {
	srv_folders | while IFS= read -r f; do
		srv_meta "$f" | awk -v f="$f" '/\\Seen/ { print f, $1 }'
	done | sort
}
# \Seen before reading, to check afterwards that reading set none.
seen_list >"$W/seen.before"

if ! srv_tree "$EXP"; then
	not_ok "the oracle dumps the server's folders"
	mt_finish
fi
mt_mount "$MNT" || mt_finish

# -- the tree ---------------------------------------------------------------------
tree_listing "$MNT" d >"$W/dirs"
check_same "find lists exactly the server's folders as directories" "$EXP.dirs" "$W/dirs"
tree_listing "$MNT" f >"$W/files"
check_same "find lists exactly the server's messages as %010u.eml files" "$EXP.files" "$W/files"
check "no other kind of file on the mount" test -z "$(find "$MNT" ! -type f ! -type d)"
check "a message that is not there is ENOENT" \
	bash -c "stat '$MNT/INBOX/9999999999.eml' 2>&1 | grep -q 'No such file or directory'"

# -- the bytes ----------------------------------------------------------------------
check "every file's bytes equal BODY[] from the oracle (diff -r)" diff -r -q "$EXP" "$MNT"

(cd "$MNT" && find . -type f -printf '%s %P\n' | sort -k2) >"$W/sizes.mnt"
(cd "$EXP" && find . -type f -printf '%s %P\n' | sort -k2) >"$W/sizes.exp"
check_same "st_size equals the number of bytes served" "$W/sizes.exp" "$W/sizes.mnt"

for pat in '^Subject: .*PATCH' 'Signed-off-by' '^Content-Transfer-Encoding: base64'; do
	(cd "$EXP" && grep -r -- "$pat" . | sort) >"$W/grep.exp"
	(cd "$MNT" && grep -r -- "$pat" . | sort) >"$W/grep.mnt"
	if [ -s "$W/grep.exp" ]; then
		check_same "grep -r '$pat' over the mount equals grep -r over the dump" \
			"$W/grep.exp" "$W/grep.mnt"
	else
		not_ok "grep -r '$pat' finds something in the oracle's dump"
	fi
done

check "cp -r of the mount exits 0" cp -r "$MNT" "$W/copy"
check "cp -r of the mount is byte-identical to the server" diff -r -q "$EXP" "$W/copy"

# -- backup tools -------------------------------------------------------------------
check "a first rsync -a of the mount exits 0" rsync -a "$MNT/" "$W/rsync/"
check "rsync -a copied the server's bytes" diff -r -q "$EXP" "$W/rsync"
rsync -a -i --stats "$MNT/" "$W/rsync/" >"$W/rsync2.out" 2>&1
n=$(sed -n 's/^Number of regular files transferred: //p' "$W/rsync2.out")
check_eq "a second rsync -a transfers no file" 0 "$n"
check "a second rsync -a itemizes no change" bash -c "! grep -E '^[<>ch.*][fdL]' '$W/rsync2.out'"

# Not `tar -cf /dev/null`: GNU tar does not read the files when it writes to
# /dev/null, and the point is that reading them causes no "file changed as we read
# it" or "file shrank" warning (st_size or st_mtime moving under tar).
mkdir -p "$W/untar"
tar -cf - -C "$MNT" . 2>"$W/tar.err" | tar -xf - -C "$W/untar"
rc=${PIPESTATUS[0]}
check_eq "tar -c of the mount exits 0" 0 "$rc"
check "tar -c of the mount warns of nothing (empty stderr)" test ! -s "$W/tar.err"
diag "$W/tar.err"
check "tar -c of the mount archives the server's bytes" diff -r -q "$EXP" "$W/untar"

# -- attributes ---------------------------------------------------------------------
: >"$W/mtime.exp"
: >"$W/mtime.mnt"
while IFS= read -r f; do
	p=$(mbox_to_path "$f")
	srv_meta "$f" |
		awk -v p="$p" '{ printf "%s/%010d.eml %s\n", p, $1, $3 }' >>"$W/mtime.exp"
	(cd "$MNT" && find "$p" -maxdepth 1 -type f -printf '%p %T@\n') |
		sed 's/\.[0-9]*$//' >>"$W/mtime.mnt"
done <"$EXP.folders"
sort -o "$W/mtime.exp" "$W/mtime.exp"
sort -o "$W/mtime.mnt" "$W/mtime.mnt"
check_same "st_mtime of every message equals its INTERNALDATE" "$W/mtime.exp" "$W/mtime.mnt"
f=$(head -n 1 "$EXP.files")
check_eq "st_ctime equals st_mtime" "$(stat -c %Y "$MNT/$f")" "$(stat -c %Z "$MNT/$f")"

check "st_ino is unique across the mount" \
	test "$(find "$MNT" -printf '%i\n' | sort | uniq -d | wc -l)" -eq 0

fl=$(getfattr --only-values -n user.imap.flags "$MNT/lkml/0000000002.eml" 2>"$W/getfattr.err")
check "getfattr -n user.imap.flags shows \\Flagged set by another client ($fl)" \
	grep -qw -- '\\Flagged' <<<"$fl"
check "getfattr -n user.imap.flags shows the keyword \$Work ($fl)" grep -qw -- '\$Work' <<<"$fl"

# Compared as sets: the order of the flags in the xattr is not part of the contract.
sorted_flags() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
check_eq "user.imap.flags equals the server's flags, no more (no session flag like \\Recent)" \
	"$("$ORACLE" flags lkml 2 | sorted_flags)" "$(sorted_flags <<<"$fl")"

# A flag set while mounted shows up after a re-list (up to ~3 s).
"${DOVEADM[@]}" flags add -u "$USER_NAME" '\Answered' mailbox lkml uid 2
for i in $(seq 30); do
	ls "$MNT/lkml" >/dev/null
	fl=$(getfattr --only-values -n user.imap.flags "$MNT/lkml/0000000002.eml" 2>/dev/null)
	grep -qw -- '\\Answered' <<<"$fl" && break
	sleep 0.1
done
check "a flag added by another client while mounted shows in user.imap.flags ($fl)" \
	grep -qw -- '\\Answered' <<<"$fl"

check "df on the mount works" df "$MNT"
check "stat -f on the mount works" stat -f "$MNT"

# -- side effects -------------------------------------------------------------------
seen_list >"$W/seen.after"
check_same "reading every message set no \\Seen flag" "$W/seen.before" "$W/seen.after"

pid=${MT_PID[$MNT]}
tr '\0' ' ' </proc/"$pid"/cmdline >"$W/cmdline"
check "the password is not on imapfs's command line" \
	bash -c "! grep -qF -f '$PWFILE' '$W/cmdline'"

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
check "no mount left behind" bash -c "! mountpoint -q '$MNT'"
mt_finish
