//! What a batch analysis reads: orders with their own timeline, the fills
//! that belong to them, and where each came from (file and line), so every
//! problem can be reported where it can be fixed.

use crate::market::replay::csv::RecFill;
use crate::model::{Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a row came from: the file and its 1-based line (or message number in a FIX log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file as given on the command line.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u64,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An order done elsewhere: who, what and its timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSpec {
    /// The order's id, unique in the batch.
    pub id: String,
    /// Instrument symbol, as the market data names it.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub qty: Qty,
    /// When the order reached the market (or the trader): the arrival benchmark's time.
    pub arrival: Timestamp,
    /// When it ended (filled, cancelled, expired): values the unfilled part; closes the window.
    pub end: Timestamp,
    /// The portfolio manager's decision price, when given.
    pub decision_px: Option<Price>,
    /// When the decision was taken (its price is the decision price unless `decision_px` is given).
    pub decision_time: Option<Timestamp>,
    /// Executing broker.
    pub broker: Option<String>,
    /// Algorithm or strategy.
    pub algo: Option<String>,
    /// Trader.
    pub trader: Option<String>,
    /// Desk.
    pub desk: Option<String>,
    /// Limit price, when the order had one.
    pub limit_px: Option<Price>,
    /// Prices are per this many units of quantity (bonds quoted per 100 of face: 100).
    pub quote_per: i64,
    /// Where it was read.
    pub source: Source,
}

/// One execution of an order.
#[derive(Debug, Clone, PartialEq)]
pub struct FillSpec {
    /// The order it belongs to.
    pub order_id: String,
    /// Time, price, quantity, venue, fee and liquidity, as for one order.
    pub exec: RecFill,
    /// Where it was read.
    pub source: Source,
}

/// What kind of problem an input has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A fill names an order id that no order has.
    UnknownOrder,
    /// An order's symbol has no market data covering its timeline.
    NoMarketData,
    /// A fill is stamped before the order's arrival or after its end.
    FillOutsideWindow,
    /// An order's fills add up to more than its quantity.
    OverFilled,
    /// An order's amounts (or its window's market volume) exceed the fixed-point range.
    OutOfRange,
}

impl IssueKind {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            IssueKind::UnknownOrder => "unknown order",
            IssueKind::NoMarketData => "no market data",
            IssueKind::FillOutsideWindow => "fill outside window",
            IssueKind::OverFilled => "over-filled",
            IssueKind::OutOfRange => "out of range",
        }
    }
}

/// What an issue took out of the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Excluded {
    /// One fill was left out; its order is analysed without it.
    Fill,
    /// The whole order (and its fills) was left out.
    Order,
}

/// A problem found in the input: where, what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// The kind.
    pub kind: IssueKind,
    /// The row at fault.
    pub source: Source,
    /// The order concerned.
    pub order_id: String,
    /// What is wrong.
    pub message: String,
    /// What to change to fix it.
    pub fix: String,
    /// What was left out because of it.
    pub excluded: Excluded,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.excluded {
            Excluded::Fill => "fill excluded",
            Excluded::Order => "order excluded",
        };
        write!(f, "{}: {} ({what}); {}", self.source, self.message, self.fix)
    }
}
