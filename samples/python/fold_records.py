"""Print what testtools' fold finds in a subunit v2 stream, as JSON.

Usage: fold_records.py PATH

The stream is read by ``subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")`` into
testtools' ``_StreamToTestRecord`` (the engine of StreamToDict, StreamSummary and
StreamToExtendedDecorator): records keyed by (test id, route code), final on any status but
None/inprogress, tags last-wins, empty chunks ignored, open records flushed at the end.

Output: {"tests": [...], "non_test_files": [...], "error": null} where each test is
  {"id", "route_code", "status", "tags": sorted list, "attachments": [file, ...]}
and each file is {"name", "mime_type": the raw MIME type of its first chunk or null,
"content": hex}. Files sent without a test id are gathered by name, in order of first
appearance (testtools drops them; the tools print them, so we keep them).

If the reader raises (python-subunit has inputs it dies on), "error" is
"<ExceptionType>: <message>", the records are those finished before it (the open ones are not
flushed: a tool dies there), and the exit code is still 0.
"""

import json
import sys

import subunit
import testtools
from testtools.testresult.real import _StreamToTestRecord


class Folder(_StreamToTestRecord):
    """_StreamToTestRecord that also remembers what StreamToDict forgets: each record's route
    code and the raw MIME type of each attachment."""

    def __init__(self):
        super().__init__(self._on_test)
        self.tests = []
        self.non_test_files = []
        self._route = None
        self._mimes = {}

    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True,
               file_name=None, file_bytes=None, eof=False, mime_type=None,
               route_code=None, timestamp=None):
        if test_id is None:
            if file_name is not None and file_bytes:
                self._add_non_test(file_name, mime_type, bytes(file_bytes))
        else:
            mimes = self._mimes.setdefault((test_id, route_code), {})
            if file_name is not None and file_bytes and file_name not in mimes:
                mimes[file_name] = mime_type
        self._route = route_code
        super().status(test_id=test_id, test_status=test_status, test_tags=test_tags,
                       runnable=runnable, file_name=file_name, file_bytes=file_bytes,
                       eof=eof, mime_type=mime_type, route_code=route_code,
                       timestamp=timestamp)

    def stopTestRun(self):
        # As _StreamToTestRecord.stopTestRun, but knowing each open record's route code.
        while self._inprogress:
            (_, route), case = self._inprogress.popitem()
            self._route = route
            self.on_test(case.got_timestamp(None))

    def _add_non_test(self, name, mime_type, content):
        for f in self.non_test_files:
            if f["name"] == name:
                f["content"] += content
                return
        self.non_test_files.append({"name": name, "mime_type": mime_type, "content": content})

    def _on_test(self, record):
        mimes = self._mimes.pop((record.id, self._route), {})
        attachments = []
        for name, content in record.details.items():
            attachments.append({
                "name": name,
                "mime_type": mimes.get(name),
                "content": b"".join(bytes(c) for c in content.iter_bytes()).hex(),
            })
        self.tests.append({
            "id": record.id,
            "route_code": self._route,
            "status": record.status,
            "tags": sorted(record.tags),
            "attachments": attachments,
        })


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: fold_records.py PATH")
    folder = Folder()
    error = None
    with open(sys.argv[1], "rb") as stream:
        folder.startTestRun()
        try:
            subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout").run(folder)
        except Exception as e:  # report the crash a tool would die of
            error = "%s: %s" % (type(e).__name__, e)
        else:
            folder.stopTestRun()
    for f in folder.non_test_files:
        f["content"] = f["content"].hex()
    json.dump({"tests": folder.tests, "non_test_files": folder.non_test_files, "error": error},
              sys.stdout,
              indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
