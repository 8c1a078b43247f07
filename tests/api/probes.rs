//! `/healthz` and `/readyz` tell a caller without a token (a load balancer's
//! probe, or anyone) the status alone: they told anyone the desk's open-order
//! count, last sequence and ledger state. A valid token has the detail. `/readyz` checks the token store once a second at most, whatever
//! the number of probes: each one was a database query.

use crate::support::{cast, desk_with};
use blotter::api::ApiOptions;
use blotter::api::audit::MemoryAudit;
use blotter::api::tokens::{self, MemoryTokens, StoreError, TokenRecord, TokenStore};
use blotter::api::{ApiState, spawn};
use blotter::client::{Client, Embedded, Settings};
use blotter::engine::Actor;
use blotter::model::Role;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A token store that counts the readiness probe's lookups.
#[derive(Default)]
struct Counting {
    inner: MemoryTokens,
    probes: AtomicUsize,
}

impl TokenStore for Counting {
    fn insert(&self, record: TokenRecord) -> BoxFuture<'_, Result<(), StoreError>> {
        self.inner.insert(record)
    }
    fn lookup(&self, hash: &str) -> BoxFuture<'_, Result<Option<TokenRecord>, StoreError>> {
        if hash == "readiness-probe" {
            self.probes.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.lookup(hash)
    }
    fn revoke(&self, id_or_token: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.revoke(id_or_token)
    }
    fn list(&self) -> BoxFuture<'_, Result<Vec<TokenRecord>, StoreError>> {
        self.inner.list()
    }
    fn set_expiry(&self, id: &str, at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.inner.set_expiry(id, at)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_without_a_token_get_the_status_alone() {
    let d = desk_with(81, &["AAPL"], 1.0, ApiOptions::default(), Settings::default()).await;
    d.submit_as("alice", 100).await;
    assert_eq!(d.send(None, "GET", "/healthz", None).await, (200, json!({"status": "ok"})));
    assert_eq!(d.send(None, "GET", "/readyz", None).await, (200, json!({"ready": true})));
    // A token, of any role: the detail (as the embedded client gives every user).
    let (status, h) = d.send(Some("alice"), "GET", "/healthz", None).await;
    assert_eq!((status, h["status"].as_str(), h["openOrders"].as_u64()), (200, Some("ok"), Some(1)), "{h}");
    let (status, r) = d.send(Some("alice"), "GET", "/readyz", None).await;
    assert_eq!((status, &r["checks"]), (200, &json!({"engine": "ok", "ledger": "ok", "tokens": "ok"})), "{r}");
    assert_eq!(d.remote("alice").health().await.unwrap().open_orders, 1, "the Remote client has the detail");
    let persona = cast().into_iter().find(|(_, a)| !a.role.can_execute()).unwrap().0;
    let (status, r) = d.send(Some(persona), "GET", "/readyz", None).await;
    assert_eq!((status, r["checks"]["tokens"].as_str()), (200, Some("ok")), "{persona}: {r}");
    // A made-up token is refused as on every route, not answered as anonymous.
    let res = d.http.get(format!("{}/healthz", d.server.url())).bearer_auth("blt_madeup").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_readiness_check_answers_a_burst_of_probes() {
    let engine = Embedded::start_with_settings(
        crate::common::engine(82, &["AAPL"]),
        1.0,
        Actor::local(Role::Supervisor),
        None,
        Settings::default(),
    );
    let store = Arc::new(Counting::default());
    tokens::create(store.as_ref() as &dyn TokenStore, "alice", "ws", Role::Advisor).await.unwrap();
    let state = ApiState::new(engine, store.clone(), Arc::new(MemoryAudit::default()), ApiOptions::default());
    let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let probe = || async {
        let r = http.get(format!("{}/readyz", server.url())).send().await.unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    };
    // 40 probes at once: they share the check under way (each was a query).
    let answers = futures_util::future::join_all((0..40).map(|_| probe())).await;
    assert!(answers.iter().all(|a| *a == (200, json!({"ready": true}))), "{answers:?}");
    let probes = store.probes.load(Ordering::SeqCst);
    assert!((1..40).contains(&probes), "{probes} lookups for 40 probes");
}
