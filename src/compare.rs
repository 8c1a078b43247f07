//! Algorithm comparison: the same order under several algorithms, each on its
//! own copy of the same simulated market (same seed), side by side.
//!
//! Because every random stream of the simulator is independent of our orders,
//! the copies see the same price path and order flow; they differ only by the
//! impact of what each algorithm traded. Each market also samples its mid
//! without our impact (the path *without* us), which splits each order's
//! cost against the arrival mid exactly into three parts, per filled unit:
//! - **spread**: fill price against the mid at the fill (what crossing paid,
//!   or passive fills earned: negative);
//! - **impact**: the mid at the fill against the untouched path's mid at the
//!   same moment (how far our own trading had moved the price);
//! - **timing**: the untouched mid at the fill against the arrival mid (what
//!   the market did by itself while we waited).
//!
//! A closing-auction fill has no spread: its price against the price the
//! same auction cleared at without us is impact, and that price against the
//! arrival mid is timing.
//!
//! All three in basis points of the arrival price, positive = cost; fees are
//! reported beside them.

use crate::engine::{Actor, Command, Engine, EngineConfig, OrderRequest, Reject};
use crate::market::Universe;
use crate::model::{AlgoKind, Money, ParentId, ParentStatus, Price, Qty, Role, Timestamp};
use crate::tca::{self, VenueShare};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One algorithm's result.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    /// Algorithm.
    pub algo: AlgoKind,
    /// Final status.
    pub status: ParentStatus,
    /// Parent quantity.
    pub qty: Qty,
    /// Filled quantity.
    pub filled: Qty,
    /// Average fill price.
    pub avg_px: Option<Price>,
    /// Mid at arrival.
    pub arrival_px: Option<Price>,
    /// Market VWAP over the order's active window, excluding our fills.
    pub interval_vwap: Option<Price>,
    /// Cost against arrival, bps.
    pub arrival_bps: Option<f64>,
    /// Cost against interval VWAP, bps.
    pub vwap_bps: Option<f64>,
    /// Spread part of the arrival cost, bps.
    pub spread_bps: Option<f64>,
    /// Own-impact part of the arrival cost, bps.
    pub impact_bps: Option<f64>,
    /// Market-drift part of the arrival cost, bps.
    pub timing_bps: Option<f64>,
    /// Fees (negative = rebates), bps of the filled notional.
    pub fees_bps: Option<f64>,
    /// Fees in currency.
    pub fees: Money,
    /// Our share of the volume traded in the window.
    pub participation: f64,
    /// Child orders sent.
    pub children: u32,
    /// Fills received.
    pub fills: usize,
    /// When it finished.
    pub done_at: Option<Timestamp>,
    /// Executions by venue.
    pub venues: Vec<VenueShare>,
}

/// The order and the results, one row per algorithm.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Seed shared by every copy.
    pub seed: u64,
    /// The order (its `algo` is that of the first row).
    pub order: OrderRequest,
    /// One row per algorithm, in the order asked.
    pub rows: Vec<CompareRow>,
}

/// Splits `--param` keys: `pov.rate=0.1` goes to POV only; unprefixed keys go
/// to every algorithm. Returns one map per algorithm.
pub fn params_per_algo(
    algos: &[AlgoKind],
    params: &BTreeMap<String, String>,
) -> Result<Vec<BTreeMap<String, String>>, String> {
    let mut out = vec![BTreeMap::new(); algos.len()];
    for (k, v) in params {
        match k.split_once('.') {
            Some((prefix, key)) => {
                let kind: AlgoKind = prefix.parse().map_err(|e| format!("'{k}': {e}"))?;
                let i = algos
                    .iter()
                    .position(|a| *a == kind)
                    .ok_or_else(|| format!("'{k}': {kind} is not one of the compared algorithms"))?;
                out[i].insert(key.to_string(), v.clone());
            }
            None => {
                for m in &mut out {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Runs `order` once per algorithm (with its own parameters). Every order is
/// validated before anything runs; the first refusal is returned with its algorithm.
pub fn compare(
    universe: Arc<Universe>,
    config: &EngineConfig,
    order: &OrderRequest,
    algos: &[(AlgoKind, BTreeMap<String, String>)],
) -> Result<Comparison, (AlgoKind, Reject)> {
    compare_with(universe, config, order, algos, run_plain)
}

/// Submits one order on a fresh engine and runs it to the end (what `compare` does with each).
pub fn run_plain(mut e: Engine, actor: &Actor, order: OrderRequest) -> Result<(Engine, ParentId), Reject> {
    let id = e
        .apply(actor, Command::Submit(order))?
        .ok_or_else(|| Reject::new(crate::engine::RejectCode::StateConflict, "submit returned no order id"))?;
    e.run_until_idle();
    let _ = e.drain_events();
    Ok((e, id))
}

/// `compare` with another way of running each order (the command line records
/// them into the ledger through it); `run` gets a fresh engine, the actor and
/// the order, and returns the engine once the order is done.
pub fn compare_with(
    universe: Arc<Universe>,
    config: &EngineConfig,
    order: &OrderRequest,
    algos: &[(AlgoKind, BTreeMap<String, String>)],
    mut run: impl FnMut(Engine, &Actor, OrderRequest) -> Result<(Engine, ParentId), Reject>,
) -> Result<Comparison, (AlgoKind, Reject)> {
    let requests: Vec<OrderRequest> =
        algos.iter().map(|(a, p)| OrderRequest { algo: *a, params: p.clone(), ..order.clone() }).collect();
    let probe = Engine::new(universe.clone(), config.clone()).map_err(|r| (order.algo, r))?;
    for r in &requests {
        probe.preview(r).map_err(|e| (r.algo, e))?;
    }
    let actor = Actor::local(Role::Advisor);
    let mut runs = Vec::with_capacity(requests.len());
    for r in requests {
        let algo = r.algo;
        let e = Engine::new(universe.clone(), config.clone()).map_err(|x| (algo, x))?;
        runs.push(run(e, &actor, r).map_err(|x| (algo, x))?);
    }
    let rows = runs.iter().map(|(e, id)| row(e, *id)).collect();
    Ok(Comparison { seed: config.seed, order: order.clone(), rows })
}

/// An order's cost against its arrival mid split into spread, own impact
/// and timing (see the module comment), bps of the arrival price per filled
/// unit, positive = cost; `None` without fills or an arrival price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostSplit {
    /// Fill price against the mid with us at the fill.
    pub spread_bps: f64,
    /// The mid with us against the mid without us at the fill.
    pub impact_bps: f64,
    /// The mid without us at the fill against the arrival mid.
    pub timing_bps: f64,
}

/// Splits order `id`'s cost on engine `e` against the same market without
/// the order (`InstrumentMarket::mids_without_us`). An auction fill has no
/// spread: its price against the auction's price without us is impact, the
/// rest timing. Exact only while the order is the engine's one order in
/// its instrument (other orders' impact would count as this one's).
pub fn cost_split(e: &Engine, id: ParentId) -> Option<CostSplit> {
    let p = e.parent(id)?;
    let m = e.market(&p.symbol)?;
    let r = tca::pretrade::realised(&tca::pretrade::RealisedInput {
        side: p.side,
        arrival: p.arrival_px?,
        fills: e.fills(id),
        mids: &m.mids,
        without_us: Some(&m.mids_without_us),
        auction_without_us: e.auction_outcome(&p.symbol).map(|o| o.px_without_us.to_f64()),
        quote_per: 1,
    })?;
    Some(CostSplit { spread_bps: r.spread_bps, impact_bps: r.impact_bps.unwrap_or(0.0), timing_bps: r.timing_bps })
}

fn row(e: &Engine, id: crate::model::ParentId) -> CompareRow {
    let p = e.parent(id).expect("the order just ran");
    let m = e.market(&p.symbol).expect("its market");
    let fills = e.fills(id);
    let s = tca::summary(p, fills, &m.tape, e.now());
    let split = cost_split(e, id);
    let denom = p.arrival_px.map(|a| a.to_f64() * p.filled.to_f64()).filter(|d| *d > 0.0);
    CompareRow {
        algo: p.algo,
        status: p.status,
        qty: p.qty,
        filled: p.filled,
        avg_px: p.avg_px(),
        arrival_px: p.arrival_px,
        interval_vwap: s.interval_vwap,
        arrival_bps: s.arrival_slippage_bps,
        vwap_bps: s.vwap_slippage_bps,
        spread_bps: split.map(|c| c.spread_bps),
        impact_bps: split.map(|c| c.impact_bps),
        timing_bps: split.map(|c| c.timing_bps),
        fees_bps: denom.map(|d| p.fees.to_f64() / d * 1e4),
        fees: p.fees,
        participation: s.participation,
        children: p.children,
        fills: fills.len(),
        done_at: p.done_at,
        venues: s.venues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_params_go_to_their_algorithm_only() {
        let algos = [AlgoKind::Twap, AlgoKind::Pov];
        let params: BTreeMap<String, String> =
            [("pov.rate", "0.2"), ("on_pause", "keep")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let per = params_per_algo(&algos, &params).unwrap();
        assert_eq!(per[0].get("rate"), None);
        assert_eq!(per[1].get("rate").map(String::as_str), Some("0.2"));
        assert!(per.iter().all(|m| m.get("on_pause").map(String::as_str) == Some("keep")));
        let bad: BTreeMap<String, String> = [("vwap.slices".to_string(), "3".to_string())].into();
        assert!(params_per_algo(&algos, &bad).unwrap_err().contains("not one of the compared"));
        let bad: BTreeMap<String, String> = [("zzz.slices".to_string(), "3".to_string())].into();
        assert!(params_per_algo(&algos, &bad).unwrap_err().contains("zzz"));
    }
}
