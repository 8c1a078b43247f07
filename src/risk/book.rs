//! An engine's risk state: the controls in force (desk defaults, tenants,
//! users), net positions and each user's notional for the day.

use super::{Limits, TradingState};
use crate::model::{Money, Name, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who last changed a control, and when (simulated time, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// `user@tenant ROLE`.
    pub by: String,
    /// When, in simulated UTC nanoseconds.
    pub at: Timestamp,
}

/// One tenant's controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRisk {
    /// Whether its orders are accepted at all.
    pub execution_enabled: bool,
    /// Trading state.
    pub state: TradingState,
    /// Tenant-wide limits.
    pub limits: Limits,
    /// Per-user overrides.
    pub users: BTreeMap<Name, Limits>,
    /// The last change to any of its controls.
    #[serde(default)]
    pub changed: Option<Stamp>,
}

/// How risk starts in an engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskConfig {
    /// Whether a tenant seen for the first time may trade (true for a desk's
    /// own embedded engine; false on a shared server).
    pub new_tenants_enabled: bool,
    /// Tenants enabled from the start.
    pub enabled_tenants: Vec<String>,
    /// The desk's limits: every tenant's unless overridden.
    pub default_limits: Limits,
}

impl Default for RiskConfig {
    /// An engine for backtests and scripts: every tenant trades, no limits.
    fn default() -> Self {
        RiskConfig { new_tenants_enabled: true, enabled_tenants: Vec::new(), default_limits: Limits::default() }
    }
}

impl RiskConfig {
    /// A desk people trade on by hand (`serve`, the terminal blotter): the
    /// fat-finger collar and notional cap until a supervisor changes them.
    pub fn desk() -> RiskConfig {
        RiskConfig { default_limits: Limits::fat_finger(), ..RiskConfig::default() }
    }
}

/// What a user has on the desk's other engines (several `serve` instances on
/// one database), as their committed ledger rows say: counted with the
/// engine's own usage by the daily-notional and open-order limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Elsewhere {
    /// Notional submitted today on the other engines of the same trading day, USD.
    pub daily_notional: Money,
    /// Orders not final on the other engines (any day's).
    pub open_orders: usize,
}

/// The usage of the desk's engines other than the one answering, as the
/// ledger holds it: what a supervisor's risk view adds to that engine's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeskUsage {
    /// The engines counted (numbers).
    pub engines: Vec<i64>,
    /// Notional submitted per (tenant, user) on the engines of the same trading day, USD.
    pub daily_notional: BTreeMap<(Name, Name), Money>,
    /// Net filled position per (tenant, symbol) on the engines of the same trading day.
    pub positions: BTreeMap<(Name, Name), Qty>,
    /// Orders not final per tenant, on any engine.
    pub open_orders: BTreeMap<Name, usize>,
}

/// Risk state of an engine: tenants, positions and daily usage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskBook {
    /// Configuration; `default_limits` are the desk's limits in force.
    pub config: RiskConfig,
    /// Per-tenant controls.
    pub tenants: BTreeMap<Name, TenantRisk>,
    /// Net filled position per (tenant, symbol), signed (buys positive).
    pub positions: BTreeMap<(Name, Name), Qty>,
    /// Notional submitted today per (tenant, user), USD.
    pub daily_notional: BTreeMap<(Name, Name), Money>,
    /// The state set for every tenant at once (a global kill: HALTED);
    /// tenants seen later start in it.
    pub desk_state: TradingState,
    /// The last change to a desk-wide control.
    pub desk_changed: Option<Stamp>,
    /// Per (tenant, user): their usage on the desk's other engines, as read
    /// from the ledger under the user's desk lock just before their last
    /// check. Not this engine's state: never stored, empty on a desk of one.
    #[serde(skip)]
    pub elsewhere: BTreeMap<(Name, Name), Elsewhere>,
}

impl RiskBook {
    /// A risk book with a configuration.
    pub fn new(config: RiskConfig) -> RiskBook {
        let mut b = RiskBook { config, ..RiskBook::default() };
        for t in b.config.enabled_tenants.clone() {
            b.tenant_mut(&t).execution_enabled = true;
        }
        b
    }

    fn fresh_tenant(&self) -> TenantRisk {
        TenantRisk {
            execution_enabled: self.config.new_tenants_enabled,
            state: self.desk_state,
            limits: Limits::default(),
            users: BTreeMap::new(),
            changed: None,
        }
    }

    /// A tenant's controls (created with the defaults when first seen).
    pub fn tenant_mut(&mut self, tenant: &str) -> &mut TenantRisk {
        let fresh = self.fresh_tenant();
        self.tenants.entry(Name::from(tenant)).or_insert(fresh)
    }

    /// A tenant's controls as they are or would be when first seen.
    pub fn tenant(&self, tenant: &str) -> TenantRisk {
        self.tenants.get(tenant).cloned().unwrap_or_else(|| self.fresh_tenant())
    }

    /// True after a global kill (every tenant, and any seen later, HALTED).
    pub fn global_halt(&self) -> bool {
        self.desk_state == TradingState::Halted
    }

    /// Limits in force for a user: user overrides, then tenant, then the desk's.
    pub fn effective(&self, tenant: &str, user: &str) -> Limits {
        let desk = &self.config.default_limits;
        match self.tenants.get(tenant) {
            None => desk.clone(),
            Some(t) => {
                let tenant_level = t.limits.over(desk);
                match t.users.get(user) {
                    Some(u) => u.over(&tenant_level),
                    None => tenant_level,
                }
            }
        }
    }

    /// A tenant's net position in a symbol.
    pub fn position(&self, tenant: &str, symbol: &str) -> Qty {
        self.positions.get(&(Name::from(tenant), Name::from(symbol))).copied().unwrap_or_default()
    }

    /// Records a fill in the tenant's position.
    pub fn on_fill(&mut self, tenant: &Name, symbol: &Name, side: Side, qty: Qty) {
        let p = self.positions.entry((tenant.clone(), symbol.clone())).or_default();
        *p += if side == Side::Buy { qty } else { -qty };
    }

    /// A user's notional used today, USD.
    pub fn used_today(&self, tenant: &Name, user: &Name) -> Money {
        self.daily_notional.get(&(tenant.clone(), user.clone())).copied().unwrap_or_default()
    }

    /// A user's usage on the desk's other engines (see `elsewhere`).
    pub fn elsewhere(&self, tenant: &Name, user: &Name) -> Elsewhere {
        self.elsewhere.get(&(tenant.clone(), user.clone())).copied().unwrap_or_default()
    }

    /// Adds to a user's notional for the day (saturating: past the money
    /// grid it stays above every limit).
    pub fn use_notional(&mut self, tenant: &Name, user: &Name, usd: Money) {
        *self.daily_notional.entry((tenant.clone(), user.clone())).or_default() += usd;
    }

    /// True if an order of `side` and `qty` only reduces the tenant's exposure.
    pub fn reduces(&self, tenant: &str, symbol: &str, side: Side, qty: Qty) -> bool {
        let pos = self.position(tenant, symbol);
        match side {
            Side::Sell => pos.is_positive() && qty <= pos,
            Side::Buy => pos.is_negative() && qty <= pos.abs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_limits_override_the_tenant_and_the_desk() {
        let mut b = RiskBook::new(RiskConfig::desk());
        b.tenant_mut("ws").limits.max_order_qty = Some(Qty::from_int(100));
        b.tenant_mut("ws").limits.restricted_symbols.insert("MSFT".into());
        b.tenant_mut("ws")
            .users
            .insert("alice".into(), Limits { max_order_qty: Some(Qty::from_int(500)), ..Limits::default() });
        assert_eq!(b.effective("ws", "alice").max_order_qty, Some(Qty::from_int(500)));
        assert_eq!(b.effective("ws", "bob").max_order_qty, Some(Qty::from_int(100)));
        assert!(b.effective("ws", "alice").restricted_symbols.contains("MSFT"));
        // The desk's fat-finger limits reach every level that does not override them.
        assert_eq!(b.effective("ws", "alice").price_collar_bps, Some(1_000.0));
        assert_eq!(b.effective("unknown", "x").max_order_notional, Some(Money::from_int(50_000_000)));
    }

    #[test]
    fn reducing_means_towards_flat() {
        let mut b = RiskBook::new(RiskConfig::default());
        let (t, s) = (Name::from("ws"), Name::from("AAPL"));
        b.on_fill(&t, &s, Side::Buy, Qty::from_int(300));
        assert!(b.reduces("ws", "AAPL", Side::Sell, Qty::from_int(300)));
        assert!(!b.reduces("ws", "AAPL", Side::Sell, Qty::from_int(301)));
        assert!(!b.reduces("ws", "AAPL", Side::Buy, Qty::from_int(1)));
        assert!(!b.reduces("ws", "MSFT", Side::Sell, Qty::from_int(1)));
    }

    #[test]
    fn daily_usage_saturates_instead_of_wrapping() {
        let mut b = RiskBook::new(RiskConfig::default());
        let (t, u) = (Name::from("ws"), Name::from("amy"));
        b.use_notional(&t, &u, Money::MAX);
        b.use_notional(&t, &u, Money::from_int(1));
        assert_eq!(b.used_today(&t, &u), Money::MAX);
    }
}
