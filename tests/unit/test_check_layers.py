#!/usr/bin/env python3
"""scripts/check-layers against tiny fake trees, one kind of violation at a time.

usage: test_check_layers.py [PATH-OF-check-layers]
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "check-layers")

# A tree that breaks no rule: each layer includes only lower ones, fs/ includes FUSE,
# tests/ includes anything, a module split behind its x-internal.h is one unit.
CLEAN = {
    "net/meson.build": "net_dep = declare_dependency()\n",
    "net/socket.h": "#pragma once\nint net_open(void);\n",
    "net/socket.c": '#include "net/socket.h"\nint net_open(void)\n{\n\treturn 3;\n}\n',
    "imap/meson.build": "imap_lib = static_library('imap', dependencies : [net_dep])\n"
                        "imap_dep = declare_dependency(link_with : imap_lib)\n",
    "imap/parser.h": "#pragma once\nint imap_parse(const char *s);\n",
    "imap/parser-internal.h": '#pragma once\n#include "imap/parser.h"\n'
                              "int parse_atom(const char *s);\n",
    "imap/parser.c": '#include "imap/parser-internal.h"\n#include "net/socket.h"\n'
                     "int imap_parse(const char *s)\n{\n\treturn parse_atom(s) + net_open();\n}\n",
    "imap/parser-atom.c": '#include "imap/parser-internal.h"\n'
                          "int parse_atom(const char *s)\n{\n\treturn imap_parse(s + 1);\n}\n",
    "cache/meson.build": "cache_dep = declare_dependency()\n",
    "cache/store.h": "#pragma once\ntypedef struct {\n\tint size;\n} CacheStore;\n"
                     "static inline int cache_size(const CacheStore *c)\n{\n"
                     "\treturn c->size;\n}\n",
    "cache/store.c": '#include "cache/store.h"\n'
                     "static const char *const names[] = {\"a\", \"b\", NULL};\n"
                     "static const int limits[2] = {1, 2};\n"
                     "static int helper(void);\n",
    "fs/meson.build": "executable('x', dependencies : [imap_dep, cache_dep, fuse])\n",
    "fs/ops.c": "#define FUSE_USE_VERSION 34\n#include <fuse_lowlevel.h>\n"
                '#include "imap/parser.h"\n#include "cache/store.h"\n'
                "/* static int not_code; */\nint main(void)\n{\n"
                "\tstatic const char *const s = \"static int x;\";\n\treturn imap_parse(s);\n}\n",
    "tests/unit/test_x.c": '#include <fuse_lowlevel.h>\n#include "fs/ops.h"\n'
                           "static int failures;\n",
    "bench/b.c": '#include "fs/ops.h"\n',
}


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


class CheckLayers(unittest.TestCase):
    def run_on(self, extra=None, allow=None, drop=()):
        """Runs the check on CLEAN plus EXTRA (minus DROP): (exit status, lines)."""
        with tempfile.TemporaryDirectory() as root:
            files = dict(CLEAN)
            for rel in drop:
                del files[rel]
            files.update(extra or {})
            write_tree(root, files)
            allow_path = os.path.join(root, "allow.txt")
            if allow is not None:
                with open(allow_path, "w", encoding="utf-8") as f:
                    f.write(allow)
            p = subprocess.run([sys.executable, SCRIPT, "--root", root, "--allow", allow_path],
                               capture_output=True, text=True, check=False)
            self.assertEqual(p.stderr, "")
            lines = p.stdout.splitlines()
            self.assertTrue(lines and lines[-1].startswith("check-layers: "), p.stdout)
            return p.returncode, lines[:-1]

    def assert_reported(self, extra, *prefixes, drop=()):
        rc, lines = self.run_on(extra, drop=drop)
        self.assertEqual(rc, 1, lines)
        for prefix in prefixes:
            self.assertTrue(any(l.startswith(prefix) for l in lines),
                            f"no line starting {prefix!r} in {lines}")
        return lines

    def test_clean_tree_passes(self):
        rc, lines = self.run_on()
        self.assertEqual((rc, lines), (0, []))

    def test_include_of_a_higher_layer(self):
        lines = self.assert_reported({"net/up.c": '#include <stdio.h>\n#include "imap/parser.h"\n'},
                                     "net/up.c:2: layer: ")
        self.assertEqual(len(lines), 1, lines)

    def test_include_of_a_sibling_layer(self):
        self.assert_reported({"cache/side.c": '#include "imap/parser.h"\n'},
                             "cache/side.c:1: layer: ")

    def test_mail_and_conf_are_siblings(self):
        self.assert_reported({"mail/m.c": '#include "conf/options.h"\n',
                              "conf/options.h": "#pragma once\n"},
                             "mail/m.c:1: layer: ")

    def test_include_of_tests_from_a_layer(self):
        self.assert_reported({"fs/t.c": '#include "tests/test-util.h"\n',
                              "tests/test-util.h": "#pragma once\n"},
                             "fs/t.c:1: layer: ")

    def test_cycle_of_three_units_in_a_folder(self):
        self.assert_reported({
            "imap/a.h": "#pragma once\n", "imap/b.h": "#pragma once\n",
            "imap/c.h": "#pragma once\n",
            "imap/a.c": '#include "imap/b.h"\n',
            "imap/b.c": '#include "imap/c.h"\n',
            "imap/c.c": '#include "a.h"\n',  # a relative include counts too
        }, "imap/a.c:1: cycle: ", "imap/b.c:1: cycle: ", "imap/c.c:1: cycle: ")

    def test_cycle_across_folders(self):
        self.assert_reported({
            "imap/up.h": "#pragma once\n",
            "imap/up.c": '#include "fs/down.h"\n',
            "fs/down.h": "#pragma once\n",
            "fs/down.c": '#include "imap/up.h"\n',
        }, "imap/up.c:1: cycle: ", "fs/down.c:1: cycle: ", "imap/up.c:1: layer: ")

    def test_header_declaring_another_files_functions(self):
        # mount.h declares ops.c's function: write.c calling it closes the circle.
        self.assert_reported({
            "fs/mount.h": "#pragma once\nvoid fs_attr(int x);\n",
            "fs/write.h": "#pragma once\nvoid fs_write(void);\n",
            "fs/ops.c": '#include "fs/mount.h"\n#include "fs/write.h"\n'
                        "void fs_attr(int x)\n{\n\tfs_write();\n}\n",
            "fs/write.c": '#include "fs/mount.h"\n#include "fs/write.h"\n'
                          "void fs_write(void)\n{\n\tfs_attr(1);\n}\n",
        }, "fs/write.c:1: cycle: ", "fs/ops.c:2: cycle: ")

    def test_no_cycle_when_the_declared_function_is_not_called(self):
        rc, lines = self.run_on({
            "fs/mount.h": "#pragma once\nvoid fs_attr(int x);\n",
            "fs/write.h": "#pragma once\nvoid fs_write(void);\n",
            "fs/ops.c": '#include "fs/mount.h"\n#include "fs/write.h"\n'
                        "void fs_attr(int x)\n{\n\tfs_write();\n}\n",
            "fs/write.c": '#include "fs/mount.h"\n#include "fs/write.h"\n'
                          "void fs_write(void)\n{\n}\n",
        })
        self.assertEqual((rc, lines), (0, []))

    def test_fuse_outside_fs(self):
        self.assert_reported({"cache/f.c": "#include <fuse_lowlevel.h>\n"},
                             "cache/f.c:1: fuse: ")
        self.assert_reported({"imap/g.h": "#include <fuse3/fuse.h>\n"}, "imap/g.h:1: fuse: ")

    def test_long_file(self):
        rc, lines = self.run_on({"cache/ok.c": "int x(void);\n" * 700})
        self.assertEqual((rc, lines), (0, []))
        self.assert_reported({"cache/long.c": "int x(void);\n" * 701},
                             "cache/long.c:701: length: ")

    def test_meson_dependency_on_a_higher_layer(self):
        self.assert_reported(
            {"imap/meson.build": "imap_lib = static_library('imap',\n"
                                 "  dependencies : [net_dep, cache_dep])\n"
                                 "imap_dep = declare_dependency(link_with : imap_lib)\n"},
            "imap/meson.build:2: meson-dep: ")
        self.assert_reported(
            {"cache/meson.build": "cache_dep = declare_dependency(dependencies : fs_pure_dep)\n"},
            "cache/meson.build:1: meson-dep: ")

    def test_mutable_state_at_file_scope(self):
        lines = self.assert_reported({
            "cache/state.c": textwrap.dedent("""\
                #include <glib.h>
                static int counter;
                static GQueue kept = G_QUEUE_INIT;
                static const char *name = "x";
                static char *table[] = {"a", NULL};
                int global_count = 0;
                static void (*hook)(int);
                typedef struct {
                	int a;
                } Plain;
                static const Plain fixed = {1};
                static int f(void)
                {
                	static int inside;
                	return inside++;
                }
                G_LOCK_DEFINE_STATIC(big);
                G_DEFINE_QUARK(imapfs-x, x_error)
                """)},
            "cache/state.c:2: static: 'counter'", "cache/state.c:3: static: 'kept'",
            "cache/state.c:4: static: 'name'", "cache/state.c:5: static: 'table'",
            "cache/state.c:6: static: 'global_count'", "cache/state.c:7: static: 'hook'",
            "cache/state.c:14: static: 'inside'", "cache/state.c:17: static: 'big'")
        self.assertEqual(len(lines), 8, lines)

    def test_folder_in_no_layer(self):
        self.assert_reported({"misc/meson.build": "\n", "misc/u.c": "\n"},
                             "misc/meson.build:1: folder: ")

    def test_allow_list(self):
        extra = {"net/up.c": '#include "imap/parser.h"\n', "cache/s.c": "static int n;\n"}
        rc, lines = self.run_on(extra, allow="layer net/up.c imap/parser.h # waits for X\n"
                                             "static cache/s.c n # a signal flag\n")
        self.assertEqual((rc, lines), (0, []))
        # No reason given.
        rc, lines = self.run_on(extra, allow="layer net/up.c imap/parser.h\n"
                                             "static cache/s.c n # a signal flag\n")
        self.assertEqual(rc, 1)
        self.assertTrue(any("gives no reason" in l for l in lines), lines)
        # An entry that matches nothing any more.
        rc, lines = self.run_on(None, allow="layer net/up.c imap/parser.h imap/other.h # X\n")
        self.assertEqual(rc, 1)
        self.assertEqual(len([l for l in lines if "matches nothing" in l]), 2, lines)
        # A new violation next to an allowed one still fails.
        rc, lines = self.run_on(dict(extra, **{"cache/t.c": "static int m;\n"}),
                                allow="layer net/up.c imap/parser.h # waits for X\n"
                                      "static cache/s.c n # a signal flag\n")
        self.assertEqual(rc, 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("cache/t.c:1: static: "), lines)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        SCRIPT = sys.argv.pop(1)
    unittest.main(verbosity=2)
