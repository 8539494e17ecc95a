//! The INI dialect of oslo.config (`oslo_config/iniparser.py` and `cfg.ConfigParser`), with line
//! numbers kept for messages.
//!
//! The rules, each as oslo.config 10.7 applies them:
//!
//! - Lines end at `\n`, `\r\n` or `\r` (Python's universal newlines); trailing whitespace is
//!   dropped from every line.
//! - A blank line ends a multi-line value and is otherwise ignored.
//! - A line starting with a space or a tab continues the value of the assignment above it, as a new
//!   line of that value (its leading whitespace dropped); with no assignment above it, it is an
//!   error ("Unexpected continuation line"), even if it looks like a comment.
//! - `[name]` starts a section; a header not ending with `]` or with an empty name is an error.
//!   The name is kept as written (` [ auth ]` is the section ` auth `); sections are matched
//!   case-insensitively except `DEFAULT`, which must be written in capitals.
//! - A line starting with `#` or `;` is a comment. There are no inline comments:
//!   `key = true # yes` sets `true # yes`.
//! - Anything else is `key = value` or `key: value`, split at whichever of `=` and `:` comes first;
//!   key and value are stripped, and a value wholly enclosed in one pair of matching quotes (`"` or
//!   `'`) loses them. An empty key is an error, and so is an assignment before any section.
//! - A key given twice in one file keeps both values; the last one counts (see
//!   [`IniFile::assignments`]).

use std::fmt;

/// One `key = value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The section, as written in its header.
    pub section: String,
    /// The key, stripped.
    pub key: String,
    /// The value: stripped, unquoted, continuation lines joined with `\n`.
    pub value: String,
    /// The 1-based line of the key.
    pub line: usize,
}

/// A section header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The name, as written between the brackets.
    pub name: String,
    /// The 1-based line of the header.
    pub line: usize,
}

/// A parsed file: its headers and assignments, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniFile {
    /// Every section header, repeated ones included.
    pub headers: Vec<Header>,
    /// Every assignment, repeated keys included (the last of a key is the one that counts).
    pub assignments: Vec<Assignment>,
}

/// A line oslo.config refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong, in oslo.config's words.
    pub message: &'static str,
    /// The offending line, trailing whitespace removed.
    pub text: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.message, self.text)
    }
}

/// The section name oslo.config matches on: `DEFAULT` as is, any other name lower-cased.
pub fn normalize_section(name: &str) -> String {
    if name == "DEFAULT" {
        name.to_owned()
    } else {
        name.to_lowercase()
    }
}

/// Whitespace as Python's `str.strip()` sees it.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Splits `text` into lines the way Python's universal newlines do (`\n`, `\r\n`, `\r`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            None => Some(std::mem::take(&mut rest)),
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
        }
    })
}

struct Pending {
    section: String,
    key: String,
    lines: Vec<String>,
    line: usize,
}

/// Parses `text` as oslo.config parses a configuration file.
pub fn parse(text: &str) -> Result<IniFile, ParseError> {
    let mut file = IniFile::default();
    let mut section: Option<String> = None;
    let mut pending: Option<Pending> = None;
    let flush = |p: Option<Pending>, file: &mut IniFile| {
        if let Some(p) = p {
            file.assignments.push(Assignment {
                section: p.section,
                key: p.key,
                value: p.lines.join("\n"),
                line: p.line,
            });
        }
    };

    for (index, raw) in lines(text).enumerate() {
        let number = index + 1;
        let line = raw.trim_end_matches(is_py_space);
        let error = |message| ParseError {
            line: number,
            message,
            text: line.to_owned(),
        };
        if line.is_empty() {
            flush(pending.take(), &mut file);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match &mut pending {
                Some(p) => p
                    .lines
                    .push(line.trim_start_matches(is_py_space).to_owned()),
                None => return Err(error("Unexpected continuation line")),
            }
            continue;
        }
        flush(pending.take(), &mut file);
        if line.starts_with('[') {
            if !line.ends_with(']') {
                return Err(error("Invalid section (must end with ])"));
            }
            if line.chars().count() <= 2 {
                return Err(error("Empty section name"));
            }
            let name = line[1..line.len() - 1].to_owned();
            file.headers.push(Header {
                name: name.clone(),
                line: number,
            });
            section = Some(name);
        } else if line.starts_with(['#', ';']) {
            // A comment.
        } else {
            let (key, value) = split_key_value(line).ok_or_else(|| {
                if line.starts_with('\u{feff}') {
                    error("No ':' or '=' found in assignment (the file starts with a byte order mark)")
                } else {
                    error("No ':' or '=' found in assignment")
                }
            })?;
            if key.is_empty() {
                return Err(error("Key cannot be empty"));
            }
            let Some(section) = &section else {
                return Err(error("Section must be started before assignment"));
            };
            pending = Some(Pending {
                section: section.clone(),
                key: key.to_owned(),
                lines: vec![value],
                line: number,
            });
        }
    }
    flush(pending.take(), &mut file);
    Ok(file)
}

/// `key = value` or `key: value`, split at the first of `=` and `:`.
fn split_key_value(line: &str) -> Option<(&str, String)> {
    let at = match (line.find('='), line.find(':')) {
        (None, None) => return None,
        (Some(e), None) => e,
        (None, Some(c)) => c,
        (Some(e), Some(c)) => e.min(c),
    };
    let key = line[..at].trim_matches(is_py_space);
    let mut value = line[at + 1..].trim_matches(is_py_space);
    if let (Some(first), Some(last)) = (value.chars().next(), value.chars().last())
        && (first == '"' || first == '\'')
        && first == last
    {
        // Python's value[1:-1]: a lone quote becomes the empty string.
        value = if value.len() == 1 {
            ""
        } else {
            &value[1..value.len() - 1]
        };
    }
    Some((key, value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, String, String, usize) {
        let f = parse(text).unwrap();
        assert_eq!(f.assignments.len(), 1, "{f:?}");
        let a = &f.assignments[0];
        (a.section.clone(), a.key.clone(), a.value.clone(), a.line)
    }

    fn err(text: &str) -> (usize, &'static str) {
        let e = parse(text).unwrap_err();
        (e.line, e.message)
    }

    #[test]
    fn assignments_split_at_the_first_separator() {
        assert_eq!(one("[a]\nk = v\n").2, "v");
        assert_eq!(one("[a]\nk: v\n").2, "v");
        assert_eq!(one("[a]\nk=v=w\n").2, "v=w");
        assert_eq!(one("[a]\nuri = http://h:5000/v3\n").2, "http://h:5000/v3");
        assert_eq!(one("[a]\nk: a=b\n").1, "k");
        assert_eq!(one("[a]\nk: a=b\n").2, "a=b");
        assert_eq!(one("[a]\n  \nk  =   spaced out  \t\n").2, "spaced out");
        assert_eq!(one("[a]\nk =\n").2, "");
        assert_eq!(one("[a]\nfoo bar = 1\n").1, "foo bar");
    }

    #[test]
    fn quotes_and_inline_text() {
        assert_eq!(one("[a]\nk = \"quoted # x\"\n").2, "quoted # x");
        assert_eq!(one("[a]\nk = 'single'\n").2, "single");
        assert_eq!(one("[a]\nk = \"mismatched'\n").2, "\"mismatched'");
        assert_eq!(one("[a]\nk = \"\n").2, "");
        assert_eq!(one("[a]\nk = \"a\" \"b\"\n").2, "a\" \"b");
        // No inline comments.
        assert_eq!(one("[a]\nk = true # yes\n").2, "true # yes");
        assert_eq!(one("[a]\nk = true ; yes\n").2, "true ; yes");
    }

    #[test]
    fn comments_sections_and_line_endings() {
        let f = parse("# c\n; c\n[DEFAULT]\r\na = 1\r\n[Auth]\rb = 2\r\r[auth]\nc = 3").unwrap();
        let got: Vec<_> = f
            .assignments
            .iter()
            .map(|a| (a.section.as_str(), a.key.as_str(), a.value.as_str(), a.line))
            .collect();
        assert_eq!(
            got,
            [
                ("DEFAULT", "a", "1", 4),
                ("Auth", "b", "2", 6),
                ("auth", "c", "3", 9)
            ]
        );
        assert_eq!(f.headers.len(), 3);
        assert_eq!(normalize_section("Auth"), "auth");
        assert_eq!(normalize_section("DEFAULT"), "DEFAULT");
        assert_eq!(normalize_section("Default"), "default");
        assert_eq!(one("[ auth ]\nk = v\n").0, " auth ");
    }

    #[test]
    fn continuation_lines() {
        let (_, k, v, line) = one("[a]\nroles = admin,\n   member,\n\treader\n\n");
        assert_eq!(
            (k.as_str(), v.as_str(), line),
            ("roles", "admin,\nmember,\nreader", 2)
        );
        // An indented comment inside a value is part of it.
        assert_eq!(
            one("[a]\nk = v\n  # not a comment\n").2,
            "v\n# not a comment"
        );
        // A blank line ends the value; a comment or a header does too.
        assert_eq!(
            err("[a]\nk = v\n\n  more\n"),
            (4, "Unexpected continuation line")
        );
        assert_eq!(
            err("[a]\nk = v\n# c\n  more\n"),
            (4, "Unexpected continuation line")
        );
        assert_eq!(err("[a]\n  k = v\n"), (2, "Unexpected continuation line"));
        assert_eq!(
            err("  # indented comment first\n"),
            (1, "Unexpected continuation line")
        );
        // A quote pair is stripped from the first line only, before joining.
        assert_eq!(one("[a]\nk = \"x\"\n  y\n").2, "x\ny");
    }

    #[test]
    fn errors_carry_their_line() {
        assert_eq!(err("[a\n"), (1, "Invalid section (must end with ])"));
        assert_eq!(err("\n\n[]\n"), (3, "Empty section name"));
        assert_eq!(err("[a]\n= v\n"), (2, "Key cannot be empty"));
        assert_eq!(
            err("[a]\nno separator\n"),
            (2, "No ':' or '=' found in assignment")
        );
        assert_eq!(
            err("k = v\n"),
            (1, "Section must be started before assignment")
        );
        let e = parse("\u{feff}[a]\n").unwrap_err();
        assert!(e.message.contains("byte order mark"), "{e}");
        assert_eq!(
            parse("[a]\nbad line\n").unwrap_err().to_string(),
            "No ':' or '=' found in assignment: \"bad line\""
        );
    }

    #[test]
    fn repeated_keys_are_all_kept() {
        let f = parse("[a]\nk = 1\nk = 2\n").unwrap();
        assert_eq!(f.assignments.len(), 2);
        assert_eq!(f.assignments[1].value, "2");
    }
}
