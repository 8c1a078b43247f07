//! The desk's algorithm configuration: which algorithms new orders may use and
//! the default parameters applied under an order's own.
//!
//! Two layers: the desk-wide one and one per tenant. What an order sees (and
//! what a plain read gives) is the desk layer overlaid, algorithm by
//! algorithm, by the caller's tenant layer (`overlay`). Held behind
//! `AlgoConfigStore` so the ledger can persist it: the in-memory store here
//! is what an engine uses until one is plugged in; both layer the same way.

use super::ClientError;
use crate::algo::{self, AlgoSpec};
use crate::client::ErrorCode;
use crate::engine::{Actor, Engine, OrderRequest};
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
                return Err(ClientError::new(
                    ErrorCode::Unavailable,
                    "no instrument trades today to check parameters against",
                ));
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
                return Err(ClientError::in_field(ErrorCode::InvalidParam, e.message, Some(field)));
            }
        }
        Ok(())
    }

    /// Refuses a disabled algorithm and fills in the desk's default parameters.
    pub fn apply(&self, req: &mut OrderRequest) -> Result<(), ClientError> {
        let Some(s) = self.algos.get(&req.algo) else { return Ok(()) };
        if !s.enabled {
            let message = format!("{} is disabled by the desk's algo configuration", req.algo);
            return Err(ClientError::in_field(ErrorCode::AlgoDisabled, message, Some("algo".into())));
        }
        for (k, v) in &s.params {
            req.params.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(())
    }
}

/// `over` on top of `base`: an algorithm's tenant entry decides whether it is
/// enabled (a desk-disabled algorithm stays disabled) and its parameters win.
pub fn overlay(base: AlgoConfig, over: AlgoConfig) -> AlgoConfig {
    let mut out = base;
    for (algo, s) in over.algos {
        let merged = match out.algos.remove(&algo) {
            Some(desk) => {
                let mut params = desk.params;
                params.extend(s.params);
                AlgoSettings { enabled: desk.enabled && s.enabled, params }
            }
            None => s,
        };
        out.algos.insert(algo, merged);
    }
    out
}

/// Checks a tenant layer's name: 1 to 64 characters, no spaces or control characters.
pub fn check_tenant(t: &str) -> Result<(), ClientError> {
    crate::model::check_name("tenant", t).map_err(|e| ClientError::new(ErrorCode::InvalidParam, e).with_field("tenant"))
}

/// Where the algo configuration lives (memory, or the ledger). `layer` is a
/// tenant's name for that tenant's layer alone; `None` reads what `who`'s
/// orders see (the desk layer overlaid by `who`'s tenant layer) and replaces
/// the desk layer. Callers check roles and names first; `who` is recorded as
/// the author of a change.
pub trait AlgoConfigStore: Send + Sync {
    /// The configuration `who` sees, or one tenant's layer.
    fn load(&self, who: &Actor, layer: Option<&str>) -> BoxFuture<'_, Result<AlgoConfig, ClientError>>;
    /// Replaces the desk layer, or one tenant's (already validated).
    fn save(&self, who: &Actor, layer: Option<&str>, cfg: AlgoConfig) -> BoxFuture<'_, Result<(), ClientError>>;
}

/// The layers held in memory.
#[derive(Debug, Default)]
struct Layers {
    desk: AlgoConfig,
    tenants: BTreeMap<String, AlgoConfig>,
}

/// An algo configuration held in memory, lost on restart.
#[derive(Debug, Default)]
pub struct MemoryAlgoConfig {
    layers: Mutex<Layers>,
}

impl MemoryAlgoConfig {
    fn locked(&self) -> std::sync::MutexGuard<'_, Layers> {
        self.layers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl AlgoConfigStore for MemoryAlgoConfig {
    fn load(&self, who: &Actor, layer: Option<&str>) -> BoxFuture<'_, Result<AlgoConfig, ClientError>> {
        let cfg = {
            let l = self.locked();
            let tenant = |t: &str| l.tenants.get(t).cloned().unwrap_or_default();
            match layer {
                Some(t) => tenant(t),
                None => overlay(l.desk.clone(), tenant(&who.tenant)),
            }
        };
        Box::pin(async move { Ok(cfg) })
    }

    fn save(&self, _who: &Actor, layer: Option<&str>, cfg: AlgoConfig) -> BoxFuture<'_, Result<(), ClientError>> {
        {
            let mut l = self.locked();
            match layer {
                // An empty layer is no layer, as in the ledger.
                Some(t) if cfg.algos.is_empty() => drop(l.tenants.remove(t)),
                Some(t) => drop(l.tenants.insert(t.to_string(), cfg)),
                None => l.desk = cfg,
            }
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

    fn settings(enabled: bool, params: &[(&str, &str)]) -> AlgoSettings {
        AlgoSettings { enabled, params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    #[tokio::test]
    async fn memory_layers_overlay_the_callers_tenant_on_the_desk() {
        let store = MemoryAlgoConfig::default();
        let who = |tenant: &str| Actor { user: "u".into(), tenant: tenant.into(), role: crate::model::Role::Advisor };
        let mut desk = AlgoConfig::default();
        desk.algos.insert(AlgoKind::Twap, settings(true, &[("slices", "5"), ("on_pause", "keep")]));
        desk.algos.insert(AlgoKind::Vwap, settings(false, &[]));
        store.save(&who("hq"), None, desk.clone()).await.unwrap();
        let mut ws = AlgoConfig::default();
        ws.algos.insert(AlgoKind::Twap, settings(true, &[("slices", "7")]));
        ws.algos.insert(AlgoKind::Vwap, settings(true, &[]));
        ws.algos.insert(AlgoKind::Pov, settings(false, &[]));
        store.save(&who("hq"), Some("ws"), ws.clone()).await.unwrap();
        let seen = store.load(&who("ws"), None).await.unwrap();
        assert_eq!(seen.algos[&AlgoKind::Twap], settings(true, &[("slices", "7"), ("on_pause", "keep")]));
        assert!(!seen.algos[&AlgoKind::Vwap].enabled, "a desk-disabled algorithm stays disabled");
        assert!(!seen.algos[&AlgoKind::Pov].enabled, "a tenant may disable one the desk allows");
        assert_eq!(store.load(&who("az"), None).await.unwrap(), desk, "az has no layer");
        assert_eq!(store.load(&who("az"), Some("ws")).await.unwrap(), ws, "a layer alone");
        store.save(&who("hq"), Some("ws"), AlgoConfig::default()).await.unwrap();
        assert_eq!(store.load(&who("ws"), None).await.unwrap(), desk, "an emptied layer is gone");
    }

    #[test]
    fn tenant_names_are_checked() {
        assert!(check_tenant("ws").is_ok());
        for bad in ["", "a b", "x\n", &"t".repeat(65)] {
            assert_eq!(check_tenant(bad).unwrap_err().field.as_deref(), Some("tenant"), "{bad:?}");
        }
    }
}
