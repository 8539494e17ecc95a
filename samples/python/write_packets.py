"""Encode events with python-subunit's StreamResultToBytes, one packet per event.

Usage: write_packets.py < events.json

Standard input is a JSON list of events, each an object of StreamResultToBytes.status()
keyword arguments, spelt as dump_events.py prints them: file_bytes as hex, test_tags as a
list, timestamp as whole microseconds since the Unix epoch. Absent keys take python's
defaults. Tags are passed on as a list, in the order given (python's writer iterates them as
they come; a set would reorder them by hash).

Standard output is a JSON list with one entry per event: {"hex": "<packet bytes>"}, or
{"error": "<ExceptionType>: <message>"} when python refuses to encode the event.
"""

import datetime
import io
import json
import sys

from subunit.v2 import StreamResultToBytes

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def kwargs_of(event):
    kwargs = dict(event)
    if kwargs.get("file_bytes") is not None:
        kwargs["file_bytes"] = bytes.fromhex(kwargs["file_bytes"])
    # test_tags stays a list: StreamResultToBytes iterates whatever it is given, so a list
    # fixes the wire order of the tags (a set's order depends on string hashing).
    if kwargs.get("timestamp") is not None:
        kwargs["timestamp"] = EPOCH + datetime.timedelta(microseconds=kwargs["timestamp"])
    return kwargs


def encode(event):
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    try:
        writer.status(**kwargs_of(event))
    except Exception as error:  # report every refusal, whatever its type
        return {"error": "%s: %s" % (type(error).__name__, error)}
    return {"hex": out.getvalue().hex()}


def main():
    events = json.load(sys.stdin)
    json.dump([encode(event) for event in events], sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
