//! The versioned schema. Migrations live in `migrations/` in the repository,
//! are compiled into the binary and applied at start-up by sqlx's migrator
//! (checksummed, locked on PostgreSQL, idempotent). Before anything is
//! written, `check` makes sure the database is empty or a ledger this build
//! understands: a corrupt file, someone else's database or a ledger from a
//! newer blotter gets a clear error and is left exactly as it was.

use super::db::unusable_reason;
use super::{Backend, DbTarget, StoreError};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyConnection, AnyPool, Connection, Row, SqlSafeStr};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 5;

/// The version of every migration this build applies, oldest first.
pub fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.0).collect()
}

/// Our migration history table (not sqlx's default, so a shared PostgreSQL
/// database used by another sqlx application does not mix histories).
const HISTORY: &str = "blotter_migrations";

/// Every migration, oldest first.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "ledger", include_str!("../../migrations/0001_ledger.sql")),
    (2, "sidecar", include_str!("../../migrations/0002_sidecar.sql")),
    (3, "risk controls", include_str!("../../migrations/0003_risk_controls.sql")),
    (4, "desk", include_str!("../../migrations/0004_desk.sql")),
    (5, "token expiry", include_str!("../../migrations/0005_token_expiry.sql")),
];

/// Tables the ledger creates; finding any of them without a history means the
/// database was tampered with or half-created by something else.
const OURS: &[&str] = &[
    "engines",
    "parents",
    "children",
    "fills",
    "events",
    "audit",
    "tca",
    "algo_config",
    "tokens",
    "risk_version",
    "risk_tenants",
    "risk_limits",
    "risk_changes",
    "desk_commands",
];

/// Refuses a database that is not empty and not a ledger this build can use,
/// without modifying it.
pub(crate) async fn check(target: &DbTarget) -> Result<(), StoreError> {
    if let Some(p) = target.sqlite_path() {
        if !p.exists() {
            return Ok(());
        }
        if p.is_dir() {
            return Err(StoreError::Unusable {
                target: target.to_string(),
                message: "is a directory, not a database file".into(),
            });
        }
    }
    sqlx::any::install_default_drivers();
    // A plain connection: no pragmas, and an SQLite file is opened, never created.
    let mut conn =
        AnyConnection::connect(&target.url(false)?).await.map_err(|e| super::db::connect_error(target, &e))?;
    let result = inspect(&mut conn, target).await;
    let _ = conn.close().await;
    result
}

async fn inspect(conn: &mut AnyConnection, target: &DbTarget) -> Result<(), StoreError> {
    let unusable = |message: String| StoreError::Unusable { target: target.to_string(), message };
    let read_error = |e: sqlx::Error| match unusable_reason(&e) {
        Some(reason) => unusable(reason),
        None => StoreError::db("reading the schema", e),
    };
    let list = match target.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema()"
        }
    };
    let tables: Vec<String> = sqlx::query(list)
        .fetch_all(&mut *conn)
        .await
        .map_err(read_error)?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    if tables.iter().any(|t| t == HISTORY) {
        let rows = sqlx::query("SELECT version, CASE WHEN success THEN 1 ELSE 0 END FROM blotter_migrations")
            .fetch_all(&mut *conn)
            .await
            .map_err(read_error)?;
        for r in rows {
            let version: i64 = r.try_get(0).map_err(read_error)?;
            let ok: i64 = r.try_get(1).map_err(read_error)?;
            if ok == 0 {
                return Err(unusable(format!(
                    "the upgrade to schema version {version} failed half-way; nothing was changed; \
                     restore the database from a backup"
                )));
            }
            if version > SCHEMA_VERSION {
                return Err(unusable(format!(
                    "was written by a newer blotter (schema version {version}; this build knows up to \
                     {SCHEMA_VERSION}); nothing was changed; upgrade blotter to use it"
                )));
            }
        }
        return Ok(());
    }
    let ours: Vec<&String> = tables.iter().filter(|t| OURS.contains(&t.as_str())).collect();
    if !ours.is_empty() {
        return Err(unusable(format!(
            "has ledger tables ({}) but no schema history, so it cannot be trusted; nothing was changed",
            ours.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    // A PostgreSQL database may hold other applications' tables; an SQLite
    // ledger file is ours alone.
    if target.backend() == Backend::Sqlite && !tables.is_empty() {
        return Err(unusable(format!(
            "is an SQLite database of something else (tables: {}); nothing was changed",
            tables.join(", ")
        )));
    }
    Ok(())
}

/// Applies every migration not yet applied. Running it again changes nothing.
pub(crate) async fn migrate(pool: &AnyPool, target: &DbTarget) -> Result<(), StoreError> {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(v, name, sql)| Migration::new(v, name.into(), MigrationType::Simple, sql.into_sql_str(), false))
        .collect();
    let mut m = Migrator::with_migrations(migrations);
    m.dangerous_set_table_name(HISTORY);
    let result = match target.backend() {
        // PostgreSQL: the migrator takes an advisory lock itself.
        Backend::Postgres => m.run(pool).await,
        // SQLite has no such lock: two processes creating a fresh ledger at
        // once would both apply version 1. One write transaction around the
        // whole run makes the second wait, then find it applied.
        Backend::Sqlite => {
            let mut conn = pool.acquire().await.map_err(|e| StoreError::db("migrating", e))?;
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(|e| StoreError::db("migrating", e))?;
            match m.run(&mut *tx).await {
                Ok(()) => tx.commit().await.map_err(MigrateError::from),
                Err(e) => Err(e),
            }
        }
    };
    result.map_err(|e| {
        let message = match e {
            MigrateError::VersionMismatch(v) => format!(
                "schema version {v} in the database differs from this build's (modified or corrupt); nothing was changed"
            ),
            MigrateError::VersionMissing(v) => format!(
                "was written by a newer blotter (schema version {v} is unknown to this build); nothing was changed"
            ),
            MigrateError::Dirty(v) => format!("the upgrade to schema version {v} failed half-way; restore a backup"),
            other => match &other {
                MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
                    unusable_reason(inner).unwrap_or_else(|| format!("schema upgrade failed: {other}"))
                }
                _ => format!("schema upgrade failed: {other}"),
            },
        };
        StoreError::Unusable { target: target.to_string(), message }
    })
}
