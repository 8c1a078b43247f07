//! Replay of recorded market data, end to end: fixture files written here,
//! and the shared LOBSTER and Binance samples when `BLOTTER_SHARED_DATA` is set.

use crate::fixtures;

use assert_cmd::Command;
use blotter::cli::{OrderArgs, ReplayArgs};
use blotter::engine::{Actor, Command as EngineCommand, Engine};
use blotter::model::{Qty, Role};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The binary, recording into a ledger in a temporary directory.
fn blotter() -> Command {
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", DATA.get_or_init(|| tempfile::tempdir().unwrap()).path()).env_remove("BLOTTER_DB");
    c
}

fn run_json(args: &[&str]) -> (String, Value) {
    let out = blotter().args(args).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    (text, v)
}

fn order_args(symbol: &str, side: &str, qty: &str) -> OrderArgs {
    OrderArgs {
        symbol: symbol.into(),
        side: side.into(),
        qty: qty.into(),
        algo: "twap".into(),
        start: None,
        end: None,
        limit: None,
        params: vec!["slices=12".into()],
        date: None,
        seed: 42,
        universe: None,
        queue: None,
    }
}

fn check_tca(v: &Value) {
    let o = &v["orders"][0];
    assert!(o["filled_qty"].as_f64().unwrap() > 0.0, "{o}");
    let t = &o["tca"];
    for k in ["arrival_px", "decision_px", "interval_vwap", "arrival_slippage_bps", "vwap_slippage_bps"] {
        assert!(t[k].is_number(), "{k} missing: {t}");
    }
    let is = &t["implementation_shortfall"];
    let sum: f64 = ["delay", "trading", "opportunity", "fees"].iter().map(|k| is[k].as_f64().unwrap()).sum();
    assert!((sum - is["total"].as_f64().unwrap()).abs() < 0.005, "{is}");
    assert!(t["markouts_bps"]["1s"].is_number(), "{t}");
    assert!(t["venues"][0]["venue"].is_string());
}

#[test]
fn csv_replay_runs_end_to_end_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, quotes) = fixtures::write_csv_market(dir.path());
    let args = [
        "run",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "5000",
        "--param",
        "slices=12",
        "--json",
        "--trades",
        trades.to_str().unwrap(),
        "--quotes",
        quotes.to_str().unwrap(),
    ];
    let (a, v) = run_json(&args);
    let (b, _) = run_json(&args);
    assert_eq!(a, b, "same recording, same seed: same report");
    assert_eq!(v["date"], "2026-11-25", "the date comes from the recording");
    check_tca(&v);
    // The arrival mid is the recorded one, around 100, not the universe's reference price.
    let arrival = v["orders"][0]["tca"]["arrival_px"].as_f64().unwrap();
    assert!((arrival - 100.0).abs() < 0.2, "{arrival}");
}

#[test]
fn replay_prints_exactly_the_recorded_volume() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, quotes) = fixtures::write_csv_market(dir.path());
    let replay = ReplayArgs {
        trades: Some(trades.clone()),
        quotes: Some(quotes),
        data_format: "auto".into(),
        venue: None,
        bars: None,
    };
    let r = replay.resolve(&order_args("AAPL", "sell", "20000")).unwrap();
    let mut e = Engine::new(Arc::new(r.universe), r.config).unwrap();
    let id = e.apply(&Actor::local(Role::Advisor), EngineCommand::Submit(r.request)).unwrap().unwrap();
    e.run_to_end();
    let m = e.market("AAPL").unwrap();
    assert!(m.is_replay());
    // Up to the close: the closing auction prints volume of its own.
    let printed: Qty = m.tape.prints().iter().filter(|p| p.ts < m.session.close).map(|p| p.qty).sum();
    let recorded: Qty = blotter::market::replay::csv::read_trades(&trades).unwrap().iter().map(|t| t.qty).sum();
    // Our aggressive fills add volume; our passive fills come out of recorded prints.
    let aggressive: Qty =
        e.fills(id).iter().filter(|f| f.liquidity == blotter::model::Liquidity::Taker).map(|f| f.qty).sum();
    assert_eq!(printed, recorded + aggressive);
    assert!(e.parent(id).unwrap().filled.is_positive());
}

/// Each bar's volume is printed in full inside its minute, ours included:
/// what our passive children take comes out of the bar's prints, so others'
/// prints plus our passive fills add up to the bar; our aggressive fills add
/// volume of their own (they take displayed liquidity, not a print).
#[test]
fn bar_replay_conserves_each_bars_volume_with_an_order_working() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixtures::write_bars(dir.path(), 120);
    let bars = blotter::market::replay::bars::read(&path).unwrap();
    let replay = ReplayArgs { bars: Some(path), ..ReplayArgs::default() };
    let mut order = order_args("BTC-USD", "buy", "8");
    order.algo = "vwap".into();
    order.params = vec!["urgency=passive".into()];
    let r = replay.resolve(&order).unwrap();
    // Without --start the order starts at the first print: a twelfth of a minute into the first bar, at its middle.
    assert_eq!(r.request.start.unwrap().as_millis(), fixtures::BINANCE_DAY_MS + 10 * 3_600_000 + 2_500);
    let mut e = Engine::new(Arc::new(r.universe), r.config).unwrap();
    let id = e.apply(&Actor::local(Role::Advisor), EngineCommand::Submit(r.request)).unwrap().unwrap();
    e.run_to_end();
    let fills = e.fills(id);
    let passive = fills.iter().filter(|f| f.liquidity == blotter::model::Liquidity::Maker).count();
    assert!(passive > 0 && e.parent(id).unwrap().filled.is_positive(), "{passive} passive fills");
    let m = e.market("BTC-USD").unwrap();
    let minute = 60_000_000_000i64;
    for b in &bars {
        let window = m.tape.window(b.ts, blotter::model::Timestamp(b.ts.0 + minute));
        let aggressive: Qty = fills
            .iter()
            .filter(|f| f.liquidity == blotter::model::Liquidity::Taker && f.ts >= b.ts && f.ts.0 < b.ts.0 + minute)
            .map(|f| f.qty)
            .sum();
        let printed: Qty = window.iter().map(|p| p.qty).sum();
        assert_eq!(printed - aggressive, b.volume, "bar at {}", b.ts);
        // Replay with impact: our own trading shifts the replayed prints; net
        // of the shift the replay says it applied, every print is inside its bar.
        for p in window.iter().filter(|p| !p.ours) {
            let shifts = m.replay_shifts_at(p.ts);
            let inside = shifts.iter().any(|&s| p.px - s >= b.low && p.px - s <= b.high);
            assert!(inside, "{p:?} (shifts {shifts:?}) outside [{}, {}]", b.low, b.high);
        }
    }
}

#[test]
fn malformed_bars_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bars.csv");
    std::fs::write(
        &bad,
        "timestamp,open,high,low,close,volume\n1610100000000,10,11,9,10,1\n1610100060000,10,9,11,10,1\n",
    )
    .unwrap();
    let out = blotter()
        .args(["run", "--symbol", "BTC-USD", "--side", "buy", "--qty", "1", "--bars", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--bars") && err.contains("bars.csv:3: column 'high'") && err.contains("below the low"),
        "{err}"
    );
}

#[test]
fn lobster_replay_from_fixture_files() {
    let dir = tempfile::tempdir().unwrap();
    let msg = fixtures::write_lobster(dir.path());
    // Format, date and the orderbook file beside it are found from the file name.
    let args =
        ["run", "--symbol", "AAPL", "--side", "sell", "--qty", "3000", "--json", "--trades", msg.to_str().unwrap()];
    let (a, v) = run_json(&args);
    let (b, _) = run_json(&args);
    assert_eq!(a, b);
    check_tca(&v);
    let arrival = v["orders"][0]["tca"]["arrival_px"].as_f64().unwrap();
    assert!((arrival - 100.01).abs() < 1e-9, "LOBSTER prices are x10,000: {arrival}");
}

#[test]
fn binance_style_fixture_replays() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, quotes) = fixtures::write_binance_style(dir.path());
    let args = [
        "run",
        "--symbol",
        "BTC-USD",
        "--side",
        "sell",
        "--qty",
        "0.5",
        "--param",
        "slices=8",
        "--json",
        "--trades",
        trades.to_str().unwrap(),
        "--quotes",
        quotes.to_str().unwrap(),
    ];
    let (a, v) = run_json(&args);
    let (b, _) = run_json(&args);
    assert_eq!(a, b);
    assert_eq!(v["date"], "2021-01-08");
    check_tca(&v);
    assert_eq!(v["orders"][0]["tca"]["venues"][0]["venue"], "BINANCE");
    let arrival = v["orders"][0]["tca"]["arrival_px"].as_f64().unwrap();
    assert!((arrival - 39_433.0).abs() < 1.0, "{arrival}");
}

#[test]
fn replay_input_errors_name_the_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "timestamp,price,qty\n1795617000000,100,10\n1795617000100,1OO,10\n").unwrap();
    let out = blotter()
        .args(["run", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--trades", bad.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.csv:3: column 'price'") && err.contains("1OO"), "{err}");
    assert!(out.stdout.is_empty());
    // A venue the instrument does not trade on is refused by name.
    let (trades, _) = fixtures::write_csv_market(dir.path());
    let out = blotter()
        .args(["run", "--symbol", "AAPL", "--side", "buy", "--qty", "100", "--replay-venue", "BINANCE"])
        .args(["--trades", trades.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--trades") && err.contains("BINANCE") && err.contains("NASDAQ"), "{err}");
}

fn shared_run(dir: &Path, args: &[&str]) {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    for a in all.iter_mut() {
        if let Some(name) = a.strip_prefix('@') {
            *a = dir.join(name).to_str().unwrap().to_string();
        }
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let (a, v) = run_json(&refs);
    let (b, _) = run_json(&refs);
    assert_eq!(a, b, "replay of the recorded sample is reproducible");
    check_tca(&v);
}

#[test]
fn shared_lobster_sample_replays() {
    let Some(dir) = fixtures::shared_data() else { return };
    shared_run(
        &dir,
        &[
            "run",
            "--symbol",
            "AAPL",
            "--side",
            "buy",
            "--qty",
            "2000",
            "--param",
            "slices=10",
            "--json",
            "--trades",
            "@AAPL_2012-06-21_34200000_57600000_message_10.first999.csv",
            "--quotes",
            "@AAPL_2012-06-21_34200000_57600000_orderbook_10.first999.csv",
        ],
    );
}

#[test]
fn shared_binance_sample_replays() {
    let Some(dir) = fixtures::shared_data() else { return };
    shared_run(
        &dir,
        &[
            "run",
            "--symbol",
            "BTC-USD",
            "--side",
            "sell",
            "--qty",
            "2",
            "--param",
            "slices=10",
            "--json",
            "--trades",
            "@binance_BTCUSDT_2021-01-08_trades.nautilus.csv",
            "--quotes",
            "@binance_BTCUSDT_2021-01-08_quotes.nautilus.csv",
        ],
    );
}
