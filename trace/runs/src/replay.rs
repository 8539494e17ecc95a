//! Replay: a stored stream written out again, as fast as possible or with the pacing it was
//! recorded with, so that a live consumer (`subunit-replay --realtime RUN | subunit-trace`)
//! sees a stored run as it happened.
//!
//! # Brief overview
//!
//! - [`Source`] is what to replay: a v2 stream (a file, stdin) or a run in a [`Store`].
//! - [`replay`] writes it to a [`StreamWriter`]. A v2 stream is copied **byte for byte**: every
//!   packet, stray byte and damaged packet as it was read ([`PacketReader`] items). A stored
//!   run in stestr's v1 text is written as the v2 packets of the events the store reads from
//!   it ([`Store::read_run`]); a stored run that is already v2 is copied byte for byte.
//! - [`Pacing`] says how to wait: before each packet with a timestamp later than any seen so
//!   far, the replay sleeps for the gap between the two timestamps, divided by
//!   [`speed`](Pacing::speed) and capped at [`max_gap`](Pacing::max_gap). Packets whose
//!   timestamps go back (several workers interleaved) or carry none are written at once.
//!
//! # Why it is built this way
//!
//! The pacing keeps a virtual clock (the sum of the capped, scaled gaps) and sleeps until the
//! wall clock reaches it, rather than sleeping each gap in turn: the time spent writing and in
//! the consumer is absorbed, so a long replay does not drift late. Before each sleep the
//! writer is flushed, so a buffered consumer (a file) holds everything written so far too.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use subunit_emitter::{StreamWriter, Timestamp, WriteError};
use subunit_parser::error::ReadError;
use subunit_parser::reader::{Item, PacketReader};

use crate::store::{Store, StoreError};

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The input stream could not be read.
    #[error("{0}")]
    Read(#[from] ReadError),
    /// The output could not be written (the reader went away, the disk is full).
    #[error("{0}")]
    Write(#[from] WriteError),
    /// The stored run could not be read.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A stored run file could not be opened.
    #[error("{}: {source}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
}

impl ReplayError {
    /// Whether this is the reader of the output going away: a reason to stop quietly.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            ReplayError::Write(e) => e.is_broken_pipe(),
            ReplayError::Store(e) => e.is_broken_pipe(),
            ReplayError::Read(ReadError::Io(e)) => e.kind() == io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

/// What to replay.
pub enum Source {
    /// A subunit v2 stream, copied byte for byte.
    Stream(Box<dyn Read>),
    /// Run `id` of a store.
    Stored {
        /// The store.
        store: Store,
        /// The run id.
        id: u64,
    },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Stream(_) => f.write_str("Stream(..)"),
            Source::Stored { store, id } => f
                .debug_struct("Stored")
                .field("store", &store.base())
                .field("id", id)
                .finish(),
        }
    }
}

/// How to pace a replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pacing {
    /// How many times faster than recorded (1.0: as recorded). Must be positive and finite.
    pub speed: f64,
    /// The longest single wait, after scaling; `None` for no cap.
    pub max_gap: Option<Duration>,
}

impl Pacing {
    /// The original pacing: speed 1, no cap.
    pub fn realtime() -> Self {
        Pacing {
            speed: 1.0,
            max_gap: None,
        }
    }
}

/// What a replay wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Packets written (damaged packets and stray bytes not counted).
    pub packets: u64,
    /// The time the pacing waited in all.
    pub waited: Duration,
}

/// The virtual clock of a paced replay.
struct Pacer {
    pacing: Option<Pacing>,
    /// The wall-clock moment of the first timestamp.
    start: Option<Instant>,
    /// The latest timestamp seen.
    last: Option<Timestamp>,
    /// Where the replay should be, relative to `start`.
    due: Duration,
    waited: Duration,
}

impl Pacer {
    fn new(pacing: Option<Pacing>) -> Self {
        Pacer {
            pacing,
            start: None,
            last: None,
            due: Duration::ZERO,
            waited: Duration::ZERO,
        }
    }

    /// How long to wait before a packet stamped `ts` (zero when there is nothing to wait for).
    fn wait_for(&mut self, ts: Option<Timestamp>) -> Duration {
        let (Some(pacing), Some(ts)) = (self.pacing, ts) else {
            return Duration::ZERO;
        };
        let Some(start) = self.start else {
            self.start = Some(Instant::now());
            self.last = Some(ts);
            return Duration::ZERO;
        };
        let last = self.last.unwrap_or(ts);
        if ts <= last {
            return Duration::ZERO;
        }
        self.last = Some(ts);
        let gap = gap_between(last, ts).div_f64(pacing.speed);
        let gap = match pacing.max_gap {
            Some(cap) => gap.min(cap),
            None => gap,
        };
        self.due += gap;
        let wait = (start + self.due).saturating_duration_since(Instant::now());
        self.waited += wait;
        wait
    }
}

fn gap_between(a: Timestamp, b: Timestamp) -> Duration {
    let a = Duration::new(u64::from(a.secs), a.nanos.min(999_999_999));
    let b = Duration::new(u64::from(b.secs), b.nanos.min(999_999_999));
    b.saturating_sub(a)
}

/// Replays `source` to `writer`, paced as `pacing` says (`None`: as fast as possible).
///
/// # Errors
///
/// [`ReplayError::Write`] when the output fails (see [`ReplayError::is_broken_pipe`]), and the
/// other variants when the input cannot be read.
pub fn replay<W: io::Write>(
    source: Source,
    writer: &StreamWriter<W>,
    pacing: Option<Pacing>,
) -> Result<Replayed, ReplayError> {
    let mut pacer = Pacer::new(pacing);
    let packets = match source {
        Source::Stream(input) => copy_stream(input, writer, &mut pacer)?,
        Source::Stored { store, id } => {
            let path = store.run_path(id);
            if !path.is_file() {
                return Err(StoreError::NoSuchRun(id.to_string()).into());
            }
            let mut file = File::open(&path).map_err(|source| ReplayError::Input {
                path: path.clone(),
                source,
            })?;
            let mut first = [0u8; 1];
            let n = file.read(&mut first).map_err(|source| ReplayError::Input {
                path: path.clone(),
                source,
            })?;
            if n == 1 && first[0] == subunit_emitter::SIGNATURE {
                let rest = io::Cursor::new(first).chain(file);
                copy_stream(Box::new(rest), writer, &mut pacer)?
            } else {
                drop(file);
                write_events(&store, id, writer, &mut pacer)?
            }
        }
    };
    writer.flush()?;
    Ok(Replayed {
        packets,
        waited: pacer.waited,
    })
}

fn pause<W: io::Write>(
    writer: &StreamWriter<W>,
    pacer: &mut Pacer,
    ts: Option<Timestamp>,
) -> Result<(), WriteError> {
    let wait = pacer.wait_for(ts);
    if !wait.is_zero() {
        writer.flush()?;
        std::thread::sleep(wait);
    }
    Ok(())
}

fn copy_stream<W: io::Write>(
    input: Box<dyn Read + '_>,
    writer: &StreamWriter<W>,
    pacer: &mut Pacer,
) -> Result<u64, ReplayError> {
    let mut reader = PacketReader::new(input);
    let mut packets = 0;
    while let Some(item) = reader.next_item()? {
        if let Item::Packet { packet, .. } = &item {
            pause(writer, pacer, packet.timestamp)?;
            packets += 1;
        }
        writer.write_encoded(item.raw())?;
    }
    Ok(packets)
}

fn write_events<W: io::Write>(
    store: &Store,
    id: u64,
    writer: &StreamWriter<W>,
    pacer: &mut Pacer,
) -> Result<u64, ReplayError> {
    let mut packets = 0;
    let mut failed: Option<WriteError> = None;
    let res = store.read_run(id, |ev| {
        let res = pause(writer, pacer, ev.timestamp).and_then(|()| writer.write_packet(ev));
        match res {
            Ok(()) => {
                packets += 1;
                Ok(())
            }
            Err(e) => {
                let kind = if e.is_broken_pipe() {
                    io::ErrorKind::BrokenPipe
                } else {
                    io::ErrorKind::Other
                };
                failed = Some(e);
                Err(io::Error::new(kind, "write failed"))
            }
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    res?;
    Ok(packets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::{Delivery, Packet, Status};

    fn ts(secs: u32, nanos: u32) -> Option<Timestamp> {
        Some(Timestamp::new(secs, nanos))
    }

    #[test]
    fn pacer_scales_caps_and_ignores_time_going_back() {
        let mut p = Pacer::new(Some(Pacing {
            speed: 1000.0,
            max_gap: Some(Duration::from_millis(3)),
        }));
        assert_eq!(p.wait_for(ts(100, 0)), Duration::ZERO);
        assert_eq!(p.wait_for(None), Duration::ZERO);
        // One second at speed 1000 is due 1 ms after the start.
        p.wait_for(ts(101, 0));
        assert_eq!(p.due, Duration::from_millis(1));
        // Going back costs nothing and does not move the clock.
        assert_eq!(p.wait_for(ts(50, 0)), Duration::ZERO);
        assert_eq!(p.due, Duration::from_millis(1));
        // A 100 s gap is 100 ms at this speed, capped at 3 ms.
        p.wait_for(ts(201, 0));
        assert_eq!(p.due, Duration::from_millis(4));
        // Half a second: 0.5 ms.
        p.wait_for(ts(201, 500_000_000));
        assert_eq!(p.due, Duration::from_micros(4500));
    }

    #[test]
    fn no_pacing_never_waits() {
        let mut p = Pacer::new(None);
        assert_eq!(p.wait_for(ts(1, 0)), Duration::ZERO);
        assert_eq!(p.wait_for(ts(1000, 0)), Duration::ZERO);
        assert_eq!(p.due, Duration::ZERO);
    }

    #[test]
    fn a_stream_is_copied_byte_for_byte_stray_bytes_included() {
        let mut bytes = b"noise before\n".to_vec();
        let p = Packet::status("t.one", Status::Success).with_timestamp(Timestamp::new(5, 0));
        subunit_emitter::encode(&p.as_ref(), &mut bytes).unwrap();
        bytes.extend_from_slice(&[0xB3, 0x29, 0x01]); // a packet cut short
        let writer = StreamWriter::new(Vec::new(), Delivery::Buffered);
        let input = Box::new(io::Cursor::new(bytes.clone()));
        let done = replay(Source::Stream(input), &writer, None).unwrap();
        assert_eq!(done.packets, 1);
        assert_eq!(writer.finish().unwrap(), bytes);
    }
}
