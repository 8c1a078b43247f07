//! A real in-process sidecar on an ephemeral loopback port, with a cast of
//! users (one per role) and raw HTTP helpers.
#![allow(dead_code)]

use crate::common::engine;
use blotter::api::audit::MemoryAudit;
use blotter::api::tokens::{self, MemoryTokens, TokenStore};
use blotter::api::{ApiOptions, ApiState, Running, spawn};
use blotter::client::{Embedded, Remote, Settings};
use blotter::engine::Actor;
use blotter::model::Role;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The cast: name -> (user, tenant, role). `alice` and `bob` are advisors on
/// two tenants, `rm` a relationship manager on alice's tenant.
pub fn cast() -> Vec<(&'static str, Actor)> {
    let a = |user: &str, tenant: &str, role: Role| Actor { user: user.into(), tenant: tenant.into(), role };
    let mut v = vec![
        ("alice", a("alice", "ws", Role::Advisor)),
        ("bob", a("bob", "az", Role::Advisor)),
        ("rm", a("rm", "ws", Role::RelationshipManager)),
        ("sup", a("sup", "hq", Role::Supervisor)),
        ("admin", a("admin", "hq", Role::Admin)),
    ];
    for r in Role::ALL.into_iter().filter(|r| !r.can_execute()) {
        let name: &'static str = Box::leak(r.as_str().to_ascii_lowercase().into_boxed_str());
        v.push((name, a(name, "ws", r)));
    }
    v
}

/// The actor of a cast member.
pub fn actor(name: &str) -> Actor {
    cast().into_iter().find(|(n, _)| *n == name).map(|(_, a)| a).unwrap_or_else(|| panic!("no {name} in the cast"))
}

/// A running sidecar with its tokens and audit log.
pub struct Desk {
    pub server: Running,
    pub engine: Embedded,
    pub tokens: BTreeMap<&'static str, String>,
    pub audit: Arc<MemoryAudit>,
    pub http: reqwest::Client,
}

/// A sidecar over an AAPL engine (seed, speed) with default options.
pub async fn desk(seed: u64, speed: f64) -> Desk {
    desk_with(seed, &["AAPL"], speed, ApiOptions::default(), Settings::default()).await
}

/// A sidecar with explicit options and engine settings.
pub async fn desk_with(seed: u64, symbols: &[&str], speed: f64, options: ApiOptions, settings: Settings) -> Desk {
    let engine =
        Embedded::start_with_settings(engine(seed, symbols), speed, Actor::local(Role::Supervisor), None, settings);
    let store = Arc::new(MemoryTokens::default());
    let mut tokens_by_name = BTreeMap::new();
    for (name, a) in cast() {
        let t = tokens::create(store.as_ref() as &dyn TokenStore, &a.user, &a.tenant, a.role).await.unwrap();
        tokens_by_name.insert(name, t);
    }
    let audit = Arc::new(MemoryAudit::default());
    let state = ApiState::new(engine.clone(), store, audit.clone(), options);
    let server = spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().unwrap();
    Desk { server, engine, tokens: tokens_by_name, audit, http }
}

impl Desk {
    /// The Remote client of a cast member.
    pub fn remote(&self, name: &str) -> Remote {
        Remote::new(&self.server.url(), Some(self.tokens[name].clone())).unwrap()
    }

    /// A raw request as `name` (None = no token); the status and the JSON body (Null when not JSON).
    pub async fn send(&self, name: Option<&str>, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, format!("{}{path}", self.server.url()));
        if let Some(n) = name {
            rb = rb.bearer_auth(&self.tokens[n]);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let bytes = r.bytes().await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A raw request with a body given as bytes and a content type.
    pub async fn send_raw(&self, name: &str, method: &str, path: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = self
            .http
            .request(m, format!("{}{path}", self.server.url()))
            .bearer_auth(&self.tokens[name])
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let bytes = r.bytes().await.unwrap();
        assert!(status < 400 || ct.starts_with("application/json"), "error {status} is not JSON: {ct}");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// An order body for AAPL over the session.
pub fn order_json(qty: i64) -> Value {
    serde_json::json!({"symbol": "AAPL", "side": "buy", "qty": qty, "algo": "twap"})
}

impl Desk {
    /// The status of a request as `name` without reading the body (for the event stream).
    pub async fn status_only(&self, name: Option<&str>, method: &str, path: &str) -> u16 {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, format!("{}{path}", self.server.url()));
        if let Some(n) = name {
            rb = rb.bearer_auth(&self.tokens[n]);
        }
        rb.send().await.unwrap().status().as_u16()
    }

    /// Submits an order as `name` and returns its id.
    pub async fn submit_as(&self, name: &str, qty: i64) -> String {
        let (s, v) = self.send(Some(name), "POST", "/v1/orders", Some(order_json(qty))).await;
        assert_eq!(s, 201, "{v}");
        v["order"]["id"].as_str().unwrap().to_string()
    }
}
