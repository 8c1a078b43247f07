//! Pre-trade risk controls: limits per tenant and per user, trading states,
//! and per-tenant execution enablement. Pure data and checks; the engine's
//! command layer applies them so every transport enforces the same rules.

use crate::model::{Name, Qty, Side};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a tenant may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradingState {
    /// Normal trading.
    #[default]
    Active,
    /// Only orders that reduce exposure, and cancels.
    Reducing,
    /// Nothing new; cancels only. Set by the kill switch.
    Halted,
}

impl TradingState {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradingState::Active => "ACTIVE",
            TradingState::Reducing => "REDUCING",
            TradingState::Halted => "HALTED",
        }
    }
}

impl fmt::Display for TradingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TradingState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ACTIVE" => Ok(TradingState::Active),
            "REDUCING" => Ok(TradingState::Reducing),
            "HALTED" => Ok(TradingState::Halted),
            other => Err(format!("trading state '{other}' is not one of: ACTIVE, REDUCING, HALTED")),
        }
    }
}

/// Hard limits and warning thresholds. Unset fields do not apply; a user's
/// limits override their tenant's field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest quantity of one order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_order_qty: Option<Qty>,
    /// Largest notional of one order, in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_order_notional: Option<f64>,
    /// Largest order as a percentage of ADV (hard limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_adv_pct: Option<f64>,
    /// Percentage of ADV above which the order needs an acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_adv_pct: Option<f64>,
    /// Furthest a limit price may be from the mid, in bps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_collar_bps: Option<f64>,
    /// Symbols that may not be traded.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub restricted_symbols: BTreeSet<String>,
    /// Most orders open at once per user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open_orders: Option<usize>,
    /// Most notional a user may submit in a day, in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily_notional: Option<f64>,
}

impl Limits {
    /// `self` where set, `base` elsewhere; restricted symbols are the union.
    pub fn over(&self, base: &Limits) -> Limits {
        Limits {
            max_order_qty: self.max_order_qty.or(base.max_order_qty),
            max_order_notional: self.max_order_notional.or(base.max_order_notional),
            max_adv_pct: self.max_adv_pct.or(base.max_adv_pct),
            warn_adv_pct: self.warn_adv_pct.or(base.warn_adv_pct),
            price_collar_bps: self.price_collar_bps.or(base.price_collar_bps),
            restricted_symbols: self.restricted_symbols.union(&base.restricted_symbols).cloned().collect(),
            max_open_orders: self.max_open_orders.or(base.max_open_orders),
            max_daily_notional: self.max_daily_notional.or(base.max_daily_notional),
        }
    }

    /// Checks the limits make sense: positive values, warning below the hard limit.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let positive = |name: &str, v: Option<f64>| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => Err((name.to_string(), format!("{x} must be a positive number"))),
            _ => Ok(()),
        };
        positive("max_order_notional", self.max_order_notional)?;
        positive("max_adv_pct", self.max_adv_pct)?;
        positive("warn_adv_pct", self.warn_adv_pct)?;
        positive("price_collar_bps", self.price_collar_bps)?;
        positive("max_daily_notional", self.max_daily_notional)?;
        if let Some(q) = self.max_order_qty
            && !q.is_positive()
        {
            return Err(("max_order_qty".into(), format!("{q} must be positive")));
        }
        if self.max_open_orders == Some(0) {
            return Err(("max_open_orders".into(), "0 would forbid every order; must be at least 1".into()));
        }
        if let (Some(w), Some(h)) = (self.warn_adv_pct, self.max_adv_pct)
            && w >= h
        {
            return Err(("warn_adv_pct".into(), format!("{w}% must be below the hard limit max_adv_pct {h}%")));
        }
        Ok(())
    }
}

/// A limit hit or approached: which one, its value and the order's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Limit name (`max_order_notional`, ...).
    pub limit: String,
    /// The limit's value, formatted.
    pub limit_value: String,
    /// The order's value, formatted.
    pub order_value: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: limit {}, order {}", self.limit, self.limit_value, self.order_value)
    }
}

fn finding(limit: &str, limit_value: String, order_value: String) -> Finding {
    Finding { limit: limit.to_string(), limit_value, order_value }
}

/// What is known about an order when it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    /// Symbol.
    pub symbol: String,
    /// Quantity.
    pub qty: Qty,
    /// Notional in USD.
    pub notional_usd: f64,
    /// Quantity as a percentage of ADV.
    pub pct_adv: f64,
    /// Distance of the limit price from the mid in bps, if it has one.
    pub limit_distance_bps: Option<f64>,
    /// Orders the user already has open.
    pub open_orders: usize,
    /// Notional the user has already submitted today, USD.
    pub daily_notional_usd: f64,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Within every limit.
    Pass,
    /// Within hard limits but past a warning threshold.
    Warn(Vec<Finding>),
    /// A hard limit is breached.
    Breach(Finding),
}

/// Checks an order against limits. Hard limits first: the first breach wins.
pub fn check(l: &Limits, f: &OrderFacts) -> Verdict {
    let usd = |x: f64| format!("{} USD", group_f64(x));
    if l.restricted_symbols.iter().any(|s| s.eq_ignore_ascii_case(&f.symbol)) {
        return Verdict::Breach(finding("restricted_symbols", "restricted".into(), f.symbol.clone()));
    }
    if let Some(m) = l.max_order_qty
        && f.qty > m
    {
        return Verdict::Breach(finding("max_order_qty", m.to_string(), f.qty.to_string()));
    }
    if let Some(m) = l.max_order_notional
        && f.notional_usd > m
    {
        return Verdict::Breach(finding("max_order_notional", usd(m), usd(f.notional_usd)));
    }
    if let Some(m) = l.max_adv_pct
        && f.pct_adv > m
    {
        return Verdict::Breach(finding("max_adv_pct", format!("{m:.2}% of ADV"), format!("{:.2}% of ADV", f.pct_adv)));
    }
    if let (Some(m), Some(d)) = (l.price_collar_bps, f.limit_distance_bps)
        && d > m
    {
        return Verdict::Breach(finding(
            "price_collar_bps",
            format!("{m:.1} bps from mid"),
            format!("{d:.1} bps from mid"),
        ));
    }
    if let Some(m) = l.max_open_orders
        && f.open_orders + 1 > m
    {
        return Verdict::Breach(finding(
            "max_open_orders",
            m.to_string(),
            format!("{} open + this one", f.open_orders),
        ));
    }
    if let Some(m) = l.max_daily_notional
        && f.daily_notional_usd + f.notional_usd > m
    {
        return Verdict::Breach(finding("max_daily_notional", usd(m), usd(f.daily_notional_usd + f.notional_usd)));
    }
    let mut warnings = Vec::new();
    if let Some(w) = l.warn_adv_pct
        && f.pct_adv > w
    {
        warnings.push(finding("warn_adv_pct", format!("{w:.2}% of ADV"), format!("{:.2}% of ADV", f.pct_adv)));
    }
    if warnings.is_empty() { Verdict::Pass } else { Verdict::Warn(warnings) }
}

fn group_f64(x: f64) -> String {
    crate::model::human::fixed(x, 0)
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
}

/// How risk starts in an engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskConfig {
    /// Whether a tenant seen for the first time may trade (true for a desk's
    /// own embedded engine; false on a shared server).
    pub new_tenants_enabled: bool,
    /// Tenants enabled from the start.
    pub enabled_tenants: Vec<String>,
    /// Limits for every tenant unless overridden.
    pub default_limits: Limits,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig { new_tenants_enabled: true, enabled_tenants: Vec::new(), default_limits: Limits::default() }
    }
}

/// Risk state of an engine: tenants, positions and daily usage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskBook {
    /// Configuration.
    pub config: RiskConfig,
    /// Per-tenant controls.
    pub tenants: BTreeMap<Name, TenantRisk>,
    /// Net filled position per (tenant, symbol), signed (buys positive).
    pub positions: BTreeMap<(Name, Name), Qty>,
    /// Notional submitted today per (tenant, user), USD.
    pub daily_notional: BTreeMap<(Name, Name), f64>,
    /// Set by a global kill: tenants seen later start HALTED too.
    pub global_halt: bool,
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

    /// A tenant's controls (created with the defaults when first seen).
    pub fn tenant_mut(&mut self, tenant: &str) -> &mut TenantRisk {
        let enabled = self.config.new_tenants_enabled;
        let state = if self.global_halt { TradingState::Halted } else { TradingState::Active };
        self.tenants.entry(Name::from(tenant)).or_insert_with(|| TenantRisk {
            execution_enabled: enabled,
            state,
            limits: Limits::default(),
            users: BTreeMap::new(),
        })
    }

    /// A tenant's controls as they are or would be when first seen.
    pub fn tenant(&self, tenant: &str) -> TenantRisk {
        self.tenants.get(tenant).cloned().unwrap_or(TenantRisk {
            execution_enabled: self.config.new_tenants_enabled,
            state: if self.global_halt { TradingState::Halted } else { TradingState::Active },
            limits: Limits::default(),
            users: BTreeMap::new(),
        })
    }

    /// Limits in force for a user: user overrides, then tenant, then defaults.
    pub fn effective(&self, tenant: &str, user: &str) -> Limits {
        let t = self.tenant(tenant);
        let tenant_level = t.limits.over(&self.config.default_limits);
        match t.users.get(user) {
            Some(u) => u.over(&tenant_level),
            None => tenant_level,
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

    fn facts(qty: i64, notional: f64, pct_adv: f64) -> OrderFacts {
        OrderFacts {
            symbol: "AAPL".into(),
            qty: Qty::from_int(qty),
            notional_usd: notional,
            pct_adv,
            limit_distance_bps: None,
            open_orders: 0,
            daily_notional_usd: 0.0,
        }
    }

    #[test]
    fn at_the_limit_passes_just_over_breaches() {
        let l = Limits {
            max_order_notional: Some(1_000_000.0),
            max_order_qty: Some(Qty::from_int(5_000)),
            ..Limits::default()
        };
        assert_eq!(check(&l, &facts(5_000, 1_000_000.0, 1.0)), Verdict::Pass);
        match check(&l, &facts(5_000, 1_000_000.01, 1.0)) {
            Verdict::Breach(f) => {
                assert_eq!(f.to_string(), "max_order_notional: limit 1,000,000 USD, order 1,000,000 USD")
            }
            other => panic!("{other:?}"),
        }
        match check(&l, &facts(5_001, 10.0, 1.0)) {
            Verdict::Breach(f) => assert_eq!(
                (f.limit.as_str(), f.limit_value.as_str(), f.order_value.as_str()),
                ("max_order_qty", "5000", "5001")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn adv_warning_below_the_hard_limit() {
        let l = Limits { max_adv_pct: Some(25.0), warn_adv_pct: Some(10.0), ..Limits::default() };
        assert_eq!(check(&l, &facts(1, 1.0, 10.0)), Verdict::Pass);
        assert!(matches!(check(&l, &facts(1, 1.0, 10.5)), Verdict::Warn(w) if w[0].limit == "warn_adv_pct"));
        assert!(matches!(check(&l, &facts(1, 1.0, 25.5)), Verdict::Breach(f) if f.limit == "max_adv_pct"));
        let bad = Limits { max_adv_pct: Some(10.0), warn_adv_pct: Some(10.0), ..Limits::default() };
        assert_eq!(bad.validate().unwrap_err().0, "warn_adv_pct");
    }

    #[test]
    fn user_limits_override_the_tenant() {
        let mut b = RiskBook::new(RiskConfig::default());
        b.tenant_mut("ws").limits.max_order_qty = Some(Qty::from_int(100));
        b.tenant_mut("ws").limits.restricted_symbols.insert("MSFT".into());
        b.tenant_mut("ws")
            .users
            .insert("alice".into(), Limits { max_order_qty: Some(Qty::from_int(500)), ..Limits::default() });
        assert_eq!(b.effective("ws", "alice").max_order_qty, Some(Qty::from_int(500)));
        assert_eq!(b.effective("ws", "bob").max_order_qty, Some(Qty::from_int(100)));
        assert!(b.effective("ws", "alice").restricted_symbols.contains("MSFT"));
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
}
