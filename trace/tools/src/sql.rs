//! What the results-database binaries (`subunit2sql`, `sql2subunit`,
//! `subunit2sql-db-manage`, `subunit-sql`) share: where the database is, as oslo.db reads it.
//! Their errors become exit codes in [`crate::cli`], as every tool's do.

use std::path::PathBuf;

use crate::cli::ToolError;

/// Where the database is: `--database-connection`, or `[database] connection` in a
/// `--config-file`, as oslo.db reads them.
#[derive(clap::Args, Debug)]
pub struct DbArgs {
    /// The database URL: sqlite:///PATH (relative) or sqlite:////PATH (absolute),
    /// postgresql://USER:PASSWORD@HOST:PORT/DBNAME
    #[arg(long = "database-connection", value_name = "URL", global = true)]
    pub connection: Option<String>,
    /// oslo.config files; the last `[database] connection` among them is the URL.
    #[arg(
        long = "config-file",
        value_name = "PATH",
        global = true,
        help = "An oslo.config file whose [database] section names the connection"
    )]
    pub config_file: Vec<PathBuf>,
}

impl DbArgs {
    /// The URL to connect to: `--database-connection`, else the last `[database]
    /// connection` of the config files.
    ///
    /// # Errors
    ///
    /// [`ToolError::Input`] for a config file that cannot be read, [`ToolError::Usage`] when
    /// no connection is given.
    pub fn url(&self) -> Result<String, ToolError> {
        if let Some(url) = &self.connection {
            return Ok(url.clone());
        }
        let mut found = None;
        for path in &self.config_file {
            let text = std::fs::read_to_string(path).map_err(|source| ToolError::Input {
                path: path.clone(),
                source,
            })?;
            let mut section = String::new();
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with('[') && line.ends_with(']') {
                    section = line[1..line.len() - 1].trim().to_owned();
                } else if section == "database"
                    && let Some((k, v)) = line.split_once(['=', ':'])
                    && k.trim() == "connection"
                {
                    found = Some(v.trim().to_owned());
                }
            }
        }
        found.ok_or_else(|| {
            ToolError::Usage(
                "no database given: use --database-connection URL (sqlite:///PATH or \
                 postgresql://...) or a --config-file with [database] connection"
                    .to_owned(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_database_connection_of_the_config_files_wins() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.conf");
        let b = dir.path().join("b.conf");
        std::fs::write(&a, "[database]\nconnection = sqlite:///a.db\n").unwrap();
        std::fs::write(
            &b,
            "[DEFAULT]\nconnection=x\n[database]\nconnection: sqlite:///b.db\n",
        )
        .unwrap();
        let args = DbArgs {
            connection: None,
            config_file: vec![a.clone(), b],
        };
        assert_eq!(args.url().unwrap(), "sqlite:///b.db");
        let args = DbArgs {
            connection: Some("sqlite://".into()),
            config_file: vec![a],
        };
        assert_eq!(args.url().unwrap(), "sqlite://");
        let none = DbArgs {
            connection: None,
            config_file: vec![],
        };
        assert!(matches!(none.url(), Err(ToolError::Usage(_))));
        let missing = DbArgs {
            connection: None,
            config_file: vec![dir.path().join("missing")],
        };
        assert!(matches!(missing.url(), Err(ToolError::Input { .. })));
    }
}
