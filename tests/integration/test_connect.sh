#!/usr/bin/env bash
# Every way to connect, end to end (run by tests/harness/with-dovecot):
# IMAPClient's sample config mounted as it is, --check and its exit codes for each
# failure, security=auto on a TLS-only and a STARTTLS-only port, TLS 1.3 required of a
# server that stops at 1.2, a pin that does not match, a greeting timeout, a tunnel
# through `doveadm exec imap`, and an fstab-style `mount -t fuse.imapfs`.
# shellcheck source=mount-lib.sh
. "$(dirname "$0")/mount-lib.sh"

H=$IMAPFS_TEST_HOST
NET=$MT_LIBDIR/../harness/harness-net

# private_config NAME: writes stdin to $W/NAME with mode 0600 and prints its path.
private_config() {
	(umask 077 && cat >"$W/$1")
	printf '%s' "$W/$1"
}

# check_run DESC WANT_STATUS REGEX ARGS...: imapfs ARGS exits WANT_STATUS within 30 s,
# its output matches REGEX and never shows the password.
check_run() {
	local desc=$1 want=$2 re=$3 out=$W/run.out rc
	shift 3
	timeout 30 "$IMAPFS" "$@" </dev/null >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		not_ok "$desc: exit status $want (got $rc)"
		diag "$out"
	elif ! grep -Eq "$re" "$out"; then
		not_ok "$desc: output matches /$re/"
		diag "$out"
	elif grep -qF "$IMAPFS_TEST_PASSWORD" "$out"; then
		not_ok "$desc: the password is not shown"
	else
		ok "$desc"
	fi
}

# -- IMAPClient's sample config ([DEFAULT] host/username/password/ssl), as it is ----------
CONF=$(private_config imapclient.ini <<EOF
[DEFAULT]
host = $H
username = $USER_NAME
password = $IMAPFS_TEST_PASSWORD
ssl = True
port = $IMAPFS_TEST_TLS_PORT
ssl_ca_file = $IMAPFS_TEST_CA
timeout = 10

[wrongpw]
password = not-the-password

[starttls]
ssl = false
starttls = yes
port = $IMAPFS_TEST_PORT
EOF
)

check_run "--check with IMAPClient's config" 0 "INBOX 53 messages" --check --config "$CONF"
check_run "--check lists capabilities" 0 "^capabilities: .*IMAP4rev1" --check --config "$CONF"
check_run "--check of another account section (starttls)" 0 "logged in as alice" \
	--check --config "$CONF" --account starttls

MNT=$W/mnt-imapclient
mkdir -p "$MNT"
if "$IMAPFS" -f --config "$CONF" "$MNT" -o "cache_dir=$W/cache" </dev/null \
	>"$W/ic.err" 2>&1 & then
	MT_PID[$MNT]=$!
	MT_ERR[$MNT]=$W/ic.err
fi
mkdir -p "$MNT"
for _ in $(seq 150); do mountpoint -q "$MNT" && break; sleep 0.1; done
if mountpoint -q "$MNT"; then
	n=$(find "$MNT/INBOX" -name '*.eml' | wc -l)
	check_eq "IMAPClient config mounts: INBOX has 53 messages" 53 "$n"
	first=$(awk -F'\t' '$1 == "INBOX" && $2 == 1 { print $3 }' "$IMAPFS_TEST_MANIFEST")
	check "a message reads back (CRLF as served)" \
		cmp <(sed 's/$/\r/' "$first") "$MNT/INBOX/0000000001.eml"
	mt_umount "$MNT" && ok "IMAPClient config mount unmounts cleanly"
else
	not_ok "IMAPClient config mounts"
	diag "$W/ic.err"
fi

# -- --check failures: what failed, what to try, an exit code per class --------------------
chmod 644 "$CONF"
check_run "a readable config with a password is refused" 1 "chmod 600 $CONF" \
	--check --config "$CONF"
chmod 600 "$CONF"
check_run "wrong password: exit 6" 6 "AUTHENTICATIONFAILED|refused login" \
	--check --config "$CONF" --account wrongpw
check_run "certificate for another name: exit 5" 5 "does not match the host name" \
	--check --config "$CONF" -o host="$IMAPFS_TEST_WRONG_HOST"
check_run "unknown CA: exit 5, says why" 5 "certificate" \
	--check --config "$CONF" -o ca_file=/etc/ssl/certs/ca-certificates.crt
check_run "unreachable (closed port): exit 3" 3 "Connection refused.*|try: check host" \
	--check --config "$CONF" -o port="$(python3 "$NET" free-ports 1)"
check_run "silent port: greeting timeout, exit 4" 4 "no greeting within|did not finish" \
	--check --config "$CONF" -o security=starttls,port="$IMAPFS_TEST_SILENT_PORT",greeting_timeout=1
check_run "pin that does not match: exit 5" 5 "pinned SHA-256" \
	--check --config "$CONF" -o tls_pin_sha256="$(printf '%064d' 0)"
pin=$(openssl x509 -in "$IMAPFS_TEST_CA" -outform DER | sha256sum | cut -d' ' -f1)
check_run "the right pin is accepted" 0 "check passed" --check --config "$CONF" \
	-o tls_pin_sha256="$pin"

# -- security=auto -----------------------------------------------------------------------
check_run "auto on the implicit-TLS port" 0 "check passed" --check --config "$CONF" \
	-o security=auto,port="$IMAPFS_TEST_TLS_PORT"
check_run "auto on the STARTTLS port" 0 "check passed" --check --config "$CONF" \
	-o security=auto,port="$IMAPFS_TEST_PORT",greeting_timeout=2
check_run "auto never logs in unencrypted (silent port)" 4 "STARTTLS failed|no greeting" \
	--check --config "$CONF" -o security=auto,port="$IMAPFS_TEST_SILENT_PORT",greeting_timeout=1

# -- TLS 1.3 required of a server that stops at 1.2 ------------------------------------------
TLS12_PORT=$(python3 "$NET" free-ports 1)
gnutls-serv --echo -p "$TLS12_PORT" --priority "NORMAL:-VERS-TLS1.3" \
	--x509certfile="$IMAPFS_TEST_CA" --x509keyfile="$IMAPFS_TEST_DIR/key.pem" \
	>/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$TLS12_PORT") 2>/dev/null && break
	sleep 0.05
done
check_run "tls_min=1.3 against a TLS 1.2 server fails clearly" 5 "TLS|protocol version" \
	--check --config "$CONF" -o port="$TLS12_PORT",tls_min=1.3

# -- a tunnel: doveadm exec imap (PREAUTH) ------------------------------------------------
# Dovecot logs to stderr; keep it out of imapfs's stderr, which must stay empty.
TUNNEL="doveadm -c $IMAPFS_TEST_DOVECOT_CONF exec imap -u $USER_NAME 2>>$W/tunnel.log"
check_run "tunnel through doveadm exec imap" 0 "logged in .* with PREAUTH" \
	--check -o "tunnel=$TUNNEL"
MNT=$W/mnt-tunnel
mkdir -p "$MNT"
"$IMAPFS" -f "$MNT" -o "tunnel=$TUNNEL,cache_dir=$W/cache-t" </dev/null >"$W/t.err" 2>&1 &
MT_PID[$MNT]=$!
MT_ERR[$MNT]=$W/t.err
for _ in $(seq 150); do mountpoint -q "$MNT" && break; sleep 0.1; done
if mountpoint -q "$MNT"; then
	n=$(find "$MNT/INBOX" -name '*.eml' | wc -l)
	check_eq "tunnel mount: INBOX has 53 messages" 53 "$n"
	mt_umount "$MNT" && ok "tunnel mount unmounts cleanly"
else
	not_ok "tunnel mounts"
	diag "$W/t.err"
fi

# -- fstab style: mount -t fuse.imapfs ACCOUNT MOUNTPOINT -o config=FILE --------------------
# mount(8) runs /sbin/mount.fuse.imapfs or mount.fuse (mount.fuse3), which runs "imapfs
# ACCOUNT MOUNTPOINT -o OPTS" with PATH reset to the standard directories. So the built
# imapfs goes to /usr/local/bin for the duration of the test, unless one is installed
# there already (then that one is tested: skip rather than replace it).
LINK=/usr/local/bin/imapfs
LINKED=
remove_link() {
	[ -n "$LINKED" ] && rm -f "$LINK"
	LINKED=
	return 0
}
trap 'remove_link; mt_cleanup' EXIT
fstab_mount() { # DESC COMMAND...: mounts, lists INBOX, unmounts with umount(8)
	local desc=$1 n
	shift
	if timeout 30 "$@" >"$W/fstab.err" 2>&1; then
		n=$(find "$MNT/INBOX" -name '*.eml' | wc -l)
		check_eq "$desc: INBOX has 53 messages" 53 "$n"
		check "$desc: umount" umount "$MNT"
	else
		not_ok "$desc"
		diag "$W/fstab.err"
		fusermount3 -u -z "$MNT" 2>/dev/null
	fi
	check_eq "$desc printed nothing" "" "$(cat "$W/fstab.err")"
}
MNT=$W/mnt-fstab
mkdir -p "$MNT"
# tests/doc/test_install.sh links the installed binary there: one at a time.
exec 9>"${TMPDIR:-/tmp}/imapfs-test-usr-local-bin.lock"
flock 9
if [ -e "$LINK" ] || [ -L "$LINK" ]; then
	not_ok "$LINK exists already: not replaced, fstab mounts not tested"
else
	ln -s "$IMAPFS" "$LINK" && LINKED=1
	fstab_mount "mount -t fuse.imapfs starttls MNT -o config=FILE" \
		mount -t fuse.imapfs starttls "$MNT" -o "config=$CONF,cache_dir=$W/cache-f"
	# The same as an /etc/fstab line, from a file of its own (the system's is untouched).
	printf 'starttls %s fuse.imapfs config=%s,cache_dir=%s,noauto 0 0\n' \
		"$MNT" "$CONF" "$W/cache-f" >"$W/fstab"
	fstab_mount "mount --fstab FILE MNT" mount --fstab "$W/fstab" "$MNT"
	remove_link
fi

echo "# $MT_PASS passed, $MT_FAIL failed"
[ "$MT_FAIL" -eq 0 ]
