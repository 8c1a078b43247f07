//! The text form of a batch review: the total, one table per grouping with
//! its outliers, the costliest orders, and every issue.

use crate::model::Money;
use crate::model::human::group as grouped;
use crate::tca::batch::{Excluded, OrderTca};
use crate::tca::group::{GroupRow, Grouping, PreTradeStat, Stat};
use crate::tca::review::Review;
use chrono_tz::Tz;

/// Orders listed in the text form (all of them are in --json and the report).
const ORDERS_SHOWN: usize = 20;

fn money(m: Money) -> String {
    grouped(&format!("{m:.2}"))
}

fn bps(x: Option<f64>) -> String {
    // Rounded first, so a value a hair below zero does not print as -0.00.
    x.map_or("-".into(), |b| format!("{:+.2}", (b * 100.0).round() / 100.0 + 0.0))
}

fn stat(s: &Stat) -> String {
    match (s.mean, s.sd) {
        (Some(m), Some(sd)) => format!("{} (sd {sd:.2})", bps(Some(m))),
        _ => "-".into(),
    }
}

fn total(r: &Review) {
    let t = &r.total;
    println!(
        "  paper {}, executed {}, fill rate {:.1}% by decision value",
        money(t.paper),
        money(t.executed),
        t.fill_rate * 100.0
    );
    println!(
        "  shortfall {} = {} bps: delay {:+.2}, trading {:+.2}, opportunity {:+.2}, fees {:+.2} bps",
        money(t.shortfall),
        stat(&t.shortfall_bps),
        t.delay_bps,
        t.trading_bps,
        t.opportunity_bps,
        t.fees_bps
    );
    println!("  vs arrival {} bps, vs interval VWAP {} bps", stat(&t.arrival_bps), stat(&t.vwap_bps));
    let m: Vec<String> = t.markouts_bps.iter().map(|s| bps(s.mean)).collect();
    println!("  markouts after the fills (1 s, 5 s, 30 s, 5 min): {} bps", m.join(", "));
    println!("{}", pre_trade_line(&t.pre_trade, &r.batch.orders));
    match &r.size_fit {
        Some(f) => println!(
            "  slippage vs size: arrival bps = {:.2} + {:.2} x sqrt(filled / interval volume) (R2 {:.2}, {} orders)",
            f.a, f.b, f.r2, f.n
        ),
        None => println!("  slippage vs size: too few orders with market volume in their window to fit"),
    }
}

/// The total's pre-trade line: mean estimate against mean realised, or why
/// orders have none (the most common reason).
fn pre_trade_line(p: &PreTradeStat, orders: &[OrderTca]) -> String {
    let without: Vec<&str> =
        orders.iter().filter_map(|o| o.pre_trade_basis.as_ref().and_then(|b| b.unavailable.as_deref())).collect();
    let mut line = match (p.estimate_bps.mean, p.realised_bps.mean) {
        (Some(e), Some(r)) => format!(
            "  pre-trade estimate vs realised ({} orders): estimate {} bps, realised {} bps, error {} bps",
            p.orders,
            bps(Some(e)),
            bps(Some(r)),
            stat(&p.error_bps)
        ),
        _ => "  pre-trade estimate vs realised: no order has both".to_string(),
    };
    if let Some(first) = without.first() {
        line.push_str(&format!("; {} order(s) without an estimate (e.g. {first})", without.len()));
    }
    line
}

fn header(g: &Grouping) -> String {
    let names: Vec<&str> = g.dims.iter().map(|d| d.name()).collect();
    names.join(" x ")
}

fn row_line(key_w: usize, r: &GroupRow) -> String {
    format!(
        "  {:<key_w$} {:>6} {:>7} {:>16} {:>8} {:>7} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
        r.key.join(" / "),
        r.orders,
        r.fills,
        money(r.paper),
        bps(r.shortfall_bps.mean),
        r.shortfall_bps.sd.map_or("-".into(), |s| format!("{s:.2}")),
        format!("{:+.2}", r.delay_bps),
        format!("{:+.2}", r.trading_bps),
        format!("{:+.2}", r.opportunity_bps),
        format!("{:+.2}", r.fees_bps),
        bps(r.arrival_bps.mean),
        bps(r.vwap_bps.mean),
        bps(r.markouts_bps[3].mean),
        bps(r.pre_trade.estimate_bps.mean),
        bps(r.pre_trade.error_bps.mean),
    )
}

fn grouping(g: &Grouping, outlier_sd: f64) {
    let title = header(g);
    let key_w = g.rows.iter().map(|r| r.key.join(" / ").chars().count()).max().unwrap_or(0).max(title.len()).min(40);
    println!();
    println!("By {title}");
    println!(
        "  {:<key_w$} {:>6} {:>7} {:>16} {:>8} {:>7} {:>8} {:>8} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
        title,
        "orders",
        "fills",
        "paper",
        "IS bps",
        "sd",
        "delay",
        "trading",
        "opport.",
        "fees",
        "arrival",
        "VWAP",
        "mk 5m",
        "pre-est",
        "vs est"
    );
    for r in &g.rows {
        println!("{}", row_line(key_w, r));
    }
    let outliers: Vec<String> = g
        .rows
        .iter()
        .flat_map(|r| {
            r.outliers.iter().map(move |o| {
                let venue = o.venue.as_deref().map_or(String::new(), |v| format!(" at {v}"));
                format!("{}{venue} [{}] {:+.2} bps (z {:+.2})", o.order_id, r.key.join(" / "), o.shortfall_bps, o.z)
            })
        })
        .collect();
    if !outliers.is_empty() {
        println!("  outliers beyond {outlier_sd} sd: {}", outliers.join("; "));
    }
}

fn order_line(o: &OrderTca, tz: Tz) -> String {
    let r = &o.tca;
    format!(
        "  {:<12} {:<8} {:<4} {:>12} {:>12} {:<19} {:>8} {:>8} {:>8} {:>7} {:>8}",
        o.order.id,
        o.order.symbol,
        r.side,
        crate::cli::group(r.order_qty),
        crate::cli::group(r.filled_qty),
        o.order.arrival.in_tz(tz).format("%Y-%m-%d %H:%M:%S"),
        bps(r.implementation_shortfall.map(|s| s.total_bps)),
        bps(r.arrival_slippage_bps),
        bps(r.vwap_slippage_bps),
        o.size_pct.map_or("-".into(), |s| format!("{s:.2}")),
        bps(r.pre_trade.as_ref().map(|p| p.estimate.total_bps)),
    )
}

/// Prints the review.
pub fn print(r: &Review, tz: Tz) {
    let b = &r.batch;
    let fills: usize = b.orders.iter().map(|o| o.fill_count).sum();
    let mut symbols: Vec<&str> = b.orders.iter().map(|o| o.order.symbol.as_str()).collect();
    symbols.sort_unstable();
    symbols.dedup();
    println!(
        "TCA of {} of {} orders ({} of {} fills, {} symbol(s)); times in {}; costs in bps, positive = cost",
        b.orders.len(),
        b.orders_in,
        fills,
        b.fills_in,
        symbols.len(),
        r.tz
    );
    if !b.issues.is_empty() {
        let orders = b.issues.iter().filter(|i| i.excluded == Excluded::Order).count();
        println!(
            "  left out: {} order(s) and {} fill(s) for {} issue(s), listed at the end",
            orders,
            b.fills_in - fills,
            b.issues.len()
        );
    }
    total(r);
    for g in &r.groupings {
        grouping(g, r.outlier_sd);
    }
    let mut costliest: Vec<&OrderTca> = b.orders.iter().collect();
    costliest.sort_by(|x, y| {
        let k = |o: &OrderTca| o.tca.implementation_shortfall.map_or(f64::NEG_INFINITY, |s| s.total_bps);
        k(y).total_cmp(&k(x))
    });
    println!();
    println!(
        "Orders, costliest first ({} of {}; --json or --report for all)",
        costliest.len().min(ORDERS_SHOWN),
        costliest.len()
    );
    println!(
        "  {:<12} {:<8} {:<4} {:>12} {:>12} {:<19} {:>8} {:>8} {:>8} {:>7} {:>8}",
        "order", "symbol", "side", "qty", "filled", "arrival", "IS bps", "arrival", "VWAP", "size %", "pre-est"
    );
    for o in costliest.iter().take(ORDERS_SHOWN) {
        println!("{}", order_line(o, tz));
    }
    if !b.issues.is_empty() {
        println!();
        println!("Issues ({}; left out of every figure above; --strict makes them fatal)", b.issues.len());
        for i in &b.issues {
            println!("  {i}");
        }
    }
}
