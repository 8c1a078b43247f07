//! VWAP on the simulator: the executed quantity follows the volume curve,
//! the fill price tracks the interval market VWAP, custom curves are honoured
//! and the participation cap holds.

use crate::common;
use crate::support;

use blotter::engine::{Engine, EngineConfig};
use blotter::market::Universe;
use blotter::model::{AlgoKind, ParentStatus, Qty, Side};
use common::*;
use std::sync::Arc;
use support::*;

/// Stated tolerance: in every half-hour bucket of the curve, the share of the
/// order executed is within 2 percentage points of the curve's share (the
/// slicer is never more than one 5-minute slice behind), and the fill VWAP is
/// within 8 bps of the market's interval VWAP.
#[test]
fn executed_share_per_half_hour_follows_the_curve() {
    for seed in [3u64, 6] {
        let mut e = engine(seed, &["AAPL"]);
        let id = run_one(&mut e, order("AAPL", Side::Buy, 300_000, AlgoKind::Vwap, "09:30", "16:00", &[]));
        let p = e.parent(id).unwrap().clone();
        assert_eq!(p.status, ParentStatus::Done);
        assert_eq!(p.filled, p.qty);
        let m = e.market("AAPL").unwrap();
        let curve = &m.curve;
        let n = curve.shares.len();
        assert_eq!(n, 13, "the default U-shape has 13 half hours");
        let len = (curve.close.0 - curve.open.0) / n as i64;
        let mut by_bucket = vec![0.0; n];
        for f in e.fills(id) {
            let b = (((f.ts.0 - curve.open.0) / len) as usize).min(n - 1);
            by_bucket[b] += f.qty.to_f64() / p.qty.to_f64();
        }
        for (b, (got, want)) in by_bucket.iter().zip(&curve.shares).enumerate() {
            assert!((got - want).abs() <= 0.02, "seed {seed} bucket {b}: executed {got:.4} vs curve {want:.4}");
        }
        let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
        let slip = s.vwap_slippage_bps.unwrap();
        assert!(slip.abs() < 8.0, "seed {seed}: {slip:.2} bps from the interval VWAP");
    }
}

#[test]
fn a_custom_curve_shapes_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.toml");
    // A front-loaded 13-bucket curve for MSFT: the first half hour is a quarter of the day.
    let base = Universe::builtin();
    let msft = base.instrument("MSFT").unwrap();
    let toml = format!(
        "[[instrument]]\nsymbol = \"MSFT\"\nasset_class = \"equity\"\ncalendar = \"us_equity\"\nlisting = \"NASDAQ\"\n\
         currency = \"USD\"\ntick_size = \"{}\"\nlot_size = \"{}\"\nref_price = \"{}\"\ndaily_vol = {}\nadv = \"{}\"\n\
         avg_trade_size = \"{}\"\nspread_bps = {}\ntouch_depth = \"{}\"\nauction_share = {}\n\
         venues = [\"NYSE\", \"NASDAQ\", \"BATS\", \"IEX\", \"ARCA\"]\n\
         volume_curve = [12.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 2.0]\n",
        msft.tick_size,
        msft.lot_size,
        msft.ref_price,
        msft.daily_vol,
        msft.adv,
        msft.avg_trade_size,
        msft.spread_bps,
        msft.touch_depth,
        msft.auction_share
    );
    std::fs::write(&path, toml).unwrap();
    let u = Universe::with_overrides(&path).unwrap();
    let mut cfg = EngineConfig::new(1, date());
    cfg.symbols = Some(vec!["MSFT".into()]);
    let e = Engine::new(Arc::new(u), cfg).unwrap();
    let plan = e.preview(&order("MSFT", Side::Sell, 52_000, AlgoKind::Vwap, "09:30", "16:00", &[])).unwrap();
    assert_eq!(plan.len(), 78);
    assert_eq!(plan.last().unwrap().cum, Qty::from_int(52_000));
    // The first half hour (6 slices) carries 12/52 of the order, the last 2/52.
    let first: f64 = plan[..6].iter().map(|s| s.qty.to_f64()).sum();
    let last: f64 = plan[72..].iter().map(|s| s.qty.to_f64()).sum();
    assert!((first - 12_000.0).abs() <= 6.0, "{first}");
    assert!((last - 2_000.0).abs() <= 6.0, "{last}");
    // The default engine's U-shape would have put far more at the close.
    let plain = engine(1, &["MSFT"]);
    let u_plan = plain.preview(&order("MSFT", Side::Sell, 52_000, AlgoKind::Vwap, "09:30", "16:00", &[])).unwrap();
    let u_last: f64 = u_plan[72..].iter().map(|s| s.qty.to_f64()).sum();
    assert!(u_last > 3.0 * last, "{u_last} vs {last}");
}

#[test]
fn the_participation_cap_holds_and_the_rest_is_replanned() {
    // 600,000 AAPL in an hour is ~8% of the volume; capped at 3% it cannot finish.
    let mut e = engine(8, &["AAPL"]);
    let id =
        run_one(&mut e, order("AAPL", Side::Buy, 600_000, AlgoKind::Vwap, "10:00", "11:00", &[("max_pct", "0.03")]));
    let p = e.parent(id).unwrap().clone();
    let m = e.market("AAPL").unwrap();
    let s = blotter::tca::summary(&p, e.fills(id), &m.tape, e.now());
    assert_eq!(p.status, ParentStatus::Expired, "{p:?}");
    assert!(p.filled.is_positive() && p.filled < p.qty);
    assert!(s.participation <= 0.031 && s.participation > 0.02, "participation {:.4}", s.participation);
}
