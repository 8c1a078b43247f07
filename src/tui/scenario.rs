//! Deterministic data for snapshots, screenshots and the benchmark: a seeded
//! engine driven to fixed simulated times (never the wall clock), and
//! synthetic blotters of any size.

use crate::client::Embedded;
use crate::engine::view::{OrderDetail, OrderRow};
use crate::engine::{Actor, Engine, EngineConfig, OrderRequest};
use crate::market::Universe;
use crate::model::{
    AlgoKind, ChildId, ChildOrder, ChildStatus, Fill, FillId, Liquidity, Money, OrderType, Owner, ParentId,
    ParentOrder, ParentStatus, Price, Qty, Role, Side, Tif, Timestamp, time::parse_hhmm,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The scenario's trading day.
pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
}

/// New York wall-clock time on the scenario's day.
pub fn ny(hhmm: &str) -> Timestamp {
    Timestamp::from_local(chrono_tz::America::New_York, date(), parse_hhmm(hhmm).expect("valid HH:MM"))
}

/// Symbols the demo engine simulates.
pub const SYMBOLS: [&str; 4] = ["AAPL", "MSFT", "SPY", "BTC-USD"];

/// A seeded engine over the demo symbols, starting at 09:30 New York.
pub fn engine(seed: u64) -> Engine {
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(SYMBOLS.iter().map(|s| s.to_string()).collect());
    cfg.origin = Some(ny("09:30"));
    Engine::new(Arc::new(Universe::builtin()), cfg).expect("demo symbols are in the built-in universe")
}

/// The demo desk (a supervisor, so kill-all is allowed).
pub fn actor() -> Actor {
    Actor::local(Role::Supervisor)
}

fn req(symbol: &str, side: Side, qty: i64, start: &str, end: &str, params: &[(&str, &str)]) -> OrderRequest {
    OrderRequest {
        symbol: symbol.into(),
        side,
        qty: Qty::from_int(qty),
        algo: AlgoKind::Twap,
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        start: Some(ny(start)),
        end: Some(ny(end)),
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    }
}

/// The demo orders: a mix that leaves working, done and cancelled orders at 10:15.
pub fn demo_orders() -> Vec<OrderRequest> {
    vec![
        req("AAPL", Side::Buy, 60_000, "09:30", "11:00", &[("slices", "18")]),
        req("MSFT", Side::Sell, 25_000, "09:30", "10:00", &[]),
        req("SPY", Side::Buy, 40_000, "09:35", "12:00", &[("urgency", "aggressive")]),
        req("AAPL", Side::Sell, 8_000, "09:40", "10:40", &[]),
    ]
}

/// The moment snapshots and screenshots show.
pub fn snapshot_time() -> Timestamp {
    ny("10:15")
}

/// A frozen `Embedded` client (speed 0: only `with_engine` moves time) with the
/// demo orders submitted at 09:30 and the market run to 10:15; the fourth order
/// is cancelled at 10:05. Needs a tokio runtime.
pub async fn demo_client(seed: u64) -> Embedded {
    use crate::client::Client;
    let c = Embedded::start(engine(seed), 0.0, actor());
    for r in demo_orders() {
        // The scenario's orders are valid by construction; a refusal shows up as a missing row.
        let _ = c.submit(r).await;
    }
    c.with_engine(|e| e.run_until(ny("10:05")));
    let _ = c.cancel(ParentId::local(4)).await;
    c.with_engine(|e| e.run_until(snapshot_time()));
    c
}

/// The mixed desk's instruments: US equities, a Swiss stock (Zurich hours),
/// crypto (UTC days), FX and a Treasury priced per 100 face.
pub const DESK_SYMBOLS: [&str; 6] = ["AAPL", "SPY", "NESN", "BTC-USD", "EUR/USD", "UST10Y"];

/// A seeded engine over the mixed desk's instruments, starting at 09:30 New York.
pub fn desk_engine(seed: u64) -> Engine {
    let mut cfg = EngineConfig::new(seed, date());
    cfg.symbols = Some(DESK_SYMBOLS.iter().map(|s| s.to_string()).collect());
    cfg.origin = Some(ny("09:30"));
    Engine::new(Arc::new(Universe::builtin()), cfg).expect("desk symbols are in the built-in universe")
}

/// The mixed desk's orders: 10m EUR/USD, 50m UST10Y, BTC, NESN, and an AAPL
/// buy then a smaller sell (a realised P&L in the positions).
pub fn desk_orders() -> Vec<OrderRequest> {
    vec![
        req("EUR/USD", Side::Buy, 10_000_000, "09:30", "11:00", &[]),
        req("UST10Y", Side::Sell, 50_000_000, "09:30", "12:00", &[]),
        req("BTC-USD", Side::Sell, 15, "09:30", "10:30", &[]),
        req("NESN", Side::Buy, 100_000, "09:30", "11:15", &[]),
        req("AAPL", Side::Buy, 60_000, "09:30", "10:00", &[("urgency", "aggressive")]),
        req("AAPL", Side::Sell, 20_000, "09:45", "10:10", &[("urgency", "aggressive")]),
        req("SPY", Side::Buy, 12_000_000, "09:35", "15:30", &[]),
    ]
}

/// A frozen `Embedded` client with the mixed desk's orders at 09:30 New
/// York and the market run to 10:15. The desk's limits are cleared first, so
/// whatever default controls a new desk gets, these figures stay the same.
/// Needs a tokio runtime.
pub async fn desk_client(seed: u64) -> Embedded {
    use crate::client::Client;
    let c = Embedded::start(desk_engine(seed), 0.0, actor());
    let _ = c.set_limits(&actor().tenant, None, crate::risk::Limits::default()).await;
    for r in desk_orders() {
        // The scenario's orders are valid by construction; a refusal shows up as a missing row.
        let _ = c.submit(r).await;
    }
    c.with_engine(|e| e.run_until(snapshot_time()));
    c
}

/// A user of the supervisor scenario.
pub fn desk_user(user: &str, tenant: &str) -> Actor {
    Actor { user: user.into(), tenant: tenant.into(), role: Role::Advisor }
}

/// The supervisor scenario: two desks (`ws`: alice and carol, `az`: bob)
/// trading on one frozen engine, seen by the demo supervisor. By 10:15 it
/// has working and finished orders on both desks, a refusal by a risk limit
/// (bob's order over az's 50,000 maximum), an acknowledged risk warning
/// (carol's order over her 0.01% of ADV) and desk az set REDUCING.
/// Needs a tokio runtime.
pub async fn supervisor_client(seed: u64) -> Embedded {
    use crate::client::Client;
    use crate::risk::{Limits, TradingState};
    let c = Embedded::start(engine(seed), 0.0, actor());
    let alice = c.as_actor(desk_user("alice", "ws"));
    let bob = c.as_actor(desk_user("bob", "az"));
    let carol = c.as_actor(desk_user("carol", "ws"));
    // The scenario's orders are valid by construction; a refusal shows up as a missing row.
    let _ = alice.submit(req("AAPL", Side::Buy, 60_000, "09:30", "11:00", &[("slices", "18")])).await;
    let vwap = OrderRequest { algo: AlgoKind::Vwap, ..req("MSFT", Side::Sell, 25_000, "09:30", "10:00", &[]) };
    let _ = alice.submit(vwap).await;
    let _ = bob.submit(req("SPY", Side::Buy, 40_000, "09:35", "12:00", &[("urgency", "aggressive")])).await;
    let _ = bob.submit(req("BTC-USD", Side::Sell, 4, "09:30", "10:00", &[])).await;
    let az = Limits { max_order_qty: Some(Qty::from_int(50_000)), ..Limits::default() };
    let _ = c.set_limits("az", None, az).await;
    let carol_limits = Limits { warn_adv_pct: Some(0.01), ..Limits::default() };
    let _ = c.set_limits("ws", Some("carol"), carol_limits).await;
    c.with_engine(|e| e.run_until(ny("09:50")));
    // Refused: over desk az's maximum order quantity.
    let _ = bob.submit(req("SPY", Side::Sell, 80_000, "09:50", "11:00", &[])).await;
    // Sent past a warning the user acknowledged.
    let warned = OrderRequest { acknowledge_warnings: true, ..req("AAPL", Side::Sell, 8_000, "09:50", "10:40", &[]) };
    let _ = carol.submit(warned).await;
    let _ = c.set_trading_state(Some("az"), TradingState::Reducing).await;
    c.with_engine(|e| e.run_until(snapshot_time()));
    c
}

/// `n` synthetic parents with `children` children each (and one fill per
/// child), for the benchmark and table tests. Deterministic.
pub fn synthetic_rows(n: usize, children: usize) -> (Vec<OrderRow>, HashMap<ParentId, OrderDetail>) {
    let syms = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"];
    let t0 = ny("09:30");
    let mut orders = Vec::with_capacity(n);
    let mut details = HashMap::with_capacity(n);
    for i in 0..n {
        let id = ParentId::local(i as u64 + 1);
        let qty = Qty::from_int(1_000 * (1 + (i as i64 * 7919) % 97));
        let filled = Qty::from_int(qty.to_f64() as i64 * ((i as i64 * 31) % 101) / 100);
        let px = Price::parse(&format!("{}.{:02}", 100 + i % 300, i % 100)).unwrap_or_default();
        let status = match i % 7 {
            0 => ParentStatus::Done,
            1 => ParentStatus::Paused,
            2 => ParentStatus::Cancelled,
            _ => ParentStatus::Working,
        };
        let order = ParentOrder {
            id,
            owner: Owner::default(),
            symbol: syms[i % syms.len()].into(),
            side: if i % 3 == 0 { Side::Sell } else { Side::Buy },
            qty,
            limit_px: None,
            algo: AlgoKind::ALL[i % AlgoKind::ALL.len()],
            params: BTreeMap::new(),
            start: t0,
            end: ny("16:00"),
            status,
            filled,
            notional: Money::notional(px, filled),
            fees: Money::ZERO,
            arrival_px: Some(px),
            decision_px: Some(px),
            created_at: Timestamp(t0.0 + i as i64 * 1_000_000_000),
            done_at: None,
            children: children as u32,
        };
        let kids: Vec<ChildOrder> = (0..children)
            .map(|c| ChildOrder {
                id: ChildId { parent: id, seq: c as u32 + 1 },
                venue: ["NYSE", "NASDAQ", "BATS", "IEX", "ARCA"][c % 5].into(),
                side: order.side,
                qty: Qty::from_int(100),
                px: Some(px),
                order_type: OrderType::Limit,
                tif: Tif::Day,
                status: if c % 2 == 0 { ChildStatus::Filled } else { ChildStatus::New },
                filled: Qty::from_int(if c % 2 == 0 { 100 } else { 0 }),
                notional: Money::notional(px, Qty::from_int(if c % 2 == 0 { 100 } else { 0 })),
                sent_at: Timestamp(t0.0 + c as i64 * 1_000_000),
                acked_at: Some(Timestamp(t0.0 + c as i64 * 1_000_000 + 350_000)),
            })
            .collect();
        let fills = kids.iter().map(|c| synthetic_fill(c, px)).collect();
        details.insert(
            id,
            OrderDetail {
                row: OrderRow {
                    order: order.clone(),
                    working: Qty::ZERO,
                    slippage_bps: None,
                    schedule_deviation: None,
                    mid: None,
                },
                children: kids,
                fills,
                decisions: Vec::new(),
                plan: Vec::new(),
                market: Vec::new(),
            },
        );
        orders.push(OrderRow {
            order,
            working: Qty::from_int(100),
            slippage_bps: Some(((i % 21) as f64 - 10.0) / 4.0),
            schedule_deviation: Some(((i % 11) as f64 - 5.0) / 100.0),
            mid: Some(px.to_f64()),
        });
    }
    (orders, details)
}

/// One fill of a synthetic child.
pub fn synthetic_fill(c: &ChildOrder, px: Price) -> Fill {
    Fill {
        id: FillId(u64::from(c.id.seq) + c.id.parent.n * 1_000),
        child: c.id,
        venue: c.venue.clone(),
        side: c.side,
        px,
        qty: Qty::from_int(100),
        fee: Money::ZERO,
        liquidity: Liquidity::Maker,
        ts: c.sent_at,
    }
}

/// The app as the snapshot tests and screenshots show it: the demo client's
/// data loaded through the client contract, P1 selected and expanded, and
/// figures that depend on the wall clock (latency, speed) fixed.
pub async fn demo_app(c: &Embedded, theme: super::theme::Theme, keymap: super::keymap::Keymap) -> super::app::App {
    use super::app::{App, Msg};
    use crate::client::Client;
    use futures_util::{FutureExt, StreamExt};
    let mut app = App::new("embedded".into(), theme, keymap, 10.0);
    if let (Ok(id), Ok(inst)) = (c.whoami().await, c.instruments().await) {
        app.on_msg(Msg::Hello(id, inst));
    }
    if let Ok(mut clock) = c.clock().await {
        clock.speed = Some(10.0);
        app.on_msg(Msg::Clock(clock));
    }
    if let Ok(h) = c.health().await {
        app.on_msg(Msg::Health(Ok(h), 0.12));
    }
    // Alerts from the event history: the head of a subscription from 0 is ready at once.
    if let Ok(mut s) = c.subscribe(Some(0)).await {
        while let Some(Some(item)) = s.next().now_or_never() {
            app.on_msg(Msg::Stream(item));
        }
    }
    app.table.selected = Some(super::table::RowKey::Parent(ParentId::local(1)));
    app.table.expanded.insert(ParentId::local(1));
    // The first load brings the orders; the second what the selection needs (book, venues).
    reload(c, &mut app).await;
    reload(c, &mut app).await;
    app
}

/// Loads what the app wants through the client, as the refresher does.
pub async fn reload(c: &Embedded, app: &mut super::app::App) {
    if let Ok(s) = super::worker::load(c, &app.want()).await {
        app.on_msg(super::app::Msg::Snapshot(Box::new(s)));
    }
}

/// Carries out the effects a key produced, synchronously (previews only: the
/// scenario's screenshots and tests never send orders through keys).
pub async fn run_previews(c: &Embedded, app: &mut super::app::App, effects: Vec<super::app::Effect>) {
    for e in effects {
        if let super::app::Effect::Preview(generation, req, sym) = e {
            let p = super::worker::preview(c, req, sym).await;
            app.on_msg(super::app::Msg::Preview(generation, Box::new(p)));
        }
    }
}

/// Presses keys as a user would, described as keymap strings (`"n"`, `"tab"`, `"ctrl-c"`);
/// plain text is typed character by character when prefixed with `=`. Previews
/// are carried out; the other effects are returned, in order, for the caller.
pub async fn press(c: &Embedded, app: &mut super::app::App, keys: &[&str]) -> Vec<super::app::Effect> {
    let mut rest = Vec::new();
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for k in keys {
        let events: Vec<KeyEvent> = match k.strip_prefix('=') {
            Some(text) => text.chars().map(|ch| KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE)).collect(),
            None => match k.parse::<super::keymap::Key>() {
                Ok(key) => vec![KeyEvent::new(key.code, key.mods)],
                Err(_) => Vec::new(),
            },
        };
        for ev in events {
            let (previews, others) =
                app.on_key(ev).into_iter().partition(|e| matches!(e, super::app::Effect::Preview(..)));
            rest.extend::<Vec<_>>(others);
            run_previews(c, app, previews).await;
        }
    }
    rest
}
