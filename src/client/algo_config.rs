//! The desk's algorithm configuration: which algorithms new orders may use and
//! the default parameters applied under an order's own.
//!
//! Held behind `AlgoConfigStore` so the ledger can persist it: the in-memory
//! store here is what an engine uses until one is plugged in.

use super::ClientError;
use crate::algo::{self, AlgoSpec};
use crate::engine::{Engine, OrderRequest};
use crate::market::rng::{Stream, stream};
use crate::model::{AlgoKind, Qty};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Desk-wide settings of one algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlgoSettings {
    /// Whether new orders may use it.
    pub enabled: bool,
    /// Default parameters, applied under the order's own (`slices`, `on_pause`, ...).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// The desk's algorithm configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlgoConfig {
    /// Settings per algorithm; an algorithm not listed is enabled with no defaults.
    pub algos: BTreeMap<AlgoKind, AlgoSettings>,
}

impl AlgoConfig {
    /// Checks every default parameter with the algorithm's own parser, over the
    /// first instrument the engine simulates (parameters do not depend on it).
    pub fn validate(&self, engine: &Engine) -> Result<(), ClientError> {
        for (kind, s) in &self.algos {
            if s.params.is_empty() {
                continue;
            }
            let Some(m) = engine.markets().first() else {
                return Err(ClientError::new("unavailable", "no instrument trades today to check parameters against"));
            };
            let spec = AlgoSpec {
                side: crate::model::Side::Buy,
                // Large enough that any sensible slice count fits in whole lots.
                qty: Qty::from_raw(m.inst.lot_size.raw().saturating_mul(1_000_000)),
                limit: Some(m.inst.ref_price),
                start: m.session.open,
                end: m.session.close,
                inst: &m.inst,
                session: &m.session,
                curve: &m.curve,
                fee_per_unit: algo::is::taker_fee_per_unit(engine.universe(), m.uidx),
            };
            let mut rng = stream(engine.seed(), Stream::Algo, 0);
            if let Err(e) = algo::build(*kind, &spec, &s.params, &mut rng) {
                let field = if e.param == "algo" {
                    format!("algos.{kind}")
                } else {
                    format!("algos.{kind}.params.{}", e.param)
                };
                return Err(ClientError { code: "invalid_param".into(), message: e.message, field: Some(field) });
            }
        }
        Ok(())
    }

    /// Refuses a disabled algorithm and fills in the desk's default parameters.
    pub fn apply(&self, req: &mut OrderRequest) -> Result<(), ClientError> {
        let Some(s) = self.algos.get(&req.algo) else { return Ok(()) };
        if !s.enabled {
            return Err(ClientError {
                code: "algo_disabled".into(),
                message: format!("{} is disabled by the desk's algo configuration", req.algo),
                field: Some("algo".into()),
            });
        }
        for (k, v) in &s.params {
            req.params.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(())
    }
}

/// Where the algo configuration lives (memory now; the ledger plugs in here).
pub trait AlgoConfigStore: Send + Sync {
    /// The current configuration.
    fn load(&self) -> BoxFuture<'_, Result<AlgoConfig, ClientError>>;
    /// Replaces the configuration (already validated).
    fn save(&self, cfg: AlgoConfig) -> BoxFuture<'_, Result<(), ClientError>>;
}

/// An algo configuration held in memory, lost on restart.
#[derive(Debug, Default)]
pub struct MemoryAlgoConfig {
    cfg: Mutex<AlgoConfig>,
}

impl AlgoConfigStore for MemoryAlgoConfig {
    fn load(&self) -> BoxFuture<'_, Result<AlgoConfig, ClientError>> {
        let cfg = self.cfg.lock().map(|c| c.clone()).unwrap_or_else(|e| e.into_inner().clone());
        Box::pin(async move { Ok(cfg) })
    }

    fn save(&self, cfg: AlgoConfig) -> BoxFuture<'_, Result<(), ClientError>> {
        match self.cfg.lock() {
            Ok(mut c) => *c = cfg,
            Err(e) => *e.into_inner() = cfg,
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;

    fn req(algo: AlgoKind) -> OrderRequest {
        OrderRequest {
            symbol: "AAPL".into(),
            side: Side::Buy,
            qty: Qty::from_int(100),
            algo,
            params: [("slices".to_string(), "4".to_string())].into(),
            start: None,
            end: None,
            limit_px: None,
            decision_px: None,
            acknowledge_warnings: false,
        }
    }

    #[test]
    fn defaults_fill_in_under_the_orders_own_and_disabled_algos_are_refused() {
        let mut cfg = AlgoConfig::default();
        let params = [("slices", "10"), ("on_pause", "keep")].map(|(k, v)| (k.to_string(), v.to_string())).into();
        cfg.algos.insert(AlgoKind::Twap, AlgoSettings { enabled: true, params });
        cfg.algos.insert(AlgoKind::Vwap, AlgoSettings { enabled: false, params: BTreeMap::new() });
        let mut r = req(AlgoKind::Twap);
        cfg.apply(&mut r).unwrap();
        assert_eq!(r.params["slices"], "4", "the order's own value wins");
        assert_eq!(r.params["on_pause"], "keep");
        let e = cfg.apply(&mut req(AlgoKind::Vwap)).unwrap_err();
        assert_eq!((e.code.as_str(), e.field.as_deref()), ("algo_disabled", Some("algo")));
        let mut untouched = req(AlgoKind::Pov);
        cfg.apply(&mut untouched).unwrap();
        assert_eq!(untouched.params.len(), 1);
    }
}
