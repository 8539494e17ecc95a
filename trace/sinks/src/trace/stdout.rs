//! The trace on standard output, set up once for every tool (and `valet-suite run`) that shows
//! one: how it is buffered, and when it is flushed.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;

use super::sink::{Trace, TraceOptions};

/// The live trace on stdout: a [`Trace`] with `opts` writing to a duplicate of stdout in
/// 64 KiB blocks, [live](Trace::live) when [`is_live`] says someone may be watching. It shows
/// no progress; a tool adds its display with [`Trace::with_progress`].
///
/// # Errors
///
/// Duplicating the stdout descriptor failed.
pub fn stdout_trace(opts: TraceOptions) -> io::Result<Trace<BufWriter<File>>> {
    let stdout = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let live = is_live(&stdout);
    Ok(Trace::new(BufWriter::with_capacity(64 * 1024, stdout), opts).live(live))
}

/// Whether someone may be watching the output as it comes: a terminal, a pipe or a socket
/// is flushed whenever the tool is about to wait for input (so each test shows as soon as it
/// ends and nothing more is at hand); a file (or `/dev/null`) is written in large blocks.
pub fn is_live(out: &File) -> bool {
    if out.is_terminal() {
        return true;
    }
    match out.metadata() {
        Ok(m) => {
            let t = m.file_type();
            t.is_fifo() || t.is_socket()
        }
        Err(_) => true,
    }
}
