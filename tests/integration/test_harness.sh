#!/usr/bin/env bash
# Smoke test of the test harness itself, run under tests/harness/with-dovecot:
# the private Dovecot must hold exactly what the harness contract promises,
# checked through the independent imap-oracle.
set -euo pipefail

oracle=$(cd "$(dirname "${BASH_SOURCE[0]}")/../harness" && pwd)/imap-oracle
corpus=${IMAPFS_CORPUS:?run under with-dovecot}
d=${IMAPFS_TEST_DELIM:?run under with-dovecot}
failures=0

fail()
{
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

expect_eq()
{
	local what=$1 want=$2 got=$3
	if [[ $want == "$got" ]]; then
		echo "ok: $what"
	else
		fail "$what: want [$want], got [$got]"
	fi
}

corpus_count()
{
	find "$corpus/$1" -maxdepth 1 -type f | wc -l
}

check_folders()
{
	local want
	want=$({
		echo INBOX
		echo Archive
		echo "Archive${d}2024"
		echo "Résumé"
		find "$corpus" -mindepth 1 -maxdepth 1 -type d ! -name default -printf '%f\n'
	} | LC_ALL=C sort)
	expect_eq "folder list (delimiter $d)" "$want" "$("$oracle" folders | LC_ALL=C sort)"
}

check_counts()
{
	local dir
	expect_eq "INBOX count" "$(corpus_count default)" "$("$oracle" count INBOX)"
	for dir in "$corpus"/*/; do
		dir=$(basename "$dir")
		[[ $dir == default ]] && continue
		expect_eq "$dir count" "$(corpus_count "$dir")" "$("$oracle" count "$dir")"
	done
	expect_eq "Archive count" 0 "$("$oracle" count Archive)"
	expect_eq "Archive${d}2024 count" 3 "$("$oracle" count "Archive${d}2024")"
	expect_eq "Résumé count" "$(corpus_count html)" "$("$oracle" count "Résumé")"
}

# UID n is the n-th corpus file, byte for byte once CRLF is undone.
check_bodies()
{
	local got
	got=$("$oracle" body INBOX 1 | tr -d '\r' | md5sum)
	expect_eq "INBOX UID 1 is default/0001.eml" "$(md5sum <"$corpus/default/0001.eml")" "$got"
	got=$("$oracle" body "Résumé" 2 | tr -d '\r' | md5sum)
	expect_eq "Résumé UID 2 is html/0002.eml" "$(md5sum <"$corpus/html/0002.eml")" "$got"
	expect_eq "manifest lines" "$(grep -c . "$IMAPFS_TEST_MANIFEST")" \
		"$(($(find "$corpus" -mindepth 2 -type f | wc -l) + 3 + 1 + $(corpus_count html)))"
}

# INTERNALDATE comes from the Date header, read here by Python's email package.
check_dates()
{
	local want
	want=$(python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(int(email.utils.parsedate_to_datetime(m["Date"]).timestamp()))' "$corpus/default/0001.eml")
	expect_eq "INBOX UID 1 INTERNALDATE" "$want" "$("$oracle" meta INBOX | awk '$1 == 1 { print $3 }')"
}

check_silent()
{
	local got
	got=$(timeout 2 socat -u "TCP:$IMAPFS_TEST_HOST:$IMAPFS_TEST_SILENT_PORT" - 2>/dev/null | head -c 1 | wc -c || true)
	expect_eq "silent listener sends nothing" 0 "$got"
}

check_env()
{
	local var
	for var in IMAPFS_TEST_HOST IMAPFS_TEST_PORT IMAPFS_TEST_TLS_PORT IMAPFS_TEST_CA \
		IMAPFS_TEST_WRONG_HOST IMAPFS_TEST_USER IMAPFS_TEST_PASSWORD \
		IMAPFS_TEST_DOVECOT_CONF IMAPFS_TEST_DIR IMAPFS_TEST_LOG; do
		[[ -n ${!var:-} ]] || fail "$var is not set"
	done
	[[ -s $IMAPFS_TEST_CA ]] || fail "no certificate at IMAPFS_TEST_CA"
	doveadm -c "$IMAPFS_TEST_DOVECOT_CONF" mailbox list -u "$IMAPFS_TEST_USER" >/dev/null ||
		fail "doveadm cannot use IMAPFS_TEST_DOVECOT_CONF"
}

check_env
check_folders
check_counts
check_bodies
check_dates
check_silent
if ((failures)); then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "all harness checks passed"
