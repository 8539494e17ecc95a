//! A subunit stream writer that many threads can share.
//!
//! Each packet is encoded outside the lock and written under it in one piece, so packets from
//! different threads never interleave. A live consumer (a pipe, a socket, a terminal) gets each
//! packet handed to the OS at once; a file is written through a buffer.

use std::io::{self, BufWriter, Write};
use std::sync::Mutex;

use crate::encode::{self, EncodeError};
use crate::model::{PacketRef, Timestamp};

/// Why writing to the stream failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The packet could not be encoded.
    #[error("cannot encode packet: {0}")]
    Encode(#[from] EncodeError),
    /// The underlying writer failed (a full disk, a closed pipe, ...).
    #[error("cannot write subunit stream: {0}")]
    Io(#[from] io::Error),
    /// An earlier write failed; the stream may be cut mid-packet and takes no more.
    #[error("subunit stream unusable after an earlier error: {0}")]
    Poisoned(String),
}

impl WriteError {
    /// Whether the consumer went away (a closed pipe): a reason to stop quietly.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            WriteError::Io(e) => e.kind() == io::ErrorKind::BrokenPipe,
            WriteError::Poisoned(m) => m.contains("Broken pipe"),
            WriteError::Encode(_) => false,
        }
    }
}

/// When packets reach the OS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Every packet is written out as soon as it is complete (pipes, terminals, sockets).
    Live,
    /// Packets gather in a buffer (files); [`StreamWriter::flush`] or
    /// [`StreamWriter::finish`] writes the rest.
    Buffered,
}

enum Sink<W: Write> {
    Direct(W),
    Buffered(BufWriter<W>),
}

impl<W: Write> Sink<W> {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Direct(w) => {
                w.write_all(bytes)?;
                w.flush()
            }
            Sink::Buffered(w) => w.write_all(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Direct(w) => w.flush(),
            Sink::Buffered(w) => w.flush(),
        }
    }
}

struct State<W: Write> {
    sink: Sink<W>,
    failed: Option<String>,
}

/// A clock for the timestamps the high-level API stamps on packets.
pub type Clock = fn() -> Timestamp;

/// A subunit v2 stream writer shared by reference (`&StreamWriter` is `Send + Sync` when the
/// writer is `Send`).
pub struct StreamWriter<W: Write> {
    state: Mutex<State<W>>,
    delivery: Delivery,
    clock: Clock,
}

impl<W: Write> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}

impl<W: Write> StreamWriter<W> {
    /// A writer over `out`, delivering packets as `delivery` says.
    pub fn new(out: W, delivery: Delivery) -> Self {
        let sink = match delivery {
            Delivery::Live => Sink::Direct(out),
            Delivery::Buffered => Sink::Buffered(BufWriter::with_capacity(64 * 1024, out)),
        };
        StreamWriter {
            state: Mutex::new(State { sink, failed: None }),
            delivery,
            clock: Timestamp::now,
        }
    }

    /// Uses `clock` for the timestamps of the high-level API (fixed clocks make tests exact).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current time by this writer's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// How this writer delivers packets.
    pub fn delivery(&self) -> Delivery {
        self.delivery
    }

    /// Writes raw, already encoded bytes as one unit (a whole packet or several).
    pub fn write_encoded(&self, bytes: &[u8]) -> Result<(), WriteError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(msg) = &state.failed {
            return Err(WriteError::Poisoned(msg.clone()));
        }
        if let Err(e) = state.sink.write_all(bytes) {
            state.failed = Some(e.to_string());
            return Err(WriteError::Io(e));
        }
        Ok(())
    }

    /// Writes one packet. A file chunk too large for one packet is split into several packets
    /// (see [`encode::chunk`]), written together.
    pub fn write_packet(&self, p: &PacketRef<'_>) -> Result<(), WriteError> {
        let mut buf = Vec::new();
        match encode::encode(p, &mut buf) {
            Ok(_) => {}
            Err(EncodeError::PacketTooLarge { .. }) if p.file.is_some() => {
                for c in encode::chunk(p)? {
                    encode::encode(&c, &mut buf)?;
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.write_encoded(&buf)
    }

    /// Writes out anything buffered.
    pub fn flush(&self) -> Result<(), WriteError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(msg) = &state.failed {
            return Err(WriteError::Poisoned(msg.clone()));
        }
        state.sink.flush().map_err(|e| {
            state.failed = Some(e.to_string());
            WriteError::Io(e)
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, WriteError> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(msg) = state.failed {
            return Err(WriteError::Poisoned(msg));
        }
        match state.sink {
            Sink::Direct(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Sink::Buffered(w) => w.into_inner().map_err(|e| WriteError::Io(e.into_error())),
        }
    }
}

impl StreamWriter<std::fs::File> {
    /// A writer on standard output: live when stdout is a pipe, socket or terminal, buffered
    /// when it is a regular file. It writes to the file descriptor directly, bypassing Rust's
    /// line-buffered `Stdout`, so binary packets are never split at newlines.
    pub fn stdout() -> io::Result<Self> {
        use std::os::fd::AsFd;
        let file = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
        let delivery = delivery_for(&file);
        Ok(StreamWriter::new(file, delivery))
    }
}

/// The delivery a consumer on the other end of `file` wants: buffered for a regular file,
/// live for anything else (a pipe, socket, terminal or device).
pub fn delivery_for(file: &std::fs::File) -> Delivery {
    match file.metadata() {
        Ok(m) if m.file_type().is_file() => Delivery::Buffered,
        _ => Delivery::Live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Packet, Status};
    use std::sync::Arc;

    /// A writer that records each `write` call separately.
    #[derive(Clone, Default)]
    struct Calls(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn live_hands_each_packet_over_at_once_and_buffered_waits() {
        let calls = Calls::default();
        let w = StreamWriter::new(calls.clone(), Delivery::Live);
        w.write_packet(&Packet::status("a", Status::Success).as_ref())
            .unwrap();
        assert_eq!(calls.0.lock().unwrap().len(), 1);

        let calls = Calls::default();
        let w = StreamWriter::new(calls.clone(), Delivery::Buffered);
        w.write_packet(&Packet::status("a", Status::Success).as_ref())
            .unwrap();
        assert!(calls.0.lock().unwrap().is_empty());
        w.flush().unwrap();
        assert_eq!(calls.0.lock().unwrap().len(), 1);
    }

    #[test]
    fn threads_never_interleave_packets() {
        let w = StreamWriter::new(Vec::new(), Delivery::Buffered);
        std::thread::scope(|s| {
            for t in 0..8 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..200 {
                        let p = Packet::status(format!("t{t}.test{i}"), Status::Success).with_file(
                            "log",
                            Some("text/plain"),
                            vec![t as u8; 300 + i],
                            true,
                        );
                        w.write_packet(&p.as_ref()).unwrap();
                    }
                });
            }
        });
        let bytes = w.finish().unwrap();
        // Walk the stream packet by packet by its length fields and check every CRC.
        let mut pos = 0;
        let mut n = 0;
        while pos < bytes.len() {
            assert_eq!(bytes[pos], 0xB3);
            let (len, _) = crate::varint::decode(&bytes[pos + 3..]).unwrap();
            let pkt = &bytes[pos..pos + len as usize];
            let (body, crc) = pkt.split_at(pkt.len() - 4);
            assert_eq!(crc32fast::hash(body).to_be_bytes(), crc);
            pos += len as usize;
            n += 1;
        }
        assert_eq!(n, 1600);
    }

    struct Failing(io::ErrorKind);
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(self.0))
        }
    }

    #[test]
    fn errors_are_reported_and_poison_the_stream() {
        let w = StreamWriter::new(Failing(io::ErrorKind::BrokenPipe), Delivery::Live);
        let e = w
            .write_packet(&Packet::status("a", Status::Success).as_ref())
            .unwrap_err();
        assert!(e.is_broken_pipe(), "{e}");
        let e = w
            .write_packet(&Packet::status("b", Status::Success).as_ref())
            .unwrap_err();
        assert!(matches!(e, WriteError::Poisoned(_)), "{e}");

        let w = StreamWriter::new(Failing(io::ErrorKind::StorageFull), Delivery::Buffered);
        w.write_packet(&Packet::status("a", Status::Success).as_ref())
            .unwrap();
        assert!(
            matches!(w.finish(), Err(WriteError::Io(e)) if e.kind() == io::ErrorKind::StorageFull)
        );
    }

    #[test]
    fn full_disk_is_reported_on_flush() {
        // /dev/full accepts opens and fails every write with ENOSPC.
        let Ok(f) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            panic!("/dev/full is needed for this test");
        };
        let w = StreamWriter::new(f, Delivery::Buffered);
        w.write_packet(&Packet::status("a", Status::Success).as_ref())
            .unwrap();
        let e = w.flush().unwrap_err();
        assert!(e.to_string().contains("No space left"), "{e}");
    }

    #[test]
    fn delivery_is_buffered_for_files_and_live_for_pipes() {
        let f = tempfile::tempfile().unwrap();
        assert_eq!(delivery_for(&f), Delivery::Buffered);
        let dev = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        assert_eq!(delivery_for(&dev), Delivery::Live);
        let (_r, w) = io::pipe().unwrap();
        let w = std::fs::File::from(std::os::fd::OwnedFd::from(w));
        assert_eq!(delivery_for(&w), Delivery::Live);
    }

    #[test]
    fn a_live_pipe_gets_each_packet_at_once_and_a_closed_one_is_a_broken_pipe() {
        use std::io::Read;
        let (mut r, w) = io::pipe().unwrap();
        let w = StreamWriter::new(w, Delivery::Live);
        let p = Packet::status("a", Status::Success);
        w.write_packet(&p.as_ref()).unwrap();
        // The packet is readable before anything else is written or flushed.
        let want = crate::encode::to_vec(&p.as_ref()).unwrap();
        let mut got = vec![0; want.len()];
        r.read_exact(&mut got).unwrap();
        assert_eq!(got, want);
        drop(r);
        let e = w.write_packet(&p.as_ref()).unwrap_err();
        assert!(e.is_broken_pipe(), "{e}");
    }
}
