//! The changes supervisors make to risk controls. One type for a change and
//! one function applying it to the risk book, used for a change made now and
//! for the controls read back from the ledger when an engine starts, so a
//! restart rebuilds exactly what the changes built.

use super::{Limits, RiskBook, Stamp, TradingState};
use crate::model::Name;
use serde::{Deserialize, Serialize};

/// A change to one control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
pub enum Control {
    /// The desk's limits (what every tenant has unless it overrides them).
    DeskLimits {
        /// The limits.
        limits: Limits,
    },
    /// A tenant's limits, or one of its users' overrides.
    Limits {
        /// Tenant.
        tenant: Name,
        /// User, for a per-user override.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<Name>,
        /// The limits.
        limits: Limits,
    },
    /// One tenant's trading state, or every tenant's (and those seen later) without one.
    State {
        /// Tenant, or every tenant.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant: Option<Name>,
        /// The state.
        state: TradingState,
    },
    /// Whether a tenant's orders are accepted.
    Execution {
        /// Tenant.
        tenant: Name,
        /// Accepted or not.
        enabled: bool,
    },
}

impl Control {
    /// The tenant it concerns, `None` for the desk.
    pub fn tenant(&self) -> Option<&Name> {
        match self {
            Control::DeskLimits { .. } | Control::State { tenant: None, .. } => None,
            Control::Limits { tenant, .. } | Control::Execution { tenant, .. } => Some(tenant),
            Control::State { tenant: Some(t), .. } => Some(t),
        }
    }

    /// In words, for alerts and logs.
    pub fn describe(&self) -> String {
        match self {
            Control::DeskLimits { .. } => "desk limits".to_string(),
            Control::Limits { tenant, user: None, .. } => format!("limits of {tenant}"),
            Control::Limits { tenant, user: Some(u), .. } => format!("limits of {u}@{tenant}"),
            Control::State { tenant: None, state } => format!("every desk {state}"),
            Control::State { tenant: Some(t), state } => format!("{t} {state}"),
            Control::Execution { tenant, enabled } => {
                format!("{tenant} execution {}", if *enabled { "enabled" } else { "disabled" })
            }
        }
    }
}

impl RiskBook {
    /// Applies a change made by `stamp.by`.
    pub fn apply(&mut self, c: &Control, stamp: Stamp) {
        match c {
            Control::DeskLimits { limits } => {
                self.config.default_limits = limits.clone();
                self.desk_changed = Some(stamp);
            }
            Control::Limits { tenant, user, limits } => {
                let t = self.tenant_mut(tenant);
                match user {
                    Some(u) => {
                        t.users.insert(u.clone(), limits.clone());
                    }
                    None => t.limits = limits.clone(),
                }
                t.changed = Some(stamp);
            }
            Control::State { tenant: Some(tenant), state } => {
                let t = self.tenant_mut(tenant);
                t.state = *state;
                t.changed = Some(stamp);
            }
            Control::State { tenant: None, state } => {
                self.desk_state = *state;
                for t in self.tenants.values_mut() {
                    t.state = *state;
                }
                self.desk_changed = Some(stamp);
            }
            Control::Execution { tenant, enabled } => {
                let t = self.tenant_mut(tenant);
                t.execution_enabled = *enabled;
                t.changed = Some(stamp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use crate::risk::RiskConfig;

    fn by(n: i64) -> Stamp {
        Stamp { by: "sup@hq SUPERVISOR".into(), at: Timestamp(n) }
    }

    #[test]
    fn a_global_state_reaches_known_and_later_tenants() {
        let mut b = RiskBook::new(RiskConfig { new_tenants_enabled: false, ..RiskConfig::default() });
        b.apply(&Control::Execution { tenant: "ws".into(), enabled: true }, by(1));
        b.apply(&Control::State { tenant: None, state: TradingState::Reducing }, by(2));
        assert_eq!(b.tenant("ws").state, TradingState::Reducing);
        assert_eq!(b.tenant("later").state, TradingState::Reducing);
        assert!(b.tenant("ws").execution_enabled && !b.tenant("later").execution_enabled);
        b.apply(&Control::State { tenant: Some("ws".into()), state: TradingState::Halted }, by(3));
        assert_eq!((b.tenant("ws").state, b.tenant("az").state), (TradingState::Halted, TradingState::Reducing));
        assert_eq!(b.tenant("ws").changed, Some(by(3)));
        assert_eq!(b.desk_changed, Some(by(2)));
    }

    #[test]
    fn desk_limits_replace_the_defaults() {
        let mut b = RiskBook::new(RiskConfig::default());
        let tight = Limits { price_collar_bps: Some(50.0), ..Limits::default() };
        b.apply(&Control::DeskLimits { limits: tight.clone() }, by(1));
        assert_eq!(b.effective("ws", "amy"), tight);
        let json = serde_json::to_string(&Control::DeskLimits { limits: tight }).unwrap();
        assert_eq!(json, r#"{"control":"desk_limits","limits":{"price_collar_bps":50.0}}"#);
    }
}
