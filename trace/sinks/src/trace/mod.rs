//! `subunit-trace`: stestr's live view of a subunit v2 stream, as a library sink.
//!
//! # Brief overview
//!
//! - [`Trace`] takes python-subunit's events (from
//!   [`EventReader`](subunit_parser::events::EventReader)), folds them into tests with the
//!   parser's [`Fold`](subunit_parser::fold::Fold), and prints each test the moment its final
//!   status arrives: `{worker} name [duration] ... ok|FAILED|SKIPPED: reason|<status>`, the
//!   attachment blocks under it, or one character with `-a`.
//! - [`Trace::finish`] prints the tests left open, the `-f` failure section, Totals and
//!   Worker Balance, and returns stestr's verdict (failed when no test ran, none passed, a test
//!   never ended, or any failed or unexpectedly passed; else 0).
//! - [`TraceOptions`] is the command line; [`ColorWhen`], [`Progress`] and [`TimesDb`] are
//!   the decisions and files read once at start (colour, the progress bar, `--perc-diff`'s
//!   earlier times).
//!
//! The output is stestr 4.2.1's `stestr.subunit_trace`, byte for byte, including its quirks
//! (an attachment's chunks each get their own indented line; `xfail` prints `ok`; names lose
//! their first `[...]`); where stestr crashes or ignores what it was told, this does what it
//! means to do: `trace/DIFFERENCES.md` lists each case.
//!
//! # Why a sink over the fold
//!
//! The fold owns the per-test state (testtools' rules), so the trace only renders finished
//! records; the one thing it tracks beside the fold is the size of each attachment chunk of
//! the tests in flight, because stestr's layout depends on how the bytes were chunked and a
//! record holds the joined bytes.

mod color;
mod line;
mod live;
mod progress;
mod sink;
mod stdout;
mod summary;
mod times;

pub use color::ColorWhen;
pub use line::{cleanup_test_name, find_worker};
pub use live::FlushBeforeRead;
pub use progress::{NoProgress, Progress};
pub use sink::{SuccessAttachments, Trace, TraceOptions};
pub use stdout::{is_live, stdout_trace};
pub use times::{TimesDb, TimesError};
