"""testtools' reading of MIME types, for comparing ours with it.

Reads a JSON list of strings on stdin; prints a JSON list with, for each, the ``repr`` of
``testtools.testresult.real._make_content_type(s)``, or ``ERROR: <exception type>`` when it
raises.
"""

import json
import sys

from testtools.testresult.real import _make_content_type


def main():
    out = []
    for mime in json.load(sys.stdin):
        try:
            out.append(repr(_make_content_type(mime)))
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            out.append("ERROR: " + type(e).__name__)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
