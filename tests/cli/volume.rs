//! `blotter profile` and `blotter evaluate` on constructed recordings whose
//! figures are worked out by hand here.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn blotter() -> Command {
    static DATA: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DATA.get_or_init(|| tempfile::tempdir().unwrap());
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env("BLOTTER_DATA_DIR", dir.path()).env_remove("BLOTTER_DB");
    c
}

fn json(args: &[&str]) -> Value {
    let out = blotter().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// 2021-01-04 00:00 UTC (a Monday) in epoch milliseconds.
const DAY0_MS: i64 = 1_609_718_400_000;

/// One-minute bars from 2021-01-04 00:00 UTC for `minutes`, each at one
/// price, with `volume(minute)` and `price_cents(minute)`.
fn write_bars(dir: &Path, minutes: i64, volume: impl Fn(i64) -> String, price_cents: impl Fn(i64) -> i64) -> PathBuf {
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for m in 0..minutes {
        let c = price_cents(m);
        let px = format!("{}.{:02}", c / 100, c % 100);
        writeln!(text, "{},{px},{px},{px},{px},{}", DAY0_MS + m * 60_000, volume(m)).unwrap();
    }
    let p = dir.join("bars.csv");
    std::fs::write(&p, text).unwrap();
    p
}

/// Two whole UTC days whose hours carry 1, 2, ... 24 units a minute: hour h
/// holds (h + 1) / 300 of each day's volume (1 + 2 + ... + 24 = 300).
#[test]
fn profile_learns_the_constructed_curve_and_writes_it_for_the_universe() {
    let dir = tempfile::tempdir().unwrap();
    let bars = write_bars(dir.path(), 2 * 1440, |m| format!("{}", (m % 1440) / 60 + 1), |_| 4_000_000);
    let p = bars.to_str().unwrap();
    // Weekdays only: which sessions to cut is not evident from the data, and is asked for.
    let e = blotter().args(["profile", "--bars", p]).output().unwrap();
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("--calendar"));
    let doc = json(&["profile", "--bars", p, "--bucket", "1h", "--calendar", "crypto", "--json"]);
    assert_eq!(doc["calendar"], "crypto");
    assert_eq!(doc["days"].as_array().unwrap().len(), 2);
    let shares: Vec<f64> = doc["shares"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(shares.len(), 24);
    for (h, s) in shares.iter().enumerate() {
        assert!((s - (h + 1) as f64 / 300.0).abs() < 1e-12, "hour {h}: {s}");
    }
    // 60 minutes x 300 units a day.
    assert!((doc["mean_volume"].as_f64().unwrap() - 18_000.0).abs() < 1e-6);
    // Written for BTC-USD, the VWAP plan follows it: over 00:00-23:00 hour h is (h + 1) / 276 of it.
    let u = dir.path().join("u.toml");
    let out = blotter()
        .args(["profile", "--bars", p, "--bucket", "1h", "--symbol", "BTC-USD", "--out", u.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("written: BTC-USD"));
    let plan = json(&[
        "schedule",
        "--universe",
        u.to_str().unwrap(),
        "--symbol",
        "BTC-USD",
        "--side",
        "buy",
        "--qty",
        "276",
        "--algo",
        "vwap",
        "--date",
        "2021-01-06",
        "--start",
        "00:00",
        "--end",
        "23:00",
        "--param",
        "slices=23",
        "--json",
    ]);
    let slices = plan["slices"].as_array().unwrap_or_else(|| panic!("{plan}"));
    for (k, s) in slices.iter().enumerate() {
        assert!((s["qty"].as_f64().unwrap() - (k + 1) as f64).abs() < 1e-9, "slice {k}: {s}");
    }
    // Refused with the reason: a bucket that does not divide the day, a recording too short for a whole day.
    let e = blotter().args(["profile", "--bars", p, "--calendar", "crypto", "--bucket", "7m"]).output().unwrap();
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("does not divide the 1440 min session"));
    let short = write_bars(dir.path(), 600, |_| "1".into(), |_| 4_000_000);
    let e = blotter().args(["profile", "--bars", short.to_str().unwrap(), "--calendar", "crypto"]).output().unwrap();
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("no whole session"), "{}", String::from_utf8_lossy(&e.stderr));
}

/// Two and a half days of bars, each four-hour window at one price of its
/// own (100.01, 100.02, ... by window), 1.2 a minute in even windows and 2.3
/// in odd ones (a lot of 0.1, the finest grid of the volumes), so by hand:
/// - the first day's six windows have no whole session before them to learn
///   a profile from; the next day's six and the third day's first three are
///   evaluated, each side: 9 windows x 2 orders;
/// - a window's VWAP is its price, its volume 288 or 552, and the order
///   5/95 of it in 0.1 lots: 15.1 or 29.0;
/// - the book is quoted a tick (0.01) either side of the last price and no
///   print trades through a bid or an offer: a fill either crosses, one tick
///   from the VWAP, or rests at the price and is filled out of a recorded
///   print at it. So the average price is within a tick of the VWAP on the
///   cost side, the passive quantity is what the average says (a sell:
///   (avg - (price - 0.01)) x qty / 0.01), the crossing fills add to the
///   window's volume and the passive ones do not: participation =
///   qty / (volume + qty - passive), e.g. 15.1 / 303.1 = 4.982% when every
///   fill crosses.
#[test]
fn evaluate_figures_match_a_recording_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let window = |m: i64| m / 240;
    let bars = write_bars(
        dir.path(),
        1440 * 2 + 720,
        |m| if window(m) % 2 == 0 { "1.2".into() } else { "2.3".into() },
        |m| 10_001 + window(m),
    );
    let doc = json(&[
        "evaluate",
        "--bars",
        bars.to_str().unwrap(),
        "--symbol",
        "TEST",
        "--window",
        "4h",
        "--jobs",
        "2",
        "--json",
    ]);
    assert_eq!(doc["made_from_recording"], true);
    assert_eq!(doc["instrument"]["tick_size"], 0.01);
    assert_eq!(doc["instrument"]["lot_size"], 0.1);
    let rows = doc["windows"].as_array().unwrap();
    assert_eq!(rows.len(), 18, "{}", doc["skipped"]);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 6);
    assert!(skipped.iter().all(|s| s["reason"].as_str().unwrap().contains("no whole session")), "{skipped:?}");
    let mut abs = Vec::new();
    for r in rows {
        let start_ms = r["start"].as_i64().unwrap() / 1_000_000;
        let w = (start_ms - DAY0_MS) / (240 * 60_000);
        assert!((6..15).contains(&w), "{r}");
        let price = (10_001 + w) as f64 / 100.0;
        assert_eq!(r["interval_vwap"].as_f64().unwrap(), price, "{r}");
        let (volume, qty) = if w % 2 == 0 { (288.0, 15.1) } else { (552.0, 29.0) };
        assert!((r["window_volume"].as_f64().unwrap() - volume).abs() < 1e-9, "{r}");
        assert_eq!(r["qty"].as_f64().unwrap(), qty, "{r}");
        assert_eq!(r["completion"].as_f64().unwrap(), 1.0, "{r}");
        let avg = r["avg_px"].as_f64().unwrap();
        let tick_away = if r["side"] == "buy" { price + 0.01 } else { price - 0.01 };
        // Between the VWAP and a tick from it, mostly crossing (the algorithm's fills are
        // mostly marketable on a one-tick book).
        let exact = (avg - tick_away).abs() * qty / 0.01;
        // Whole lots of 0.1 (the average price is given to 1e-9).
        let passive = (exact * 10.0).round() / 10.0;
        assert!((exact - passive).abs() < 1e-4, "whole lots of 0.1 passive: {exact} {r}");
        assert!((0.0..=qty * 0.2).contains(&passive) && (avg - price).abs() <= 0.01 + 1e-9, "{r}");
        // Our passive fills take prints that would otherwise be others': the
        // participation lies between all-crossing and the passive share read
        // from the average price (our impact moves prices by a fraction of a
        // tick, so that share is only approximate).
        let part = r["participation"].as_f64().unwrap();
        let (lo, hi) = (qty / (volume + qty), qty / (volume + qty - qty * 0.2));
        assert!((lo - 1e-9..=hi + 1e-9).contains(&part), "{lo}..{hi} by hand: {r}");
        let slip = r["slippage_bps"].as_f64().unwrap();
        let by_hand = if r["side"] == "buy" { (avg - price) / price * 1e4 } else { (price - avg) / price * 1e4 };
        assert!((slip - by_hand).abs() < 1e-6, "{r}");
        // The recording barely moves (a cent every four hours), so the impact it implies moves
        // no replayed print by a tick: the market's VWAP as replayed is the recorded one.
        assert_eq!(r["market_vwap"], r["interval_vwap"], "{r}");
        assert_eq!(r["market_slippage_bps"], r["slippage_bps"], "{r}");
        // Every minute of a window prints at its one price: the schedule costs nothing, no
        // shift reached a tick, so the whole slippage is execution; what rested filled at the
        // price, so it is no more than the quantity read from the average price (a cross can
        // find the price too, when the book was last quoted around the window before).
        let d = &r["decomposition"];
        assert!(d["schedule_bps"].as_f64().unwrap().abs() < 1e-9, "{r}");
        assert_eq!(d["impact_bps"].as_f64(), Some(0.0), "{r}");
        assert!((d["execution_bps"].as_f64().unwrap() - slip).abs() < 1e-6, "{r}");
        assert!(r["passive_share"].as_f64().unwrap() * qty <= passive + 1e-6, "{r}");
        assert_eq!(r["range_bps"].as_f64(), Some(0.0), "{r}");
        abs.push(slip.abs());
    }
    abs.sort_by(f64::total_cmp);
    let s = &doc["overall"];
    assert_eq!(s["orders"], 18);
    assert_eq!(s["completed"], 18);
    assert_eq!(s["zero_fills"], 0);
    // Nearest rank over 18: the median is the 9th smallest, the 90th percentile the 17th.
    assert!((s["median_abs_bps"].as_f64().unwrap() - abs[8]).abs() < 1e-9);
    assert!((s["p90_abs_bps"].as_f64().unwrap() - abs[16]).abs() < 1e-9);
    assert_eq!(s["market_median_abs_bps"], s["median_abs_bps"]);
    // The bootstrap interval of each figure: every draw's nearest rank is one
    // of the orders' own figures, so both ends are among them, in order, and
    // the figure itself falls between them.
    for (fig, iv) in [("median_abs_bps", "median_abs_interval"), ("p90_abs_bps", "p90_abs_interval")] {
        let (lo, hi) = (s[iv]["lo"].as_f64().unwrap(), s[iv]["hi"].as_f64().unwrap());
        assert!(abs.iter().any(|a| (a - lo).abs() < 1e-12) && abs.iter().any(|a| (a - hi).abs() < 1e-12), "{s}");
        let x = s[fig].as_f64().unwrap();
        assert!(lo <= x && x <= hi, "{fig} {x} outside [{lo}, {hi}]");
    }
    assert!((abs[8] - 1.0).abs() < 0.05, "a tick is about 1 bp here: {abs:?}");
    assert_eq!(doc["by_side"]["buy"]["orders"], 9);
}

#[test]
fn evaluate_refuses_bad_flags_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bars = write_bars(dir.path(), 300, |_| "1".into(), |_| 10_000);
    let p = bars.to_str().unwrap();
    for (args, needle) in [
        (vec!["--algo", "iceberg"], "not evaluated over windows"),
        (vec!["--participation", "60%"], "at most 50%"),
        (vec!["--window", "soon"], "--window"),
        (vec!["--side", "long"], "buy, sell, both"),
        (vec![], "no window of 4h to evaluate"),
    ] {
        let out = blotter().args(["evaluate", "--bars", p]).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// Two and a half days of bars alternating every five minutes between 100.00
/// and 100.49 at 1.2 a minute (a cent grid), so by hand:
/// - the replay's level figures come from the bars before each window: the
///   5-minute returns alternate +-ln(100.49/100), pure bid-ask bounce, so the
///   bounce-corrected volatility is zero and the made instrument keeps its
///   template's (BTC-USD's) 3% a day; its ADV is the mean of the whole days
///   before the window, 1.2 x 1,440 = 1,728 exactly;
/// - each order is 14.4 (5/95 of the window's 288 is 15.2; the lot is the
///   file's volume grid, 1.2), and whatever its timing the impact its fills
///   pay averages the square-root law's (2/3) Y sigma sqrt(Q/ADV) = (2/3)
///   0.6 x 3% x sqrt(14.4 / 1,728) = 10.95 bps (fills in discrete pieces, each priced before its
///   own impact, the shift rounded to the cent and the transient part move it
///   by a few percent: within 20%), a cost on both sides;
/// - schedule, execution and impact add up to the slippage.
#[test]
fn evaluate_splits_the_slippage_and_charges_the_square_root_impact() {
    let dir = tempfile::tempdir().unwrap();
    let bars = write_bars(dir.path(), 1440 * 2 + 720, |_| "1.2".into(), |m| 10_000 + 49 * ((m / 5) % 2));
    let doc = json(&["evaluate", "--bars", bars.to_str().unwrap(), "--symbol", "TEST", "--jobs", "2", "--json"]);
    assert_eq!(doc["instrument"]["tick_size"], 0.01);
    let rows = doc["windows"].as_array().unwrap();
    assert_eq!(rows.len(), 18, "{}", doc["skipped"]);
    let by_hand = 2.0 / 3.0 * 0.6 * 0.03 * (14.4f64 / 1_728.0).sqrt() * 1e4;
    assert!((by_hand - 10.95).abs() < 0.005, "{by_hand}");
    for r in rows {
        let d = &r["decomposition"];
        let part = |k: &str| d[k].as_f64().unwrap();
        assert_eq!(r["qty"].as_f64(), Some(14.4), "{r}");
        let slip = r["slippage_bps"].as_f64().unwrap();
        let sum = part("schedule_bps") + part("execution_bps") + part("impact_bps");
        assert!((sum - slip).abs() < 1e-6, "{sum} against {slip}: {r}");
        assert!((part("impact_bps") / by_hand - 1.0).abs() < 0.2, "{by_hand:.1} bps by hand: {r}");
        assert_eq!(r["interval_vwap"].as_f64(), Some(100.245), "{r}");
        assert!((r["range_bps"].as_f64().unwrap() - 0.49 / 100.245 * 1e4).abs() < 1e-9, "{r}");
    }
}

/// A small order among large prints: one print of 12 a minute (bars of 12,
/// the file's volume grid), at one price, on an instrument whose lot is 0.1.
/// By hand: each window prints 2,880, the order is 5/95 of it, 151.5; the
/// profile is flat and the replay's ADV the recording's 17,280, so the
/// forecast share at each minute is exactly the recording's, k/240. One
/// step (a minute) owes 151.5 / 240 = 0.63, the smallest catch-up: no print
/// trades through a resting child (one price), so a child posted at a step
/// for what the next one owes is cancelled at the step after and what is
/// behind crossed: the filled share trails the printed share by at most two
/// steps' due and a lot, (1.2625 + 0.1) / 151.5 = 0.90 point. (With the
/// instrument's average print of 12 as the smallest catch-up, the default
/// before, `--param min_child=12`, it trails by 8.3 points.)
#[test]
fn a_small_order_among_large_prints_keeps_up_with_the_volume() {
    let dir = tempfile::tempdir().unwrap();
    let bars = write_bars(dir.path(), 1440 * 2 + 720, |_| "12".into(), |_| 10_000);
    let universe = dir.path().join("u.toml");
    std::fs::write(
        &universe,
        "[[instrument]]\nsymbol = \"BIG\"\nname = \"large prints\"\nasset_class = \"crypto\"\ncalendar = \"crypto\"\n\
         listing = \"BINANCE\"\ncurrency = \"USD\"\ntick_size = \"0.01\"\nlot_size = \"0.1\"\nref_price = \"100\"\n\
         daily_vol = 0.03\nadv = \"17280\"\navg_trade_size = \"12\"\nspread_bps = 1.0\ntouch_depth = \"100\"\n\
         auction_share = 0\nvenues = [\"BINANCE\"]\n",
    )
    .unwrap();
    let doc = json(&[
        "evaluate",
        "--universe",
        universe.to_str().unwrap(),
        "--bars",
        bars.to_str().unwrap(),
        "--symbol",
        "BIG",
        "--jobs",
        "2",
        "--json",
    ]);
    assert_eq!(doc["made_from_recording"], false);
    let rows = doc["windows"].as_array().unwrap();
    assert_eq!(rows.len(), 18, "{}", doc["skipped"]);
    for r in rows {
        assert_eq!(r["qty"].as_f64(), Some(151.5), "{r}");
        assert_eq!(r["completion"].as_f64(), Some(1.0), "{r}");
        let gap = r["decomposition"]["tracking_max_pp"].as_f64().unwrap();
        assert!(gap <= (2.0 * 151.5 / 240.0 + 0.1) / 151.5 * 100.0 + 1e-9, "{gap} pp behind the volume: {r}");
    }
}

/// The hours before the window set the forecast's level. Two whole days
/// print 10 a minute (the replay's ADV 14,400, a flat profile), the third
/// from its open 30 a minute; the window 08:00-12:00 of the third day
/// prints 7,200, the order is 5/95 of it, 378.9. The profile expects 2,400
/// (10 a minute). By hand, with `recent=12h` the look-back (from the
/// session's open at 00:00) printed 14,400 where 4,800 was expected: ratio
/// 3, the prior scaled by 3^0.75 = 2.2795 to 5,471 (22.8 a minute). The
/// forecast in continuous time (`half_life=4h`: H = 240 min, the prior weighing
/// one steady-state half-life, so the decayed expected volume stays at
/// e H / ln 2): after t minutes, with d = 2^(-t/H), the pace is
/// (e d + 30 (1 - d)) / e, the forecast remainder (e d + 30 (1 - d)) (240 -
/// t), the order's share 30 t / (30 t + remainder) against the market's t /
/// 240. The largest gap is 4.91 points with e = 22.8 and 18.32 without the
/// look-back (`recent=0s`, e = 10), worked out below on a 6-second
/// grid; the order's fills trail that share by up to two steps' due and a
/// lot (the small-order test above), so each is checked within a point.
#[test]
fn the_hours_before_the_window_set_the_forecast_level() {
    let dir = tempfile::tempdir().unwrap();
    let minutes = 2 * 1440 + 12 * 60 + 10;
    let bars = write_bars(dir.path(), minutes, |m| if m < 2 * 1440 { "10".into() } else { "30".into() }, |_| 10_000);
    let universe = dir.path().join("u.toml");
    std::fs::write(
        &universe,
        "[[instrument]]\nsymbol = \"LVL\"\nname = \"level shift\"\nasset_class = \"crypto\"\ncalendar = \"crypto\"\n\
         listing = \"BINANCE\"\ncurrency = \"USD\"\ntick_size = \"0.01\"\nlot_size = \"0.1\"\nref_price = \"100\"\n\
         daily_vol = 0.03\nadv = \"14400\"\navg_trade_size = \"1\"\nspread_bps = 1.0\ntouch_depth = \"100\"\n\
         auction_share = 0\nvenues = [\"BINANCE\"]\n",
    )
    .unwrap();
    let by_model = |e: f64| {
        let (r, h) = (30.0, 240.0);
        (1..2400)
            .map(|i| {
                let t = f64::from(i) / 10.0;
                let d = 2f64.powf(-t / h);
                let rem = (e * d + r * (1.0 - d)) * (240.0 - t);
                (r * t / (r * t + rem) - t / 240.0).abs() * 100.0
            })
            .fold(0.0, f64::max)
    };
    let (with, without) = (by_model(10.0 * 3f64.powf(0.75)), by_model(10.0));
    assert!((with - 4.91).abs() < 0.01 && (without - 18.32).abs() < 0.01, "{with} {without}");
    let window_start_ns = (DAY0_MS + (2 * 1440 + 8 * 60) * 60_000) * 1_000_000;
    // `recent=12h` is the default; `recent=0s` turns it off.
    for (extra, expected) in [(None, with), (Some("recent=0s"), without)] {
        let mut args = vec!["evaluate", "--universe", universe.to_str().unwrap(), "--bars", bars.to_str().unwrap()];
        args.extend([
            "--symbol",
            "LVL",
            "--jobs",
            "2",
            "--json",
            "--param",
            "half_life=4h",
            "--param",
            "prior_weight=1",
        ]);
        if let Some(p) = extra {
            args.extend(["--param", p]);
        }
        let doc = json(&args);
        let rows: Vec<&Value> = doc["windows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["start"].as_i64() == Some(window_start_ns))
            .collect();
        assert_eq!(rows.len(), 2, "{doc}");
        for r in rows {
            assert_eq!(r["qty"].as_f64(), Some(378.9), "{r}");
            assert_eq!(r["completion"].as_f64(), Some(1.0), "{r}");
            let gap = r["decomposition"]["tracking_max_pp"].as_f64().unwrap();
            assert!((gap - expected).abs() < 1.0, "{extra:?}: {gap} pp against {expected:.2} by hand: {r}");
        }
    }
}

/// An ETH/BTC recording (prices like 0.08939998) evaluated as ETH-USD, whose
/// tick is 0.01: every fill would round to 0.09 or 0.08 against an arrival
/// between, ~500 bps of "slippage" that is all rounding. Refused like `run`
/// and `compare` refuse it, naming the tick, a print at fault and the fix.
#[test]
fn evaluate_refuses_a_recording_priced_finer_than_the_tick() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    // Two and a half days of minutes, 0.08939998 + k * 1e-8 (every one off a 0.01 grid).
    for m in 0..(1440 * 2 + 720) {
        let px = format!("0.0{}", 8_939_998 + m % 7);
        writeln!(text, "{},{px},{px},{px},{px},3.5", DAY0_MS + m * 60_000).unwrap();
    }
    let bars = dir.path().join("ethbtc.csv");
    std::fs::write(&bars, text).unwrap();
    let out = blotter()
        .args(["evaluate", "--bars", bars.to_str().unwrap(), "--symbol", "ETH-USD", "--jobs", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "nothing evaluated: {}", String::from_utf8_lossy(&out.stdout));
    // All 3,600 prints (one a bar) are off the tick.
    for needle in
        ["--bars", "3600 of the 3600 recorded prints are off ETH-USD's tick of 0.01", "0.08939998", "tick_size"]
    {
        assert!(err.contains(needle), "{needle}: {err}");
    }
}
