#!/usr/bin/env bash
# The repository stands on its own (issue 14): a clone into an empty directory, with
# nothing beside it (no ../shared, no build machine's paths), runs scripts/demo and the
# harness's own mount tests. Run as: test_clone_alone.sh IMAPFS_EXECUTABLE (the build's
# binary, for the mount test; the demo builds its own in the clone).
set -u
IMAPFS=$(realpath "${1:?usage: $0 IMAPFS_EXECUTABLE}")
SRC=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
TOP=$(mktemp -d /tmp/imapfs-alone.XXXXXX)
trap '(cd "$TOP/imapfs" 2>/dev/null && scripts/demo stop >/dev/null 2>&1); rm -rf "$TOP"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

git clone -q "$SRC" "$TOP/imapfs" || exit 1
cd "$TOP/imapfs" || exit 1
[ "$(ls -A "$TOP")" = imapfs ] && ok "the clone has nothing beside it" ||
	not_ok "the clone has nothing beside it"
if grep -rnIE -e '(^|[^~A-Za-z0-9_.-])/work/' -e '\.\./shared' --exclude-dir=.git --exclude=test_clone_alone.sh . >"$TOP/paths"; then
	not_ok "no file names a path of the build machine or ../shared"
	sed 's/^/#   /' "$TOP/paths" | head
else
	ok "no file names a path of the build machine or ../shared"
fi
if scripts/demo >"$TOP/demo.out" 2>&1; then
	ok "scripts/demo runs in the clone alone"
else
	not_ok "scripts/demo runs in the clone alone"
	tail -n 20 "$TOP/demo.out" | sed 's/^/#   /'
fi
grep -q 'Signed-off-by' "$TOP/demo.out" && ok "the demo greps its sample mail through the mount" ||
	not_ok "the demo greps its sample mail through the mount"
scripts/demo stop >/dev/null 2>&1
for t in test_harness.sh "test_mount_read.sh $IMAPFS"; do
	# shellcheck disable=SC2086
	if tests/harness/with-dovecot -- tests/integration/$t >"$TOP/t.out" 2>&1; then
		ok "the clone's harness runs ${t%% *} ($(tail -n 1 "$TOP/t.out" | tr -d '#'))"
	else
		not_ok "the clone's harness runs ${t%% *}"
		grep '^not ok' "$TOP/t.out" | head | sed 's/^/#   /'
	fi
done
# shellcheck disable=SC2016
tests/harness/with-dovecot -- bash -c '[ -n "$(ls "$IMAPFS_CORPUS"/default)" ] &&
	case $IMAPFS_CORPUS in "$IMAPFS_TEST_DIR"/*) exit 0 ;; esac; exit 1' >/dev/null 2>&1 &&
	ok "the harness generates its own sample mail, inside its own directory" ||
	not_ok "the harness generates its own sample mail, inside its own directory"
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
