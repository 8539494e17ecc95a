//! The fold of events into per-test records, with testtools' semantics.
//!
//! A subunit v2 stream says things about tests a packet at a time: a test starts, prints a
//! chunk of stdout, gets a tag, ends. [`Fold`] gathers those events into one [`TestRecord`] per
//! test, the way testtools 2.9.1's `_StreamToTestRecord` (the engine behind `StreamToDict`,
//! `StreamSummary` and `StreamToExtendedDecorator`) does, so that every sink sees the same tests
//! python-subunit's tools would see.
//!
//! # Brief overview
//!
//! - [`Fold::push`] takes one event (a [`PacketRef`]) and returns the record the moment its test
//!   ends, so the fold holds only the tests in flight, never the whole stream.
//! - [`Fold::finish`] returns the tests still open at the end of the stream, marked incomplete.
//! - [`TestRecord`] is a finished (or abandoned) test: id, route code, status, tags,
//!   attachments, first and last timestamps.
//! - [`Summary`] tallies records the way testtools' `StreamSummary` does, with its
//!   `wasSuccessful` rule.
//!
//! # The rules (testtools 2.9.1)
//!
//! - Records are keyed by **(test id, route code)**: the same id on two routes is two tests.
//!   Events with no test id (global `stdout`, say) are ignored here; consumers route them
//!   elsewhere.
//! - A record is created at the first event for its key, with status *unknown* and the start
//!   timestamp of that event.
//! - **Every** event for the key, the first included, sets the end timestamp to its own
//!   timestamp, even when that is `None`: testtools never compares timestamps, it keeps the last
//!   one received.
//! - A status other than `none` overwrites the status.
//! - The latest tag set wins: an event carrying tags (even an empty set) replaces the record's
//!   tags; an event without tags leaves them alone.
//! - File chunks are appended per file name, attachments kept in order of first appearance. The
//!   MIME type of a file's first (non-empty) chunk is kept (testtools reads a missing one as
//!   [`DEFAULT_MIME_TYPE`]); later MIME types are ignored. Empty chunks are ignored entirely
//!   (so they do not fix the MIME type either), and the EOF flag is not enforced: a chunk after
//!   EOF is appended. The chunk boundaries are kept ([`Attachment::chunks`]) for tools that
//!   replay a file as it arrived.
//! - Any status but `none` and `inprogress` is final ([`Status::is_final`]): the record is
//!   returned and forgotten, so `exists` ends a record too, and a later event for the same key
//!   starts a fresh one.
//! - At the end of the stream, records still open are reported with end timestamp `None`,
//!   status `inprogress` (or *unknown* if they only ever received files) and
//!   [`TestRecord::complete`] false.
//!
//! Two things differ from testtools on purpose, neither in what a record holds: timestamps keep
//! the wire's nanoseconds (python-subunit rounds them to microseconds, half to even, as it
//! reads), and [`Fold::finish`] lists the open records oldest first (testtools pops them newest
//! first).
//!
//! # Example
//!
//! ```
//! use subunit_emitter::{Packet, Status, Timestamp};
//! use subunit_parser::fold::{Fold, Summary};
//!
//! let events = [
//!     Packet::status("t.one", Status::InProgress).with_timestamp(Timestamp::new(10, 0)),
//!     Packet::status("t.one", Status::Undefined).with_file("stdout", None, "hi\n", true),
//!     Packet::status("t.one", Status::Success)
//!         .with_timestamp(Timestamp::new(12, 0))
//!         .with_tags(["worker-0"]),
//!     Packet::status("t.two", Status::InProgress).with_timestamp(Timestamp::new(13, 0)),
//! ];
//! let mut fold = Fold::new();
//! let mut done = Vec::new();
//! for event in &events {
//!     done.extend(fold.push(&event.as_ref()));
//! }
//! assert_eq!(fold.in_flight(), 1);
//! done.extend(fold.finish());
//!
//! assert_eq!(done[0].status, Some(Status::Success));
//! assert_eq!(done[0].attachment("stdout").unwrap().content, b"hi\n");
//! assert_eq!(done[0].duration(), Some(std::time::Duration::from_secs(2)));
//! assert!(!done[1].complete);
//!
//! let summary: Summary = done.iter().collect();
//! assert_eq!(summary.tests_run, 2);
//! assert_eq!(summary.incomplete, 1);
//! assert!(!summary.is_successful());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Why it is built this way
//!
//! The fold is on the path of every tool, so it allocates only to store what it keeps: the key
//! strings once per record (moved into the record when it ends, never copied), attachment
//! bytes, and tag strings when a tag set actually changes. Looking a record up by an event's
//! borrowed `(&str, Option<&str>)` allocates nothing and hashes once: a fast seeded hash picks
//! the record, the full key confirms it, and keys that share a fast hash fall back to a map
//! hashed with `std`'s SipHash, so a hostile stream cannot make the lookups quadratic. A test that begins and ends in one packet (an `exists` listing, say) never enters
//! the map at all.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use hashbrown::HashTable;
use std::time::Duration;

use subunit_emitter::{PacketRef, Status, Tags, Timestamp};

/// The MIME type of an attachment whose first chunk carried none (testtools' default).
pub use subunit_emitter::mime::OCTET_STREAM as DEFAULT_MIME_TYPE;

/// A file attached to a test: every non-empty chunk of that name, in stream order.
///
/// The content is stored joined, and the chunk boundaries beside it, so a tool that replays
/// the file as it arrived (python-subunit's `subunit-filter` and `subunit-2to1` do) can walk
/// [`chunks`](Attachment::chunks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name (`stdout`, `traceback`, `reason`, ...).
    pub name: String,
    /// The MIME type of the file's first non-empty chunk, exactly as the stream spelt it, or
    /// `None` if that chunk carried none (see [`Attachment::effective_mime_type`]). Real streams
    /// spell these loosely (`text/x-traceback;charset=utf8,language=python`), so parse them
    /// leniently.
    pub mime_type: Option<String>,
    /// The concatenated content.
    pub content: Vec<u8>,
    /// Where each chunk after the first starts in `content`, ascending: empty for a file
    /// that came in one chunk (most do), so it costs nothing then.
    chunk_starts: Vec<usize>,
}

impl Attachment {
    /// An attachment of one chunk, `content`.
    fn new(name: &str, mime_type: Option<&str>, content: &[u8]) -> Self {
        Attachment {
            name: name.to_owned(),
            mime_type: mime_type.map(str::to_owned),
            content: content.to_vec(),
            chunk_starts: Vec::new(),
        }
    }

    /// Appends one more (non-empty) chunk.
    fn push_chunk(&mut self, chunk: &[u8]) {
        self.chunk_starts.push(self.content.len());
        self.content.extend_from_slice(chunk);
    }

    /// The content in the pieces it arrived in: one slice per non-empty chunk the stream
    /// carried for this file, in order (never an empty one; empty chunks were dropped). They
    /// join to [`content`](Attachment::content). If `content` was modified since the fold
    /// built the attachment, the pieces are cut at the same offsets, clamped to its length.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks {
            content: &self.content,
            starts: &self.chunk_starts,
            pos: 0,
            done: false,
        }
    }

    /// The MIME type, or [`DEFAULT_MIME_TYPE`] when the stream gave none, as testtools reads it.
    pub fn effective_mime_type(&self) -> &str {
        self.mime_type.as_deref().unwrap_or(DEFAULT_MIME_TYPE)
    }

    /// The content as text, with invalid UTF-8 replaced by U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.content)
    }
}

/// The chunks of an [`Attachment`], from [`Attachment::chunks`].
#[derive(Clone, Debug)]
pub struct Chunks<'a> {
    content: &'a [u8],
    /// The starts of the chunks not yet returned, the current one excluded.
    starts: &'a [usize],
    /// Where the current chunk starts.
    pos: usize,
    done: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let end = match self.starts.split_first() {
            Some((&next, rest)) => {
                self.starts = rest;
                next
            }
            None => {
                self.done = true;
                self.content.len()
            }
        };
        let end = end.min(self.content.len()).max(self.pos);
        let chunk = self.content.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Some(chunk)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = if self.done { 0 } else { self.starts.len() + 1 };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Chunks<'_> {}

impl std::iter::FusedIterator for Chunks<'_> {}

/// One test as the stream described it: everything the fold gathered for one
/// (test id, route code) between the record's first event and its final status (or the end of
/// the stream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRecord {
    /// The test id.
    pub id: String,
    /// The route code the events came on (`None` for the root route).
    pub route_code: Option<String>,
    /// The last status the test reported, `None` for testtools' *unknown* (no event ever
    /// carried a status, only files). Never `Some(Status::Undefined)`: a `none` status does
    /// not overwrite. A [`complete`](Self::complete) record holds a final status; an
    /// incomplete one holds `Some(Status::InProgress)` or `None`.
    pub status: Option<Status>,
    /// The tags of the latest event that carried a tag set.
    pub tags: BTreeSet<String>,
    /// The files attached to the test, in order of first appearance.
    pub attachments: Vec<Attachment>,
    /// The timestamp of the record's first event.
    pub start: Option<Timestamp>,
    /// The timestamp of the record's last event (`None` when that event had none, and always
    /// `None` for an incomplete record, as testtools reports a hung test).
    pub end: Option<Timestamp>,
    /// Whether the test reached a final status; false for a test still open when the stream
    /// ended.
    pub complete: bool,
}

impl TestRecord {
    /// The status as testtools names it: `"unknown"` for `None`, otherwise
    /// [`Status::as_str`] (`"success"`, `"fail"`, `"inprogress"`, ...).
    pub fn status_name(&self) -> &'static str {
        self.status.map_or("unknown", Status::as_str)
    }

    /// The attachment named `name`, if the test has one.
    pub fn attachment(&self, name: &str) -> Option<&Attachment> {
        self.attachments.iter().find(|a| a.name == name)
    }

    /// The time from the first event to the last: `None` when either timestamp is missing
    /// (always for an incomplete record) or the end precedes the start (the stream's clocks are
    /// taken as given, never corrected).
    pub fn duration(&self) -> Option<Duration> {
        let (start, end) = (self.start?, self.end?);
        end.to_system_time()
            .duration_since(start.to_system_time())
            .ok()
    }
}

/// The fold: events in, finished [`TestRecord`]s out. See the [module docs](self) for the
/// rules.
#[derive(Debug, Default)]
pub struct Fold {
    open: OpenTable,
    next_seq: u64,
}

impl Fold {
    /// An empty fold.
    pub fn new() -> Self {
        Fold::default()
    }

    /// Folds one event in. Returns the record it completes, if its status is final; events
    /// without a test id are ignored and return `None`.
    pub fn push(&mut self, event: &PacketRef<'_>) -> Option<TestRecord> {
        let id = event.test_id?;
        let view = KeyRef {
            id,
            route: event.route_code,
        };
        let hash = self.open.hash(&view);
        if event.status.is_final() {
            let (key, mut open) = match self.open.remove(hash, &view) {
                Some(entry) => entry,
                None => (
                    view.to_owned_key(),
                    Open::new(self.bump_seq(), event.timestamp),
                ),
            };
            open.apply(event);
            return Some(open.into_record(key, true));
        }
        match self.open.get_mut(hash, &view) {
            Some(open) => open.apply(event),
            None => {
                let mut open = Open::new(self.bump_seq(), event.timestamp);
                open.apply(event);
                self.open.insert(hash, view.to_owned_key(), open);
            }
        }
        None
    }

    /// How many tests are open: seen, but not yet given a final status.
    pub fn in_flight(&self) -> usize {
        self.open.len()
    }

    /// Ends the stream: the tests still open, in the order their records were created, each
    /// with end timestamp `None` and [`complete`](TestRecord::complete) false.
    ///
    /// testtools reports them in the reverse order (its `stopTestRun` pops the newest first);
    /// the set is the same.
    pub fn finish(self) -> Vec<TestRecord> {
        let mut open = self.open.into_vec();
        open.sort_unstable_by_key(|(_, o)| o.seq);
        open.into_iter()
            .map(|(key, mut o)| {
                o.end = None;
                o.into_record(key, false)
            })
            .collect()
    }

    fn bump_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }
}

/// The state of an open record; the key strings live in the map's key until the record ends.
#[derive(Debug)]
struct Open {
    /// Creation order, for [`Fold::finish`].
    seq: u64,
    status: Option<Status>,
    tags: BTreeSet<String>,
    attachments: Vec<Attachment>,
    /// Attachment positions by name, built once a test has more than [`INDEX_ATTACHMENTS`]
    /// files, so a stream with many files per test cannot make each chunk a linear search.
    by_name: Option<HashMap<String, usize>>,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

/// How many attachments a record holds before [`Open`] indexes them by name.
const INDEX_ATTACHMENTS: usize = 8;

impl Open {
    fn new(seq: u64, start: Option<Timestamp>) -> Self {
        Open {
            seq,
            status: None,
            tags: BTreeSet::new(),
            attachments: Vec::new(),
            by_name: None,
            start,
            end: None,
        }
    }

    fn apply(&mut self, event: &PacketRef<'_>) {
        if event.status != Status::Undefined {
            self.status = Some(event.status);
        }
        self.end = event.timestamp;
        if let Some(file) = event.file
            && !file.content.is_empty()
        {
            match self.find_attachment(file.name) {
                Some(i) => self.attachments[i].push_chunk(file.content),
                None => {
                    self.add_attachment(Attachment::new(file.name, event.mime_type, file.content))
                }
            }
        }
        if let Some(tags) = event.tags {
            replace_tags(&mut self.tags, tags);
        }
    }

    fn find_attachment(&self, name: &str) -> Option<usize> {
        match &self.by_name {
            Some(index) => index.get(name).copied(),
            // Chunks of one file usually come together: look at the newest first.
            None => self.attachments.iter().rposition(|a| a.name == name),
        }
    }

    fn add_attachment(&mut self, attachment: Attachment) {
        let i = self.attachments.len();
        match &mut self.by_name {
            Some(index) => {
                index.insert(attachment.name.clone(), i);
            }
            None if i >= INDEX_ATTACHMENTS => {
                let mut index: HashMap<String, usize> = self
                    .attachments
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.name.clone(), i))
                    .collect();
                index.insert(attachment.name.clone(), i);
                self.by_name = Some(index);
            }
            None => {}
        }
        self.attachments.push(attachment);
    }

    fn into_record(self, key: Key, complete: bool) -> TestRecord {
        TestRecord {
            id: key.id,
            route_code: key.route,
            status: self.status,
            tags: self.tags,
            attachments: self.attachments,
            start: self.start,
            end: self.end,
            complete,
        }
    }
}

/// Makes `set` equal to the distinct strings of `tags`, allocating only if it changes.
///
/// The sets are equal when the counts match, every tag is in the set and the wire order is
/// strictly increasing (so no tag repeats); a set written in another order is rebuilt, which
/// is correct, only dearer. The check is O(n log n) whatever the stream holds.
fn replace_tags(set: &mut BTreeSet<String>, tags: Tags<'_>) {
    let same = tags.len() == set.len() && {
        let mut prev: Option<&str> = None;
        tags.iter().all(|t| {
            let ordered = prev.is_none_or(|p| p < t);
            prev = Some(t);
            ordered && set.contains(t)
        })
    };
    if !same {
        set.clear();
        set.extend(tags.iter().map(str::to_owned));
    }
}

/// The open records, looked up with one hash per event.
///
/// A [`hashbrown::HashTable`] of `(key, record)`, hashed with foldhash seeded per fold: the
/// event's borrowed key is hashed once and that hash serves the lookup, the removal and the
/// insertion, and no lookup allocates. foldhash is fast on long test ids (SipHash on whole ids
/// was a third of the fold's time) and seeded, so a stream cannot choose its collisions without
/// knowing the seed; a collision only costs a key comparison.
#[derive(Debug, Default)]
struct OpenTable {
    hasher: foldhash::fast::RandomState,
    table: HashTable<(Key, Open)>,
    /// Tests only: every key gets the same hash.
    #[cfg(test)]
    collide: bool,
}

impl OpenTable {
    fn hash(&self, key: &KeyRef<'_>) -> u64 {
        #[cfg(test)]
        if self.collide {
            return 0;
        }
        key_hash(&self.hasher, key.id, key.route)
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn get_mut(&mut self, hash: u64, key: &KeyRef<'_>) -> Option<&mut Open> {
        self.table
            .find_mut(hash, |(k, _)| key.matches(k))
            .map(|(_, open)| open)
    }

    fn remove(&mut self, hash: u64, key: &KeyRef<'_>) -> Option<(Key, Open)> {
        match self.table.find_entry(hash, |(k, _)| key.matches(k)) {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        }
    }

    /// Adds a record whose key is not in the table.
    fn insert(&mut self, hash: u64, key: Key, open: Open) {
        let hasher = &self.hasher;
        #[cfg(test)]
        let collide = self.collide;
        self.table.insert_unique(hash, (key, open), |(k, _)| {
            #[cfg(test)]
            if collide {
                return 0;
            }
            key_hash(hasher, &k.id, k.route.as_deref())
        });
    }

    fn into_vec(self) -> Vec<(Key, Open)> {
        self.table.into_iter().collect()
    }
}

/// The hash of (id, route) under the fold's seeded hasher; the owned and the borrowed key hash
/// through here alike.
fn key_hash(hasher: &foldhash::fast::RandomState, id: &str, route: Option<&str>) -> u64 {
    hasher.hash_one((id, route))
}

/// The owned key: (test id, route code).
#[derive(Debug)]
struct Key {
    id: String,
    route: Option<String>,
}

/// The borrowed key of an event.
struct KeyRef<'a> {
    id: &'a str,
    route: Option<&'a str>,
}

impl KeyRef<'_> {
    fn matches(&self, key: &Key) -> bool {
        self.id == key.id && self.route == key.route.as_deref()
    }

    fn to_owned_key(&self) -> Key {
        Key {
            id: self.id.to_owned(),
            route: self.route.map(str::to_owned),
        }
    }
}

/// A tally of records, by testtools' `StreamSummary` rules.
///
/// - `exists` records are counted in [`exists`](Self::exists) only, not in
///   [`tests_run`](Self::tests_run).
/// - Every other record counts in `tests_run` and in its status's field.
/// - A record left `inprogress` or *unknown* (a test that never finished) counts in
///   [`incomplete`](Self::incomplete); testtools files it as an error, "Test did not complete".
/// - testtools files `fail` as an error too (its `failures` list stays empty), so
///   [`errors`](Self::errors) is `fail + incomplete`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records counted as run: all but `exists`.
    pub tests_run: usize,
    /// `success` records.
    pub success: usize,
    /// `fail` records.
    pub fail: usize,
    /// `skip` records.
    pub skip: usize,
    /// `xfail` (expected failure) records.
    pub xfail: usize,
    /// `uxsuccess` (unexpected success) records.
    pub uxsuccess: usize,
    /// Records that never reached a final status (`inprogress` or *unknown*).
    pub incomplete: usize,
    /// `exists` (enumeration) records, not counted as run.
    pub exists: usize,
}

impl Summary {
    /// An empty tally.
    pub fn new() -> Self {
        Summary::default()
    }

    /// Counts one record.
    pub fn add(&mut self, record: &TestRecord) {
        let slot = match record.status {
            Some(Status::Exists) => {
                self.exists += 1;
                return;
            }
            Some(Status::Success) => &mut self.success,
            Some(Status::Fail) => &mut self.fail,
            Some(Status::Skip) => &mut self.skip,
            Some(Status::XFail) => &mut self.xfail,
            Some(Status::UxSuccess) => &mut self.uxsuccess,
            Some(Status::InProgress | Status::Undefined) | None => &mut self.incomplete,
        };
        *slot += 1;
        self.tests_run += 1;
    }

    /// What testtools counts as errors: failures plus tests that did not complete.
    pub fn errors(&self) -> usize {
        self.fail + self.incomplete
    }

    /// testtools' `StreamSummary.wasSuccessful()`: no failures and no incomplete tests.
    ///
    /// An unexpected success does **not** make a run unsuccessful here, as in testtools,
    /// `subunit-stats` and `subunit-ls`. stestr (and its `subunit-trace`) is stricter: it also
    /// fails a run on any `uxsuccess`, and when no test ran or none succeeded; a caller that
    /// wants stestr's verdict checks [`uxsuccess`](Self::uxsuccess) and the counts itself.
    pub fn is_successful(&self) -> bool {
        self.errors() == 0
    }
}

impl<'a> Extend<&'a TestRecord> for Summary {
    fn extend<I: IntoIterator<Item = &'a TestRecord>>(&mut self, records: I) {
        for record in records {
            self.add(record);
        }
    }
}

impl<'a> FromIterator<&'a TestRecord> for Summary {
    fn from_iter<I: IntoIterator<Item = &'a TestRecord>>(records: I) -> Self {
        let mut summary = Summary::new();
        summary.extend(records);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::Packet;

    fn ts(secs: u32) -> Timestamp {
        Timestamp::new(secs, 0)
    }

    /// Folds `events`, returning (records returned by push, in order; records from finish).
    fn run(events: &[Packet]) -> (Vec<TestRecord>, Vec<TestRecord>) {
        run_with(Fold::new(), events)
    }

    fn run_with(mut fold: Fold, events: &[Packet]) -> (Vec<TestRecord>, Vec<TestRecord>) {
        let done = events
            .iter()
            .filter_map(|e| fold.push(&e.as_ref()))
            .collect();
        (done, fold.finish())
    }

    fn one(events: &[Packet]) -> TestRecord {
        let (mut done, open) = run(events);
        assert!(open.is_empty(), "unexpected open records: {open:?}");
        assert_eq!(done.len(), 1, "records: {done:?}");
        done.pop().unwrap()
    }

    fn file(id: &str, name: &str, mime: Option<&str>, content: &[u8]) -> Packet {
        Packet::status(id, Status::Undefined).with_file(name, mime, content, false)
    }

    fn tags(set: &BTreeSet<String>) -> Vec<&str> {
        set.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_simple_test_becomes_one_record() {
        let r = one(&[
            Packet::status("a", Status::InProgress).with_timestamp(ts(1)),
            Packet::status("a", Status::Success).with_timestamp(ts(3)),
        ]);
        assert_eq!(r.id, "a");
        assert_eq!(r.route_code, None);
        assert_eq!(r.status, Some(Status::Success));
        assert_eq!(r.status_name(), "success");
        assert_eq!((r.start, r.end), (Some(ts(1)), Some(ts(3))));
        assert!(r.complete);
        assert_eq!(r.duration(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn the_record_is_returned_the_moment_it_is_final() {
        let mut fold = Fold::new();
        let start = Packet::status("a", Status::InProgress);
        let end = Packet::status("a", Status::Fail);
        assert_eq!(fold.push(&start.as_ref()), None);
        assert_eq!(fold.in_flight(), 1);
        let r = fold
            .push(&end.as_ref())
            .expect("final status returns the record");
        assert_eq!(r.status, Some(Status::Fail));
        assert_eq!(fold.in_flight(), 0);
        assert!(fold.finish().is_empty());
    }

    #[test]
    fn events_without_a_test_id_are_ignored() {
        let stdout = Packet::default().with_file("stdout", None, "noise", false);
        let status = Packet {
            status: Status::Fail,
            ..Packet::default()
        };
        let mut fold = Fold::new();
        assert_eq!(fold.push(&stdout.as_ref()), None);
        assert_eq!(fold.push(&status.as_ref()), None);
        assert_eq!(fold.in_flight(), 0);
        assert!(fold.finish().is_empty());
    }

    #[test]
    fn an_empty_test_id_is_still_a_test() {
        let r = one(&[Packet::status("", Status::Success)]);
        assert_eq!(r.id, "");
    }

    #[test]
    fn the_same_id_on_two_routes_is_two_tests() {
        let (done, open) = run(&[
            Packet::status("a", Status::InProgress)
                .with_route_code("0")
                .with_timestamp(ts(1)),
            Packet::status("a", Status::InProgress)
                .with_route_code("1")
                .with_timestamp(ts(2)),
            Packet::status("a", Status::InProgress).with_timestamp(ts(3)),
            Packet::status("a", Status::Fail)
                .with_route_code("1")
                .with_timestamp(ts(4)),
            Packet::status("a", Status::Success)
                .with_route_code("0")
                .with_timestamp(ts(5)),
        ]);
        assert_eq!(done.len(), 2);
        assert_eq!(done[0].route_code.as_deref(), Some("1"));
        assert_eq!(done[0].status, Some(Status::Fail));
        assert_eq!((done[0].start, done[0].end), (Some(ts(2)), Some(ts(4))));
        assert_eq!(done[1].route_code.as_deref(), Some("0"));
        assert_eq!(done[1].status, Some(Status::Success));
        assert_eq!((done[1].start, done[1].end), (Some(ts(1)), Some(ts(5))));
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].route_code, None);
        assert_eq!(open[0].start, Some(ts(3)));
    }

    #[test]
    fn an_id_and_a_route_do_not_collide_with_a_longer_id() {
        // Hashing the fields separately keeps ("a/0", None) apart from ("a", Some("0")).
        let (done, open) = run(&[
            Packet::status("a", Status::InProgress).with_route_code("0"),
            Packet::status("a/0", Status::InProgress),
            Packet::status("a0", Status::Success),
        ]);
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].id, "a0");
        assert_eq!(open.len(), 2);
    }

    /// A fold whose hash is the same for every key.
    fn colliding_fold() -> Fold {
        let mut fold = Fold::new();
        fold.open.collide = true;
        fold
    }

    #[test]
    fn ids_sharing_a_hash_are_kept_apart() {
        let ids: Vec<String> = (0..50).map(|i| format!("{i:04}.test")).collect();
        let mut fold = colliding_fold();
        for (i, id) in ids.iter().enumerate() {
            let start =
                Packet::status(id.as_str(), Status::InProgress).with_timestamp(ts(i as u32));
            assert_eq!(fold.push(&start.as_ref()), None);
        }
        assert_eq!(fold.in_flight(), 50);
        // Files reach the right record wherever it lives.
        for id in &ids {
            fold.push(&file(id, "stdout", None, id.as_bytes()).as_ref());
        }
        // End some: each finds its own record among the colliding ones, and a key ended and
        // started again gets a fresh record.
        for id in ids.iter().take(30) {
            let r = fold
                .push(&Packet::status(id.as_str(), Status::Success).as_ref())
                .unwrap_or_else(|| panic!("{id} should end"));
            assert_eq!(&r.id, id);
            assert_eq!(r.attachment("stdout").unwrap().content, id.as_bytes());
            let i: u32 = id[..4].parse().unwrap();
            assert_eq!(r.start, Some(ts(i)));
            // Re-use after final: a fresh record under the same key.
            assert_eq!(
                fold.push(&Packet::status(id.as_str(), Status::InProgress).as_ref()),
                None
            );
            let again = fold
                .push(&Packet::status(id.as_str(), Status::Skip).as_ref())
                .unwrap();
            assert!(again.attachments.is_empty());
        }
        assert_eq!(fold.in_flight(), 20);
        let open = fold.finish();
        let open_ids: Vec<&str> = open.iter().map(|r| r.id.as_str()).collect();
        let expected: Vec<&str> = ids[30..].iter().map(String::as_str).collect();
        assert_eq!(open_ids, expected, "creation order");
        for r in &open {
            assert_eq!(r.attachment("stdout").unwrap().content, r.id.as_bytes());
        }
    }

    #[test]
    fn the_key_hash_separates_ids_and_routes() {
        let seeded = foldhash::fast::RandomState::default();
        let h = |id: &str, route: Option<&str>| key_hash(&seeded, id, route);
        let all = [
            h("a", None),
            h("a", Some("")),
            h("a", Some("0")),
            h("a0", None),
            h("a/0", None),
            h("a\0", None),
            h("", None),
            h("", Some("")),
            h("abcdefgh", None),
            h("abcdefgh\0", None),
            h("abcdefghi", None),
        ];
        let distinct: BTreeSet<u64> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "{all:x?}");
        // Many similar ids (a shared prefix, a counter) do not collide.
        let many: BTreeSet<u64> = (0..100_000)
            .map(|i| {
                h(
                    &format!("tempest.api.compute.test_servers.T.test_{i}"),
                    None,
                )
            })
            .collect();
        assert_eq!(many.len(), 100_000);
    }

    #[test]
    fn routes_are_kept_apart_when_the_hash_collides() {
        let id = "t";
        let (done, open) = run_with(
            colliding_fold(),
            &[
                Packet::status(id, Status::InProgress).with_route_code("0"),
                Packet::status(id, Status::InProgress).with_route_code("1"),
                Packet::status(id, Status::InProgress),
                Packet::status(id, Status::Fail).with_route_code("1"),
            ],
        );
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].route_code.as_deref(), Some("1"));
        let routes: Vec<Option<&str>> = open.iter().map(|r| r.route_code.as_deref()).collect();
        assert_eq!(routes, [Some("0"), None]);
    }

    #[test]
    fn a_record_starts_unknown_and_none_never_overwrites() {
        let (_, open) = run(&[file("a", "stdout", None, b"x")]);
        assert_eq!(open[0].status, None);
        assert_eq!(open[0].status_name(), "unknown");

        let (_, open) = run(&[
            Packet::status("a", Status::InProgress),
            file("a", "stdout", None, b"x"),
        ]);
        assert_eq!(open[0].status, Some(Status::InProgress));
    }

    #[test]
    fn status_and_file_in_one_packet_are_both_kept() {
        let r = one(&[Packet::status("a", Status::Fail).with_file(
            "traceback",
            Some("text/plain"),
            "boom",
            true,
        )]);
        assert_eq!(r.status, Some(Status::Fail));
        assert_eq!(r.attachment("traceback").unwrap().content, b"boom");
    }

    #[test]
    fn a_single_event_record_has_its_timestamp_at_both_ends() {
        let r = one(&[Packet::status("a", Status::Exists).with_timestamp(ts(7))]);
        assert_eq!((r.start, r.end), (Some(ts(7)), Some(ts(7))));
        assert_eq!(r.duration(), Some(Duration::ZERO));
    }

    #[test]
    fn every_event_sets_the_end_timestamp_even_to_none() {
        let r = one(&[
            Packet::status("a", Status::InProgress).with_timestamp(ts(1)),
            file("a", "stdout", None, b"x").with_timestamp(ts(2)),
            Packet::status("a", Status::Success),
        ]);
        assert_eq!((r.start, r.end), (Some(ts(1)), None));
        assert_eq!(r.duration(), None);

        let r = one(&[
            Packet::status("a", Status::InProgress),
            Packet::status("a", Status::Success).with_timestamp(ts(9)),
        ]);
        assert_eq!((r.start, r.end), (None, Some(ts(9))));
    }

    #[test]
    fn timestamps_are_taken_as_given() {
        let r = one(&[
            Packet::status("a", Status::InProgress).with_timestamp(ts(5)),
            Packet::status("a", Status::Success).with_timestamp(ts(2)),
        ]);
        assert_eq!((r.start, r.end), (Some(ts(5)), Some(ts(2))));
        assert_eq!(r.duration(), None);

        let r = one(&[
            Packet::status("a", Status::InProgress).with_timestamp(Timestamp::new(1, 900)),
            Packet::status("a", Status::Success).with_timestamp(Timestamp::new(2, 100)),
        ]);
        assert_eq!(
            r.duration(),
            Some(Duration::from_nanos(1_000_000_000 - 800))
        );
    }

    #[test]
    fn every_non_interim_status_is_final() {
        for status in Status::ALL {
            let mut fold = Fold::new();
            let got = fold.push(&Packet::status("a", status).as_ref());
            if matches!(status, Status::Undefined | Status::InProgress) {
                assert_eq!(got, None, "{status}");
                assert_eq!(fold.in_flight(), 1, "{status}");
            } else {
                let r = got.unwrap_or_else(|| panic!("{status} should be final"));
                assert_eq!(r.status, Some(status));
                assert_eq!(fold.in_flight(), 0, "{status}");
            }
        }
    }

    #[test]
    fn a_key_is_reused_after_a_final_status() {
        let (done, open) = run(&[
            Packet::status("a", Status::Exists).with_timestamp(ts(1)),
            Packet::status("a", Status::InProgress).with_timestamp(ts(2)),
            file("a", "stdout", None, b"first"),
            Packet::status("a", Status::Fail)
                .with_timestamp(ts(3))
                .with_tags(["t1"]),
            Packet::status("a", Status::InProgress).with_timestamp(ts(4)),
            Packet::status("a", Status::Success).with_timestamp(ts(5)),
            Packet::status("a", Status::InProgress).with_timestamp(ts(6)),
        ]);
        assert_eq!(done.len(), 3);
        assert_eq!(done[0].status, Some(Status::Exists));
        assert_eq!((done[0].start, done[0].end), (Some(ts(1)), Some(ts(1))));
        assert_eq!(done[1].status, Some(Status::Fail));
        assert_eq!((done[1].start, done[1].end), (Some(ts(2)), Some(ts(3))));
        assert_eq!(done[1].attachment("stdout").unwrap().content, b"first");
        // The fresh record inherits nothing: no attachments, no tags.
        assert_eq!(done[2].status, Some(Status::Success));
        assert_eq!((done[2].start, done[2].end), (Some(ts(4)), Some(ts(5))));
        assert!(done[2].attachments.is_empty());
        assert!(done[2].tags.is_empty());
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].start, Some(ts(6)));
    }

    #[test]
    fn chunks_of_a_file_are_concatenated_in_order() {
        let r = one(&[
            Packet::status("a", Status::InProgress),
            file("a", "stdout", Some("text/plain"), b"one "),
            file("a", "stderr", Some("text/plain"), b"err"),
            Packet::status("a", Status::Undefined).with_file(
                "stdout",
                Some("text/plain"),
                "two ",
                true,
            ),
            // After EOF: testtools does not enforce it, the chunk is appended.
            file("a", "stdout", None, b"three"),
            Packet::status("a", Status::Success),
        ]);
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["stdout", "stderr"]);
        assert_eq!(r.attachment("stdout").unwrap().content, b"one two three");
        assert_eq!(r.attachment("stdout").unwrap().text(), "one two three");
        assert_eq!(r.attachment("stderr").unwrap().content, b"err");
        assert_eq!(r.attachment("nope"), None);
    }

    #[test]
    fn the_mime_type_of_the_first_chunk_is_kept() {
        let r = one(&[
            file("a", "log", Some("text/plain;charset=utf8"), b"1"),
            file("a", "log", Some("application/json"), b"2"),
            file("a", "bin", None, b"3"),
            file("a", "bin", Some("text/plain"), b"4"),
            Packet::status("a", Status::Success),
        ]);
        let log = r.attachment("log").unwrap();
        assert_eq!(log.mime_type.as_deref(), Some("text/plain;charset=utf8"));
        assert_eq!(log.effective_mime_type(), "text/plain;charset=utf8");
        assert_eq!(log.content, b"12");
        let bin = r.attachment("bin").unwrap();
        assert_eq!(bin.mime_type, None);
        assert_eq!(bin.effective_mime_type(), DEFAULT_MIME_TYPE);
        assert_eq!(bin.content, b"34");
    }

    #[test]
    fn empty_chunks_are_ignored_and_do_not_fix_the_mime_type() {
        let r = one(&[
            file("a", "log", Some("text/x-empty"), b""),
            file("a", "empty", Some("text/plain"), b""),
            file("a", "log", Some("text/plain"), b"x"),
            file("a", "log", Some("text/other"), b""),
            Packet::status("a", Status::Success),
        ]);
        assert_eq!(r.attachments.len(), 1, "{:?}", r.attachments);
        let log = r.attachment("log").unwrap();
        assert_eq!(log.mime_type.as_deref(), Some("text/plain"));
        assert_eq!(log.content, b"x");
    }

    fn pieces(a: &Attachment) -> Vec<&[u8]> {
        a.chunks().collect()
    }

    #[test]
    fn chunk_boundaries_are_kept_empty_chunks_dropped() {
        let r = one(&[
            file("a", "log", None, b"one "),
            file("a", "err", None, b"e"),
            file("a", "log", None, b""),
            file("a", "log", None, b"two "),
            file("a", "log", None, b"three"),
            Packet::status("a", Status::Success),
        ]);
        let log = r.attachment("log").unwrap();
        assert_eq!(pieces(log), [&b"one "[..], b"two ", b"three"]);
        assert_eq!(log.chunks().len(), 3);
        assert_eq!(pieces(log).concat(), log.content);
        let err = r.attachment("err").unwrap();
        assert_eq!(pieces(err), [&b"e"[..]]);

        let mut chunks = log.chunks();
        assert_eq!(chunks.size_hint(), (3, Some(3)));
        chunks.next();
        assert_eq!(chunks.len(), 2);
        chunks.by_ref().for_each(drop);
        assert_eq!((chunks.len(), chunks.next()), (0, None));
    }

    #[test]
    fn chunk_boundaries_survive_the_index_by_name() {
        let mut events = Vec::new();
        for round in 0..2 {
            for i in 0..(INDEX_ATTACHMENTS + 3) {
                let name = format!("f{i}");
                events.push(file("a", &name, None, format!("{i}.{round}").as_bytes()));
            }
        }
        events.push(Packet::status("a", Status::Success));
        let r = one(&events);
        for (i, a) in r.attachments.iter().enumerate() {
            let want = [format!("{i}.0"), format!("{i}.1")];
            let got: Vec<String> = a
                .chunks()
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn chunks_of_edited_content_are_clamped_not_a_panic() {
        let mut r = one(&[
            file("a", "log", None, b"abc"),
            file("a", "log", None, b"def"),
            file("a", "log", None, b"gh"),
            Packet::status("a", Status::Success),
        ]);
        let log = &mut r.attachments[0];
        log.content.truncate(4);
        assert_eq!(pieces(log), [&b"abc"[..], b"d", b""]);
        log.content.clear();
        assert_eq!(pieces(log).concat(), b"");
        assert_eq!(log.chunks().len(), 3);
    }

    #[test]
    fn an_empty_chunk_still_counts_as_an_event() {
        // It creates the record and moves the end timestamp, like any event.
        let (_, open) = run(&[file("a", "log", None, b"").with_timestamp(ts(4))]);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].start, Some(ts(4)));
        assert!(open[0].attachments.is_empty());
    }

    #[test]
    fn many_files_on_one_test_keep_their_order_and_content() {
        let names: Vec<String> = (0..40).map(|i| format!("file-{i}")).collect();
        let mut events = vec![Packet::status("a", Status::InProgress)];
        for round in 0..3 {
            for (i, name) in names.iter().enumerate() {
                let mime = format!("text/r{round}");
                events.push(file(
                    "a",
                    name,
                    Some(&mime),
                    format!("{i}.{round};").as_bytes(),
                ));
            }
        }
        events.push(Packet::status("a", Status::Success));
        let r = one(&events);
        assert_eq!(r.attachments.len(), 40);
        for (i, (a, name)) in r.attachments.iter().zip(&names).enumerate() {
            assert_eq!(&a.name, name);
            assert_eq!(a.mime_type.as_deref(), Some("text/r0"));
            assert_eq!(a.text(), format!("{i}.0;{i}.1;{i}.2;"));
        }
    }

    #[test]
    fn the_latest_tag_set_wins_and_none_does_not_clear() {
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x", "y"]),
            file("a", "stdout", None, b"."),
            Packet::status("a", Status::Undefined).with_tags(["z", "y", "z"]),
            Packet::status("a", Status::Success),
        ]);
        assert_eq!(tags(&r.tags), ["y", "z"]);
    }

    #[test]
    fn an_empty_tag_set_clears_the_tags() {
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x"]),
            Packet::status("a", Status::Success).with_tags(Vec::<String>::new()),
        ]);
        assert!(r.tags.is_empty());
    }

    #[test]
    fn replacing_tags_with_duplicates_of_a_subset_drops_the_rest() {
        // Same length as the old set, every tag in it, but not the same set.
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x", "y"]),
            Packet::status("a", Status::Success).with_tags(["x", "x"]),
        ]);
        assert_eq!(tags(&r.tags), ["x"]);
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x", "y"]),
            Packet::status("a", Status::Success).with_tags(["y", "x"]),
        ]);
        assert_eq!(tags(&r.tags), ["x", "y"]);
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x", "y", "z"]),
            Packet::status("a", Status::Success).with_tags(["x", "z", "z"]),
        ]);
        assert_eq!(tags(&r.tags), ["x", "z"]);
        let r = one(&[
            Packet::status("a", Status::InProgress).with_tags(["x", "y"]),
            Packet::status("a", Status::Success).with_tags(["x", "y"]),
        ]);
        assert_eq!(tags(&r.tags), ["x", "y"]);
    }

    #[test]
    fn tags_from_the_wire_encoding_are_read() {
        let bytes = [2u8, b'a', b'b', 1, b'c'];
        let event = PacketRef {
            test_id: Some("a"),
            status: Status::Success,
            tags: Some(Tags::Encoded {
                count: 2,
                bytes: &bytes,
            }),
            ..PacketRef::default()
        };
        let r = Fold::new().push(&event).unwrap();
        assert_eq!(tags(&r.tags), ["ab", "c"]);
    }

    #[test]
    fn finish_reports_open_tests_in_creation_order_as_incomplete() {
        let (done, open) = run(&[
            Packet::status("c", Status::InProgress).with_timestamp(ts(1)),
            Packet::status("b", Status::InProgress).with_timestamp(ts(2)),
            Packet::status("a", Status::InProgress).with_timestamp(ts(3)),
            Packet::status("b", Status::Success).with_timestamp(ts(4)),
            file("d", "stdout", None, b"only files").with_timestamp(ts(5)),
            Packet::status("c", Status::InProgress).with_timestamp(ts(6)),
            Packet::status("b", Status::InProgress).with_timestamp(ts(7)),
        ]);
        assert_eq!(done.len(), 1);
        let ids: Vec<&str> = open.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "d", "b"]);
        for r in &open {
            assert!(!r.complete, "{}", r.id);
            assert_eq!(r.end, None, "{}", r.id);
        }
        assert_eq!(open[0].start, Some(ts(1)));
        assert_eq!(open[0].status, Some(Status::InProgress));
        assert_eq!(open[2].status, None);
        assert_eq!(open[2].attachment("stdout").unwrap().content, b"only files");
        assert_eq!(open[3].start, Some(ts(7)));
    }

    #[test]
    fn memory_follows_the_tests_in_flight() {
        let mut fold = Fold::new();
        for i in 0..1000 {
            let id = format!("t{i}");
            assert_eq!(
                fold.push(&Packet::status(id.as_str(), Status::InProgress).as_ref()),
                None
            );
            assert_eq!(fold.in_flight(), 1);
            assert!(
                fold.push(&Packet::status(id, Status::Success).as_ref())
                    .is_some()
            );
            assert_eq!(fold.in_flight(), 0);
        }
    }

    fn record(status: Option<Status>) -> TestRecord {
        TestRecord {
            id: "t".into(),
            route_code: None,
            status,
            tags: BTreeSet::new(),
            attachments: Vec::new(),
            start: None,
            end: None,
            complete: status.is_some_and(Status::is_final),
        }
    }

    #[test]
    fn summary_counts_by_status_and_skips_exists() {
        let records: Vec<TestRecord> = [
            Some(Status::Success),
            Some(Status::Success),
            Some(Status::Fail),
            Some(Status::Skip),
            Some(Status::XFail),
            Some(Status::UxSuccess),
            Some(Status::Exists),
            Some(Status::InProgress),
            None,
        ]
        .into_iter()
        .map(record)
        .collect();
        let s: Summary = records.iter().collect();
        assert_eq!(
            s,
            Summary {
                tests_run: 8,
                success: 2,
                fail: 1,
                skip: 1,
                xfail: 1,
                uxsuccess: 1,
                incomplete: 2,
                exists: 1,
            }
        );
        assert_eq!(s.errors(), 3);
        assert!(!s.is_successful());
    }

    #[test]
    fn summary_success_follows_testtools() {
        let ok = |statuses: &[Option<Status>]| {
            statuses
                .iter()
                .map(|s| record(*s))
                .collect::<Vec<_>>()
                .iter()
                .collect::<Summary>()
                .is_successful()
        };
        assert!(ok(&[]));
        assert!(ok(&[Some(Status::Exists)]));
        assert!(ok(&[
            Some(Status::Success),
            Some(Status::Skip),
            Some(Status::XFail),
            // testtools: an unexpected success does not fail the run.
            Some(Status::UxSuccess),
        ]));
        assert!(!ok(&[Some(Status::Success), Some(Status::Fail)]));
        assert!(!ok(&[Some(Status::Success), Some(Status::InProgress)]));
        assert!(!ok(&[Some(Status::Success), None]));
    }

    #[test]
    fn summary_of_a_folded_stream() {
        let (mut done, open) = run(&[
            Packet::status("a", Status::Exists),
            Packet::status("a", Status::InProgress),
            Packet::status("a", Status::UxSuccess),
            Packet::status("b", Status::InProgress),
        ]);
        done.extend(open);
        let mut s = Summary::new();
        s.extend(&done);
        assert_eq!(
            (s.tests_run, s.exists, s.uxsuccess, s.incomplete),
            (2, 1, 1, 1)
        );
        assert!(!s.is_successful());
    }
}
