//! Database URLs as SQLAlchemy spells them.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::SqlError;

/// Where the database is: a parsed `--database-connection` URL.
///
/// - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db` (SQLAlchemy's rule: what
///   follows the third slash is the path) and `sqlite://` (a database in memory);
/// - `postgresql://user:password@host:port/dbname` (also `postgres://` and a driver suffix such
///   as `postgresql+psycopg2://`, which is dropped), with libpq's query parameters.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, or memory when `None`.
    Sqlite(Option<PathBuf>),
    /// A PostgreSQL server; the URL as the `postgres` driver reads it.
    Postgres(String),
}

impl DatabaseUrl {
    /// The URL with any password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(None) => "sqlite://".to_owned(),
            DatabaseUrl::Sqlite(Some(p)) => format!("sqlite:///{}", p.display()),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }

    /// Whether this is a PostgreSQL URL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }
}

fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for DatabaseUrl {
    type Err = SqlError;

    fn from_str(url: &str) -> Result<Self, SqlError> {
        let bad = |reason: &str| SqlError::BadUrl {
            url: redact(url),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected sqlite:///PATH or postgresql://..."))?;
        let backend = scheme.split('+').next().unwrap_or(scheme);
        match backend {
            "sqlite" => {
                if rest.is_empty() {
                    return Ok(DatabaseUrl::Sqlite(None));
                }
                let path = rest
                    .strip_prefix('/')
                    .ok_or_else(|| bad("an SQLite URL is sqlite:///PATH (three slashes)"))?;
                let path = path.split('?').next().unwrap_or(path);
                if path.is_empty() || path == ":memory:" {
                    Ok(DatabaseUrl::Sqlite(None))
                } else {
                    Ok(DatabaseUrl::Sqlite(Some(PathBuf::from(path))))
                }
            }
            "postgresql" | "postgres" => Ok(DatabaseUrl::Postgres(format!("postgresql://{rest}"))),
            "mysql" => Err(bad(
                "MySQL is not supported; use sqlite:/// or postgresql://",
            )),
            _ => Err(bad(
                "unknown database backend; use sqlite:/// or postgresql://",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_spellings() {
        let u: DatabaseUrl = "sqlite:////tmp/x.db".parse().unwrap();
        assert_eq!(u, DatabaseUrl::Sqlite(Some("/tmp/x.db".into())));
        let u: DatabaseUrl = "sqlite:///x.db".parse().unwrap();
        assert_eq!(u, DatabaseUrl::Sqlite(Some("x.db".into())));
        assert_eq!(
            "sqlite://".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite(None)
        );
        let u: DatabaseUrl = "postgresql+psycopg2://u:secret@h:5/db".parse().unwrap();
        assert_eq!(
            u,
            DatabaseUrl::Postgres("postgresql://u:secret@h:5/db".into())
        );
        assert_eq!(u.redacted(), "postgresql://u:***@h:5/db");
        assert!("mysql+pymysql://x".parse::<DatabaseUrl>().is_err());
        assert!("/tmp/x.db".parse::<DatabaseUrl>().is_err());
    }
}
