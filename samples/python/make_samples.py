"""Write the python-written sample streams into a directory.

Usage: make_samples.py OUTDIR

  python-unittest.subunit        the suite in sample_suite.py run by ``python -m subunit.run``
  python-direct.subunit          events written straight through subunit.StreamResultToBytes,
                                 covering every status and flag
  python-subunit-output.subunit  a run of ``subunit-output`` invocations, appended

The descriptions (samples/data/NAME.toml) say what each must contain. Timestamps in the
first and last streams are the time of the run; python-direct uses fixed ones.
"""

import datetime
import os
import subprocess
import sys
import tempfile

from subunit.v2 import StreamResultToBytes

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def at(seconds, micros=0):
    return EPOCH + datetime.timedelta(seconds=seconds, microseconds=micros)


def unittest_sample(path):
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with open(path, "wb") as out:
        # The suite has failures, so subunit.run's exit code says nothing; the stream does.
        subprocess.run(
            [sys.executable, "-m", "subunit.run", "sample_suite"],
            stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=HERE, check=False,
        )


def direct_sample(path):
    T = 1704164645  # 2024-01-02T03:04:05Z
    with open(path, "wb") as out:
        w = StreamResultToBytes(out)
        s = w.status
        # Enumeration, not runnable.
        s(test_id="direct.listed", test_status="exists", runnable=False, timestamp=at(T))
        # A plain pass with tags and a timestamp on both packets.
        s(test_id="direct.pass", test_status="inprogress", timestamp=at(T, 1))
        s(test_id="direct.pass", test_status="success", test_tags=["worker-0"],
          timestamp=at(T, 678901))
        # Route codes, nested too; the same id on two routes is two records.
        s(test_id="direct.routed", test_status="inprogress", route_code="0",
          timestamp=at(T + 1))
        s(test_id="direct.routed", test_status="inprogress", route_code="0/1",
          timestamp=at(T + 1))
        s(test_id="direct.routed", test_status="success", route_code="0/1",
          test_tags=["worker-1"], timestamp=at(T + 2))
        s(test_id="direct.routed", test_status="fail", route_code="0",
          test_tags=["worker-0"], timestamp=at(T + 2))
        # A failure with a traceback in two chunks, EOF on the second.
        s(test_id="direct.fail", test_status="inprogress", timestamp=at(T + 3))
        s(test_id="direct.fail", file_name="traceback",
          mime_type="text/x-traceback;charset=utf8,language=python",
          file_bytes=b"Traceback (most recent call last):\n", timestamp=at(T + 3, 500))
        s(test_id="direct.fail", file_name="traceback", file_bytes=b"AssertionError: 1 != 2\n",
          eof=True, timestamp=at(T + 3, 600))
        s(test_id="direct.fail", test_status="fail", timestamp=at(T + 3, 700))
        # Skip with its reason; xfail; uxsuccess.
        s(test_id="direct.skip", test_status="inprogress", timestamp=at(T + 4))
        s(test_id="direct.skip", file_name="reason", mime_type="text/plain;charset=utf8",
          file_bytes=b"not today", eof=True)
        s(test_id="direct.skip", test_status="skip", timestamp=at(T + 4))
        s(test_id="direct.xfail", test_status="xfail", timestamp=at(T + 5))
        s(test_id="direct.uxsuccess", test_status="uxsuccess", timestamp=at(T + 5))
        # Status and file in one packet, as subunit-output writes them.
        s(test_id="direct.fail_with_file", test_status="fail", file_name="log",
          mime_type="text/plain", file_bytes=b"both in one packet\n", eof=True,
          test_tags=["a", "b"], timestamp=at(T + 6))
        # A 2-byte length (100 bytes of content) and a 3-byte length (20000 bytes).
        s(test_id="direct.sizes", file_name="hundred", file_bytes=b"x" * 100, eof=True)
        s(test_id="direct.sizes", file_name="twenty-k", file_bytes=bytes(range(256)) * 78 +
          b"end-of-twenty-k" + b"." * 17, eof=True)
        s(test_id="direct.sizes", test_status="success")
        # A binary attachment holding signature bytes and NULs, and an empty chunk.
        s(test_id="direct.binary", file_name="blob", mime_type="application/octet-stream",
          file_bytes=b"\xb3\x00\xb3\x2b\x02\x00", eof=False)
        s(test_id="direct.binary", file_name="blob", file_bytes=b"", eof=True)
        s(test_id="direct.binary", test_status="success", runnable=False)
        # Non-ASCII test id and tags.
        s(test_id="direct.unicod\u00e9_\u00f3", test_status="success",
          test_tags=["\u00e9t\u00e9"], timestamp=at(T + 7))
        # Files outside any test: one with a MIME type, one plain stdout.
        s(file_name="global.log", mime_type="text/plain", file_bytes=b"global line\n", eof=True)
        s(file_name="stdout", file_bytes=b"stdout without a test\n")
        # A test that only ever gets a file (status unknown) and one left in progress.
        s(test_id="direct.only_file", file_name="note", file_bytes=b"n", eof=True)
        s(test_id="direct.never_finished", test_status="inprogress", timestamp=at(T + 8))
        # Nanoseconds python cannot keep: it writes micros * 1000 anyway.
        s(test_id="direct.micros", test_status="success", timestamp=at(T + 9, 999999))
        out.flush()
        # Non-subunit bytes between packets.
        out.write(b"stray text between packets\n")
        out.flush()
        s(test_id="direct.after_stray", test_status="success")


def subunit_output_sample(path):
    tool = os.path.join(os.path.dirname(sys.executable), "subunit-output")
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log.txt")
        with open(log, "wb") as f:
            f.write(b"line one\nline two\n")
        blob = os.path.join(tmp, "blob.bin")
        with open(blob, "wb") as f:
            f.write(b"\x00\xb3binary\xff")
        runs = [
            ["--exists", "out.listed"],
            ["--inprogress", "out.first"],
            ["--fail", "out.first", "--attach-file", log, "--file-name", "log.txt",
             "--mimetype", "text/plain", "--tag", "t1", "--tag", "t2"],
            ["--inprogress", "out.second"],
            ["--attach-file", blob, "--file-name", "blob.bin", "--inprogress", "out.second"],
            ["--success", "out.second", "--tag", "worker-0"],
            ["--skip", "out.skipped"],
            ["--xfail", "out.xfailed"],
            ["--uxsuccess", "out.uxsucceeded"],
            ["--attach-file", log, "--file-name", "notes.txt", "--mimetype", "text/plain"],
            ["--inprogress", "out.never_finished"],
        ]
        with open(path, "wb") as out:
            for args in runs:
                # Through the interpreter: the script's #! line may name another directory.
                subprocess.run([sys.executable, tool] + args, stdout=out, check=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_samples.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    unittest_sample(os.path.join(outdir, "python-unittest.subunit"))
    direct_sample(os.path.join(outdir, "python-direct.subunit"))
    subunit_output_sample(os.path.join(outdir, "python-subunit-output.subunit"))


if __name__ == "__main__":
    main()
