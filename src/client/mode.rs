//! Paper and live trading modes, and the gate in front of live routing.
//!
//! Paper is the default and the only mode this build can run: it has no live
//! venue adapters. Live routing would need three things at once: the
//! `EXECUTION_LIVE_ENABLED=1` environment flag and an approval reference given
//! at start-up, and the ADMIN role asking for it. Even with all three, `decide`
//! refuses and says why; it has no code path that returns `Live`.

use super::ClientError;
use crate::client::ErrorCode;
use crate::model::Role;
use serde::{Deserialize, Serialize};

/// Environment variable that must be `1` before live routing is even considered.
pub const LIVE_ENV: &str = "EXECUTION_LIVE_ENABLED";

/// Where orders are executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// The simulated (paper) engine.
    Paper,
    /// Real venues (not available in this build).
    Live,
}

/// What was configured at start-up about live trading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveGate {
    /// `EXECUTION_LIVE_ENABLED=1` was set.
    pub env_enabled: bool,
    /// The documented approval reference given at start-up, if any.
    pub approval: Option<String>,
}

/// The trading mode as reported to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModeView {
    /// The mode orders execute in: always `paper` in this build.
    pub mode: TradingMode,
    /// Always true in this build.
    pub paper_mode: bool,
    /// Whether this build could route live at all (it cannot: no live venue adapters).
    pub live_available: bool,
    /// Whether `EXECUTION_LIVE_ENABLED=1` was set at start-up.
    pub live_enabled_by_env: bool,
    /// Whether an approval reference was given at start-up.
    pub approval_given: bool,
}

/// A request to change the trading mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModeRequest {
    /// The mode wanted.
    pub mode: TradingMode,
}

impl LiveGate {
    /// The gate as configured by the environment and an optional approval reference.
    pub fn from_env(approval: Option<String>) -> LiveGate {
        let env_enabled = std::env::var(LIVE_ENV).is_ok_and(|v| v.trim() == "1");
        LiveGate { env_enabled, approval: approval.filter(|a| !a.trim().is_empty()) }
    }

    /// The mode view for clients.
    pub fn view(&self) -> ModeView {
        ModeView {
            mode: TradingMode::Paper,
            paper_mode: true,
            live_available: false,
            live_enabled_by_env: self.env_enabled,
            approval_given: self.approval.is_some(),
        }
    }

    /// Decides a request for `requested` by `role`. Only ADMIN may ask; paper
    /// is then granted and live always refused, with the reason that applies
    /// first (start-up configuration, then this build).
    pub fn decide(&self, role: Role, requested: TradingMode) -> Result<TradingMode, ClientError> {
        match requested {
            TradingMode::Paper if role == Role::Admin => Ok(TradingMode::Paper),
            TradingMode::Paper => Err(ClientError::new(
                ErrorCode::Forbidden,
                format!("changing the mode needs the ADMIN role; you are {role}"),
            )),
            TradingMode::Live => Err(self.live_refusal(role)),
        }
    }

    /// Start-up check of `blotter serve --live`: always an error saying why.
    pub fn startup_live(&self) -> ClientError {
        self.live_refusal(Role::Admin)
    }

    fn live_refusal(&self, role: Role) -> ClientError {
        if role != Role::Admin {
            return ClientError::new(
                ErrorCode::Forbidden,
                format!("switching to live needs the ADMIN role; you are {role}"),
            );
        }
        if !self.env_enabled || self.approval.is_none() {
            let mut missing = Vec::new();
            if !self.env_enabled {
                missing.push(format!("{LIVE_ENV}=1"));
            }
            if self.approval.is_none() {
                missing.push("an approval reference (--approval)".to_string());
            }
            return ClientError::new(
                ErrorCode::LiveNotEnabled,
                format!("live routing needs {} at start-up; execution stays in paper mode", missing.join(" and ")),
            );
        }
        ClientError::new(
            ErrorCode::LiveUnavailable,
            "this build has no live venue adapters: live routing is impossible; execution stays in paper mode",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_combination_of_flags_and_roles_yields_live() {
        let approvals = [None, Some("CHG-1234".to_string())];
        let mut refusals = std::collections::BTreeSet::new();
        for env_enabled in [false, true] {
            for approval in &approvals {
                let gate = LiveGate { env_enabled, approval: approval.clone() };
                assert_eq!(gate.view().mode, TradingMode::Paper);
                assert!(gate.view().paper_mode && !gate.view().live_available);
                for role in Role::ALL {
                    for requested in [TradingMode::Paper, TradingMode::Live] {
                        match gate.decide(role, requested) {
                            Ok(mode) => assert_eq!(mode, TradingMode::Paper, "{role} {requested:?}"),
                            Err(e) => {
                                refusals.insert(e.code.clone());
                                assert!(e.message.contains("paper") || e.code == "forbidden", "{e:?}");
                            }
                        }
                    }
                }
                assert!(gate.startup_live().message.contains("paper mode"));
            }
        }
        // Every reason is reachable, and the last one names the missing adapters.
        let all = ["forbidden", "live_not_enabled", "live_unavailable"];
        assert_eq!(refusals.into_iter().collect::<Vec<_>>(), all);
        let full = LiveGate { env_enabled: true, approval: Some("CHG-1".into()) };
        let e = full.decide(Role::Admin, TradingMode::Live).unwrap_err();
        assert!(e.message.contains("no live venue adapters"), "{}", e.message);
    }

    #[test]
    fn blank_approval_counts_as_none() {
        let g = LiveGate { env_enabled: true, approval: None };
        assert_eq!(g.decide(Role::Admin, TradingMode::Live).unwrap_err().code, "live_not_enabled");
        assert_eq!(LiveGate::from_env(Some("  ".into())).approval, None);
    }
}
