//! The subunit v2 packet model: the vocabulary every crate of the workspace shares.
//!
//! There are two shapes of the same packet. [`Packet`] owns its strings and bytes and is what
//! builders and folds keep. [`PacketRef`] borrows them, so the decoder can hand out packets that
//! point into its input buffer without copying, and the encoder can write either shape.

use std::fmt;

/// The signature byte that starts every v2 packet.
pub const SIGNATURE: u8 = 0xB3;

/// The largest packet the protocol allows, in bytes, counting every byte from the signature
/// through the CRC (the spec: "less than 4MiB - 4194303 bytes").
pub const MAX_PACKET_LENGTH: usize = 4_194_303;

/// The smallest packet: signature, two flag bytes, a one-byte length and the CRC.
pub const MIN_PACKET_LENGTH: usize = 8;

pub use crate::varint::MAX_VARINT;

/// The attachment chunk size `subunit-output` uses (3.5 MiB); the emitter splits at most this
/// many content bytes into one packet.
pub const FILE_CHUNK_SIZE: usize = 3_670_016;

/// Flag bits of the two-byte FLAGS field.
pub mod flags {
    /// The version nibble mask; a v2 packet has `0x2` there.
    pub const VERSION_MASK: u16 = 0xF000;
    /// The version nibble of a v2 packet, in place.
    pub const VERSION_2: u16 = 0x2000;
    /// A test id follows.
    pub const TEST_ID: u16 = 0x0800;
    /// A route code follows.
    pub const ROUTE_CODE: u16 = 0x0400;
    /// A timestamp follows.
    pub const TIMESTAMP: u16 = 0x0200;
    /// The test is runnable.
    pub const RUNNABLE: u16 = 0x0100;
    /// Tags follow.
    pub const TAGS: u16 = 0x0080;
    /// File content follows.
    pub const FILE_CONTENT: u16 = 0x0040;
    /// A MIME type follows.
    pub const MIME_TYPE: u16 = 0x0020;
    /// This is the last chunk of the file.
    pub const EOF: u16 = 0x0010;
    /// Reserved; must be zero in v2.
    pub const RESERVED: u16 = 0x0008;
    /// The status enum.
    pub const STATUS_MASK: u16 = 0x0007;
}

/// A test status, the low three bits of the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Status {
    /// No status: the packet carries only other information (a file chunk, say).
    #[default]
    Undefined = 0,
    /// The test exists (enumeration).
    Exists = 1,
    /// The test has started.
    InProgress = 2,
    /// The test passed.
    Success = 3,
    /// The test passed but was expected to fail.
    UxSuccess = 4,
    /// The test was skipped.
    Skip = 5,
    /// The test failed (v2 has no separate "error").
    Fail = 6,
    /// The test failed as expected.
    XFail = 7,
}

impl Status {
    /// Every status, in wire order.
    pub const ALL: [Status; 8] = [
        Status::Undefined,
        Status::Exists,
        Status::InProgress,
        Status::Success,
        Status::UxSuccess,
        Status::Skip,
        Status::Fail,
        Status::XFail,
    ];

    /// The status for the low three bits of `bits` (the rest is ignored).
    pub const fn from_bits(bits: u16) -> Status {
        Status::ALL[(bits & flags::STATUS_MASK) as usize]
    }

    /// The wire value, 0..=7.
    pub const fn bits(self) -> u16 {
        self as u16
    }

    /// The name python-subunit's API uses (`None` is spelt `"none"` here; python uses `None`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Undefined => "none",
            Status::Exists => "exists",
            Status::InProgress => "inprogress",
            Status::Success => "success",
            Status::UxSuccess => "uxsuccess",
            Status::Skip => "skip",
            Status::Fail => "fail",
            Status::XFail => "xfail",
        }
    }

    /// The status named `name` (as [`Status::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether this status ends a test, in testtools' sense: anything but none and inprogress
    /// (so `exists` is final too).
    pub const fn is_final(self) -> bool {
        !matches!(self, Status::Undefined | Status::InProgress)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A packet timestamp: whole seconds since the Unix epoch (UTC) and nanoseconds, exactly as on
/// the wire, so nothing is lost in a round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub secs: u32,
    /// Nanoseconds; the wire allows up to [`MAX_VARINT`], a valid time stays below 10^9.
    pub nanos: u32,
}

impl Timestamp {
    /// A timestamp from seconds and nanoseconds.
    pub const fn new(secs: u32, nanos: u32) -> Self {
        Timestamp { secs, nanos }
    }

    /// The current time. Saturates at the limits of the 32-bit seconds field.
    pub fn now() -> Self {
        Self::from_system_time(std::time::SystemTime::now())
    }

    /// A timestamp from a [`std::time::SystemTime`]; times before the epoch become the epoch and
    /// times past 2106 saturate.
    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
                nanos: d.subsec_nanos(),
            },
            Err(_) => Timestamp::default(),
        }
    }

    /// This time as python-subunit holds it: rounded to whole microseconds as
    /// `timedelta(microseconds=nanos / 1000)` rounds (half to even), a carry going into the
    /// seconds.
    pub fn python_rounded(self) -> Timestamp {
        let micros = self.python_micros();
        Timestamp::from_micros(micros)
    }

    /// This time in whole microseconds since the epoch, rounded as python-subunit rounds it
    /// (see [`Timestamp::python_rounded`]).
    pub fn python_micros(self) -> u64 {
        let (whole, rest) = (u64::from(self.nanos / 1000), self.nanos % 1000);
        let micros = match rest.cmp(&500) {
            std::cmp::Ordering::Less => whole,
            std::cmp::Ordering::Greater => whole + 1,
            std::cmp::Ordering::Equal => whole + (whole & 1),
        };
        u64::from(self.secs) * 1_000_000 + micros
    }

    /// A timestamp from whole microseconds since the epoch; past 2106 the seconds saturate.
    pub fn from_micros(micros: u64) -> Timestamp {
        let secs = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
        Timestamp::new(secs, (micros % 1_000_000) as u32 * 1000)
    }

    /// This time as a [`std::time::SystemTime`].
    pub fn to_system_time(self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH
            + std::time::Duration::new(u64::from(self.secs), 0)
            + std::time::Duration::from_nanos(u64::from(self.nanos))
    }

    /// Seconds since the epoch as a float (for durations and displays).
    pub fn as_secs_f64(self) -> f64 {
        f64::from(self.secs) + f64::from(self.nanos) / 1e9
    }

    /// This time as a UTC calendar date and time of day (proleptic Gregorian).
    pub fn to_utc(self) -> UtcDateTime {
        let days = self.secs / 86_400;
        let rem = self.secs % 86_400;
        // Howard Hinnant's `civil_from_days`, for days on or after 1970-01-01 (never negative
        // here, so plain division is floor division).
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        UtcDateTime {
            year: yoe + era * 400 + u32::from(month <= 2),
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
            nanos: self.nanos,
        }
    }
}

/// A [`Timestamp`] as a UTC calendar date and time of day ([`Timestamp::to_utc`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtcDateTime {
    /// The year (1970 to 2106 for a 32-bit seconds field).
    pub year: u32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
    /// The second, 0 to 59.
    pub second: u32,
    /// The nanoseconds, as the timestamp holds them.
    pub nanos: u32,
}

impl UtcDateTime {
    /// Days from 1970-01-01 to the proleptic Gregorian date `year-month-day` (negative before
    /// the epoch): Howard Hinnant's `days_from_civil`, the inverse of the calendar
    /// [`Timestamp::to_utc`] computes. `month` is 1 to 12; `day` is not checked against it.
    pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DD<sep>HH:MM:SS.ffffff`: the date, `sep`, and the time to the microsecond
    /// (truncated), as python's `datetime` prints it with `sep` ` ` and ISO 8601 with `T`.
    pub fn format_micros(&self, sep: char) -> String {
        format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}.{:06}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.nanos / 1000
        )
    }
}

/// The tags of a packet, borrowed. Decoded packets keep the raw wire bytes (already checked)
/// and yield the strings lazily, so decoding tags allocates nothing.
#[derive(Clone, Copy, Debug)]
pub enum Tags<'a> {
    /// Tags as they sit on the wire: `count` length-prefixed UTF-8 strings in `bytes`, already
    /// validated by the decoder.
    Encoded {
        /// How many tags.
        count: u32,
        /// The strings, each a varint length then the bytes.
        bytes: &'a [u8],
    },
    /// Tags held as owned strings elsewhere.
    Strings(&'a [String]),
    /// Tags held as borrowed strings.
    Strs(&'a [&'a str]),
}

impl<'a> Tags<'a> {
    /// How many tags there are.
    pub fn len(&self) -> usize {
        match self {
            Tags::Encoded { count, .. } => *count as usize,
            Tags::Strings(s) => s.len(),
            Tags::Strs(s) => s.len(),
        }
    }

    /// Whether there are no tags (an empty tag set is still present on the wire).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tags, in wire order.
    pub fn iter(&self) -> TagIter<'a> {
        TagIter {
            tags: *self,
            pos: 0,
            index: 0,
        }
    }

    /// The tags as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl PartialEq for Tags<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Tags<'_> {}

impl<'a> IntoIterator for Tags<'a> {
    type Item = &'a str;
    type IntoIter = TagIter<'a>;
    fn into_iter(self) -> TagIter<'a> {
        self.iter()
    }
}

/// An iterator over [`Tags`].
#[derive(Clone, Debug)]
pub struct TagIter<'a> {
    tags: Tags<'a>,
    pos: usize,
    index: usize,
}

impl<'a> Iterator for TagIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let i = self.index;
        if i >= self.tags.len() {
            return None;
        }
        self.index += 1;
        match self.tags {
            Tags::Strings(s) => Some(s[i].as_str()),
            Tags::Strs(s) => Some(s[i]),
            Tags::Encoded { bytes, .. } => {
                // The decoder validated these bytes; a malformed slice here is a caller bug and
                // ends the iteration rather than panicking.
                let (len, used) = crate::varint::decode(&bytes[self.pos..])?;
                let start = self.pos + used;
                let end = start.checked_add(len as usize)?;
                let s = std::str::from_utf8(bytes.get(start..end)?).ok()?;
                self.pos = end;
                Some(s)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.tags.len() - self.index.min(self.tags.len());
        (n, Some(n))
    }
}

/// A file chunk carried by a packet, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRef<'a> {
    /// The file's name (`stdout`, `traceback`, `reason`, ...).
    pub name: &'a str,
    /// This chunk's bytes.
    pub content: &'a [u8],
}

/// A file chunk carried by a packet, owned.
#[derive(Clone, Debug, PartialEq, Eq, Default, Hash)]
pub struct File {
    /// The file's name.
    pub name: String,
    /// This chunk's bytes.
    pub content: Vec<u8>,
}

/// One subunit v2 packet, borrowing its strings and bytes.
///
/// This is also the event python-subunit hands to a `StreamResult.status(...)` call: every
/// field of that call is a field here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRef<'a> {
    /// The test status (`Undefined` when the packet carries none).
    pub status: Status,
    /// The test id.
    pub test_id: Option<&'a str>,
    /// The route code (`0`, `0/3`, ...).
    pub route_code: Option<&'a str>,
    /// When the event happened.
    pub timestamp: Option<Timestamp>,
    /// The runnable flag.
    pub runnable: bool,
    /// The tags, when the packet carries a tag set (possibly empty).
    pub tags: Option<Tags<'a>>,
    /// The MIME type of the file chunk.
    pub mime_type: Option<&'a str>,
    /// The file chunk.
    pub file: Option<FileRef<'a>>,
    /// The EOF flag: this is the file's last chunk.
    pub eof: bool,
}

impl Default for PacketRef<'_> {
    fn default() -> Self {
        PacketRef {
            status: Status::Undefined,
            test_id: None,
            route_code: None,
            timestamp: None,
            runnable: true,
            tags: None,
            mime_type: None,
            file: None,
            eof: false,
        }
    }
}

impl<'a> PacketRef<'a> {
    /// The flags word this packet encodes to (version 2, the presence bits, the status).
    pub fn flags(&self) -> u16 {
        let mut f = flags::VERSION_2 | self.status.bits();
        if self.test_id.is_some() {
            f |= flags::TEST_ID;
        }
        if self.route_code.is_some() {
            f |= flags::ROUTE_CODE;
        }
        if self.timestamp.is_some() {
            f |= flags::TIMESTAMP;
        }
        if self.runnable {
            f |= flags::RUNNABLE;
        }
        if self.tags.is_some() {
            f |= flags::TAGS;
        }
        if self.file.is_some() {
            f |= flags::FILE_CONTENT;
        }
        if self.mime_type.is_some() {
            f |= flags::MIME_TYPE;
        }
        if self.eof {
            f |= flags::EOF;
        }
        f
    }

    /// An owned copy.
    pub fn to_packet(&self) -> Packet {
        Packet {
            status: self.status,
            test_id: self.test_id.map(str::to_owned),
            route_code: self.route_code.map(str::to_owned),
            timestamp: self.timestamp,
            runnable: self.runnable,
            tags: self.tags.map(|t| t.to_vec()),
            mime_type: self.mime_type.map(str::to_owned),
            file: self.file.map(|f| File {
                name: f.name.to_owned(),
                content: f.content.to_vec(),
            }),
            eof: self.eof,
        }
    }
}

/// One subunit v2 packet, owning its strings and bytes.
///
/// `runnable` is true by default, as python-subunit writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The test status (`Undefined` when the packet carries none).
    pub status: Status,
    /// The test id.
    pub test_id: Option<String>,
    /// The route code.
    pub route_code: Option<String>,
    /// When the event happened.
    pub timestamp: Option<Timestamp>,
    /// The runnable flag.
    pub runnable: bool,
    /// The tags, when the packet carries a tag set (possibly empty).
    pub tags: Option<Vec<String>>,
    /// The MIME type of the file chunk.
    pub mime_type: Option<String>,
    /// The file chunk.
    pub file: Option<File>,
    /// The EOF flag.
    pub eof: bool,
}

impl Default for Packet {
    fn default() -> Self {
        Packet {
            status: Status::Undefined,
            test_id: None,
            route_code: None,
            timestamp: None,
            runnable: true,
            tags: None,
            mime_type: None,
            file: None,
            eof: false,
        }
    }
}

impl Packet {
    /// A packet with this status for this test, runnable, and nothing else.
    pub fn status(test_id: impl Into<String>, status: Status) -> Self {
        Packet {
            status,
            test_id: Some(test_id.into()),
            ..Packet::default()
        }
    }

    /// A borrowed view of this packet.
    pub fn as_ref(&self) -> PacketRef<'_> {
        PacketRef {
            status: self.status,
            test_id: self.test_id.as_deref(),
            route_code: self.route_code.as_deref(),
            timestamp: self.timestamp,
            runnable: self.runnable,
            tags: self.tags.as_deref().map(Tags::Strings),
            mime_type: self.mime_type.as_deref(),
            file: self.file.as_ref().map(|f| FileRef {
                name: &f.name,
                content: &f.content,
            }),
            eof: self.eof,
        }
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, ts: Timestamp) -> Self {
        self.timestamp = Some(ts);
        self
    }

    /// Sets the route code.
    pub fn with_route_code(mut self, route_code: impl Into<String>) -> Self {
        self.route_code = Some(route_code.into());
        self
    }

    /// Sets the tags.
    pub fn with_tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the file chunk and its MIME type.
    pub fn with_file(
        mut self,
        name: impl Into<String>,
        mime_type: Option<&str>,
        content: impl Into<Vec<u8>>,
        eof: bool,
    ) -> Self {
        self.file = Some(File {
            name: name.into(),
            content: content.into(),
        });
        self.mime_type = mime_type.map(str::to_owned);
        self.eof = eof;
        self
    }

    /// Sets the runnable flag.
    pub fn with_runnable(mut self, runnable: bool) -> Self {
        self.runnable = runnable;
        self
    }
}

impl<'a> From<&'a Packet> for PacketRef<'a> {
    fn from(p: &'a Packet) -> Self {
        p.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding_is_half_to_even_with_carry() {
        let r = |secs, nanos| Timestamp::new(secs, nanos).python_rounded();
        assert_eq!(r(1, 1_500), Timestamp::new(1, 2_000));
        assert_eq!(r(1, 2_500), Timestamp::new(1, 2_000));
        assert_eq!(r(1, 2_501), Timestamp::new(1, 3_000));
        assert_eq!(r(1, 999_999_600), Timestamp::new(2, 0));
        assert_eq!(Timestamp::new(3, 4_499).python_micros(), 3_000_004);
        assert_eq!(Timestamp::from_micros(3_000_004), Timestamp::new(3, 4_000));
        // Nanoseconds past one second (the wire allows 30 bits) carry into the seconds.
        assert_eq!(
            Timestamp::new(10, 1_073_741_823).python_micros(),
            11_073_742
        );
        assert_eq!(Timestamp::new(10, 999_999_999).python_micros(), 11_000_000);
    }

    fn utc(secs: u32, nanos: u32) -> (u32, u32, u32, u32, u32, u32, u32) {
        let t = Timestamp::new(secs, nanos).to_utc();
        (t.year, t.month, t.day, t.hour, t.minute, t.second, t.nanos)
    }

    #[test]
    fn to_utc_gives_known_civil_dates() {
        assert_eq!(utc(0, 0), (1970, 1, 1, 0, 0, 0, 0));
        assert_eq!(utc(86_399, 7), (1970, 1, 1, 23, 59, 59, 7));
        // Leap day of a year divisible by 400.
        assert_eq!(
            utc(951_782_400, 123_000_000),
            (2000, 2, 29, 0, 0, 0, 123_000_000)
        );
        assert_eq!(utc(951_868_800, 0), (2000, 3, 1, 0, 0, 0, 0));
        assert_eq!(
            utc(1_704_164_645, 678_901_000),
            (2024, 1, 2, 3, 4, 5, 678_901_000)
        );
        assert_eq!(utc(1_795_000_000, 0), (2026, 11, 18, 11, 6, 40, 0));
        assert_eq!(utc(4_102_444_799, 0), (2099, 12, 31, 23, 59, 59, 0));
        // 2100 is not a leap year.
        assert_eq!(utc(4_107_542_400, 0), (2100, 3, 1, 0, 0, 0, 0));
        assert_eq!(utc(u32::MAX, 0), (2106, 2, 7, 6, 28, 15, 0));
    }

    #[test]
    fn days_from_civil_inverts_the_calendar() {
        assert_eq!(UtcDateTime::days_from_civil(1970, 1, 1), 0);
        assert_eq!(UtcDateTime::days_from_civil(1969, 12, 31), -1);
        assert_eq!(UtcDateTime::days_from_civil(1600, 3, 1), -135_080);
        // Every day the 32-bit seconds field can carry, through leap and century years.
        for day in 0..=(u32::MAX / 86_400) {
            let date = Timestamp::new(day * 86_400, 0).to_utc();
            let back = UtcDateTime::days_from_civil(
                i64::from(date.year),
                i64::from(date.month),
                i64::from(date.day),
            );
            assert_eq!(back, i64::from(day), "{date:?}");
        }
    }

    #[test]
    fn to_utc_steps_one_calendar_day_per_86400_seconds() {
        let leap =
            |y: u32| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
        let month_len = |y: u32, m: u32| match m {
            2 if leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut prev = Timestamp::new(3_661, 0).to_utc();
        for days in 1..49_710u32 {
            let t = Timestamp::new(days * 86_400 + 3_661, 0).to_utc();
            let expected = if prev.day < month_len(prev.year, prev.month) {
                (prev.year, prev.month, prev.day + 1)
            } else if prev.month < 12 {
                (prev.year, prev.month + 1, 1)
            } else {
                (prev.year + 1, 1, 1)
            };
            assert_eq!((t.year, t.month, t.day), expected, "day {days}");
            assert_eq!((t.hour, t.minute, t.second), (1, 1, 1));
            prev = t;
        }
    }
}
