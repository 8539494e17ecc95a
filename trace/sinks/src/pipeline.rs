//! The one pipeline every tool runs: read a stream as python-subunit reads it, fold its events
//! into tests with testtools' rules, and hand both to a [`Sink`].
//!
//! # The rules, kept here and nowhere else
//!
//! - Every event goes to [`Sink::event`] first, as it is read (stray bytes and run-wide files
//!   included), so a sink that passes bytes through keeps them in stream order.
//! - Events without a test id never reach the fold.
//! - `exists` events are dropped before the fold, as testtools' decorators drop them
//!   ([`Exists::Drop`], python-subunit's tools), or folded like any other final status
//!   ([`Exists::Fold`], for `subunit-trace`'s progress and `subunit-ls --exists`).
//! - The fold keys tests by (test id, route code); each test goes to [`Sink::record`] the
//!   moment its final status arrives.
//! - At the end of the stream the tests still open follow, newest first, as testtools flushes
//!   them ([`Open::NewestFirst`]), or in the order they started, for the listings and indexes
//!   of stored runs that keep stream order ([`Open::OldestFirst`]).
//!
//! How the stray bytes between packets are cut into events is the [`View`]: as the reader
//! meets them, or batched the way python batches a file
//! ([`python_events`]).
//!
//! [`Pipeline::run`] reads a whole stream. A sink handed events one at a time (by a run store's
//! reader, or a caller of its own) keeps its pipeline and implements [`Feed`], whose
//! [`feed`](Feed::feed) and [`feed_end`](Feed::feed_end) are [`Pipeline::push`] and
//! [`Pipeline::finish`]: the same rules, no second loop.
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, to_vec};
//! use subunit_parser::error::ReadError;
//! use subunit_parser::fold::TestRecord;
//! use subunit_sinks::pipeline::{Pipeline, Sink};
//!
//! /// A new sink is one impl: here, the ids of the tests that failed.
//! #[derive(Default)]
//! struct Failed(Vec<String>);
//!
//! impl Sink for Failed {
//!     type Error = ReadError;
//!     fn record(&mut self, record: TestRecord) -> Result<(), ReadError> {
//!         if record.status != Some(Status::Success) {
//!             self.0.push(record.id);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let mut stream = to_vec(&Packet::status("a", Status::Success).as_ref())?;
//! stream.extend(to_vec(&Packet::status("b", Status::InProgress).as_ref())?);
//! stream.extend(to_vec(&Packet::status("c", Status::Fail).as_ref())?);
//! let mut failed = Failed::default();
//! Pipeline::new().run::<_, ReadError>(&stream[..], &mut failed)?;
//! assert_eq!(failed.0, ["c", "b"]); // b never finished: flushed at the end
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::convert::Infallible;
use std::io::Read;

use subunit_emitter::{PacketRef, Status};
use subunit_parser::error::ReadError;
use subunit_parser::events::{EventReader, Origin, python_events};
use subunit_parser::fold::{Fold, TestRecord};

/// A consumer of a stream: of its events as read, of its finished tests, or of both. Both
/// methods do nothing unless a sink overrides them.
pub trait Sink {
    /// What the sink fails with.
    type Error;

    /// Whether the sink wants [`Sink::record`]: a sink of raw events only says `false`, and
    /// the pipeline then keeps no per-test state at all.
    const RECORDS: bool = true;

    /// Takes one event as read, before the fold sees it.
    ///
    /// # Errors
    ///
    /// The sink's own, which stop the pipeline.
    fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Self::Error> {
        let _ = event;
        Ok(())
    }

    /// Takes note, in the reader's view ([`View::Reader`]), that the next event is made of
    /// bytes that are not subunit, read up to stream offset `position`: for a sink that
    /// refuses them, as `subunit2sql` does without `--non_subunit_name`.
    ///
    /// # Errors
    ///
    /// The sink's own, which stop the pipeline.
    fn stray(&mut self, position: u64) -> Result<(), Self::Error> {
        let _ = position;
        Ok(())
    }

    /// Takes one finished test: when its final status arrived, or at the end of the stream
    /// for the tests still open (newest first, with no final status).
    ///
    /// # Errors
    ///
    /// The sink's own, which stop the pipeline.
    fn record(&mut self, record: TestRecord) -> Result<(), Self::Error> {
        let _ = record;
        Ok(())
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    type Error = S::Error;
    const RECORDS: bool = S::RECORDS;

    fn event(&mut self, event: &PacketRef<'_>) -> Result<(), Self::Error> {
        (**self).event(event)
    }

    fn stray(&mut self, position: u64) -> Result<(), Self::Error> {
        (**self).stray(position)
    }

    fn record(&mut self, record: TestRecord) -> Result<(), Self::Error> {
        (**self).record(record)
    }
}

/// A sink that keeps its own [`Pipeline`], for callers that hand it events one at a time (a
/// run store's reader, a test) instead of a reader: [`Feed::feed`] is [`Pipeline::push`] and
/// [`Feed::feed_end`] is [`Pipeline::finish`], with the sink's own pipeline.
pub trait Feed: Sink {
    /// The sink's pipeline.
    fn pipeline(&mut self) -> &mut Pipeline;

    /// Takes one event through the sink's pipeline.
    ///
    /// # Errors
    ///
    /// The sink's.
    fn feed(&mut self, event: &PacketRef<'_>) -> Result<(), Self::Error> {
        let mut pipeline = std::mem::take(self.pipeline());
        let pushed = pipeline.push(event, self);
        *self.pipeline() = pipeline;
        pushed
    }

    /// Ends the stream: the tests left open go to the sink (and the sink's pipeline is a
    /// new default one).
    ///
    /// # Errors
    ///
    /// The sink's.
    fn feed_end(&mut self) -> Result<(), Self::Error> {
        std::mem::take(self.pipeline()).finish(self)
    }
}

/// A sink of records only, each handed to a function: for a caller that wants the finished
/// tests and nothing else.
#[derive(Debug)]
pub struct Records<F>(pub F);

impl<F: FnMut(TestRecord)> Sink for Records<F> {
    type Error = Infallible;

    fn record(&mut self, record: TestRecord) -> Result<(), Infallible> {
        (self.0)(record);
        Ok(())
    }
}

/// How the stray bytes between packets become events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// As the reader meets them ([`EventReader`]): what `subunit-trace` and the
    /// `run_filter_script` tools see.
    #[default]
    Reader,
    /// Gathered up to the next packet, as python batches a file
    /// ([`python_events`]): what `subunit-filter`, `subunit-tags`, `subunit-2to1` and the run
    /// store see.
    Python,
}

/// What becomes of `exists` events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Exists {
    /// Dropped before the fold, as testtools' decorators drop them.
    #[default]
    Drop,
    /// Folded like any other final status: each becomes a record with status `exists`.
    Fold,
}

/// In which order the tests left open at the end of the stream reach the sink.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Open {
    /// Newest first, as testtools flushes them.
    #[default]
    NewestFirst,
    /// In the order they started.
    OldestFirst,
}

/// The one read -> fold -> flush pipeline (see the [module docs](self)): [`Pipeline::run`]
/// over a reader, or [`Pipeline::push`] and [`Pipeline::finish`] for events that come from
/// elsewhere (a run store, a test).
#[derive(Debug, Default)]
pub struct Pipeline {
    view: View,
    exists: Exists,
    open: Open,
    fold: Fold,
}

impl Pipeline {
    /// A pipeline with the reader's view that drops `exists` events.
    pub fn new() -> Self {
        Pipeline::default()
    }

    /// Reads stray bytes with `view`.
    pub fn view(mut self, view: View) -> Self {
        self.view = view;
        self
    }

    /// Treats `exists` events as `exists` says.
    pub fn exists(mut self, exists: Exists) -> Self {
        self.exists = exists;
        self
    }

    /// Flushes the tests left open in the `open` order.
    pub fn open(mut self, open: Open) -> Self {
        self.open = open;
        self
    }

    /// How many tests are in flight.
    pub fn in_flight(&self) -> usize {
        self.fold.in_flight()
    }

    /// Takes one event: to the sink, then (for a test's event) to the fold, and a test that
    /// ends to the sink.
    ///
    /// # Errors
    ///
    /// The sink's.
    pub fn push<S: Sink + ?Sized>(
        &mut self,
        event: &PacketRef<'_>,
        sink: &mut S,
    ) -> Result<(), S::Error> {
        sink.event(event)?;
        if !S::RECORDS
            || event.test_id.is_none()
            || (self.exists == Exists::Drop && event.status == Status::Exists)
        {
            return Ok(());
        }
        if let Some(record) = self.fold.push(event) {
            sink.record(record)?;
        }
        Ok(())
    }

    /// Ends the stream: the tests still open go to the sink, newest first (or as
    /// [`Pipeline::open`] says).
    ///
    /// # Errors
    ///
    /// The sink's.
    pub fn finish<S: Sink + ?Sized>(self, sink: &mut S) -> Result<(), S::Error> {
        let mut open = self.fold.finish();
        if self.open == Open::NewestFirst {
            open.reverse();
        }
        for record in open {
            sink.record(record)?;
        }
        Ok(())
    }

    /// Reads the whole of `input` through [`Pipeline::push`], then [`Pipeline::finish`]es.
    ///
    /// # Errors
    ///
    /// The first error of the reader or of the sink.
    pub fn run<S, E>(mut self, input: impl Read, sink: &mut S) -> Result<(), E>
    where
        S: Sink + ?Sized,
        E: From<ReadError> + From<S::Error>,
    {
        match self.view {
            View::Reader => {
                let mut reader = EventReader::new(input);
                loop {
                    let before = reader.position();
                    let Some((event, origin)) = reader.next_event_with_origin()? else {
                        break;
                    };
                    if origin == Origin::Stray {
                        let len = event.file.map_or(0, |f| f.content.len() as u64);
                        sink.stray(before + len)?;
                    }
                    self.push(&event, sink)?;
                }
            }
            View::Python => {
                python_events(input, |event| -> Result<(), E> {
                    Ok(self.push(event, sink)?)
                })?;
            }
        }
        Ok(self.finish(sink)?)
    }
}
