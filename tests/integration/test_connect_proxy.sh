#!/usr/bin/env bash
# Each proxy kind through a real proxy from Debian, on loopback ports of its own:
# microsocks (SOCKS5 with user/password), danted (SOCKS4, SOCKS4a, SOCKS5) and
# tinyproxy (HTTP CONNECT with basic auth, only the TLS port allowed), each also refusing
# (wrong proxy password, a destination port it does not allow): exit status 7.
# shellcheck source=mount-lib.sh
. "$(dirname "$0")/mount-lib.sh"

NET=$MT_LIBDIR/../harness/harness-net

# The proxy user's password is a test value, on loopback only.
PX_USER=px
PX_PASS=px-pass
read -r MS_PORT DANTE_PORT TINY_PORT < <(python3 "$NET" free-ports 3)

wait_port() {
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

CONF=$W/account.ini
(umask 077 && cat >"$CONF") <<EOF
[DEFAULT]
host = 127.0.0.1
username = $USER_NAME
password = $IMAPFS_TEST_PASSWORD
port = $IMAPFS_TEST_TLS_PORT
ssl_ca_file = $IMAPFS_TEST_CA
timeout = 10
EOF

# proxy_check DESC WANT_STATUS REGEX PROXY_URL [EXTRA_OPTS]: the proxy URL goes into the
# config file (it may hold a proxy password), not onto the command line.
proxy_check() {
	local desc=$1 want=$2 re=$3 conf=$W/proxy.ini out=$W/run.out rc
	(umask 077 && { cat "$CONF"; echo "proxy = $4"; } >"$conf")
	timeout 30 "$IMAPFS" --check --config "$conf" ${5:+-o "$5"} </dev/null >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		not_ok "$desc: exit status $want (got $rc)"
		diag "$out"
	elif ! grep -Eq "$re" "$out"; then
		not_ok "$desc: output matches /$re/"
		diag "$out"
	elif grep -qF -e "$PX_PASS" -e "$IMAPFS_TEST_PASSWORD" "$out"; then
		not_ok "$desc: no password in the output"
	else
		ok "$desc"
	fi
}

# -- microsocks: SOCKS5 with user and password ----------------------------------------------
microsocks -i 127.0.0.1 -p "$MS_PORT" -u "$PX_USER" -P "$PX_PASS" >/dev/null 2>&1 &
BG_PIDS+=($!)
wait_port "$MS_PORT" || not_ok "microsocks starts"
proxy_check "SOCKS5 with a password (microsocks)" 0 "INBOX 53 messages" \
	"socks5://$PX_USER:$PX_PASS@127.0.0.1:$MS_PORT"
proxy_check "SOCKS5 with a host name resolved by the proxy" 0 "check passed" \
	"socks5://$PX_USER:$PX_PASS@127.0.0.1:$MS_PORT" host=localhost
proxy_check "SOCKS5 wrong proxy password: refused by the proxy" 7 "try: check the proxy" \
	"socks5://$PX_USER:wrong@127.0.0.1:$MS_PORT"


# A proxy password never on the command line: refused there, taken from a 0600 file.
PXPW=$W/proxy-password
(umask 077 && printf '%s\n' "$PX_PASS" >"$PXPW")
(umask 077 && { cat "$CONF"; echo "proxy = socks5://$PX_USER@127.0.0.1:$MS_PORT"; } >"$W/pxuser.ini")
timeout 30 "$IMAPFS" --check --config "$CONF" \
	-o "proxy=socks5://$PX_USER:$PX_PASS@127.0.0.1:$MS_PORT" </dev/null >"$W/run.out" 2>&1
rc=$?
check_eq "-o proxy= with a password is refused: exit status 1" 1 "$rc"
check "the refusal points to proxy_password_file and the config file" \
	grep -q "proxy_password_file=FILE" "$W/run.out"
check "the refusal does not repeat the password" bash -c "! grep -qF -- '$PX_PASS' '$W/run.out'"
timeout 30 "$IMAPFS" --check --config "$CONF" \
	-o "proxy=socks5://$PX_USER@127.0.0.1:$MS_PORT,proxy_password_file=$PXPW" \
	</dev/null >"$W/run.out" 2>&1
check_eq "SOCKS5 with proxy_password_file (microsocks): check passes" 0 "$?"
proxy_check "SOCKS5 with the user in the config file and proxy_password_file" 0 \
	"INBOX 53 messages" "socks5://$PX_USER@127.0.0.1:$MS_PORT" "proxy_password_file=$PXPW"
chmod 644 "$PXPW"
timeout 30 "$IMAPFS" --check --config "$CONF" \
	-o "proxy=socks5://$PX_USER@127.0.0.1:$MS_PORT,proxy_password_file=$PXPW" \
	</dev/null >"$W/run.out" 2>&1
check_eq "a proxy_password_file others can read is refused: exit status 2" 2 "$?"
check "and the message says 0600" grep -q "0600" "$W/run.out"
# A config file with a proxy password must be private like one with the IMAP password.
{ grep -v '^password' "$CONF"; echo "proxy = socks5://$PX_USER:$PX_PASS@127.0.0.1:$MS_PORT"; } \
	>"$W/open.ini"
chmod 644 "$W/open.ini"
timeout 30 "$IMAPFS" --check --config "$W/open.ini" -o "password_file=$PWFILE" \
	</dev/null >"$W/run.out" 2>&1
check_eq "a readable config file with a proxy password is refused: exit status 1" 1 "$?"
check "and the message says chmod 600" grep -q "chmod 600" "$W/run.out"

# -- danted: SOCKS4, SOCKS4a, SOCKS5; only the TLS port allowed --------------------------------
cat >"$W/danted.conf" <<EOF
logoutput: $W/danted.log
internal: 127.0.0.1 port = $DANTE_PORT
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 port = $IMAPFS_TEST_TLS_PORT }
socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 }
EOF
danted -f "$W/danted.conf" -p "$W/danted.pid" >/dev/null 2>&1 &
BG_PIDS+=($!)
wait_port "$DANTE_PORT" || not_ok "danted starts"
proxy_check "SOCKS4 (danted)" 0 "check passed" "socks4://127.0.0.1:$DANTE_PORT"
# (danted rejects SOCKS4a host names, so the 4a form is tested with an address.)
proxy_check "SOCKS4a (danted)" 0 "check passed" "socks4a://127.0.0.1:$DANTE_PORT"
proxy_check "SOCKS5 without auth (danted)" 0 "check passed" "socks5://127.0.0.1:$DANTE_PORT"
proxy_check "SOCKS5 to a port danted blocks: refused by the proxy" 7 "try: check the proxy" \
	"socks5://127.0.0.1:$DANTE_PORT" "port=$IMAPFS_TEST_PORT,security=starttls"

# -- tinyproxy: HTTP CONNECT with basic auth, ConnectPort the TLS port only ----------------------
cat >"$W/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $TINY_PORT
Listen 127.0.0.1
Timeout 30
MaxClients 10
Allow 127.0.0.1
BasicAuth $PX_USER $PX_PASS
ConnectPort $IMAPFS_TEST_TLS_PORT
EOF
tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.log" 2>&1 &
BG_PIDS+=($!)
wait_port "$TINY_PORT" || not_ok "tinyproxy starts"
proxy_check "HTTP CONNECT with basic auth (tinyproxy)" 0 "INBOX 53 messages" \
	"http://$PX_USER:$PX_PASS@127.0.0.1:$TINY_PORT"
proxy_check "HTTP CONNECT wrong proxy password: refused by the proxy" 7 "try: check the proxy" \
	"http://$PX_USER:wrong@127.0.0.1:$TINY_PORT"
proxy_check "HTTP CONNECT to a port tinyproxy denies: refused by the proxy" 7 \
	"try: check the proxy" "http://$PX_USER:$PX_PASS@127.0.0.1:$TINY_PORT" \
	"port=$IMAPFS_TEST_PORT,security=starttls"

# A mount through the proxy, not only --check.
MNT=$W/mnt-proxy
mkdir -p "$MNT"
"$IMAPFS" -f --config "$W/proxy.ini" "$MNT" -o "cache_dir=$W/cache,port=$IMAPFS_TEST_TLS_PORT" \
	</dev/null >"$W/m.err" 2>&1 &
MT_PID[$MNT]=$!
MT_ERR[$MNT]=$W/m.err
for _ in $(seq 150); do mountpoint -q "$MNT" && break; sleep 0.1; done
if mountpoint -q "$MNT"; then
	check_eq "mount through tinyproxy: INBOX has 53 messages" 53 \
		"$(find "$MNT/INBOX" -name '*.eml' | wc -l)"
	mt_umount "$MNT" && ok "mount through tinyproxy unmounts cleanly"
else
	not_ok "mount through tinyproxy"
	diag "$W/m.err"
fi

echo "# $MT_PASS passed, $MT_FAIL failed"
[ "$MT_FAIL" -eq 0 ]
