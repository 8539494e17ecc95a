//! Events as JSON values in the shape `samples/python/dump_events.py` prints, so a packet we
//! read and a `status(...)` call python-subunit makes compare as plain values.
//!
//! The keys are python's parameter names: `test_id`, `test_status` (`null` for none),
//! `test_tags` (sorted, or `null` when the packet has no tag set), `runnable`, `file_name`,
//! `file_bytes` (lower-case hex, or `null`), `eof`, `mime_type`, `route_code` and `timestamp`
//! (whole microseconds since the Unix epoch, or `null`).

use serde_json::{Value, json};
use subunit_emitter::{PacketRef, Status, Timestamp};

use crate::description::hex;

/// One packet as the JSON object python's event dumper prints for the same event.
pub fn event_json(p: &PacketRef<'_>) -> Value {
    let tags = p.tags.map(|t| {
        let mut v: Vec<&str> = t.iter().collect();
        v.sort_unstable();
        v.dedup();
        v
    });
    json!({
        "test_id": p.test_id,
        "test_status": (p.status != Status::Undefined).then(|| p.status.as_str()),
        "test_tags": tags,
        "runnable": p.runnable,
        "file_name": p.file.map(|f| f.name),
        "file_bytes": p.file.map(|f| hex(f.content)),
        "eof": p.eof,
        "mime_type": p.mime_type,
        "route_code": p.route_code,
        "timestamp": p.timestamp.map(Timestamp::python_micros),
    })
}

/// Whether `event` is non-test `stdout` as python reports stray bytes: a `stdout` file with
/// no test id and nothing else (no status, tags, MIME type, EOF, route code or timestamp).
pub fn is_stray_stdout(event: &Value) -> bool {
    event["file_name"] == "stdout"
        && event["test_id"].is_null()
        && event["test_status"].is_null()
        && event["test_tags"].is_null()
        && event["mime_type"].is_null()
        && event["route_code"].is_null()
        && event["timestamp"].is_null()
        && event["eof"] == false
}

/// Joins adjacent stray `stdout` events (see [`is_stray_stdout`]) into one.
///
/// Python batches non-subunit bytes by `select()` timing, ours by buffer; both must still give
/// the same bytes in the same place between the same packets, which is what comparing the
/// coalesced lists checks. Adjacent events are joined only when their `runnable` flags agree.
pub fn coalesce_stdout(events: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(events.len());
    for e in events {
        if let Some(last) = out.last_mut()
            && is_stray_stdout(last)
            && is_stray_stdout(&e)
            && last["runnable"] == e["runnable"]
        {
            let joined = format!(
                "{}{}",
                last["file_bytes"].as_str().unwrap_or_default(),
                e["file_bytes"].as_str().unwrap_or_default()
            );
            last["file_bytes"] = Value::String(joined);
            continue;
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use subunit_emitter::Packet;

    #[test]
    fn a_packet_becomes_python_shaped_json() {
        let p = Packet::status("a.b", Status::Fail)
            .with_timestamp(Timestamp::new(1_704_164_645, 678_901_000))
            .with_tags(["z", "a", "z"])
            .with_route_code("0/1")
            .with_file("log", Some("text/plain"), b"\xb3\0".to_vec(), true);
        assert_eq!(
            event_json(&p.as_ref()),
            json!({
                "test_id": "a.b", "test_status": "fail", "test_tags": ["a", "z"],
                "runnable": true, "file_name": "log", "file_bytes": "b300", "eof": true,
                "mime_type": "text/plain", "route_code": "0/1", "timestamp": 1_704_164_645_678_901u64,
            })
        );
        let bare = Packet::default();
        let v = event_json(&bare.as_ref());
        assert_eq!(v["test_status"], Value::Null);
        assert_eq!(v["test_tags"], Value::Null);
        assert_eq!(v["file_bytes"], Value::Null);
    }

    #[test]
    fn only_adjacent_stray_stdout_is_joined() {
        let stray = |b: &[u8]| {
            event_json(
                &Packet::default()
                    .with_file("stdout", None, b.to_vec(), false)
                    .as_ref(),
            )
        };
        let real = event_json(&Packet::status("t", Status::Success).as_ref());
        let with_mime = event_json(
            &Packet::default()
                .with_file("stdout", Some("text/plain"), b"m".to_vec(), false)
                .as_ref(),
        );
        let got = coalesce_stdout(vec![
            stray(b"a"),
            stray(b"b"),
            real.clone(),
            stray(b"c"),
            with_mime.clone(),
            stray(b"d"),
            stray(b"e"),
        ]);
        assert_eq!(
            got,
            vec![stray(b"ab"), real, stray(b"c"), with_mime, stray(b"de")]
        );
    }
}
