//! Synthetic test runs of any size, for benchmarks and scale tests.
//!
//! A generated run looks like a Tempest run through stestr: tests grouped in classes, each class
//! on one of several workers (a `worker-N` tag on the final packet), an `inprogress` packet then
//! the final status, a captured log on some passes, a `reason` on skips and a Python traceback
//! on failures. The same seed always gives the same bytes, and the expected counts are returned
//! alongside, so a test or a benchmark can check what a reader found.

use std::fmt::Write as _;
use std::io::Write;

use subunit_emitter::mime::{TESTTOOLS_TEXT, TESTTOOLS_TRACEBACK};
use subunit_emitter::{
    Delivery, FileRef, PacketRef, Status, StreamWriter, Tags, Timestamp, WriteError,
};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct RunSpec {
    /// How many tests.
    pub tests: usize,
    /// How many workers (`worker-0` .. `worker-{n-1}`).
    pub workers: usize,
    /// The seed of the deterministic choices.
    pub seed: u64,
}

impl RunSpec {
    /// `tests` tests over 8 workers with seed 1.
    pub fn new(tests: usize) -> Self {
        RunSpec {
            tests,
            workers: 8,
            seed: 1,
        }
    }
}

/// What a generated run holds, so readers can be checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Tests that passed.
    pub success: usize,
    /// Tests that failed.
    pub fail: usize,
    /// Tests skipped.
    pub skip: usize,
    /// Expected failures.
    pub xfail: usize,
    /// Unexpected successes.
    pub uxsuccess: usize,
    /// Packets written.
    pub packets: usize,
}

/// A small xorshift generator: deterministic, dependency-free, good enough for picking outcomes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const PY_TRACEBACK: &str = "Traceback (most recent call last):
  File \"/opt/stack/valet/valet/tests/tempest/api/test_groups.py\", line 61, in test_create_group
    resp = self.client.create_group(name=group_name, group_type='exclusivity')
  File \"/opt/stack/valet/valet/tests/tempest/services/client.py\", line 48, in create_group
    resp, body = self.post('/groups', body=body)
  File \"/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py\", line 300, in post
    return self.request('POST', url, extra_headers, headers, body, chunked)
  File \"/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py\", line 702, in request
    self._error_checker(resp, resp_body)
tempest.lib.exceptions.Conflict: Conflict with state of target resource
Details: {'error': {'message': 'Group name already exists', 'code': 409}}
";

/// One whole attachment, stamped with the run's own clock (so the same seed gives the same
/// bytes).
fn write_file<W: Write>(
    writer: &StreamWriter<W>,
    id: &str,
    ts: Timestamp,
    name: &str,
    mime_type: &str,
    content: &[u8],
) -> Result<(), WriteError> {
    writer.write_packet(&PacketRef {
        test_id: Some(id),
        timestamp: Some(ts),
        mime_type: Some(mime_type),
        file: Some(FileRef { name, content }),
        eof: true,
        ..PacketRef::default()
    })
}

fn write_status<W: Write>(
    writer: &StreamWriter<W>,
    id: &str,
    status: Status,
    ts: Timestamp,
    tags: &[&str],
) -> Result<(), WriteError> {
    writer.write_packet(&PacketRef {
        status,
        test_id: Some(id),
        timestamp: Some(ts),
        tags: (!tags.is_empty()).then_some(Tags::Strs(tags)),
        ..PacketRef::default()
    })
}

/// Writes a generated run to `out` (buffered) and returns what it holds, and `out`.
pub fn write_run<W: Write>(spec: RunSpec, out: W) -> Result<(RunCounts, W), WriteError> {
    let writer = StreamWriter::new(out, Delivery::Buffered);
    let mut rng = Rng(spec.seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut counts = RunCounts::default();
    let workers = spec.workers.max(1);
    let worker_tags: Vec<String> = (0..workers).map(|w| format!("worker-{w}")).collect();
    let mut clock = Timestamp::new(1_763_769_600, 0);
    let mut tick = |rng: &mut Rng| {
        let nanos = u64::from(clock.nanos) + 1_000_000 + rng.below(400_000_000);
        clock = Timestamp::new(
            clock.secs + (nanos / 1_000_000_000) as u32,
            (nanos % 1_000_000_000) as u32,
        );
        clock
    };
    let per_class = 12;
    let mut id = String::new();
    let mut log = String::new();
    for i in 0..spec.tests {
        let class = i / per_class;
        let tag = worker_tags[class % workers].as_str();
        id.clear();
        let _ = write!(
            id,
            "valet.tests.tempest.api.test_mod{}.ValetClass{}Test.test_case_{}[id-{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}{}]",
            class % 97,
            class,
            i,
            rng.next() as u32,
            rng.below(0x10000),
            rng.below(0x1000),
            rng.below(0x1000),
            rng.next() & 0xFFFF_FFFF_FFFF,
            if i % 5 == 0 { ",smoke" } else { "" },
        );
        write_status(&writer, &id, Status::InProgress, tick(&mut rng), &[])?;
        counts.packets += 1;
        let roll = rng.below(1000);
        let status = match roll {
            0..=39 => Status::Fail,
            40..=89 => Status::Skip,
            90..=94 => Status::XFail,
            95..=97 => Status::UxSuccess,
            _ => Status::Success,
        };
        match status {
            Status::Fail => {
                let ts = tick(&mut rng);
                write_file(
                    &writer,
                    &id,
                    ts,
                    "traceback",
                    TESTTOOLS_TRACEBACK,
                    PY_TRACEBACK.as_bytes(),
                )?;
                counts.fail += 1;
                counts.packets += 1;
            }
            Status::Skip => {
                let ts = tick(&mut rng);
                write_file(
                    &writer,
                    &id,
                    ts,
                    "reason",
                    TESTTOOLS_TEXT,
                    b"Orchestration is not available",
                )?;
                counts.skip += 1;
                counts.packets += 1;
            }
            Status::XFail => counts.xfail += 1,
            Status::UxSuccess => counts.uxsuccess += 1,
            _ => {
                if roll.is_multiple_of(3) {
                    log.clear();
                    let _ = writeln!(
                        log,
                        "2026-11-22 00:00:00.000 12345 INFO tempest.lib.common.rest_client [req-{:016x}] Request (ValetClass{class}Test:test_case_{i}): 200 GET http://127.0.0.1:8090/v1/groups 0.{:03}s",
                        rng.next(),
                        rng.below(1000)
                    );
                    let ts = tick(&mut rng);
                    write_file(
                        &writer,
                        &id,
                        ts,
                        "pythonlogging:''",
                        TESTTOOLS_TEXT,
                        log.as_bytes(),
                    )?;
                    counts.packets += 1;
                }
                counts.success += 1;
            }
        }
        write_status(&writer, &id, status, tick(&mut rng), &[tag])?;
        counts.packets += 1;
    }
    Ok((counts, writer.finish()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_counts_add_up() {
        let (a, bytes_a) = write_run(RunSpec::new(500), Vec::new()).unwrap();
        let (b, bytes_b) = write_run(RunSpec::new(500), Vec::new()).unwrap();
        assert_eq!(a, b);
        assert_eq!(bytes_a, bytes_b);
        assert_eq!(a.success + a.fail + a.skip + a.xfail + a.uxsuccess, 500);
        assert!(a.fail > 0 && a.skip > 0 && a.success > 400, "{a:?}");
        let (c, _) = write_run(
            RunSpec {
                seed: 2,
                ..RunSpec::new(500)
            },
            Vec::new(),
        )
        .unwrap();
        assert_ne!(a, c);
    }
}
