//! The engine's risk state as stored text. `RiskBook` keys some maps by
//! (tenant, symbol) pairs, which JSON objects cannot hold, so they are
//! written as lists of entries here.

use crate::model::{Money, Name, Qty};
use crate::risk::{RiskBook, RiskConfig, Stamp, TenantRisk, TradingState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
struct Stored {
    config: RiskConfig,
    tenants: BTreeMap<Name, TenantRisk>,
    positions: Vec<(Name, Name, Qty)>,
    daily_notional: Vec<(Name, Name, Money)>,
    desk_state: TradingState,
    #[serde(default)]
    desk_changed: Option<Stamp>,
}

/// The risk state as JSON text.
pub(crate) fn to_text(b: &RiskBook) -> Result<String, String> {
    // A struct literal (not `..`), so a field added to RiskBook fails to compile here.
    // `elsewhere` is other engines' usage, read afresh before each check: not this engine's to keep.
    let RiskBook { config, tenants, positions, daily_notional, desk_state, desk_changed, elsewhere: _ } = b.clone();
    let stored = Stored {
        config,
        tenants,
        positions: positions.into_iter().map(|((t, s), q)| (t, s, q)).collect(),
        daily_notional: daily_notional.into_iter().map(|((t, u), x)| (t, u, x)).collect(),
        desk_state,
        desk_changed,
    };
    serde_json::to_string(&stored).map_err(|e| format!("risk state: {e}"))
}

/// The usage figures of a stored risk state, without the rest.
#[derive(Deserialize)]
pub(crate) struct Usage {
    #[serde(default)]
    pub positions: Vec<(Name, Name, Qty)>,
    #[serde(default)]
    pub daily_notional: Vec<(Name, Name, Money)>,
}

/// The usage figures of `to_text`'s output (the rest is not decoded).
pub(crate) fn usage_of(s: &str) -> Result<Usage, String> {
    serde_json::from_str(s).map_err(|e| format!("risk state: {e}"))
}

/// The risk state back from `to_text`.
pub(crate) fn from_text(s: &str) -> Result<RiskBook, String> {
    let st: Stored = serde_json::from_str(s).map_err(|e| format!("risk state: {e}"))?;
    Ok(RiskBook {
        config: st.config,
        tenants: st.tenants,
        positions: st.positions.into_iter().map(|(t, s, q)| ((t, s), q)).collect(),
        daily_notional: st.daily_notional.into_iter().map(|(t, u, x)| ((t, u), x)).collect(),
        desk_state: st.desk_state,
        desk_changed: st.desk_changed,
        elsewhere: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;

    #[test]
    fn risk_state_round_trips() {
        let mut b = RiskBook::new(RiskConfig::default());
        b.tenant_mut("ws");
        b.on_fill(&"ws".into(), &"AAPL".into(), Side::Buy, Qty::from_int(300));
        b.daily_notional.insert(("ws".into(), "amy".into()), Money::from_int(1_500_000));
        b.desk_state = TradingState::Halted;
        let back = from_text(&to_text(&b).unwrap()).unwrap();
        assert_eq!(back, b);
        assert!(from_text("{}").unwrap_err().starts_with("risk state:"));
        // The usage alone, as the desk's other instances read it.
        let u = usage_of(&to_text(&b).unwrap()).unwrap();
        assert_eq!(u.daily_notional, vec![("ws".into(), "amy".into(), Money::from_int(1_500_000))]);
        assert_eq!(u.positions, vec![("ws".into(), "AAPL".into(), Qty::from_int(300))]);
    }
}
