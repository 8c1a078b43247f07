//! Drivers: how fast simulated time runs. The engine itself has no clock;
//! `run_until_idle` runs as fast as possible (backtests, benchmarks), and a
//! `Pacer` maps wall-clock time to simulated time at a speed factor (the UI,
//! `run --speed`).

use super::{Engine, EngineEvent};
use crate::model::Timestamp;
use std::time::Instant;

/// The fastest pace anything accepts (`run --speed`, `serve --speed`, the
/// clock route, the UI): simulated seconds per wall second.
pub const MAX_SPEED: f64 = 100_000.0;

/// Simulated time as a function of wall time: `origin + elapsed * speed`.
#[derive(Debug, Clone)]
pub struct Pacer {
    sim_origin: Timestamp,
    wall_origin: Instant,
    speed: f64,
    paused: bool,
}

impl Pacer {
    /// Starts simulated time at `sim_origin` now, running `speed` times faster than the wall clock.
    pub fn new(sim_origin: Timestamp, speed: f64) -> Pacer {
        Pacer { sim_origin, wall_origin: Instant::now(), speed: speed.max(0.0), paused: false }
    }
    /// Simulated time now.
    pub fn sim_now(&self) -> Timestamp {
        if self.paused {
            return self.sim_origin;
        }
        // Saturating: a pace past MAX_SPEED or a very long run stops at the
        // end of representable time instead of wrapping into the past.
        let elapsed = self.wall_origin.elapsed().as_nanos() as f64 * self.speed;
        Timestamp(self.sim_origin.0.saturating_add(elapsed as i64))
    }
    /// Current speed factor.
    pub fn speed(&self) -> f64 {
        self.speed
    }
    /// Changes the speed without a jump in simulated time.
    pub fn set_speed(&mut self, speed: f64) {
        self.sim_origin = self.sim_now();
        self.wall_origin = Instant::now();
        self.speed = speed.max(0.0);
    }
    /// Freezes or unfreezes simulated time.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.sim_origin = self.sim_now();
        self.wall_origin = Instant::now();
        self.paused = frozen;
    }
    /// True while frozen.
    pub fn is_frozen(&self) -> bool {
        self.paused
    }
    /// Moves simulated time forward to at least `t` (skip ahead).
    pub fn jump_to(&mut self, t: Timestamp) {
        if t > self.sim_now() {
            self.sim_origin = t;
            self.wall_origin = Instant::now();
        }
    }
}

/// Runs the engine against the wall clock until `done` says stop, handing
/// each batch of events to `on_events`. Sleeps between batches (at most
/// `tick`), so a long order can be watched or interrupted.
pub fn run_paced(
    engine: &mut Engine,
    pacer: &Pacer,
    tick: std::time::Duration,
    mut on_events: impl FnMut(&Engine, Vec<EngineEvent>),
    mut done: impl FnMut(&Engine) -> bool,
) {
    loop {
        engine.run_until(pacer.sim_now());
        let events = engine.drain_events();
        if !events.is_empty() {
            on_events(engine, events);
        }
        if done(engine) || engine.next_time().is_none() {
            return;
        }
        std::thread::sleep(tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_scales_and_freezes() {
        let mut p = Pacer::new(Timestamp(0), 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let t = p.sim_now();
        assert!(t.0 >= 5_000_000_000, "{t:?}");
        p.set_frozen(true);
        let a = p.sim_now();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(p.sim_now(), a);
        p.jump_to(Timestamp(a.0 + 1_000));
        assert_eq!(p.sim_now(), Timestamp(a.0 + 1_000));
    }
}
