//! Replay at the edges of a recording: nothing fills where the recording has
//! nothing (issue found checking the shared Binance sample against the raw
//! file: a TWAP from 00:00:50 to 00:01:00 UTC, after the last recorded quote at
//! 00:00:46.674, bought 0.5 BTC at 39,490.98 at 00:00:57.51 from the last quote
//! left standing), a window wholly outside the recording is refused, and
//! so is a recording priced finer than the instrument's tick.

use crate::fixtures;

use assert_cmd::Command;
use serde_json::Value;

/// The command's error when it exits 2 having run nothing.
fn refused(cmd: &mut Command) -> String {
    let out = cmd.assert().code(2).get_output().clone();
    assert!(out.stdout.is_empty(), "nothing runs");
    String::from_utf8(out.stderr).unwrap()
}

fn blotter() -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env_remove("BLOTTER_DB");
    c
}

/// `blotter run` of a BTC-USD TWAP on the given recording, unrecorded, as JSON.
fn run(trades: &str, quotes: &str, side: &str, qty: &str, start: &str, end: &str) -> Value {
    let out = blotter()
        .args(["run", "--db", "none", "--json", "--symbol", "BTC-USD", "--side", side, "--qty", qty])
        .args(["--algo", "twap", "--param", "slices=5", "--start", start, "--end", end])
        .args(["--trades", trades, "--quotes", quotes])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

fn fill_times(v: &Value) -> Vec<i64> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "fill")
        .map(|e| e["fill"]["ts"].as_i64().unwrap())
        .collect()
}

/// The fixture's last event: its last trade, at 300 + 399 * 100 + 50 ms
/// after midnight UTC = 00:00:40.250 (its last quote is at 00:00:40.200).
const FIXTURE_END_NS: i64 = (fixtures::BINANCE_DAY_MS + 40_250) * 1_000_000;

#[test]
fn nothing_fills_after_the_recording_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (t, q) = fixtures::write_binance_style(dir.path());
    let (t, q) = (t.to_str().unwrap(), q.to_str().unwrap());
    for side in ["buy", "sell"] {
        // Five slices 5.8 s apart from 00:00:30: the first two have a
        // recorded book to trade with, the last three only a time after it.
        let v = run(t, q, side, "0.5", "00:00:30", "00:00:59");
        let times = fill_times(&v);
        assert!(!times.is_empty(), "the slices inside the recording fill: {v}");
        let late: Vec<&i64> = times.iter().filter(|&&ts| ts > FIXTURE_END_NS).collect();
        assert!(late.is_empty(), "{side}: fills after the recording's last event at {FIXTURE_END_NS}: {late:?}");
        let o = &v["orders"][0];
        assert!(o["filled_qty"].as_f64().unwrap() < 0.5, "{side}: the slices after the end cannot fill: {o}");
        assert_eq!(o["status"], "expired", "{o}");
    }
}

#[test]
fn a_window_after_the_recording_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (t, q) = fixtures::write_binance_style(dir.path());
    let err = refused(
        blotter()
            .args(["run", "--db", "none", "--symbol", "BTC-USD", "--side", "buy", "--qty", "0.5", "--algo", "twap"])
            .args(["--start", "00:00:50", "--end", "00:01:00", "--trades", t.to_str().unwrap()])
            .args(["--quotes", q.to_str().unwrap()]),
    );
    // The flag, the recording's span in the order's zone, and what to change.
    assert!(err.contains("--start") && err.contains("00:00:40.250 UTC") && err.contains("00:00:50"), "{err}");
}

#[test]
fn shared_binance_sample_nothing_fills_after_its_end() {
    let Some(dir) = fixtures::shared_data() else { return };
    let t = dir.join("binance_BTCUSDT_2021-01-08_trades.nautilus.csv");
    let q = dir.join("binance_BTCUSDT_2021-01-08_quotes.nautilus.csv");
    // The sample's last event is its last quote, 2021-01-08T00:00:46.674Z.
    let end_ns = 1_610_064_046_674_000_000i64;
    for side in ["buy", "sell"] {
        let v = run(t.to_str().unwrap(), q.to_str().unwrap(), side, "1", "00:00:40", "00:00:59");
        let late: Vec<i64> = fill_times(&v).into_iter().filter(|&ts| ts > end_ns).collect();
        assert!(late.is_empty(), "{side}: fills after the sample's last quote: {late:?}");
    }
}

/// A recording priced finer than the instrument's tick: ETH/BTC 1-minute bars
/// (0.08939998 BTC per ETH) replayed as ETH-USD (tick 0.01) ran and reported
/// every fill at 0.1000 against an arrival of 0.0950 and an interval VWAP of
/// 0.0917: +526 bps against arrival, +905 bps against the VWAP, all of it the
/// rounding of the recorded prices onto a tick of 11% of the price. Refused
/// now, naming the tick and a recorded price off it. Fixture: five bars
/// around 0.0894 (every price off the 0.01 grid).
#[test]
fn a_recording_priced_finer_than_the_tick_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bars = dir.path().join("eth_btc.csv");
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for (i, px) in ["0.08939998", "0.08909374", "0.08919993", "0.08879488", "0.08900001"].iter().enumerate() {
        text.push_str(&format!("2018-01-22T10:0{i}:00Z,{px},{px},{px},{px},12.5\n"));
    }
    std::fs::write(&bars, text).unwrap();
    let err = refused(
        blotter()
            .args(["run", "--db", "none", "--symbol", "ETH-USD", "--side", "buy", "--qty", "1", "--algo", "twap"])
            .args(["--bars", bars.to_str().unwrap()]),
    );
    assert!(err.contains("--bars") && err.contains("0.01") && err.contains("0.08939998"), "{err}");
}

/// Without a recorded quote in force the arrival is the last recorded print
/// at or before the start, as the replay report says. Fixture (BTC-USD, UTC,
/// trades only): 39,400.00 at 00:00:00.950, 39,410.00 at 00:00:00.990 (40 ms
/// later, inside one 100 ms refresh of the made-up book), 39,405.00 at
/// 00:00:05; an order starting at 00:00:01 arrives at 39,410.00, not on the
/// book still quoted around 39,400.00. On the shared sample at 00:00:20 the
/// book was on the print of 00:00:19.918 (39,499.96): arrival 39,499.965
/// against the print of 00:00:19.999 (39,491.98), 2.0 bps.
#[test]
fn arrival_without_quotes_is_the_last_print() {
    let dir = tempfile::tempdir().unwrap();
    let trades = three_prints(dir.path());
    let out = blotter()
        .args(["run", "--db", "none", "--json", "--symbol", "BTC-USD", "--side", "buy", "--qty", "0.1"])
        .args(["--algo", "twap", "--start", "00:00:01", "--end", "00:00:05", "--trades", trades.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["replay"]["arrival"]["px"].as_f64(), Some(39_410.0), "{}", v["replay"]);
    assert_eq!(v["orders"][0]["arrival_px"].as_f64(), Some(39_410.0), "{}", v["orders"][0]);
    if let Some(dir) = fixtures::shared_data() {
        let t = dir.join("binance_BTCUSDT_2021-01-08_trades.nautilus.csv");
        let out = blotter()
            .args(["run", "--db", "none", "--json", "--symbol", "BTC-USD", "--side", "buy", "--qty", "0.5"])
            .args(["--algo", "twap", "--start", "00:00:20", "--end", "00:00:40", "--trades", t.to_str().unwrap()])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["orders"][0]["arrival_px"].as_f64(), Some(39_491.98), "{}", v["replay"]["arrival"]);
    }
}

/// A LOBSTER trading halt (type 7, price -1, until type 7, price 1): nothing
/// trades on the recorded book meanwhile. Fixture: a bid of 100 at 100.00 and
/// an offer of 100 at 100.02 from 09:30:00.5, a halt from 09:30:01 to
/// 09:31:00, an execution of 50 at 100.00 at 09:31:01. Before, a TWAP buying
/// 50 from 09:30:05 to 09:30:55 took the offer at 100.02 during the halt.
#[test]
fn nothing_fills_during_a_lobster_halt() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("AAPL_2012-06-21_34200000_57600000_message_1.csv");
    let book = dir.path().join("AAPL_2012-06-21_34200000_57600000_orderbook_1.csv");
    std::fs::write(
        &msg,
        "34200.0,1,1,100,1000000,1\n34200.5,1,2,100,1000200,-1\n34201.0,7,0,0,-1,-1\n\
         34260.0,7,0,0,1,-1\n34261.0,4,1,50,1000000,1\n",
    )
    .unwrap();
    std::fs::write(
        &book,
        "9999999999,0,1000000,100\n1000200,100,1000000,100\n1000200,100,1000000,100\n\
         1000200,100,1000000,100\n1000200,100,1000000,50\n",
    )
    .unwrap();
    let out = blotter()
        .args(["run", "--db", "none", "--json", "--symbol", "AAPL", "--side", "buy", "--qty", "50"])
        .args(["--algo", "twap", "--start", "09:30:05", "--end", "09:30:55"])
        .args(["--trades", msg.to_str().unwrap(), "--quotes", book.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(fill_times(&v).is_empty(), "fills during the halt: {}", v["events"]);
    assert_eq!(v["orders"][0]["filled_qty"].as_f64(), Some(0.0), "{}", v["orders"][0]);
}

/// An order the recording could not fill says so in the recording's terms,
/// in its `Done` event, `run --json`'s order and `run`'s summary: what was
/// printed at or better than the limit over the window it covers, when the
/// recording ended, and what is left (before: "window ended at 00:00", as
/// if the order had merely run out of time).
#[test]
fn an_unfilled_residual_says_what_the_recording_printed() {
    let dir = tempfile::tempdir().unwrap();
    let trades = dir.path().join("trades.csv");
    // Four prints after midnight UTC: buying with a limit of 39,400, the
    // prints at or below it are 0.5 + 0.3 + 0.2 = 1.0 BTC (39,410 is above
    // the limit); the first print is at 00:00:00.100 (the order is placed
    // then: nothing is known before it), the last at 00:00:03.100.
    let ms = fixtures::BINANCE_DAY_MS;
    let rows =
        [(100, "39400.00", "0.5"), (1_100, "39410.00", "0.7"), (2_100, "39390.00", "0.3"), (3_100, "39400.00", "0.2")];
    let mut text = String::from("timestamp,price,qty\n");
    for (dt, px, q) in rows {
        text.push_str(&format!("{},{px},{q}\n", ms + dt));
    }
    std::fs::write(&trades, text).unwrap();
    let args = |json: bool| {
        let mut c = blotter();
        c.args(["run", "--db", "none", "--symbol", "BTC-USD", "--side", "buy", "--qty", "100", "--limit", "39400"])
            .args(["--algo", "twap", "--start", "00:00:00", "--end", "00:00:05", "--trades", trades.to_str().unwrap()]);
        if json {
            c.arg("--json");
        }
        c
    };
    let out = args(true).assert().success().get_output().stdout.clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let o = &v["orders"][0];
    assert_eq!(o["status"], "expired", "{o}");
    let left = 100.0 - o["filled_qty"].as_f64().unwrap();
    assert!(left >= 99.0, "at most the 1.0 printed within the limit fills: {o}");
    let done = v["events"].as_array().unwrap().iter().find(|e| e["type"] == "done").unwrap();
    let reason = done["reason"].as_str().unwrap();
    let expected = format!(
        "window ended at 00:00:05 UTC: the recording printed 1 at or better than the limit 39400 between \
         00:00:00.100 and 00:00:03.100 UTC (the recording ends at 00:00:03.100); {} left",
        blotter::model::Qty::from_f64(left).unwrap()
    );
    assert_eq!(reason, expected);
    assert_eq!(o["reason"].as_str(), Some(reason), "run --json's order says it too");
    let text = String::from_utf8(args(false).assert().success().get_output().stdout.clone()).unwrap();
    assert!(text.contains(&format!("status           expired: {expected}")), "{text}");
}

/// The order is placed when the recording begins, so its pre-trade estimate
/// reads nothing recorded later; without `--end` it works to the last event.
/// Fixture: prints at 00:00:00.950 (39,400), 00:00:00.990 (39,410) and
/// 00:00:05 (39,405). Before, the order was placed at 00:00 (the crypto
/// session's open) and its estimate, stamped 00:00:00, priced at the first
/// print, recorded 950 ms later; the default window ended 1 s after the last
/// print (00:00:06).
#[test]
fn the_estimate_reads_nothing_recorded_after_it_and_the_window_ends_with_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let trades = three_prints(dir.path());
    let day = fixtures::BINANCE_DAY_MS;
    let ns = |ms: i64| (day + ms) * 1_000_000;
    for start in [None, Some("00:00:00")] {
        let mut c = blotter();
        c.args(["run", "--db", "none", "--json", "--symbol", "BTC-USD", "--side", "buy", "--qty", "0.1"]).args([
            "--algo",
            "twap",
            "--trades",
            trades.to_str().unwrap(),
        ]);
        if let Some(s) = start {
            c.args(["--start", s]);
        }
        let v: Value = serde_json::from_slice(&c.assert().success().get_output().stdout.clone()).unwrap();
        let accepted = v["events"].as_array().unwrap().iter().find(|e| e["type"] == "accepted").unwrap();
        let est = &accepted["estimate"];
        // Placed at the first print, 00:00:00.950, and priced at it.
        assert_eq!(est["at"].as_i64(), Some(ns(950)), "{start:?}: {est}");
        assert_eq!(est["price"].as_f64(), Some(39_400.0), "{start:?}: {est}");
        let o = &v["orders"][0];
        assert_eq!(o["start"].as_i64(), Some(ns(950)), "{start:?}: {o}");
        // To the last print (00:00:05), which the order still sees: 1 ns after it.
        assert_eq!(o["end"].as_i64(), Some(ns(5_000) + 1), "{start:?}: {o}");
        assert_eq!(v["replay"]["arrival"]["look_ahead"], false, "{start:?}: {}", v["replay"]);
    }
}

/// The trades-only BTC-USD fixture of the tests above: 39,400.00 at
/// 00:00:00.950, 39,410.00 at 00:00:00.990, 39,405.00 at 00:00:05 (UTC).
fn three_prints(dir: &std::path::Path) -> std::path::PathBuf {
    let day = fixtures::BINANCE_DAY_MS;
    let trades = dir.join("btc_trades.csv");
    std::fs::write(
        &trades,
        format!(
            "ts_ms,price,quantity,buyer_maker\n{},39400.00,0.5,True\n{},39410.00,0.5,False\n{},39405.00,0.5,True\n",
            day + 950,
            day + 990,
            day + 5_000
        ),
    )
    .unwrap();
    trades
}
