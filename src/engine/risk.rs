//! The engine's side of pre-trade risk: one gate every order goes through on
//! submit, on every amend that adds risk (quantity up, limit moved) and on
//! resume; the bounds that keep every figure of an order on the money grid;
//! the supervisor commands that change controls; the kill switch. The
//! checks themselves are pure (`crate::risk`).

use super::{Actor, Engine, EventKind, Reject, RejectCode};
use crate::model::{Instrument, Money, Name, ParentStatus, Price, Qty, Side, human};
use crate::risk::{
    Control, DECISION_PX_BAND_BPS, Elsewhere, Finding, Limits, OrderFacts, RiskBook, Stamp, TradingState, Verdict,
    band, check, distance_bps,
};

/// The largest quantity of one order, in units (shares, coins, face value).
/// With `MAX_ORDER_NOTIONAL` it keeps every figure derived from an order
/// (fills, notional, positions, daily usage, TCA) far inside the grid of
/// `Money` and `Qty` (about 9.2e12), so none of them can overflow.
pub const MAX_ORDER_QTY: Qty = Qty::from_int(1_000_000_000_000);

/// The largest notional of one order, in the instrument's currency.
pub const MAX_ORDER_NOTIONAL: Money = Money::from_int(1_000_000_000_000);

/// Which change to an order is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// A new order.
    Submit,
    /// A working order with a larger quantity and/or another limit.
    Amend,
    /// A paused or interrupted order sending again.
    Resume,
}

impl Change {
    fn verb(self) -> &'static str {
        match self {
            Change::Submit => "accepted",
            Change::Amend => "increased or re-priced",
            Change::Resume => "resumed",
        }
    }
}

/// An order as the change would leave it: what the gate checks.
#[derive(Debug, Clone)]
pub(super) struct Proposal<'a> {
    pub change: Change,
    /// The order changed (`None` for a new one).
    pub id: Option<crate::model::ParentId>,
    pub tenant: &'a Name,
    pub user: &'a Name,
    /// Index of the instrument's market.
    pub inst: usize,
    pub side: Side,
    /// Total quantity after the change.
    pub qty: Qty,
    /// Quantity still to trade after the change.
    pub leaves: Qty,
    pub limit_px: Option<Price>,
    /// The order's quantity and limit before the change (`None` for a new
    /// order): the day's usage grows by what the change adds to the order's
    /// value, a larger quantity or a higher price alike.
    pub before: Option<(Qty, Option<Price>)>,
    /// Whether the order is already counted among the user's open orders.
    pub counted: bool,
    /// The user has seen the warnings and accepts them.
    pub acknowledge: bool,
}

fn stamp(actor: &Actor, at: crate::model::Timestamp) -> Stamp {
    Stamp { by: format!("{}@{} {}", actor.user, actor.tenant, actor.role), at }
}

/// Refuses a tenant or user name outside the one rule (`model::check_name`).
fn named(what: &str, name: &str) -> Result<(), Reject> {
    crate::model::check_name(what, name).map_err(|e| Reject::field(RejectCode::InvalidParam, what, e))
}

fn supervisor(actor: &Actor, what: &str) -> Result<(), Reject> {
    if actor.role.is_supervisor() {
        Ok(())
    } else {
        Err(Reject::new(
            RejectCode::Forbidden,
            format!("{what} needs the SUPERVISOR or ADMIN role; you are {}", actor.role),
        ))
    }
}

/// The control an event records a change of, with who changed it.
pub fn control_of(kind: &EventKind) -> Option<(&Actor, Control)> {
    match kind {
        EventKind::KillAll { actor, tenant, .. } => {
            Some((actor, Control::State { tenant: tenant.clone(), state: TradingState::Halted }))
        }
        EventKind::TradingState { actor, tenant, state } => {
            Some((actor, Control::State { tenant: tenant.clone(), state: *state }))
        }
        EventKind::ExecutionEnabled { actor, tenant, enabled } => {
            Some((actor, Control::Execution { tenant: tenant.clone(), enabled: *enabled }))
        }
        EventKind::LimitsChanged { actor, tenant, user, limits } => {
            Some((actor, Control::Limits { tenant: tenant.clone(), user: user.clone(), limits: limits.clone() }))
        }
        EventKind::DeskLimitsChanged { actor, limits } => Some((actor, Control::DeskLimits { limits: limits.clone() })),
        _ => None,
    }
}

impl Engine {
    /// The risk book (limits, states, positions).
    pub fn risk(&self) -> &RiskBook {
        &self.risk
    }

    /// The mid used for risk: the NBBO mid, else the simulated mid.
    pub(super) fn risk_mid(&self, inst: usize) -> f64 {
        let m = &self.markets[inst];
        m.nbbo().mid().unwrap_or_else(|| m.mid(self.now))
    }

    /// Value of `qty` in USD at `px`, exact for USD instruments and through
    /// the simulated FX rate otherwise; `None` when it does not fit, or when
    /// the engine has no USD rate for the instrument's currency.
    pub(super) fn usd_notional(&self, inst: &Instrument, px: Price, qty: Qty) -> Option<Money> {
        let local = inst.checked_notional(px, qty)?;
        if inst.currency.as_ref() == "USD" {
            return Some(local);
        }
        Money::from_f64(local.to_f64() * self.usd_per(&inst.currency)?)
    }

    /// USD per unit of `ccy`, from the `CCY/USD` or `USD/CCY` market (or its
    /// reference price when not simulated); `None` when the universe has
    /// neither: such an order cannot be valued in USD, and is never taken
    /// as worth one dollar a unit.
    fn usd_per(&self, ccy: &str) -> Option<f64> {
        if ccy == "USD" {
            return Some(1.0);
        }
        let px = |sym: &str| -> Option<f64> {
            let m = self.market(sym);
            match m {
                Some(m) => Some(m.mid(self.now)),
                None => self.universe.instrument(sym).map(|i| i.ref_price.to_f64()),
            }
        };
        let positive = |p: f64| p.is_finite() && p > 0.0;
        if let Some(p) = px(&format!("{ccy}/USD")).filter(|p| positive(*p)) {
            return Some(p);
        }
        px(&format!("USD/{ccy}")).filter(|p| positive(*p)).map(|p| 1.0 / p)
    }

    /// The price an order is valued at for risk. A buy at its limit: it
    /// cannot pay more. A sell at the higher of its limit and the mid: a
    /// sell's limit is a floor, and one under the mid trades near the mid
    /// (valued at its limit, a sell at 0.01 was worth nothing to every
    /// notional limit). Without a limit, the mid.
    fn valuation_px(&self, inst: usize, side: Side, limit: Option<Price>) -> Price {
        let mid = || Price::from_f64(self.risk_mid(inst)).unwrap_or(self.markets[inst].inst.ref_price);
        match (side, limit) {
            (_, None) => mid(),
            (Side::Buy, Some(l)) => l,
            (Side::Sell, Some(l)) => l.max(mid()),
        }
    }

    /// The USD value of `qty` of the instrument on `side` with `limit` (see
    /// `valuation_px`); `None` past the money grid or without a USD rate.
    fn value_usd(&self, inst: usize, side: Side, qty: Qty, limit: Option<Price>) -> Option<Money> {
        self.usd_notional(&self.markets[inst].inst, self.valuation_px(inst, side, limit), qty)
    }

    /// What a change adds to the user's day: the order's whole value when
    /// new; otherwise its value after the change less its value before, both
    /// at this moment, never below zero (a re-price up or a larger quantity
    /// adds; a reduction gives nothing back, so going down and up again
    /// counts again).
    fn adds_usd(&self, o: &Proposal<'_>) -> Option<Money> {
        let after = self.value_usd(o.inst, o.side, o.qty, o.limit_px)?;
        let Some((qty, limit)) = o.before else { return Some(after) };
        let before = self.value_usd(o.inst, o.side, qty, limit).unwrap_or(Money::ZERO);
        Some(after.saturating_sub(before))
    }

    /// Refuses an order past the bounds every order must fit: `MAX_ORDER_QTY`
    /// and `MAX_ORDER_NOTIONAL` in its currency, at its limit or the mid.
    pub(super) fn within_bounds(&self, inst: usize, side: Side, qty: Qty, limit: Option<Price>) -> Result<(), Reject> {
        let i = &self.markets[inst].inst;
        if qty > MAX_ORDER_QTY {
            return Err(Reject::field(
                RejectCode::InvalidQty,
                "qty",
                format!(
                    "{} is more than the largest order quantity this engine accepts, {}",
                    human::qty(qty),
                    human::qty(MAX_ORDER_QTY)
                ),
            ));
        }
        let px = self.valuation_px(inst, side, limit);
        if i.checked_notional(px, qty).is_none_or(|n| n > MAX_ORDER_NOTIONAL) {
            // Every figure grouped as the desk writes it (it read "1000000000000 BTC-USD at
            // 1000000 ... worth 1000000000000 USD" beside a grouped 9,223,372,036,854).
            let worth = i
                .checked_notional(px, qty)
                .map_or("more than 9,223,372,036,854".into(), |n| human::group(&format!("{n:.0}")));
            return Err(Reject::field(
                RejectCode::InvalidQty,
                "qty",
                format!(
                    "{} {} at {} is worth {worth} {}; the largest order this engine accepts is worth {} {}",
                    human::qty(qty),
                    i.symbol,
                    human::group(&px.to_string()),
                    i.currency,
                    human::group(&format!("{MAX_ORDER_NOTIONAL:.0}")),
                    i.currency
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a decision price further from the mid than
    /// `DECISION_PX_BAND_BPS`, measured as the limit collar is, naming the
    /// prices allowed. Without a mid there is nothing to measure against.
    pub(super) fn decision_in_band(&self, inst: usize, decision: Price) -> Result<(), Reject> {
        let mid = self.risk_mid(inst);
        let Some(d) = distance_bps(decision, mid) else { return Ok(()) };
        if d <= DECISION_PX_BAND_BPS {
            return Ok(());
        }
        let (lo, hi) = band(mid, DECISION_PX_BAND_BPS);
        let i = &self.markets[inst].inst;
        // Rounded inwards to the tick: every price named is allowed.
        let tick = i.tick_size.to_f64();
        let (lo, hi) = ((lo / tick).ceil() * tick, (hi / tick).floor() * tick);
        let dp = i.tick_size.to_string().split_once('.').map_or(0, |(_, f)| f.len());
        Err(Reject::field(
            RejectCode::InvalidPrice,
            "decision_px",
            format!(
                "{} is {} bps from {}'s mid {}; allowed: {} to {} ({:.0}% either side of the mid)",
                human::group(&decision.to_string()),
                human::fixed(d, 0),
                i.symbol,
                human::fixed(mid, dp),
                human::fixed(lo, dp),
                human::fixed(hi, dp),
                DECISION_PX_BAND_BPS / 100.0
            ),
        ))
    }

    /// The one pre-trade gate: enablement, trading state and every limit,
    /// for a new order or a working one as the change would leave it.
    /// Returns the warnings the user acknowledged (empty if none).
    pub(super) fn pre_trade(&self, o: &Proposal<'_>) -> Result<Vec<Finding>, Reject> {
        let t = self.risk.tenant(o.tenant);
        let what = o.change.verb();
        if !t.execution_enabled {
            return Err(Reject::new(
                RejectCode::ExecutionDisabled,
                format!(
                    "execution is disabled for tenant '{}': no order can be {what}; a SUPERVISOR or ADMIN must enable it",
                    o.tenant
                ),
            ));
        }
        let m = &self.markets[o.inst];
        match t.state {
            TradingState::Halted => {
                return Err(Reject::new(
                    RejectCode::Halted,
                    format!("tenant '{}' is HALTED: no order can be {what}; a supervisor must set it ACTIVE", o.tenant),
                ));
            }
            TradingState::Reducing => {
                // The desk's other working orders on the same side reduce the
                // same position: this one may take only what they leave.
                let working = self.working_towards(o);
                let total = o.leaves.checked_add(working).unwrap_or(Qty::MAX);
                if !self.risk.reduces(o.tenant, &m.inst.symbol, o.side, total) {
                    let pos = self.risk.position(o.tenant, &m.inst.symbol);
                    let others = if working.is_zero() {
                        String::new()
                    } else {
                        format!(" with {working} already working on that side")
                    };
                    return Err(Reject::new(
                        RejectCode::Reducing,
                        format!(
                            "tenant '{}' is REDUCING: only orders that reduce exposure are accepted; position in {} \
                             is {pos}, this {} of {}{others} would not reduce it",
                            o.tenant, m.inst.symbol, o.side, o.leaves
                        ),
                    ));
                }
            }
            _ => {}
        }
        let limits = self.risk.effective(o.tenant, o.user);
        self.valued_in_usd(&limits, &m.inst)?;
        let px = self.valuation_px(o.inst, o.side, o.limit_px);
        let mid = self.risk_mid(o.inst);
        let open = self.open_by_owner.get(&(o.tenant.clone(), o.user.clone())).copied().unwrap_or(0);
        // The desk's other engines count too (several instances, one desk).
        let other = self.risk.elsewhere(o.tenant, o.user);
        let used = self.risk.used_today(o.tenant, o.user);
        let facts = OrderFacts {
            symbol: m.inst.symbol.to_string(),
            qty: o.qty,
            notional_usd: self.usd_notional(&m.inst, px, o.qty),
            pct_adv: o.qty.ratio(m.inst.adv) * 100.0,
            limit_distance_bps: o.limit_px.and_then(|l| distance_bps(l, mid)),
            open_orders: (if o.counted { open.saturating_sub(1) } else { open }).saturating_add(other.open_orders),
            // Past the money grid it stays above every limit.
            daily_notional_usd: used.checked_add(other.daily_notional).unwrap_or(Money::MAX),
            adds_usd: self.adds_usd(o),
        };
        match check(&limits, &facts) {
            Verdict::Pass => Ok(Vec::new()),
            Verdict::Breach(f) => {
                let field = f.limit.clone();
                let desk = match field.as_str() {
                    "max_open_orders" if other.open_orders > 0 => {
                        format!(" (desk-wide: {} of them on the desk's other engines)", other.open_orders)
                    }
                    "max_daily_notional" if other.daily_notional != Money::ZERO => format!(
                        " (desk-wide: {} here, {} on the desk's other engines)",
                        crate::risk::group_money(used),
                        crate::risk::group_money(other.daily_notional)
                    ),
                    _ => String::new(),
                };
                Err(Reject::field(RejectCode::RiskLimit, &field, format!("risk limit breached: {f}{desk}")))
            }
            // A resume changes nothing the user acknowledged when the order was accepted.
            Verdict::Warn(w) if o.acknowledge || o.change == Change::Resume => Ok(w),
            Verdict::Warn(w) => {
                let list: Vec<String> = w.iter().map(|f| f.to_string()).collect();
                Err(Reject::field(
                    RejectCode::RiskWarning,
                    "acknowledge_warnings",
                    format!("risk warning needs acknowledgement: {}", list.join("; ")),
                ))
            }
        }
    }

    /// Sets what `tenant`/`user` has on the desk's other engines, read from
    /// the ledger under the user's desk lock, for their next check (see
    /// `RiskBook::elsewhere`).
    pub fn set_elsewhere(&mut self, tenant: &str, user: &str, usage: Elsewhere) {
        let key = (Name::from(tenant), Name::from(user));
        if usage == Elsewhere::default() {
            self.risk.elsewhere.remove(&key);
        } else {
            self.risk.elsewhere.insert(key, usage);
        }
    }

    /// Counts a parent that is not final (on submit and on restore).
    pub(super) fn parent_opened(&mut self, p: usize) {
        let o = &self.parents[p].order.owner;
        *self.open_by_owner.entry((o.tenant.clone(), o.user.clone())).or_default() += 1;
        self.open_parents += 1;
    }

    /// Uncounts a parent that reached a final state.
    pub(super) fn parent_closed(&mut self, p: usize) {
        let o = &self.parents[p].order.owner;
        if let Some(n) = self.open_by_owner.get_mut(&(o.tenant.clone(), o.user.clone())) {
            *n = n.saturating_sub(1);
        }
        self.open_parents -= 1;
    }

    /// What the tenant's other working orders in the instrument still have
    /// to trade on the proposal's side (the order itself excluded).
    fn working_towards(&self, o: &Proposal<'_>) -> Qty {
        self.parents
            .iter()
            .filter(|p| {
                p.inst == o.inst
                    && Some(p.order.id) != o.id
                    && p.order.side == o.side
                    && p.order.owner.tenant == *o.tenant
                    && !p.order.status.is_terminal()
            })
            .fold(Qty::ZERO, |sum, p| sum.checked_add(p.order.leaves()).unwrap_or(Qty::MAX))
    }

    /// Refuses an order that a USD limit applies to when its currency has
    /// no USD rate in this engine, naming the limit and the missing rate.
    fn valued_in_usd(&self, limits: &Limits, inst: &Instrument) -> Result<(), Reject> {
        let ccy = inst.currency.as_ref();
        let usd_limit =
            [("max_order_notional", limits.max_order_notional), ("max_daily_notional", limits.max_daily_notional)]
                .into_iter()
                .find_map(|(name, l)| l.map(|_| name));
        match usd_limit {
            Some(name) if self.usd_per(ccy).is_none() => Err(Reject::field(
                RejectCode::RiskLimit,
                name,
                format!(
                    "risk limit cannot be checked: {name} is in USD and {} trades in {ccy}, but this engine has \
                     no {ccy}/USD or USD/{ccy} rate (add one of them to the universe)",
                    inst.symbol
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Records what an accepted change adds to the user's daily usage. An
    /// order that cannot be valued in USD (no rate: then no USD limit
    /// applies to it, `valued_in_usd`) adds nothing.
    pub(super) fn risk_use(&mut self, o: &Proposal<'_>) {
        if self.usd_per(&self.markets[o.inst].inst.currency).is_none() {
            return;
        }
        // Bounded by `within_bounds`; a value off the grid would only saturate.
        let usd = self.adds_usd(o).unwrap_or(Money::MAX);
        let (tenant, user) = (o.tenant.clone(), o.user.clone());
        self.risk.use_notional(&tenant, &user, usd);
    }

    /// Applies a supervisor's change to a control and records it.
    fn change_control(&mut self, actor: &Actor, control: Control, event: EventKind) {
        self.risk.apply(&control, stamp(actor, self.now));
        self.emit(event);
    }

    /// Applies the controls the ledger holds (as supervisors last set them)
    /// over the start-up configuration, and records that it did, so the
    /// supervisor sees which controls a restart brought back.
    pub fn restore_controls(&mut self, controls: Vec<(Control, Stamp)>) {
        if controls.is_empty() {
            return;
        }
        for (c, s) in &controls {
            self.risk.apply(c, s.clone());
        }
        self.emit(EventKind::ControlsRestored { controls: controls.into_iter().map(|(c, _)| c).collect() });
    }

    /// Cancels working children and pauses the parents of one tenant (or all).
    pub(super) fn kill(&mut self, actor: &Actor, tenant: Option<&str>) -> Result<(), Reject> {
        supervisor(actor, "the kill switch")?;
        if let Some(t) = tenant {
            named("tenant", t)?;
        }
        let mut hit = Vec::new();
        for p in 0..self.parents.len() {
            let o = &self.parents[p].order;
            if o.status.is_terminal() || tenant.is_some_and(|t| *o.owner.tenant != *t) {
                continue;
            }
            hit.push(o.id);
            self.cancel_children(p);
            if self.parents[p].closing.is_none() && self.parents[p].order.status != ParentStatus::Paused {
                self.pause_index(p);
            }
        }
        let tenant: Option<Name> = tenant.map(Into::into);
        let control = Control::State { tenant: tenant.clone(), state: TradingState::Halted };
        self.change_control(actor, control, EventKind::KillAll { actor: actor.clone(), tenant, parents: hit });
        Ok(())
    }

    pub(super) fn set_trading_state(
        &mut self,
        actor: &Actor,
        tenant: Option<&str>,
        state: TradingState,
    ) -> Result<(), Reject> {
        supervisor(actor, "changing a trading state")?;
        if let Some(t) = tenant {
            named("tenant", t)?;
        }
        let tenant: Option<Name> = tenant.map(Into::into);
        let control = Control::State { tenant: tenant.clone(), state };
        self.change_control(actor, control, EventKind::TradingState { actor: actor.clone(), tenant, state });
        Ok(())
    }

    pub(super) fn set_execution(&mut self, actor: &Actor, tenant: &str, enabled: bool) -> Result<(), Reject> {
        supervisor(actor, "enabling execution")?;
        named("tenant", tenant)?;
        let control = Control::Execution { tenant: tenant.into(), enabled };
        let event = EventKind::ExecutionEnabled { actor: actor.clone(), tenant: tenant.into(), enabled };
        self.change_control(actor, control, event);
        Ok(())
    }

    pub(super) fn set_limits(
        &mut self,
        actor: &Actor,
        tenant: &str,
        user: Option<&str>,
        limits: Limits,
    ) -> Result<(), Reject> {
        supervisor(actor, "changing risk limits")?;
        named("tenant", tenant)?;
        if let Some(u) = user {
            named("user", u)?;
        }
        limits.validate().map_err(|(field, msg)| Reject::field(RejectCode::InvalidParam, &field, msg))?;
        let (tenant, user): (Name, Option<Name>) = (tenant.into(), user.map(Into::into));
        let control = Control::Limits { tenant: tenant.clone(), user: user.clone(), limits: limits.clone() };
        self.change_control(actor, control, EventKind::LimitsChanged { actor: actor.clone(), tenant, user, limits });
        Ok(())
    }

    pub(super) fn set_desk_limits(&mut self, actor: &Actor, limits: Limits) -> Result<(), Reject> {
        supervisor(actor, "changing the desk's risk limits")?;
        limits.validate().map_err(|(field, msg)| Reject::field(RejectCode::InvalidParam, &field, msg))?;
        let control = Control::DeskLimits { limits: limits.clone() };
        self.change_control(actor, control, EventKind::DeskLimitsChanged { actor: actor.clone(), limits });
        Ok(())
    }
}
