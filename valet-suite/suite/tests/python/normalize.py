# Prints a subunit v2 stream (stdin) as one line per event: statuses as "<status> <id>",
# attachments as "file <id> <name> <mime>" with consecutive chunks merged. Classes that exist
# on one side only (Base in Python, AProofDonor in Rust) are left out. With --timestamps, each
# line ends in " @" when its event carries a timestamp (every chunk of a merged file alike).
# With --chunks, each file line ends in " xN": the number of packets (chunks) it came in.
import sys, subunit, testtools
marks = "--timestamps" in sys.argv[1:]
chunks = "--chunks" in sys.argv[1:]
out=[]
counts=[]
class P(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True, file_name=None, file_bytes=None, eof=False, mime_type=None, route_code=None, timestamp=None):
        if test_id is None: return
        mark = " @" if marks and timestamp is not None else ""
        if file_name is not None:
            line = "file %s %s %s%s" % (test_id, file_name, mime_type, mark)
            if out and out[-1] == line:   # merge chunks
                counts[-1] += 1
                return
            out.append(line)
            counts.append(1)
        else:
            counts.append(0)
            out.append("%s %s%s%s" % (test_status, test_id, (" tags=" + ",".join(sorted(test_tags))) if test_tags else "", mark))
case = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
r = P(); r.startTestRun(); case.run(r); r.stopTestRun()
skip = ('demo.test_life.Base.', 'demo.test_life.AProofDonor.')
if chunks:
    out = [l + (" x%d" % n if n else "") for l, n in zip(out, counts)]
print("\n".join(l for l in out if not any(s in l for s in skip)))
