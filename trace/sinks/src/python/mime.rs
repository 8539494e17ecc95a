//! A MIME type as python-subunit's consumers see it: testtools' `_make_content_type`, which
//! hands the text to the `email` package's `Content-Type` parser (Python 3.11) and keeps
//! `get_content_type()` and the header's `params`.
//!
//! The rules, as that parser applies them:
//!
//! - **The type** is the header text up to its first `;` (quoted strings re-quoted and comments
//!   re-rendered first, as `str(header)` does), lower-cased and trimmed; unless it holds exactly
//!   one `/` it is `text/plain`. Type and subtype are each trimmed; inner spaces stay.
//! - **Parameters** follow the first `;` that is outside a quoted string or comment. Each is an
//!   attribute (a run of token characters, comments and spaces around it allowed), then `=` and
//!   a value that is a **token or a quoted string**; anything after the value up to the next
//!   `;` is dropped (`charset="utf8",language="python"` gives `charset=utf8` alone). An
//!   attribute with no `=` has the empty value; an entry that does not start with an attribute
//!   is dropped whole.
//! - A repeated name keeps its first value; names are then lower-cased, and where two spellings
//!   meet the later value wins in the first one's place. RFC 2231 forms (`name*=`,
//!   `name*0=`) are joined and percent-decoded in UTF-8, ASCII or Latin-1.
//! - testtools cuts a `charset` value at its first comma.
//!
//! Not modelled: RFC 2047 encoded words (`=?...?=`) inside a header, and text the `email`
//! package refuses (line breaks), which makes python raise.

/// A parsed MIME type: what testtools' `ContentType` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentType {
    /// The primary type, lower-case (`text`).
    pub type_: String,
    /// The subtype, lower-case (`x-traceback`).
    pub subtype: String,
    /// The parameters in python's dict order: lower-case names, each once.
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Parses `mime` as testtools' `_make_content_type` does; `None` is
    /// `application/octet-stream`.
    pub fn parse(mime: Option<&str>) -> ContentType {
        let mime = mime.unwrap_or("application/octet-stream");
        let (head, rest) = split_head(mime);
        let rendered = render(head);
        let full = rendered
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        let (type_, subtype) = match full.split_once('/') {
            Some((t, s)) if !s.contains('/') => (t.trim().to_owned(), s.trim().to_owned()),
            _ => ("text".to_owned(), "plain".to_owned()),
        };
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(rest) = rest {
            for (name, value) in join_params(parse_params(rest)) {
                let name = name.to_lowercase();
                match params.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value,
                    None => params.push((name, value)),
                }
            }
        }
        if let Some((_, v)) = params.iter_mut().find(|(n, _)| n == "charset")
            && let Some(i) = v.find(',')
        {
            v.truncate(i);
        }
        ContentType {
            type_,
            subtype,
            params,
        }
    }

    /// A parameter's value by its (lower-case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// testtools' `repr(ContentType)`: `type/subtype` then `; name="value"` for each
    /// parameter, sorted as strings.
    pub fn repr(&self) -> String {
        let mut out = format!("{}/{}", self.type_, self.subtype);
        let mut rendered: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        rendered.sort();
        for p in rendered {
            out.push_str("; ");
            out.push_str(&p);
        }
        out
    }
}

const WSP: &[char] = &[' ', '\t'];

fn is_wsp(c: char) -> bool {
    WSP.contains(&c)
}

/// `TSPECIALS` plus white space: what ends a token.
fn is_token_end(c: char) -> bool {
    "()<>@,:;\\\"[]/?=".contains(c) || is_wsp(c)
}

/// What ends an attribute name: a token end, `*`, `'` or `%`.
fn is_attribute_end(c: char) -> bool {
    is_token_end(c) || "*'%".contains(c)
}

/// What ends a token value: an attribute end except `%`.
fn is_value_end(c: char) -> bool {
    is_token_end(c) || "*'".contains(c)
}

/// The text before the first `;` outside quoted strings and comments, and what follows it.
fn split_head(s: &str) -> (&str, Option<&str>) {
    let mut rest = s;
    let mut at = 0;
    while let Some(c) = rest.chars().next() {
        match c {
            '"' => {
                let (_, after) = quoted(rest);
                at += rest.len() - after.len();
                rest = after;
            }
            '(' => {
                let (_, after) = comment(rest);
                at += rest.len() - after.len();
                rest = after;
            }
            ';' => return (&s[..at], Some(&s[at + 1..])),
            _ => {
                at += c.len_utf8();
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    (s, None)
}

/// The head as `str(header)` renders it: quoted strings and comments re-quoted.
fn render(head: &str) -> String {
    let mut out = String::with_capacity(head.len());
    let mut rest = head;
    while let Some(c) = rest.chars().next() {
        match c {
            '"' => {
                let (content, after) = quoted(rest);
                out.push('"');
                out.push_str(&content.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
                rest = after;
            }
            '(' => {
                let (rendered, after) = comment(rest);
                out.push_str(&rendered);
                rest = after;
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// A comment at the start of `s` (which starts with `(`) as `str(header)` renders it (its
/// text unescaped then escaped again, a missing `)` supplied at each open level), and the text
/// after it.
fn comment(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' => {
                depth += 1;
                out.push('(');
            }
            ')' => {
                out.push(')');
                depth -= 1;
                if depth == 0 {
                    return (out, &s[i + 1..]);
                }
            }
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    push_comment_char(n, &mut out);
                }
            }
            c => push_comment_char(c, &mut out),
        }
    }
    for _ in 0..depth {
        out.push(')');
    }
    (out, "")
}

fn push_comment_char(c: char, out: &mut String) {
    if matches!(c, '\\' | '(' | ')') {
        out.push('\\');
    }
    out.push(c);
}

/// A quoted string at the start of `s` (which starts with `"`): its content with escapes
/// undone, and the text after its closing quote (none when it is missing).
fn quoted(s: &str) -> (String, &str) {
    let mut content = String::new();
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            content.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return (content, &s[i + 1..]);
        } else {
            content.push(c);
        }
    }
    (content, "")
}

/// Skips comments and white space.
fn cfws(mut s: &str) -> &str {
    loop {
        match s.chars().next() {
            Some(c) if is_wsp(c) => s = s.trim_start_matches(WSP),
            Some('(') => s = comment(s).1,
            _ => return s,
        }
    }
}

/// The longest run at the start of `s` of characters for which `end` is false.
fn run(s: &str, end: fn(char) -> bool) -> (&str, &str) {
    let len = s.find(end).unwrap_or(s.len());
    s.split_at(len)
}

/// One parameter as the parser found it.
#[derive(Debug)]
struct Param {
    name: String,
    section: u32,
    extended: bool,
    charset: String,
    value: String,
}

/// Why a parameter could not be read; the entry is then skipped up to the next `;`.
struct Invalid;

/// One `attribute [*section] [*] = value` entry at the start of `s`.
fn parameter(s: &str) -> Result<(Param, &str), Invalid> {
    let s = cfws(s);
    let (name, s) = run(s, is_attribute_end);
    if name.is_empty() {
        return Err(Invalid);
    }
    let mut p = Param {
        name: name.trim().to_owned(),
        section: 0,
        extended: false,
        charset: "us-ascii".to_owned(),
        value: String::new(),
    };
    let mut s = cfws(s);
    if s.is_empty() || s.starts_with(';') {
        return Ok((p, s));
    }
    let mut sectioned = false;
    if let Some(after) = s.strip_prefix('*') {
        let (digits, after) = run(after, |c| !c.is_ascii_digit());
        if !digits.is_empty() {
            p.section = digits.parse().unwrap_or(u32::MAX);
            sectioned = true;
            s = after;
        }
        if s.is_empty() {
            return Err(Invalid);
        }
        if let Some(after) = s.strip_prefix('*') {
            p.extended = true;
            s = after;
        }
    }
    let _ = sectioned;
    let Some(after) = s.strip_prefix('=') else {
        return Err(Invalid);
    };
    let s = cfws(after);
    if p.extended && s.starts_with('"') {
        return extended_quoted(p, s);
    }
    let (token, s) = if s.starts_with('\'') {
        (None, s)
    } else {
        let (v, s) = value(s)?;
        (Some(v), s)
    };
    if (!p.extended || p.section > 0) && !s.starts_with('\'') {
        p.value = token.unwrap_or_default();
        return Ok((p, s));
    }
    if s.is_empty() {
        p.value = token.unwrap_or_default();
        return Ok((p, s));
    }
    if let Some(charset) = token {
        p.charset = charset;
    }
    let (s, _lang) = charset_lang(s)?;
    let (v, s) = value(s)?;
    p.value = v;
    Ok((p, s))
}

/// After an RFC 2231 charset: `'` [language] `'`.
fn charset_lang(s: &str) -> Result<(&str, &str), Invalid> {
    let s = s.strip_prefix('\'').ok_or(Invalid)?;
    if let Some(after) = s.strip_prefix('\'') {
        return Ok((after, ""));
    }
    let (lang, s) = run(s, is_attribute_end);
    if lang.is_empty() {
        return Err(Invalid);
    }
    let s = s.strip_prefix('\'').ok_or(Invalid)?;
    Ok((s, lang))
}

/// A value: a quoted string's content or a token, comments and spaces around it skipped.
fn value(s: &str) -> Result<(String, &str), Invalid> {
    let s = cfws(s);
    if s.is_empty() {
        return Err(Invalid);
    }
    if s.starts_with('"') {
        let (content, s) = quoted(s);
        return Ok((content, cfws(s)));
    }
    let (v, s) = run(s, is_value_end);
    if v.is_empty() {
        return Err(Invalid);
    }
    Ok((v.to_owned(), cfws(s)))
}

/// An extended parameter whose value is quoted (`name*="utf-8''a%20b"`), which the parser
/// accepts when the quoted text looks encoded.
fn extended_quoted(mut p: Param, s: &str) -> Result<(Param, &str), Invalid> {
    let (inner, remainder) = quoted(s);
    let remainder = cfws(remainder);
    let semi_valid = if p.section == 0 {
        inner.starts_with('\'') || {
            let (t, rest) = run(&inner, is_attribute_end);
            !t.is_empty() && rest.starts_with('\'')
        }
    } else {
        let (t, rest) = run(&inner, is_value_end);
        !t.is_empty() && rest.is_empty()
    };
    if !semi_valid {
        let (v, rest) = value(s)?;
        if p.section > 0 || !rest.starts_with('\'') {
            p.value = v;
            return Ok((p, rest));
        }
        return Err(Invalid);
    }
    let mut v = inner.as_str();
    if p.section == 0 {
        let (charset, rest) = if v.starts_with('\'') {
            ("", v)
        } else {
            run(v, is_value_end)
        };
        if !charset.is_empty() {
            p.charset = charset.to_owned();
        }
        let (rest, _) = charset_lang(rest).map_err(|_| Invalid)?;
        v = rest;
    }
    p.value = v.to_owned();
    Ok((p, remainder))
}

/// Everything up to the next `;`, quoted strings and comments taken whole.
fn skip_entry(mut s: &str) -> &str {
    while let Some(c) = s.chars().next() {
        match c {
            ';' => return s,
            '"' => s = quoted(s).1,
            '(' => s = comment(s).1,
            _ => s = &s[c.len_utf8()..],
        }
    }
    s
}

/// The parameters after the type's `;`, in order, entries that have no attribute dropped.
fn parse_params(mut s: &str) -> Vec<Param> {
    let mut out = Vec::new();
    while !s.is_empty() {
        match parameter(s) {
            Ok((p, rest)) => {
                out.push(p);
                s = rest;
            }
            Err(Invalid) => {
                let rest = cfws(s);
                if rest.is_empty() {
                    return out;
                }
                s = if rest.starts_with(';') {
                    rest
                } else {
                    skip_entry(rest)
                };
            }
        }
        if !s.is_empty() && !s.starts_with(';') {
            // Text after a value: dropped, the value kept.
            s = skip_entry(s);
        }
        if let Some(rest) = s.strip_prefix(';') {
            s = rest;
        }
    }
    out
}

/// Joins the parameters by name as the `email` package does: a repeated plain name keeps its
/// first value; RFC 2231 sections are joined in order and decoded.
fn join_params(params: Vec<Param>) -> Vec<(String, String)> {
    let mut names: Vec<(String, Vec<Param>)> = Vec::new();
    for p in params {
        match names.iter_mut().find(|(n, _)| *n == p.name) {
            Some((_, parts)) => parts.push(p),
            None => names.push((p.name.clone(), vec![p])),
        }
    }
    names
        .into_iter()
        .map(|(name, mut parts)| {
            parts.sort_by_key(|p| p.section);
            if !parts[0].extended && parts.len() > 1 && parts[1].section == 0 {
                parts.truncate(1);
            }
            let charset = parts[0].charset.clone();
            let mut value = String::new();
            let mut i = 0;
            for p in &parts {
                if p.section != i && !p.extended {
                    continue;
                }
                i += 1;
                if p.extended {
                    value.push_str(&percent_decode(&p.value, &charset));
                } else {
                    value.push_str(&p.value);
                }
            }
            (name, value)
        })
        .collect()
}

/// `%XX` escapes undone, the bytes decoded in `charset` (UTF-8, ASCII or Latin-1; another
/// name is read as ASCII), what does not decode replaced.
fn percent_decode(s: &str, charset: &str) -> String {
    let mut bytes = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            bytes.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        bytes.push(b[i]);
        i += 1;
    }
    match charset.to_ascii_lowercase().replace('_', "-").as_str() {
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => {
            bytes.iter().map(|&b| b as char).collect()
        }
        "utf-8" | "utf8" | "u8" => String::from_utf8_lossy(&bytes).into_owned(),
        _ => bytes
            .iter()
            .map(|&b| if b < 0x80 { b as char } else { '\u{FFFD}' })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(s: &str) -> String {
        ContentType::parse(Some(s)).repr()
    }

    #[test]
    fn the_issue_examples() {
        assert_eq!(
            repr(r#"text/x-traceback;charset="utf8",language="python""#),
            r#"text/x-traceback; charset="utf8""#
        );
        assert_eq!(
            repr(r#"text/x-traceback;language="python",charset="utf8""#),
            r#"text/x-traceback; language="python""#
        );
        assert_eq!(
            repr("text/x-traceback;language=python,charset=utf8"),
            r#"text/x-traceback; language="python""#
        );
        assert_eq!(
            ContentType::parse(Some(
                r#"text/x-traceback;charset="iso-8859-1",language="python""#
            ))
            .param("charset"),
            Some("iso-8859-1")
        );
    }

    #[test]
    fn defaults_and_invalid_types() {
        assert_eq!(ContentType::parse(None).repr(), "application/octet-stream");
        assert_eq!(repr(""), "text/plain");
        assert_eq!(repr("text"), "text/plain");
        assert_eq!(repr("a/b/c; x=1"), r#"text/plain; x="1""#);
        assert_eq!(
            repr(" TEXT / Plain ;Charset=UTF8"),
            r#"text/plain; charset="UTF8""#
        );
    }
}
