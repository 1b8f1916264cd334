#!/usr/bin/env bash
# The on-disk body cache and changes made by other clients: a remount reads cached
# bodies without a body FETCH and keeps inode numbers; an expunge and an APPEND made
# elsewhere show up without remounting; a UIDVALIDITY change drops the old bodies.
#
# usage (through the harness): with-dovecot [--delimiter=/] -- test_mount_cache.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
EXP=$W/expected
MT_CACHE=$W/cache

# wait_for SECONDS COMMAND...: retry COMMAND (re-listing the folder is the caller's
# business) every 0.1 s until it succeeds or the time is up.
wait_for() {
	local tries=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

if ! srv_tree "$EXP"; then
	not_ok "the oracle dumps the server's folders"
	mt_finish
fi

# -- a remount serves bodies from the cache ---------------------------------------
mt_mount "$MNT" || mt_finish
(cd "$MNT" && find . -printf '%i %P\n' | sort -k2) >"$W/ino.1"
check "the first mount reads every body" diff -r -q "$EXP" "$MNT"
n=$(stats "$MNT" body_fetches)
check "user.imapfs.stats counts body fetches on the first mount (body_fetches=$n)" \
	test "${n:-0}" -gt 0
mt_umount "$MNT" && ok "first mount unmounts cleanly, nothing on stderr"
check "the cache directory is private (0700)" \
	test "$(stat -c %a "$MT_CACHE")" = 700
check "no cache file is readable by others" \
	test -z "$(find "$MT_CACHE" -type f -perm /077)"

mt_mount "$MNT" || mt_finish
(cd "$MNT" && find . -printf '%i %P\n' | sort -k2) >"$W/ino.2"
check_same "st_ino of every file and directory is the same after a remount" \
	"$W/ino.1" "$W/ino.2"
check "the second mount serves the same bytes" diff -r -q "$EXP" "$MNT"
n=$(stats "$MNT" body_fetches)
check_eq "reading everything on the second mount makes no body FETCH (body_fetches)" 0 "$n"
n=$(stats "$MNT" cache_hits)
check "the second mount reads from the cache (cache_hits=$n)" test "${n:-0}" -gt 0
# The diff above read the bytes the kernel was given ahead of time (push.h), so they
# are right; those files cost no READ.
files=$(find "$MNT" -type f | wc -l)
pushed=$(stats "$MNT" pages_pushed)
reads=$(stats "$MNT" reads)
check "bodies are put into the page cache ahead of the reader (pages_pushed=$pushed)" \
	test "${pushed:-0}" -gt 0
check "fewer READ requests than files read ($reads < $files)" test "${reads:-0}" -lt "$files"

# -- changes by another client, while mounted ------------------------------------
folder=INBOX
dir=$MNT/$(mbox_to_path "$folder")
victim=$(srv_uids "$folder" | sed -n 3p)
vfile=$(printf '%s/%010d.eml' "$dir" "$victim")
check "the message to expunge is there before ($vfile)" test -f "$vfile"
"${DOVEADM[@]}" expunge -u "$USER_NAME" mailbox "$folder" uid "$victim"
check "an expunge by another client shows up within 3 s" \
	wait_for 3 bash -c "! ls '$dir' | grep -qx '$(basename "$vfile")'"
check "the expunged message is ENOENT" \
	bash -c "cat '$vfile' 2>&1 >/dev/null | grep -q 'No such file or directory'"

uidnext=$("${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" uidnext "$folder" |
	sed 's/.*uidnext=//')
"${DOVEADM[@]}" save -u "$USER_NAME" -m "$folder" <"$IMAPFS_CORPUS/html/0002.eml"
nfile=$(printf '%s/%010d.eml' "$dir" "$uidnext")
check "an APPEND by another client shows up within 3 s ($(basename "$nfile"))" \
	wait_for 3 bash -c "ls '$dir' | grep -qx '$(basename "$nfile")'"
srv_dump "$folder" "$W/after-append"
check "the appended message's bytes equal the oracle's" \
	cmp "$W/after-append/$(basename "$nfile")" "$nfile"
ls "$dir" >"$W/ls.after"
(cd "$W/after-append" && ls) >"$W/ls.exp"
check_same "the folder lists exactly the server's messages after both changes" \
	"$W/ls.exp" "$W/ls.after"

# -- the server drops every connection ------------------------------------------
# A user's next command must work: imapfs reconnects and retries rather than
# passing EIO on (every pooled connection dies at once).
"${DOVEADM[@]}" kick "$USER_NAME" >/dev/null 2>&1
sleep 0.5
check "after the server drops every connection (doveadm kick), ls -l of every folder works at once" \
	bash -c "for d in '$MNT'/*/ '$MNT'/*/*/; do ls -l \"\$d\" >/dev/null || exit 1; done"
check "after the server drops every connection, lkml reads the server's bytes at once" \
	diff -r -q "$EXP/lkml" "$MNT/lkml"

# -- UIDVALIDITY change alone: the folder's cached bodies are dropped --------------
# (no kick: imapfs must notice the new UIDVALIDITY when it revalidates the folder)
folder=html
dir=$MNT/$(mbox_to_path "$folder")
cat "$dir"/*.eml >/dev/null
before=$(stats "$MNT" body_fetches)
old=$("${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" uidvalidity "$folder" |
	sed 's/.*uidvalidity=//')
"${DOVEADM[@]}" mailbox update -u "$USER_NAME" --uid-validity $((old + 2000)) "$folder"
ino_before=$(stat -c %i "$dir/0000000001.eml")
# The new UIDVALIDITY gives new inode numbers: wait for them, then read again.
wait_for 5 bash -c "test \"\$(stat -c %i '$dir/0000000001.eml')\" != '$ino_before'"
check "after a UIDVALIDITY change the folder still serves the server's bytes" \
	bash -c "'$ORACLE' dump '$folder' '$W/html' && diff -r -q '$W/html' '$dir'"
after=$(stats "$MNT" body_fetches)
check "after a UIDVALIDITY change the bodies are fetched again, not served from the cache (body_fetches $before -> $after)" \
	test "${after:-0}" -gt "${before:-0}"

# -- UIDVALIDITY change found on reconnecting ------------------------------------
# After a kick, the first SELECT of the folder reports the new UIDVALIDITY: the
# listing must switch to the new messages, never fail in between.
folder=attachment
dir=$MNT/$(mbox_to_path "$folder")
cat "$dir"/*.eml >/dev/null
ino_before=$(stat -c %i "$dir/0000000001.eml")
old=$("${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" uidvalidity "$folder" |
	sed 's/.*uidvalidity=//')
"${DOVEADM[@]}" mailbox update -u "$USER_NAME" --uid-validity $((old + 3000)) "$folder"
"${DOVEADM[@]}" kick "$USER_NAME" >/dev/null 2>&1
: >"$W/kick-ls.err"
for i in $(seq 30); do
	ls -l "$dir" >/dev/null 2>>"$W/kick-ls.err"
	[ "$(stat -c %i "$dir/0000000001.eml" 2>>"$W/kick-ls.err")" != "$ino_before" ] && break
	sleep 0.1
done
check "a UIDVALIDITY change found on reconnecting (kick) is picked up within 3 s" \
	test "$(stat -c %i "$dir/0000000001.eml")" != "$ino_before"
check "no ls -l fails while a UIDVALIDITY change is found on reconnecting" \
	test ! -s "$W/kick-ls.err"
diag "$W/kick-ls.err" 3

# -- UIDVALIDITY change: same UIDs, other messages --------------------------------
# The folder is recreated with other messages under the same UIDs 1..3 and a new
# UIDVALIDITY, so a client that kept its cached bodies would serve the old ones.
folder=threading
dir=$MNT/$(mbox_to_path "$folder")
cat "$dir"/*.eml >/dev/null # make sure the old bodies are cached
old=$("${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" uidvalidity "$folder" |
	sed 's/.*uidvalidity=//')
"${DOVEADM[@]}" mailbox delete -u "$USER_NAME" "$folder"
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" "$folder"
for m in html/0001 html/0002 attachment/0001; do
	"${DOVEADM[@]}" save -u "$USER_NAME" -m "$folder" <"$IMAPFS_CORPUS/$m.eml"
done
"${DOVEADM[@]}" mailbox update -u "$USER_NAME" --uid-validity $((old + 1000)) "$folder"
"${DOVEADM[@]}" kick "$USER_NAME" >/dev/null 2>&1
rm -rf "$W/uidv"
srv_dump "$folder" "$W/uidv"
check "after a UIDVALIDITY change the folder lists the new messages within 5 s" \
	wait_for 5 bash -c "diff <(ls '$dir') <(ls '$W/uidv')"
check "after a UIDVALIDITY change the files hold the new bodies, none of the old" \
	diff -r -q "$W/uidv" "$dir"

mt_umount "$MNT" && ok "second mount unmounts cleanly, nothing on stderr"

# The new bodies, not the old, are what the cache serves on the next mount.
mt_mount "$MNT" || mt_finish
check "after a remount the recreated folder still serves the new bodies" \
	diff -r -q "$W/uidv" "$dir"
mt_umount "$MNT" && ok "third mount unmounts cleanly, nothing on stderr"
mt_finish
