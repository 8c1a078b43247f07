//! `blotter tca` on imported executions, and the TCA and estimate objects of
//! `blotter run --json` and `blotter schedule --json`.

use crate::fixtures;

use assert_cmd::Command;
use serde_json::Value;

fn blotter() -> Command {
    // `run` records into the default ledger: keep it in a temporary directory.
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", DATA.get_or_init(|| tempfile::tempdir().unwrap()).path()).env_remove("BLOTTER_DB");
    c
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn imported_fills_that_are_the_tape_have_zero_vwap_slippage() {
    let dir = tempfile::tempdir().unwrap();
    let tape = "timestamp,price,qty\n\
                2026-11-25T14:30:00Z,100.00,300\n\
                2026-11-25T14:30:01.5Z,100.10,200\n\
                2026-11-25T14:30:03Z,99.95,500\n";
    let (fills, trades) = (dir.path().join("fills.csv"), dir.path().join("trades.csv"));
    std::fs::write(&trades, tape).unwrap();
    std::fs::write(&fills, tape).unwrap();
    let v = json(blotter().args(["tca", "--side", "buy", "--qty", "1000", "--json"]).args([
        "--fills",
        fills.to_str().unwrap(),
        "--trades",
        trades.to_str().unwrap(),
    ]));
    assert_eq!(v["vwap_slippage_bps"].as_f64(), Some(0.0), "{v}");
    assert_eq!(v["filled_qty"].as_f64(), Some(1000.0));
    assert_eq!(v["venues"][0]["venue"], "EXTERNAL");
}

/// Sell 1,000 decided at 50.00, 800 filled (epoch-ms timestamps, venues and fees
/// given), quotes for the mids. By hand: arrival mid before the first fill =
/// (49.98 + 50.02) / 2 = 50.00; N = 400 x 49.95 + 400 x 49.90 = 39,940;
/// delay = 0; trading = -(39,940 - 40,000) = 60; the last quote's mid 49.80 values
/// the 200 unfilled: opportunity = -(49.80 - 50.00) x 200 = 40; fees 2.00;
/// total = 102.00 = 20.4 bps of the 50,000 paper portfolio.
#[test]
fn imported_sell_with_quotes_decomposes_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (fills, trades, quotes) = (dir.path().join("f.csv"), dir.path().join("t.csv"), dir.path().join("q.csv"));
    let t0 = fixtures::OPEN_MS;
    std::fs::write(
        &fills,
        format!("timestamp,price,qty,venue,fee\n{},49.95,400,NYSE,1\n{},49.90,400,IEX,1\n", t0 + 1_000, t0 + 2_000),
    )
    .unwrap();
    std::fs::write(&trades, format!("{},50.00,100\n{},49.95,1000\n{},49.85,1000\n", t0, t0 + 1_000, t0 + 2_500))
        .unwrap();
    std::fs::write(
        &quotes,
        format!("{},49.98,10,50.02,10\n{},49.78,10,49.82,10\n{},49.79,10,49.81,10\n", t0, t0 + 1_500, t0 + 3_000),
    )
    .unwrap();
    let v =
        json(blotter().args(["tca", "--side", "sell", "--qty", "1000", "--decision-price", "50", "--json"]).args([
            "--fills",
            fills.to_str().unwrap(),
            "--trades",
            trades.to_str().unwrap(),
            "--quotes",
            quotes.to_str().unwrap(),
        ]));
    let is = &v["implementation_shortfall"];
    assert_eq!(v["arrival_px"].as_f64(), Some(50.0));
    assert_eq!(is["delay"].as_f64(), Some(0.0));
    assert_eq!(is["trading"].as_f64(), Some(60.0));
    assert_eq!(is["opportunity"].as_f64(), Some(40.0));
    assert_eq!(is["fees"].as_f64(), Some(2.0));
    assert_eq!(is["total"].as_f64(), Some(102.0));
    assert!((is["total_bps"].as_f64().unwrap() - 20.4).abs() < 1e-9);
    // 1 s after the first fill the mid was 49.80: the sell at 49.95 gained, so the markout is negative.
    assert!(v["markouts_bps"]["1s"].as_f64().unwrap() < 0.0, "{v}");
}

/// Quotes that start after the first fill (the shared Binance sample: its
/// first fill-able print at 00:00:00.278, its first quote at 00:00:01.076):
/// the arrival is the last print before the first fill, as the docs say,
/// not "-" with no shortfall. By hand: prints 100.00 at 0 s and 100.20 at
/// 1 s, the first quote at 2 s (100.30/100.50); 100 bought at 100.25 at
/// 1.5 s: arrival 100.20, trading (100.25 - 100.20) x 100 = 5.00, arrival
/// slippage 0.05 / 100.20 x 1e4 = 4.9900 bps.
#[test]
fn imported_arrival_before_the_first_quote_is_the_last_print() {
    let dir = tempfile::tempdir().unwrap();
    let (fills, trades, quotes) = (dir.path().join("f.csv"), dir.path().join("t.csv"), dir.path().join("q.csv"));
    let t0 = fixtures::OPEN_MS;
    std::fs::write(&fills, format!("timestamp,price,qty\n{},100.25,100\n", t0 + 1_500)).unwrap();
    std::fs::write(&trades, format!("{},100.00,300\n{},100.20,200\n{},100.40,100\n", t0, t0 + 1_000, t0 + 5_000))
        .unwrap();
    std::fs::write(&quotes, format!("{},100.30,10,100.50,10\n", t0 + 2_000)).unwrap();
    let v = json(blotter().args(["tca", "--side", "buy", "--qty", "100", "--json"]).args([
        "--fills",
        fills.to_str().unwrap(),
        "--trades",
        trades.to_str().unwrap(),
        "--quotes",
        quotes.to_str().unwrap(),
    ]));
    assert_eq!(v["arrival_px"].as_f64(), Some(100.2), "{v}");
    assert_eq!(v["implementation_shortfall"]["trading"].as_f64(), Some(5.0), "{v}");
    assert!((v["arrival_slippage_bps"].as_f64().unwrap() - 0.05 / 100.2 * 1e4).abs() < 1e-9, "{v}");
}

#[test]
fn bad_imports_name_the_line_and_column_and_print_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (fills, trades) = (dir.path().join("fills.csv"), dir.path().join("trades.csv"));
    std::fs::write(&trades, "timestamp,price,qty\n1795617000000,100,10\n").unwrap();
    std::fs::write(&fills, "timestamp,price,qty\n1795617000000,100,10\n1795617000500,100,ten\n").unwrap();
    let out = blotter()
        .args(["tca", "--side", "buy", "--qty", "100", "--fills", fills.to_str().unwrap()])
        .args(["--trades", trades.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("fills.csv:3: column 'qty'") && err.contains("'ten'"), "{err}");
    assert!(out.stdout.is_empty(), "nothing half-computed is printed");
    // More filled than ordered.
    std::fs::write(&fills, "timestamp,price,qty\n1795617000000,100,10\n").unwrap();
    let out = blotter()
        .args(["tca", "--side", "buy", "--qty", "5", "--fills", fills.to_str().unwrap()])
        .args(["--trades", trades.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8(out.stderr).unwrap().contains("--qty"));
    let out = blotter()
        .args(["tca", "--side", "hold", "--qty", "5", "--fills", fills.to_str().unwrap()])
        .args(["--trades", trades.to_str().unwrap()])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8(out.stderr).unwrap().contains("--side"));
}

#[test]
fn run_json_has_the_tca_object() {
    let v = json(blotter().args([
        "run",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "3000",
        "--start",
        "10:00",
        "--end",
        "10:10",
        "--date",
        "2026-11-25",
        "--param",
        "slices=5",
        "--json",
    ]));
    let t = &v["orders"][0]["tca"];
    for k in ["arrival_px", "decision_px", "interval_vwap", "arrival_slippage_bps", "vwap_slippage_bps"] {
        assert!(t[k].is_number(), "{k}: {t}");
    }
    for k in ["total", "total_bps", "delay", "trading", "opportunity", "fees"] {
        assert!(t["implementation_shortfall"][k].is_number(), "{k}");
    }
    for k in ["1s", "5s", "30s", "5m"] {
        assert!(t["markouts_bps"][k].is_number(), "markout {k}: {t}");
    }
    for k in ["venue", "qty", "avg_px", "fees"] {
        assert!(t["venues"][0][k].is_string() || t["venues"][0][k].is_number(), "venue {k}");
    }
    assert_eq!(t["decision_px"], t["arrival_px"], "decision defaults to arrival");
    let with_decision = json(blotter().args([
        "run",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "3000",
        "--start",
        "10:00",
        "--end",
        "10:10",
        "--date",
        "2026-11-25",
        "--param",
        "slices=5",
        "--json",
        "--decision-price",
        "200",
    ]));
    assert_eq!(with_decision["orders"][0]["tca"]["decision_px"].as_f64(), Some(200.0));
}

#[test]
fn schedule_json_has_the_estimate() {
    let v = json(blotter().args([
        "schedule",
        "--symbol",
        "AAPL",
        "--side",
        "buy",
        "--qty",
        "200000",
        "--date",
        "2026-11-25",
        "--json",
        "--impact",
        "alpha=0.7",
    ]));
    let e = &v["estimate"];
    let models: Vec<&str> = e["models"].as_array().unwrap().iter().map(|m| m["model"].as_str().unwrap()).collect();
    assert_eq!(models, ["linear", "sqrt", "propagator", "spread", "latency", "adverse_selection"]);
    assert_eq!(e["models"][0]["inputs"]["alpha"].as_f64(), Some(0.7));
    let sum: f64 = e["models"]
        .as_array()
        .unwrap()
        .iter()
        // The total adds one impact model (the propagator by default), never the other views.
        .filter(|m| m["model"] != "linear" && m["model"] != "sqrt")
        .map(|m| m["bps"].as_f64().unwrap())
        .sum();
    assert!((sum - e["total_bps"].as_f64().unwrap()).abs() < 1e-9);
    blotter()
        .args(["schedule", "--symbol", "AAPL", "--side", "buy", "--qty", "1000", "--date", "2026-11-25"])
        .args(["--impact", "gamma=abc"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--impact: gamma"));
}
