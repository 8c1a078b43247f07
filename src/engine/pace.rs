//! Drivers: how fast simulated time runs. The engine itself has no clock;
//! `run_until_idle` runs as fast as possible (backtests, benchmarks), and a
//! `Pacer` maps wall-clock time to simulated time at a speed factor (the UI,
//! `run --speed`).

use super::{Engine, EngineEvent};
use crate::model::Timestamp;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The fastest pace anything accepts (`run --speed`, `serve --speed`, the
/// clock route, the UI): simulated seconds per wall second.
pub const MAX_SPEED: f64 = 100_000.0;

/// The window over which the effective speed is measured.
const METER_WINDOW: Duration = Duration::from_secs(2);
/// Least wall time between two samples of the effective speed.
const METER_STEP: Duration = Duration::from_millis(100);

/// Simulated time as a function of wall time: `origin + elapsed * speed`.
///
/// A driver whose sink cannot keep up holds the clock (`hold`): simulated
/// time stops where the engine is, whatever the speed, and runs on from
/// there at the same speed once released. The speed actually achieved over
/// the last two seconds is measured from the engine's progress
/// (`effective_speed`), so a held clock shows it.
#[derive(Debug, Clone)]
pub struct Pacer {
    sim_origin: Timestamp,
    wall_origin: Instant,
    speed: f64,
    paused: bool,
    held: bool,
    /// (wall, simulated) samples of the engine's progress, oldest first.
    progress: VecDeque<(Instant, Timestamp)>,
}

impl Pacer {
    /// Starts simulated time at `sim_origin` now, running `speed` times faster than the wall clock.
    pub fn new(sim_origin: Timestamp, speed: f64) -> Pacer {
        Pacer {
            sim_origin,
            wall_origin: Instant::now(),
            speed: speed.max(0.0),
            paused: false,
            held: false,
            progress: VecDeque::new(),
        }
    }
    /// Simulated time now.
    pub fn sim_now(&self) -> Timestamp {
        if self.paused || self.held {
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
        self.progress.clear();
    }
    /// Freezes or unfreezes simulated time.
    pub fn set_frozen(&mut self, frozen: bool) {
        self.sim_origin = self.sim_now();
        self.wall_origin = Instant::now();
        self.paused = frozen;
        self.progress.clear();
    }
    /// Holds simulated time at `at` (where the engine is) until `release`:
    /// the driver's sink is full and the market must wait for it. Holding
    /// a held clock changes nothing.
    pub fn hold(&mut self, at: Timestamp) {
        if !self.held {
            self.sim_origin = at;
            self.wall_origin = Instant::now();
            self.held = true;
        }
    }
    /// Lets a held clock run on, at its speed, from where it was held.
    pub fn release(&mut self) {
        if self.held {
            self.wall_origin = Instant::now();
            self.held = false;
        }
    }
    /// True while held by the driver.
    pub fn is_held(&self) -> bool {
        self.held
    }
    /// Notes that the engine's simulated time has reached `sim` (for `effective_speed`).
    pub fn note_progress(&mut self, sim: Timestamp) {
        let now = Instant::now();
        if self.progress.back().is_some_and(|(w, _)| now.duration_since(*w) < METER_STEP) {
            return;
        }
        self.progress.push_back((now, sim));
        // Keep one sample older than the window, so the window is covered.
        while self.progress.get(1).is_some_and(|(w, _)| now.duration_since(*w) >= METER_WINDOW) {
            self.progress.pop_front();
        }
    }
    /// Simulated seconds the engine advanced per wall second over about the
    /// last two seconds: the speed when it keeps up, less when its sink
    /// holds it back, 0 when paused; `None` until measured.
    pub fn effective_speed(&self) -> Option<f64> {
        if self.paused {
            return Some(0.0);
        }
        let (&(w0, s0), &(_, s1)) = (self.progress.front()?, self.progress.back()?);
        let wall = w0.elapsed();
        (wall >= METER_STEP * 2).then(|| (s1.0 - s0.0) as f64 / 1e9 / wall.as_secs_f64())
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
            self.progress.clear();
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

    #[test]
    fn a_held_clock_waits_where_the_engine_is_and_runs_on_from_there() {
        let mut p = Pacer::new(Timestamp(0), 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        // The engine got to 3 s when its sink filled up.
        p.hold(Timestamp(3_000_000_000));
        assert!(p.is_held());
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(p.sim_now(), Timestamp(3_000_000_000), "held: no time passes");
        p.hold(Timestamp(1));
        assert_eq!(p.sim_now(), Timestamp(3_000_000_000), "holding again changes nothing");
        p.set_speed(2000.0);
        assert_eq!(p.sim_now(), Timestamp(3_000_000_000), "a new speed while held still waits");
        p.release();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let t = p.sim_now();
        // At least 5 ms x 2000 = 10 s on from 3 s; the wait itself is not made up.
        assert!(t.0 >= 13_000_000_000, "{t:?}");
        assert!(!p.is_held());
    }

    #[test]
    fn the_effective_speed_is_the_engines_progress_per_wall_second() {
        let mut p = Pacer::new(Timestamp(0), 1000.0);
        assert_eq!(p.effective_speed(), None, "nothing measured yet");
        // The engine got 1 simulated second in; then nothing more.
        p.note_progress(Timestamp(0));
        std::thread::sleep(METER_STEP);
        p.note_progress(Timestamp(1_000_000_000));
        std::thread::sleep(METER_STEP);
        // 1 s of simulated time in at least 200 ms of wall time: at most 5x,
        // whatever the nominal 1000x.
        let eff = p.effective_speed().unwrap();
        assert!(eff > 0.0 && eff <= 5.0, "{eff}");
        p.set_frozen(true);
        assert_eq!(p.effective_speed(), Some(0.0));
    }
}
