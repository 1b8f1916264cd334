#!/usr/bin/env bash
# OAuth2 against Dovecot's oauth2 passdb (with-dovecot --oauth2), which checks tokens at
# a token service this test runs on loopback (oauth2-service): a token from
# oauth2_token_command, one from the refresh grant over HTTPS (also through a SOCKS5 proxy),
# and refusals (a wrong refresh token, an absent proxy, a certificate the CA file does not
# vouch for).
# shellcheck source=mount-lib.sh
. "$(dirname "$0")/mount-lib.sh"
: "${IMAPFS_TEST_OAUTH2_PORT:?run with with-dovecot --oauth2}"

python3 "$MT_LIBDIR/oauth2-service" "$IMAPFS_TEST_OAUTH2_PORT" "$W/token.port" \
	"$IMAPFS_TEST_CA" "$IMAPFS_TEST_DIR/key.pem" 3600 "$W" >/dev/null 2>&1 &
SVC=$!
trap 'kill $SVC 2>/dev/null; wait $SVC 2>/dev/null; mt_cleanup' EXIT
for _ in $(seq 100); do [ -s "$W/token.port" ] && break; sleep 0.05; done
TOKEN_PORT=$(cat "$W/token.port")

base() {
	cat <<EOF2
[DEFAULT]
host = 127.0.0.1
username = $USER_NAME
port = $IMAPFS_TEST_TLS_PORT
ssl_ca_file = $IMAPFS_TEST_CA
oauth2 = true
EOF2
}

run() { # DESC WANT REGEX CONF
	local out=$W/run.out rc
	timeout 30 "$IMAPFS" --check --config "$4" </dev/null >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq "$2" ] && grep -Eq "$3" "$out" && ! grep -q "at-[0-9a-f]" "$out"; then
		ok "$1"
	else
		not_ok "$1 (status $rc, want $2)"
		diag "$out"
	fi
}

(umask 077 && { base; echo "oauth2_token_command = echo static-token"; } >"$W/cmd.ini")
run "OAUTHBEARER with a token from oauth2_token_command" 0 "with OAUTHBEARER" "$W/cmd.ini"
(umask 077 && { base; echo "oauth2_token_command = echo static-token"
	echo "mechanisms = XOAUTH2"; } >"$W/x.ini")
run "XOAUTH2 with the same token" 0 "with XOAUTH2" "$W/x.ini"
(umask 077 && { base; echo "oauth2_token_command = echo bad-token"; } >"$W/bad.ini")
run "a token the service does not know is refused (exit 6)" 6 "refused login" "$W/bad.ini"

refresh_conf() { # FILE REFRESH_TOKEN
	(umask 077 && { base
		echo "oauth2_token_url = https://127.0.0.1:$TOKEN_PORT/token"
		echo "oauth2_client_id = imapfs"
		echo "oauth2_client_secret = cs-good"
		echo "oauth2_refresh_token = $2"; } >"$1")
}
refresh_conf "$W/refresh.ini" rt-good
run "token from the refresh grant over HTTPS" 0 "with OAUTHBEARER" "$W/refresh.ini"
check_eq "one grant was made" 1 "$(grep -c granted "$W/grants")"
refresh_conf "$W/refresh-bad.ini" rt-wrong
run "a refused refresh token: no credentials (exit 2), the endpoint's error" 2 \
	"invalid_grant" "$W/refresh-bad.ini"

# The token request (libcurl) goes the way the account is configured to: through its proxy,
# trusting only its CA file. A proxy URL with a password goes in the file, as for IMAP.
PX_USER=px
PX_PASS=px-pass
read -r MS_PORT DEAD_PORT < <(python3 "$MT_LIBDIR/../harness/harness-net" free-ports 2)
microsocks -i 127.0.0.1 -p "$MS_PORT" -u "$PX_USER" -P "$PX_PASS" >"$W/ms.log" 2>&1 &
BG_PIDS+=($!)
ms_up=
for _ in $(seq 200); do
	(exec 3<>"/dev/tcp/127.0.0.1/$MS_PORT") 2>/dev/null && ms_up=1 && break
	sleep 0.05
done
[ -n "$ms_up" ] || { not_ok "microsocks starts"; diag "$W/ms.log"; }
refresh_conf "$W/proxied.ini" rt-good
echo "proxy = socks5://$PX_USER:$PX_PASS@127.0.0.1:$MS_PORT" >>"$W/proxied.ini"
run "the refresh grant through the account's SOCKS5 proxy" 0 "with OAUTHBEARER" "$W/proxied.ini"
check_eq "a second grant was made" 2 "$(grep -c granted "$W/grants")"
check "the proxy carried the token request" grep -q "connected to 127.0.0.1:$TOKEN_PORT\$" "$W/ms.log"
if grep -qF "$PX_PASS" "$W/run.out"; then not_ok "no proxy password in the output"; else
	ok "no proxy password in the output"; fi
refresh_conf "$W/dead-proxy.ini" rt-good
echo "proxy = socks5://127.0.0.1:$DEAD_PORT" >>"$W/dead-proxy.ini"
run "a proxy that is not there: the token endpoint is not reached (exit 2)" 2 \
	"cannot reach the token endpoint" "$W/dead-proxy.ini"
check_eq "no grant without the proxy" 2 "$(grep -c granted "$W/grants")"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$W/other-key.pem" -out "$W/other-ca.pem" >/dev/null 2>&1
refresh_conf "$W/other-ca.ini" rt-good
sed -i "s|^ssl_ca_file = .*|ssl_ca_file = $W/other-ca.pem|" "$W/other-ca.ini"
run "an endpoint certificate the CA file does not vouch for is refused (exit 2)" 2 \
	"cannot reach the token endpoint.*certificate" "$W/other-ca.ini"
check_eq "no grant past an untrusted certificate" 2 "$(grep -c granted "$W/grants")"

echo "# $MT_PASS passed, $MT_FAIL failed"
[ "$MT_FAIL" -eq 0 ]
