//! Findings 1 and 2 of issue 14 over HTTP, against a real in-process server:
//! an order too big for the money grid cannot pass a notional limit by
//! overflowing it, and an amend goes through every limit a new order does.

use crate::common::engine;
use crate::support::{Desk, desk_with};
use blotter::api::ApiOptions;
use blotter::client::Settings;
use serde_json::{Value, json};

async fn desk_of(symbols: &[&str]) -> Desk {
    let _ = engine; // the support harness builds the engine (no limits until set)
    desk_with(23, symbols, 1.0, ApiOptions::default(), Settings::default()).await
}

async fn set_limits(d: &Desk, tenant: &str, limits: Value) {
    let (s, v) = d.send(Some("sup"), "PUT", "/v1/risk/limits", Some(json!({"tenant": tenant, "limits": limits}))).await;
    assert_eq!(s, 200, "{v}");
}

fn daily(view: &Value, tenant: &str) -> Vec<f64> {
    view["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["tenant"] == tenant)
        .flat_map(|t| t["daily_notional"].as_array().unwrap().iter().map(|p| p[1].as_f64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_cannot_pass_a_notional_limit() {
    let d = desk_of(&["AAPL", "BTC-USD"]).await;
    set_limits(&d, "ws", json!({"max_order_notional": 1_000_000})).await;
    // 150,000,000 BTC at about 90,000 USD is about 1.4e13 USD: past the
    // engine's order bound (1e12 in the instrument's currency) and far past
    // the limit. Before the fix price x qty wrapped to a negative i64 and passed.
    for (symbol, qty) in [("BTC-USD", 150_000_000_i64), ("AAPL", 50_000_000_000)] {
        let body = json!({"symbol": symbol, "side": "buy", "qty": qty, "algo": "twap"});
        let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(body)).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some("invalid_qty"), Some("qty")), "{v}");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.contains("the largest order this engine accepts is worth 1,000,000,000,000 "), "{msg}");
    }
    // Below the engine's bound the limit itself refuses: 10,000 BTC is ~9e8 USD.
    let body = json!({"symbol": "BTC-USD", "side": "buy", "qty": 10_000, "algo": "twap"});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(body)).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("max_order_notional")), "{v}");
    // The largest quantity the engine takes is named too.
    let body = json!({"symbol": "AAPL", "side": "buy", "qty": "1000000000001", "algo": "twap"});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(body)).await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains(
            "1,000,000,000,001 is more than the largest order quantity this engine accepts, 1,000,000,000,000"
        ),
        "{v}"
    );
    let (_, view) = d.send(Some("sup"), "GET", "/v1/risk", None).await;
    assert!(daily(&view, "ws").iter().all(|x| *x >= 0.0), "no negative daily usage: {view}");
    let (_, orders) = d.send(Some("alice"), "GET", "/v1/orders", None).await;
    assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "nothing accepted: {orders}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amend_passes_every_limit_a_new_order_does() {
    let d = desk_of(&["AAPL"]).await;
    // AAPL trades near 230: 100,000 shares are ~23,000,000 USD.
    set_limits(&d, "ws", json!({"max_order_notional": 1_000_000, "price_collar_bps": 50})).await;
    let new = json!({"symbol": "AAPL", "side": "buy", "qty": 100_000, "algo": "twap"});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(new)).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("max_order_notional")), "a new order of 100,000 is refused");
    let id = d.submit_as("alice", 1_000).await;
    let path = format!("/v1/orders/{id}");
    let (s, v) = d.send(Some("alice"), "PATCH", &path, Some(json!({"qty": 100_000}))).await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (409, Some("risk_limit"), Some("max_order_notional")),
        "{v}"
    );
    // The limit moved 75% away from the mid (a buy at a quarter of the price).
    let (s, v) = d.send(Some("alice"), "PATCH", &path, Some(json!({"limit_px": 57.5}))).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("price_collar_bps")), "{v}");
    let (_, o) = d.send(Some("alice"), "GET", &path, None).await;
    assert_eq!(
        (o["row"]["order"]["qty"].as_f64(), o["row"]["order"]["limit_px"].as_f64()),
        (Some(1_000.0), None),
        "unchanged: {o}"
    );
    // A reduction is always allowed; a collar-respecting limit too.
    let (s, v) = d.send(Some("alice"), "PATCH", &path, Some(json!({"qty": 500}))).await;
    assert_eq!(s, 200, "{v}");
}

/// AAPL's mid in whole cents, and a price `pct` percent of it in cents (floored).
async fn mid_cents(d: &Desk) -> i64 {
    let (s, book) = d.send(Some("sup"), "GET", "/v1/book/AAPL", None).await;
    assert_eq!(s, 200, "{book}");
    (book["mid"].as_f64().unwrap() * 100.0).round() as i64
}

fn px(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// A sell limit is a floor, not the price it trades at: a sell 5% under the
/// mid is marketable and trades near the mid, so it is worth the mid, not its
/// limit. Valued at its limit it slipped under a notional limit it breaks (and,
/// without a collar, a sell at 0.01 counted for nothing at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketable_sell_is_valued_at_the_mid_not_at_its_limit() {
    let d = desk_of(&["AAPL"]).await;
    let mid = mid_cents(&d).await;
    let low = mid * 95 / 100;
    // 1,000 shares are worth about 1,000 x mid; the limit is 98% of that, and
    // above the 95% the sell's limit would value them at.
    let cap = px(1_000 * mid * 98 / 100);
    set_limits(&d, "ws", json!({"max_order_notional": cap})).await;
    let sell = json!({"symbol": "AAPL", "side": "sell", "qty": 1_000, "algo": "twap", "limit_px": px(low)});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(sell)).await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (409, Some("risk_limit"), Some("max_order_notional")),
        "a sell at {} (mid {}) is worth the mid: {v}",
        px(low),
        px(mid)
    );
    // A buy cannot pay more than its limit: the same order as a buy is worth
    // 1,000 x its limit, under the cap.
    let buy = json!({"symbol": "AAPL", "side": "buy", "qty": 1_000, "algo": "twap", "limit_px": px(low)});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(buy)).await;
    assert_eq!(s, 201, "{v}");
}

/// Moving an order's limit up is new notional as much as adding quantity:
/// it counts towards `max_daily_notional`. Before, only a larger quantity
/// counted, so a buy entered under the mid and re-priced over it used the day
/// at its first price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_pricing_an_order_counts_towards_the_daily_notional() {
    let d = desk_of(&["AAPL"]).await;
    let mid = mid_cents(&d).await;
    let (p1, p2) = (mid * 95 / 100, mid * 105 / 100);
    // Buys are worth qty x limit exactly. After the re-price alice has used
    // 1,000 x p2; one more order of 100 x p1 would pass the limit. Before the
    // fix she had used 1,000 x p1 only, and 1,100 x p1 < 1,000 x p2 + 50 x p1.
    let limit_cents = 1_000 * p2 + 50 * p1;
    set_limits(&d, "ws", json!({"max_daily_notional": px(limit_cents)})).await;
    let first = json!({"symbol": "AAPL", "side": "buy", "qty": 1_000, "algo": "twap", "limit_px": px(p1)});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(first)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["order"]["id"].as_str().unwrap().to_string();
    let (s, v) = d.send(Some("alice"), "PATCH", &format!("/v1/orders/{id}"), Some(json!({"limit_px": px(p2)}))).await;
    assert_eq!(s, 200, "the re-priced order fits the limit: {v}");
    let (_, view) = d.send(Some("sup"), "GET", "/v1/risk", None).await;
    let used = daily(&view, "ws");
    assert_eq!(used.len(), 1, "{view}");
    assert!((used[0] - px(1_000 * p2)).abs() < 0.005, "alice used {} = 1,000 x {}: {view}", used[0], px(p2));
    let more = json!({"symbol": "AAPL", "side": "buy", "qty": 100, "algo": "twap", "limit_px": px(p1)});
    let (s, v) = d.send(Some("alice"), "POST", "/v1/orders", Some(more)).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("max_daily_notional")), "{v}");
    // Down and up again is new notional again: usage never goes down.
    let path = format!("/v1/orders/{id}");
    let (s, v) = d.send(Some("alice"), "PATCH", &path, Some(json!({"limit_px": px(p1)}))).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = d.send(Some("alice"), "PATCH", &path, Some(json!({"limit_px": px(p2)}))).await;
    assert_eq!((s, v["field"].as_str()), (409, Some("max_daily_notional")), "{v}");
}
