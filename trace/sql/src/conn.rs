//! One connection to either backend, and the few operations the crate needs from it.
//!
//! SQL is written once with `$1`-style placeholders (PostgreSQL's); for SQLite they become
//! `?1`. The handful of places where the dialects differ ask [`Conn::backend`].

use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::error::{Result, SqlError};
use crate::url::DatabaseUrl;

/// How long an SQLite writer waits for another writer's lock before giving up.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(300);

/// Which database a connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, through the bundled library.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A statement parameter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Param {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Param::Null, Param::Int)
    }
}

impl From<Option<f64>> for Param {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Param::Null, Param::Float)
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        v.map_or(Param::Null, Param::Text)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(*v),
            Param::Float(v) => ValueRef::Real(*v),
            Param::Text(v) => ValueRef::Text(v.as_bytes()),
            Param::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Param::Float(v) => match *ty {
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Param::Text(v) => v.as_str().to_sql(ty, out),
            Param::Blob(v) => v.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A value read back.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The integer, if this is one.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            Value::Float(v) => Some(*v as i64),
            _ => None,
        }
    }

    /// The number as a float, if this is one.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(*v as f64),
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the text out, if this is text.
    pub(crate) fn into_string(self) -> Option<String> {
        match self {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }
}

/// An open connection.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Conn {
    /// Connects. An SQLite file is created only when `create` is set.
    pub(crate) fn open(url: &DatabaseUrl, create: bool) -> Result<Conn> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                use rusqlite::OpenFlags;
                let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI;
                if create {
                    flags |= OpenFlags::SQLITE_OPEN_CREATE;
                }
                let conn = match path {
                    Some(p) => rusqlite::Connection::open_with_flags(p, flags),
                    None => rusqlite::Connection::open_in_memory(),
                }
                .map_err(|e| SqlError::Unreachable {
                    url: url.redacted(),
                    message: match path {
                        Some(p) if !create && !p.exists() => "no such file".to_owned(),
                        _ => e.to_string(),
                    },
                })?;
                conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
                // WAL lets readers (sql2subunit, queries) run while a loader writes.
                if path.is_some() {
                    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
                }
                conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA temp_store=FILE;")?;
                Ok(Conn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(pg) => {
                let config: postgres::Config =
                    pg.parse().map_err(|e: postgres::Error| SqlError::BadUrl {
                        url: url.redacted(),
                        reason: e.to_string(),
                    })?;
                let mut config = config;
                if config.get_connect_timeout().is_none() {
                    config.connect_timeout(Duration::from_secs(10));
                }
                let client = config.connect(postgres::NoTls).map_err(|e| {
                    let message = match e.as_db_error() {
                        Some(db) => db.message().to_owned(),
                        None => {
                            let mut m = e.to_string();
                            let mut src = std::error::Error::source(&e);
                            while let Some(s) = src {
                                m = format!("{m}: {s}");
                                src = s.source();
                            }
                            m
                        }
                    };
                    let code = e.code().map(|c| c.code().to_owned());
                    match code.as_deref() {
                        // invalid_authorization_specification, invalid_password
                        Some("28000" | "28P01") => SqlError::Auth {
                            url: url.redacted(),
                            message,
                        },
                        _ => SqlError::Unreachable {
                            url: url.redacted(),
                            message,
                        },
                    }
                })?;
                Ok(Conn::Postgres(client))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs statements separated by `;`, without parameters.
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Postgres(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Runs one statement; returns the rows it changed.
    pub(crate) fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Conn::Postgres(c) => {
                let refs: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
                Ok(c.execute(sql, &refs)?)
            }
        }
    }

    /// Runs a query and hands each row to `each`, streaming (rows are not collected).
    pub(crate) fn each_row(
        &mut self,
        sql: &str,
        params: &[Param],
        mut each: impl FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sqlite_sql(sql))?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                while let Some(row) = rows.next()? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        use rusqlite::types::ValueRef;
                        values.push(match row.get_ref(i)? {
                            ValueRef::Null => Value::Null,
                            ValueRef::Integer(v) => Value::Int(v),
                            ValueRef::Real(v) => Value::Float(v),
                            ValueRef::Text(v) => {
                                Value::Text(String::from_utf8_lossy(v).into_owned())
                            }
                            ValueRef::Blob(v) => Value::Blob(v.to_vec()),
                        });
                    }
                    each(values)?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let mut rows = c.query_raw(sql, params.iter())?;
                while let Some(row) = rows.next()? {
                    let mut values = Vec::with_capacity(row.len());
                    for (i, col) in row.columns().iter().enumerate() {
                        let ty = col.type_();
                        let v = match *ty {
                            Type::INT2 => {
                                row.get::<_, Option<i16>>(i).map(|v| Value::Int(v.into()))
                            }
                            Type::INT4 => {
                                row.get::<_, Option<i32>>(i).map(|v| Value::Int(v.into()))
                            }
                            Type::INT8 => row.get::<_, Option<i64>>(i).map(Value::Int),
                            Type::FLOAT4 => {
                                row.get::<_, Option<f32>>(i).map(|v| Value::Float(v.into()))
                            }
                            Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Value::Float),
                            Type::BOOL => {
                                row.get::<_, Option<bool>>(i).map(|v| Value::Int(v.into()))
                            }
                            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(Value::Blob),
                            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                                row.get::<_, Option<String>>(i).map(Value::Text)
                            }
                            _ => {
                                return Err(SqlError::Database(format!(
                                    "unexpected column type {ty} for {}",
                                    col.name()
                                )));
                            }
                        };
                        values.push(v.unwrap_or(Value::Null));
                    }
                    each(values)?;
                }
                Ok(())
            }
        }
    }

    /// Runs a query and collects its rows.
    pub(crate) fn rows(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Vec<Value>>> {
        let mut out = Vec::new();
        self.each_row(sql, params, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first column of the first row, if any.
    pub(crate) fn scalar(&mut self, sql: &str, params: &[Param]) -> Result<Option<Value>> {
        Ok(self
            .rows(sql, params)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next()))
    }

    /// A datetime column or parameter expression, read as text `YYYY-MM-DD HH:MM:SS.ffffff`.
    pub(crate) fn time_text(&self, expr: &str) -> String {
        match self {
            Conn::Sqlite(_) => expr.to_owned(),
            Conn::Postgres(_) => format!("to_char({expr}, 'YYYY-MM-DD HH24:MI:SS.US')"),
        }
    }

    /// The seconds from a test run's `start_time` to its `stop_time` (alias `tr`), to the
    /// microsecond.
    pub(crate) fn duration_sql(&self) -> &'static str {
        match self {
            Conn::Sqlite(_) => {
                "(CAST(strftime('%s', tr.stop_time) AS INTEGER) \
                 - CAST(strftime('%s', tr.start_time) AS INTEGER) \
                 + (tr.stop_time_microsecond - tr.start_time_microsecond) / 1000000.0)"
            }
            Conn::Postgres(_) => {
                "(extract(epoch FROM date_trunc('second', tr.stop_time)) \
                 - extract(epoch FROM date_trunc('second', tr.start_time)) \
                 + (tr.stop_time_microsecond - tr.start_time_microsecond) / 1000000.0)"
            }
        }
    }

    /// A text expression stored into a datetime column.
    pub(crate) fn to_time(&self, expr: &str) -> String {
        match self {
            Conn::Sqlite(_) => expr.to_owned(),
            Conn::Postgres(_) => format!("CAST(CAST({expr} AS text) AS timestamp)"),
        }
    }
}
