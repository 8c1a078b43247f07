use super::*;
use crate::market::replay::RecTrade;
use crate::market::session::session;
use chrono::NaiveDate;

/// 2021-01-08 00:00:00 UTC.
const T0: i64 = 1_610_064_000_000_000_000;
const SEC: i64 = 1_000_000_000;

/// BTC-USD on BINANCE replaying one print a second for 120 s (40,000.00 and
/// 40,000.40 in turn; `size(k)` BTC each) and a quote a second (40,000.00 bid
/// for 2, 40,000.40 offered for 2).
fn market(size: impl Fn(i64) -> Qty, origin_ns: i64) -> InstrumentMarket {
    let u = flat_btc_universe();
    let i = u.instrument_index("BTC-USD").unwrap();
    let s = session(u.instruments()[i].calendar, "BINANCE", NaiveDate::from_ymd_opt(2021, 1, 8).unwrap()).unwrap();
    let px = |k: i64| Price::from_raw(40_000 * Price::SCALE + (k % 2) * 400_000_000);
    let rec = Recording {
        source: "test".into(),
        venue: None,
        from_bars: false,
        until: None,
        trades: (0..=120)
            .map(|k| RecTrade {
                ts: Timestamp(T0 + k * SEC),
                px: px(k),
                qty: size(k),
                aggressor: Some(if k % 2 == 0 { Side::Sell } else { Side::Buy }),
            })
            .collect(),
        quotes: (0..=120)
            .map(|k| RecQuote {
                ts: Timestamp(T0 + k * SEC),
                bids: vec![(px(0), Qty::from_int(2))],
                asks: vec![(px(1), Qty::from_int(2))],
            })
            .collect(),
    };
    InstrumentMarket::replay(&u, i, s, Timestamp(T0 + origin_ns), 1, MarketParams::default(), Arc::new(rec)).unwrap()
}

/// The built-in universe with BTC-USD's intraday curve flat, so two minutes
/// of prints are 1/720 of a day's volume.
fn flat_btc_universe() -> Universe {
    let entry = r#"
[[instrument]]
symbol = "BTC-USD"
asset_class = "crypto"
calendar = "crypto"
listing = "BINANCE"
currency = "USD"
tick_size = "0.01"
lot_size = "0.00001"
ref_price = "95000.00"
daily_vol = 0.030
adv = "30000"
avg_trade_size = "0.05"
spread_bps = 0.5
touch_depth = "3"
venues = ["BINANCE", "COINBASE", "KRAKEN", "BITSTAMP", "OKX"]
volume_curve = [1.0]
"#;
    Universe::with_overrides_str(entry, "test").unwrap()
}

/// Replays every market event up to and including `t`.
fn run_to(m: &mut InstrumentMarket, t: i64) {
    loop {
        let tick = m.next_tick.filter(|x| x.0 <= T0 + t * SEC);
        let trade = m.next_trade.filter(|x| x.0 <= T0 + t * SEC);
        match (tick, trade) {
            (Some(a), Some(b)) if a <= b => {
                m.on_tick(a);
            }
            (_, Some(b)) => {
                m.draw_trade(b);
            }
            (Some(a), None) => {
                m.on_tick(a);
            }
            (None, None) => return,
        }
    }
}

#[test]
fn the_market_runs_on_the_recordings_figures() {
    let m = market(|_| Qty::from_int(1), 0);
    // 121 BTC in 120 s: 121 x 720 = 87,120 a day; VWAP 40,000 + 0.40 x 60/121 -> 40,000.20.
    assert_eq!(m.inst.adv, Qty::from_int(87_120));
    assert_eq!(m.inst.ref_price.to_string(), "40000.2");
    // Mids never move (the quote stands still): too few returns, the universe's volatility stays.
    assert_eq!(m.inst.daily_vol, 0.030);
    let s = m.replay_summary().unwrap();
    let from = |n: &str| s.coefficients.iter().find(|c| c.name == n).unwrap().from;
    assert_eq!((from("ref_price"), from("adv"), from("daily_vol")), ("recording", "recording", "universe"));
    // The transient impact's e-folding time: crypto's 300 s half-life / ln 2.
    assert!((s.participation_window_s - 300.0 / std::f64::consts::LN_2).abs() < 1e-6);
    assert!(m.session.auction.is_none());
}

/// The recording's figures: BTC-USD's Y 0.6 and daily volatility 3% (the
/// universe's: too few returns), its price level 40,000.20 and ADV 87,120,
/// so our impact is 0.6 x 0.03 x 40,000.20 / sqrt(87,120) = 2.439359 times
/// sqrt(J) for a net quantity J. The participation window is the transient
/// part's e-folding time, 300 s / ln 2 = 432.8085 s, which holds 87,120 /
/// 86,400 x 432.8085 = 436.4152 BTC at the recording's average pace.
fn impact_of(j: f64) -> f64 {
    2.439_359_081_279_6 * j.signum() * j.abs().sqrt()
}

/// The transient weight of a fill with the window's volume: the part not
/// yet seen (the recording started at 0 s) counts at the average pace, 1.0083
/// BTC a second: `scale = 436.4152 / (seen + 436.4152 - 1.008333 x t)`.
fn scale(seen_btc: f64, t_s: f64) -> f64 {
    let (window, pace) = (436.415_249_868_911_5, 87_120.0 / 86_400.0);
    window / (seen_btc + window - pace * t_s)
}

#[test]
fn our_impact_shifts_the_recorded_prints_and_book() {
    let mut m = market(|_| Qty::from_int(1), 0);
    run_to(&mut m, 60);
    assert!(m.replay_shifts().is_empty(), "no impact before our first fill");
    let t = Timestamp(T0 + 60 * SEC);
    // An aggressive buy of 10 BTC at 60 s. The window holds the prints at
    // 0..60 s: 61 BTC, so the scale is 436.4152 / 436.9152 = 0.998856 and
    // J = 10 + 1.25 x 10 x 0.998856 = 22.4857.
    m.apply_impact(Side::Buy, Qty::from_int(10), t);
    let trans = 1.25 * 10.0 * scale(61.0, 60.0);
    assert!((m.impact(t) - impact_of(10.0 + trans)).abs() < 1e-9, "{} vs {}", m.impact(t), impact_of(10.0 + trans));
    // One second later the transient part has decayed by 2^(-1/300).
    let t1 = Timestamp(t.0 + SEC);
    let expected = impact_of(10.0 + trans * (-1.0f64 / 300.0).exp2());
    assert!((m.impact(t1) - expected).abs() < 1e-9);
    let shift = Price::from_f64(expected).unwrap().round_to(m.inst.tick_size, Rounding::Nearest);
    assert!(shift.is_positive());
    // The print recorded at 61 s (40,000.40) comes out shifted, and so does the book.
    run_to(&mut m, 61);
    assert_eq!(m.recorded_print(), Some(Price::from_raw(40_000 * Price::SCALE + 400_000_000) + shift));
    assert_eq!(m.venues[0].book().bids.best().unwrap().px, Price::from_int(40_000) + shift);
    assert_eq!(m.replay_shifts().first(), Some(&(t1, shift)));
}

#[test]
fn participation_is_measured_against_the_volume_printing() {
    // Half-size prints for 1..60 s: 1 + 30 + 60 = 91 BTC in 120 s, an ADV of
    // 91 x 720 = 65,520 (VWAP 40,000 + 0.40 x 45/91 -> 40,000.20), so the
    // impact unit is 0.6 x 0.03 x 40,000.20 / sqrt(65,520) = 2.812862 and the
    // window 65,520 / 86,400 x 432.8085 = 328.2131 BTC. The window holds
    // 1 + 30 = 31 BTC at 60 s and the 45.5 BTC not yet seen count at the
    // average pace: the transient part is scaled by 328.2131 / 313.7131 =
    // 1.046221, more than with full-size prints (0.998856).
    let mut m = market(|k| if k > 0 && k <= 60 { Qty::from_raw(500_000) } else { Qty::from_int(1) }, 0);
    assert_eq!(m.inst.adv, Qty::from_int(65_520));
    run_to(&mut m, 60);
    let t = Timestamp(T0 + 60 * SEC);
    m.apply_impact(Side::Buy, Qty::from_int(10), t);
    let (window, pace) = (65_520.0 / 86_400.0 * 300.0 / std::f64::consts::LN_2, 65_520.0 / 86_400.0);
    let scale_here = window / (31.0 + window - pace * 60.0);
    assert!((scale_here - 1.046221).abs() < 1e-6, "{scale_here}");
    let unit = 0.6 * 0.03 * 40_000.2 / 65_520f64.sqrt();
    let expected = unit * (10.0 + 1.25 * 10.0 * scale_here).sqrt();
    assert!((m.impact(t) - expected).abs() < 1e-9, "{} vs {expected}", m.impact(t));
    assert!(scale(61.0, 60.0) < 1.0);
}

#[test]
fn before_a_whole_window_the_average_pace_fills_in() {
    // Starting at the recording's first print, 20 s in: the 21 BTC printed at
    // 0..20 s, plus the 412.25 s not yet seen at the average pace: 437.2486
    // BTC, a scale of 0.998094. A sell pushes down.
    let mut m = market(|_| Qty::from_int(1), 0);
    run_to(&mut m, 20);
    let t = Timestamp(T0 + 20 * SEC);
    m.apply_impact(Side::Sell, Qty::from_int(10), t);
    let expected = impact_of(-(10.0 + 1.25 * 10.0 * scale(21.0, 20.0)));
    assert!((m.impact(t) - expected).abs() < 1e-9, "{} vs {expected}", m.impact(t));
}

#[test]
fn nothing_recorded_after_the_start_is_known_at_the_start() {
    // Starting 30.5 s in: the book is the quote recorded at 30 s, the
    // reference is its mid, and the print at 31 s has not happened.
    let start = Timestamp(T0 + 30 * SEC + SEC / 2);
    let mut m = market(|_| Qty::from_int(1), 30 * SEC + SEC / 2);
    assert_eq!(m.next_tick, Some(start));
    assert_eq!(m.next_trade, Some(Timestamp(T0 + 31 * SEC)));
    m.on_tick(start);
    assert_eq!(m.nbbo().mid(), Some(40_000.2));
    let r = m.recording().unwrap().reference_at(start).unwrap();
    assert_eq!((r.at, r.px, r.look_ahead), (Timestamp(T0 + 30 * SEC), 40_000.2, false));
    // Before the first event the first one is used, and flagged.
    let r = m.recording().unwrap().reference_at(Timestamp(T0 - SEC)).unwrap();
    assert_eq!((r.at, r.look_ahead), (Timestamp(T0), true));
}
