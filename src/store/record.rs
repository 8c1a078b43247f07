//! The plain data the ledger records: which engine (`EngineRef`), how to
//! rebuild it (`EngineSpec`), and what one commit carries (`Batch`: events,
//! audit records, TCA). Below both the ledger handle and its writer, so
//! neither imports the other for its data.

use super::wall_ms;
use crate::engine::{Actor, Command, EngineConfig, EngineEvent, Reject};
use crate::market::MarketParams;
use crate::model::{ParentId, ParentOrder, Timestamp};
use crate::risk::{RiskBook, RiskConfig};
use crate::tca::Summary;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An engine registered in the ledger, as the process writing it knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineRef {
    /// Ledger-wide engine number (`E3`).
    pub id: i64,
    /// This process's claim on it.
    pub(crate) owner: String,
    /// The lease this process keeps on it, in milliseconds.
    pub(crate) lease_ms: i64,
}

impl EngineRef {
    /// The number its orders carry (`E3-P17`): an engine recorded in a
    /// ledger is numbered (`Engine::set_number`) before its first order.
    pub fn number(&self) -> u32 {
        // Engine numbers are allocated from 1 upwards; one past u32 would take
        // four billion registrations.
        u32::try_from(self.id).unwrap_or(u32::MAX)
    }
}

impl std::fmt::Display for EngineRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "E{}", self.id)
    }
}

/// A recorded-data file replayed instead of the synthetic market (the `run` flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplaySource {
    /// Instrument it replaces.
    pub symbol: String,
    /// Trades file.
    pub trades: std::path::PathBuf,
    /// Quotes file.
    pub quotes: Option<std::path::PathBuf>,
    /// `auto`, `csv`, `lobster` or `bars`.
    pub format: String,
    /// Venue it is replayed on.
    pub venue: Option<String>,
}

/// Where an engine's market came from, beyond seed and date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// TOML merged over the built-in universe.
    pub universe: Option<String>,
    /// Recorded data replayed, per instrument.
    pub replay: Vec<ReplaySource>,
}

/// Everything needed to rebuild an engine after a restart.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSpec {
    /// Tenant that started it.
    pub tenant: String,
    /// User that started it.
    pub user: String,
    /// Seed of the simulated market.
    pub seed: u64,
    /// Trading date.
    pub date: NaiveDate,
    /// Instruments simulated (`None` = the whole universe).
    pub symbols: Option<Vec<String>>,
    /// TOML merged over the built-in universe, if any.
    pub universe: Option<String>,
    /// Recorded data replayed (the files are read again on a restart).
    pub replay: Vec<ReplaySource>,
    /// Market model coefficients.
    pub market: MarketParams,
    /// Risk configuration at start-up.
    pub risk: RiskConfig,
    /// Simulated time when it started.
    pub origin: Timestamp,
}

impl EngineSpec {
    /// The spec of an engine built from `cfg`, started by `actor` at simulated time `origin`.
    pub fn new(cfg: &EngineConfig, sources: Sources, actor: &Actor, origin: Timestamp) -> EngineSpec {
        EngineSpec {
            tenant: actor.tenant.to_string(),
            user: actor.user.to_string(),
            seed: cfg.seed,
            date: cfg.date,
            symbols: cfg.symbols.clone(),
            universe: sources.universe,
            replay: sources.replay,
            market: cfg.market.clone(),
            risk: cfg.risk.clone(),
            origin,
        }
    }

    /// The engine configuration it describes; recorded data is read again from its files.
    pub fn config(&self, universe: &crate::market::Universe) -> Result<EngineConfig, String> {
        let mut cfg = EngineConfig::new(self.seed, self.date);
        cfg.symbols = self.symbols.clone();
        cfg.market = self.market.clone();
        cfg.risk = self.risk.clone();
        for r in &self.replay {
            use crate::market::replay::{Format, Recording};
            let inst = universe.instrument(&r.symbol).ok_or_else(|| format!("unknown symbol {}", r.symbol))?;
            let tz = crate::market::session::tz_of(inst.calendar);
            let format = Format::parse(&r.format, &r.trades)?;
            let mut rec = Recording::load(&r.trades, r.quotes.as_deref(), format, Some(self.date), tz)
                .map_err(|e| format!("recorded data {}: {e}", r.trades.display()))?;
            rec.venue = r.venue.clone();
            cfg.recordings.insert(inst.symbol.to_string(), std::sync::Arc::new(rec));
        }
        Ok(cfg)
    }
}

/// Whether an audited action went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused (permissions, validation, state).
    Refused,
}

impl Outcome {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
        }
    }
}

/// One audit record: who did what to which order, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Wall-clock milliseconds.
    pub at: i64,
    /// Simulated time, when an engine was involved.
    pub sim_ts: Option<Timestamp>,
    /// Who.
    pub actor: Actor,
    /// What (`submit`, `cancel`, `recover`...).
    pub action: String,
    /// Which order.
    pub parent: Option<ParentId>,
    /// How it ended.
    pub outcome: Outcome,
    /// Refusal code.
    pub code: Option<String>,
    /// The command as JSON, or the refusal message.
    pub detail: String,
}

impl AuditEntry {
    /// The record of a command applied to an engine at `sim_ts`.
    pub fn command(
        actor: &Actor,
        cmd: &Command,
        result: &Result<Option<ParentId>, Reject>,
        sim_ts: Timestamp,
    ) -> AuditEntry {
        let json = serde_json::to_value(cmd).unwrap_or_default();
        let action = json.get("cmd").and_then(|v| v.as_str()).unwrap_or("command").to_string();
        let target = match cmd {
            Command::Amend { id, .. } | Command::Cancel { id } | Command::Pause { id } | Command::Resume { id } => {
                Some(*id)
            }
            _ => None,
        };
        let (outcome, code, detail, parent) = match result {
            Ok(id) => (Outcome::Ok, None, json.to_string(), id.or(target)),
            Err(r) => (Outcome::Refused, Some(r.code.as_str().to_string()), r.to_string(), target),
        };
        AuditEntry { at: wall_ms(), sim_ts: Some(sim_ts), actor: actor.clone(), action, parent, outcome, code, detail }
    }

    /// A record of something done outside the engine's commands (recover, stop...).
    pub fn action(actor: &Actor, action: &str, parent: Option<ParentId>, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            at: wall_ms(),
            sim_ts: None,
            actor: actor.clone(),
            action: action.to_string(),
            parent,
            outcome: Outcome::Ok,
            code: None,
            detail: detail.into(),
        }
    }
}

/// Post-trade figures of a finished order.
#[derive(Debug, Clone, PartialEq)]
pub struct TcaRecord {
    /// The order as it finished.
    pub order: ParentOrder,
    /// Its figures.
    pub summary: Summary,
}

/// What one commit covers for one engine: the events the engine emitted, in
/// order, and what the driver adds about them.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The engine.
    pub engine: EngineRef,
    /// Events, in sequence order.
    pub events: Vec<EngineEvent>,
    /// Audit records.
    pub audit: Vec<AuditEntry>,
    /// TCA of orders that finished.
    pub tca: Vec<TcaRecord>,
    /// The engine's simulated clock (where a restart resumes).
    pub sim_now: Option<Timestamp>,
    /// The engine's risk state, when the driver can see it.
    pub risk: Option<RiskBook>,
    /// Changes to the desk's risk controls among the events, recorded in
    /// the desk's tables (only the desk's own engines, `serve`, fill it).
    pub controls: Vec<super::controls::ControlRecord>,
}

impl Batch {
    /// A batch of events alone.
    pub fn events(engine: &EngineRef, events: Vec<EngineEvent>) -> Batch {
        Batch {
            engine: engine.clone(),
            events,
            audit: Vec::new(),
            tca: Vec::new(),
            sim_now: None,
            risk: None,
            controls: Vec::new(),
        }
    }
}

/// JSON text of a value that always serialises (plain data).
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_its_config() {
        let mut cfg = EngineConfig::new(u64::MAX - 3, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        cfg.symbols = Some(vec!["AAPL".into()]);
        let spec = EngineSpec::new(&cfg, Sources::default(), &Actor::local(crate::model::Role::Advisor), Timestamp(5));
        let back = spec.config(&crate::market::Universe::builtin()).unwrap();
        assert_eq!((back.seed, back.date, back.symbols), (cfg.seed, cfg.date, cfg.symbols));
        assert_eq!(spec.seed as i64 as u64, spec.seed, "the seed survives the signed column");
    }
}
