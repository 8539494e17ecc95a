//! Stored runs back to subunit v2: what `sql2subunit` writes.

use std::io::Write;

use subunit_emitter::{PacketRef, Status, Tags, encode};

use crate::Database;
use crate::conn::{Param, Value};
use crate::error::{Result, SqlError};
use crate::time::DbTime;

/// One test run as `sql2subunit` writes it.
struct Written {
    test_id: String,
    status: String,
    start: Option<DbTime>,
    stop: Option<DbTime>,
    tags: Option<String>,
    attrs: Option<String>,
}

fn time_of(text: &Value, micros: &Value) -> Option<DbTime> {
    let t = DbTime::parse(text.as_str()?)?;
    Some(match micros.as_i64() {
        Some(us) => t.with_microsecond(us),
        None => t,
    })
}

/// Writes `sql2subunit`'s two packets for a test: its tags and start time, then (for a status
/// subunit knows) the status at its stop time.
fn write_test(out: &mut impl Write, buf: &mut Vec<u8>, t: &Written) -> Result<()> {
    let mut id = t.test_id.clone();
    if let Some(attrs) = &t.attrs {
        id = format!("{id}[{attrs}]");
    }
    let tags: Vec<&str> = t
        .tags
        .as_deref()
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let mut packet = PacketRef {
        test_id: Some(&id),
        timestamp: t.start.map(DbTime::to_timestamp),
        tags: t.tags.is_some().then_some(Tags::Strs(&tags)),
        ..PacketRef::default()
    };
    buf.clear();
    encode(&packet, buf).map_err(|e| SqlError::Invalid(format!("cannot encode {id:?}: {e}")))?;
    if let Some(status) = Status::from_name(&t.status).filter(|s| {
        matches!(
            s,
            Status::Exists
                | Status::Fail
                | Status::Skip
                | Status::Success
                | Status::UxSuccess
                | Status::XFail
        )
    }) {
        packet.status = status;
        packet.timestamp = t.stop.map(DbTime::to_timestamp);
        encode(&packet, buf)
            .map_err(|e| SqlError::Invalid(format!("cannot encode {id:?}: {e}")))?;
    }
    out.write_all(buf)?;
    Ok(())
}

impl Database {
    /// Writes the run whose `uuid` is `run_id` as `sql2subunit RUN_ID` does: each test run,
    /// in order of start time, as an event with its tags and start time and (for a status
    /// subunit knows) one with its status and stop time; the `attrs` metadata goes back into
    /// the test id in brackets. Returns how many tests were written.
    ///
    /// # Errors
    ///
    /// [`SqlError::NoSuchRun`] when no run has that id, database and write errors.
    pub fn write_run(&mut self, run_id: &str, out: &mut impl Write) -> Result<usize> {
        let exists = self
            .conn
            .scalar(
                "SELECT count(*) FROM runs WHERE uuid = $1",
                &[Param::from(run_id)],
            )?
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        if exists == 0 {
            return Err(SqlError::NoSuchRun(run_id.to_owned()));
        }
        let sql = format!(
            "SELECT tr.id, t.test_id, tr.status, {}, tr.start_time_microsecond, {}, \
             tr.stop_time_microsecond, m.key, m.value \
             FROM tests t JOIN test_runs tr ON t.id = tr.test_id \
             JOIN runs r ON tr.run_id = r.id \
             LEFT OUTER JOIN test_run_metadata m ON tr.id = m.test_run_id \
             WHERE r.uuid = $1 \
             ORDER BY tr.start_time, tr.start_time_microsecond, tr.id, m.id",
            self.conn.time_text("tr.start_time"),
            self.conn.time_text("tr.stop_time"),
        );
        let mut current: Option<(i64, Written)> = None;
        let mut buf = Vec::new();
        let mut count = 0;
        self.conn.each_row(&sql, &[Param::from(run_id)], |row| {
            let mut row = row.into_iter();
            let mut next = || row.next().unwrap_or(Value::Null);
            let tr_id = next().as_i64().unwrap_or_default();
            let test_id = next().into_string().unwrap_or_default();
            let status = next().into_string().unwrap_or_default();
            let (st, sus) = (next(), next());
            let (et, eus) = (next(), next());
            let (key, value) = (next(), next());
            if current.as_ref().is_none_or(|(id, _)| *id != tr_id) {
                if let Some((_, done)) = current.take() {
                    write_test(out, &mut buf, &done)?;
                    count += 1;
                }
                current = Some((
                    tr_id,
                    Written {
                        test_id,
                        status,
                        start: time_of(&st, &sus),
                        stop: time_of(&et, &eus),
                        tags: None,
                        attrs: None,
                    },
                ));
            }
            if let (Some((_, t)), Some(key)) = (current.as_mut(), key.as_str()) {
                let value = value.into_string();
                match key {
                    "tags" => t.tags = value,
                    "attrs" => t.attrs = value,
                    _ => {}
                }
            }
            Ok(())
        })?;
        if let Some((_, done)) = current.take() {
            write_test(out, &mut buf, &done)?;
            count += 1;
        }
        out.flush()?;
        Ok(count)
    }

    /// Writes `sql2subunit --average`'s stream: every test with a (non-zero) average run time,
    /// as a success starting now and lasting that long. Returns how many tests were written.
    ///
    /// # Errors
    ///
    /// Database and write errors.
    pub fn write_average(&mut self, out: &mut impl Write) -> Result<usize> {
        let now = DbTime::now();
        let mut buf = Vec::new();
        let mut count = 0;
        self.conn.each_row(
            "SELECT test_id, run_time FROM tests ORDER BY id",
            &[],
            |row| {
                let Some(run_time) = row[1].as_f64().filter(|t| *t != 0.0) else {
                    return Ok(());
                };
                let t = Written {
                    test_id: row[0].as_str().unwrap_or_default().to_owned(),
                    status: "success".to_owned(),
                    start: Some(now),
                    stop: Some(DbTime(now.0 + (run_time * 1e6).round() as i64)),
                    tags: None,
                    attrs: None,
                };
                count += 1;
                write_test(out, &mut buf, &t)
            },
        )?;
        out.flush()?;
        Ok(count)
    }
}
