//! Keystone's `expires_at` (`2026-11-21T12:34:56.000000Z`) read into a [`SystemTime`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use subunit_emitter::UtcDateTime;

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads an ISO 8601 / RFC 3339 UTC time as Keystone writes it: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, then `Z`, `+00:00` or nothing (UTC is assumed). Other offsets are
/// applied. `None` for anything else.
pub fn parse_iso8601(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    let (date, rest) = s.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    let (clock, offset_secs) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']).filter(|&i| i >= 8) {
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
        (c, sign * (num(h)? * 3600 + num(m)? * 60))
    } else {
        (rest, 0)
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.split(':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if t.next().is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        num(frac)?;
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        digits.parse::<u32>().ok()?
    };
    let secs =
        UtcDateTime::days_from_civil(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn keystone_times() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(at(0, 0)));
        // date -u -d 2026-11-21T12:34:56Z +%s
        assert_eq!(
            parse_iso8601("2026-11-21T12:34:56.000000Z"),
            Some(at(1_795_264_496, 0))
        );
        assert_eq!(
            parse_iso8601("2026-11-21T12:34:56.5Z"),
            Some(at(1_795_264_496, 500_000_000))
        );
        assert_eq!(
            parse_iso8601("2026-11-21T13:34:56+01:00"),
            Some(at(1_795_264_496, 0))
        );
        assert_eq!(
            parse_iso8601("2000-02-29T00:00:00"),
            Some(at(951_782_400, 0))
        );
        for bad in [
            "",
            "2026-11-21",
            "2026-13-01T00:00:00Z",
            "x-1-1T0:0:0Z",
            "2026-11-21T1:2Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
