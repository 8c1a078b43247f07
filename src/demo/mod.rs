//! The guided demo: a scripted, deterministic trading day. `run_headless`
//! plays a script without a terminal and reports every order's TCA (the
//! reference the interactive walkthrough must agree with).

pub mod script;

use crate::engine::{Engine, EngineConfig, EventKind, Reject};
use crate::market::Universe;
use crate::model::{AlgoKind, Name, ParentId, ParentStatus, Price, Qty, Side};
use serde::Serialize;
use std::sync::Arc;

pub use script::{Look, Script, ScriptError, Step};

/// The built-in walkthrough.
pub const BUILTIN: &str = include_str!("walkthrough.toml");

/// One order of a finished demo.
#[derive(Debug, Clone, Serialize)]
pub struct DemoOrder {
    /// Id.
    pub id: ParentId,
    /// Owner.
    pub user: Name,
    /// Owner's tenant.
    pub tenant: Name,
    /// Instrument.
    pub symbol: Name,
    /// Side.
    pub side: Side,
    /// Quantity.
    pub qty: Qty,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Final status.
    pub status: ParentStatus,
    /// Filled.
    pub filled_qty: Qty,
    /// Average price.
    pub avg_px: Option<Price>,
    /// Post-trade analysis.
    pub tca: crate::tca::TcaReport,
}

/// What a headless run prints.
#[derive(Debug, Clone, Serialize)]
pub struct HeadlessReport {
    /// Script title.
    pub title: String,
    /// Seed.
    pub seed: u64,
    /// Date.
    pub date: String,
    /// Steps played.
    pub steps: usize,
    /// Every order with its TCA.
    pub orders: Vec<DemoOrder>,
    /// Commands the engine refused (a demo may show a refusal on purpose).
    pub rejections: Vec<String>,
    /// Engine events emitted.
    pub events: u64,
}

/// The engine a script runs on.
pub fn engine_for(script: &Script, universe: Arc<Universe>) -> Result<Engine, Reject> {
    let mut cfg = EngineConfig::new(script.seed, script.date);
    cfg.symbols = script.symbols.clone();
    cfg.origin = Some(script.start);
    Engine::new(universe, cfg)
}

/// Plays `script` as fast as possible: each step's commands at its time, then
/// every order to its end.
pub fn run_headless(script: &Script, universe: Arc<Universe>) -> Result<HeadlessReport, Reject> {
    let mut e = engine_for(script, universe)?;
    let mut rejections = Vec::new();
    let mut collect = |e: &mut Engine| {
        for ev in e.drain_events() {
            if let EventKind::Rejected { message, .. } = ev.kind {
                rejections.push(format!("{}: {message}", ev.ts.hms_in(script::SCRIPT_TZ)));
            }
        }
    };
    for step in &script.steps {
        if let Some(at) = step.at {
            e.run_until(at);
        }
        for (actor, cmd) in &step.commands {
            // A refusal is part of the story; it is reported, not fatal.
            let _ = e.apply(actor, cmd.clone());
        }
        collect(&mut e);
    }
    e.run_until_idle();
    collect(&mut e);
    let everyone = script::presenter();
    let orders = e
        .parents()
        .filter_map(|p| {
            Some(DemoOrder {
                id: p.id,
                user: p.owner.user.clone(),
                tenant: p.owner.tenant.clone(),
                symbol: p.symbol.clone(),
                side: p.side,
                qty: p.qty,
                algo: p.algo,
                status: p.status,
                filled_qty: p.filled,
                avg_px: p.avg_px(),
                tca: e.order_tca_report(&everyone, p.id)?,
            })
        })
        .collect();
    Ok(HeadlessReport {
        title: script.title.clone(),
        seed: script.seed,
        date: script.date.to_string(),
        steps: script.steps.len(),
        orders,
        rejections,
        events: e.event_count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Command;

    #[test]
    fn builtin_script_parses() {
        let s = Script::parse(BUILTIN, "built-in").unwrap();
        assert!(s.steps.len() >= 5);
        assert!(s.steps.iter().any(|st| !st.commands.is_empty()));
        // A caption stays long enough to read: 3 s to look, then 200 words a minute.
        for st in &s.steps {
            let words = st.caption.split_whitespace().count() as f64;
            assert!(st.hold_secs >= 3.0 + words * 0.3 - 1e-9, "{} s for {words} words", st.hold_secs);
        }
        assert!((script::reading_secs(&"word ".repeat(40)) - 15.0).abs() < 1e-9, "40 words: 15 s");
        // The kill switch fires with the supervisor view already on screen, naming the desk.
        let kill =
            s.steps.iter().position(|st| st.commands.iter().any(|(_, c)| matches!(c, Command::KillTenant { .. })));
        let kill = kill.expect("the built-in day shows the kill switch");
        assert_eq!(s.steps[kill - 1].look, Some(Look::Supervisor), "the view is turned before the kill");
    }

    /// The caption said "Crypto never closes" while the engine's crypto day
    /// ends at midnight UTC: it says what the calendar does.
    #[test]
    fn the_crypto_caption_tells_the_engines_day() {
        use crate::market::session::session;
        use crate::model::Calendar;
        let s = Script::parse(BUILTIN, "built-in").unwrap();
        let btc = s.steps.iter().find(|st| st.caption.contains("BTC")).expect("a crypto step");
        assert!(!btc.caption.contains("never closes"), "{}", btc.caption);
        assert!(btc.caption.contains("UTC days from midnight to midnight"), "{}", btc.caption);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let c = session(Calendar::Crypto, "BINANCE", day).unwrap();
        assert_eq!(c.open.in_tz(chrono_tz::UTC).format("%H:%M").to_string(), "00:00");
        assert_eq!((c.close - c.open).as_secs_f64(), 86_400.0);
    }

    #[test]
    fn errors_name_the_step_and_field() {
        let bad = "title = \"x\"\nstart = \"09:25\"\n[[step]]\ncaption = \"a\"\nat = \"09:30\"\n[[step.order]]\nsymbol = \"AAPL\"\nside = \"buy\"\nqty = \"lots\"\nalgo = \"twap\"\n";
        let e = Script::parse(bad, "bad.toml").unwrap_err().to_string();
        assert!(e.starts_with("demo script bad.toml: step 1: order 1: qty: "), "{e}");
        let bad = "title = \"x\"\nstart = \"09:25\"\n[[step]]\ncaption = \"a\"\nat = \"10:30\"\n[[step]]\ncaption = \"b\"\nat = \"10:00\"\n";
        let e = Script::parse(bad, "b.toml").unwrap_err().to_string();
        assert!(e.contains("step 2: at: 10:00 is before the previous step"), "{e}");
        let bad = "title = \"x\"\nstart = \"09:25\"\n[[step]]\ncaption = \"a\"\n[[step.action]]\npause = \"P1\"\n";
        let e = Script::parse(bad, "c.toml").unwrap_err().to_string();
        assert!(e.contains("P1 is not one of the 0 orders"), "{e}");
    }
}
