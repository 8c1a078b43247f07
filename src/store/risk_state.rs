//! The engine's risk state as stored text. `RiskBook` keys some maps by
//! (tenant, symbol) pairs, which JSON objects cannot hold, so they are
//! written as lists of entries here.

use crate::model::{Name, Qty};
use crate::risk::{RiskBook, RiskConfig, TenantRisk};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
struct Stored {
    config: RiskConfig,
    tenants: BTreeMap<Name, TenantRisk>,
    positions: Vec<(Name, Name, Qty)>,
    daily_notional: Vec<(Name, Name, f64)>,
    global_halt: bool,
}

/// The risk state as JSON text.
pub(crate) fn to_text(b: &RiskBook) -> Result<String, String> {
    // A struct literal (not `..`), so a field added to RiskBook fails to compile here.
    let RiskBook { config, tenants, positions, daily_notional, global_halt } = b.clone();
    let stored = Stored {
        config,
        tenants,
        positions: positions.into_iter().map(|((t, s), q)| (t, s, q)).collect(),
        daily_notional: daily_notional.into_iter().map(|((t, u), x)| (t, u, x)).collect(),
        global_halt,
    };
    serde_json::to_string(&stored).map_err(|e| format!("risk state: {e}"))
}

/// The risk state back from `to_text`.
pub(crate) fn from_text(s: &str) -> Result<RiskBook, String> {
    let st: Stored = serde_json::from_str(s).map_err(|e| format!("risk state: {e}"))?;
    Ok(RiskBook {
        config: st.config,
        tenants: st.tenants,
        positions: st.positions.into_iter().map(|(t, s, q)| ((t, s), q)).collect(),
        daily_notional: st.daily_notional.into_iter().map(|(t, u, x)| ((t, u), x)).collect(),
        global_halt: st.global_halt,
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
        b.daily_notional.insert(("ws".into(), "amy".into()), 1.5e6);
        b.global_halt = true;
        let back = from_text(&to_text(&b).unwrap()).unwrap();
        assert_eq!(back, b);
        assert!(from_text("{}").unwrap_err().starts_with("risk state:"));
    }
}
