//! What an amend ticket asks the engine's pre-trade estimate about: the
//! order's residual after the amendment, as a new order with the same
//! algorithm, parameters and end, starting now (or at its start when that
//! is still ahead), so the cost panel reads as the new-order ticket's does.

use super::{Market, Mode, Ticket};
use crate::engine::OrderRequest;
use crate::model::{Price, Qty};

impl Ticket {
    /// What the amended order has left to do: the quantity typed less what
    /// has filled (None when not amending, the quantity does not read, or
    /// nothing is left).
    pub fn residual(&self) -> Option<Qty> {
        let Mode::Amend(r) = &self.mode else { return None };
        let q = Qty::parse_human(self.qty.value()).ok()?;
        q.checked_sub(r.order.filled).filter(|left| left.is_positive())
    }

    /// The request the amended residual is estimated as (None when the
    /// ticket has errors or nothing is left to do).
    pub fn residual_request(&self, m: &Market<'_>) -> Option<OrderRequest> {
        let Mode::Amend(r) = &self.mode else { return None };
        if !self.errors(m).is_empty() {
            return None;
        }
        let o = &r.order;
        Some(OrderRequest {
            symbol: o.symbol.to_string(),
            side: o.side,
            qty: self.residual()?,
            algo: o.algo,
            params: o.params.clone(),
            start: m.now.filter(|now| o.start > *now).map(|_| o.start),
            end: Some(o.end),
            limit_px: Price::parse(self.limit.value().trim()).ok(),
            decision_px: None,
            acknowledge_warnings: false,
        })
    }
}
