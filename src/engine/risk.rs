//! The engine's side of pre-trade risk: gates on submit, amend and resume,
//! the supervisor commands that change limits and trading states, and the
//! kill switch. The checks themselves are pure (`crate::risk`).

use super::{Actor, Engine, EventKind, OrderRequest, Reject, RejectCode};
use crate::model::{Instrument, ParentStatus, Price, Qty};
use crate::risk::{Finding, Limits, OrderFacts, RiskBook, TradingState, Verdict, check};
use serde::{Deserialize, Serialize};

/// The risk picture for the supervisor view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskView {
    /// Tenants with their controls.
    pub tenants: Vec<TenantView>,
    /// True after a global kill.
    pub global_halt: bool,
    /// Limits every tenant starts from.
    pub default_limits: Limits,
    /// Whether a tenant the engine has not seen yet may trade (false on a shared server).
    #[serde(default)]
    pub new_tenants_enabled: bool,
}

/// One tenant in the risk view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantView {
    /// Tenant.
    pub tenant: String,
    /// Whether its orders are accepted.
    pub execution_enabled: bool,
    /// Trading state.
    pub state: TradingState,
    /// Tenant-wide limits.
    pub limits: Limits,
    /// Per-user overrides.
    pub users: Vec<(String, Limits)>,
    /// Net positions by symbol.
    pub positions: Vec<(String, Qty)>,
    /// Notional submitted today by user, USD.
    pub daily_notional: Vec<(String, f64)>,
    /// Orders not yet final.
    pub open_orders: usize,
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

impl Engine {
    /// The risk book (limits, states, positions).
    pub fn risk(&self) -> &RiskBook {
        &self.risk
    }

    /// Value of `qty` in USD at the instrument's price, using the simulated FX
    /// rates (or the FX reference prices when FX is not simulated).
    pub(super) fn usd_notional(&self, inst: &Instrument, px: Price, qty: Qty) -> f64 {
        let local = inst.notional(px, qty).to_f64();
        local * self.usd_per(&inst.currency)
    }

    fn usd_per(&self, ccy: &str) -> f64 {
        if ccy == "USD" {
            return 1.0;
        }
        let px = |sym: &str| -> Option<f64> {
            let m = self.market(sym);
            match m {
                Some(m) => Some(m.mid(self.now)),
                None => self.universe.instrument(sym).map(|i| i.ref_price.to_f64()),
            }
        };
        if let Some(p) = px(&format!("{ccy}/USD")) {
            return p;
        }
        if let Some(p) = px(&format!("USD/{ccy}")).filter(|p| *p > 0.0) {
            return 1.0 / p;
        }
        1.0
    }

    /// Trading state, enablement and limits for a new order. Returns the
    /// warnings the user acknowledged (empty if none).
    pub(super) fn risk_gate(&self, actor: &Actor, req: &OrderRequest, inst: usize) -> Result<Vec<Finding>, Reject> {
        let t = self.risk.tenant(&actor.tenant);
        if !t.execution_enabled {
            return Err(Reject::new(
                RejectCode::ExecutionDisabled,
                format!("execution is disabled for tenant '{}'; a SUPERVISOR or ADMIN must enable it", actor.tenant),
            ));
        }
        let m = &self.markets[inst];
        match t.state {
            TradingState::Halted => {
                return Err(Reject::new(
                    RejectCode::Halted,
                    format!("tenant '{}' is HALTED: no new orders; a supervisor must set it ACTIVE", actor.tenant),
                ));
            }
            TradingState::Reducing if !self.risk.reduces(&actor.tenant, &m.inst.symbol, req.side, req.qty) => {
                let pos = self.risk.position(&actor.tenant, &m.inst.symbol);
                return Err(Reject::new(
                    RejectCode::Reducing,
                    format!(
                        "tenant '{}' is REDUCING: only orders that reduce exposure are accepted; position in {} is {pos}, this {} of {} would not reduce it",
                        actor.tenant, m.inst.symbol, req.side, req.qty
                    ),
                ));
            }
            _ => {}
        }
        let limits = self.risk.effective(&actor.tenant, &actor.user);
        let mid = m.nbbo().mid().unwrap_or_else(|| m.mid(self.now));
        let px = req.limit_px.unwrap_or_else(|| Price::from_f64(mid).unwrap_or(m.inst.ref_price));
        let facts = OrderFacts {
            symbol: m.inst.symbol.to_string(),
            qty: req.qty,
            notional_usd: self.usd_notional(&m.inst, px, req.qty),
            pct_adv: req.qty.ratio(m.inst.adv) * 100.0,
            limit_distance_bps: req.limit_px.map(|l| ((l.to_f64() - mid) / mid * 1e4).abs()),
            open_orders: self.open_orders_of(actor),
            daily_notional_usd: self
                .risk
                .daily_notional
                .get(&(actor.tenant.clone(), actor.user.clone()))
                .copied()
                .unwrap_or(0.0),
        };
        match check(&limits, &facts) {
            Verdict::Pass => Ok(Vec::new()),
            Verdict::Breach(f) => {
                Err(Reject::field(RejectCode::RiskLimit, &f.limit.clone(), format!("risk limit breached: {f}")))
            }
            Verdict::Warn(w) if req.acknowledge_warnings => Ok(w),
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

    /// The actor's orders not yet final.
    fn open_orders_of(&self, actor: &Actor) -> usize {
        self.open_by_owner.get(&(actor.tenant.clone(), actor.user.clone())).copied().unwrap_or(0)
    }

    /// Records an accepted order's notional against the user's daily usage.
    pub(super) fn risk_accept(&mut self, actor: &Actor, req: &OrderRequest, inst: usize) {
        let m = &self.markets[inst];
        let mid = m.nbbo().mid().unwrap_or_else(|| m.mid(self.now));
        let px = req.limit_px.unwrap_or_else(|| Price::from_f64(mid).unwrap_or(m.inst.ref_price));
        let usd = self.usd_notional(&self.markets[inst].inst.clone(), px, req.qty);
        *self.risk.daily_notional.entry((actor.tenant.clone(), actor.user.clone())).or_default() += usd;
    }

    /// Refuses an increase of an order's size while the tenant is not ACTIVE,
    /// and re-checks hard limits on the new size.
    pub(super) fn risk_amend(&self, p: usize, new_qty: Qty) -> Result<(), Reject> {
        let o = &self.parents[p].order;
        if new_qty <= o.qty {
            return Ok(());
        }
        let t = self.risk.tenant(&o.owner.tenant);
        if t.state != TradingState::Active {
            return Err(Reject::new(
                if t.state == TradingState::Halted { RejectCode::Halted } else { RejectCode::Reducing },
                format!("tenant '{}' is {}: an order cannot be increased", o.owner.tenant, t.state),
            ));
        }
        let limits = self.risk.effective(&o.owner.tenant, &o.owner.user);
        let m = &self.markets[self.parents[p].inst];
        if let Some(max) = limits.max_order_qty
            && new_qty > max
        {
            return Err(Reject::field(
                RejectCode::RiskLimit,
                "max_order_qty",
                format!("risk limit breached: max_order_qty: limit {max}, order {new_qty}"),
            ));
        }
        if let Some(max) = limits.max_adv_pct {
            let pct = new_qty.ratio(m.inst.adv) * 100.0;
            if pct > max {
                return Err(Reject::field(
                    RejectCode::RiskLimit,
                    "max_adv_pct",
                    format!("risk limit breached: max_adv_pct: limit {max:.2}% of ADV, order {pct:.2}% of ADV"),
                ));
            }
        }
        Ok(())
    }

    /// Refuses to resume an order of a tenant that is HALTED.
    pub(super) fn risk_resume(&self, p: usize) -> Result<(), Reject> {
        let tenant = &self.parents[p].order.owner.tenant;
        if self.risk.tenant(tenant).state == TradingState::Halted {
            return Err(Reject::new(
                RejectCode::Halted,
                format!("tenant '{tenant}' is HALTED; a supervisor must set it ACTIVE before orders resume"),
            ));
        }
        Ok(())
    }

    /// Cancels working children and pauses the parents of one tenant (or all).
    pub(super) fn kill(&mut self, actor: &Actor, tenant: Option<&str>) -> Result<(), Reject> {
        supervisor(actor, "the kill switch")?;
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
        match tenant {
            Some(t) => self.risk.tenant_mut(t).state = TradingState::Halted,
            None => {
                self.risk.global_halt = true;
                for t in self.risk.tenants.values_mut() {
                    t.state = TradingState::Halted;
                }
            }
        }
        self.emit(EventKind::KillAll { actor: actor.clone(), tenant: tenant.map(Into::into), parents: hit });
        Ok(())
    }

    pub(super) fn set_trading_state(
        &mut self,
        actor: &Actor,
        tenant: Option<&str>,
        state: TradingState,
    ) -> Result<(), Reject> {
        supervisor(actor, "changing a trading state")?;
        match tenant {
            Some(t) => self.risk.tenant_mut(t).state = state,
            None => {
                self.risk.global_halt = state == TradingState::Halted;
                for t in self.risk.tenants.values_mut() {
                    t.state = state;
                }
            }
        }
        self.emit(EventKind::TradingState { actor: actor.clone(), tenant: tenant.map(Into::into), state });
        Ok(())
    }

    pub(super) fn set_execution(&mut self, actor: &Actor, tenant: &str, enabled: bool) -> Result<(), Reject> {
        supervisor(actor, "enabling execution")?;
        self.risk.tenant_mut(tenant).execution_enabled = enabled;
        self.emit(EventKind::ExecutionEnabled { actor: actor.clone(), tenant: tenant.into(), enabled });
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
        limits.validate().map_err(|(field, msg)| Reject::field(RejectCode::InvalidParam, &field, msg))?;
        let t = self.risk.tenant_mut(tenant);
        match user {
            Some(u) => {
                t.users.insert(u.into(), limits.clone());
            }
            None => t.limits = limits.clone(),
        }
        self.emit(EventKind::LimitsChanged {
            actor: actor.clone(),
            tenant: tenant.into(),
            user: user.map(Into::into),
            limits,
        });
        Ok(())
    }

    /// Every tenant's controls, positions and usage (supervisors only).
    pub fn risk_view(&self, actor: &Actor) -> Result<RiskView, Reject> {
        supervisor(actor, "the risk view")?;
        let mut names: std::collections::BTreeSet<String> = self.risk.tenants.keys().map(|t| t.to_string()).collect();
        names.extend(self.parents().map(|p| p.owner.tenant.to_string()));
        let tenants = names
            .into_iter()
            .map(|name| {
                let t = self.risk.tenant(&name);
                TenantView {
                    execution_enabled: t.execution_enabled,
                    state: t.state,
                    limits: t.limits.clone(),
                    users: t.users.iter().map(|(u, l)| (u.to_string(), l.clone())).collect(),
                    positions: self
                        .risk
                        .positions
                        .iter()
                        .filter(|((tn, _), _)| **tn == *name)
                        .map(|((_, s), q)| (s.to_string(), *q))
                        .collect(),
                    daily_notional: self
                        .risk
                        .daily_notional
                        .iter()
                        .filter(|((tn, _), _)| **tn == *name)
                        .map(|((_, u), v)| (u.to_string(), *v))
                        .collect(),
                    open_orders: self.parents().filter(|p| *p.owner.tenant == *name && !p.status.is_terminal()).count(),
                    tenant: name,
                }
            })
            .collect();
        Ok(RiskView {
            tenants,
            global_halt: self.risk.global_halt,
            default_limits: self.risk.config.default_limits.clone(),
            new_tenants_enabled: self.risk.config.new_tenants_enabled,
        })
    }
}
