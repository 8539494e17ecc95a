# Prints a subunit v2 stream (stdin) as one line per event: statuses as "<status> <id>",
# attachments as "file <id> <name> <mime>" with consecutive chunks merged. Classes that exist
# on one side only (Base in Python, AProofDonor in Rust) are left out.
import sys, subunit, testtools
out=[]
class P(testtools.StreamResult):
    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True, file_name=None, file_bytes=None, eof=False, mime_type=None, route_code=None, timestamp=None):
        if test_id is None: return
        if file_name is not None:
            line = "file %s %s %s" % (test_id, file_name, mime_type)
            if out and out[-1] == line: return   # merge chunks
            out.append(line)
        else:
            out.append("%s %s%s" % (test_status, test_id, (" tags=" + ",".join(sorted(test_tags))) if test_tags else ""))
case = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
r = P(); r.startTestRun(); case.run(r); r.stopTestRun()
skip = ('demo.test_life.Base.', 'demo.test_life.AProofDonor.')
print("\n".join(l for l in out if not any(s in l for s in skip)))
