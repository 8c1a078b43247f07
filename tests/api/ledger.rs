//! The sidecar over a ledger, as `blotter serve --db` runs it: tokens, the
//! audit log, the algo configuration, aggregated TCA and the event stream
//! all survive a restart of the server on the same database. Each test runs
//! on SQLite, and on PostgreSQL when `BLOTTER_TEST_POSTGRES_URL` is set.

use crate::common::{date, ny, order};
use crate::schema_check::Doc;
use crate::sse::read_ids;
use crate::store_support::{Db, scalars};
use crate::support::cast;
use blotter::api::ledger::{LedgerAlgoConfig, LedgerAudit, LedgerTokens, ServedLedger, spawn_tca_recorder};
use blotter::api::tokens::{self, TokenStore};
use blotter::api::{ApiOptions, ApiState, Running, spawn};
use blotter::client::embedded::EventSink;
use blotter::client::{Client, Embedded, Remote, Settings};
use blotter::engine::{Actor, Engine, EngineConfig, EngineEvent};
use blotter::market::Universe;
use blotter::model::{AlgoKind, ParentId, Role, Side};
use blotter::store::sink::LedgerSink;
use blotter::store::{EngineRef, EngineSpec, Ledger, Sources};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

type Tokens = BTreeMap<&'static str, String>;

/// One run of the server over the test database, on its own runtime (so that
/// stopping it stops the engine's pacing and the TCA recorder with it).
struct Session {
    rt: Option<tokio::runtime::Runtime>,
    ledger: Arc<Ledger>,
    eref: EngineRef,
    server: Option<Running>,
    engine: Option<Embedded>,
    tokens: Tokens,
    resumed_at: u64,
    http: reqwest::Client,
}

/// Starts a server on `db` over AAPL with `seed` from 09:30, as `serve` does:
/// the last engine served with the same market is resumed. Creates the cast's
/// tokens in the ledger unless they are given.
fn start(db: &Db, seed: u64, speed: f64, tokens: Option<Tokens>) -> Session {
    let ledger = Arc::new(Ledger::open(&db.target).unwrap());
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(vec!["AAPL".into()]);
    cfg.origin = Some(ny("09:30"));
    let fresh = Engine::new(Arc::new(Universe::builtin()), cfg.clone()).unwrap();
    let desk = Actor::local(Role::Supervisor);
    let spec = EngineSpec::new(&cfg, Sources::default(), &desk, fresh.now());
    let served = ledger.open_served(fresh, &spec, &desk).unwrap();
    let resumed_at = served.resumed_at;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let handle = ledger.handle();
    let sink = LedgerSink::new(Arc::clone(&ledger), served.eref.clone());
    let (server, engine, tokens) = rt.block_on(async {
        let settings = Settings { algo_config: Arc::new(LedgerAlgoConfig::new(handle.clone())), ..Settings::default() };
        let sink = Some(Box::new(sink) as Box<dyn EventSink>);
        let engine = Embedded::start_with_settings(served.engine, speed, desk.clone(), sink, settings);
        let store = Arc::new(LedgerTokens::new(handle.clone(), desk));
        let tokens = match tokens {
            Some(t) => t,
            None => {
                let mut t = Tokens::new();
                for (name, a) in cast() {
                    t.insert(name, tokens::create(store.as_ref(), &a.user, &a.tenant, a.role).await.unwrap());
                }
                t
            }
        };
        let audit = Arc::new(LedgerAudit::new(&handle));
        let ledger = ServedLedger { handle, engine: served.eref.id, resumed_at };
        let state = ApiState::new(engine.clone(), store, audit, ApiOptions::default()).with_ledger(ledger);
        let _ = spawn_tca_recorder(&state);
        (spawn(state, "127.0.0.1:0".parse().unwrap()).await.unwrap(), engine, tokens)
    });
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().unwrap();
    Session {
        rt: Some(rt),
        ledger,
        eref: served.eref,
        server: Some(server),
        engine: Some(engine),
        tokens,
        resumed_at,
        http,
    }
}

impl Session {
    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.as_ref().unwrap().url())
    }

    fn remote(&self, name: &str) -> Remote {
        Remote::new(&self.server.as_ref().unwrap().url(), Some(self.tokens[name].clone())).unwrap()
    }

    /// A request as `name` (None: no token); the status and the JSON body.
    fn send(&self, name: Option<&str>, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), self.url(path));
        if let Some(n) = name {
            rb = rb.bearer_auth(&self.tokens[n]);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        self.rt().block_on(async {
            let r = rb.send().await.unwrap();
            let status = r.status().as_u16();
            (status, serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null))
        })
    }

    /// Stops the server cleanly, as Ctrl-C does: the engine is released in the ledger.
    fn stop(mut self) -> Tokens {
        let rt = self.rt.take().unwrap();
        rt.block_on(self.server.take().unwrap().stop()).unwrap();
        drop(rt);
        drop(self.engine.take());
        self.ledger.stop(&self.eref).unwrap();
        std::mem::take(&mut self.tokens)
    }
}

/// Checks a 200 response against the server's OpenAPI document.
fn documented(s: &Session, method: &str, template: &str, v: &Value) {
    let (_, doc) = s.send(None, "GET", "/openapi.json", None);
    let doc = Doc(&doc);
    doc.check(v, doc.response_schema(method, template, 200), &format!("{method} {template}"), true).unwrap();
}

fn engine_of(db: &Db) -> i64 {
    scalars(&db.target, "SELECT MAX(id) FROM engines")[0]
}

fn tokens_live_in_the_ledger_hashed_and_revocation_bites(db: &Db) {
    let s = start(db, 61, 0.0, None);
    let store = LedgerTokens::new(s.ledger.handle(), Actor::local(Role::Admin));
    let (token, id) = s.rt().block_on(async {
        let t = tokens::create(&store, "carol", "ws", Role::Advisor).await.unwrap();
        let id = store.lookup(&tokens::hash(&t)).await.unwrap().unwrap().id;
        (t, id)
    });
    let whoami = |t: &str| {
        s.rt().block_on(async {
            let r = s.http.get(s.url("/v1/whoami")).bearer_auth(t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        })
    };
    let (status, me) = whoami(&token);
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["user"], "carol", "{me}");
    let hash = tokens::hash(&token);
    assert_eq!(scalars(&db.target, &format!("SELECT COUNT(*) FROM tokens WHERE hash = '{hash}'")), [1]);
    let plain =
        format!("SELECT COUNT(*) FROM tokens WHERE hash = '{token}' OR id = '{token}' OR created_by = '{token}'");
    assert_eq!(scalars(&db.target, &plain), [0], "the token itself is never stored");
    assert!(s.rt().block_on(store.revoke(&id)).unwrap());
    // Revoked by another process's store: refused once the server's cache of
    // valid tokens is stale (FRESH), not later.
    let revoked_at = std::time::Instant::now();
    while whoami(&token).0 == 200 {
        assert!(revoked_at.elapsed() < blotter::api::ledger::FRESH * 2, "still accepted after revocation");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(whoami(&token).0, 401);
    assert!(!s.rt().block_on(store.revoke(&token)).unwrap(), "already revoked: nothing to revoke");
    let listed = s.rt().block_on(store.list()).unwrap();
    let carol = listed.iter().find(|r| r.id == id).unwrap();
    assert!(carol.revoked && carol.hash == hash);
    // Creation and revocation are in the audit log (engine 0).
    let (_, log) = s.send(Some("admin"), "GET", "/v1/audit?limit=1000", None);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "token_revoke").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "token_create").count(), cast().len() + 1);
    s.stop();
}

fn refusals_are_in_the_ledger_audit_log_for_supervisors(db: &Db) {
    let s = start(db, 62, 0.0, None);
    let bad_token = s.rt().block_on(async {
        let r = s.http.get(s.url("/v1/orders")).bearer_auth("blt_nope").send().await.unwrap();
        r.status().as_u16()
    });
    assert_eq!(bad_token, 401);
    let ord = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"});
    assert_eq!(s.send(Some("client"), "POST", "/v1/orders", Some(ord)).0, 403);
    let neg = json!({"symbol": "AAPL", "side": "buy", "qty": -5, "algo": "twap"});
    let (status, e) = s.send(Some("alice"), "POST", "/v1/orders", Some(neg));
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_qty")), "{e}");
    assert_eq!(s.send(Some("alice"), "GET", "/v1/audit", None).0, 403, "advisors may not read the audit log");
    // Bad queries: stable codes, nothing read.
    for q in ["limit=0", "limit=10001", "outcome=maybe", "since=yesterday", "colour=red"] {
        let (status, e) = s.send(Some("sup"), "GET", &format!("/v1/audit?{q}"), None);
        assert_eq!(status, 400, "{q}: {e}");
        assert!(e["code"].is_string(), "{q}: {e}");
    }
    let (status, log) = s.send(Some("sup"), "GET", "/v1/audit?outcome=refused&limit=100", None);
    assert_eq!(status, 200, "{log}");
    documented(&s, "GET", "/v1/audit", &log);
    let rows = log.as_array().unwrap();
    assert!(rows.iter().all(|r| r["outcome"] == "refused"), "{log}");
    let has = |action: &str, code: &str, user: &str| {
        rows.iter().any(|r| r["engine"] == 0 && r["action"] == action && r["code"] == code && r["user"] == user)
    };
    assert!(has("GET /v1/orders", "unauthorized", ""), "{log}");
    assert!(has("POST /v1/orders", "forbidden", "client"), "{log}");
    // The engine refused the quantity: its own record of the command, not the server's.
    let engine = engine_of(db);
    let by_engine = |r: &&Value| r["engine"] == engine && r["action"] == "submit" && r["user"] == "alice";
    assert!(rows.iter().filter(by_engine).any(|r| r["code"] == "invalid_qty"), "{log}");
    assert!(!has("POST /v1/orders", "invalid_qty", "alice"), "not twice: {log}");
    assert!(has("GET /v1/audit", "forbidden", "alice"), "{log}");
    // Newest first.
    let at: Vec<&str> = rows.iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "{at:?}");
    let (_, since_tomorrow) = s.send(Some("sup"), "GET", "/v1/audit?since=2200-01-01T00:00:00Z", None);
    assert_eq!(since_tomorrow, json!([]));
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM parents"), [0], "nothing refused reached the book");
    s.stop();
}

/// Refused rows in the audit table with `code`: (the engine's, the server's).
fn refused_rows(db: &Db, code: &str) -> (i64, i64) {
    let count = |engine: &str| {
        let sql = format!("SELECT COUNT(*) FROM audit WHERE outcome = 'refused' AND code = '{code}' AND {engine}");
        scalars(&db.target, &sql)[0]
    };
    (count("engine_id <> 0"), count("engine_id = 0"))
}

fn each_refusal_is_one_audit_row(db: &Db) {
    let s = start(db, 67, 0.0, None);
    // Refused by the engine's command layer: recorded once, by the engine, with the command.
    let neg = json!({"symbol": "AAPL", "side": "buy", "qty": -5, "algo": "twap"});
    let (status, e) = s.send(Some("alice"), "POST", "/v1/orders", Some(neg));
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_qty")), "{e}");
    assert_eq!(refused_rows(db, "invalid_qty"), (1, 0));
    let (status, e) = s.send(Some("alice"), "POST", "/v1/orders/P99/cancel", None);
    assert_eq!((status, e["code"].as_str()), (404, Some("unknown_order")), "{e}");
    assert_eq!(refused_rows(db, "unknown_order"), (1, 0));
    // Refused before the engine saw anything: recorded once, by the server.
    let no_token = s.rt().block_on(async { s.http.post(s.url("/v1/orders")).send().await.unwrap().status().as_u16() });
    assert_eq!(no_token, 401);
    assert_eq!(refused_rows(db, "unauthorized"), (0, 1));
    let ord = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"});
    assert_eq!(s.send(Some("client"), "POST", "/v1/orders", Some(ord)).0, 403, "a client persona, by role");
    assert_eq!(refused_rows(db, "forbidden"), (0, 1));
    let (status, e) = s.send(Some("alice"), "POST", "/v1/orders", Some(json!({"symbol": "AAPL"})));
    assert_eq!((status, e["code"].as_str()), (422, Some("invalid_body")), "{e}");
    assert_eq!(refused_rows(db, "invalid_body"), (0, 1));
    // Refused by the desk's configuration before the command: the server's record.
    let off = json!({"algos": {"vwap": {"enabled": false, "params": {}}}});
    assert_eq!(s.send(Some("sup"), "PUT", "/v1/config/algos", Some(off)).0, 200);
    let vwap = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "vwap"});
    assert_eq!(s.send(Some("alice"), "POST", "/v1/orders", Some(vwap)).0, 409);
    assert_eq!(refused_rows(db, "algo_disabled"), (0, 1));
    let total = scalars(&db.target, "SELECT COUNT(*) FROM audit WHERE outcome = 'refused'")[0];
    assert_eq!(total, 6, "one row per refusal");
    s.stop();
}

fn algo_config_survives_a_restart_and_tenant_layers_apply(db: &Db) {
    let s = start(db, 63, 0.0, None);
    let desk = json!({"algos": {"vwap": {"enabled": false, "params": {}}, "twap": {"enabled": true, "params": {"slices": "5"}}}});
    let (status, v) = s.send(Some("sup"), "PUT", "/v1/config/algos", Some(desk.clone()));
    assert_eq!((status, &v), (200, &desk));
    assert_eq!(s.send(Some("alice"), "GET", "/v1/config/algos", None).1, desk, "ws has no layer yet");
    let ws = json!({"algos": {"twap": {"enabled": true, "params": {"slices": "7"}}}});
    assert_eq!(s.send(Some("admin"), "PUT", "/v1/config/algos?tenant=ws", Some(ws.clone())).0, 200);
    let merged = json!({"algos": {"vwap": {"enabled": false, "params": {}}, "twap": {"enabled": true, "params": {"slices": "7"}}}});
    assert_eq!(s.send(Some("alice"), "GET", "/v1/config/algos", None).1, merged, "a change is seen at once");
    // Refused changes leave it as it was.
    assert_eq!(s.send(Some("alice"), "PUT", "/v1/config/algos", Some(json!({"algos": {}}))).0, 403);
    let bad_tenant = s.send(Some("sup"), "PUT", "/v1/config/algos?tenant=a%20b", Some(json!({"algos": {}})));
    assert_eq!((bad_tenant.0, bad_tenant.1["field"].as_str()), (400, Some("tenant")), "{}", bad_tenant.1);
    let bad_param = json!({"algos": {"twap": {"enabled": true, "params": {"slices": "many"}}}});
    let (status, e) = s.send(Some("sup"), "PUT", "/v1/config/algos", Some(bad_param));
    assert_eq!(status, 400, "{e}");
    assert_eq!(s.send(Some("alice"), "GET", "/v1/config/algos?tenant=az", None).0, 403, "another tenant's layer");
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM algo_config"), [3]);
    let engine = engine_of(db);
    let tokens = s.stop();

    let s = start(db, 63, 0.0, Some(tokens));
    assert_eq!(engine_of(db), engine, "the same engine is served again");
    let (_, got) = s.send(Some("sup"), "GET", "/v1/config/algos?tenant=", None);
    assert_eq!(got["code"], "invalid_param", "{got}");
    assert_eq!(s.send(Some("sup"), "GET", "/v1/config/algos?tenant=ws", None).1, ws, "the tenant layer alone");
    documented(&s, "GET", "/v1/config/algos", &ws);
    assert_eq!(s.send(Some("alice"), "GET", "/v1/config/algos", None).1, merged, "desk layer under ws's");
    assert_eq!(s.send(Some("bob"), "GET", "/v1/config/algos", None).1, desk, "az has no layer of its own");
    let vwap = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "vwap"});
    let (status, e) = s.send(Some("alice"), "POST", "/v1/orders", Some(vwap));
    assert_eq!((status, e["code"].as_str()), (409, Some("algo_disabled")), "{e}");
    let twap = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap"});
    let (status, a) = s.send(Some("alice"), "POST", "/v1/orders", Some(twap.clone()));
    assert_eq!((status, a["order"]["params"]["slices"].as_str()), (201, Some("7")), "{a}");
    let (status, b) = s.send(Some("bob"), "POST", "/v1/orders", Some(twap));
    assert_eq!((status, b["order"]["params"]["slices"].as_str()), (201, Some("5")), "{b}");
    s.stop();
}

/// Waits until `GET path` as sup answers a non-empty list.
fn poll_list(s: &Session, path: &str) -> Value {
    for _ in 0..300 {
        let (status, v) = s.send(Some("sup"), "GET", path, None);
        assert_eq!(status, 200, "{v}");
        if v.as_array().is_some_and(|a| !a.is_empty()) {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{path} stayed empty");
}

fn aggregated_tca_spans_sessions_and_periods(db: &Db) {
    let s = start(db, 64, 3_600.0, None);
    let id = s
        .rt()
        .block_on(s.remote("alice").submit(order("AAPL", Side::Buy, 500, AlgoKind::Twap, "11:00", "11:05", &[])))
        .unwrap()
        .order
        .id;
    let by_algo = poll_list(&s, "/v1/tca?group_by=algo");
    assert_eq!(by_algo[0]["key"], "twap", "{by_algo}");
    assert_eq!(by_algo[0]["orders"], 1);
    assert_eq!(by_algo[0]["filled_qty"], 500.0);
    let done = s.rt().block_on(s.remote("alice").order(id)).unwrap();
    assert_eq!(by_algo[0]["fills"], done.fills.len(), "{by_algo}");
    assert_eq!(s.send(Some("alice"), "GET", "/v1/tca?group_by=algo", None).0, 403);
    let tokens = s.stop();

    // Another market: a new engine, which has finished nothing itself.
    let s = start(db, 65, 0.0, Some(tokens));
    assert_eq!(s.resumed_at, 0, "a different market is a new engine");
    let desk = s.send(Some("sup"), "GET", "/v1/tca?group_by=desk", None).1;
    assert_eq!((desk[0]["key"].as_str(), desk[0]["orders"].as_u64()), (Some("ws"), Some(1)), "{desk}");
    documented(&s, "GET", "/v1/tca", &desk);
    let day = s.send(Some("sup"), "GET", "/v1/tca?group_by=day", None).1;
    assert_eq!(day[0]["key"], "2026-11-25", "{day}");
    let venues = s.send(Some("sup"), "GET", "/v1/tca?group_by=venue", None).1;
    let venue_qty: f64 = venues.as_array().unwrap().iter().map(|v| v["filled_qty"].as_f64().unwrap()).sum();
    assert!((venue_qty - 500.0).abs() < 1e-9, "{venues}");
    let within = "/v1/tca?group_by=algo&since=2026-11-25T14:00:00Z&until=2026-11-25T17:00:00Z";
    assert_eq!(s.send(Some("sup"), "GET", within, None).1[0]["orders"], 1);
    for q in ["since=2026-11-26T00:00:00Z", "until=2026-11-25T15:30:00Z"] {
        assert_eq!(s.send(Some("sup"), "GET", &format!("/v1/tca?group_by=algo&{q}"), None).1, json!([]), "{q}");
    }
    for q in ["group_by=colour", "group_by=algo&since=noon", "group_by=algo&until=2026-13-01T00:00:00Z"] {
        let (status, e) = s.send(Some("sup"), "GET", &format!("/v1/tca?{q}"), None);
        assert_eq!(status, 400, "{q}: {e}");
    }
    s.stop();
}

fn sse_resumes_across_a_restart_from_the_ledger(db: &Db) {
    let s = start(db, 66, 600.0, None);
    let (part1, mine) = s.rt().block_on(async {
        let first = s.http.get(s.url("/v1/events")).bearer_auth(&s.tokens["sup"]).send().await.unwrap();
        let alice = s.remote("alice");
        let a = alice.submit(order("AAPL", Side::Buy, 2_000, AlgoKind::Twap, "09:30", "10:30", &[])).await;
        let a = a.unwrap().order.id;
        s.remote("bob").submit(order("AAPL", Side::Sell, 2_000, AlgoKind::Twap, "09:30", "10:30", &[])).await.unwrap();
        (read_ids(first, 12, 20).await.0, a)
    });
    assert_eq!(part1.len(), 12);
    let k = *part1.last().unwrap();
    let engine = engine_of(db);
    let tokens = s.stop();

    let s = start(db, 66, 600.0, Some(tokens));
    assert_eq!(engine_of(db), engine, "the same engine is served again");
    assert!(s.resumed_at > k, "events were committed after the client's last one");
    let stored: Vec<u64> =
        scalars(&db.target, &format!("SELECT seq FROM events WHERE engine_id = {engine} AND seq > {k} ORDER BY seq"))
            .into_iter()
            .map(|x| x as u64)
            .collect();
    let missed = (s.resumed_at - k) as usize;
    let (part2, alice_events) = s.rt().block_on(async {
        let again =
            s.http.get(s.url("/v1/events")).bearer_auth(&s.tokens["sup"]).header("Last-Event-ID", k.to_string());
        let again = again.send().await.unwrap();
        assert_eq!(again.status().as_u16(), 200);
        // Live events after the history: a new order in this run.
        s.remote("alice").submit(order("AAPL", Side::Buy, 100, AlgoKind::Twap, "10:00", "10:30", &[])).await.unwrap();
        let (ids, _) = read_ids(again, missed + 1, 20).await;
        let alice = s.http.get(s.url("/v1/events")).bearer_auth(&s.tokens["alice"]).header("Last-Event-ID", "0");
        (ids, events_until_quiet(alice.send().await.unwrap()).await)
    });
    let expected: Vec<u64> = (k + 1..=s.resumed_at + 1).collect();
    assert_eq!(part2, expected, "exactly the missed events, in order, then live");
    assert_eq!(&part2[..missed], &stored[..missed], "the history is the ledger's");
    // An advisor resuming from the start sees her own orders' events only.
    assert!(!alice_events.is_empty());
    let seqs: Vec<u64> = alice_events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let parents: BTreeSet<ParentId> = alice_events.iter().filter_map(|e| e.kind.parent()).collect();
    assert!(parents.contains(&mine), "{parents:?}");
    assert!(parents.iter().all(|p| *p != ParentId::local(2)), "bob's order is not hers: {parents:?}");
    s.stop();
}

/// Engine events of a stream until none arrives for a second.
async fn events_until_quiet(resp: reqwest::Response) -> Vec<EngineEvent> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let mut s = Box::pin(resp.bytes_stream().eventsource());
    let mut out = Vec::new();
    while let Ok(Some(Ok(ev))) = tokio::time::timeout(Duration::from_secs(1), s.next()).await {
        if ev.event == "engine" {
            out.push(serde_json::from_str(&ev.data).unwrap());
        }
    }
    out
}

/// Expiry is kept in the ledger (milliseconds, UTC): a token past it is
/// refused `token_expired` (one refused row, engine 0), one before it works,
/// and a token stored without expiry (as every one before schema version 5) too.
fn an_expired_token_in_the_ledger_is_refused_and_others_work(db: &Db) {
    let s = start(db, 71, 0.0, None);
    let store = LedgerTokens::new(s.ledger.handle(), Actor::local(Role::Admin));
    let now = chrono::Utc::now();
    let make = |user: &str, expires: Option<chrono::DateTime<chrono::Utc>>| {
        let (t, mut r) = tokens::generate(user, "ws", Role::Advisor).unwrap();
        r.expires_at = expires;
        s.rt().block_on(store.insert(r)).unwrap();
        t
    };
    let past = now - chrono::TimeDelta::minutes(5);
    let future = now + chrono::TimeDelta::hours(8);
    let expired = make("olga", Some(past));
    let valid = make("lena", Some(future));
    let whoami = |t: &str| {
        s.rt().block_on(async {
            let r = s.http.get(s.url("/v1/whoami")).bearer_auth(t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        })
    };
    let (status, v) = whoami(&expired);
    assert_eq!((status, v["code"].as_str()), (401, Some("token_expired")), "{v}");
    assert_eq!(whoami(&valid).0, 200);
    // The cast's tokens were stored without expiry: the column is NULL and they work.
    assert_eq!(scalars(&db.target, "SELECT COUNT(*) FROM tokens WHERE expires_at IS NULL"), [cast().len() as i64]);
    assert_eq!(s.send(Some("alice"), "GET", "/v1/whoami", None).0, 200);
    let stored = |h: String| scalars(&db.target, &format!("SELECT expires_at FROM tokens WHERE hash = '{h}'"));
    assert_eq!(stored(tokens::hash(&expired)), [past.timestamp_millis()]);
    assert_eq!(stored(tokens::hash(&valid)), [future.timestamp_millis()]);
    let listed = s.rt().block_on(store.list()).unwrap();
    let lena = listed.iter().find(|r| r.user == "lena").unwrap();
    assert_eq!(lena.expires_at.map(|t| t.timestamp_millis()), Some(future.timestamp_millis()));
    assert_eq!(refused_rows(db, "token_expired"), (0, 1), "audited once, by the server");
    s.stop();
}

mod on_sqlite {
    use crate::store_support::sqlite;
    #[test]
    fn an_expired_token_in_the_ledger_is_refused_and_others_work() {
        super::an_expired_token_in_the_ledger_is_refused_and_others_work(&sqlite());
    }
    #[test]
    fn tokens_live_in_the_ledger_hashed_and_revocation_bites() {
        super::tokens_live_in_the_ledger_hashed_and_revocation_bites(&sqlite());
    }
    #[test]
    fn refusals_are_in_the_ledger_audit_log_for_supervisors() {
        super::refusals_are_in_the_ledger_audit_log_for_supervisors(&sqlite());
    }
    #[test]
    fn each_refusal_is_one_audit_row() {
        super::each_refusal_is_one_audit_row(&sqlite());
    }
    #[test]
    fn algo_config_survives_a_restart_and_tenant_layers_apply() {
        super::algo_config_survives_a_restart_and_tenant_layers_apply(&sqlite());
    }
    #[test]
    fn aggregated_tca_spans_sessions_and_periods() {
        super::aggregated_tca_spans_sessions_and_periods(&sqlite());
    }
    #[test]
    fn sse_resumes_across_a_restart_from_the_ledger() {
        super::sse_resumes_across_a_restart_from_the_ledger(&sqlite());
    }
}

mod on_postgres {
    use crate::store_support::postgres;
    #[test]
    fn an_expired_token_in_the_ledger_is_refused_and_others_work() {
        if let Some(db) = postgres() {
            super::an_expired_token_in_the_ledger_is_refused_and_others_work(&db);
        }
    }
    #[test]
    fn tokens_live_in_the_ledger_hashed_and_revocation_bites() {
        if let Some(db) = postgres() {
            super::tokens_live_in_the_ledger_hashed_and_revocation_bites(&db);
        }
    }
    #[test]
    fn refusals_are_in_the_ledger_audit_log_for_supervisors() {
        if let Some(db) = postgres() {
            super::refusals_are_in_the_ledger_audit_log_for_supervisors(&db);
        }
    }
    #[test]
    fn each_refusal_is_one_audit_row() {
        if let Some(db) = postgres() {
            super::each_refusal_is_one_audit_row(&db);
        }
    }
    #[test]
    fn algo_config_survives_a_restart_and_tenant_layers_apply() {
        if let Some(db) = postgres() {
            super::algo_config_survives_a_restart_and_tenant_layers_apply(&db);
        }
    }
    #[test]
    fn aggregated_tca_spans_sessions_and_periods() {
        if let Some(db) = postgres() {
            super::aggregated_tca_spans_sessions_and_periods(&db);
        }
    }
    #[test]
    fn sse_resumes_across_a_restart_from_the_ledger() {
        if let Some(db) = postgres() {
            super::sse_resumes_across_a_restart_from_the_ledger(&db);
        }
    }
}
