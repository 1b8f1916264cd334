#!/usr/bin/env bash
# A body cache damaged between two mounts is a miss, never wrong bytes: a body file cut
# to half, two body files swapped, one copied from another folder and some copied from
# another UIDVALIDITY's directory are each dropped with one warning line (files of the
# first cache format get one line for all of them), fetched again from the server and
# served byte for byte as the server has them, on the first read and the second; st_size
# is the real size. A third mount serves them from the cache.
#
# usage (through the harness): with-dovecot [--delimiter=/] -- test_mount_cache_damage.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
EXP=$W/expected
MT_CACHE=$W/cache
FOLDERS=(INBOX html threading)
# The warning of a dropped body (fs/cache-damage.c); the UID follows.
WARN_RE='^imapfs: warning: folder "[^"]*", UID [0-9]+ \(UIDVALIDITY [0-9]+\): dropped the cached body, '
# The one line for bodies of the first cache format.
OLD_RE='^imapfs: the cache holds bodies written by an older imapfs '

uidvalidity() {
	"${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" uidvalidity "$1" |
		sed 's/.*uidvalidity=//'
}

# cache_gen FOLDER UIDVALIDITY: the cache directory of FOLDER's bodies under
# UIDVALIDITY (cache/cache.h: each folder directory records its real name in "name").
cache_gen() {
	local d
	for d in "$MT_CACHE"/*/f/*/; do
		if [ "$(cat "$d/name" 2>/dev/null)" = "$1" ]; then
			printf '%s%s\n' "$d" "$2"
			return 0
		fi
	done
	return 1
}

# to_old_format FILE: rewrite a body file as the first format wrote it (trailer
# IMFSBOD1, length, SHA-1 of the body alone, 4 zero bytes), from its own body.
to_old_format() {
	python3 - "$1" <<'EOF'
import hashlib, struct, sys
data = open(sys.argv[1], "rb").read()
body = data[:-40]
open(sys.argv[1], "wb").write(body + b"IMFSBOD1" + struct.pack("<Q", len(body)) +
                              hashlib.sha1(body).digest() + bytes(4))
EOF
}

dump_all() {
	local f
	rm -rf "$EXP"
	for f in "${FOLDERS[@]}"; do
		mkdir -p "$EXP/$(mbox_to_path "$f")"
		srv_dump "$f" "$EXP/$(mbox_to_path "$f")" || return 1
	done
}

# same_as_server FOLDER UID: the file on the mount holds the server's BODY[] (the
# oracle's), and its st_size is that length.
same_as_server() {
	local file want
	file=$MNT/$(mbox_to_path "$1")/$(printf '%010d.eml' "$2")
	want=$W/body.$1.$2
	"$ORACLE" body "$1" "$2" >"$want" || return 1
	cat "$file" >"$W/got" || return 1
	cmp "$want" "$W/got" || return 1
	[ "$(stat -c %s "$file")" = "$(stat -c %s "$want")" ] ||
		{ echo "st_size $(stat -c %s "$file"), the body has $(stat -c %s "$want")"; return 1; }
}

# -- first mount: cache every body of the folders --------------------------------------
dump_all || { not_ok "the oracle dumps the server's folders"; mt_finish; }
mt_mount "$MNT" || mt_finish
for f in "${FOLDERS[@]}"; do
	check "the first mount reads $f as the server has it" \
		diff -r -q "$EXP/$(mbox_to_path "$f")" "$MNT/$(mbox_to_path "$f")"
done
mt_umount "$MNT" && ok "first mount unmounts cleanly, nothing on stderr"

inbox_v=$(uidvalidity INBOX)
html_v=$(uidvalidity html)
old_v=$(uidvalidity threading)
inbox=$(cache_gen INBOX "$inbox_v")
html=$(cache_gen html "$html_v")
old=$(cache_gen threading "$old_v")
CUT=(1 5 6 7 8 9 10)
OLD=(11 12)
for u in "${CUT[@]}" 2 3 4 "${OLD[@]}"; do
	check "INBOX UID $u is in the cache ($inbox/$u)" test -s "$inbox/$u"
done
check "html UID 2 is in the cache" test -s "$html/2"
check "threading UIDs 1-3 are in the cache" test -s "$old/1" -a -s "$old/2" -a -s "$old/3"

# -- damage the cache between the mounts -------------------------------------------
# A prefix served for a cut file was a race (about one first read in two): cut several.
for u in "${CUT[@]}"; do
	truncate -s $(($(stat -c %s "$inbox/$u") / 2)) "$inbox/$u"
done
mv "$inbox/3" "$inbox/swap" && mv "$inbox/4" "$inbox/3" && mv "$inbox/swap" "$inbox/4"
cp "$html/2" "$inbox/2" # same UID, another folder
for u in "${OLD[@]}"; do
	to_old_format "$inbox/$u"
done
check "the copied body differs from INBOX UID 2's" \
	bash -c "! '$ORACLE' body INBOX 2 | cmp -s - '$html/2'"

# threading gets other messages under the same UIDs 1-3 and a new UIDVALIDITY; the
# bodies of the old messages are copied into the new UIDVALIDITY's directory.
"${DOVEADM[@]}" mailbox delete -u "$USER_NAME" threading
"${DOVEADM[@]}" mailbox create -u "$USER_NAME" threading
for m in html/0001 html/0002 attachment/0001; do
	"${DOVEADM[@]}" save -u "$USER_NAME" -m threading <"$IMAPFS_CORPUS/$m.eml"
done
"${DOVEADM[@]}" mailbox update -u "$USER_NAME" --uid-validity $((old_v + 1000)) threading
new_v=$(uidvalidity threading)
new=${old%/*}/$new_v
check "threading has a new UIDVALIDITY ($old_v -> $new_v)" test "$new_v" != "$old_v"
mkdir -m 700 "$new" && cp "$old/1" "$old/2" "$old/3" "$new/"
dump_all || { not_ok "the oracle dumps the server's folders again"; mt_finish; }

# -- second mount: every damaged body is a miss and refetched ------------------------
mt_mount "$MNT" || mt_finish
damaged=("INBOX 2" "INBOX 3" "INBOX 4" "threading 1" "threading 2" "threading 3")
for u in "${CUT[@]}"; do
	damaged+=("INBOX $u")
done
for pass in first second; do
	for d in "${damaged[@]}"; do
		set -- $d
		check "$pass read of $1 UID $2 (damaged cache file) is the server's body and size" \
			same_as_server "$1" "$2"
	done
	for f in "${FOLDERS[@]}"; do
		check "$pass read of all of $f is byte for byte the server's" \
			diff -r -q "$EXP/$(mbox_to_path "$f")" "$MNT/$(mbox_to_path "$f")"
	done
done
n=$(stats "$MNT" body_fetches)
check "the damaged bodies were fetched from the server (body_fetches=$n)" \
	test "${n:-0}" -gt 0

err=${MT_ERR[$MNT]}
for d in "${damaged[@]}"; do
	set -- $d
	c=$(grep -E "$WARN_RE" "$err" | grep -c "folder \"$1\", UID $2 ")
	check_eq "one warning line for $1 UID $2" 1 "$c"
done
check "the warning of the cut file says so" \
	grep -qE "folder \"INBOX\", UID 1 .*(no trailer|shorter)" "$err"
check "the warning of a swapped file names the checksum" \
	grep -qE "folder \"INBOX\", UID 3 .*checksum" "$err"
check_eq "no warning for the bodies that were not damaged" ${#damaged[@]} \
	"$(grep -cE "$WARN_RE" "$err")"
check_eq "one line for the bodies of the old format, however many" 1 "$(grep -cE "$OLD_RE" "$err")"
for u in "${OLD[@]}"; do
	check "INBOX UID $u of the old format is read as the server has it" same_as_server INBOX "$u"
done
check "the damaged files were dropped, the old UIDVALIDITY's too" \
	test ! -e "$old" -a ! -e "$inbox/swap"
mt_umount_allowing "$MNT" "$WARN_RE|$OLD_RE" && ok "second mount unmounts cleanly, only the warnings"

# -- third mount: the refetched bodies were cached, and are right --------------------
mt_mount "$MNT" || mt_finish
for f in "${FOLDERS[@]}"; do
	check "third mount: $f is byte for byte the server's" \
		diff -r -q "$EXP/$(mbox_to_path "$f")" "$MNT/$(mbox_to_path "$f")"
done
n=$(stats "$MNT" body_fetches)
check_eq "third mount: every body comes from the cache (body_fetches)" 0 "$n"
mt_umount "$MNT" && ok "third mount unmounts cleanly, nothing on stderr"
mt_finish
