#!/usr/bin/env bash
# OAuth2 against Dovecot's oauth2 passdb (with-dovecot --oauth2), which checks tokens at
# a token service this test runs on loopback (oauth2-service): a token from
# oauth2_token_command, one from the refresh grant over HTTPS, and refusals.
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

echo "# $MT_PASS passed, $MT_FAIL failed"
[ "$MT_FAIL" -eq 0 ]
