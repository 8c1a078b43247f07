//! `blotter compare`: one order under several algorithms on the same
//! simulated or replayed market (same seed, independent copies), in one table.

use super::drive::{Drive, Sink, drive};
use super::ledger_args::store_error;
use super::{CliError, OrderArgs, group};
use crate::compare::{self, Comparison};
use crate::engine::Command;
use crate::market::session;
use crate::model::AlgoKind;
use crate::store::{EngineSpec, Ledger, Recorder, Sources};
use clap::Args;
use std::sync::Arc;

/// Flags of `blotter compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    order: OrderArgs,
    #[command(flatten)]
    replay: super::ReplayArgs,
    /// Comma-separated algorithms to compare, or `all` (iceberg and sniper need --limit).
    #[arg(long, default_value = "twap,vwap,pov,is")]
    algos: String,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
    /// Record each algorithm's run into this ledger (sqlite:PATH or postgres://...; `default` for the
    /// default one). Without it nothing is recorded: the orders of a comparison are hypothetical.
    #[arg(long = "db", value_name = "URL", env = "BLOTTER_DB")]
    db: Option<String>,
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
    let r = a.replay.resolve(&a.order)?;
    let per =
        compare::params_per_algo(&algos, &r.request.params).map_err(|e| CliError::usage(format!("--param {e}")))?;
    let runs: Vec<_> = algos.iter().copied().zip(per).collect();
    let ledger = match a.db.as_deref() {
        None => None,
        Some(d) if d.trim().eq_ignore_ascii_case("default") => Some(Ledger::open_arg(None).map_err(store_error)?),
        Some(d) => Some(Ledger::open_arg(Some(d)).map_err(store_error)?),
    };
    // A ledger failure inside a run stops the comparison; it is reported instead of the refusal it becomes.
    let mut failure: Option<CliError> = None;
    let sources = a.replay.sources(&a.order)?;
    let universe = Arc::new(r.universe.clone());
    let result = match &ledger {
        None => compare::compare(universe, &r.config, &r.request, &runs),
        Some(l) => compare::compare_with(universe, &r.config, &r.request, &runs, |e, actor, order| {
            recorded(l, &r.config, &sources, e, actor, order).map_err(|err| {
                failure.get_or_insert(err);
                crate::engine::Reject::new(crate::engine::RejectCode::StateConflict, "the ledger failed")
            })
        }),
    };
    if let Some(err) = failure {
        return Err(err);
    }
    let result = result.map_err(|(algo, rej)| {
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

/// Runs one order of the comparison recorded into the ledger, as `run` does.
fn recorded(
    ledger: &Ledger,
    config: &crate::engine::EngineConfig,
    sources: &Sources,
    mut e: crate::engine::Engine,
    actor: &crate::engine::Actor,
    order: crate::engine::OrderRequest,
) -> Result<(crate::engine::Engine, crate::model::ParentId), CliError> {
    let spec = EngineSpec::new(config, sources.clone(), actor, e.now());
    let mut rec = Recorder::new(ledger, ledger.register(&spec).map_err(store_error)?);
    let outcome = (|| {
        let (result, _) = rec.apply(&mut e, actor, Command::Submit(order)).map_err(store_error)?;
        let id = result?.ok_or_else(|| CliError::runtime("submit returned no order id"))?;
        let mut sink = Sink::new(None)?;
        drive(
            &mut e,
            Some(&mut rec),
            &Drive { speed: None, progress: None, done: &|e: &crate::engine::Engine| e.is_idle() },
            &mut sink,
        )?;
        Ok::<_, CliError>(id)
    })();
    let finished = rec.finish().map_err(store_error);
    let id = outcome?;
    finished?;
    Ok((e, id))
}

fn print_table(c: &Comparison, r: &super::order_args::Resolved, tz: chrono_tz::Tz) {
    let o = &c.order;
    let span = match (o.start, o.end) {
        (Some(a), Some(b)) => super::order_report::window(a, b, tz),
        (a, b) => {
            let one = |t: Option<crate::model::Timestamp>| {
                t.map_or("-".to_string(), |t| t.in_tz(tz).format("%H:%M").to_string())
            };
            format!("{}-{}", one(a), one(b))
        }
    };
    println!(
        "{} {} {} {} {} on {} (seed {}, each algorithm on its own copy of the same market)",
        o.side,
        group(o.qty),
        r.inst.symbol,
        span,
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
