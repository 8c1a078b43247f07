//! The text and JSON forms of one order's report, shared by `run`,
//! `recover` and `tca` (kept apart from the commands so none imports another).

use super::group;
use crate::engine::Engine;
use crate::model::ParentId;
use crate::tca::{self, Markouts, TcaReport};
use serde::Serialize;

/// One order in `run --json`.
#[derive(Debug, Serialize)]
pub struct OrderReport {
    id: ParentId,
    symbol: String,
    side: crate::model::Side,
    qty: crate::model::Qty,
    filled_qty: crate::model::Qty,
    avg_px: Option<crate::model::Price>,
    algo: crate::model::AlgoKind,
    status: crate::model::ParentStatus,
    children: u32,
    fills: usize,
    fees: crate::model::Money,
    start: crate::model::Timestamp,
    end: crate::model::Timestamp,
    #[serde(flatten)]
    summary: tca::Summary,
    /// Full post-trade analysis (sign: positive = cost).
    tca: tca::TcaReport,
}

/// Builds the report of one finished (or running) parent.
pub fn order_report(engine: &Engine, id: ParentId) -> Option<OrderReport> {
    let p = engine.parent(id)?;
    let m = engine.market(&p.symbol)?;
    let fills = engine.fills(id);
    Some(OrderReport {
        id,
        symbol: p.symbol.to_string(),
        side: p.side,
        qty: p.qty,
        filled_qty: p.filled,
        avg_px: p.avg_px(),
        algo: p.algo,
        status: p.status,
        children: p.children,
        fills: fills.len(),
        fees: p.fees,
        start: p.start,
        end: p.end,
        summary: tca::summary(p, fills, &m.tape, engine.now()),
        tca: engine.tca_report(id)?,
    })
}

/// HH:MM, or HH:MM:SS when the time has seconds (replayed recordings).
fn hhmm(t: crate::model::Timestamp, tz: chrono_tz::Tz) -> String {
    let local = t.in_tz(tz);
    let fmt = if t.0 % 60_000_000_000 == 0 { "%H:%M" } else { "%H:%M:%S" };
    local.format(fmt).to_string()
}

/// A window `start-end`, both HH:MM, or both HH:MM:SS when either has
/// seconds (a replay from 00:00:50 to 00:01 read `00:00:50-00:01`, and a
/// 50-second LOBSTER window `09:30-09:30` in `compare`).
pub(super) fn window(a: crate::model::Timestamp, b: crate::model::Timestamp, tz: chrono_tz::Tz) -> String {
    let whole = a.0 % 60_000_000_000 == 0 && b.0 % 60_000_000_000 == 0;
    let fmt = if whole { "%H:%M" } else { "%H:%M:%S" };
    format!("{}-{}", a.in_tz(tz).format(fmt), b.in_tz(tz).format(fmt))
}

pub fn print_summary(r: &OrderReport, engine: &Engine, tz: chrono_tz::Tz) {
    let px = |p: Option<crate::model::Price>| p.map_or("-".to_string(), |p| format!("{p:.4}"));
    let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.2} bps"));
    println!(
        "{} {} {} {} {} {} {} on {} (seed {})",
        r.id,
        r.symbol,
        r.side,
        group(r.qty),
        r.algo.as_str().to_uppercase(),
        window(r.start, r.end, tz),
        tz.name(),
        engine.date(),
        engine.seed()
    );
    println!("  status           {}", r.status);
    if let Some(why) = &r.tca.end_reason {
        println!("  why              {why}");
    }
    println!(
        "  filled           {} / {} ({:.1}%)",
        group(r.filled_qty),
        group(r.qty),
        r.filled_qty.ratio(r.qty) * 100.0
    );
    println!("  avg px           {}", px(r.avg_px));
    println!("  arrival px       {}", px(r.summary.arrival_px));
    println!("  interval VWAP    {} (market, excluding our fills)", px(r.summary.interval_vwap));
    println!(
        "  slippage         {} vs arrival, {} vs interval VWAP (positive = cost)",
        bps(r.summary.arrival_slippage_bps),
        bps(r.summary.vwap_slippage_bps)
    );
    println!("  participation    {:.1}% of volume in the window", r.summary.participation * 100.0);
    print_shortfall(&r.tca);
    if let Some(pt) = &r.tca.pre_trade {
        for line in pre_trade_lines(pt, tz) {
            println!("{line}");
        }
    }
    println!("  fees             {} (negative = net rebate)", r.fees);
    println!("  children         {} ({} fills)", r.children, r.fills);
    let venues: Vec<String> = r.summary.venues.iter().map(|v| format!("{} {:.1}%", v.venue, v.share * 100.0)).collect();
    println!("  venues           {}", if venues.is_empty() { "-".to_string() } else { venues.join(", ") });
    if let Some(t) = &r.tca.vwap_tracking {
        print_tracking(t, tz);
    }
}

/// A VWAP order's tracking, one line per bucket.
fn print_tracking(t: &[tca::BucketTracking], tz: chrono_tz::Tz) {
    println!("  tracking         bucket ({})    planned forecast  market executed (shares)", tz.name());
    for b in t {
        println!(
            "                   {}-{}   {:>6.2}%  {:>6.2}%  {:>6.2}%  {:>6.2}%",
            hhmm(b.start, tz),
            hhmm(b.end, tz),
            b.planned * 100.0,
            b.forecast * 100.0,
            b.market * 100.0,
            b.executed * 100.0
        );
    }
}

/// The pre-trade estimate made at submission beside the realised cost, one
/// line per component (bps; positive = cost), then the totals in currency.
pub fn pre_trade_lines(p: &tca::EstimateVsRealised, tz: chrono_tz::Tz) -> Vec<String> {
    let e = &p.estimate;
    let input = |k: &str| e.inputs.get(k).copied().unwrap_or(f64::NAN);
    let b = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.2}"));
    let at = e.at.in_tz(tz).format("%H:%M:%S");
    let mut out = vec![
        format!(
            "  pre-trade        estimated at {at} {} for {} ({}, Y {:.2}, half-life {:.0} s, sigma {:.2}%, {:.1}% of the window's volume, {:.0}% crossing)",
            tz.name(),
            group(e.qty),
            e.model,
            input("impact_y"),
            input("impact_half_life_s"),
            input("sigma") * 100.0,
            input("participation") * 100.0,
            input("aggressive_fraction") * 100.0,
        ),
        format!("  {:<16} {:>10} {:>10} {:>10}  (bps; realised minus estimate)", "", "estimate", "realised", "diff"),
    ];
    let r = p.realised.as_ref();
    let d = p.difference.as_ref();
    let row = |name: &str, est: Option<f64>, real: Option<f64>, diff: Option<f64>| {
        format!("  {name:<16} {:>10} {:>10} {:>10}", b(est), b(real), b(diff))
    };
    out.push(row("spread", Some(e.spread_bps), r.map(|r| r.spread_bps), d.map(|d| d.spread_bps)));
    out.push(row("impact", Some(e.impact_bps), r.and_then(|r| r.impact_bps), d.and_then(|d| d.impact_bps)));
    out.push(row(
        "spread + impact",
        Some(e.total_bps),
        r.and_then(|r| r.impact_bps.map(|i| i + r.spread_bps)),
        d.and_then(|d| d.cost_bps),
    ));
    let separated = r.is_some_and(|r| r.split == tca::ImpactSplit::WithoutUs);
    out.push(format!(
        "  {:<16} {:>10} {:>10} {:>10}",
        if separated { "timing" } else { "impact + timing" },
        format!("sd {:.2}", e.timing_risk_bps),
        b(r.map(|r| r.timing_bps)),
        d.and_then(|d| d.timing_sd).map_or("-".to_string(), |z| format!("{z:+.2} sd")),
    ));
    out.push(row("total", Some(e.total_bps), r.map(|r| r.total_bps), d.map(|d| d.total_bps)));
    out.push(format!(
        "  {:<16} estimate {:.2} on {} (timing sd {:.2}); realised {} on {} filled; difference {}",
        "in currency",
        e.total,
        group(e.qty),
        e.timing_risk,
        r.map_or("-".to_string(), |r| format!("{:.2}", r.total)),
        r.map_or("0".to_string(), |r| group(r.filled)),
        d.map_or("-".to_string(), |d| format!("{:+.2}", d.total)),
    ));
    out
}

fn markout_line(m: &Markouts) -> String {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |b| format!("{b:+.2}"));
    format!("1s {}  5s {}  30s {}  5m {} bps", f(m.s1), f(m.s5), f(m.s30), f(m.m5))
}

/// Prints implementation shortfall, markouts and attribution lines.
pub fn print_shortfall(r: &TcaReport) {
    if let Some(sf) = &r.implementation_shortfall {
        println!(
            "  impl. shortfall  {:.2} ({:+.2} bps of {:.2} paper) = delay {:.2} + trading {:.2} + opportunity {:.2} + fees {:.2}",
            sf.total, sf.total_bps, sf.paper_notional, sf.delay, sf.trading, sf.opportunity, sf.fees
        );
    }
    if let Some(a) = &r.algo {
        println!(
            "  attribution      impact {:+.2} bps, timing {:+.2} bps, opportunity {:+.2} bps",
            a.impact_bps, a.timing_bps, a.opportunity_bps
        );
    }
    println!("  markouts after   {}", markout_line(&r.markouts_bps));
    println!("  markouts before  {}", markout_line(&r.markouts_before_bps));
    for v in &r.venues {
        println!(
            "  venue {:<10} {} ({:.1}%), avg px {}, fees {:.2}, cost {}",
            v.exec.venue,
            group(v.exec.qty),
            v.exec.share * 100.0,
            v.exec.avg_px.map_or("-".to_string(), |p| format!("{p:.4}")),
            v.exec.fees,
            v.cost_bps.map_or("-".to_string(), |b| format!("{b:+.2} bps")),
        );
    }
}

/// The replay lines of the summary: what the market ran on, where the arrival
/// came from, and how far our impact moved the recorded prices.
pub fn print_replay(r: &crate::market::ReplayReport, tz: chrono_tz::Tz) {
    use crate::market::replay::RefKind;
    let s = &r.summary;
    println!("  replay           {} on {} ({} trades, {} quotes)", s.source, s.venue, s.trades, s.quotes);
    if let Some(a) = &r.arrival {
        let from = match a.from {
            RefKind::Quote => "quote mid",
            RefKind::Print => "print",
        };
        let when = format!("{} {}", a.at.in_tz(tz).format("%H:%M:%S%.3f"), tz.name());
        let flag = if a.look_ahead { ": LOOK-AHEAD, nothing was recorded before the start" } else { "" };
        println!("  arrival from     {from} {:.4} at {when}{flag}", a.px);
    }
    let figures: Vec<String> = s
        .coefficients
        .iter()
        .map(|c| {
            let v = match c.name {
                "daily_vol" => format!("{:.2}%", c.value * 100.0),
                "spread_bps" => format!("{:.4} bps", c.value),
                _ => format!("{}", c.value),
            };
            let from = if c.from == "universe" { " (universe)" } else { "" };
            format!("{} {v}{from}", c.name)
        })
        .collect();
    println!("  market figures   {} (from the recording)", figures.join(", "));
    println!(
        "  our impact       up to {} ({:+.2} bps) on the recorded prices, {} at the end",
        r.impact.max_shift, r.impact.max_shift_bps, r.impact.final_shift
    );
}
