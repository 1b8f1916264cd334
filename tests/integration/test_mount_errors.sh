#!/usr/bin/env bash
# Mounts that must fail before mounting (wrong password, nothing listening, a
# certificate that does not match or is not trusted), and a read-only mount that
# refuses every write with EROFS.
#
# usage (through the harness): with-dovecot [--delimiter=/] -- test_mount_errors.sh IMAPFS
. "$(dirname "$0")/mount-lib.sh"

MNT=$W/mnt
mkdir -p "$MNT"

# must_fail DESCRIPTION STDERR_REGEX OPTS: imapfs (daemonizing, as a user runs it)
# exits non-zero within 30 s, says why on stderr, never echoes the password, and
# leaves no mount.
must_fail() {
	local desc=$1 re=$2 opts=$3 err=$W/fail.err rc
	timeout 30 "$IMAPFS" -o "$opts" "$MNT" </dev/null >"$err" 2>&1
	rc=$?
	if mountpoint -q "$MNT"; then
		not_ok "$desc: leaves no mount"
		fusermount3 -u -z "$MNT"
	else
		ok "$desc: leaves no mount"
	fi
	if [ "$rc" -eq 124 ]; then
		not_ok "$desc: imapfs exits within 30 s"
	else
		check "$desc: imapfs exits non-zero (status $rc)" test "$rc" -ne 0
	fi
	if grep -qiE -- "$re" "$err"; then
		ok "$desc: stderr says why: $(grep -iE -m 1 -- "$re" "$err")"
	else
		not_ok "$desc: stderr says why (/$re/)"
		diag "$err"
	fi
	check "$desc: stderr does not contain the password" \
		bash -c "! grep -qF -f '$PWFILE' '$err' && ! grep -qF -f '$W/wrong-password' '$err'"
}

# --help documents every -o option the parsers accept (their tables are the list).
src=$(cd "$(dirname "$0")/../.." && pwd)/fs
"$IMAPFS" --help >"$W/help" 2>&1
undocumented=$(grep -ohE 'OPT\("[a-z_0-9]+' "$src/options.c" "$src/options-smtp.c" |
	sed 's/.*OPT("//' | sort -u | while read -r o; do
		grep -qE -- "(-o |,)$o(=|\b)" "$W/help" || echo "$o"
	done)
check_eq "imapfs --help documents every option" "" "$undocumented"

base="user=$USER_NAME,ca_file=$IMAPFS_TEST_CA,cache_dir=$W/cache"
(umask 077 && printf 'not-the-%s' "$IMAPFS_TEST_PASSWORD" >"$W/wrong-password")

must_fail "wrong password" 'password|login|auth' \
	"host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_PORT,security=starttls,$base,password_file=$W/wrong-password"

# A port nothing listens on: bind one, note it, close it.
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
must_fail "nothing listening" 'connect|refused' \
	"host=$IMAPFS_TEST_HOST,port=$dead,security=starttls,$base,password_file=$PWFILE"

must_fail "implicit TLS to a host name not in the certificate" 'certificate' \
	"host=$IMAPFS_TEST_WRONG_HOST,port=$IMAPFS_TEST_TLS_PORT,security=tls,$base,password_file=$PWFILE"

must_fail "STARTTLS to a host name not in the certificate" 'certificate' \
	"host=$IMAPFS_TEST_WRONG_HOST,port=$IMAPFS_TEST_PORT,security=starttls,$base,password_file=$PWFILE"

# A CA that did not sign the server's certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$W/other-key.pem" -out "$W/other-ca.pem" >/dev/null 2>&1
must_fail "a certificate from an untrusted CA" 'certificate' \
	"host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_TLS_PORT,security=tls,user=$USER_NAME,ca_file=$W/other-ca.pem,cache_dir=$W/cache,password_file=$PWFILE"

# A password file others can read is refused rather than used.
cp "$PWFILE" "$W/open-password"
chmod 644 "$W/open-password"
must_fail "a password file readable by others" 'password' \
	"host=$IMAPFS_TEST_HOST,port=$IMAPFS_TEST_PORT,security=starttls,$base,password_file=$W/open-password"

# -- a read-only mount ----------------------------------------------------------
# erofs DESCRIPTION COMMAND...: COMMAND fails and says "Read-only file system".
erofs() {
	local desc=$1
	shift
	fails_with "-o ro: $desc" 'Read-only file system' "$@"
}

count() {
	"${DOVEADM[@]}" -f flow mailbox status -u "$USER_NAME" messages "$1" | sed 's/.*messages=//'
}

# A message over 1 MiB, read by partial fetches: on a read-only mount reads come
# without an open (fs/read.c), so its READs share a kept handle instead.
big_eml "$W/big.eml" 40000
"${DOVEADM[@]}" save -u "$USER_NAME" -m INBOX <"$W/big.eml"
srv_tree "$W/ro.expected" || not_ok "the oracle dumps the server's folders"
before=$(count INBOX)
srv_meta INBOX | grep -F '\Seen' >"$W/ro.seen.before"
lst=$("${DOVEADM[@]}" mailbox list -u "$USER_NAME" | sort)
mt_mount "$MNT" ro || mt_finish
inbox=$MNT/INBOX
first=$(ls "$inbox" | head -n 1)
check "a read-only mount lists and reads ($first)" test -s "$inbox/$first"
check "a read-only mount serves the server's bytes, the 2 MB message too" \
	diff -r -q "$W/ro.expected" "$MNT"
check "... and again, from the page cache" diff -r -q "$W/ro.expected" "$MNT"
n=$(stats "$MNT" opens)
check_eq "reading everything read-only took one OPEN (refused: no more are sent)" 1 "$n"
erofs "creating a file (touch)" touch "$inbox/new.eml"
erofs "copying a message in (cp)" cp "$IMAPFS_CORPUS/html/0001.eml" "$inbox/"
erofs "removing a message (rm)" rm -f "$inbox/$first"
erofs "creating a folder (mkdir)" mkdir "$MNT/NewFolder"
erofs "removing a folder (rmdir)" rmdir "$MNT/Archive/2024"
erofs "renaming a folder (mv)" mv "$MNT/html" "$MNT/html2"
erofs "setting flags (setfattr)" setfattr -n user.imap.flags -v '\Flagged' "$inbox/$first"
erofs "writing into a message" bash -c "echo x >>'$inbox/$first'"
check_eq "the server's INBOX still holds as many messages" "$before" "$(count INBOX)"
check_eq "the server's folders are unchanged" "$lst" \
	"$("${DOVEADM[@]}" mailbox list -u "$USER_NAME" | sort)"
cat "$inbox/$first" >/dev/null
srv_meta INBOX | grep -F '\Seen' >"$W/ro.seen.after"
check_same "reading on the read-only mount set no \\Seen flag" \
	"$W/ro.seen.before" "$W/ro.seen.after"
mt_umount "$MNT" && ok "the read-only mount unmounts cleanly, nothing on stderr"
mt_finish
