//! Shared by the `trace_*` test files: streams built for subunit-trace's cases, and ways to
//! run our binary and stestr's `subunit_trace` on them.
use std::path::Path;
use std::process::{Command, Output};

use subunit_emitter::{Packet, Status, Timestamp, to_vec};

/// The MIME type testtools gives text attachments.
pub const TEXT: &str = "text/plain;charset=utf8";
/// The MIME type of python tracebacks in real stestr streams.
pub const TRACEBACK: &str = "text/x-traceback;charset=utf8,language=python";

/// An attachment for [`Stream::test`]: name, MIME type, chunks.
pub type FileSpec<'a> = (&'a str, Option<&'a str>, &'a [&'a [u8]]);

/// A stream under construction.
#[derive(Default)]
pub struct Stream {
    pub bytes: Vec<u8>,
}

/// A timestamp `ms` milliseconds after a fixed instant.
pub fn at(ms: u64) -> Timestamp {
    Timestamp::new(
        1_700_000_000 + (ms / 1000) as u32,
        (ms % 1000) as u32 * 1_000_000,
    )
}

impl Stream {
    pub fn new() -> Self {
        Stream::default()
    }

    pub fn packet(&mut self, p: Packet) -> &mut Self {
        self.bytes
            .extend(to_vec(&p.as_ref()).expect("encodable packet"));
        self
    }

    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// `inprogress` at `start`.
    pub fn start(&mut self, id: &str, start: u64) -> &mut Self {
        self.packet(Packet::status(id, Status::InProgress).with_timestamp(at(start)))
    }

    /// One chunk of a file attached to `id`.
    pub fn file(&mut self, id: &str, name: &str, mime: Option<&str>, chunk: &[u8]) -> &mut Self {
        self.packet(Packet::status(id, Status::Undefined).with_file(name, mime, chunk, false))
    }

    /// The final status at `end`, tagged `worker-N` when a worker is given.
    pub fn end(&mut self, id: &str, status: Status, end: u64, worker: Option<u32>) -> &mut Self {
        let mut p = Packet::status(id, status).with_timestamp(at(end));
        if let Some(w) = worker {
            p = p.with_tags([format!("worker-{w}")]);
        }
        self.packet(p)
    }

    /// A whole test: start, each (name, mime, chunks) file, end.
    pub fn test(
        &mut self,
        id: &str,
        status: Status,
        (start, end): (u64, u64),
        worker: u32,
        files: &[FileSpec<'_>],
    ) -> &mut Self {
        self.start(id, start);
        for (name, mime, chunks) in files {
            for c in *chunks {
                self.file(id, name, *mime, c);
            }
        }
        self.end(id, status, end, Some(worker))
    }

    pub fn build(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}

/// The stream of the reference's verbatim sample (two workers; stdout on a pass; a failure
/// with stdout and a traceback; a skip with a reason; an xfail; an unexpected success; a
/// binary attachment; an id with `[id-...,smoke]` attributes), its traceback in line-sized
/// chunks as a live `stestr run` writes it.
pub fn reference_run() -> Vec<u8> {
    let tb: &[&[u8]] = &[
        b"Traceback (most recent call last):\n",
        b"  File \"pkg/tests/test_api.py\", line 10, in test_update\n",
        b"    self.assertEqual(200, resp.status)\n",
        b"AssertionError: 200 != 500\n",
    ];
    Stream::new()
        .test(
            "pkg.tests.test_api.TestApi.test_create[id-1a2b3c,smoke]",
            Status::Success,
            (0, 1250),
            0,
            &[("stdout", Some(TEXT), &[b"created thing 42\n"])],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_delete",
            Status::Success,
            (200, 700),
            1,
            &[],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_update",
            Status::Fail,
            (700, 2700),
            1,
            &[
                ("stdout", Some(TEXT), &[b"about to update\n"]),
                ("traceback", Some(TRACEBACK), tb),
            ],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_skip_me",
            Status::Skip,
            (1250, 1250),
            0,
            &[("reason", Some(TEXT), &[b"Requires feature X"])],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_known_bug",
            Status::XFail,
            (1250, 1350),
            0,
            &[("traceback", Some(TRACEBACK), &[b"AssertionError: known\n"])],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_surprise",
            Status::UxSuccess,
            (2500, 2700),
            1,
            &[],
        )
        .test(
            "pkg.tests.test_api.TestApi.test_binary",
            Status::Success,
            (1350, 1650),
            0,
            &[
                ("dump.bin", None, &[b"\x00\x01'\xff"]),
                ("pythonlogging:''", Some(TEXT), &[b"INFO all good\n"]),
            ],
        )
        .build()
}

/// A run whose worker 1 crashed: worker 0 and 2 report, worker 2's test never ends.
pub fn crashed_worker_run() -> Vec<u8> {
    Stream::new()
        .test("a.b.test_ok", Status::Success, (0, 100), 0, &[])
        .start("a.b.test_crash", 100)
        .file("a.b.test_crash", "stdout", Some(TEXT), b"about to crash\n")
        .packet(
            Packet::status("a.b.test_crash", Status::InProgress)
                .with_timestamp(at(150))
                .with_tags(["worker-2"]),
        )
        .build()
}

/// Our `subunit-trace` with `args`, the stream on stdin, in `cwd`, with no colour or
/// failonly settings inherited.
pub fn ours(stream: &Path, args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_subunit-trace"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("TRACE_FAILONLY")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    super::run_on_file(cmd, Some(stream))
}

/// The wrapper that runs stestr's `subunit_trace` as the reference says (importing
/// `subunit.test_results` first), passing stestr's three attachment flags, which its
/// command line lacks, to `trace()` as keyword arguments.
pub const STESTR_TRACE: &str = r#"
import sys
import subunit.test_results  # stestr's subunit_trace crashes without it (reference 0.1)
from stestr import subunit_trace as st
flags = sys.argv[1:]
extra = {}
for f in ("--suppress-attachments", "--all-attachments", "--show-binary-attachments"):
    if f in flags:
        flags.remove(f)
        extra[f[2:].replace("-", "_")] = True
sys.argv = ["subunit-trace"] + flags
args = st.parse_args()
sys.exit(st.trace(sys.stdin, sys.stdout, args.print_failures, args.failonly,
                  args.enable_diff, args.abbreviate, args.color, args.post_fails,
                  args.no_summary, **extra))
"#;

/// stestr 4.2.1's `subunit_trace` (pinned environment) with `args`, the stream on stdin.
pub fn stestr(stream: &Path, args: &[&str], cwd: &Path) -> Output {
    let env = subunit_samples::python::env();
    let mut cmd = env.command();
    cmd.arg("-c")
        .arg(STESTR_TRACE)
        .args(args)
        .current_dir(cwd)
        .env_remove("TRACE_FAILONLY");
    super::run_on_file(cmd, Some(stream))
}

/// Text for a failure message.
pub fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The type the iso-8859-1 traceback of [`latin1_traceback_run`] carries: parameters joined by
/// a comma, as older testtools wrote them.
pub const LATIN1_COMMA_TYPE: &str = "text/x-traceback;charset=\"iso-8859-1\",language=\"python\"";

/// A failing test whose traceback holds `ab\xe9` typed [`LATIN1_COMMA_TYPE`]: python reads
/// the charset as `iso-8859-1` and prints `abé`.
pub fn latin1_traceback_run() -> Vec<u8> {
    Stream::new()
        .test(
            "latin1.test_fails",
            Status::Fail,
            (0, 10),
            0,
            &[("traceback", Some(LATIN1_COMMA_TYPE), &[b"ab\xe9\n"])],
        )
        .build()
}
