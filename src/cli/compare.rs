//! `blotter compare`: one order under several algorithms on the same
//! simulated market (same seed, independent copies), in one table.

use super::{CliError, OrderArgs, group};
use crate::compare::{self, Comparison};
use crate::market::session;
use crate::model::AlgoKind;
use clap::Args;
use std::sync::Arc;

/// Flags of `blotter compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    order: OrderArgs,
    /// Comma-separated algorithms to compare, or `all` (iceberg and sniper need --limit).
    #[arg(long, default_value = "twap,vwap,pov,is")]
    algos: String,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

/// Parses `--algos`.
fn parse_algos(s: &str) -> Result<Vec<AlgoKind>, CliError> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(AlgoKind::ALL.to_vec());
    }
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let a: AlgoKind = part.parse().map_err(|e| CliError::usage(format!("--algos: {e}")))?;
        if out.contains(&a) {
            return Err(CliError::usage(format!("--algos: '{a}' is listed twice")));
        }
        out.push(a);
    }
    if out.is_empty() {
        return Err(CliError::usage("--algos: give at least one algorithm, e.g. twap,vwap,pov,is"));
    }
    Ok(out)
}

/// Runs `blotter compare`.
pub fn compare(a: &CompareArgs) -> Result<(), CliError> {
    // The shared order flags carry `--algo` (default twap); here the list is `--algos`.
    if !a.order.algo.trim().eq_ignore_ascii_case("twap") {
        return Err(CliError::usage("--algo: compare takes a list: --algos twap,vwap,pov,is"));
    }
    let algos = parse_algos(&a.algos)?;
    let r = a.order.resolve()?;
    let per =
        compare::params_per_algo(&algos, &r.request.params).map_err(|e| CliError::usage(format!("--param {e}")))?;
    let runs: Vec<_> = algos.iter().copied().zip(per).collect();
    let result =
        compare::compare(Arc::new(r.universe.clone()), &r.config, &r.request, &runs).map_err(|(algo, rej)| {
            let e = CliError::from(rej);
            CliError::usage(format!("{algo}: {}", e.message))
        })?;
    if a.json {
        let doc = serde_json::json!({
            "seed": result.seed,
            "date": r.date.to_string(),
            "symbol": r.inst.symbol,
            "side": r.request.side,
            "qty": r.request.qty,
            "limit": r.request.limit_px,
            "start": r.request.start,
            "end": r.request.end,
            "rows": result.rows,
        });
        println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| CliError::runtime(e.to_string()))?);
        return Ok(());
    }
    print_table(&result, &r, session::tz_of(r.inst.calendar));
    Ok(())
}

fn print_table(c: &Comparison, r: &super::order_args::Resolved, tz: chrono_tz::Tz) {
    let o = &c.order;
    let hhmm =
        |t: Option<crate::model::Timestamp>| t.map_or("-".to_string(), |t| t.in_tz(tz).format("%H:%M").to_string());
    println!(
        "{} {} {} {}-{} {} on {} (seed {}, each algorithm on its own copy of the same market)",
        o.side,
        group(o.qty),
        r.inst.symbol,
        hhmm(o.start),
        hhmm(o.end),
        tz.name(),
        r.date,
        c.seed
    );
    let bps = |b: Option<f64>| b.map_or("-".to_string(), |b| format!("{b:+.2}"));
    println!(
        "{:<8} {:<9} {:>12} {:>11} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>6} {:>6} {:<20}",
        "algo",
        "status",
        "filled",
        "avg px",
        "arr bps",
        "vwap bps",
        "spread",
        "impact",
        "timing",
        "fees",
        "part%",
        "child",
        "venues"
    );
    for row in &c.rows {
        let venues = match row.venues.first() {
            Some(v) => format!("{} ({} {:.0}%)", row.venues.len(), v.venue, v.share * 100.0),
            None => "-".to_string(),
        };
        println!(
            "{:<8} {:<9} {:>12} {:>11} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>6.1} {:>6} {:<20}",
            row.algo.as_str(),
            row.status.as_str(),
            group(row.filled),
            row.avg_px.map_or("-".to_string(), |p| format!("{p:.4}")),
            bps(row.arrival_bps),
            bps(row.vwap_bps),
            bps(row.spread_bps),
            bps(row.impact_bps),
            bps(row.timing_bps),
            bps(row.fees_bps),
            row.participation * 100.0,
            row.children,
            venues
        );
    }
    println!(
        "bps of arrival, positive = cost; arrival = spread + impact + timing (vs the same market without the order); \
         vwap = against the interval VWAP"
    );
}
