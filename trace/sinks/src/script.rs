//! python-subunit's `run_filter_script`, the driver `subunit-stats`, `subunit2csv` and
//! `subunit2junitxml` share.
//!
//! [`run_filter`] is `run_filter_script` around testtools' `StreamToExtendedDecorator`: it reads
//! events, passes the ones without a test id through (raw or re-encoded, see [`Passthrough`]),
//! forwards the stream with `-f`, and hands each test's record to the tool the moment the test
//! ends; the [`Pipeline`] drops `exists` events and flushes the tests left open, newest first,
//! as testtools does.

use std::io::{Read, Write};

use subunit_emitter::PacketRef;
use subunit_parser::fold::TestRecord;

use crate::Error;
use crate::pipeline::{Pipeline, Sink};
use crate::python::write_reencoded;

/// The options every `run_filter_script` tool shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterOptions {
    /// Pass events without a test id (stray bytes, run-wide attachments) through to stdout;
    /// `--no-passthrough` turns it off.
    pub passthrough: bool,
    /// `-f/--forward`: copy the subunit stream to stdout as well (every event when passing
    /// through, only the tests' events otherwise).
    pub forward: bool,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            passthrough: true,
            forward: false,
        }
    }
}

/// How events without a test id are passed through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passthrough {
    /// The file bytes only, as python's `CatFiles` writes them (`subunit-stats`, `subunit-ls`).
    Raw,
    /// Re-encoded as subunit v2 packets, as python's `StreamResultToBytes` writes them
    /// (`subunit2csv`, `subunit2junitxml`).
    Subunit,
}

/// Runs a stream through python-subunit's `run_filter_script` pipeline: passthrough and
/// forwarding to `out`, and every test record to `sink` (with `out`, so a sink writing to
/// stdout interleaves with the passthrough in stream order). See the [module docs](self).
pub fn run_filter<R: Read>(
    input: R,
    out: &mut dyn Write,
    options: FilterOptions,
    passthrough: Passthrough,
    sink: impl FnMut(&mut dyn Write, TestRecord) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut script = FilterScript {
        out,
        options,
        passthrough,
        buf: Vec::new(),
        sink,
    };
    Pipeline::new().run::<_, Error>(input, &mut script)
}

/// python's `run_filter_script` as a [`Sink`]: passthrough and forwarding on the events, and
/// the records to the tool's own sink.
struct FilterScript<'a, F> {
    out: &'a mut dyn Write,
    options: FilterOptions,
    passthrough: Passthrough,
    buf: Vec<u8>,
    sink: F,
}

impl<F> Sink for FilterScript<'_, F>
where
    F: FnMut(&mut dyn Write, TestRecord) -> Result<(), Error>,
{
    type Error = Error;

    fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Error> {
        let global = event.test_id.is_none();
        let (options, out) = (self.options, &mut *self.out);
        if options.forward {
            if options.passthrough || !global {
                write_reencoded(event, out, &mut self.buf)?;
            }
        } else if options.passthrough && global {
            match self.passthrough {
                Passthrough::Raw => {
                    if let Some(file) = event.file {
                        out.write_all(file.content)?;
                    }
                }
                Passthrough::Subunit => write_reencoded(event, out, &mut self.buf)?,
            }
        }
        Ok(())
    }

    fn record(&mut self, record: TestRecord) -> Result<(), Error> {
        (self.sink)(self.out, record)
    }
}
