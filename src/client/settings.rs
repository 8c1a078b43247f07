//! Settings shared by every handle on one engine: the algo configuration
//! store and the live-trading gate. The ledger-backed algo store plugs in here.

use super::algo_config::{AlgoConfigStore, MemoryAlgoConfig};
use super::mode::LiveGate;
use crate::engine::FinishedChildren;
use std::sync::Arc;

/// Per-engine settings, shared by `Embedded::as_actor` handles.
#[derive(Clone)]
pub struct Settings {
    /// Where the desk's algo configuration lives.
    pub algo_config: Arc<dyn AlgoConfigStore>,
    /// What was configured at start-up about live trading.
    pub live_gate: LiveGate,
    /// Live events buffered for subscribers; one further behind is told it lagged.
    pub live_buffer: usize,
    /// Published events kept in memory for subscribers resuming from a
    /// sequence number; older ones are read from the ledger (or, without
    /// one, reported as a gap).
    pub history_window: usize,
    /// Finished children the engine keeps in memory (see
    /// `Engine::keep_finished_children`): every one by default; `serve`
    /// keeps the most recent `FINISHED_CHILDREN` and reads the rest from
    /// its ledger.
    pub finished_children: FinishedChildren,
}

/// Default of `Settings::live_buffer`.
pub const LIVE_BUFFER: usize = 16_384;

/// Default of `Settings::history_window`: about 30 MB of events.
pub const HISTORY_WINDOW: usize = 100_000;

/// Finished children a served engine keeps in memory: more than can wait
/// for the ledger at once (its writer holds at most 8,192 events and a
/// child makes at least two, its `child_sent` and the event that ends it),
/// so a child the engine let go is always in the ledger already. About
/// 2 MB.
pub const FINISHED_CHILDREN: usize = 16_384;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            algo_config: Arc::new(MemoryAlgoConfig::default()),
            live_gate: LiveGate::default(),
            live_buffer: LIVE_BUFFER,
            history_window: HISTORY_WINDOW,
            finished_children: FinishedChildren::All,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("live_gate", &self.live_gate)
            .field("live_buffer", &self.live_buffer)
            .field("history_window", &self.history_window)
            .field("finished_children", &self.finished_children)
            .finish_non_exhaustive()
    }
}
