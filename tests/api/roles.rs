//! Every role against every route, with the status each must get; every
//! refusal lands in the audit log.

use crate::support::{Desk, actor, desk_with, order_json};
use blotter::api::ApiOptions;
use blotter::api::limit::RateLimit;
use blotter::client::Settings;
use blotter::model::Role;
use serde_json::{Value, json};

/// How a cast member relates to the order a route is about (alice owns it).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Owner,
    Peer,
    Sup,
    Admin,
    Client,
}

fn who(name: &str) -> Who {
    match actor(name).role {
        Role::Admin => Who::Admin,
        Role::Supervisor => Who::Sup,
        _ if name == "alice" => Who::Owner,
        r if r.can_execute() => Who::Peer,
        _ => Who::Client,
    }
}

/// What a route needs before it is called.
#[derive(Debug, Clone, Copy)]
enum Prep {
    Nothing,
    Order,
    PausedOrder,
}

/// Expected statuses by kind of route. Client personas get 403 on every
/// `/v1` route, identity, mode, clock and instruments included (finding 7 of
/// issue 14); only health and the OpenAPI document answer them.
fn exec(w: Who) -> u16 {
    if w == Who::Client { 403 } else { 200 }
}
fn submit(w: Who) -> u16 {
    if w == Who::Client { 403 } else { 201 }
}
fn own(w: Who) -> u16 {
    match w {
        Who::Client => 403,
        Who::Peer => 404,
        _ => 200,
    }
}
fn supervise(w: Who) -> u16 {
    if matches!(w, Who::Sup | Who::Admin) { 200 } else { 403 }
}
fn admin(w: Who) -> u16 {
    if w == Who::Admin { 200 } else { 403 }
}
fn live(w: Who) -> u16 {
    if w == Who::Admin { 409 } else { 403 }
}

type Expect = fn(Who) -> u16;

fn routes() -> Vec<(&'static str, &'static str, Option<Value>, Prep, Expect)> {
    use Prep::*;
    let req = order_json(500);
    vec![
        ("GET", "/v1/whoami", None, Nothing, exec),
        ("GET", "/v1/mode", None, Nothing, exec),
        ("PUT", "/v1/mode", Some(json!({"mode": "paper"})), Nothing, admin),
        ("PUT", "/v1/mode", Some(json!({"mode": "live"})), Nothing, live),
        ("GET", "/v1/clock", None, Nothing, exec),
        ("PUT", "/v1/clock", Some(json!({"speed": 1.0})), Nothing, supervise),
        ("GET", "/v1/instruments", None, Nothing, exec),
        ("POST", "/v1/orders", Some(req.clone()), Nothing, submit),
        ("GET", "/v1/orders", None, Nothing, exec),
        ("GET", "/v1/orders/{id}", None, Order, own),
        ("PATCH", "/v1/orders/{id}", Some(json!({"qty": 2000})), Order, own),
        ("POST", "/v1/orders/{id}/pause", None, Order, own),
        ("POST", "/v1/orders/{id}/resume", None, PausedOrder, own),
        ("POST", "/v1/orders/{id}/cancel", None, Order, own),
        ("GET", "/v1/orders/{id}/tca", None, Order, own),
        ("POST", "/v1/kill", None, Nothing, supervise),
        ("POST", "/v1/estimate", Some(req.clone()), Nothing, exec),
        ("POST", "/v1/schedule", Some(req), Nothing, exec),
        ("GET", "/v1/tca?group_by=algo", None, Nothing, supervise),
        ("GET", "/v1/tca?group_by=desk", None, Nothing, supervise),
        ("GET", "/v1/config/algos", None, Nothing, exec),
        ("PUT", "/v1/config/algos", Some(json!({"algos": {}})), Nothing, supervise),
        ("GET", "/v1/book/AAPL", None, Nothing, exec),
        ("GET", "/v1/venues?symbol=AAPL", None, Nothing, exec),
        ("GET", "/v1/events", None, Nothing, exec),
        ("GET", "/v1/risk", None, Nothing, supervise),
        ("PUT", "/v1/risk/limits", Some(json!({"tenant": "zz", "limits": {}})), Nothing, supervise),
        ("PUT", "/v1/risk/state", Some(json!({"tenant": "zz", "state": "ACTIVE"})), Nothing, supervise),
        ("PUT", "/v1/risk/execution", Some(json!({"tenant": "zz", "enabled": true})), Nothing, supervise),
        ("POST", "/v1/kill/zz", None, Nothing, supervise),
    ]
}

async fn prepare(d: &Desk, prep: Prep, path: &str) -> String {
    match prep {
        Prep::Nothing => path.to_string(),
        Prep::Order | Prep::PausedOrder => {
            let id = d.submit_as("alice", 1_000).await;
            if matches!(prep, Prep::PausedOrder) {
                let (s, v) = d.send(Some("alice"), "POST", &format!("/v1/orders/{id}/pause"), None).await;
                assert_eq!(s, 200, "{v}");
            }
            path.replace("{id}", &id)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_against_every_route() {
    // The matrix makes a failed authentication per route from one address.
    let wide = RateLimit { rate: 1.0, burst: 1e6 };
    let options = ApiOptions { auth_failures: wide, auth_failures_global: wide, ..ApiOptions::default() };
    let d = desk_with(21, &["AAPL"], 1.0, options, Settings::default()).await;
    let roles = ["alice", "rm", "sup", "admin", "client", "prospect", "retail_client"];
    let roles = roles.into_iter().chain(["affluent_client", "uhnw_client", "family_office_principal"]);
    let roles: Vec<&str> = roles.collect();
    assert_eq!(roles.len(), Role::ALL.len(), "one principal per role");
    let mut wrong = Vec::new();
    let mut refusals = 0;
    for (method, template, body, prep, expect) in routes() {
        for &name in &roles {
            let path = prepare(&d, prep, template).await;
            let want = expect(who(name));
            let got = if template == "/v1/events" {
                d.status_only(Some(name), method, &path).await
            } else {
                let (s, v) = d.send(Some(name), method, &path, body.clone()).await;
                if s >= 400 {
                    assert!(v["code"].is_string() && v["message"].is_string(), "{method} {path}: {v}");
                }
                s
            };
            // Audited: every 401/403, and any client error to a request that would change something.
            refusals += (matches!(got, 401 | 403) || ((400..500).contains(&got) && method != "GET")) as usize;
            if got != want {
                wrong.push(format!("{name:>24} {method} {path}: got {got}, want {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "role x route mismatches:\n{}", wrong.join("\n"));
    // Without a token, or with a bad one, every /v1 route is 401.
    for (method, template, body, _, _) in routes() {
        let path = template.replace("{id}", "P1");
        let (s, v) = d.send(None, method, &path, body.clone()).await;
        assert_eq!((s, v["code"].as_str()), (401, Some("unauthorized")), "{method} {path}");
        refusals += 1;
    }
    let r = d.http.get(format!("{}/v1/orders", d.server.url())).bearer_auth("blt_0000").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    refusals += 1;
    let audit = d.audit.entries();
    assert_eq!(audit.len(), refusals, "every refusal is audited");
    let denied = audit.iter().find(|e| e.status == 403 && e.path == "/v1/kill").expect("kill-all refusal audited");
    assert_eq!((denied.user.as_deref(), denied.role), (Some("alice"), Some(Role::Advisor)));
    assert!(audit.iter().any(|e| e.status == 401 && e.user.is_none()));
    // Public routes need no token at all, and answer a persona's token too.
    for p in ["/healthz", "/readyz", "/openapi.json"] {
        assert_eq!(d.send(None, "GET", p, None).await.0, 200, "{p}");
        assert_eq!(d.send(Some("client"), "GET", p, None).await.0, 200, "{p} with a persona's token");
    }
    // Every answer, refusals and unknown routes included, states the paper mode.
    for (path, token) in [("/v1/orders", Some("alice")), ("/v1/kill", Some("client")), ("/nowhere", None)] {
        let mut rb = d.http.get(format!("{}{path}", d.server.url()));
        if let Some(t) = token {
            rb = rb.bearer_auth(&d.tokens[t]);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.headers()[blotter::api::MODE_HEADER], "paper", "{path}");
    }
}
