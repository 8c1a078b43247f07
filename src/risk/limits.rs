//! Limits and the one pre-trade check every order goes through: on submit,
//! and again on every amend and resume with the order as it would become.

use crate::model::{Money, Price, Qty};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Hard limits and warning thresholds. Unset fields do not apply; a user's
/// limits override their tenant's field by field, a tenant's the desk's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest quantity of one order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_order_qty: Option<Qty>,
    /// Largest notional of one order, in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_order_notional: Option<Money>,
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
    pub max_daily_notional: Option<Money>,
}

/// The fat-finger collar every desk starts with: a limit price more than 10%
/// from the mid is refused.
pub const DEFAULT_PRICE_COLLAR_BPS: f64 = 1_000.0;

/// How far a decision price may be from the mid, in bps: 50% either way.
/// Wider than the limit collar, because a decision can predate the order by
/// a session or more, but it keeps a decision price of 9,223,372,036 or
/// 0.000000001 on a $229 stock, which makes every TCA figure against it
/// meaningless, out. Fixed rather than a desk limit: it guards the meaning
/// of a figure, not the desk's exposure.
pub const DECISION_PX_BAND_BPS: f64 = 5_000.0;

/// The collar's measure, for a limit and a decision price alike: how far
/// `px` is from `mid`, in bps of the mid; `None` without a positive mid.
pub fn distance_bps(px: Price, mid: f64) -> Option<f64> {
    (mid.is_finite() && mid > 0.0).then(|| ((px.to_f64() - mid) / mid * 1e4).abs())
}

/// The prices within `band_bps` of `mid`: the range a refusal states.
pub fn band(mid: f64, band_bps: f64) -> (f64, f64) {
    (mid * (1.0 - band_bps / 1e4), mid * (1.0 + band_bps / 1e4))
}

/// The fat-finger notional cap every desk starts with: 50 million USD per order.
pub const DEFAULT_MAX_ORDER_NOTIONAL_USD: i64 = 50_000_000;

impl Limits {
    /// The desk's limits until a supervisor changes them: the fat-finger
    /// collar and notional cap, nothing else.
    pub fn fat_finger() -> Limits {
        Limits {
            price_collar_bps: Some(DEFAULT_PRICE_COLLAR_BPS),
            max_order_notional: Some(Money::from_int(DEFAULT_MAX_ORDER_NOTIONAL_USD)),
            ..Limits::default()
        }
    }

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
        let positive_money = |name: &str, v: Option<Money>| match v {
            Some(m) if !m.is_positive() => Err((name.to_string(), format!("{m} must be a positive amount of USD"))),
            _ => Ok(()),
        };
        positive_money("max_order_notional", self.max_order_notional)?;
        positive("max_adv_pct", self.max_adv_pct)?;
        positive("warn_adv_pct", self.warn_adv_pct)?;
        positive("price_collar_bps", self.price_collar_bps)?;
        positive_money("max_daily_notional", self.max_daily_notional)?;
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
        for s in &self.restricted_symbols {
            if s.trim().is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
                return Err((
                    "restricted_symbols".into(),
                    format!("{s:?} is not a symbol; allowed: 1-64 characters without control characters"),
                ));
            }
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

/// What is known about an order when it is checked: a new order, or a
/// working one as an amend or resume would leave it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    /// Symbol.
    pub symbol: String,
    /// Quantity.
    pub qty: Qty,
    /// Notional in USD, exact; `None` when it does not fit the money grid
    /// (then every notional limit is breached).
    pub notional_usd: Option<Money>,
    /// Quantity as a percentage of ADV.
    pub pct_adv: f64,
    /// Distance of the limit price from the mid in bps, if it has one.
    pub limit_distance_bps: Option<f64>,
    /// Orders the user has open besides this one.
    pub open_orders: usize,
    /// Notional the user has used today besides what this check adds, USD.
    pub daily_notional_usd: Money,
    /// Notional this check adds to the day's usage (the whole order on
    /// submit, the increase on an amend, nothing on a resume), USD.
    pub adds_usd: Option<Money>,
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

/// Money as `1,234,567 USD` (whole dollars, grouped: `model::human`).
pub fn group_money(m: Money) -> String {
    format!("{} USD", crate::model::human::money_whole(m))
}

fn usd(m: Option<Money>) -> String {
    m.map_or_else(|| "more than the largest representable amount".to_string(), group_money)
}

/// Checks an order against limits. Hard limits first: the first breach wins.
pub fn check(l: &Limits, f: &OrderFacts) -> Verdict {
    if l.restricted_symbols.iter().any(|s| s.eq_ignore_ascii_case(&f.symbol)) {
        return Verdict::Breach(finding("restricted_symbols", "restricted".into(), f.symbol.clone()));
    }
    if let Some(m) = l.max_order_qty
        && f.qty > m
    {
        return Verdict::Breach(finding("max_order_qty", m.to_string(), f.qty.to_string()));
    }
    if let Some(m) = l.max_order_notional
        && f.notional_usd.is_none_or(|n| n > m)
    {
        return Verdict::Breach(finding("max_order_notional", group_money(m), usd(f.notional_usd)));
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
        && f.open_orders.saturating_add(1) > m
    {
        return Verdict::Breach(finding(
            "max_open_orders",
            m.to_string(),
            format!("{} open + this one", f.open_orders),
        ));
    }
    if let Some(m) = l.max_daily_notional {
        let total = f.adds_usd.and_then(|a| f.daily_notional_usd.checked_add(a));
        if total.is_none_or(|t| t > m) {
            return Verdict::Breach(finding("max_daily_notional", group_money(m), usd(total)));
        }
    }
    let mut warnings = Vec::new();
    if let Some(w) = l.warn_adv_pct
        && f.pct_adv > w
    {
        warnings.push(finding("warn_adv_pct", format!("{w:.2}% of ADV"), format!("{:.2}% of ADV", f.pct_adv)));
    }
    if warnings.is_empty() { Verdict::Pass } else { Verdict::Warn(warnings) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(x: i64) -> Money {
        Money::from_int(x)
    }

    fn facts(qty: i64, notional: Money, pct_adv: f64) -> OrderFacts {
        OrderFacts {
            symbol: "AAPL".into(),
            qty: Qty::from_int(qty),
            notional_usd: Some(notional),
            pct_adv,
            limit_distance_bps: None,
            open_orders: 0,
            daily_notional_usd: Money::ZERO,
            adds_usd: Some(notional),
        }
    }

    #[test]
    fn at_the_limit_passes_just_over_breaches() {
        let l = Limits {
            max_order_notional: Some(usd(1_000_000)),
            max_order_qty: Some(Qty::from_int(5_000)),
            ..Limits::default()
        };
        assert_eq!(check(&l, &facts(5_000, usd(1_000_000), 1.0)), Verdict::Pass);
        match check(&l, &facts(5_000, Money::parse("1000000.01").unwrap(), 1.0)) {
            Verdict::Breach(f) => {
                assert_eq!(f.to_string(), "max_order_notional: limit 1,000,000 USD, order 1,000,000 USD")
            }
            other => panic!("{other:?}"),
        }
        match check(&l, &facts(5_001, usd(10), 1.0)) {
            Verdict::Breach(f) => assert_eq!(
                (f.limit.as_str(), f.limit_value.as_str(), f.order_value.as_str()),
                ("max_order_qty", "5000", "5001")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_notional_past_the_money_grid_breaches_every_notional_limit() {
        let l = Limits { max_order_notional: Some(usd(1_000_000)), ..Limits::default() };
        let mut f = facts(1, usd(1), 0.0);
        f.notional_usd = None;
        match check(&l, &f) {
            Verdict::Breach(b) => {
                assert_eq!(b.limit, "max_order_notional");
                assert_eq!(b.order_value, "more than the largest representable amount");
            }
            other => panic!("{other:?}"),
        }
        // The day's usage near the top of the grid plus any order cannot wrap negative.
        let l = Limits { max_daily_notional: Some(usd(1_000_000)), ..Limits::default() };
        let mut f = facts(1, usd(5), 0.0);
        f.daily_notional_usd = Money::MAX;
        assert!(matches!(check(&l, &f), Verdict::Breach(b) if b.limit == "max_daily_notional"));
    }

    #[test]
    fn daily_usage_counts_what_the_check_adds() {
        // 900,000 used; an amend adding 100,000 reaches the 1,000,000 limit
        // exactly (passes); adding 100,000.01 is over.
        let l = Limits { max_daily_notional: Some(usd(1_000_000)), ..Limits::default() };
        let mut f = facts(1, usd(5_000_000), 0.0);
        f.daily_notional_usd = usd(900_000);
        f.adds_usd = Some(usd(100_000));
        assert_eq!(check(&l, &f), Verdict::Pass);
        f.adds_usd = Some(Money::parse("100000.01").unwrap());
        assert!(matches!(check(&l, &f), Verdict::Breach(b) if b.order_value == "1,000,000 USD"));
    }

    #[test]
    fn adv_warning_below_the_hard_limit() {
        let l = Limits { max_adv_pct: Some(25.0), warn_adv_pct: Some(10.0), ..Limits::default() };
        assert_eq!(check(&l, &facts(1, usd(1), 10.0)), Verdict::Pass);
        assert!(matches!(check(&l, &facts(1, usd(1), 10.5)), Verdict::Warn(w) if w[0].limit == "warn_adv_pct"));
        assert!(matches!(check(&l, &facts(1, usd(1), 25.5)), Verdict::Breach(f) if f.limit == "max_adv_pct"));
        let bad = Limits { max_adv_pct: Some(10.0), warn_adv_pct: Some(10.0), ..Limits::default() };
        assert_eq!(bad.validate().unwrap_err().0, "warn_adv_pct");
    }

    #[test]
    fn grouped_money() {
        assert_eq!(group_money(Money::parse("1234567.5").unwrap()), "1,234,568 USD");
        assert_eq!(group_money(-usd(1_000)), "-1,000 USD");
        assert_eq!(group_money(Money::ZERO), "0 USD");
    }
}
