"""Print the records testtools' StreamToDict makes of a subunit v2 stream, and its
StreamSummary, as JSON.

Usage: stream_to_dict.py PATH

The stream is parsed by ``subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")``
(over a real file object, as the tools read stdin) into ``testtools.StreamToDict`` and
``testtools.StreamSummary`` side by side (``testtools.CopyStreamResult``). This is the
full-fidelity view ``parser/tests/fold_vs_testtools.rs`` compares our fold with: every record in
the order StreamToDict emits it, with both timestamps. (``fold_records.py`` prints the reduced
shape the sample descriptions use.)

Output: {"records": [...], "summary": {...}, "error": null}. Each record is
  {"id", "route_code", "status" (testtools' name, "unknown" included), "tags": sorted list,
   "start", "end" (whole microseconds since the Unix epoch, or null),
   "details": [{"name", "mime_type", "content": hex}, ...] in StreamToDict's order}
where "mime_type" is the raw MIME type of the file's first non-empty chunk (null for none).
StreamToDict keeps neither the route code nor the raw MIME type (only a parsed ContentType),
so this script notes both from the events it forwards, and checks the raw MIME type against
the record's ContentType (testtools' own parsing of it) before printing it.
When python-subunit's reader raises partway (it does on some damaged streams), "error" is
"ExceptionType: message", "records" holds what StreamToDict emitted before that, and
stopTestRun is not called (the tools die there), so no open record is flushed.
The summary is StreamSummary's {"tests_run", "errors", "failures", "skipped",
"expected_failures", "unexpected_successes", "was_successful"}, or {"error": message} when
StreamSummary itself raised ValueError (it does on a skip whose "reason" attachment is not text:
"Not a text type ..."); the records are printed either way.
"""

import datetime
import json
import sys

import subunit
import testtools
from testtools.testresult.real import _make_content_type

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MICROSECOND = datetime.timedelta(microseconds=1)


def micros(ts):
    return None if ts is None else (ts - EPOCH) // MICROSECOND


class Recorder(testtools.StreamResult):
    """Forwards every event to StreamToDict, noting what StreamToDict does not keep."""

    def __init__(self):
        super().__init__()
        self.records = []
        self.to_dict = testtools.StreamToDict(self._on_test)
        self.route = None
        # (test id, route code) -> {file name: raw MIME type of its first non-empty chunk}
        self.mimes = {}

    def startTestRun(self):
        super().startTestRun()
        self.to_dict.startTestRun()

    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True,
               file_name=None, file_bytes=None, eof=False, mime_type=None,
               route_code=None, timestamp=None):
        if test_id is not None and file_name is not None and file_bytes:
            self.mimes.setdefault((test_id, route_code), {}).setdefault(file_name, mime_type)
        # StreamToDict calls back synchronously, so the record it may emit now is this key's.
        self.route = route_code
        self.to_dict.status(test_id=test_id, test_status=test_status, test_tags=test_tags,
                            runnable=runnable, file_name=file_name, file_bytes=file_bytes,
                            eof=eof, mime_type=mime_type, route_code=route_code,
                            timestamp=timestamp)

    def stopTestRun(self):
        super().stopTestRun()
        # stopTestRun pops the open records newest first (dict.popitem); note their keys first.
        self.pending = list(reversed(list(self.to_dict._hook._inprogress)))
        self.to_dict.stopTestRun()
        assert not self.pending, self.pending

    def _on_test(self, record):
        if getattr(self, "pending", None) is not None:
            test_id, self.route = self.pending.pop(0)
            assert test_id == record["id"], (test_id, record["id"])
        mimes = self.mimes.pop((record["id"], self.route), {})
        details = []
        for name, content in record["details"].items():
            raw = mimes[name]
            assert _make_content_type(raw) == content.content_type, (raw, content.content_type)
            details.append({
                "name": name,
                "mime_type": raw,
                "content": b"".join(content.iter_bytes()).hex(),
            })
        start, end = record["timestamps"]
        self.records.append({
            "id": record["id"],
            "route_code": self.route,
            "status": record["status"],
            "tags": sorted(record["tags"]),
            "start": micros(start),
            "end": micros(end),
            "details": details,
        })


class Guarded(testtools.StreamResult):
    """Forwards to a StreamSummary until it raises ValueError, and remembers the message."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.error = None

    def _call(self, method, *args, **kwargs):
        if self.error is None:
            try:
                getattr(self.inner, method)(*args, **kwargs)
            except ValueError as e:
                self.error = str(e)

    def startTestRun(self):
        self._call("startTestRun")

    def status(self, *args, **kwargs):
        self._call("status", *args, **kwargs)

    def stopTestRun(self):
        self._call("stopTestRun")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: stream_to_dict.py PATH")
    recorder = Recorder()
    summary = testtools.StreamSummary()
    guarded = Guarded(summary)
    both = testtools.CopyStreamResult([recorder, guarded])
    error = None
    with open(sys.argv[1], "rb") as stream:
        both.startTestRun()
        try:
            subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout").run(both)
        except ValueError as e:
            error = f"{type(e).__name__}: {e}"
        else:
            both.stopTestRun()
    json.dump({
        "error": error,
        "records": recorder.records,
        "summary": {"error": guarded.error} if guarded.error is not None else {
            "tests_run": summary.testsRun,
            "errors": len(summary.errors),
            "failures": len(summary.failures),
            "skipped": len(summary.skipped),
            "expected_failures": len(summary.expectedFailures),
            "unexpected_successes": len(summary.unexpectedSuccesses),
            "was_successful": summary.wasSuccessful(),
        },
    }, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
