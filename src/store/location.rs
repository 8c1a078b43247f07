//! Which database the ledger lives in: `--db sqlite:PATH`, `--db postgres://...`,
//! or by default `ledger.db` in the user's data directory (`BLOTTER_DATA_DIR`
//! overrides the directory, which is how the tests keep to a temporary one).

use super::{Backend, StoreError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable that replaces the user's data directory.
pub const DATA_DIR_ENV: &str = "BLOTTER_DATA_DIR";
/// File name of the default ledger inside the data directory.
pub const DEFAULT_FILE: &str = "ledger.db";

/// A database to keep the ledger in.
#[derive(Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// An SQLite file, created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://user:password@host:port/db`).
    Postgres(String),
}

/// The default ledger file: `$BLOTTER_DATA_DIR/ledger.db`, else `ledger.db` in
/// the platform's data directory for blotter (`~/.local/share/blotter` on Linux).
pub fn default_path() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(DEFAULT_FILE));
    }
    directories::ProjectDirs::from("", "", "blotter").map(|d| d.data_dir().join(DEFAULT_FILE)).ok_or_else(|| {
        StoreError::Url(format!("no home directory to keep the ledger in; set {DATA_DIR_ENV} or pass --db sqlite:PATH"))
    })
}

impl DbTarget {
    /// The database named by `--db`, or the default ledger when absent.
    pub fn resolve(arg: Option<&str>) -> Result<DbTarget, StoreError> {
        match arg {
            Some(s) => DbTarget::parse(s),
            None => Ok(DbTarget::Sqlite(default_path()?)),
        }
    }

    /// Parses a `--db` value: `sqlite:PATH`, `sqlite://PATH`, a bare file path,
    /// or `postgres://...` / `postgresql://...`.
    pub fn parse(s: &str) -> Result<DbTarget, StoreError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(StoreError::Url("empty; allowed: sqlite:PATH or postgres://USER@HOST/DB".into()));
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DbTarget::Postgres(t.to_string()));
        }
        let path = if let Some(rest) = t.strip_prefix("sqlite://").or_else(|| t.strip_prefix("sqlite:")) {
            rest
        } else if t.contains("://") {
            let scheme = t.split("://").next().unwrap_or_default();
            return Err(StoreError::Url(format!(
                "'{scheme}' databases are not supported; allowed: sqlite:PATH or postgres://USER@HOST/DB"
            )));
        } else {
            t
        };
        if path.is_empty() || path == ":memory:" || path.contains("mode=memory") {
            return Err(StoreError::Url(format!(
                "'{t}' is not a file; an in-memory database would not survive the process: give sqlite:PATH"
            )));
        }
        if path.contains('?') {
            return Err(StoreError::Url(format!(
                "'{t}': options after '?' are not accepted; blotter sets the SQLite options itself"
            )));
        }
        Ok(DbTarget::Sqlite(PathBuf::from(path)))
    }

    /// Which dialect the database speaks.
    pub fn backend(&self) -> Backend {
        match self {
            DbTarget::Sqlite(_) => Backend::Sqlite,
            DbTarget::Postgres(_) => Backend::Postgres,
        }
    }

    /// The sqlx connection URL. SQLite files are created when missing (`mode=rwc`);
    /// `create` false opens an existing file only.
    pub(crate) fn url(&self, create: bool) -> Result<String, StoreError> {
        match self {
            DbTarget::Postgres(u) => Ok(u.clone()),
            DbTarget::Sqlite(p) => {
                let s = p.to_str().ok_or_else(|| {
                    StoreError::Url(format!("{} is not valid UTF-8; choose another path", p.display()))
                })?;
                // sqlx percent-decodes the path, so encode what it would misread.
                let enc = s.replace('%', "%25").replace('?', "%3F").replace('#', "%23");
                Ok(format!("sqlite://{enc}?mode={}", if create { "rwc" } else { "rw" }))
            }
        }
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DbTarget::Sqlite(p) => Some(p),
            DbTarget::Postgres(_) => None,
        }
    }
}

impl fmt::Display for DbTarget {
    /// The database as it may be printed: a PostgreSQL password is masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbTarget::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            DbTarget::Postgres(u) => f.write_str(&mask_password(u)),
        }
    }
}

impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_forms() {
        assert_eq!(DbTarget::parse("sqlite:/tmp/a.db").unwrap(), DbTarget::Sqlite("/tmp/a.db".into()));
        assert_eq!(DbTarget::parse("sqlite:///tmp/a.db").unwrap(), DbTarget::Sqlite("/tmp/a.db".into()));
        assert_eq!(DbTarget::parse("ledger.db").unwrap(), DbTarget::Sqlite("ledger.db".into()));
        assert_eq!(DbTarget::parse("postgres://u@h/d").unwrap().backend(), Backend::Postgres);
        assert_eq!(DbTarget::parse("postgresql://u@h/d").unwrap().backend(), Backend::Postgres);
    }

    #[test]
    fn refuses_what_would_not_work() {
        let e = DbTarget::parse("mysql://h/d").unwrap_err().to_string();
        assert!(e.starts_with("--db: 'mysql' databases are not supported"), "{e}");
        assert!(DbTarget::parse("sqlite::memory:").unwrap_err().to_string().contains("in-memory"));
        assert!(DbTarget::parse("sqlite:a.db?mode=ro").unwrap_err().to_string().contains("after '?'"));
        assert!(DbTarget::parse("  ").is_err());
    }

    #[test]
    fn urls_encode_paths_and_hide_passwords() {
        let t = DbTarget::Sqlite("/tmp/50%?#.db".into());
        assert_eq!(t.url(true).unwrap(), "sqlite:///tmp/50%25%3F%23.db?mode=rwc");
        assert_eq!(t.url(false).unwrap(), "sqlite:///tmp/50%25%3F%23.db?mode=rw");
        let pg = DbTarget::parse("postgres://desk:s3cret@db.local:5432/blotter").unwrap();
        assert_eq!(pg.to_string(), "postgres://desk:***@db.local:5432/blotter");
        assert_eq!(DbTarget::parse("postgres://desk@h/d").unwrap().to_string(), "postgres://desk@h/d");
    }
}
