# shellcheck shell=bash
# Shared helpers of the mount integration tests (sourced by test_mount_*.sh).
#
# A test script is run by the harness as
#     tests/harness/with-dovecot [--delimiter=/] -- test_mount_X.sh IMAPFS_EXE
# and gets the IMAPFS_TEST_* variables described in tests/harness/README.md.
#
# What this file gives:
#   ok / not_ok / check / check_eq   one TAP-like line per check, counted
#   mt_mount DIR [OPTS]              mount imapfs in the foreground (-f), in the
#                                    background, stderr to a file; waits for the mount
#   mt_umount DIR                    unmount, wait for imapfs to exit, and fail the
#                                    check if it exited non-zero or printed anything
#   fails_with DESC MSG COMMAND...   COMMAND fails and its output says MSG
#   big_eml FILE LINES               a message over 1 MiB (read by partial fetches)
#   srv_*                            the server's view, through the harness's oracle
#                                    (an independent IMAP client) or doveadm
#   mt_finish                        the summary line and the exit status
# An EXIT trap unmounts whatever is still mounted, so a failing or interrupted test
# never leaves a mount behind.

set -u
export LC_ALL=C

IMAPFS=${1:?usage: $0 IMAPFS_EXECUTABLE}
IMAPFS=$(realpath "$IMAPFS")
: "${IMAPFS_TEST_DIR:?run this through tests/harness/with-dovecot}"

MT_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORACLE=${IMAPFS_TEST_ORACLE:-$MT_LIBDIR/../harness/imap-oracle}
GEN_MAILBOX=$MT_LIBDIR/gen-mailbox
DOVEADM=(doveadm -c "$IMAPFS_TEST_DOVECOT_CONF")
USER_NAME=$IMAPFS_TEST_USER
DELIM=$IMAPFS_TEST_DELIM

# Scratch space of this script: the harness removes IMAPFS_TEST_DIR afterwards.
W=$IMAPFS_TEST_DIR/mt.$(basename "$0" .sh)
rm -rf "$W"
mkdir -p "$W"

# The password goes to a 0600 file, never onto a command line.
PWFILE=$W/password
(umask 077 && printf '%s' "$IMAPFS_TEST_PASSWORD" >"$PWFILE")

MT_PASS=0
MT_FAIL=0
declare -A MT_PID=()  # mountpoint -> pid of its imapfs -f
declare -A MT_ERR=()  # mountpoint -> file holding its stderr
MT_SEQ=0

ok() {
	MT_PASS=$((MT_PASS + 1))
	echo "ok - $*"
}

not_ok() {
	MT_FAIL=$((MT_FAIL + 1))
	echo "not ok - $*"
}

# diag FILE: show the first lines of FILE indented, to explain a failure.
diag() {
	[ -s "$1" ] && head -n "${2:-15}" "$1" | sed 's/^/#   /'
	return 0
}

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds. Output of COMMAND is shown
# only when it fails.
check() {
	local desc=$1 out=$W/check.out
	shift
	if "$@" >"$out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$out" 20
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (expected '$2', got '$3')"
	fi
}

# check_same DESCRIPTION EXPECTED_FILE ACTUAL_FILE: the files are equal; a diff
# excerpt otherwise.
check_same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$2" "$3" >"$W/diff.out"
		diag "$W/diff.out" 20
	fi
}

# -- mounting ---------------------------------------------------------------------

# The -o string of a normal mount; extra options are appended.
mt_opts() {
	local o="host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_PORT,user=$USER_NAME"
	o+=",security=starttls,ca_file=$IMAPFS_TEST_CA,password_file=$PWFILE"
	o+=",cache_dir=${MT_CACHE:-$W/cache}"
	[ $# -gt 0 ] && [ -n "$1" ] && o+=",$1"
	printf '%s' "$o"
}

# mt_mount MOUNTPOINT [EXTRA_OPTS]: 0 once mounted, 1 (with a not_ok line) if imapfs
# exited or the mount did not appear within 15 s.
mt_mount() {
	local mnt=$1 extra=${2:-} err pid i
	mkdir -p "$mnt"
	MT_SEQ=$((MT_SEQ + 1))
	err=$W/imapfs-$MT_SEQ.stderr
	"$IMAPFS" -f -o "$(mt_opts "$extra")" "$mnt" </dev/null >"$err" 2>&1 &
	pid=$!
	MT_PID[$mnt]=$pid
	MT_ERR[$mnt]=$err
	for i in $(seq 150); do
		if mountpoint -q "$mnt"; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			not_ok "mount $mnt: imapfs exited with status $? before mounting"
			diag "$err"
			unset "MT_PID[$mnt]"
			return 1
		fi
		sleep 0.1
	done
	not_ok "mount $mnt: no mount after 15 s"
	diag "$err"
	mt_kill "$mnt"
	return 1
}

mt_kill() {
	local mnt=$1 pid=${MT_PID[$1]:-}
	fusermount3 -u -z "$mnt" 2>/dev/null
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		unset "MT_PID[$mnt]"
	fi
}

# mt_umount MOUNTPOINT: unmount, then require that imapfs exits 0 within 10 s and
# printed nothing on stderr while it ran (sshfs's rule: a warning fails the test).
mt_umount() {
	local mnt=$1 pid=${MT_PID[$1]:-} err=${MT_ERR[$1]:-/dev/null} i rc
	if ! fusermount3 -u "$mnt" 2>"$W/umount.err"; then
		not_ok "unmount $mnt"
		diag "$W/umount.err"
		mt_kill "$mnt"
		return 1
	fi
	[ -n "$pid" ] || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "imapfs exits within 10 s of the unmount"
		mt_kill "$mnt"
		return 1
	fi
	wait "$pid"
	rc=$?
	unset "MT_PID[$mnt]"
	if [ "$rc" -ne 0 ]; then
		not_ok "imapfs exited with status $rc after unmount of $mnt"
		diag "$err"
		return 1
	fi
	if [ -s "$err" ]; then
		not_ok "imapfs printed nothing on stderr while mounted on $mnt"
		diag "$err"
		return 1
	fi
	return 0
}

# Background helpers a test starts (proxies, token services): add their pids here and
# mt_cleanup stops them.
BG_PIDS=()
mt_cleanup() {
	local mnt p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for mnt in "${!MT_PID[@]}"; do
		mt_kill "$mnt"
	done
}
trap mt_cleanup EXIT
trap 'exit 130' INT TERM

# stats MOUNTPOINT KEY: one counter of the root xattr user.imapfs.stats
# ("body_fetches=N cache_hits=M ..."), empty if missing.
# fails_with DESCRIPTION MESSAGE COMMAND...: COMMAND fails and its output says MESSAGE.
fails_with() {
	local desc=$1 msg=$2
	shift 2
	if "$@" >"$W/fail.out" 2>&1; then
		not_ok "$desc fails"
	elif grep -q "$msg" "$W/fail.out"; then
		ok "$desc fails: $msg"
	else
		not_ok "$desc fails with '$msg'"
		diag "$W/fail.out"
	fi
}

# big_eml FILE LINES: a plain message of LINES lines of 53 bytes; 40,000 make 2 MB,
# over imapfs's 1 MiB small-body limit, so it is read by partial fetches.
big_eml() {
	python3 - "$1" "$2" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: a@example.org\nTo: b@example.org\nSubject: big\n\n")
    for i in range(int(sys.argv[2])):
        f.write("line %06d of a big message, padding padding padding\n" % i)
EOF
}

stats() {
	getfattr --only-values -n user.imapfs.stats "$1" 2>/dev/null |
		tr ' ,;' '\n\n\n' | sed -n "s/^$2=//p" | head -n 1
}

# -- the server's view ------------------------------------------------------------

# Mailbox name on the server -> path on the mount.
mbox_to_path() {
	if [ "$DELIM" = / ]; then
		printf '%s\n' "$1"
	else
		printf '%s\n' "$1" | tr "$DELIM" /
	fi
}

# srv_folders: the server's folders, one IMAP name (UTF-8, server delimiter) a line.
srv_folders() {
	"$ORACLE" folders
}

# srv_uids FOLDER: the UIDs of FOLDER, one a line.
srv_uids() {
	"$ORACLE" uids "$1"
}

# srv_dump FOLDER DIR: BODY.PEEK[] of every message as DIR/%010u.eml.
srv_dump() {
	"$ORACLE" dump "$1" "$2"
}

# srv_meta FOLDER: "uid size internaldate-epoch flags..." per message (RFC822.SIZE,
# INTERNALDATE and FLAGS as the oracle fetched them, without \Recent).
srv_meta() {
	"$ORACLE" meta "$1"
}

# srv_tree DIR: dump every folder of the server into DIR/<path on the mount>/, and
# write DIR.dirs (every directory the mount must show, parents included) and
# DIR.files (every message file, from the oracle's UID lists, not from the dump).
srv_tree() {
	local dir=$1 f p
	mkdir -p "$dir"
	: >"$dir.dirs"
	: >"$dir.files"
	srv_folders >"$dir.folders" || return 1
	while IFS= read -r f; do
		p=$(mbox_to_path "$f")
		mkdir -p "$dir/$p"
		srv_dump "$f" "$dir/$p" || return 1
		srv_uids "$f" | awk -v p="$p" '{ printf "%s/%010d.eml\n", p, $1 }' >>"$dir.files"
		while [ "$p" != . ]; do
			echo "$p" >>"$dir.dirs"
			p=$(dirname "$p")
		done
	done <"$dir.folders"
	sort -u -o "$dir.dirs" "$dir.dirs"
	sort -o "$dir.files" "$dir.files"
}

# tree_listing DIR KIND: relative paths under DIR of type KIND (f or d), sorted.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -type "$2" -printf '%P\n' | sort)
}

# mt_finish: the summary line; exits 1 if any check failed (or none ran).
mt_finish() {
	echo "# $MT_PASS passed, $MT_FAIL failed"
	[ "$MT_FAIL" -eq 0 ] && [ "$MT_PASS" -gt 0 ]
	exit
}

# -- helpers of the tool tests (test_tools_*.sh) ------------------------------------

# mt_umount_allowing MOUNTPOINT ERE: mt_umount, except that stderr lines matching the
# extended regular expression ERE are allowed (a test that provokes refusals, which
# imapfs logs); any other line fails the check.
mt_umount_allowing() {
	local mnt=$1 re=$2 err=${MT_ERR[$1]:-/dev/null} rc
	MT_SEQ=$((MT_SEQ + 1))
	: >"$W/stand-in-$MT_SEQ.stderr"
	MT_ERR[$mnt]=$W/stand-in-$MT_SEQ.stderr
	mt_umount "$mnt"
	rc=$?
	MT_ERR[$mnt]=$err
	if grep -vE "$re" "$err" >"$W/unexpected.stderr"; then
		not_ok "imapfs printed nothing on stderr on $mnt but lines matching /$re/"
		diag "$W/unexpected.stderr"
		return 1
	fi
	return "$rc"
}

# tt_err_mark MOUNTPOINT: how many lines imapfs printed on stderr so far.
tt_err_mark() {
	wc -l <"${MT_ERR[$1]}"
}

# tt_err_since MOUNTPOINT MARK: the lines it printed after tt_err_mark said MARK.
tt_err_since() {
	tail -n +"$(($2 + 1))" "${MT_ERR[$1]}"
}

# tt_count FOLDER: the number of messages in FOLDER on the server.
tt_count() {
	"$ORACLE" count "$1"
}

# tt_uidname UID: the name of a message that was not written through the mount.
tt_uidname() {
	printf '%010d.eml' "$1"
}

# tt_snap FOLDER DIR: the server's FOLDER as it is now: every message as DIR/%010d.eml
# (BODY.PEEK[]) and DIR.meta ("uid size internaldate-epoch flags..." per message).
tt_snap() {
	rm -rf "$2"
	mkdir -p "$2"
	srv_dump "$1" "$2" && srv_meta "$1" >"$2.meta"
}

# tt_gen DIR N PREFIX: N small distinct messages DIR/PREFIX-01.eml... (LF line ends),
# each with "foo" in its body and its own mtime (2021-03-01 plus K days and K minutes).
tt_gen() {
	local i f
	mkdir -p "$1"
	for i in $(seq "$2"); do
		f=$1/$3-$(printf %02d "$i").eml
		printf 'From: sender%d@example.org\nTo: alice@example.org\nSubject: %s %d\nDate: Mon, 1 Mar 2021 10:00:00 +0000\nMessage-ID: <%s-%d@example.org>\n\nfoo line %d of %s\nsecond line\n' \
			"$i" "$3" "$i" "$3" "$i" "$i" "$3" >"$f"
		touch -d "@$((1614592800 + i * 86460))" "$f"
	done
}

# tt_corpus_copy DIR PREFIX BASE STEP: the threading corpus (LF) as DIR/PREFIX-NN.eml,
# file K with mtime BASE + K * STEP; prints how many files.
tt_corpus_copy() {
	local f i=0 name
	mkdir -p "$1"
	for f in "$IMAPFS_CORPUS"/threading/*.eml; do
		i=$((i + 1))
		name=$1/$2-$(printf %02d "$i").eml
		cp "$f" "$name"
		touch -d "@$(($3 + i * $4))" "$name"
	done
	echo "$i"
}

# tt_cmp KIND ARGS...: compare what the server, the mount and a local source hold; prints
# what differs and fails if anything does. CR is ignored in bytes (the server serves
# CRLF, local sources may have LF). KIND:
#   bytes SNAP SRC       the messages of SNAP (tt_snap) are SRC's files, as a multiset
#   dates SNAP SRC       the message holding each SRC file's bytes has its mtime as
#                        INTERNALDATE
#   flags SNAP SRC       ... has the flags of its user.imap.flags xattr (none if unset)
#   names MNTDIR SRC     MNTDIR lists exactly SRC's names, each with that file's bytes
#   mtimes MNTDIR SRC    each name in MNTDIR has its SRC file's mtime (seconds)
tt_cmp() {
	python3 - "$@" <<'PYEOF'
import collections, hashlib, os, sys

kind, a, src = sys.argv[1], sys.argv[2], sys.argv[3]

def key(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read().replace(b"\r", b"")).hexdigest()

def files(d):
    return sorted(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n)))

def src_flags(path):
    try:
        v = os.getxattr(path, "user.imap.flags").decode()
    except OSError:
        v = ""
    return " ".join(sorted(v.split()))

bad = []
srcs = {n: key(os.path.join(src, n)) for n in files(src)}
if kind in ("bytes", "dates", "flags"):
    meta = {}
    with open(a + ".meta") as f:
        for line in f:
            p = line.split()
            meta[int(p[0])] = (int(p[2]), " ".join(sorted(p[3:])))
    by_key = collections.defaultdict(list)
    for n in files(a):
        by_key[key(os.path.join(a, n))].append(int(n.split(".")[0]))
    if kind == "bytes":
        want = collections.Counter(srcs.values())
        have = collections.Counter({k: len(v) for k, v in by_key.items()})
        for n, k in sorted(srcs.items()):
            if have[k] < want[k]:
                bad.append(f"{n}: not on the server")
            elif have[k] > want[k]:
                bad.append(f"{n}: {have[k]} times on the server (UIDs {by_key[k]})")
                have[k] = want[k]
        for k, uids in by_key.items():
            if k not in want:
                bad.append(f"UID {uids}: on the server, not in the source")
        if bad:
            bad.insert(0, f"server {sum(len(v) for v in by_key.values())} messages, "
                          f"source {len(srcs)} files")
    else:
        # Identical messages (the lkml corpus has some) are told apart by their values:
        # the sources sharing bytes want the same multiset of dates (flags) as the
        # server's messages with those bytes have.
        names_of = collections.defaultdict(list)
        for n, k in sorted(srcs.items()):
            names_of[k].append(n)
        for k, names in sorted(names_of.items()):
            if not by_key[k]:
                bad.extend(f"{n}: not on the server" for n in names)
                continue
            if kind == "dates":
                want = sorted(int(os.stat(os.path.join(src, n)).st_mtime) for n in names)
                have = sorted(meta.get(u, (None, ""))[0] or 0 for u in by_key[k])
                what = "INTERNALDATE"
            else:
                want = sorted(src_flags(os.path.join(src, n)) for n in names)
                have = sorted(meta.get(u, (None, ""))[1] for u in by_key[k])
                what = "flags"
            if want != have:
                bad.append(f"{'/'.join(names)} (UID {'/'.join(map(str, sorted(by_key[k])))}): "
                           f"{what} {have}, expected {want}")
else:
    got = files(a)
    if got != sorted(srcs):
        extra = sorted(set(got) - set(srcs))
        missing = sorted(set(srcs) - set(got))
        bad.append(f"listing: {len(got)} names, source {len(srcs)}; "
                   f"extra {extra[:6]}, missing {missing[:6]}")
    for n in sorted(set(got) & set(srcs)):
        p = os.path.join(a, n)
        if kind == "names":
            if key(p) != srcs[n]:
                bad.append(f"{n}: other bytes on the mount")
        else:
            m, want = int(os.stat(p).st_mtime), int(os.stat(os.path.join(src, n)).st_mtime)
            if m != want:
                bad.append(f"{n}: st_mtime {m}, source {want}")
for line in bad[:15]:
    print(line)
if len(bad) > 15:
    print(f"... {len(bad) - 15} more")
sys.exit(1 if bad else 0)
PYEOF
}

# check_quiet DESCRIPTION COMMAND...: COMMAND succeeds and prints nothing on stderr.
check_quiet() {
	local desc=$1 rc
	shift
	"$@" >"$W/quiet.out" 2>"$W/quiet.err"
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$W/quiet.err" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc)"
		diag "$W/quiet.err"
	fi
}

# tt_png FILE: a small valid PNG picture (1x1, grey).
tt_png() {
	python3 - "$1" <<'PYEOF'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PYEOF
}

# -- the scenario server (tests/harness/scenario-server) ------------------------------

# sc_start SCENARIO.json: start a scenario server serving it; sets SC_PORT, SC_LOG and
# SC_WIRE (the exact bytes of the mailbox names sent, see the server's docstring)
# (its command log). The scenario may be rewritten later: the server reads it again.
sc_start() {
	local pf=$W/scenario.port i
	rm -f "$pf"
	"$MT_LIBDIR/../harness/scenario-server" --scenario "$1" --port-file "$pf" \
		2>"$W/scenario.stderr" &
	BG_PIDS+=($!)
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	SC_PORT=$(cat "$pf")
	SC_LOG=$pf.log
	SC_WIRE=$pf.wire
}

# sc_mount MOUNTPOINT [EXTRA_OPTS]: mt_mount against the scenario server.
sc_mount() {
	local extra="host=127.0.0.1,port=$SC_PORT,security=plain"
	[ $# -gt 1 ] && [ -n "$2" ] && extra+=",$2"
	mt_mount "$1" "$extra"
}
