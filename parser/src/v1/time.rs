//! `time:` values, parsed exactly as python-subunit parses them: with the `iso8601` package's
//! pattern (2.1.0), `datetime`'s range checks and `Decimal` arithmetic for the fraction, so a
//! value python accepts gives the same instant here and a value python rejects is rejected here.
//!
//! The pattern is matched by a small backtracking matcher over the pattern's own structure
//! rather than by hand-written parsing, because the pattern's alternatives and its `(?!$)`
//! look-ahead decide which digits land in which field (`20240102` is year, month and day, while
//! `202401` is no date at all), and only the regex's own search order reproduces that.

use std::sync::OnceLock;

use subunit_emitter::UtcDateTime;

/// A `time:` value as seconds and nanoseconds since the epoch. Seconds may be outside the range
/// a packet can carry (before 1970, after 2106); that is only an error once a packet needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z, possibly negative.
    pub(crate) secs: i64,
    /// Nanoseconds, always a whole number of microseconds (python keeps microseconds).
    pub(crate) nanos: u32,
}

/// The named groups of the pattern.
#[derive(Clone, Copy)]
enum G {
    Year,
    MonthDash,
    Month,
    DayDash,
    Day,
    Hour,
    Minute,
    Second,
    Fraction,
    TzSign,
    TzHour,
    TzMinute,
}

const GROUPS: usize = 12;
type Caps = [Option<(usize, usize)>; GROUPS];

/// A node of the pattern. Quantifiers are greedy, as in the regex.
enum Node {
    /// `[0-9]{min,max}`.
    Digits(usize, usize),
    /// One byte out of the set (`[ T]`, `[.,]`, `:`, `Z`, `[-+]`).
    OneOf(&'static [u8]),
    /// `(...){0,1}`.
    Opt(Box<Node>),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    /// A named group.
    Cap(G, Box<Node>),
    /// `(?!$)`.
    NotEnd,
    /// `$`.
    End,
}

fn opt(n: Node) -> Node {
    Node::Opt(Box::new(n))
}

fn cap(g: G, n: Node) -> Node {
    Node::Cap(g, Box::new(n))
}

/// The `iso8601` 2.1.0 `ISO8601_REGEX`, node for node.
fn pattern() -> &'static Node {
    static PATTERN: OnceLock<Node> = OnceLock::new();
    PATTERN.get_or_init(|| {
        use Node::*;
        let time = Seq(vec![
            OneOf(b" T"),
            cap(G::Hour, Digits(2, 2)),
            opt(Seq(vec![opt(OneOf(b":")), cap(G::Minute, Digits(2, 2))])),
            opt(Seq(vec![
                opt(OneOf(b":")),
                cap(G::Second, Digits(1, 2)),
                opt(Seq(vec![
                    OneOf(b".,"),
                    cap(G::Fraction, Digits(1, usize::MAX)),
                ])),
            ])),
            opt(Alt(vec![
                OneOf(b"Z"),
                Seq(vec![
                    cap(G::TzSign, OneOf(b"-+")),
                    cap(G::TzHour, Digits(2, 2)),
                    opt(OneOf(b":")),
                    opt(cap(G::TzMinute, Digits(2, 2))),
                ]),
            ])),
        ]);
        let day = Seq(vec![
            Alt(vec![
                Seq(vec![OneOf(b"-"), cap(G::DayDash, Digits(1, 2))]),
                cap(G::Day, Digits(2, 2)),
            ]),
            opt(time),
        ]);
        let month = Seq(vec![
            Alt(vec![
                Seq(vec![OneOf(b"-"), cap(G::MonthDash, Digits(1, 2))]),
                Seq(vec![cap(G::Month, Digits(2, 2)), NotEnd]),
            ]),
            opt(day),
        ]);
        Seq(vec![cap(G::Year, Digits(4, 4)), opt(month), End])
    })
}

/// Python's `$` without MULTILINE: the end, or just before a final newline.
fn at_end(s: &[u8], i: usize) -> bool {
    i == s.len() || (i + 1 == s.len() && s[i] == b'\n')
}

type Cont<'k> = &'k mut dyn FnMut(usize, &mut Caps) -> bool;

/// Matches `n` at `i`, calling `k` with each end position in the regex's order of preference
/// until `k` accepts one.
fn matches(n: &Node, s: &[u8], i: usize, caps: &mut Caps, k: Cont<'_>) -> bool {
    match n {
        Node::Digits(min, max) => {
            let mut end = i;
            while end < s.len() && end - i < *max && s[end].is_ascii_digit() {
                end += 1;
            }
            loop {
                if end - i < *min {
                    return false;
                }
                if k(end, caps) {
                    return true;
                }
                if end == i {
                    return false;
                }
                end -= 1;
            }
        }
        Node::OneOf(set) => i < s.len() && set.contains(&s[i]) && k(i + 1, caps),
        Node::Opt(inner) => matches(inner, s, i, caps, &mut *k) || k(i, caps),
        Node::Seq(nodes) => seq(nodes, s, i, caps, k),
        Node::Alt(nodes) => nodes.iter().any(|a| matches(a, s, i, caps, &mut *k)),
        Node::Cap(g, inner) => {
            let g = *g as usize;
            matches(inner, s, i, caps, &mut |end, caps: &mut Caps| {
                let before = caps[g];
                caps[g] = Some((i, end));
                if k(end, caps) {
                    true
                } else {
                    caps[g] = before;
                    false
                }
            })
        }
        Node::NotEnd => !at_end(s, i) && k(i, caps),
        Node::End => at_end(s, i) && k(i, caps),
    }
}

fn seq(nodes: &[Node], s: &[u8], i: usize, caps: &mut Caps, k: Cont<'_>) -> bool {
    match nodes.split_first() {
        None => k(i, caps),
        Some((head, tail)) => matches(head, s, i, caps, &mut |j, caps: &mut Caps| {
            seq(tail, s, j, caps, &mut *k)
        }),
    }
}

fn number(s: &[u8], caps: &Caps, g: G) -> Option<i64> {
    let (a, b) = caps[g as usize]?;
    // At most 4 digits: the pattern bounds every numeric group but the fraction.
    Some(
        s[a..b]
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')),
    )
}

/// `int(Decimal("0." + digits) * Decimal("1000000.0"))` under python's default context
/// (28 significant digits, half-even): the first six digits, unless more than 28 significant
/// digits make the product round up into them.
fn microseconds(digits: &[u8]) -> i64 {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    let significant = digits.len() - zeros;
    let keep = if significant > 28 {
        zeros + 28
    } else {
        digits.len()
    };
    let mut kept: Vec<u8> = digits[..keep].iter().map(|d| d - b'0').collect();
    if kept.len() < 6 {
        kept.resize(6, 0);
    }
    if keep < digits.len() {
        let first = digits[keep] - b'0';
        let rest_nonzero = digits[keep + 1..].iter().any(|&d| d != b'0');
        let last_odd = kept[keep - 1] % 2 == 1;
        if first > 5 || (first == 5 && (rest_nonzero || last_odd)) {
            let mut i = keep;
            loop {
                if i == 0 {
                    // 0.999... rounded up to 1: a million microseconds.
                    return 1_000_000;
                }
                i -= 1;
                if kept[i] == 9 {
                    kept[i] = 0;
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
    }
    kept[..6].iter().fold(0, |n, &d| n * 10 + i64::from(d))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses the text of a `time:` line as `iso8601.parse_date` does, with UTC for a missing
/// zone. `None` where python raises `ParseError`.
pub(crate) fn parse(text: &str) -> Option<Instant> {
    let s = text.as_bytes();
    let mut caps: Caps = [None; GROUPS];
    let mut found: Option<Caps> = None;
    matches(pattern(), s, 0, &mut caps, &mut |_, caps: &mut Caps| {
        found = Some(*caps);
        true
    });
    let caps = found?;
    let year = number(s, &caps, G::Year)?;
    let month = number(s, &caps, G::Month)
        .or_else(|| number(s, &caps, G::MonthDash))
        .unwrap_or(1);
    let day = number(s, &caps, G::Day)
        .or_else(|| number(s, &caps, G::DayDash))
        .unwrap_or(1);
    let hour = number(s, &caps, G::Hour).unwrap_or(0);
    let minute = number(s, &caps, G::Minute).unwrap_or(0);
    let second = number(s, &caps, G::Second).unwrap_or(0);
    let micro = match caps[G::Fraction as usize] {
        Some((a, b)) => microseconds(&s[a..b]),
        None => 0,
    };
    // datetime's checks.
    let valid = (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
        && micro < 1_000_000;
    if !valid {
        return None;
    }
    let offset = match caps[G::TzSign as usize] {
        None => 0,
        Some((a, _)) => {
            let hours = number(s, &caps, G::TzHour).unwrap_or(0);
            let minutes = number(s, &caps, G::TzMinute).unwrap_or(0);
            let magnitude = hours * 3600 + minutes * 60;
            // datetime.timezone wants strictly less than a day either way.
            if magnitude >= 86_400 {
                return None;
            }
            if s[a] == b'-' { -magnitude } else { magnitude }
        }
    };
    let secs = UtcDateTime::days_from_civil(year, month, day) * 86_400
        + hour * 3600
        + minute * 60
        + second
        - offset;
    Some(Instant {
        secs,
        // micro < 10^6, so this fits.
        nanos: (micro as u32) * 1000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<(i64, u32)> {
        parse(text).map(|i| (i.secs, i.nanos))
    }

    // Each expectation below was checked with iso8601 2.1.0's parse_date and python's datetime
    // arithmetic (the path python-subunit 1.4.6 takes for a `time:` line).
    #[test]
    fn forms_python_accepts() {
        assert_eq!(
            at("2024-01-02 03:04:05.678901Z"),
            Some((1_704_164_645, 678_901_000))
        );
        assert_eq!(at("2024-01-02T03:04:05Z"), Some((1_704_164_645, 0)));
        assert_eq!(at("2024-01-02 03:04:05"), Some((1_704_164_645, 0)));
        assert_eq!(at("2024-01-02 03:04:05+01:30"), Some((1_704_159_245, 0)));
        assert_eq!(at("2024-01-02 03:04:05-0130"), Some((1_704_170_045, 0)));
        assert_eq!(at("2024-01-02 03:04:05+01"), Some((1_704_161_045, 0)));
        assert_eq!(
            at("2024-01-02 03:04:05,5Z"),
            Some((1_704_164_645, 500_000_000))
        );
        assert_eq!(
            at("2024-01-02 03:04:05.1234567Z"),
            Some((1_704_164_645, 123_456_000))
        );
        assert_eq!(at("20240102T030405Z"), Some((1_704_164_645, 0)));
        assert_eq!(at("2024-01-02 0304"), Some((1_704_164_640, 0)));
        assert_eq!(at("2024-01-02 03"), Some((1_704_164_400, 0)));
        assert_eq!(at("2024-1-2 03:04:5Z"), Some((1_704_164_645, 0)));
        assert_eq!(at("2024-01-02"), Some((1_704_153_600, 0)));
        assert_eq!(at("2024-01"), Some((1_704_067_200, 0)));
        assert_eq!(at("2024"), Some((1_704_067_200, 0)));
        assert_eq!(at("1969-12-31 23:59:59Z"), Some((-1, 0)));
        assert_eq!(at("2024-02-29"), Some((1_709_164_800, 0)));
        assert_eq!(at("2024-01-02 03:04:05+00:99"), Some((1_704_158_705, 0)));
        assert_eq!(at("2024-01-02 03:04:05+23:59"), Some((1_704_078_305, 0)));
        assert_eq!(at("2024-0102"), Some((1_704_153_600, 0)));
        assert_eq!(at("202401-02"), Some((1_704_153_600, 0)));
        assert_eq!(at("2024-01-02T0304:05"), Some((1_704_164_645, 0)));
        assert_eq!(at("2024-01-02 03:04:05\n"), Some((1_704_164_645, 0)));
    }

    #[test]
    fn forms_python_rejects() {
        for bad in [
            "",
            "202401",
            "2024-01-02 03:04:60Z",
            "2024-13-01",
            "2023-02-29",
            "0000-01-01",
            "2024-01-02 24:00:00",
            "2024-01-02 03:04:05+24:00",
            "2024-01-02 03:04:05Zjunk",
            " 2024-01-02",
            "2024-01-02 03:04:05\r",
            "2024-01-02 03:04:05.Z",
            "２０２４",
            "2024-01-02 03:04:05+00:99Z",
            "2024-01-02 3:04:05",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fraction_follows_decimal_rounding() {
        // 28 significant digits are exact; a 29th rounds half-even and may carry.
        assert_eq!(microseconds(b"999999"), 999_999);
        assert_eq!(microseconds(&[b'9'; 28]), 999_999);
        assert_eq!(microseconds(&[b'9'; 29]), 1_000_000);
        let mut zeros_then_nines = vec![b'0'; 6];
        zeros_then_nines.extend_from_slice(&[b'9'; 29]);
        assert_eq!(microseconds(&zeros_then_nines), 1);
        assert_eq!(microseconds(b"5"), 500_000);
        assert_eq!(microseconds(b"0000001"), 0);
    }
}
