#!/usr/bin/env python3
"""tests/harness/gen-corpus writes mail that Python's email package reads as meant:
every message outside broken/ parses with no defect and has From, Date and
Message-ID; each broken/ message shows the fault its X-Imapfs-Broken names and
no message elsewhere shows one.  The output is the same for the same seed, has
the layout the harness relies on, and holds the kinds of mail the corpus is for.

usage: test_gen_corpus.py GEN-CORPUS
"""

import email.parser
import email.policy
import importlib.machinery
import importlib.util
import os
import re
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
GEN = None
COUNTS = {"default": 53, "html": 2, "threading": 12, "lkml": 210, "attachment": 4,
          "broken": 8}


def load(path):
    loader = importlib.machinery.SourceFileLoader("gen_corpus", path)
    spec = importlib.util.spec_from_loader("gen_corpus", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def header_block(data):
    end = data.find(b"\n\n")
    return data if end < 0 else data[:end]


def parse(data):
    return email.parser.BytesParser(policy=email.policy.default).parsebytes(data)


def fault_shown(fault, data, msg):
    """Whether DATA (parsed as MSG) really has the fault it claims."""
    head = header_block(data)
    if fault == "no-blank-line":
        return any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in msg.defects)
    if fault == "bare-cr":
        return re.search(rb"\r(?!\n)", data) is not None
    if fault == "nul":
        return b"\0" in data
    if fault == "8bit-header":
        return any(b > 127 for b in head)
    if fault == "no-date":
        return msg["Date"] is None
    if fault == "two-cc":
        return len(msg.get_all("Cc")) == 2
    if fault == "reply-loop":
        return msg["In-Reply-To"] is not None
    raise AssertionError("unknown fault " + fault)


def faults(data):
    """Every fault the checks above find in DATA."""
    msg = parse(data)
    names = ["no-blank-line", "bare-cr", "nul", "8bit-header", "no-date"]
    found = [f for f in names if fault_shown(f, data, msg)]
    return found + (["defect"] if msg.defects and "no-blank-line" not in found else [])


class GenCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        started = time.monotonic()
        GEN.write(cls.tmp.name, 14, True)
        cls.seconds = time.monotonic() - started
        cls.root = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def files(self, folder):
        d = os.path.join(self.root, folder)
        return [os.path.join(d, n) for n in sorted(os.listdir(d))]

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_layout(self):
        self.assertEqual(sorted(COUNTS), sorted(os.listdir(self.root)))
        for folder, n in COUNTS.items():
            names = [os.path.basename(p) for p in self.files(folder)]
            self.assertEqual(["%04d.eml" % i for i in range(1, n + 1)], names, folder)

    def test_fast(self):
        self.assertLess(self.seconds, 10, "generation took %.1f s" % self.seconds)

    def test_good_messages_parse_cleanly(self):
        for folder in COUNTS:
            if folder == "broken":
                continue
            for path in self.files(folder):
                data = self.read(path)
                msg = parse(data)
                self.assertEqual([], faults(data), path)
                for name in ("From", "Date", "Message-ID", "Subject"):
                    self.assertIsNotNone(msg[name], "%s: no %s" % (path, name))
                self.assertNotIn(b"\r", data, path)
                for part in msg.walk():
                    if not part.is_multipart():
                        part.get_content()  # decodes base64 / quoted-printable

    def test_broken_messages_are_broken_as_labelled(self):
        seen = set()
        for path in self.files("broken"):
            data = self.read(path)
            m = re.search(rb"^X-Imapfs-Broken: (\S+)$", header_block(data), re.M)
            self.assertIsNotNone(m, path)
            fault = m.group(1).decode()
            seen.add(fault)
            self.assertTrue(fault_shown(fault, data, parse(data)), "%s: not %s" % (path, fault))
        self.assertEqual({"no-blank-line", "bare-cr", "nul", "8bit-header", "no-date",
                          "two-cc", "reply-loop"}, seen)

    def test_kinds_of_mail(self):
        everything = b"".join(self.read(p) for f in COUNTS for p in self.files(f))
        for what, pattern in [
                ("folded header", rb"\n[A-Za-z-]+: [^\n]*\n\t"),
                ("line over 78 columns", rb"\n[A-Za-z-]+: [^\n]{79,}"),
                ("multipart/alternative", rb"multipart/alternative"),
                ("HTML part", rb"Content-Type: text/html"),
                ("base64", rb"Content-Transfer-Encoding: base64"),
                ("quoted-printable", rb"Content-Transfer-Encoding: quoted-printable"),
                ("encoded word", rb"=\?(?i:utf-8)\?[BbQq]\?"),
                ("raw UTF-8", "ü".encode()),
                ("quoted reply", rb"\n> "),
                ("References", rb"\nReferences: "),
                ("patch", rb"\nSigned-off-by: ")]:
            self.assertRegex(everything, pattern, what)
        sizes = [os.path.getsize(p) for p in self.files("attachment")]
        self.assertLess(min(sizes), 8 * 1024)
        self.assertGreater(max(sizes), 5 * 1024 * 1024)

    def test_dates_span_years(self):
        years = set()
        for path in self.files("default") + self.files("lkml"):
            years.add(parse(self.read(path))["Date"].datetime.year)
        self.assertGreaterEqual(max(years) - min(years), 5, sorted(years))

    def test_threads_link_up(self):
        msgs = [parse(self.read(p)) for p in self.files("threading")]
        ids = {m["Message-ID"] for m in msgs}
        replies = [m for m in msgs if m["In-Reply-To"]]
        self.assertEqual(9, len(replies))  # three threads of 5, 4 and 3
        for m in replies:
            self.assertIn(m["In-Reply-To"], ids)
            self.assertEqual(m["In-Reply-To"], m["References"].split()[-1])

    def test_same_seed_same_bytes(self):
        with tempfile.TemporaryDirectory() as other:
            GEN.write(other, 14, True)
            for folder in COUNTS:
                for path in self.files(folder):
                    twin = os.path.join(other, folder, os.path.basename(path))
                    self.assertEqual(self.read(path), self.read(twin), path)


if __name__ == "__main__":
    GEN = load(sys.argv.pop(1))
    unittest.main(verbosity=2)
