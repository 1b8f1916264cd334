#!/usr/bin/env bash
# meson install into a DESTDIR puts each file in its FHS place under the prefix: the
# binary, the man page, the systemd user unit, the example config and the user docs;
# and the installed binary mounts through `mount -t fuse.imapfs`, as mount(8) runs it
# (mount.fuse3 finds `imapfs` in PATH), from a copy of the installed example config
# pointed at the harness's Dovecot.
#
# usage: with-dovecot -- test_install.sh BUILDDIR
. "$(dirname "$0")/../integration/mount-lib.sh"

BUILD=$1
DEST=$W/dest
meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet >"$W/install.out" 2>&1
check_eq "meson install into a DESTDIR succeeds" 0 "$?"
diag "$W/install.out"
prefix=$(meson introspect "$BUILD" --buildoptions |
	python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
P=$DEST$prefix
echo "# prefix $prefix"

check "the binary is PREFIX/bin/imapfs, executable" test -x "$P/bin/imapfs"
check_eq "it runs" "imapfs 0.1.0" "$("$P/bin/imapfs" --version | sed -n '1s/,.*//p')"
check "the man page is PREFIX/share/man/man1/imapfs.1" test -s "$P/share/man/man1/imapfs.1"
check_eq "man finds it there and renders it" "IMAPFS(1)" \
	"$(MANPATH=$P/share/man MANWIDTH=80 man imapfs 2>/dev/null | awk 'NR == 1 { print $1 }')"
unit=$P/lib/systemd/user/imapfs@.service
check "the systemd user unit is PREFIX/lib/systemd/user/imapfs@.service" test -s "$unit"
check_eq "its ExecStart runs imapfs in the foreground for the account" \
	"ExecStart=imapfs -f --account %i %h/Mail/%i" "$(grep '^ExecStart=' "$unit")"
example=$P/share/doc/imapfs/examples/config
check "the example config is PREFIX/share/doc/imapfs/examples/config" test -s "$example"
check "the user docs are in PREFIX/share/doc/imapfs" \
	test -s "$P/share/doc/imapfs/design.md" -a -s "$P/share/doc/imapfs/config.md"
check_eq "nothing else is installed" \
	"bin/imapfs lib/systemd/user/imapfs@.service share/doc/imapfs/config.md share/doc/imapfs/design.md share/doc/imapfs/examples/config share/man/man1/imapfs.1" \
	"$(cd "$P" && find . -type f -printf '%P\n' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"

# The example's [work] account, pointed at the harness (host, port, user, password, CA).
(umask 077 && printf '%s\n' "$IMAPFS_TEST_PASSWORD" >"$W/pw")
sed -e "s|^host = imap.example.org|host = $IMAPFS_TEST_HOST\nport = $IMAPFS_TEST_TLS_PORT\nca_file = $IMAPFS_TEST_CA|" \
	-e "s|^user = bob\$|user = $IMAPFS_TEST_USER|" \
	-e "s|^password_command = .*|password_file = $W/pw|" "$example" >"$W/config"
check "the copy differs from the example only in where the server is" \
	test "$(diff "$example" "$W/config" | grep -c '^>')" -eq 5
# mount(8) and systemd look for programs in the standard directories only, whatever PATH
# says: the installed binary is linked into /usr/local/bin meanwhile (unless something is
# there already: then nothing is replaced and this fails). test_connect.sh links its own
# there too: the lock keeps the two apart.
LINK=/usr/local/bin/imapfs
exec 9>"${TMPDIR:-/tmp}/imapfs-test-usr-local-bin.lock"
flock 9
if [ -e "$LINK" ] || [ -L "$LINK" ]; then
	not_ok "$LINK exists already: not replaced, the installed binary not mounted"
	mt_finish
fi
ln -s "$P/bin/imapfs" "$LINK"
trap 'rm -f "$LINK"; mt_cleanup' EXIT

mkdir -p "$W/unitcheck"
cp "$unit" "$W/unitcheck/imapfs@work.service"
check "systemd-analyze verify accepts the unit" \
	systemd-analyze verify --man=no "$W/unitcheck/imapfs@work.service"

M=$W/mnt
mkdir -p "$M"
if timeout 30 mount -t fuse.imapfs work "$M" \
	-o "config=$W/config,cache_dir=$W/cache" >"$W/mount.err" 2>&1; then
	check_eq "mount -t fuse.imapfs with the installed binary: INBOX lists the server's messages" \
		"$("$ORACLE" count INBOX)" "$(find "$M/INBOX" -name '*.eml' | wc -l)"
	pid=$(pgrep -f "^imapfs work $M " | head -n 1)
	check_eq "the process serving it is the installed binary" "$P/bin/imapfs" \
		"$(readlink "/proc/$pid/exe")"
	check "the example's outbox is there (smtp_host)" test -d "$M/.outbox"
	check "umount" umount "$M"
else
	not_ok "mount -t fuse.imapfs with the installed binary"
	diag "$W/mount.err"
	fusermount3 -u -z "$M" 2>/dev/null
fi
check_eq "the mount printed nothing" "" "$(cat "$W/mount.err")"
mt_finish
