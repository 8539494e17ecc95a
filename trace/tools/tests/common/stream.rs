//! What the golden tests of `subunit-filter`, `subunit-tags`, `subunit-output` and the
//! converters share: running python's tool on the same input as ours, a synthetic stream with
//! many workers, and the one normalisation the comparison allows.
//!
//! The comparison is of bytes. Two things python writes cannot be reproduced and are
//! normalised on both sides before comparing (and only those): a packet carrying two or more
//! tags is re-encoded with its tags sorted (python writes its set's iteration order, which
//! changes from run to run), and a timestamp that is not in the input (python stamps the wall
//! clock where the input has no time) is replaced by zero. Every other byte must be equal.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use subunit_emitter::{Delivery, Packet, PacketRef, Status, StreamWriter, Tags, Timestamp};
use subunit_parser::events::EventReader;
use subunit_parser::reader::{Item, PacketReader};

/// python's microseconds for a timestamp (what both tools write back).
pub fn micros(t: Timestamp) -> u64 {
    t.python_micros()
}

/// Every timestamp of a stream, as python holds them.
pub fn timestamps(input: &[u8]) -> HashSet<u64> {
    let mut r = EventReader::new(input);
    let mut set = HashSet::new();
    while let Some(e) = r.next_event().expect("reading from memory cannot fail") {
        set.extend(e.timestamp.map(micros));
    }
    set
}

/// `output` with the allowed normalisations applied; see the module doc.
pub fn normalise(output: &[u8], known: &HashSet<u64>) -> Vec<u8> {
    let mut r = PacketReader::new(output);
    let mut out = Vec::new();
    while let Some(item) = r.next_item().expect("reading from memory cannot fail") {
        match item {
            Item::Packet { packet, raw } => {
                let many_tags = packet.tags.is_some_and(|t| t.len() > 1);
                let made_up = packet
                    .timestamp
                    .is_some_and(|t| !known.contains(&micros(t)));
                if !many_tags && !made_up {
                    out.extend_from_slice(raw);
                    continue;
                }
                let mut tags: Vec<&str> =
                    packet.tags.map(|t| t.iter().collect()).unwrap_or_default();
                tags.sort_unstable();
                let p = PacketRef {
                    tags: packet.tags.map(|_| Tags::Strs(&tags)),
                    timestamp: if made_up {
                        Some(Timestamp::new(0, 0))
                    } else {
                        packet.timestamp
                    },
                    ..packet
                };
                subunit_emitter::encode(&p, &mut out).expect("a decoded packet encodes");
            }
            other => out.extend_from_slice(other.raw()),
        }
    }
    out
}

/// A stream's events, one JSON object a line (for failure messages).
pub fn dump(bytes: &[u8]) -> String {
    let mut r = EventReader::new(bytes);
    let mut s = String::new();
    while let Some(e) = r.next_event().expect("reading from memory cannot fail") {
        s.push_str(&subunit_samples::event_json(&e).to_string());
        s.push('\n');
    }
    s
}

/// Asserts two tool outputs are equal once normalised, showing both streams' events if not.
pub fn assert_same_stream(what: &str, python: &[u8], ours: &[u8], input: &[u8]) {
    let known = timestamps(input);
    let (p, o) = (normalise(python, &known), normalise(ours, &known));
    if p != o {
        panic!(
            "{what}: output differs from python's ({} vs {} bytes)\n--- python\n{}--- ours\n{}",
            python.len(),
            ours.len(),
            dump(&p),
            dump(&o)
        );
    }
}

/// Runs python's `tool` with `args`; its standard input is the file `stdin_file` when given
/// (a regular file, so python batches stray bytes as it does for a file), else empty.
pub fn python(tool: &str, args: &[&str], stdin_file: Option<&Path>) -> Output {
    let mut cmd = subunit_samples::python::env().tool_command(tool);
    cmd.args(args);
    super::run_on_file(cmd, stdin_file)
}

/// The inputs of a golden test: every v2 sample (name, path, and the error python dies with
/// on it, if any), and a synthetic run for each `(workers, tests, seed)`, written into `dir`.
pub fn inputs(dir: &Path, runs: &[(u32, u32, u64)]) -> Vec<(String, PathBuf, Option<String>)> {
    let mut v: Vec<(String, PathBuf, Option<String>)> = subunit_samples::v2()
        .into_iter()
        .map(|s| {
            let crash = s.description.python_expected().error.clone();
            (s.name.clone(), s.path.clone(), crash)
        })
        .collect();
    for &(workers, tests, seed) in runs {
        let p = dir.join(format!("synthetic-{workers}x{tests}.subunit"));
        std::fs::write(&p, synthetic(workers, tests, seed)).unwrap();
        v.push((format!("synthetic {workers} workers"), p, None));
    }
    v
}

/// Asserts our run `us` of a tool on `input` did what python's run `py` did: we exit 0 with
/// nothing on stderr; where python dies part-way with `crash` (see DIFFERENCES.md), what it
/// wrote before is the start of what we write; otherwise python exits 0 too and both streams
/// are the same.
pub fn assert_like_python(what: &str, py: &Output, us: &Output, input: &[u8], crash: Option<&str>) {
    assert_eq!(
        us.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&us.stderr)
    );
    assert!(
        us.stderr.is_empty(),
        "{what}: {}",
        String::from_utf8_lossy(&us.stderr)
    );
    if let Some(error) = crash {
        assert_eq!(py.status.code(), Some(1), "{what}");
        assert!(
            String::from_utf8_lossy(&py.stderr).contains(error),
            "{what}"
        );
        let known = timestamps(input);
        let (p, o) = (normalise(&py.stdout, &known), normalise(&us.stdout, &known));
        assert!(
            o.starts_with(&p),
            "{what}\n--- python\n{}--- ours\n{}",
            dump(&p),
            dump(&o)
        );
        return;
    }
    assert_eq!(
        py.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_same_stream(what, &py.stdout, &us.stdout, input);
}

/// A small deterministic generator (xorshift).
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A run of `tests` tests over `workers` workers, interleaved as a parallel run writes them:
/// `exists` announcements, `inprogress` with route codes, stdout in one or two chunks,
/// tracebacks, skip reasons, every final status, `worker-N` tags (plus a second tag on some),
/// timestamps with nanoseconds python rounds, stray text between packets, tests left
/// unfinished, and the same test id on two routes.
pub fn synthetic(workers: u32, tests: u32, seed: u64) -> Vec<u8> {
    let w = StreamWriter::new(Vec::new(), Delivery::Buffered);
    let mut rng = Rng::new(seed);
    let mut clock: u64 = 1_704_164_645_000_000_000;
    let mut tick = |rng: &mut Rng| {
        clock += 1_000_000 + rng.below(5_000_000_000);
        Timestamp::new(
            (clock / 1_000_000_000) as u32,
            (clock % 1_000_000_000) as u32,
        )
    };
    let id = |i: u32| format!("pkg.mod{}.Class.test_{i}", i % 7);
    for i in 0..tests.min(20) {
        w.write_packet(
            &Packet::status(id(i), Status::Exists)
                .with_runnable(i % 3 != 0)
                .as_ref(),
        )
        .unwrap();
    }
    // Each worker runs its own share of tests; the stream interleaves the workers' events.
    let mut queues: Vec<Vec<Packet>> = vec![Vec::new(); workers as usize];
    for i in 0..tests {
        let worker = i % workers;
        let route = worker.to_string();
        let tid = if i == tests - 1 && tests > 1 {
            id(0)
        } else {
            id(i)
        };
        let q = &mut queues[worker as usize];
        q.push(
            Packet::status(&tid, Status::InProgress)
                .with_timestamp(tick(&mut rng))
                .with_route_code(&route),
        );
        if rng.below(3) == 0 {
            let first = format!("output of {tid}\n");
            q.push(
                Packet::status(&tid, Status::Undefined)
                    .with_route_code(&route)
                    .with_file("stdout", Some("text/plain;charset=utf8"), first, false),
            );
            q.push(
                Packet::status(&tid, Status::Undefined)
                    .with_route_code(&route)
                    .with_timestamp(tick(&mut rng))
                    .with_file("stdout", None, "more\n", true),
            );
        }
        let status = [
            Status::Success,
            Status::Success,
            Status::Success,
            Status::Fail,
            Status::Skip,
            Status::XFail,
            Status::UxSuccess,
            Status::InProgress,
        ][rng.below(8) as usize];
        match status {
            Status::Fail => q.push(
                Packet::status(&tid, Status::Undefined)
                    .with_route_code(&route)
                    .with_file(
                        "traceback",
                        Some("text/x-traceback;charset=utf8,language=python"),
                        format!("Traceback (most recent call last):\n  AssertionError: {i} != 0\n"),
                        true,
                    ),
            ),
            Status::Skip => q.push(
                Packet::status(&tid, Status::Undefined)
                    .with_route_code(&route)
                    .with_file(
                        "reason",
                        Some("text/plain; charset=\"utf8\""),
                        "not today",
                        true,
                    ),
            ),
            _ => {}
        }
        if status != Status::InProgress {
            let mut tags = vec![format!("worker-{worker}")];
            if rng.below(4) == 0 {
                tags.push("slow".to_owned());
            }
            q.push(
                Packet::status(&tid, status)
                    .with_route_code(&route)
                    .with_timestamp(tick(&mut rng))
                    .with_tags(tags),
            );
        }
    }
    let mut cursors = vec![0usize; workers as usize];
    loop {
        let live: Vec<usize> = (0..workers as usize)
            .filter(|&k| cursors[k] < queues[k].len())
            .collect();
        if live.is_empty() {
            break;
        }
        let k = live[rng.below(live.len() as u64) as usize];
        let take = 1 + rng.below(3) as usize;
        for p in queues[k].iter().skip(cursors[k]).take(take) {
            w.write_packet(&p.as_ref()).unwrap();
        }
        cursors[k] = (cursors[k] + take).min(queues[k].len());
        if rng.below(10) == 0 {
            w.write_encoded(format!("worker {k} says hello\n").as_bytes())
                .unwrap();
        }
    }
    w.finish().unwrap()
}

/// The corpus runs ([`super::corpus_v2`]) written into `dir`, as [`inputs`] gives the samples
/// (python reads all of them to the end).
pub fn corpus_inputs(dir: &Path) -> Vec<(String, PathBuf, Option<String>)> {
    super::corpus_v2()
        .into_iter()
        .map(|(name, bytes)| {
            let path = super::write(dir, &format!("{name}.subunit"), &bytes);
            (name, path, None)
        })
        .collect()
}
