//! Our reading of MIME types (`subunit_sinks::python::mime`) against testtools 2.9.1's
//! `_make_content_type` (Python 3.11's `email` parser underneath), on the spellings real streams
//! hold and on tens of thousands of generated odd ones: commas, spaces, tabs, quotes, escapes,
//! comments, empty values, repeated and differently-cased names, RFC 2231 pieces, `test/plain`.
//!
//! One python process reads them all. Where python raises (an `IndexError` inside the `email`
//! parser on a parameter name ending in `*` with nothing after it: DIFFERENCES.md) we read on;
//! every other answer must be python's `repr`, character for character.

use crate::common::stream::Rng;

use subunit_samples::python;
use subunit_sinks::python::mime::ContentType;

/// The pieces generated types are made of.
const PIECES: &[&str] = &[
    "text",
    "x-traceback",
    "plain",
    "application",
    "octet-stream",
    "/",
    ";",
    ",",
    "=",
    "\"",
    " ",
    "\t",
    "charset",
    "Charset",
    "language",
    "python",
    "utf8",
    "UTF-8",
    "iso-8859-1",
    "\\",
    "(",
    ")",
    "*",
    "'",
    "%",
    "%41",
    "*0",
    "*1",
    "test/plain",
    "a",
    "b",
    ".",
    "@",
    ":",
    "<",
    ">",
    "[",
    "]",
    "?",
    "é",
    "",
];

/// A type as a writer might have spelt it: a known type, then parameters with odd separators.
fn realistic(rng: &mut Rng) -> String {
    let pick = |rng: &mut Rng, v: &[&'static str]| v[rng.below(v.len() as u64) as usize];
    let mut s = pick(
        rng,
        &[
            "text/plain",
            "text/x-traceback",
            "application/octet-stream",
            "TEXT/Plain",
            "test/plain",
            " text / plain ",
        ],
    )
    .to_owned();
    for i in 0..rng.below(5) {
        s.push_str(if i == 0 {
            pick(rng, &[";", "; "])
        } else {
            pick(rng, &[";", ",", "; "])
        });
        s.push_str(pick(rng, &["charset", "language", "Charset", "x", ""]));
        s.push_str(pick(rng, &["=", " = ", ""]));
        s.push_str(pick(
            rng,
            &[
                "utf8",
                "\"utf8\"",
                "python",
                "\"python\"",
                "",
                "\"\"",
                "\"a,b\"",
                "iso-8859-1",
                "\"a\\\"b\"",
                "a b",
                "\"\"utf8\"\"",
            ],
        ));
    }
    s
}

fn odd(rng: &mut Rng) -> String {
    (0..rng.below(30))
        .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
        .collect()
}

#[test]
fn every_generated_type_reads_as_testtools_reads_it() {
    let mut rng = Rng::new(0x5eed_0015);
    let mut cases: Vec<String> = [
        "text/x-traceback;charset=\"utf8\",language=\"python\"",
        "text/x-traceback;language=\"python\",charset=\"utf8\"",
        "text/x-traceback;language=python,charset=utf8",
        "text/x-traceback;charset=\"iso-8859-1\",language=\"python\"",
        "text/x-traceback;charset=\"\"utf8\"\"",
        "text/x-traceback;language=\"\"python\",charset=\"utf8\"\"",
        "test/plain;charset=utf8",
        "text/plain; charset*=utf-8''%41%42",
        "text/plain; a*0=x; a*1=y; A=z",
        "",
    ]
    .map(str::to_owned)
    .to_vec();
    for _ in 0..15_000 {
        cases.push(odd(&mut rng));
        cases.push(realistic(&mut rng));
    }
    let input = serde_json::to_vec(&cases).unwrap();
    let out = python::env().run_script_ok("content_types.py", std::iter::empty::<&str>(), &input);
    let theirs: Vec<String> = serde_json::from_slice(&out).unwrap();
    assert_eq!(theirs.len(), cases.len());
    let mut python_raised = 0;
    let mut differ = Vec::new();
    for (case, theirs) in cases.iter().zip(&theirs) {
        let ours = ContentType::parse(Some(case)).repr();
        if let Some(error) = theirs.strip_prefix("ERROR: ") {
            assert_eq!(error, "IndexError", "{case:?}: python raised {error}");
            python_raised += 1;
            continue;
        }
        if &ours != theirs {
            differ.push(format!("{case:?}\n  python: {theirs}\n  ours:   {ours}"));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} differ:\n{}",
        differ.len(),
        cases.len(),
        differ[..differ.len().min(20)].join("\n")
    );
    // python's crash is rare; far more than that was compared.
    assert!(python_raised < cases.len() / 100, "{python_raised}");
}
