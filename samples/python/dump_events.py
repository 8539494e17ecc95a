"""Print the events python-subunit reads from a subunit v2 stream, one JSON object a line.

Usage: dump_events.py [--bytesio] PATH

The stream is parsed by ``subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")``
over a real file object (so python takes its ``fileno()``/``select()`` batching path for
non-subunit bytes, as the tools reading stdin do) into a StreamResult that records every
``status(...)`` call. With --bytesio the stream is read from an ``io.BytesIO`` instead: no
fileno, so one event per stray byte, and a few errors take other paths.

Each line holds the keyword arguments of one call, keyed by python's parameter names:
  test_id, test_status, test_tags (sorted list or null), runnable, file_name,
  file_bytes (lower-case hex or null), eof, mime_type, route_code,
  timestamp (whole microseconds since the Unix epoch, or null: python keeps microseconds).
``subunit_samples::event_json`` builds the same object from one of our packets.

If the reader raises (python-subunit has inputs it dies on), the last line is
{"error": "<ExceptionType>: <message>"} and the exit code is still 0: the events before it
are what a tool would have acted on.
"""

import datetime
import io
import json
import sys

import subunit
import testtools

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MICROSECOND = datetime.timedelta(microseconds=1)


class Recorder(testtools.StreamResult):
    def __init__(self, out):
        super().__init__()
        self.out = out

    def status(
        self,
        test_id=None,
        test_status=None,
        test_tags=None,
        runnable=True,
        file_name=None,
        file_bytes=None,
        eof=False,
        mime_type=None,
        route_code=None,
        timestamp=None,
    ):
        event = {
            "test_id": test_id,
            "test_status": test_status,
            "test_tags": None if test_tags is None else sorted(test_tags),
            "runnable": bool(runnable),
            "file_name": file_name,
            "file_bytes": None if file_bytes is None else bytes(file_bytes).hex(),
            "eof": bool(eof),
            "mime_type": mime_type,
            "route_code": route_code,
            "timestamp": None if timestamp is None else (timestamp - EPOCH) // MICROSECOND,
        }
        self.out.write(json.dumps(event, sort_keys=True) + "\n")


def main():
    args = sys.argv[1:]
    bytesio = args[:1] == ["--bytesio"]
    if bytesio:
        args = args[1:]
    if len(args) != 1:
        sys.exit("usage: dump_events.py [--bytesio] PATH")
    result = Recorder(sys.stdout)
    with open(args[0], "rb") as stream:
        source = io.BytesIO(stream.read()) if bytesio else stream
        result.startTestRun()
        try:
            subunit.ByteStreamToStreamResult(source, non_subunit_name="stdout").run(result)
        except Exception as error:  # report the crash a tool would die of
            sys.stdout.write(json.dumps({"error": "%s: %s" % (type(error).__name__, error)}) + "\n")
            return
        result.stopTestRun()


if __name__ == "__main__":
    main()
