//! Mirrors of the pre-trade risk controls (`crate::risk`).

use super::mirrored;
use crate::model::{Money, Qty, Timestamp};
use crate::risk::{Control, Finding, Limits, Stamp, TradingState};
use serde::Serialize;
use std::collections::BTreeSet;

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = TradingState)]
/// A desk's trading state: ACTIVE, REDUCING (only orders that reduce a position) or HALTED.
enum TradingStateDoc {
    /// Orders accepted.
    Active,
    /// Only position-reducing orders.
    Reducing,
    /// No orders.
    Halted,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Limits)]
/// Pre-trade limits; an absent limit does not apply.
struct LimitsDoc {
    /// Largest quantity of one order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_order_qty: Option<Qty>,
    /// Largest notional of one order, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_order_notional: Option<Money>,
    /// Largest order as a percentage of ADV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_adv_pct: Option<f64>,
    /// Percentage of ADV above which the order needs the warnings acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warn_adv_pct: Option<f64>,
    /// Limit price collar around the mid, bps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_collar_bps: Option<f64>,
    /// Symbols that may not be traded.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    restricted_symbols: BTreeSet<String>,
    /// Most orders not yet final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_open_orders: Option<usize>,
    /// Most notional submitted in a day, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_daily_notional: Option<Money>,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Finding)]
/// A limit an order reaches.
struct FindingDoc {
    /// Limit name (`max_order_notional`, ...).
    limit: String,
    /// The limit's value, formatted.
    limit_value: String,
    /// The order's value, formatted.
    order_value: String,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Stamp)]
/// Who last changed a control, and when.
struct StampDoc {
    /// `user@tenant ROLE`.
    by: String,
    /// When, in simulated time.
    at: Timestamp,
}

#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(tag = "control", rename_all = "snake_case")]
#[schema(as = Control)]
/// A change to one risk control.
enum ControlDoc {
    /// The desk's limits (every tenant's unless overridden).
    DeskLimits {
        /// The limits.
        limits: Limits,
    },
    /// A tenant's limits, or one of its users' overrides.
    Limits {
        /// Tenant.
        tenant: String,
        /// User, for a per-user override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// The limits.
        limits: Limits,
    },
    /// One tenant's trading state, or every tenant's without one.
    State {
        /// Tenant, or every tenant.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant: Option<String>,
        /// The state.
        state: TradingState,
    },
    /// Whether a tenant's orders are accepted.
    Execution {
        /// Tenant.
        tenant: String,
        /// Accepted or not.
        enabled: bool,
    },
}

mirrored!(TradingState, TradingStateDoc);
mirrored!(Stamp, StampDoc);
mirrored!(Control, ControlDoc);
mirrored!(Limits, LimitsDoc);
mirrored!(Finding, FindingDoc);
