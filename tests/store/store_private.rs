//! What a ledger failure lets users see: `StoreError::for_users` says what
//! could not be done in our words, never the database's text (file path,
//! SQL, the driver's message), which `Display` keeps for the server's log.
//! On an SQLite file made unwritable under an open ledger (`chattr +i`;
//! skipped, saying so, where that is not available).

use blotter::engine::Actor;
use blotter::model::Role;
use blotter::store::tokens::StoredToken;
use blotter::store::{DbTarget, Ledger};
use std::process::Command;

/// Clears the immutable flag again, whatever happened.
struct Unlock(Vec<String>);

impl Drop for Unlock {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.0).output();
    }
}

#[test]
fn a_write_to_an_unwritable_sqlite_ledger_is_told_to_users_without_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&DbTarget::Sqlite(path.clone())).unwrap();
    let handle = ledger.handle();
    let files: Vec<String> = ["", "-wal"].iter().map(|x| format!("{}{x}", path.display())).collect();
    if !Command::new("chattr").arg("+i").args(&files).output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: chattr +i is not available here (the unwritable-ledger test)");
        return;
    }
    let _unlock = Unlock(files);
    let t = StoredToken {
        id: "cccc".into(),
        hash: "cccc".into(),
        user: "lena".into(),
        tenant: "ws".into(),
        role: Role::Advisor,
        created_at: 2,
        created_by: "admin".into(),
        revoked_at: None,
        revoked_by: None,
        expires_at: None,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let e = rt.block_on(handle.insert_token(t, &Actor::local(Role::Admin))).expect_err("the file cannot be written");
    // The operator's text has the driver's message (so the test could fail)...
    let log = e.to_string();
    assert!(log.contains("error returned from database"), "{log}");
    // ...what users see says what failed, and nothing of the database.
    let users = e.for_users();
    assert_eq!(users, "the ledger database failed while storing a token");
    for w in [dir.path().to_str().unwrap(), "ledger.db", "sqlite", "error returned", "(code:", "insert"] {
        assert!(!users.to_lowercase().contains(&w.to_lowercase()), "{users} has {w:?}");
    }
}
