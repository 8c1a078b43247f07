//! The OpenAPI document against real responses: every response body of a
//! working desk validates against the schema the document gives for it, and
//! every engine event on the stream against `EngineEvent`. A small validator
//! for the subset utoipa emits ($ref, type, properties, required, items,
//! prefixItems, oneOf, allOf, enum, additionalProperties); plain objects may
//! not carry keys the schema does not declare, so hand-written schemas cannot
//! drift from the types they describe.

use crate::common::order;
use crate::support::desk;
use blotter::client::{Client, StreamItem};
use blotter::model::{AlgoKind, Side};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

/// The OpenAPI document, with a validator of responses against it.
pub struct Doc<'a>(pub &'a Value);

impl Doc<'_> {
    fn resolve<'b>(&'b self, s: &'b Value) -> &'b Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap();
                let target = &self.0["components"]["schemas"][name];
                assert!(!target.is_null(), "dangling {r}");
                self.resolve(target)
            }
            None => s,
        }
    }

    pub fn check(&self, v: &Value, schema: &Value, at: &str, closed: bool) -> Result<(), String> {
        let s = self.resolve(schema);
        if s == &Value::Bool(false) {
            return Err(format!("{at}: no value allowed"));
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(v, sub, at, false)?;
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let n = one.iter().filter(|sub| self.check(v, sub, at, closed).is_ok()).count();
            if n != 1 {
                return Err(format!("{at}: {n} of {} oneOf branches match {v}", one.len()));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let ok = types.iter().any(|t| match *t {
                "null" => v.is_null(),
                "boolean" => v.is_boolean(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "string" => v.is_string(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => false,
            });
            if !ok {
                return Err(format!("{at}: {v} is not {types:?}"));
            }
        }
        if let Some(o) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
                let k = r.as_str().unwrap();
                if !o.contains_key(k) {
                    return Err(format!("{at}: missing required {k}"));
                }
            }
            for (k, val) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.check(val, ps, &format!("{at}.{k}"), true)?,
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => return Err(format!("{at}: {k} is not allowed")),
                        Some(ap @ Value::Object(_)) => self.check(val, ap, &format!("{at}.{k}"), true)?,
                        _ if closed && props.is_some() && s.get("allOf").is_none() => {
                            return Err(format!("{at}: {k} is not in the schema"));
                        }
                        _ => {}
                    },
                }
            }
        }
        if let Some(a) = v.as_array() {
            let prefix = s.get("prefixItems").and_then(Value::as_array);
            for (i, x) in a.iter().enumerate() {
                let item = match prefix.and_then(|p| p.get(i)) {
                    Some(p) => Some(p),
                    None => s.get("items"),
                };
                if let Some(item) = item {
                    self.check(x, item, &format!("{at}[{i}]"), true)?;
                }
            }
        }
        Ok(())
    }

    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> &Value {
        let op = &self.0["paths"][path][method.to_ascii_lowercase()];
        let r = &op["responses"][status.to_string()]["content"];
        let c = r.get("application/json").or_else(|| r.get("text/event-stream"));
        c.map(|c| &c["schema"]).unwrap_or_else(|| panic!("{method} {path} {status} is not documented"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_responses_and_events_match_the_openapi_document() {
    let d = desk(71, 1.0).await;
    let (_, doc) = d.send(None, "GET", "/openapi.json", None).await;
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    let doc = Doc(&doc);
    let mut events = d.remote("sup").subscribe(None).await.unwrap();
    let id = d.submit_as("alice", 2_000).await;
    // A VWAP, so its TCA carries the per-bucket tracking the document describes.
    let short = order("AAPL", Side::Sell, 1_500, AlgoKind::Vwap, "09:30", "10:00", &[]);
    let done = d.remote("bob").submit(short).await.unwrap().order.id.to_string();
    // The clock crawled until both orders were in, so a loaded machine cannot see their windows pass.
    d.engine.set_speed(3_600.0).await.unwrap();
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // Every event on the stream until bob's order is done, with fills and routing.
    loop {
        let item = tokio::time::timeout_at(deadline, events.next()).await.unwrap().unwrap();
        let StreamItem::Event(e) = item else { continue };
        let v = serde_json::to_value(&e).unwrap();
        doc.check(&v, doc.response_schema("GET", "/v1/events", 200), "event", true).unwrap();
        seen += 1;
        if v["type"] == "done" && v["parent"] == done.as_str() {
            break;
        }
    }
    assert!(seen > 20);
    let cases: Vec<(&str, String, &str, Option<Value>, u16)> = vec![
        ("GET", "/healthz".into(), "/healthz", None, 200),
        ("GET", "/readyz".into(), "/readyz", None, 200),
        ("GET", "/v1/whoami".into(), "/v1/whoami", None, 200),
        ("GET", "/v1/orders".into(), "/v1/orders", None, 200),
        ("GET", format!("/v1/orders/{id}"), "/v1/orders/{id}", None, 200),
        ("GET", format!("/v1/orders/{done}"), "/v1/orders/{id}", None, 200),
        ("GET", format!("/v1/orders/{done}/tca"), "/v1/orders/{id}/tca", None, 200),
        ("PATCH", format!("/v1/orders/{id}"), "/v1/orders/{id}", Some(json!({"limit_px": 100})), 200),
        ("POST", format!("/v1/orders/{id}/pause"), "/v1/orders/{id}/pause", None, 200),
        ("GET", "/v1/book/AAPL".into(), "/v1/book/{symbol}", None, 200),
        ("GET", "/v1/venues?symbol=AAPL".into(), "/v1/venues", None, 200),
        ("GET", "/v1/instruments".into(), "/v1/instruments", None, 200),
        ("GET", "/v1/clock".into(), "/v1/clock", None, 200),
        ("GET", "/v1/mode".into(), "/v1/mode", None, 200),
        ("POST", "/v1/estimate".into(), "/v1/estimate", Some(crate::support::order_json(900)), 200),
        ("POST", "/v1/schedule".into(), "/v1/schedule", Some(crate::support::order_json(900)), 200),
        ("GET", "/v1/tca?group_by=venue".into(), "/v1/tca", None, 200),
        ("GET", "/v1/tca?group_by=algo".into(), "/v1/tca", None, 200),
        (
            "PUT",
            "/v1/config/algos".into(),
            "/v1/config/algos",
            Some(json!({"algos": {"twap": {"enabled": true}}})),
            200,
        ),
        ("GET", "/v1/config/algos".into(), "/v1/config/algos", None, 200),
        (
            "PUT",
            "/v1/risk/limits".into(),
            "/v1/risk/limits",
            Some(json!({"tenant": "ws", "limits": {"max_order_qty": 1000000, "restricted_symbols": ["TSLA"]}})),
            200,
        ),
        ("PUT", "/v1/risk/state".into(), "/v1/risk/state", Some(json!({"tenant": "az", "state": "REDUCING"})), 200),
        ("PUT", "/v1/risk/execution".into(), "/v1/risk/execution", Some(json!({"tenant": "az", "enabled": true})), 200),
        ("GET", "/v1/risk".into(), "/v1/risk", None, 200),
        ("POST", "/v1/kill/az".into(), "/v1/kill/{tenant}", None, 200),
        ("POST", "/v1/kill".into(), "/v1/kill", None, 200),
        ("GET", "/v1/orders/P999".into(), "/v1/orders/{id}", None, 404),
        ("POST", "/v1/orders".into(), "/v1/orders", Some(json!({"symbol": "AAPL"})), 422),
    ];
    for (method, path, template, body, status) in cases {
        let (s, v) = d.send(Some("sup"), method, &path, body).await;
        assert_eq!(s, status, "{method} {path}: {v}");
        let schema = doc.response_schema(method, template, status);
        doc.check(&v, schema, &format!("{method} {path}"), true).unwrap();
    }
    // Without a token the public routes answer their status alone, also as documented.
    for path in ["/healthz", "/readyz"] {
        let (s, v) = d.send(None, "GET", path, None).await;
        doc.check(&v, doc.response_schema("GET", path, s), &format!("GET {path} (no token)"), true).unwrap();
    }
    // The tuple of the last trade and the sessions are documented as arrays.
    let (_, book) = d.send(Some("sup"), "GET", "/v1/book/AAPL", None).await;
    assert!(book["last_trade"].is_array(), "{book}");
    let (_, tca) = d.send(Some("sup"), "GET", &format!("/v1/orders/{done}/tca"), None).await;
    assert!(tca["vwap_tracking"].as_array().is_some_and(|t| !t.is_empty()), "{tca}");
    // The pre-trade estimate and its comparison are in the validated response.
    assert!(tca["pre_trade"]["estimate"]["total_bps"].is_number(), "{tca}");
    assert!(tca["pre_trade"]["realised"]["impact_bps"].is_number(), "{tca}");
    assert!(tca["pre_trade"]["difference"]["total_bps"].is_number(), "{tca}");
}
