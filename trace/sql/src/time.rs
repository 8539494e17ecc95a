//! Times as subunit2sql keeps them: naive UTC datetimes with whole microseconds.

use std::fmt;

use subunit_emitter::{Timestamp, UtcDateTime};

/// A point in time as the database holds it: microseconds since 1970-01-01 00:00:00, no time
/// zone (subunit2sql stores UTC wall-clock times in `DateTime` columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DbTime(pub i64);

const MICROS_PER_DAY: i64 = 86_400_000_000;

impl DbTime {
    /// A stream timestamp, rounded to microseconds as python-subunit rounds it.
    pub fn from_timestamp(ts: Timestamp) -> DbTime {
        DbTime(ts.python_micros() as i64)
    }

    /// The current time.
    pub fn now() -> DbTime {
        DbTime::from_timestamp(Timestamp::now())
    }

    /// This time as a stream timestamp (times before 1970 become the epoch, after 2106 the
    /// last second of the range).
    pub fn to_timestamp(self) -> Timestamp {
        Timestamp::from_micros(u64::try_from(self.0).unwrap_or(0))
    }

    /// The microseconds within the second (the `*_microsecond` columns).
    pub fn microsecond(self) -> i32 {
        self.0.rem_euclid(1_000_000) as i32
    }

    /// This time with its microseconds replaced (how subunit2sql reads a time back: the
    /// `*_microsecond` column wins).
    pub fn with_microsecond(self, micros: i64) -> DbTime {
        DbTime(self.0 - i64::from(self.microsecond()) + micros.clamp(0, 999_999))
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.ffffff]]` (or with a `T`); a trailing
    /// `Z` or `+HH:MM` offset is accepted and dropped, as a time-zone-less column drops it.
    pub fn parse(s: &str) -> Option<DbTime> {
        let s = s.trim();
        let (date, time) = match s.find([' ', 'T']) {
            Some(i) => (&s[..i], s[i + 1..].trim()),
            None => (s, ""),
        };
        let mut d = date.split('-');
        let y: i64 = d.next()?.parse().ok()?;
        let m: i64 = d.next()?.parse().ok()?;
        let day: i64 = d.next()?.parse().ok()?;
        if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
            return None;
        }
        let mut micros = UtcDateTime::days_from_civil(y, m, day) * MICROS_PER_DAY;
        if !time.is_empty() {
            let end = time.find(['Z', '+']).unwrap_or(time.len());
            let end = time[..end]
                .char_indices()
                .skip(5)
                .find(|&(_, c)| c == '-')
                .map_or(end, |(i, _)| i);
            let time = &time[..end];
            let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
            let mut parts = hms.split(':');
            let h: i64 = parts.next()?.parse().ok()?;
            let mi: i64 = parts.next()?.parse().ok()?;
            let sec: i64 = match parts.next() {
                Some(p) => p.parse().ok()?,
                None => 0,
            };
            if parts.next().is_some() || h > 23 || mi > 59 || sec > 60 {
                return None;
            }
            let mut f = 0i64;
            if !frac.is_empty() {
                if !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let digits: String = frac.chars().chain("000000".chars()).take(6).collect();
                f = digits.parse().ok()?;
            }
            micros += ((h * 60 + mi) * 60 + sec) * 1_000_000 + f;
        }
        Some(DbTime(micros))
    }

    /// subunit2sql's `get_duration(start, end)`: the difference printed as
    /// `'%d.%06d' % (days * 86400 + seconds, microseconds)` of Python's normalised timedelta,
    /// read back as a float.
    pub fn duration(start: Option<DbTime>, end: Option<DbTime>) -> Option<f64> {
        let (start, end) = (start?, end?);
        let delta = end.0 - start.0;
        let secs = delta.div_euclid(1_000_000);
        let micros = delta.rem_euclid(1_000_000);
        format!("{secs}.{micros:06}").parse().ok()
    }
}

impl fmt::Display for DbTime {
    /// `YYYY-MM-DD HH:MM:SS.ffffff`, SQLAlchemy's storage format for SQLite. Times outside
    /// a subunit timestamp's range (1970 to 2106) are clamped to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.to_timestamp().to_utc();
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
            t.year,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second,
            t.nanos / 1000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_as_sqlalchemy_stores() {
        let t = DbTime::parse("2026-01-02 03:04:05.123456").unwrap();
        assert_eq!(t.to_string(), "2026-01-02 03:04:05.123456");
        assert_eq!(t.microsecond(), 123_456);
        assert_eq!(
            DbTime::parse("2026-01-02T03:04:05Z").unwrap().to_string(),
            "2026-01-02 03:04:05.000000"
        );
        assert_eq!(
            DbTime::parse("2026-01-02 03:04:05.5+02:00")
                .unwrap()
                .to_string(),
            "2026-01-02 03:04:05.500000"
        );
        assert_eq!(
            DbTime::parse("1999-12-31").unwrap().to_string(),
            "1999-12-31 00:00:00.000000"
        );
        assert!(DbTime::parse("yesterday").is_none());
        assert!(DbTime::parse("2026-13-01").is_none());
    }

    #[test]
    fn durations_as_python_prints_them() {
        let a = DbTime(1_000_000);
        assert_eq!(
            DbTime::duration(Some(a), Some(DbTime(2_250_001))),
            Some(1.250001)
        );
        // timedelta(-0.5s) is days=-1, seconds=86399, microseconds=500000.
        assert_eq!(DbTime::duration(Some(a), Some(DbTime(500_000))), Some(-1.5));
        assert_eq!(DbTime::duration(None, Some(a)), None);
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(micros in 0i64..4_294_967_295_000_000) {
            let t = DbTime(micros);
            prop_assert_eq!(DbTime::parse(&t.to_string()), Some(t));
        }

        #[test]
        fn timestamps_round_trip(secs in 0u32..u32::MAX, micros in 0u32..1_000_000) {
            let ts = Timestamp::new(secs, micros * 1000);
            prop_assert_eq!(DbTime::from_timestamp(ts).to_timestamp(), ts);
        }
    }
}
