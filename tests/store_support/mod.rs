//! Databases for the ledger tests: a fresh SQLite file per test, and a fresh
//! PostgreSQL database per test when `BLOTTER_TEST_POSTGRES_URL` names a
//! server (CI always sets it; without it the PostgreSQL tests say they are
//! skipped and pass).
#![allow(dead_code)]

use blotter::store::DbTarget;
use sqlx::{Connection, Executor};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming a PostgreSQL server for the tests.
pub const PG_ENV: &str = "BLOTTER_TEST_POSTGRES_URL";

/// A database that exists for one test.
pub struct Db {
    /// Where it is.
    pub target: DbTarget,
    /// The SQLite file's directory (removed at the end).
    pub dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// A fresh SQLite ledger file in its own directory.
pub fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    Db { target: DbTarget::Sqlite(dir.path().join("ledger.db")), dir: Some(dir), pg: None }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// The server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

/// A fresh PostgreSQL database, or `None` (with a notice on the terminal) when no server is configured.
pub fn postgres() -> Option<Db> {
    let Some(url) = std::env::var(PG_ENV).ok().filter(|u| !u.trim().is_empty()) else {
        static NOTICE: std::sync::Once = std::sync::Once::new();
        NOTICE.call_once(|| {
            // Written to the terminal directly: the test harness captures println!.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** PostgreSQL ledger tests SKIPPED: set {PG_ENV}=postgres://USER@HOST:PORT/DB to run them \
                 (.ci/run starts a server and sets it) ***\n"
            );
        });
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!("blotter_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    sqlx::any::install_default_drivers();
    rt().block_on(async {
        let mut c = sqlx::AnyConnection::connect(&url).await.expect("the PostgreSQL test server answers");
        c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        c.close().await.unwrap();
    });
    Some(Db { target: DbTarget::Postgres(with_database(&url, &name)), dir: None, pg: Some((url, name)) })
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((url, name)) = self.pg.take() {
            rt().block_on(async {
                if let Ok(mut c) = sqlx::AnyConnection::connect(&url).await {
                    let _ =
                        c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
                    let _ = c.close().await;
                }
            });
        }
    }
}

/// Runs SQL against the database directly (outside the ledger), returning the first column of each row as i64.
pub fn scalars(target: &DbTarget, sql: &str) -> Vec<i64> {
    sqlx::any::install_default_drivers();
    let url = match target {
        DbTarget::Sqlite(p) => format!("sqlite://{}?mode=rw", p.display()),
        DbTarget::Postgres(u) => u.clone(),
    };
    rt().block_on(async {
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&mut c).await.unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| sqlx::Row::try_get::<i64, _>(r, 0).unwrap()).collect()
    })
}

/// Runs SQL against the database directly (an SQLite file is created if missing).
pub fn execute(target: &DbTarget, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = match target {
        DbTarget::Sqlite(p) => format!("sqlite://{}?mode=rwc", p.display()),
        DbTarget::Postgres(u) => u.clone(),
    };
    rt().block_on(async {
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
}

/// Declares each listed suite function as one test per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[test] fn $name() { super::$name(&super::store_support::sqlite()); })*
        }
        mod on_postgres {
            $(#[test] fn $name() {
                if let Some(db) = super::store_support::postgres() { super::$name(&db); }
            })*
        }
    };
}

/// What the ledger reads back for an order of an engine that kept the short
/// form (`P1`): the same order, its id naming engine `e` (`E3-P1`).
pub fn on_engine(e: i64, o: &blotter::model::ParentOrder) -> blotter::model::ParentOrder {
    blotter::model::ParentOrder { id: o.id.on(u32::try_from(e).unwrap()), ..o.clone() }
}

/// The same for a child order.
pub fn child_on(e: i64, c: &blotter::model::ChildOrder) -> blotter::model::ChildOrder {
    let mut c = c.clone();
    c.id.parent = c.id.parent.on(u32::try_from(e).unwrap());
    c
}

/// The same for a fill.
pub fn fill_on(e: i64, f: &blotter::model::Fill) -> blotter::model::Fill {
    let mut f = f.clone();
    f.child.parent = f.child.parent.on(u32::try_from(e).unwrap());
    f
}
