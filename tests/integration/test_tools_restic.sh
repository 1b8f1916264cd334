#!/usr/bin/env bash
# Backups of the mount with restic, and restores into it (issue 11), checked on the
# server by the oracle:
# - files written through the mount keep their names after an unmount and a mount with
#   the same cache_dir (and are not also shown under their UID names)
# - restic backup, a remount, restic backup again: 0 files and 0 directories changed
#   or new (inodes, sizes, times, names all stable)
# - restic restore into an empty folder of the mount: every folder comes back with the
#   same count, bytes, names, dates (restic sets times by path after closing: the mount
#   sends again with the date, keeping the name) and flags (setxattr after close)
#
# usage: with-dovecot [--delimiter=/] [--caps=...] -- test_tools_restic.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
D=$DELIM
export RESTIC_PASSWORD=pw-restic-test RESTIC_REPOSITORY=$W/repo RESTIC_CACHE_DIR=$W/restic-cache
FOLDERS="threading Archive/2024 Named"

"$ORACLE" set-flags threading 2 '\Seen \Flagged $Work'
"$ORACLE" set-flags threading 7 '\Answered'
tt_gen "$W/named" 8 named

# summary FILE KEY: a counter of restic backup --json's summary line.
summary() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("message_type") == "summary":
        print(m.get(sys.argv[2]))
EOF
}

# snapshot_nodes ID: every node of restic snapshot ID but its content, one a line.
snapshot_nodes() {
	python3 - "$1" <<'EOF'
import json, subprocess, sys
def cat(kind, oid):
    return json.loads(subprocess.check_output(["restic", "cat", kind, oid]))
def walk(tree, path):
    for n in cat("blob", tree)["nodes"]:
        print(path + "/" + n["name"], json.dumps(
            {k: v for k, v in n.items() if k not in ("content", "subtree")}, sort_keys=True))
        if n.get("subtree"):
            walk(n["subtree"], path + "/" + n["name"])
walk(cat("snapshot", sys.argv[1])["tree"], "")
EOF
}

mt_mount "$MNT" || mt_finish

# -- names survive a remount ----------------------------------------------------------------
check "mkdir Named" mkdir "$MNT/Named"
check_quiet "cp of 8 files under names of their own" cp "$W/named"/*.eml "$MNT/Named/"
check "they are listed under their names" tt_cmp names "$MNT/Named" "$W/named"
mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_mount "$MNT" || mt_finish
check "after a remount (same cache_dir) they are still listed under their names" \
	tt_cmp names "$MNT/Named" "$W/named"
check "and not also under UID names" test ! -e "$MNT/Named/$(tt_uidname 1)"
check "a name is found by lookup" test -f "$MNT/Named/named-03.eml"
tt_snap Named "$W/s.Named"
check_eq "the server holds 8 messages in Named" 8 "$(tt_count Named)"
check "the server holds them once each" tt_cmp bytes "$W/s.Named" "$W/named"

# The originals as the mount shows them (bytes, names, times, flags).
for f in $FOLDERS; do
	mkdir -p "$W/orig/$(dirname "$f")"
	cp -a "$MNT/$f" "$W/orig/$f" || not_ok "cp -a of $f out of the mount"
done
tt_snap threading "$W/s.threading"
check "the copy of threading has the server's flags" tt_cmp flags "$W/s.threading" "$W/orig/threading"

# -- backup, remount, backup: nothing changed -----------------------------------------------
# dir_stats: what restic compares of each directory it backs up.
dir_stats() {
	(cd "$MNT" && stat -c '%n inode=%i mode=%f mtime=%Y ctime=%Z atime=%X size=%s links=%h' \
		. $FOLDERS $(dirname $FOLDERS | sort -u))
}

check_quiet "restic init" restic init -q
dir_stats >"$W/dirs.0"
DEV1=$(stat -c %d "$MNT")
cd "$MNT" || exit 1
check_quiet "restic backup of $FOLDERS" bash -c 'restic backup --json "$@" >"$0"' \
	"$W/backup1.json" $FOLDERS
check_eq "the first backup saw $((12 + 3 + 8)) new files" 23 "$(summary "$W/backup1.json" files_new)"
cd "$W" || exit 1
dir_stats >"$W/dirs.1"
check_same "the backup changed no directory's times" "$W/dirs.0" "$W/dirs.1"
mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_mount "$MNT" || mt_finish
dir_stats >"$W/dirs.2"
DEV2=$(stat -c %d "$MNT")
cd "$MNT" || exit 1
check_quiet "restic backup again after a remount" bash -c 'restic backup --json "$@" >"$0"' \
	"$W/backup2.json" $FOLDERS
cd "$W" || exit 1
for k in files_changed files_new dirs_new; do
	check_eq "the second backup: $k 0" 0 "$(summary "$W/backup2.json" "$k")"
done
check_same "the directories' inodes, modes, times and sizes are the same after the remount" \
	"$W/dirs.1" "$W/dirs.2"
# restic 0.14 keeps each directory's st_dev (device_id) in its node, and the kernel
# gives every FUSE mount a new anonymous device number, which imapfs cannot choose (it
# differs whenever another mount came and went in between, as with tests run in
# parallel). Directories that differ in nothing but that are not imapfs's doing.
dirs_changed=$(summary "$W/backup2.json" dirs_changed)
if [ "$dirs_changed" = 0 ]; then
	ok "the second backup: dirs_changed 0"
else
	snapshot_nodes "$(summary "$W/backup1.json" snapshot_id)" >"$W/nodes.1"
	snapshot_nodes "$(summary "$W/backup2.json" snapshot_id)" >"$W/nodes.2"
	sed -E 's/"device_id": [0-9]+, //' "$W/nodes.1" >"$W/nodes.1.nodev"
	sed -E 's/"device_id": [0-9]+, //' "$W/nodes.2" >"$W/nodes.2.nodev"
	if [ "$DEV1" != "$DEV2" ] && cmp -s "$W/nodes.1.nodev" "$W/nodes.2.nodev"; then
		ok "the second backup: dirs_changed $dirs_changed, only the kernel's device number ($DEV1, then $DEV2)"
	else
		not_ok "the second backup: dirs_changed 0 (got $dirs_changed)"
		diff "$W/nodes.1.nodev" "$W/nodes.2.nodev" | grep '^[<>]' | cut -c1-400 | head -n 12 |
			sed 's/^/#   /'
	fi
fi
check_eq "the second backup: all 23 files unmodified" 23 \
	"$(summary "$W/backup2.json" files_unmodified)"

# -- restore into an empty folder of the mount --------------------------------------------
check "mkdir Restored" mkdir "$MNT/Restored"
check_quiet "restic restore latest into Restored" restic restore latest -q --target "$MNT/Restored"
for f in $FOLDERS; do
	sf=Restored$D$(printf '%s' "$f" | tr / "$D")
	check_eq "Restored/$f holds as many messages as $f" \
		"$(ls "$W/orig/$f" | wc -l)" "$(tt_count "$sf")"
	tt_snap "$sf" "$W/s.r.$f"
	check "Restored/$f: the server's messages are the originals, each once" \
		tt_cmp bytes "$W/s.r.$f" "$W/orig/$f"
	check "Restored/$f: INTERNALDATE of each is its original's date" \
		tt_cmp dates "$W/s.r.$f" "$W/orig/$f"
	check "Restored/$f: flags as the originals" tt_cmp flags "$W/s.r.$f" "$W/orig/$f"
	check "Restored/$f: the mount lists the original names, each with its bytes" \
		tt_cmp names "$MNT/Restored/$f" "$W/orig/$f"
	check "Restored/$f: st_mtime of each is its original's" \
		tt_cmp mtimes "$MNT/Restored/$f" "$W/orig/$f"
done
for f in $FOLDERS; do
	check_eq "the original $f is untouched" "$(ls "$W/orig/$f" | wc -l)" \
		"$(tt_count "$(printf '%s' "$f" | tr / "$D")")"
done

mt_umount "$MNT" && ok "unmounts cleanly, nothing on stderr"
mt_finish
