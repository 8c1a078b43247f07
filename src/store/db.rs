//! Connections and the two small differences between the dialects.
//!
//! sqlx's `Any` driver passes SQL through untouched, so the one thing every
//! query needs is its placeholders in the right form (`?` for SQLite, `$n`
//! for PostgreSQL): queries are written with `?` and rewritten here. SQLite
//! gets WAL and `synchronous=FULL` on every connection (through `Any` only
//! URL options apply, so they are set after connecting).

use super::{DbTarget, StoreError};
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Any, AnyPool, AssertSqlSafe};
use std::time::Duration;

/// A SQL dialect the ledger speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (embedded, the default).
    Sqlite,
    /// PostgreSQL (shared desks).
    Postgres,
}

/// A runtime query with bound arguments.
pub(crate) type Q = sqlx::query::Query<'static, Any, AnyArguments>;

/// Pool size: one writer, the rest for readers.
const POOL_SIZE: u32 = 4;

impl Backend {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// `sql` with its `?` placeholders in this dialect's form. Our SQL never
    /// holds a `?` inside a string literal, so a plain scan is enough.
    pub(crate) fn sql(self, sql: &str) -> String {
        match self {
            Backend::Sqlite => sql.to_string(),
            Backend::Postgres => {
                let mut out = String::with_capacity(sql.len() + 16);
                let mut n = 0;
                for ch in sql.chars() {
                    if ch == '?' {
                        n += 1;
                        out.push('$');
                        out.push_str(&n.to_string());
                    } else {
                        out.push(ch);
                    }
                }
                out
            }
        }
    }

    /// A query in this dialect, ready for `.bind(...)`.
    pub(crate) fn q(self, sql: &str) -> Q {
        sqlx::query(AssertSqlSafe(self.sql(sql)))
    }

    /// SQL for the database's clock in Unix milliseconds: leases are judged
    /// by one clock, whatever the hosts' clocks say.
    pub(crate) fn now_ms(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS BIGINT)",
            Backend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)",
        }
    }

    /// The statement that opens a write transaction. SQLite takes the write
    /// lock at once so two writers wait for each other instead of failing.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// Opens a pool on `target`; SQLite connections get WAL, full sync and foreign keys.
pub(crate) async fn connect_pool(target: &DbTarget) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let url = target.url(true)?;
    let backend = target.backend();
    AnyPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; FULL syncs the WAL on
                    // every commit, which is what "committed" has to mean here.
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000;",
                    )
                    .execute(&mut *conn)
                    .await?;
                } else {
                    sqlx::query("SELECT set_config('application_name', $1, false)")
                        .bind(super::lease::session_tag())
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        // A connection still inside a transaction is closed, not handed out
        // again: when a commit fails for want of room SQLite has already
        // rolled the transaction back, the rollback sqlx queues then fails,
        // and sqlx counts the connection as in a transaction for ever (every
        // later `begin_with` on it: "non-zero transaction depth"). Checked on
        // acquiring, after the pool's own ping on release has run what was
        // queued (a dropped transaction's rollback): no extra round trip.
        .before_acquire(|conn, _| {
            Box::pin(async move {
                use sqlx::Connection;
                Ok(!conn.is_in_transaction())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| connect_error(target, &e))
}

/// A connection error with a hint for the usual causes.
pub(crate) fn connect_error(target: &DbTarget, e: &sqlx::Error) -> StoreError {
    if let Some(reason) = unusable_reason(e) {
        return StoreError::Unusable { target: target.to_string(), message: reason };
    }
    let mut message = e.to_string();
    if let Some(p) = target.sqlite_path()
        && let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        message = format!("directory {} does not exist", dir.display());
    }
    StoreError::Connect { target: target.to_string(), message }
}

/// If `e` says the file is not a database or is damaged, the explanation.
pub(crate) fn unusable_reason(e: &sqlx::Error) -> Option<String> {
    let text = e.to_string().to_ascii_lowercase();
    if text.contains("not a database") || text.contains("file is encrypted") {
        return Some("the file is not an SQLite database (corrupt or something else); nothing was changed".into());
    }
    if text.contains("readonly database") || text.contains("read-only") {
        return Some(
            "is read-only for this process; blotter writes to a ledger even to read it (the schema check, \
             SQLite's write-ahead log beside the file): give it write access to the file and its directory, \
             or work on a copy; nothing was changed"
                .into(),
        );
    }
    if text.contains("malformed") || text.contains("corrupt") {
        return Some(format!("the database is damaged ({e}); nothing was changed; restore it from a backup"));
    }
    None
}

/// True when `e` is a primary-key or unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_ledger_is_explained() {
        let e = sqlx::Error::Protocol("attempt to write a readonly database".into());
        let why = unusable_reason(&e).unwrap();
        assert!(why.starts_with("is read-only for this process") && why.contains("write access"), "{why}");
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        let q = "SELECT a FROM t WHERE b = ? AND c IN (?, ?)";
        assert_eq!(Backend::Sqlite.sql(q), q);
        assert_eq!(Backend::Postgres.sql(q), "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)");
    }
}
