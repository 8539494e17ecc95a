//! The commented sample configuration, in the layout `oslo-config-generator` writes (oslo.config
//! 10.7, `--format ini`, without the reStructuredText renderer).
//!
//! `[DEFAULT]` comes first, then the other groups in name order, separated by two blank lines.
//! Under each group header come its help, then for each namespace (in name order) a
//! `# From <namespace>` block and the namespace's options in registration order. An option is its
//! help followed by `(<type> value)`, wrapped at the wrap width as Python's `textwrap` wraps, then
//! its range, choices and deprecation lines, then `#name = default` (`<None>` when it has none).

use std::collections::BTreeMap;

use crate::config::opts::{Opt, OptType, Registered, Registry, Value, py_float};

/// `oslo-config-generator`'s default wrap width.
pub const DEFAULT_WRAP_WIDTH: usize = 70;

/// The sample configuration for every option in `registry`, wrapped at `wrap_width` columns (0:
/// no wrapping in practice, as oslo.config treats 0 as 998).
pub fn generate(registry: &Registry, wrap_width: usize) -> String {
    let width = if wrap_width == 0 { 998 } else { wrap_width };
    let mut out = String::new();
    let mut groups: Vec<_> = registry.groups().collect();
    // DEFAULT first, the others by name.
    groups.sort_by(|(a, _), (b, _)| {
        (a.name() != "DEFAULT", a.name()).cmp(&(b.name() != "DEFAULT", b.name()))
    });
    for (i, (group, opts)) in groups.into_iter().enumerate() {
        if group.name() != "DEFAULT" && opts.is_empty() {
            continue;
        }
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&format!("[{}]\n", group.name()));
        if let Some(help) = group.help_text() {
            out.push_str(&format_help(help, width));
        }
        let mut by_namespace: BTreeMap<&str, Vec<&Registered>> = BTreeMap::new();
        for r in opts {
            by_namespace.entry(&r.namespace).or_default().push(r);
        }
        for (namespace, opts) in by_namespace {
            out.push_str(&format!("\n#\n# From {namespace}\n#\n"));
            for r in opts {
                out.push('\n');
                out.push_str(&format_opt(&r.opt, width));
            }
        }
    }
    out
}

fn format_opt(opt: &Opt, width: usize) -> String {
    let type_name = opt.kind().type_name();
    let prefix = match (opt.deprecation(), opt.help_text()) {
        (Some(_), Some(h)) if !h.starts_with("DEPRECATED") => "DEPRECATED: ",
        _ => "",
    };
    let help = match opt.help_text() {
        Some(h) => format!("{prefix}{h} ({type_name})"),
        None => format!("({type_name})"),
    };
    let mut out = format_help(&help, width);
    let bound = |v: &Value| match v {
        Value::Float(f) => py_float(*f),
        other => other.py_str(),
    };
    if let Some(min) = opt.min_value() {
        out.push_str(&format!("# Minimum value: {}\n", bound(min)));
    }
    if let Some(max) = opt.max_value() {
        out.push_str(&format!("# Maximum value: {}\n", bound(max)));
    }
    if let Some(choices) = opt.choice_list() {
        out.push_str("# Possible values:\n");
        for c in choices {
            let value = match &c.value {
                Value::Str(s) if s.is_empty() => "''".to_owned(),
                v => v.py_str(),
            };
            let help = c.help.as_deref().unwrap_or("<No description provided>");
            out.push_str(&format_help(&format!("{value} - {help}"), width));
        }
    }
    if let Some(reason) = opt.deprecation() {
        out.push_str("# This option is deprecated for removal.\n");
        out.push_str("# Its value may be silently ignored in the future.\n");
        if !reason.is_empty() {
            out.push_str(&format_help(&format!("Reason: {reason}"), width));
        }
    }
    let default = format_default(opt);
    if default.is_empty() {
        out.push_str(&format!("#{} =\n", opt.name()));
    } else {
        out.push_str(&format!(
            "#{} = {}\n",
            opt.name(),
            default.replace('\n', "\n#    ")
        ));
    }
    out
}

/// The default as the generator prints it (`types.*._formatter`).
fn format_default(opt: &Opt) -> String {
    let quote = |s: &str| {
        if s.trim_matches(crate::config::ini::is_py_space) != s {
            format!("\"{s}\"")
        } else {
            s.to_owned()
        }
    };
    match (opt.kind(), opt.default_value()) {
        (_, Value::Unset) => "<None>".to_owned(),
        (OptType::Boolean, Value::Bool(b)) => b.to_string(),
        (OptType::List, Value::List(items)) => {
            items.iter().map(|i| quote(i)).collect::<Vec<_>>().join(",")
        }
        (OptType::String, Value::Str(s)) => quote(s),
        (_, Value::Float(f)) => py_float(*f),
        (_, v) => v.py_str(),
    }
}

/// `_OptFormatter._format_help`: each line of `text` wrapped with `# ` prefixes; an empty line
/// becomes `#`.
fn format_help(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let wrapped = wrap(line, width, "# ");
        if wrapped.is_empty() {
            out.push('#');
        } else {
            out.push_str(&wrapped.join("\n"));
        }
        out.push('\n');
    }
    out
}

fn is_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `[^\d\W]`: a word character that is not a digit.
fn is_letter(c: char) -> bool {
    is_word(c) && !c.is_numeric()
}

fn is_word_punct(c: char) -> bool {
    is_word(c) || matches!(c, '!' | '"' | '\'' | '&' | '.' | ',' | '?')
}

/// Python's `TextWrapper._split` with `break_on_hyphens=True`: runs of whitespace, and words cut
/// after hyphens between letters (`self-|signed`) and before em-dashes.
fn split_chunks(text: &str) -> Vec<String> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: isize| -> Option<char> {
        if i < 0 {
            None
        } else {
            c.get(i as usize).copied()
        }
    };
    let letter = |i: isize| at(i).is_some_and(is_letter);
    let dashes_then_word = |j: usize| {
        let mut k = j;
        while c.get(k) == Some(&'-') {
            k += 1;
        }
        k - j >= 2 && c.get(k).is_some_and(|&x| is_word(x))
    };
    let mut chunks = Vec::new();
    let mut s = 0usize;
    while s < c.len() {
        if is_ws(c[s]) {
            let mut e = s;
            while e < c.len() && is_ws(c[e]) {
                e += 1;
            }
            chunks.push(c[s..e].iter().collect());
            s = e;
            continue;
        }
        // An em-dash between words: `(?<=wp) -{2,} (?=\w)`.
        if c[s] == '-' && s > 0 && is_word_punct(c[s - 1]) {
            let mut e = s;
            while e < c.len() && c[e] == '-' {
                e += 1;
            }
            if e - s >= 2 && c.get(e).is_some_and(|&x| is_word(x)) {
                chunks.push(c[s..e].iter().collect());
                s = e;
                continue;
            }
        }
        // A word: the shortest run of non-space characters ending at a hyphen break, at the
        // end of the word, or before an em-dash.
        let mut j = s + 1;
        loop {
            let ji = j as isize;
            // Hyphenated: c[j-1] is '-', preceded by two letters or letter-hyphen-letter, and
            // followed by letter, optional hyphen, letter.
            let hyphen_end = c[j - 1] == '-'
                && j - 1 > s
                && ((letter(ji - 3) && letter(ji - 2))
                    || (letter(ji - 4) && at(ji - 3) == Some('-') && letter(ji - 2)))
                && letter(ji)
                && (letter(ji + 1) || (at(ji + 1) == Some('-') && letter(ji + 2)));
            let word_end = j == c.len() || is_ws(c[j]);
            let before_dash = is_word_punct(c[j - 1]) && dashes_then_word(j);
            if hyphen_end || word_end || before_dash {
                break;
            }
            j += 1;
        }
        chunks.push(c[s..j].iter().collect());
        s = j;
    }
    chunks
}

/// Python's `textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent,
/// break_long_words=False, replace_whitespace=False)`.
fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let text = expand_tabs(text);
    let mut chunks = split_chunks(&text);
    chunks.reverse();
    let len = |s: &str| s.chars().count();
    let is_blank = |s: &str| s.trim_matches(is_ws).is_empty();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        let room = width.saturating_sub(len(indent));
        if !lines.is_empty() && chunks.last().is_some_and(|c| is_blank(c)) {
            chunks.pop();
        }
        let mut line: Vec<String> = Vec::new();
        let mut used = 0;
        while let Some(next) = chunks.last() {
            let l = len(next);
            if used + l <= room {
                used += l;
                line.extend(chunks.pop());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| len(c) > room) && line.is_empty() {
            line.extend(chunks.pop());
        }
        if line.last().is_some_and(|c| is_blank(c)) {
            line.pop();
        }
        if !line.is_empty() {
            lines.push(format!("{indent}{}", line.concat()));
        }
    }
    lines
}

/// `str.expandtabs(8)`.
fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut col = 0;
    for ch in text.chars() {
        match ch {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' | '\r' => {
                out.push(ch);
                col = 0;
            }
            c => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_break_after_hyphens_between_letters() {
        assert_eq!(
            split_chunks("self-signed SSL v3-only a-b-c a-b-cd x--y"),
            [
                "self-", "signed", " ", "SSL", " ", "v3-only", " ", "a-b-c", " ", "a-b-", "cd",
                " ", "x", "--", "y"
            ]
        );
        assert_eq!(split_chunks("well-known"), ["well-", "known"]);
        assert_eq!(split_chunks("ab-c"), ["ab-c"]);
        assert_eq!(split_chunks("  two  spaces"), ["  ", "two", "  ", "spaces"]);
    }

    #[test]
    fn wraps_like_textwrap() {
        let text = "Path to the yaml file that contains the list of credentials to use for \
                    running tests. (string value)";
        assert_eq!(
            wrap(text, 70, "# "),
            [
                "# Path to the yaml file that contains the list of credentials to use",
                "# for running tests. (string value)"
            ]
        );
        // A word longer than the line stands alone, unbroken.
        let long = format!("short {} tail", "x".repeat(80));
        let w = wrap(&long, 20, "# ");
        assert_eq!(w[0], "# short");
        assert_eq!(w[1], format!("# {}", "x".repeat(80)));
        assert_eq!(w[2], "# tail");
        assert!(wrap("", 70, "# ").is_empty());
        assert_eq!(format_help("a\n\nb", 70), "# a\n#\n# b\n");
    }
}
