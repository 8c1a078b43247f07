//! TCA of many orders done elsewhere, each with its own timeline, over
//! market data of several symbols read once.
//!
//! Semantics (the sign convention is the crate's: positive = cost):
//! - arrival price: the last print at or before the order's `arrival` (the
//!   mid of the last two-sided quote when the symbol has quotes);
//! - decision price: `decision_px`, else the price at `decision_time`, else
//!   the arrival price;
//! - the unfilled quantity is valued at the price at the order's `end`;
//! - the interval VWAP covers the market's prints in `[arrival, end]`, both
//!   ends included;
//! - markouts after and before each fill as for any order.
//!
//! `Batch::new` checks the orders and fills against each other and lists
//! what it had to leave out (`Issue`); the caller feeds the market data
//! through `Batch::market` and `Batch::finish` gives the report.

pub mod input;
pub mod market_pass;

pub use input::{Excluded, FillSpec, Issue, IssueKind, OrderSpec, Source};
pub use market_pass::{Coverage, MarketPass, OutOfOrder, SymId};

use super::markout::{HORIZONS, markout_against};
use super::report::{Measured, TcaReport, assemble};
use super::shortfall::notional;
use crate::market::tape::WindowStats;
use crate::model::{ChildId, Fill, FillId, Liquidity, Money, Name, ParentId, Price, Qty, Timestamp};
use market_pass::{CumQ, Level, LevelQ};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A time as an issue shows it: UTC, to the precision it has (`2026-11-25T11:00:01Z`, `...:01.5Z`).
pub fn when(t: Timestamp) -> String {
    let s = t.to_string();
    match s.strip_suffix('Z').and_then(|b| b.split_once('.')) {
        Some((whole, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() { format!("{whole}Z") } else { format!("{whole}.{frac}Z") }
        }
        None => s,
    }
}

/// Buckets of each order's price chart.
pub const CHART_BUCKETS: usize = 48;

/// An order or fill that cannot be analysed at all: the input must be corrected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{at}: column '{column}': {message}")]
pub struct InputError {
    /// The row at fault.
    pub at: Source,
    /// The column at fault.
    pub column: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Where an order's prices came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// Mids of recorded quotes.
    Mid,
    /// The last market print.
    LastTrade,
}

/// One bucket of an order's window: the market's volume and VWAP in it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Start of the bucket.
    pub t0: Timestamp,
    /// End (inclusive).
    pub t1: Timestamp,
    /// The market's volume in it.
    pub qty: Qty,
    /// The market's VWAP in it (`None` without prints).
    pub vwap: Option<Price>,
}

/// The analysis of one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderTca {
    /// The order as given.
    pub order: OrderSpec,
    /// Fills analysed.
    pub fill_count: usize,
    /// Where its prices came from.
    pub price_source: PriceSource,
    /// Executed notional (price times quantity over the fills, per `quote_per`).
    pub executed_notional: Money,
    /// Filled quantity as a percentage of the market's volume over the window (`None` without volume).
    pub size_pct: Option<f64>,
    /// The full report (positive = cost).
    pub tca: TcaReport,
    /// The market over the window, for charts (not in JSON: the figures are).
    #[serde(skip)]
    pub chart: Vec<Bucket>,
    /// The fills analysed, in time order.
    #[serde(skip)]
    pub fills: Vec<Fill>,
    /// The mid (or last print) at each fill, for the realised cost's split.
    #[serde(skip)]
    pub fill_mids: Vec<Option<f64>>,
    /// The market figures before the arrival (`None`: no instrument known
    /// for the symbol; an error: why the data cannot support an estimate).
    #[serde(skip)]
    pub market_figures: Option<Result<crate::tca::pretrade::history::MarketFigures, String>>,
    /// How the pre-trade estimate (`tca.pre_trade`) was made, or why there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_trade_basis: Option<crate::tca::pretrade::EstimateBasis>,
}

/// Every order's analysis and what was left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The orders analysed, in input order.
    pub orders: Vec<OrderTca>,
    /// Problems found, in input order of the rows at fault.
    pub issues: Vec<Issue>,
    /// Orders given.
    pub orders_in: usize,
    /// Fills given.
    pub fills_in: usize,
}

struct Planned {
    spec: OrderSpec,
    sym: SymId,
    fills: Vec<Fill>,
    arrival: LevelQ,
    end: LevelQ,
    decision: Option<LevelQ>,
    /// Volume before the window, then at each chart bucket's end (the last is the window's end).
    edges: Vec<CumQ>,
    /// Per fill: the price at each horizon after, then before.
    marks: Vec<[LevelQ; 8]>,
    /// Per fill: the price at its time.
    at_fill: Vec<LevelQ>,
}

/// Orders and fills checked and their questions asked; the market data comes next.
pub struct Batch {
    planned: Vec<Planned>,
    issues: Vec<Issue>,
    pass: MarketPass,
    orders_in: usize,
    fills_in: usize,
}

fn structure(o: &OrderSpec) -> Result<(), InputError> {
    let err = |column, message: String| InputError { at: o.source.clone(), column, message };
    if !o.qty.is_positive() {
        return Err(err("qty", format!("{} is not a positive quantity", o.qty)));
    }
    if o.end < o.arrival {
        return Err(err(
            "end",
            format!("{} is before the arrival {}; the end must be at or after it", when(o.end), when(o.arrival)),
        ));
    }
    if let Some(d) = o.decision_time
        && d > o.arrival
    {
        return Err(err(
            "decision_time",
            format!("{} is after the arrival {}; a decision comes first", when(d), when(o.arrival)),
        ));
    }
    if o.quote_per < 1 {
        return Err(err("quote_per", format!("{} must be a positive whole number (1, or 100 for bonds)", o.quote_per)));
    }
    for (column, px) in [("decision_px", o.decision_px), ("limit_px", o.limit_px)] {
        if let Some(p) = px
            && !p.is_positive()
        {
            return Err(err(column, format!("{p} is not a positive price")));
        }
    }
    Ok(())
}

fn lines(sources: &[&Source]) -> String {
    const SHOWN: usize = 5;
    let mut s: Vec<String> = sources.iter().take(SHOWN).map(|s| s.line.to_string()).collect();
    if sources.len() > SHOWN {
        s.push(format!("and {} more", sources.len() - SHOWN));
    }
    s.join(", ")
}

impl Batch {
    /// Checks the orders and fills against each other. A malformed order
    /// (duplicate id, end before arrival, ...) is an error; a fill or order
    /// that cannot be used is listed as an `Issue` and left out.
    pub fn new(orders: Vec<OrderSpec>, fills: Vec<FillSpec>) -> Result<Batch, InputError> {
        let (orders_in, fills_in) = (orders.len(), fills.len());
        let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(orders.len());
        for (i, o) in orders.iter().enumerate() {
            structure(o)?;
            if let Some(&first) = by_id.get(o.id.as_str()) {
                return Err(InputError {
                    at: o.source.clone(),
                    column: "order_id",
                    message: format!("'{}' is already the id of the order on line {}", o.id, orders[first].source.line),
                });
            }
            by_id.insert(&o.id, i);
        }
        let mut issues = Vec::new();
        let mut per_order: Vec<Vec<FillSpec>> = vec![Vec::new(); orders.len()];
        for f in fills {
            if !f.exec.qty.is_positive() || !f.exec.px.is_positive() {
                let (column, v) = if f.exec.qty.is_positive() {
                    ("price", f.exec.px.to_string())
                } else {
                    ("qty", f.exec.qty.to_string())
                };
                return Err(InputError { at: f.source, column, message: format!("{v} must be positive") });
            }
            let Some(&i) = by_id.get(f.order_id.as_str()) else {
                issues.push(Issue {
                    kind: IssueKind::UnknownOrder,
                    order_id: f.order_id.clone(),
                    message: format!("order id '{}' is not among the orders", f.order_id),
                    fix: "add the order to the orders file, or correct the fill's order_id".into(),
                    excluded: Excluded::Fill,
                    source: f.source,
                });
                continue;
            };
            let o = &orders[i];
            if f.exec.ts < o.arrival || f.exec.ts > o.end {
                let (rel, edge, col) =
                    if f.exec.ts < o.arrival { ("before", o.arrival, "arrival") } else { ("after", o.end, "end") };
                issues.push(Issue {
                    kind: IssueKind::FillOutsideWindow,
                    order_id: o.id.clone(),
                    message: format!("fill at {} is {rel} the order's {col} {}", when(f.exec.ts), when(edge)),
                    fix: format!("correct the fill's time or the order's {col} ({})", o.source),
                    excluded: Excluded::Fill,
                    source: f.source,
                });
                continue;
            }
            per_order[i].push(f);
        }
        let mut pass = MarketPass::new();
        let mut planned = Vec::with_capacity(orders.len());
        for (i, (o, mut fs)) in orders.into_iter().zip(per_order).enumerate() {
            fs.sort_by(|a, b| a.exec.ts.cmp(&b.exec.ts).then(a.source.line.cmp(&b.source.line)));
            let filled = fs.iter().try_fold(Qty::ZERO, |acc, f| acc.checked_add(f.exec.qty));
            if filled.is_none_or(|q| q > o.qty) {
                let shown = filled.map_or("more than the largest quantity".to_string(), |q| q.to_string());
                let srcs: Vec<&Source> = fs.iter().map(|f| &f.source).collect();
                issues.push(Issue {
                    kind: IssueKind::OverFilled,
                    order_id: o.id.clone(),
                    message: format!("its fills add up to {shown}, above the order's qty {}", o.qty),
                    fix: format!(
                        "correct the order's qty, or remove duplicate fills ({} lines {})",
                        fs.first().map_or("", |f| &*f.source.file),
                        lines(&srcs)
                    ),
                    excluded: Excluded::Order,
                    source: o.source.clone(),
                });
                continue;
            }
            planned.push(plan(&mut pass, i, o, fs));
        }
        pass.seal();
        issues.sort_by(|a, b| (&*a.source.file, a.source.line).cmp(&(&*b.source.file, b.source.line)));
        Ok(Batch { planned, issues, pass, orders_in, fills_in })
    }

    /// Where the market data goes: look symbols up with `MarketPass::symbol`,
    /// then feed each symbol's prints and quotes in time order.
    pub fn market(&mut self) -> &mut MarketPass {
        &mut self.pass
    }

    /// The issues found so far (before the market data).
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Every order's analysis, once all the market data has been fed.
    pub fn finish(mut self) -> BatchReport {
        self.pass.finish();
        let mut orders = Vec::with_capacity(self.planned.len());
        for p in self.planned {
            match analyse(&self.pass, p) {
                Ok(o) => orders.push(o),
                Err(issue) => self.issues.push(*issue),
            }
        }
        self.issues.sort_by(|a, b| (&*a.source.file, a.source.line).cmp(&(&*b.source.file, b.source.line)));
        BatchReport { orders, issues: self.issues, orders_in: self.orders_in, fills_in: self.fills_in }
    }
}

fn plan(pass: &mut MarketPass, index: usize, o: OrderSpec, fs: Vec<FillSpec>) -> Planned {
    let sym = pass.register(&o.symbol);
    let mut venues: HashMap<String, Name> = HashMap::new();
    let fills: Vec<Fill> = fs
        .into_iter()
        .enumerate()
        .map(|(k, f)| {
            let f = f.exec;
            let venue = f.venue.unwrap_or_else(|| "EXTERNAL".into());
            let venue = venues.entry(venue).or_insert_with_key(|v| Name::from(v.as_str())).clone();
            Fill {
                id: FillId(k as u64 + 1),
                child: ChildId { parent: ParentId::local(index as u64 + 1), seq: 1 },
                venue,
                side: o.side,
                px: f.px,
                qty: f.qty,
                fee: f.fee,
                liquidity: if f.maker == Some(true) { Liquidity::Maker } else { Liquidity::Taker },
                ts: f.ts,
            }
        })
        .collect();
    let arrival = pass.ask_level(sym, o.arrival);
    let end = pass.ask_level(sym, o.end);
    let decision = match (o.decision_px, o.decision_time) {
        (None, Some(t)) => Some(pass.ask_level(sym, t)),
        _ => None,
    };
    let mut edges = vec![pass.ask_cum(sym, Timestamp(o.arrival.0.saturating_sub(1)))];
    for t in bucket_ends(o.arrival, o.end) {
        edges.push(pass.ask_cum(sym, t));
    }
    let marks = fills
        .iter()
        .map(|f| {
            let mut q = [LevelQ::default(); 8];
            for (k, h) in HORIZONS.iter().enumerate() {
                q[k] = pass.ask_level(sym, f.ts + *h);
                q[4 + k] = pass.ask_level(sym, f.ts - *h);
            }
            q
        })
        .collect();
    let at_fill = fills.iter().map(|f| pass.ask_level(sym, f.ts)).collect();
    Planned { spec: o, sym, fills, arrival, end, decision, edges, marks, at_fill }
}

/// The inclusive end of each chart bucket; the last is `end`.
fn bucket_ends(arrival: Timestamp, end: Timestamp) -> impl Iterator<Item = Timestamp> {
    let span = (end.0 - arrival.0) as i128;
    (1..=CHART_BUCKETS as i128).map(move |k| Timestamp(arrival.0 + (span * k / CHART_BUCKETS as i128) as i64))
}

fn no_data(p: &Planned, message: String, fix: String) -> Box<Issue> {
    Box::new(Issue {
        kind: IssueKind::NoMarketData,
        source: p.spec.source.clone(),
        order_id: p.spec.id.clone(),
        message,
        fix,
        excluded: Excluded::Order,
    })
}

/// Whether `px * qty` fits the money grid (about 9.2e12 in currency).
fn fits(px: Price, qty: Qty) -> bool {
    px.raw() as i128 * qty.raw() as i128 / Price::SCALE as i128 <= i64::MAX as i128
}

fn out_of_range(p: &Planned, what: String) -> Box<Issue> {
    Box::new(Issue {
        kind: IssueKind::OutOfRange,
        source: p.spec.source.clone(),
        order_id: p.spec.id.clone(),
        message: format!("{what} exceeds the fixed-point range (amounts and quantities up to about 9.2e12)"),
        fix: "split the order, or give quantities in larger units (lots) and prices per lot".into(),
        excluded: Excluded::Order,
    })
}

fn analyse(pass: &MarketPass, p: Planned) -> Result<OrderTca, Box<Issue>> {
    let o = &p.spec;
    let cov = pass.coverage(p.sym);
    let (source, span) =
        if cov.quotes > 0 { (PriceSource::Mid, cov.quote_span) } else { (PriceSource::LastTrade, cov.trade_span) };
    let what = if source == PriceSource::Mid { "two-sided quote" } else { "print" };
    let price = |l: Level| match source {
        PriceSource::Mid => l.mid.and_then(Price::from_f64),
        PriceSource::LastTrade => l.trade,
    };
    let Some((first, last)) = span else {
        return Err(no_data(
            &p,
            format!("{} has no market data", o.symbol),
            format!("add {}'s prints to the trades (a `symbol` column, or {}=FILE)", o.symbol, o.symbol),
        ));
    };
    let arrival_level = pass.level(p.sym, p.arrival);
    let arrival = price(arrival_level);
    let Some(arrival) = arrival else {
        return Err(no_data(
            &p,
            format!(
                "no {what} of {} at or before the arrival {} (its data starts at {})",
                o.symbol,
                when(o.arrival),
                when(first)
            ),
            "give market data from before the arrival, or correct the order's arrival".into(),
        ));
    };
    if last < o.arrival {
        return Err(no_data(
            &p,
            format!("{}'s data ends at {}, before the order's arrival {}", o.symbol, when(last), when(o.arrival)),
            "give market data covering the order's window, or correct its arrival".into(),
        ));
    }
    let decision = match (o.decision_px, p.decision) {
        (Some(d), _) => Some(d),
        (None, Some(q)) => match price(pass.level(p.sym, q)) {
            Some(d) => Some(d),
            None => {
                return Err(no_data(
                    &p,
                    format!(
                        "no {what} of {} at or before the decision time {} (its data starts at {})",
                        o.symbol,
                        when(o.decision_time.unwrap_or_default()),
                        when(first)
                    ),
                    "give market data from before the decision, or a decision_px".into(),
                ));
            }
        },
        (None, None) => None,
    };
    let end_px = price(pass.level(p.sym, p.end));
    // Every amount the report forms must fit the money grid: checked here, once, so none wraps.
    let fill_notional: i128 =
        p.fills.iter().map(|f| f.px.raw() as i128 * f.qty.raw() as i128 / Price::SCALE as i128).sum();
    let priced = [Some(arrival), decision, end_px].into_iter().flatten().all(|px| fits(px, o.qty));
    if fill_notional > i64::MAX as i128 || !priced {
        return Err(out_of_range(&p, format!("the notional of {} x {}", o.qty, o.symbol)));
    }
    let cums: Vec<_> = p.edges.iter().map(|q| pass.cum(p.sym, *q)).collect();
    let window = cums.first().zip(cums.last()).map(|(a, b)| a.until(*b));
    let Some(window) = window.unwrap_or(Some(Default::default())) else {
        return Err(out_of_range(&p, format!("the market's volume or notional of {} in the window", o.symbol)));
    };
    let market = WindowStats { qty: window.0, notional: window.1 };
    let ours = p.fills.iter().fold(WindowStats::default(), |mut s, f| {
        s.qty += f.qty;
        s.notional += Money::notional(f.px, f.qty);
        s
    });
    let incl = match (market.qty.checked_add(ours.qty), market.notional.checked_add(ours.notional)) {
        (Some(qty), Some(notional)) => WindowStats { qty, notional },
        _ => return Err(out_of_range(&p, format!("the market's volume of {} with our fills", o.symbol))),
    };
    let mid_of = |q: LevelQ| {
        let l = pass.level(p.sym, q);
        match source {
            PriceSource::Mid => l.mid,
            PriceSource::LastTrade => l.trade.map(Price::to_f64),
        }
    };
    let mut after = Vec::with_capacity(p.fills.len());
    let mut before = Vec::with_capacity(p.fills.len());
    for (f, q) in p.fills.iter().zip(&p.marks) {
        // A mid past the end of the data would be stale, not a markout.
        after.push(std::array::from_fn(|k| {
            (f.ts + HORIZONS[k] <= last).then(|| mid_of(q[k])).flatten().and_then(|m| markout_against(f.side, f.px, m))
        }));
        before.push(std::array::from_fn(|k| mid_of(q[4 + k]).and_then(|m| markout_against(f.side, f.px, m))));
    }
    let tca = assemble(&Measured {
        side: o.side,
        qty: o.qty,
        decision_px: decision,
        arrival_px: Some(arrival),
        end_px,
        algo: None,
        quote_per: o.quote_per,
        fills: &crate::tca::fold::FillFold::of(&p.fills, &after, &before),
        market,
        market_incl_ours: incl,
    });
    let chart = bucket_ends(o.arrival, o.end)
        .zip(cums.windows(2))
        .scan(o.arrival, |t0, (t1, w)| {
            let (qty, n) = w[0].until(w[1]).unwrap_or_default();
            let b = Bucket { t0: *t0, t1, qty, vwap: crate::model::vwap(n, qty) };
            *t0 = Timestamp(t1.0 + 1);
            Some(b)
        })
        .collect();
    let executed_notional = p.fills.iter().map(|f| notional(f.px, f.qty, o.quote_per)).sum();
    let fill_mids = p.at_fill.iter().map(|q| mid_of(*q)).collect();
    let quoted = if source == PriceSource::Mid { arrival_level.spread_bps } else { None };
    let market_figures = pass.figures(p.sym, o.arrival, quoted);
    let size_pct = market.qty.is_positive().then(|| tca.filled_qty.ratio(market.qty) * 100.0);
    Ok(OrderTca {
        order: p.spec,
        fill_count: p.fills.len(),
        price_source: source,
        executed_notional,
        size_pct,
        tca,
        chart,
        fills: p.fills,
        fill_mids,
        market_figures,
        pre_trade_basis: None,
    })
}

#[cfg(test)]
pub(crate) mod tests;
