//! A ledger file that is corrupt, or another application's SQLite database,
//! is refused with a clear error and left byte for byte as it was; so is a
//! `--db` that names something blotter cannot use.

use crate::store_support;

use blotter::store::{DbTarget, Ledger, StoreError};
use std::process::Command;

fn refuse(path: &std::path::Path) -> String {
    let before = std::fs::read(path).unwrap();
    let err = Ledger::open(&DbTarget::Sqlite(path.to_path_buf())).unwrap_err();
    assert!(matches!(err, StoreError::Unusable { .. }), "{err}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file is unchanged");
    let wal = path.with_file_name(format!("{}-wal", path.file_name().unwrap().to_string_lossy()));
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "nothing was logged for it");
    err.to_string()
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let msg = refuse(&path);
    assert!(msg.contains("not an SQLite database") && msg.contains("nothing was changed"), "{msg}");
}

#[test]
fn a_damaged_ledger_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&DbTarget::Sqlite(path.clone())).unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..16].copy_from_slice(b"garbage-garbage!");
    std::fs::write(&path, &bytes).unwrap();
    let msg = refuse(&path);
    assert!(msg.contains("nothing was changed"), "{msg}");
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    store_support::execute(
        &DbTarget::Sqlite(path.clone()),
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');",
    );
    let msg = refuse(&path);
    assert!(msg.contains("of something else (tables: notes)"), "{msg}");
}

#[test]
fn the_cli_reports_an_unusable_ledger_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    std::fs::write(&path, b"not a database at all").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .env("BLOTTER_DATA_DIR", dir.path())
        .env_remove("BLOTTER_DB")
        .args(["history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("ledger sqlite:{}", path.display())) && err.contains("not an SQLite database"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_blotter")).args(["history", "--db", "mysql://h/d"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db: 'mysql' databases are not supported"));
}

#[test]
fn the_sqlite_ledger_runs_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&DbTarget::Sqlite(dir.path().join("ledger.db"))).unwrap();
    let (mode, sync): (String, i64) = ledger.block_on(async {
        let mut c = ledger.pool().acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *c).await.unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *c).await.unwrap();
        (mode, sync)
    });
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL: every commit is synced");
}
