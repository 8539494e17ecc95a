"""A small real test suite, run through ``python -m subunit.run sample_suite`` by
make_samples.py to make the ``python-unittest`` sample. Its outcomes are fixed: the
description ``samples/data/python-unittest.toml`` lists them.
"""

import io
import sys
import unittest

import testtools
from testtools.content import text_content


class StdlibOutcomes(unittest.TestCase):
    """Every outcome a plain unittest case can have."""

    def test_pass(self):
        self.assertEqual(2, 1 + 1)

    def test_fail(self):
        self.assertEqual("expected", "actual")

    def test_error(self):
        raise RuntimeError("boom")

    def test_skip(self):
        self.skipTest("not on this platform")

    @unittest.expectedFailure
    def test_xfail(self):
        self.assertTrue(False)

    @unittest.expectedFailure
    def test_uxsuccess(self):
        self.assertTrue(True)

    def test_prints_to_the_stream(self):
        # Not captured: these bytes land in the subunit stream itself, between packets, and
        # readers report them as non-test "stdout". "canci\xf3n" encodes 0xC3 0xB3: a 0xB3
        # inside UTF-8 text that must not be taken for a packet signature.
        print("plain output from a test: canci\u00f3n", flush=True)


class CapturedOutput(testtools.TestCase):
    """Tests whose stdout and stderr are captured and attached as details."""

    def setUp(self):
        super().setUp()
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err

        def restore():
            sys.stdout, sys.stderr = saved
            if out.getvalue():
                self.addDetail("stdout", text_content(out.getvalue()))
            if err.getvalue():
                self.addDetail("stderr", text_content(err.getvalue()))

        self.addCleanup(restore)

    def test_captured_pass(self):
        print("captured stdout line")
        sys.stderr.write("captured stderr line\n")

    def test_captured_fail(self):
        print("about to fail")
        self.fail("failed after printing")

    def test_skip_with_reason(self):
        self.skipTest("skipped by testtools")

    def test_binary_detail(self):
        from testtools.content import Content
        from testtools.content_type import ContentType

        blob = b"\x00\xb3\x01binary\xff"
        self.addDetail("blob", Content(ContentType("application", "octet-stream"), lambda: [blob]))


class Tagged(unittest.TestCase):
    """Run inside a tag context (see load_tests)."""

    def test_tagged_pass(self):
        pass

    def test_tagged_fail(self):
        self.assertIn("x", "abc")


class TaggingSuite(unittest.TestSuite):
    """Runs its tests inside result.tags(add, remove) brackets, as stestr's workers do."""

    def __init__(self, tests, tags):
        super().__init__(tests)
        self._tags = set(tags)

    def run(self, result, debug=False):
        result.tags(self._tags, set())
        try:
            return super().run(result, debug)
        finally:
            result.tags(set(), self._tags)


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromTestCase(StdlibOutcomes))
    suite.addTests(loader.loadTestsFromTestCase(CapturedOutput))
    suite.addTest(TaggingSuite(loader.loadTestsFromTestCase(Tagged), ["worker-1", "slow"]))
    return suite
