//! `blotter tca` on executions done elsewhere shows each order's pre-trade
//! estimate beside its realised cost: one order, many orders grouped, the
//! HTML report, and the reasons when there is none.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn blotter() -> Command {
    Command::cargo_bin("blotter").unwrap()
}

fn json(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

/// `blotter tca` over every order of `x` (orders, fills, trades, quotes).
fn batch(x: &Files) -> Command {
    let mut c = blotter();
    c.args(["tca", "--orders", s(&x.orders), "--fills", s(&x.fills), "--trades", s(&x.trades)]);
    c.args(["--quotes", s(&x.quotes)]);
    c
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// 2021-01-08 00:00:00Z plus `secs`, as ISO-8601.
fn iso(secs: i64) -> String {
    format!("2021-01-08T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

struct Files {
    _dir: tempfile::TempDir,
    trades: PathBuf,
    quotes: PathBuf,
    zzz: PathBuf,
    orders: PathBuf,
    fills: PathBuf,
    a1_fills: PathBuf,
}

/// Two hours of BTC-USD: a print of 2 every 10 s, the price stepping a
/// cent up, up, down, down from 100.00 minute by minute, a quote 100.00 / 100.02 every minute. Orders:
/// A1 (GS, vwap) buys 36 and A2 (GS, twap) sells 18 from 01:00:05 to
/// 01:30:05, B1 (MS, no algo) buys 72 from 01:10 to 01:40, Z1 (MS) trades
/// ZZZ, which is not in the universe.
fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut trades = String::from("timestamp,symbol,price,qty\n");
    for k in 0..=720i64 {
        let cents = [0, 1, 2, 1][(k / 6 % 4) as usize];
        writeln!(trades, "{},BTC-USD,100.{cents:02},2", iso(k * 10)).unwrap();
    }
    let mut quotes = String::from("timestamp,symbol,bid,bid_size,ask,ask_size\n");
    for k in 0..=120i64 {
        writeln!(quotes, "{},BTC-USD,100.00,5,100.02,5", iso(k * 60)).unwrap();
    }
    let a1 = "2021-01-08T01:05:00Z,100.02,18\n2021-01-08T01:20:00Z,100.03,18\n";
    Files {
        trades: w("trades.csv", &trades),
        quotes: w("quotes.csv", &quotes),
        zzz: w("zzz.csv", "timestamp,price,qty\n2021-01-08T01:00:00Z,10.00,5\n2021-01-08T01:20:00Z,10.01,5\n"),
        orders: w(
            "orders.csv",
            "order_id,symbol,side,qty,arrival,end,broker,algo\n\
             A1,BTC-USD,buy,36,2021-01-08T01:00:05Z,2021-01-08T01:30:05Z,GS,vwap\n\
             A2,BTC-USD,sell,18,2021-01-08T01:00:05Z,2021-01-08T01:30:05Z,GS,twap\n\
             B1,BTC-USD,buy,72,2021-01-08T01:10:00Z,2021-01-08T01:40:00Z,MS,\n\
             Z1,ZZZ,buy,10,2021-01-08T01:10:00Z,2021-01-08T01:40:00Z,MS,vwap\n",
        ),
        fills: w(
            "fills.csv",
            &format!(
                "order_id,timestamp,price,qty\n{}A2,2021-01-08T01:10:00Z,100.00,18\n\
                 B1,2021-01-08T01:15:00Z,100.02,72\nZ1,2021-01-08T01:15:00Z,10.02,10\n",
                a1.lines().map(|l| format!("A1,{l}\n")).collect::<String>()
            ),
        ),
        a1_fills: w("a1.csv", &format!("timestamp,price,qty\n{a1}")),
        _dir: dir,
    }
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Each order carries its estimate, realised cost and difference; a
/// group's figures are the plain means over its orders with one; the
/// realised total is the arrival slippage; an order on a symbol outside the
/// universe says why it has none.
#[test]
fn batch_orders_and_groups_show_estimate_against_realised() {
    let x = files();
    let v = json(batch(&x).args(["--trades", &format!("ZZZ={}", s(&x.zzz)), "--group-by", "broker", "--json"]));
    let orders = v["orders"].as_array().unwrap();
    let by_id = |id: &str| orders.iter().find(|o| o["order"]["id"] == id).unwrap();
    let (mut est, mut real, mut err) = (Vec::new(), Vec::new(), Vec::new());
    for id in ["A1", "A2"] {
        let o = by_id(id);
        let p = &o["tca"]["pre_trade"];
        let (e, r, d) =
            (f(&p["estimate"]["total_bps"]), f(&p["realised"]["total_bps"]), f(&p["difference"]["total_bps"]));
        assert!(e > 0.0, "{id}: {p}");
        assert!((r - f(&o["tca"]["arrival_slippage_bps"])).abs() < 1e-6, "{id}: realised is the fills against arrival");
        assert!((d - (r - e)).abs() < 1e-9);
        let basis = &o["pre_trade_basis"];
        assert_eq!(basis["market"]["history"], "before_arrival", "{basis}");
        assert_eq!(basis["market"]["spread_from"], "quote_at_arrival");
        assert_eq!(basis["schedule_from"], "order");
        est.push(e);
        real.push(r);
        err.push(d);
    }
    assert_eq!(by_id("A1")["pre_trade_basis"]["algo"], "vwap");
    assert_eq!(by_id("A2")["pre_trade_basis"]["algo"], "twap");
    let b1 = &by_id("B1")["pre_trade_basis"];
    assert_eq!((&b1["algo"], &b1["schedule_from"]), (&Value::from("vwap"), &Value::from("default")));
    let z = by_id("Z1");
    assert!(z["tca"].get("pre_trade").is_none());
    assert!(z["pre_trade_basis"]["unavailable"].as_str().unwrap().contains("not in the universe"), "{z}");
    let rows = v["groupings"][0]["rows"].as_array().unwrap();
    let gs = &rows.iter().find(|r| r["key"][0] == "GS").unwrap()["pre_trade"];
    assert_eq!(gs["orders"], 2);
    assert!((f(&gs["estimate_bps"]["mean"]) - mean(&est)).abs() < 1e-9, "{gs}");
    assert!((f(&gs["realised_bps"]["mean"]) - mean(&real)).abs() < 1e-9);
    assert!((f(&gs["error_bps"]["mean"]) - mean(&err)).abs() < 1e-9);
    // MS: B1 only (Z1 has no estimate).
    let ms = &rows.iter().find(|r| r["key"][0] == "MS").unwrap()["pre_trade"];
    assert_eq!(ms["orders"], 1);
    assert_eq!(v["total"]["pre_trade"]["orders"], 3);
}

/// The single-order form makes the same estimate as the batch for the same
/// order (one model), and says what it needs without --symbol.
#[test]
fn one_order_has_the_same_estimate_as_in_a_batch() {
    let x = files();
    let one = |extra: &[&str]| {
        json(
            blotter()
                .args(["tca", "--side", "buy", "--qty", "36", "--json"])
                .args(["--fills", s(&x.a1_fills), "--trades", s(&x.trades), "--quotes", s(&x.quotes)])
                .args(["--arrival", "2021-01-08T01:00:05Z", "--end", "2021-01-08T01:30:05Z"])
                .args(extra),
        )
    };
    let v = one(&["--symbol", "BTC-USD", "--algo", "vwap"]);
    let all = json(batch(&x).arg("--json"));
    let a1 = all["orders"].as_array().unwrap().iter().find(|o| o["order"]["id"] == "A1").unwrap();
    let (e1, e2) = (&v["pre_trade"]["estimate"], &a1["tca"]["pre_trade"]["estimate"]);
    assert!((f(&e1["total_bps"]) - f(&e2["total_bps"])).abs() < 1e-9, "{e1} vs {e2}");
    assert_eq!(v["pre_trade_basis"]["market"], a1["pre_trade_basis"]["market"]);
    // Filled at 100.025 on average against arrival 100.01: 0.015 / 100.01 = 1.49985 bps.
    assert!((f(&v["pre_trade"]["realised"]["total_bps"]) - 0.015 / 100.01 * 1e4).abs() < 1e-6);
    let bare = one(&[]);
    assert!(bare.get("pre_trade").is_none());
    assert!(bare["pre_trade_basis"]["unavailable"].as_str().unwrap().contains("--symbol"));
    let text = blotter()
        .args(["tca", "--side", "buy", "--qty", "36", "--symbol", "BTC-USD"])
        .args(["--fills", s(&x.a1_fills), "--trades", s(&x.trades), "--quotes", s(&x.quotes)])
        .args(["--arrival", "2021-01-08T01:00:05Z", "--end", "2021-01-08T01:30:05Z"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("pre-trade basis  vwap schedule from arrival to end (default: no algo given)"), "{text}");
    assert!(text.contains("market from before the arrival (360 prints"), "{text}");
}

/// Too little tape for the figures: the order is analysed, and its basis says why there is no estimate.
#[test]
fn too_short_a_tape_gives_the_reason_instead_of_a_number() {
    let x = files();
    let short = x.trades.with_file_name("short.csv");
    let text = std::fs::read_to_string(&x.trades).unwrap();
    // 00:00 to 00:10 only.
    std::fs::write(&short, text.lines().take(62).collect::<Vec<_>>().join("\n")).unwrap();
    let fills = x.trades.with_file_name("f.csv");
    std::fs::write(&fills, "timestamp,price,qty\n2021-01-08T00:09:00Z,100.02,1\n").unwrap();
    let v = json(blotter().args([
        "tca",
        "--side",
        "buy",
        "--qty",
        "1",
        "--symbol",
        "BTC-USD",
        "--json",
        "--fills",
        s(&fills),
        "--trades",
        s(&short),
    ]));
    let why = v["pre_trade_basis"]["unavailable"].as_str().unwrap();
    assert!(why.contains("not enough market data for an estimate"), "{why}");
    assert!(why.contains("needs 30") && why.contains("needs 100"), "{why}");
    assert!(v.get("pre_trade").is_none());
    assert!(f(&v["arrival_slippage_bps"]).is_finite(), "the rest of the report stands");
}

/// The HTML report has the estimate column and the summary line.
#[test]
fn the_html_report_shows_the_estimate() {
    let x = files();
    let report = x.orders.with_file_name("r.html");
    blotter()
        .args(["tca", "--orders", s(&x.orders), "--fills", s(&x.fills), "--trades", s(&x.trades)])
        .args(["--trades", &format!("ZZZ={}", s(&x.zzz)), "--quotes", s(&x.quotes), "--report", s(&report)])
        .assert()
        .success();
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<th>pre-trade est.</th><th>realised - est.</th>"));
    assert!(html.contains("Pre-trade estimate (the engine's model on the market before each arrival"));
    assert!(html.contains("over 3 order(s)") && html.contains("1 order(s) without an estimate"), "summary line");
}
