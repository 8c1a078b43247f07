//! The risk picture supervisors see: every tenant's controls, positions and
//! usage, and who last changed them.

use super::{Actor, Engine, Reject, RejectCode};
use crate::model::{Money, Qty};
use crate::risk::{DeskUsage, Limits, Stamp, TradingState};
use serde::{Deserialize, Serialize};

/// The risk picture for the supervisor view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskView {
    /// Tenants with their controls.
    pub tenants: Vec<TenantView>,
    /// True after a global kill.
    pub global_halt: bool,
    /// The state set for every tenant at once; tenants seen later start in it.
    #[serde(default)]
    pub desk_state: TradingState,
    /// The desk's limits: every tenant's unless overridden (the fat-finger
    /// collar and notional cap until a supervisor changes them).
    pub default_limits: Limits,
    /// Who last changed a desk-wide control, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_changed: Option<Stamp>,
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
    pub daily_notional: Vec<(String, Money)>,
    /// Orders not yet final.
    pub open_orders: usize,
    /// Who last changed one of its controls, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Stamp>,
}

impl Engine {
    /// The controls `actor`'s next order meets.
    pub fn controls_for(&self, actor: &Actor) -> super::view::ControlsInForce {
        let t = self.risk.tenant(&actor.tenant);
        super::view::ControlsInForce {
            limits: self.risk.effective(&actor.tenant, &actor.user),
            state: t.state,
            execution_enabled: t.execution_enabled,
        }
    }

    /// Every tenant's controls, positions and usage (supervisors only).
    pub fn risk_view(&self, actor: &Actor) -> Result<RiskView, Reject> {
        if !actor.role.is_supervisor() {
            return Err(Reject::new(
                RejectCode::Forbidden,
                format!("the risk view needs the SUPERVISOR or ADMIN role; you are {}", actor.role),
            ));
        }
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
                    changed: t.changed.clone(),
                    tenant: name,
                }
            })
            .collect();
        Ok(RiskView {
            tenants,
            global_halt: self.risk.global_halt(),
            desk_state: self.risk.desk_state,
            default_limits: self.risk.config.default_limits.clone(),
            desk_changed: self.risk.desk_changed.clone(),
            new_tenants_enabled: self.risk.config.new_tenants_enabled,
        })
    }
}

impl Engine {
    /// The risk view with the usage of the desk's other engines added
    /// (several `serve` instances on one database): each tenant's positions,
    /// daily notional by user and open orders desk-wide; tenants seen only
    /// on other engines are listed with the controls this engine applies to
    /// them (the desk's controls are shared).
    pub fn risk_view_with(&self, actor: &Actor, others: &DeskUsage) -> Result<RiskView, Reject> {
        let mut view = self.risk_view(actor)?;
        let mut names: std::collections::BTreeSet<String> =
            others.daily_notional.keys().map(|(t, _)| t.to_string()).collect();
        names.extend(others.positions.keys().map(|(t, _)| t.to_string()));
        names.extend(others.open_orders.keys().map(|t| t.to_string()));
        for name in names {
            if view.tenants.iter().all(|t| t.tenant != name) {
                let t = self.risk.tenant(&name);
                view.tenants.push(TenantView {
                    tenant: name,
                    execution_enabled: t.execution_enabled,
                    state: t.state,
                    limits: t.limits.clone(),
                    users: t.users.iter().map(|(u, l)| (u.to_string(), l.clone())).collect(),
                    positions: Vec::new(),
                    daily_notional: Vec::new(),
                    open_orders: 0,
                    changed: t.changed.clone(),
                });
            }
        }
        view.tenants.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        for t in &mut view.tenants {
            for ((_, sym), q) in others.positions.iter().filter(|((tn, _), _)| **tn == *t.tenant) {
                match t.positions.iter_mut().find(|(s, _)| *s == **sym) {
                    Some((_, have)) => *have += *q,
                    None => t.positions.push((sym.to_string(), *q)),
                }
            }
            for ((_, user), m) in others.daily_notional.iter().filter(|((tn, _), _)| **tn == *t.tenant) {
                match t.daily_notional.iter_mut().find(|(u, _)| *u == **user) {
                    // Past the money grid it stays above every limit.
                    Some((_, have)) => *have = have.checked_add(*m).unwrap_or(Money::MAX),
                    None => t.daily_notional.push((user.to_string(), *m)),
                }
            }
            t.positions.sort_by(|a, b| a.0.cmp(&b.0));
            t.daily_notional.sort_by(|a, b| a.0.cmp(&b.0));
            t.open_orders += others.open_orders.get(t.tenant.as_str()).copied().unwrap_or(0);
        }
        Ok(view)
    }
}
