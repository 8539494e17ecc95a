//! Reading our streams back with an independent decoder (the `subunit` crate), as compact lines.

#![allow(dead_code)]

use subunit::io::sync::iter_stream;
use subunit::types::stream::ScannedItem;
use subunit::types::teststatus::TestStatus;

/// One event, as a line: `<status> <id>` for a status, `file <id> <name> <mime>` for an
/// attachment; tags and route codes are appended as ` tags=a,b` and ` route=N` when present.
pub fn events(bytes: &[u8]) -> Vec<String> {
    decode(bytes).into_iter().map(|e| e.line).collect()
}

/// A decoded event.
#[derive(Clone, Debug)]
pub struct Ev {
    pub line: String,
    pub id: Option<String>,
    pub status: TestStatus,
    pub tags: Vec<String>,
    pub route: Option<String>,
    pub file: Option<(String, Vec<u8>)>,
}

pub fn status_name(s: TestStatus) -> &'static str {
    match s {
        TestStatus::Undefined => "none",
        TestStatus::Enumeration => "exists",
        TestStatus::InProgress => "inprogress",
        TestStatus::Success => "success",
        TestStatus::UnexpectedSuccess => "uxsuccess",
        TestStatus::Skipped => "skip",
        TestStatus::Failed => "fail",
        TestStatus::ExpectedFailure => "xfail",
    }
}

pub fn decode(bytes: &[u8]) -> Vec<Ev> {
    let mut out = Vec::new();
    for item in iter_stream(bytes) {
        match item.expect("a readable stream") {
            ScannedItem::Event(e) => {
                let id = e.test_id.clone();
                let tags = e.tags.clone().unwrap_or_default();
                let mut line = match &e.file.file {
                    Some((name, _)) => format!(
                        "file {} {} {}",
                        id.as_deref().unwrap_or("-"),
                        name,
                        e.file.mime_type.as_deref().unwrap_or("-")
                    ),
                    None => format!("{} {}", status_name(e.status), id.as_deref().unwrap_or("-")),
                };
                if !tags.is_empty() {
                    line.push_str(&format!(" tags={}", tags.join(",")));
                }
                if let Some(r) = &e.route_code {
                    line.push_str(&format!(" route={r}"));
                }
                out.push(Ev {
                    line,
                    id,
                    status: e.status,
                    tags,
                    route: e.route_code.clone(),
                    file: e.file.file.clone(),
                });
            }
            ScannedItem::Bytes(b) => panic!("stray bytes in the stream: {b:?}"),
            ScannedItem::Unknown(b, e) => panic!("damaged stream: {e:?} at {b:?}"),
        }
    }
    out
}
