//! A replay does not fill more than the recorded market could give: an
//! order of twice the tape's volume on the shared Binance BTC/USDT sample
//! (`BLOTTER_SHARED_DATA`; skipped, saying so, without it). Before, selling
//! 200 BTC over the sample's 46 s filled 184.39 BTC against 87.07 printed,
//! at -2.48 bps against arrival: the ten levels extrapolated behind the
//! recorded top of book, one tick apart, refilled whole every venue
//! resilience time (800 ms on BINANCE). The constructed case is
//! `venue::replay::tests::extrapolated_depth_follows_the_impact_profile_and_refills_with_the_tape`.

use crate::fixtures;

use crate::replay_fidelity::{BTC_QUOTES, BTC_TRADES, Run, run};
use blotter::model::Side;

#[test]
fn selling_twice_the_tapes_volume_is_bounded_and_pays_the_impact() {
    let Some(dir) = fixtures::shared_data() else { return };
    let Run { engine, fills, rec } = run(&dir, (BTC_TRADES, BTC_QUOTES), "BTC-USD", "sell", "200", "twap", &[]);
    let m = engine.market("BTC-USD").unwrap();
    let tape: Vec<_> = rec.trades.to_vec();
    let printed: f64 = tape.iter().map(|t| t.qty.to_f64()).sum();
    // Seller-initiated prints: the bid-side liquidity the tape shows arriving.
    let hit_bids: f64 = tape.iter().filter(|t| t.aggressor == Some(Side::Sell)).map(|t| t.qty.to_f64()).sum();
    assert!(200.0 >= 2.0 * printed, "the order is twice the tape's volume ({printed})");
    let filled: f64 = fills.iter().map(|f| f.qty.to_f64()).sum();
    // The documented bound on the extrapolated depth: its stock (the typical
    // touch d times 9 levels growing by 0.35 a level: 24.75 d) plus what the
    // tape printed against the bids; the recorded touch adds what it showed.
    let d = m.inst.touch_depth.to_f64();
    let stock = d * 24.75;
    eprintln!("filled {filled:.5} of 200; tape {printed:.5}, hitting bids {hit_bids:.5}; stock {stock:.5}");
    assert!(filled <= printed, "filled {filled} more than the tape printed ({printed})");
    assert!(filled < 0.5 * printed, "filled {filled}: more than half the tape ({printed})");
    // Cost against the recorded market without us (the recorded mid or
    // last print at each fill, raw from the file): a sell pays
    // (reference - px) / reference. The model's impact for what filled is
    // `Y sigma sqrt(Q / ADV)` (what stays; the recording's figures).
    let mut cost = 0.0;
    for f in &fills {
        let reference = rec.reference_at(f.ts).unwrap().px;
        cost += f.qty.to_f64() * (reference - f.px.to_f64()) / reference * 1e4;
    }
    let cost_bps = cost / filled;
    let model_bps = m.inst.impact_y * m.inst.daily_vol * (filled / m.inst.adv.to_f64()).sqrt() * 1e4;
    eprintln!("cost {cost_bps:.2} bps against the recorded market, model impact {model_bps:.2} bps");
    assert!(cost_bps >= model_bps, "cost {cost_bps:.2} bps below the model's impact {model_bps:.2}");
}
