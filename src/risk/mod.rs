//! Pre-trade risk controls: limits per desk, tenant and user, trading states,
//! and per-tenant execution enablement. Pure data and checks; the engine's
//! command layer applies them so every transport enforces the same rules.
//!
//! `limits` holds the limits and the one check every order goes through (on
//! submit, amend and resume); `book` the state of an engine's controls,
//! positions and daily usage (with what the desk's other engines used, when
//! several serve one desk); `controls` the changes supervisors make, applied
//! by one function whether made now or read back from the ledger.

mod book;
mod controls;
mod limits;

pub use book::{DeskUsage, Elsewhere, RiskBook, RiskConfig, Stamp, TenantRisk};
pub use controls::Control;
pub use limits::{DECISION_PX_BAND_BPS, Finding, Limits, OrderFacts, Verdict, band, check, distance_bps, group_money};

use serde::{Deserialize, Serialize};
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
