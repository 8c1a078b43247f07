//! Bad input over HTTP: the right 4xx with a JSON error naming the field, and
//! nothing changed (no order, and no event beyond the engine's own record of
//! a refused command).

use crate::support::desk;
use serde_json::json;

/// Method, path, content type, body, then the status, code and field expected.
type Case = (&'static str, &'static str, &'static str, Vec<u8>, u16, &'static str, Option<&'static str>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_the_right_4xx_and_changes_nothing() {
    let d = desk(31, 1.0).await;
    let seq0 = d.engine.last_seq();
    let json = "application/json";
    let raw: Vec<Case> = vec![
        ("POST", "/v1/orders", json, br#"{"symbol":"AAPL","#.to_vec(), 400, "malformed_json", None),
        ("POST", "/v1/orders", json, b"".to_vec(), 400, "malformed_json", None),
        ("POST", "/v1/orders", json, br#""an order""#.to_vec(), 422, "invalid_body", None),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":"lots","algo":"twap"}"#.to_vec(),
            422,
            "invalid_body",
            Some("qty"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":7,"qty":100,"algo":"twap"}"#.to_vec(),
            422,
            "invalid_body",
            Some("side"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"warp"}"#.to_vec(),
            422,
            "invalid_body",
            Some("algo"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"side":"buy","qty":100,"algo":"twap"}"#.to_vec(),
            422,
            "invalid_body",
            Some("symbol"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"twap","limit":5}"#.to_vec(),
            422,
            "unknown_field",
            Some("limit"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":1e300,"algo":"twap"}"#.to_vec(),
            422,
            "invalid_body",
            Some("qty"),
        ),
        ("POST", "/v1/orders", "text/plain", br#"{"symbol":"AAPL"}"#.to_vec(), 415, "unsupported_media_type", None),
        ("POST", "/v1/orders", json, vec![b' '; 1 << 20], 413, "payload_too_large", None),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":-100,"algo":"twap"}"#.to_vec(),
            400,
            "invalid_qty",
            Some("qty"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"NOPE","side":"buy","qty":100,"algo":"twap"}"#.to_vec(),
            400,
            "unknown_symbol",
            Some("symbol"),
        ),
        (
            "POST",
            "/v1/orders",
            json,
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"twap","params":{"slices":"x"}}"#.to_vec(),
            400,
            "invalid_param",
            Some("params.slices"),
        ),
        ("PATCH", "/v1/orders/P1", json, br#"{"qty":"x"}"#.to_vec(), 422, "invalid_body", Some("qty")),
        ("PUT", "/v1/clock", json, br#"{"speed":-3}"#.to_vec(), 400, "invalid_speed", Some("speed")),
        (
            "PUT",
            "/v1/config/algos",
            json,
            br#"{"algos":{"warp":{"enabled":true}}}"#.to_vec(),
            422,
            "invalid_body",
            Some("algos"),
        ),
        ("PUT", "/v1/mode", json, br#"{"mode":"turbo"}"#.to_vec(), 422, "invalid_body", Some("mode")),
    ];
    for (method, path, ct, body, status, code, field) in raw {
        // The mode is the admin's: anyone else is refused before the body is read.
        let who = if path == "/v1/mode" { "admin" } else { "sup" };
        let (s, v) = d.send_raw(who, method, path, ct, body).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{method} {path}: {v}");
        assert_eq!(v["field"].as_str(), field, "{method} {path}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Paths, ids, queries and headers.
    let gets: Vec<(&str, u16, &str, Option<&str>)> = vec![
        ("/v1/nothing-here", 404, "not_found", None),
        ("/v1/orders/P999", 404, "not_found", None),
        ("/v1/orders/17", 400, "invalid_id", Some("id")),
        ("/v1/orders/P1x/tca", 400, "invalid_id", Some("id")),
        ("/v1/orders?limit=abc", 400, "invalid_query", Some("limit")),
        ("/v1/orders?status=sleeping", 400, "invalid_query", Some("status")),
        ("/v1/orders?colour=red", 400, "invalid_query", Some("colour")),
        ("/v1/tca", 400, "invalid_query", Some("group_by")),
        ("/v1/tca?group_by=trader", 400, "invalid_query", Some("group_by")),
        ("/v1/tca?group_by=algo&since=2026-11-25", 400, "invalid_param", Some("since")),
        ("/v1/audit?limit=0", 400, "invalid_param", Some("limit")),
        ("/v1/venues", 400, "invalid_query", Some("symbol")),
        ("/v1/book/NOPE", 404, "not_found", None),
        ("/v1/events?after=x", 400, "invalid_query", Some("after")),
        ("/v1/events?after=999999", 400, "invalid_header", Some("Last-Event-ID")),
    ];
    for (path, status, code, field) in gets {
        let (s, v) = d.send(Some("sup"), "GET", path, None).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (status, Some(code), field), "GET {path}: {v}");
    }
    let r = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&d.tokens["sup"]);
    let r = r.header("Last-Event-ID", "yesterday").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let (s, v) = d.send(Some("sup"), "DELETE", "/v1/orders", None).await;
    assert_eq!((s, v["code"].as_str()), (405, Some("method_not_allowed")));
    // Nothing was created; the engine's log has only its own records of the
    // refused submits (negative qty, unknown symbol, bad param).
    let (_, list) = d.send(Some("sup"), "GET", "/v1/orders", None).await;
    assert_eq!(list["total"], json!(0));
    assert_eq!(d.engine.last_seq(), seq0 + 3, "only the three engine-level refusals were logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_always_gets_its_413_not_a_broken_pipe() {
    let mut o = blotter::api::ApiOptions::default();
    o.rate.rate = 1e9;
    o.rate.burst = 1e9;
    let d = crate::support::desk_with(33, &["AAPL"], 1.0, o, blotter::client::Settings::default()).await;
    // The server reads (and drops) what the client is still sending, so the
    // answer arrives instead of a connection reset.
    for _ in 0..30 {
        let r = d.http.post(format!("{}/v1/orders", d.server.url())).bearer_auth(&d.tokens["sup"]);
        let r = r.header("content-type", "application/json").body(vec![b' '; 1 << 20]).send().await;
        let r = r.expect("an answer, not a transport error");
        assert_eq!(r.status().as_u16(), 413);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "payload_too_large");
    }
}

/// Finding 8 of issue 14: a tenant (or user) name outside the one rule is
/// refused on every risk route and the tenant kill switch, with the field
/// named, and no tenant comes into being.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_names_follow_one_rule_on_every_risk_route() {
    let d = desk(37, 1.0).await;
    let long = "x".repeat(5_000);
    for bad in ["", "a\0b", "two words", " ws", "ws\u{202e}", long.as_str()] {
        let cases = [
            ("PUT", "/v1/risk/limits".to_string(), Some(json!({"tenant": bad, "limits": {}})), "tenant"),
            ("PUT", "/v1/risk/limits".to_string(), Some(json!({"tenant": "ws", "user": bad, "limits": {}})), "user"),
            ("PUT", "/v1/risk/state".to_string(), Some(json!({"tenant": bad, "state": "HALTED"})), "tenant"),
            ("PUT", "/v1/risk/execution".to_string(), Some(json!({"tenant": bad, "enabled": true})), "tenant"),
        ];
        for (method, path, body, field) in cases {
            let (s, v) = d.send(Some("sup"), method, &path, body).await;
            assert_eq!(
                (s, v["code"].as_str(), v["field"].as_str()),
                (400, Some("invalid_param"), Some(field)),
                "{bad:?} {path}: {v}"
            );
            assert!(v["message"].as_str().unwrap().contains("allowed: 1-64 characters"), "{v}");
            assert!(v["message"].as_str().unwrap().len() < 200, "the message does not echo a huge name");
        }
        if !bad.is_empty() {
            let path: String = bad.bytes().map(|b| format!("%{b:02X}")).collect();
            let (s, v) = d.send(Some("sup"), "POST", &format!("/v1/kill/{path}"), None).await;
            assert_eq!((s, v["field"].as_str()), (400, Some("tenant")), "kill {bad:?}: {v}");
        }
    }
    let (_, view) = d.send(Some("sup"), "GET", "/v1/risk", None).await;
    let names: Vec<&str> = view["tenants"].as_array().unwrap().iter().map(|t| t["tenant"].as_str().unwrap()).collect();
    assert!(names.iter().all(|n| blotter::model::check_name("tenant", n).is_ok()), "no tenant was created: {names:?}");
    // A name within the rule, letters beyond ASCII included, is accepted.
    let (s, v) =
        d.send(Some("sup"), "PUT", "/v1/risk/execution", Some(json!({"tenant": "zürich-2", "enabled": true}))).await;
    assert_eq!(s, 200, "{v}");
}

/// Finding 12 of issue 14 over HTTP: a quantity of the wrong JSON type says
/// what is allowed (not serde's "untagged enum"), and a window time that is
/// not on the trading day is refused instead of read as "now".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_and_absurd_times_are_named() {
    let d = desk(38, 1.0).await;
    let body = json!({"symbol": "AAPL", "side": "buy", "qty": true, "algo": "twap"});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(body)).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("qty")), "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("expected a number or a decimal string") && !msg.contains("untagged"), "{msg}");
    for (field, t) in [("start", -1_i64), ("end", 4_102_444_800_000_000_000)] {
        let body = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap", field: t});
        let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(body)).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some("invalid_window"), Some(field)), "{v}");
        assert!(v["message"].as_str().unwrap().contains("is not on this trading day"), "{v}");
    }
    let (_, orders) = d.send(Some("alice"), "GET", "/v1/orders", None).await;
    assert_eq!(orders["total"], 0, "nothing accepted: {orders}");
}

/// Attack round 2: a JSON number is read through an `f64`, so one with more
/// digits than a float keeps came out as another value and was accepted
/// without a word: `"qty": 99.999999999999999` became an order of 100 and
/// `"limit_px": 229.299999999999999` a limit of 229.3 (the nearest double to
/// each prints as the rounder figure). And a map in the body (an order's
/// `params`, the algo configuration) took the last of two equal keys, so
/// `{"slices":"4","slices":"5"}` sent five slices where a field repeated is
/// refused. Both are refused now, naming the field, and nothing is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_a_float_cannot_hold_and_repeated_keys_are_refused() {
    let d = desk(39, 1.0).await;
    let json = "application/json";
    let cases: Vec<(&[u8], &str, &str)> = vec![
        (br#"{"symbol":"AAPL","side":"buy","qty":99.999999999999999,"algo":"twap"}"#, "invalid_body", "qty"),
        (
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"twap","limit_px":229.299999999999999}"#,
            "invalid_body",
            "limit_px",
        ),
        // 20 digits: past u64, so read as a float (100000000000000000000 and 99999999999999999999 alike).
        (br#"{"symbol":"AAPL","side":"buy","qty":99999999999999999999,"algo":"twap"}"#, "invalid_body", "qty"),
        (br#"{"symbol":"AAPL","side":"buy","qty":1e-400,"algo":"twap"}"#, "invalid_body", "qty"),
        (
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"twap","params":{"slices":"4","slices":"5"}}"#,
            "invalid_body",
            "params.slices",
        ),
        // The same key spelt with an escape is the same key.
        (
            br#"{"symbol":"AAPL","side":"buy","qty":100,"algo":"twap","params":{"slices":"4","\u0073lices":"5"}}"#,
            "invalid_body",
            "params.slices",
        ),
    ];
    for (body, code, field) in cases {
        let (s, v) = d.send_raw("alice", "POST", "/v1/orders", json, body.to_vec()).await;
        let text = String::from_utf8_lossy(body);
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (422, Some(code), Some(field)), "{text}: {v}");
    }
    // The algo configuration is a map of maps.
    let body = br#"{"algos":{"twap":{"enabled":true},"twap":{"enabled":false}}}"#.to_vec();
    let (s, v) = d.send_raw("sup", "PUT", "/v1/config/algos", json, body).await;
    assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (422, Some("invalid_body"), Some("algos.twap")), "{v}");
    let (_, cfg) = d.send(Some("sup"), "GET", "/v1/config/algos", None).await;
    assert!(cfg["algos"].get("twap").is_none_or(|t| t["enabled"] != false), "twap left enabled: {cfg}");
    // What a float holds exactly still reads: the shortest form of a double
    // (as every JSON encoder writes it), an exponent, trailing zeros, -0.
    let ok: Vec<&[u8]> = vec![
        br#"{"symbol":"AAPL","side":"buy","qty":1e2,"algo":"twap","limit_px":229.30}"#,
        br#"{"symbol":"AAPL","side":"buy","qty":100.000,"algo":"twap","limit_px":2.293E2}"#,
    ];
    for body in ok {
        let (s, v) = d.send_raw("alice", "POST", "/v1/orders", json, body.to_vec()).await;
        assert_eq!(s, 201, "{}: {v}", String::from_utf8_lossy(body));
        assert_eq!((v["order"]["qty"].as_f64(), v["order"]["limit_px"].as_f64()), (Some(100.0), Some(229.3)), "{v}");
    }
    let (_, orders) = d.send(Some("alice"), "GET", "/v1/orders", None).await;
    assert_eq!(orders["total"], 2, "only the two exact orders accepted: {orders}");
}

/// Attack round 2: a reversed or empty period (`since` at or after `until`)
/// was answered `200 []` by `GET /v1/tca`, as if nothing had finished in it,
/// and by `GET /v1/audit` the same; it is refused naming `until`. An instant
/// past simulated time's range says so (it said the valid RFC 3339 instant
/// `9999-12-31T23:59:59Z` was not one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reversed_period_is_refused_not_answered_empty() {
    let d = desk(47, 1.0).await;
    for route in ["/v1/tca?group_by=algo&", "/v1/audit?"] {
        for (since, until) in
            [("2026-12-05T00:00:00Z", "2026-12-01T00:00:00Z"), ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z")]
        {
            let (s, v) = d.send(Some("sup"), "GET", &format!("{route}since={since}&until={until}"), None).await;
            assert_eq!(
                (s, v["code"].as_str(), v["field"].as_str()),
                (400, Some("invalid_param"), Some("until")),
                "{route}: {v}"
            );
            assert!(v["message"].as_str().unwrap().contains("is not after since"), "{v}");
        }
    }
    let (s, v) = d.send(Some("sup"), "GET", "/v1/tca?group_by=algo&since=9999-12-31T23:59:59Z", None).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("since")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("2262-04-11"), "{v}");
    let (s, v) = d
        .send(Some("sup"), "GET", "/v1/tca?group_by=algo&since=2026-12-01T00:00:00Z&until=2026-12-05T00:00:00Z", None)
        .await;
    assert_eq!(s, 200, "a proper period is answered: {v}");
}

/// A numeric query parameter out of its range (`limit=-1`) said "invalid
/// digit found in string": it names the parameter, why, and the whole
/// numbers allowed, the type's range or the one the route documents
/// (`/v1/audit?limit` 1 to 10000). A number out of range is `invalid_param`,
/// text that is no number `invalid_query`; neither echoes a huge value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_query_parameters_say_what_is_allowed() {
    let d = desk(41, 1.0).await;
    let u64_max = "18446744073709551615";
    let huge = "9".repeat(400);
    let full = format!("allowed: a whole number from 0 to {u64_max}");
    let cases: Vec<(String, &str, &str, Vec<String>)> = vec![
        ("/v1/orders?limit=-1".into(), "invalid_param", "limit", vec!["'-1' is below 0".into(), full.clone()]),
        (
            format!("/v1/orders?offset={huge}"),
            "invalid_param",
            "offset",
            vec![format!("above {u64_max}"), full.clone()],
        ),
        ("/v1/orders?limit=2.5".into(), "invalid_param", "limit", vec!["'2.5' is not a whole number".into()]),
        ("/v1/orders?limit=abc".into(), "invalid_query", "limit", vec!["'abc' is not a number".into(), full.clone()]),
        ("/v1/audit?limit=-5".into(), "invalid_param", "limit", vec!["below 1".into(), "from 1 to 10000".into()]),
        ("/v1/events?after=-1".into(), "invalid_param", "after", vec!["below 0".into(), full.clone()]),
    ];
    for (path, code, field, says) in cases {
        let (s, v) = d.send(Some("sup"), "GET", &path, None).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some(code), Some(field)), "GET {path}: {v}");
        let m = v["message"].as_str().unwrap();
        assert!(m.starts_with(&format!("{field}: ")), "names the parameter: {m}");
        for part in says {
            assert!(m.contains(&part), "GET {path}: '{m}' should say '{part}'");
        }
        assert!(m.len() < 200, "no huge value echoed: {m}");
    }
}

/// `PUT /v1/clock {"speed":1e300}` answered with the speed written out in
/// 301 digits: the value is shown compactly and the range in plain figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_clock_speed_is_refused_in_plain_figures() {
    let d = desk(43, 1.0).await;
    for (speed, why) in
        [(json!(1e300), "above the maximum"), (json!(-3), "negative"), (json!(150_000), "above the maximum")]
    {
        let (s, v) = d.send(Some("sup"), "PUT", "/v1/clock", Some(json!({ "speed": speed }))).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some("invalid_speed"), Some("speed")), "{v}");
        let m = v["message"].as_str().unwrap();
        assert!(m.contains(why) && m.contains("allowed: 0 (pause) to 100,000"), "{speed}: {m}");
        assert!(m.len() < 150, "the value is not written out in full: {m}");
    }
}
