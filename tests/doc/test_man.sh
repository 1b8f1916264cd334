#!/usr/bin/env bash
# The man page renders with no groff warning (as groff checks it and as man(1) sets it at
# 80 columns), and names every option `imapfs --help` lists in its own sections (the
# FUSE library's options are its own business), so the two cannot drift apart.
#
# usage: test_man.sh MANPAGE IMAPFS
set -uo pipefail
page=$1 imapfs=$2
failures=0

fail() {
	echo "not ok - $*"
	failures=$((failures + 1))
}

warnings() {
	local out
	out=$("$@" 2>&1 >/dev/null)
	if [[ -n $out ]]; then
		fail "no warnings from $*"
		printf '#   %s\n' "$out"
	else
		echo "ok - no warnings from $*"
	fi
}

warnings groff -ww -man -z "$page"
warnings groff -ww -man -Tutf8 -rLL=80n -rLT=80n -z "$page"

# The option names of imapfs's own sections: from "imapfs options:" to the end of the
# SMTP section, every NAME of "-o NAME=" and ",NAME=".
names=$("$imapfs" --help 2>&1 | sed -n '/^imapfs options:/,/^SMTP/p;/^SMTP/,/^$/p' |
	grep -oE -- '(-o |,)[a-z0-9_]+' | sed -E 's/^(-o |,)//' | sort -u)
[[ $(wc -w <<<"$names") -ge 40 ]] || fail "imapfs --help lists its options ($(wc -w <<<"$names") found)"
text=$(groff -man -Tutf8 -rLL=200n "$page" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
missing=
for n in $names; do
	grep -qE "(^|[^a-z0-9_])$n([^a-z0-9_]|$)" <<<"$text" || missing+=" $n"
done
if [[ -n $missing ]]; then
	fail "the man page names every option of imapfs --help; missing:$missing"
else
	echo "ok - the man page names every option of imapfs --help ($(wc -w <<<"$names"))"
fi
for section in SYNOPSIS OPTIONS SECURITY "EXIT STATUS" FILES EXAMPLES "WHAT IS NEVER LOST"; do
	grep -qx "$section" <<<"$text" || fail "the man page has a section $section"
done
for want in fuse.imapfs "systemctl --user" smtp_auth=none .outbox; do
	grep -qF -- "$want" <<<"$text" || fail "the man page mentions $want"
done
echo "# $failures failed"
((failures == 0))
