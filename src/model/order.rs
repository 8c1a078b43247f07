//! Orders, fills and their life cycles. Status changes go through
//! `transition`, which turns an illegal move into an error instead of a panic.

use super::ids::{ChildId, FillId, ParentId};
use super::instrument::Name;
use super::num::{Money, Price, Qty, vwap};
use super::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    /// +1 for buys, -1 for sells: multiplies a price difference into a cost.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// Lower-case word.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
    /// True if `a` is a better price than `b` for this side (higher bid, lower offer... from the buyer's
    /// point of view a lower price is better).
    pub fn better(self, a: Price, b: Price) -> bool {
        match self {
            Side::Buy => a < b,
            Side::Sell => a > b,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "buy" | "b" => Ok(Side::Buy),
            "sell" | "s" => Ok(Side::Sell),
            other => Err(format!("side '{other}' is not one of: buy, sell")),
        }
    }
}

/// The execution algorithms a parent order can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlgoKind {
    /// Time-weighted: equal slices over the window.
    Twap,
    /// Volume-weighted: slices follow the intraday volume curve.
    Vwap,
    /// Percentage of volume.
    Pov,
    /// Show a tip, hide the rest.
    Iceberg,
    /// Implementation shortfall (Almgren-Chriss).
    Is,
    /// Take liquidity only when it appears at the limit or better.
    Sniper,
    /// Market-on-close: trade in the closing auction.
    Moc,
}

impl AlgoKind {
    /// Every algorithm, in display order.
    pub const ALL: [AlgoKind; 7] = [
        AlgoKind::Twap,
        AlgoKind::Vwap,
        AlgoKind::Pov,
        AlgoKind::Iceberg,
        AlgoKind::Is,
        AlgoKind::Sniper,
        AlgoKind::Moc,
    ];
    /// Lower-case name as used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AlgoKind::Twap => "twap",
            AlgoKind::Vwap => "vwap",
            AlgoKind::Pov => "pov",
            AlgoKind::Iceberg => "iceberg",
            AlgoKind::Is => "is",
            AlgoKind::Sniper => "sniper",
            AlgoKind::Moc => "moc",
        }
    }
}

impl fmt::Display for AlgoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlgoKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let l = s.trim().to_ascii_lowercase();
        AlgoKind::ALL.into_iter().find(|a| a.as_str() == l).ok_or_else(|| {
            let names: Vec<&str> = AlgoKind::ALL.iter().map(|a| a.as_str()).collect();
            format!("algo '{}' is not one of: {}", s.trim(), names.join(", "))
        })
    }
}

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    /// Executes at any price.
    Market,
    /// Executes at the limit price or better.
    Limit,
}

/// Time in force of a child order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tif {
    /// Immediate or cancel: whatever does not fill at once is cancelled.
    Ioc,
    /// Rests until filled, cancelled or the session ends.
    Day,
    /// For the closing auction only (MOC/LOC).
    Close,
}

/// Whether a fill added or removed liquidity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    /// Resting order was hit.
    Maker,
    /// Order crossed the spread.
    Taker,
    /// Executed in an auction.
    Auction,
}

/// An attempted status change that the life cycle does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal transition of {what} from {from} to {to}")]
pub struct IllegalTransition {
    /// What was being changed (`P3`, `P3-C1`).
    pub what: String,
    /// Current status.
    pub from: &'static str,
    /// Requested status.
    pub to: &'static str,
}

/// Life cycle of a parent order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParentStatus {
    /// Accepted, waiting for its start time.
    Pending,
    /// Sending child orders.
    Working,
    /// Paused by the user: nothing new is sent.
    Paused,
    /// Was working when the process stopped; waits for the user to resume or cancel.
    Interrupted,
    /// Completely filled.
    Done,
    /// Cancelled by the user (residual reported).
    Cancelled,
    /// Reached its end time with a residual.
    Expired,
    /// Refused at submission.
    Rejected,
}

impl ParentStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ParentStatus::Pending => "pending",
            ParentStatus::Working => "working",
            ParentStatus::Paused => "paused",
            ParentStatus::Interrupted => "interrupted",
            ParentStatus::Done => "done",
            ParentStatus::Cancelled => "cancelled",
            ParentStatus::Expired => "expired",
            ParentStatus::Rejected => "rejected",
        }
    }
    /// True once nothing more can happen to the order.
    pub fn is_terminal(self) -> bool {
        matches!(self, ParentStatus::Done | ParentStatus::Cancelled | ParentStatus::Expired | ParentStatus::Rejected)
    }
    /// Whether moving to `to` is allowed.
    pub fn can_become(self, to: ParentStatus) -> bool {
        use ParentStatus::*;
        matches!(
            (self, to),
            (Pending, Working | Paused | Cancelled | Expired | Interrupted)
                | (Working, Paused | Done | Cancelled | Expired | Interrupted)
                | (Paused, Working | Pending | Done | Cancelled | Expired | Interrupted)
                | (Interrupted, Pending | Working | Paused | Cancelled | Expired | Done)
        )
    }
}

impl fmt::Display for ParentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ParentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use ParentStatus::*;
        [Pending, Working, Paused, Interrupted, Done, Cancelled, Expired, Rejected]
            .into_iter()
            .find(|x| x.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("status '{s}' is not a parent order status"))
    }
}

/// Life cycle of a child order at a venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Sent, not yet acknowledged by the venue.
    PendingNew,
    /// Acknowledged and working.
    New,
    /// Some quantity filled, the rest working.
    PartiallyFilled,
    /// Cancel sent, not yet confirmed.
    PendingCancel,
    /// Completely filled.
    Filled,
    /// Cancelled (by us, by IOC expiry or by the venue at the close).
    Cancelled,
    /// Refused by the venue.
    Rejected,
}

impl ChildStatus {
    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChildStatus::PendingNew => "pending_new",
            ChildStatus::New => "new",
            ChildStatus::PartiallyFilled => "partially_filled",
            ChildStatus::PendingCancel => "pending_cancel",
            ChildStatus::Filled => "filled",
            ChildStatus::Cancelled => "cancelled",
            ChildStatus::Rejected => "rejected",
        }
    }
    /// True once the child can no longer fill.
    pub fn is_terminal(self) -> bool {
        matches!(self, ChildStatus::Filled | ChildStatus::Cancelled | ChildStatus::Rejected)
    }
    /// Whether moving to `to` is allowed. A fill may arrive while a cancel is
    /// in flight (the fill wins), so `PendingCancel` can still fill.
    pub fn can_become(self, to: ChildStatus) -> bool {
        use ChildStatus::*;
        matches!(
            (self, to),
            (PendingNew, New | Rejected | PendingCancel | Cancelled)
                | (New, PartiallyFilled | Filled | PendingCancel | Cancelled)
                | (PartiallyFilled, PartiallyFilled | Filled | PendingCancel | Cancelled)
                | (PendingCancel, PendingCancel | Filled | Cancelled | New | PartiallyFilled)
        )
    }
}

impl fmt::Display for ChildStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who owns an order: the user, their desk (tenant) and role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Owner {
    /// User name.
    #[schema(value_type = String)]
    pub user: Name,
    /// Tenant (desk or firm), e.g. `ws`.
    #[schema(value_type = String)]
    pub tenant: Name,
}

impl Default for Owner {
    fn default() -> Self {
        Owner { user: "desk".into(), tenant: "local".into() }
    }
}

/// A parent (algorithmic) order and its running totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParentOrder {
    /// Id, e.g. `P17`.
    pub id: ParentId,
    /// Who entered it.
    pub owner: Owner,
    /// Instrument symbol.
    #[schema(value_type = String)]
    pub symbol: Name,
    /// Buy or sell.
    pub side: Side,
    /// Total quantity to execute.
    pub qty: Qty,
    /// Optional limit price for every child.
    pub limit_px: Option<Price>,
    /// Execution algorithm.
    pub algo: AlgoKind,
    /// Algorithm parameters as given (validated at submission).
    pub params: BTreeMap<String, String>,
    /// Window start.
    pub start: Timestamp,
    /// Window end.
    pub end: Timestamp,
    /// Current status.
    pub status: ParentStatus,
    /// Quantity filled so far.
    pub filled: Qty,
    /// Sum of price times quantity of the fills.
    pub notional: Money,
    /// Sum of fees (negative = net rebate).
    pub fees: Money,
    /// Mid price when the order arrived.
    pub arrival_px: Option<Price>,
    /// Price at the time of the decision to trade (defaults to arrival).
    pub decision_px: Option<Price>,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// When it reached a terminal status.
    pub done_at: Option<Timestamp>,
    /// Number of child orders sent.
    pub children: u32,
}

impl ParentOrder {
    /// Quantity still to execute.
    pub fn leaves(&self) -> Qty {
        self.qty.saturating_sub(self.filled)
    }
    /// Average fill price.
    pub fn avg_px(&self) -> Option<Price> {
        vwap(self.notional, self.filled)
    }
    /// Moves to `to` if the life cycle allows it.
    pub fn transition(&mut self, to: ParentStatus) -> Result<(), IllegalTransition> {
        if self.status == to {
            return Ok(());
        }
        if !self.status.can_become(to) {
            return Err(IllegalTransition { what: self.id.to_string(), from: self.status.as_str(), to: to.as_str() });
        }
        self.status = to;
        Ok(())
    }

    // What each event does to the order, in one place: the engine makes the
    // change and emits the event, the ledger's replica folds the event in,
    // both through these (and `transition`).

    /// Its window started with the mid `arrival` (`started`): the arrival
    /// price, the decision price when none was given, and a pending order
    /// starts working (a paused one stays paused).
    pub fn start(&mut self, arrival: Option<Price>) {
        self.arrival_px = arrival;
        if self.decision_px.is_none() {
            self.decision_px = arrival;
        }
        if self.status == ParentStatus::Pending {
            let _ = self.transition(ParentStatus::Working);
        }
    }

    /// One of its children's fills (`fill`): its totals.
    pub fn fill(&mut self, f: &Fill) {
        self.filled += f.qty;
        self.notional += Money::notional(f.px, f.qty);
        self.fees += f.fee;
    }

    /// Resumed after a pause or an interruption (`resumed`): working once
    /// its window has started, else pending.
    pub fn resume(&mut self, started: bool) -> Result<(), IllegalTransition> {
        self.transition(if started { ParentStatus::Working } else { ParentStatus::Pending })
    }
}

/// One order sent to one venue on behalf of a parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChildOrder {
    /// Id, e.g. `P17-C3`.
    pub id: ChildId,
    /// Venue name.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Buy or sell (same as the parent).
    pub side: Side,
    /// Quantity sent.
    pub qty: Qty,
    /// Limit price (None for market orders).
    pub px: Option<Price>,
    /// Market or limit.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: Tif,
    /// Current status.
    pub status: ChildStatus,
    /// Quantity filled.
    pub filled: Qty,
    /// Sum of price times quantity of its fills.
    pub notional: Money,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// When the venue acknowledged it.
    pub acked_at: Option<Timestamp>,
}

impl ChildOrder {
    /// Quantity still working (zero once terminal).
    pub fn leaves(&self) -> Qty {
        if self.status.is_terminal() { Qty::ZERO } else { self.qty.saturating_sub(self.filled) }
    }
    /// Average fill price.
    pub fn avg_px(&self) -> Option<Price> {
        vwap(self.notional, self.filled)
    }
    /// Moves to `to` if the life cycle allows it.
    pub fn transition(&mut self, to: ChildStatus) -> Result<(), IllegalTransition> {
        if !self.status.can_become(to) {
            return Err(IllegalTransition { what: self.id.to_string(), from: self.status.as_str(), to: to.as_str() });
        }
        self.status = to;
        Ok(())
    }

    // What each event does to the child, in one place (see `ParentOrder::start`).

    /// Acknowledged by its venue at `at` (`child_acked`): a pending child is new.
    pub fn ack(&mut self, at: Timestamp) {
        self.acked_at = Some(at);
        if self.status == ChildStatus::PendingNew {
            let _ = self.transition(ChildStatus::New);
        }
    }

    /// One of its fills (`fill`): its totals, and filled when nothing is
    /// left, else partly filled (a cancel on its way stays on its way).
    pub fn fill(&mut self, f: &Fill) {
        self.filled += f.qty;
        self.notional += Money::notional(f.px, f.qty);
        if self.filled >= self.qty {
            let _ = self.transition(ChildStatus::Filled);
        } else if self.status != ChildStatus::PendingCancel {
            let _ = self.transition(ChildStatus::PartiallyFilled);
        }
    }

    /// Cancelled (`child_cancelled`); a child already final stays as it is.
    pub fn cancel(&mut self) {
        if !self.status.is_terminal() {
            let _ = self.transition(ChildStatus::Cancelled);
        }
    }

    /// Its cancel was refused (`cancel_rejected`): working again, partly
    /// filled or new; a child already final stays as it is.
    pub fn cancel_refused(&mut self) {
        if !self.status.is_terminal() {
            let back = if self.filled.is_positive() { ChildStatus::PartiallyFilled } else { ChildStatus::New };
            let _ = self.transition(back);
        }
    }
}

/// An execution of (part of) a child order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fill {
    /// Id, e.g. `F42`.
    pub id: FillId,
    /// The child that filled.
    pub child: ChildId,
    /// Venue name.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub px: Price,
    /// Executed quantity.
    pub qty: Qty,
    /// Fee charged (negative = rebate).
    pub fee: Money,
    /// Maker, taker or auction.
    pub liquidity: Liquidity,
    /// When it happened at the venue.
    pub ts: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_life_cycle() {
        use ParentStatus::*;
        assert!(Pending.can_become(Working));
        assert!(Working.can_become(Paused));
        assert!(Paused.can_become(Working));
        assert!(!Done.can_become(Working));
        assert!(!Cancelled.can_become(Working));
        assert!(!Working.can_become(Pending));
        assert!(Interrupted.can_become(Working));
        for s in [Done, Cancelled, Expired, Rejected] {
            assert!(s.is_terminal());
        }
    }

    #[test]
    fn child_life_cycle_lets_a_fill_beat_a_cancel() {
        use ChildStatus::*;
        assert!(PendingCancel.can_become(Filled));
        assert!(!Filled.can_become(Cancelled));
        assert!(!Cancelled.can_become(New));
        assert!(!Rejected.can_become(New));
    }

    /// What the events do to a child, as the engine and the ledger's replica
    /// both apply them: 100 at 10.00 in two fills of 40 and 60.
    #[test]
    fn a_childs_events_fold_through_its_life_cycle() {
        use ChildStatus::*;
        let mut c = ChildOrder {
            id: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: "XNAS".into(),
            side: Side::Buy,
            qty: Qty::from_int(100),
            px: Price::parse("10").ok(),
            order_type: OrderType::Limit,
            tif: Tif::Day,
            status: PendingNew,
            filled: Qty::ZERO,
            notional: Money::ZERO,
            sent_at: Timestamp(0),
            acked_at: None,
        };
        let fill = |q: i64| Fill {
            id: FillId(1),
            child: c.id,
            venue: "XNAS".into(),
            side: Side::Buy,
            px: Price::parse("10").unwrap(),
            qty: Qty::from_int(q),
            fee: Money::ZERO,
            liquidity: Liquidity::Maker,
            ts: Timestamp(2),
        };
        let (f40, f60) = (fill(40), fill(60));
        c.ack(Timestamp(1));
        assert_eq!((c.status, c.acked_at), (New, Some(Timestamp(1))));
        c.cancel_refused();
        assert_eq!(c.status, New, "nothing filled: still new");
        c.transition(PendingCancel).unwrap();
        c.fill(&f40);
        assert_eq!((c.status, c.filled, c.notional), (PendingCancel, Qty::from_int(40), Money::from_int(400)));
        c.cancel_refused();
        assert_eq!(c.status, PartiallyFilled, "back to working, partly filled");
        c.fill(&f60);
        assert_eq!((c.status, c.notional), (Filled, Money::from_int(1_000)));
        c.cancel();
        c.cancel_refused();
        assert_eq!(c.status, Filled, "a final child stays as it is");
    }

    #[test]
    fn names_parse() {
        assert_eq!("BUY".parse::<Side>().unwrap(), Side::Buy);
        assert!("hold".parse::<Side>().unwrap_err().contains("buy, sell"));
        assert_eq!("IS".parse::<AlgoKind>().unwrap(), AlgoKind::Is);
        assert!("foo".parse::<AlgoKind>().unwrap_err().contains("twap, vwap"));
    }
}
