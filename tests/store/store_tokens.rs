//! Token expiry in the ledger (schema version 5): a ledger of version 4
//! with tokens is upgraded in place and its tokens keep no expiry (they keep
//! working); a new token's expiry is stored and read back to the millisecond.
//! On SQLite, and on PostgreSQL when `BLOTTER_TEST_POSTGRES_URL` is set.

use crate::store_support::{self, Db, execute, scalars};
use blotter::engine::Actor;
use blotter::model::Role;
use blotter::store::Ledger;
use blotter::store::tokens::StoredToken;

on_both_backends!(
    a_version_4_ledgers_tokens_keep_working_without_expiry,
    a_tokens_expiry_is_changed_in_place_and_audited
);

fn a_version_4_ledgers_tokens_keep_working_without_expiry(db: &Db) {
    use sqlx::Connection;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    sqlx::any::install_default_drivers();
    let url = match &db.target {
        blotter::store::DbTarget::Sqlite(p) => format!("sqlite://{}?mode=rwc", p.display()),
        blotter::store::DbTarget::Postgres(u) => u.clone(),
    };
    // The four migrations of a version 4 build, applied as it did.
    let before = [
        (1, "ledger", include_str!("../../migrations/0001_ledger.sql")),
        (2, "sidecar", include_str!("../../migrations/0002_sidecar.sql")),
        (3, "risk controls", include_str!("../../migrations/0003_risk_controls.sql")),
        (4, "desk", include_str!("../../migrations/0004_desk.sql")),
    ];
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ms = before
            .iter()
            .map(|&(v, n, sql)| {
                Migration::new(v, n.into(), MigrationType::Simple, sqlx::SqlSafeStr::into_sql_str(sql), false)
            })
            .collect();
        let mut m = Migrator::with_migrations(ms);
        m.dangerous_set_table_name("blotter_migrations");
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        m.run(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
    execute(
        &db.target,
        "INSERT INTO tokens (hash, id, user_name, tenant, role, created_at, created_by) \
         VALUES ('aaaa', 'aaaa', 'olga', 'ws', 'ADVISOR', 1, 'admin')",
    );
    let ledger = Ledger::open(&db.target).unwrap();
    assert_eq!(scalars(&db.target, "SELECT MAX(version) FROM blotter_migrations"), [5]);
    let handle = ledger.handle();
    let admin = Actor::local(Role::Admin);
    let (old, new) = rt.block_on(async {
        let t = StoredToken {
            id: "bbbb".into(),
            hash: "bbbb".into(),
            user: "lena".into(),
            tenant: "ws".into(),
            role: Role::Advisor,
            created_at: 2,
            created_by: "admin".into(),
            revoked_at: None,
            revoked_by: None,
            // 2027-01-31T00:00:00.123Z
            expires_at: Some(1_801_353_600_123),
        };
        handle.insert_token(t, &admin).await.unwrap();
        (handle.token_by_hash("aaaa").await.unwrap(), handle.token_by_hash("bbbb").await.unwrap())
    });
    let old = old.expect("the version 4 token is still found");
    assert_eq!((old.user.as_str(), old.expires_at), ("olga", None));
    assert_eq!(new.expect("stored").expires_at, Some(1_801_353_600_123));
    let listed = rt.block_on(handle.tokens()).unwrap();
    assert_eq!(listed.iter().map(|t| t.expires_at).collect::<Vec<_>>(), [None, Some(1_801_353_600_123)]);
    drop(ledger);
}

fn a_tokens_expiry_is_changed_in_place_and_audited(db: &Db) {
    let ledger = Ledger::open(&db.target).unwrap();
    let handle = ledger.handle();
    let admin = Actor::local(Role::Admin);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let token = |id: &str, expires_at| StoredToken {
        id: id.into(),
        hash: format!("{id}{id}"),
        user: "lena".into(),
        tenant: "ws".into(),
        role: Role::Advisor,
        created_at: 2,
        created_by: "admin".into(),
        revoked_at: None,
        revoked_by: None,
        expires_at,
    };
    rt.block_on(async {
        handle.insert_token(token("dddd", Some(1_801_353_600_123)), &admin).await.unwrap();
        handle.insert_token(token("eeee", None), &admin).await.unwrap();
        // By id, then by hash; to a time, then to never.
        assert_eq!(handle.set_token_expiry("dddd", None, Some(1_900_000_000_000), &admin).await.unwrap(), ["dddd"]);
        assert_eq!(handle.token_by_hash("dddddddd").await.unwrap().unwrap().expires_at, Some(1_900_000_000_000));
        assert_eq!(handle.set_token_expiry("eeeeeeee", None, Some(5), &admin).await.unwrap(), ["eeee"]);
        assert_eq!(handle.set_token_expiry("dddd", None, None, &admin).await.unwrap(), ["dddd"]);
        assert_eq!(handle.token_by_hash("dddddddd").await.unwrap().unwrap().expires_at, None);
        // Unknown, or revoked: nothing matched, nothing written.
        assert!(handle.set_token_expiry("ffff", None, Some(5), &admin).await.unwrap().is_empty());
        handle.revoke_token("eeee", None, &admin).await.unwrap();
        assert!(handle.set_token_expiry("eeee", None, None, &admin).await.unwrap().is_empty());
    });
    let audit = crate::store_support::scalars(&db.target, "SELECT COUNT(*) FROM audit WHERE action = 'token_expire'");
    assert_eq!(audit, [3], "each change audited once");
    let filter = blotter::store::refusals::AuditFilter { limit: 100, ..Default::default() };
    let rows = rt.block_on(handle.audit_records(filter)).unwrap();
    let first = rows.iter().rev().find(|r| r.action == "token_expire").unwrap();
    // 1_801_353_600_123 ms is 2027-01-31T00:00:00Z; 1_900_000_000_000 ms is 2030-03-17T17:46:40Z.
    assert!(
        first.detail.contains("\"was\":\"2027-01-31T00:00:00Z\"") && first.detail.contains("2030-03-17T17:46:40Z"),
        "{}",
        first.detail
    );
    drop(ledger);
}
