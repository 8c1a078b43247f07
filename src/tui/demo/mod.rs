//! `blotter demo` in the terminal: the scripted day with a caption bar.
//!
//! The driver owns simulated time. The clock runs at the script's speed up
//! to the next step's time and waits there; the step fires when the
//! presenter asks for it (or, with `--auto`, once the shown caption has been
//! held for its `hold_secs`). Asking before the step's time fast-forwards the
//! clock to it. A step fires with the engine exactly at its time, so its
//! orders are submitted when the headless run submits them. Leaving the
//! script lets the clock run on with no more steps.
//!
//! The hold counts from when the UI says the step is on screen (its view
//! turned, its order in the blotter: `DemoCmd::Shown`), not from when it
//! fired, so a slow machine shows every caption for as long as a fast one.

pub mod client;

use crate::client::{Client, ClientError, Embedded};
use crate::demo::{Look, Script, script};
use crate::engine::Command;
use crate::model::{ParentId, Timestamp};
use client::{DemoClient, DemoClock};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What the presenter asks of the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoCmd {
    /// Fire the next step now (fast-forwarding to its time if need be).
    Next,
    /// Stop advancing by itself (`--auto` ends: the presenter took over).
    Manual,
    /// Leave the script: no more steps, the clock runs on.
    Leave,
    /// The UI shows step `n` (1-based) with what it selects: its hold starts now.
    Shown(usize),
}

/// The caption bar's content.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoView {
    /// Script title.
    pub title: String,
    /// Steps fired so far (the shown caption is step `fired`, 1-based; 0 = none yet).
    pub fired: usize,
    /// Steps in the script.
    pub total: usize,
    /// The shown caption.
    pub caption: String,
    /// Pane the shown step wants looked at.
    pub look: Option<Look>,
    /// Order the shown step selects.
    pub select: Option<ParentId>,
    /// The next step's time, when it has one.
    pub next_at: Option<Timestamp>,
    /// The clock waits for the presenter at the next step.
    pub waiting: bool,
    /// Steps advance by themselves.
    pub auto: bool,
    /// Wall seconds until the next step in auto mode.
    pub auto_in: Option<f64>,
    /// The presenter left the script.
    pub left: bool,
    /// Commands of the shown step the engine refused (a script may show a refusal on purpose).
    pub refused: Vec<String>,
    /// The desk the shown step acts on (a kill switch, a trading state), for the supervisor view to select.
    pub desk: Option<String>,
}

/// The UI's end of the driver: commands in, caption updates out.
#[derive(Debug)]
pub struct DemoLink {
    /// Commands to the driver.
    pub cmds: mpsc::UnboundedSender<DemoCmd>,
    /// Caption updates from the driver.
    pub views: mpsc::UnboundedReceiver<DemoView>,
}

/// How the driver runs.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Advance unattended.
    pub auto: bool,
    /// Multiplies every `hold_secs` (tests shorten the demo with it).
    pub hold_factor: f64,
}

/// Most simulated time a fast-forward covers per tick, so the UI and the
/// event stream keep up while hours pass.
const FF_CHUNK_NS: i64 = 300 * 1_000_000_000;
/// Driver tick.
const TICK: Duration = Duration::from_millis(20);
/// Longest wait for the UI to say a step is on screen before its hold starts anyway
/// (a UI that never answers must not stop an unattended demo).
const SHOWN_WAIT: Duration = Duration::from_secs(15);

/// Starts the demo on `engine` (built by `crate::demo::engine_for`): the
/// client the UI uses and the link to the driver. Needs a tokio runtime.
pub fn start(script: Script, engine: crate::engine::Engine, opts: DemoOptions) -> (DemoClient, DemoLink) {
    // Frozen: the embedded pacer never moves time; the driver does.
    let embedded = Embedded::start(engine, 0.0, script::presenter());
    let clock = Arc::new(DemoClock::new(script.start, script.speed));
    let client = DemoClient { engine: embedded.clone(), clock: Arc::clone(&clock) };
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (view_tx, view_rx) = mpsc::unbounded_channel();
    let d = Driver {
        engine: embedded,
        clock,
        script,
        opts,
        pos: 0,
        shown: None,
        shown_at: Instant::now(),
        seen: false,
        go: false,
        left: false,
        refused: Vec::new(),
        views: view_tx,
    };
    tokio::spawn(d.run(cmd_rx));
    (client, DemoLink { cmds: cmd_tx, views: view_rx })
}

struct Driver {
    engine: Embedded,
    clock: Arc<DemoClock>,
    script: Script,
    opts: DemoOptions,
    pos: usize,
    shown: Option<usize>,
    shown_at: Instant,
    /// The UI said the shown step is on screen (its hold counts from `shown_at`).
    seen: bool,
    go: bool,
    left: bool,
    refused: Vec<String>,
    views: mpsc::UnboundedSender<DemoView>,
}

impl Driver {
    async fn run(mut self, mut cmds: mpsc::UnboundedReceiver<DemoCmd>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last: Option<DemoView> = None;
        loop {
            tokio::select! {
                c = cmds.recv() => match c {
                    None => return,
                    Some(DemoCmd::Next) => self.go = true,
                    Some(DemoCmd::Manual) => self.opts.auto = false,
                    Some(DemoCmd::Leave) => {
                        self.left = true;
                        self.clock.release();
                    }
                    Some(DemoCmd::Shown(n)) => {
                        if self.shown.map(|i| i + 1) == Some(n) && !self.seen {
                            self.seen = true;
                            self.shown_at = Instant::now();
                        }
                    }
                },
                _ = tick.tick() => {}
            }
            self.advance().await;
            let v = self.view();
            // Only changes go to the UI (the countdown moves in tenths of a second).
            if last.as_ref() != Some(&v) {
                if self.views.send(v.clone()).is_err() {
                    return;
                }
                last = Some(v);
            }
        }
    }

    fn engine_now(&self) -> Timestamp {
        self.engine.with_engine(|e| e.now())
    }

    /// Runs the engine to `t` off the async threads (it is CPU work).
    async fn run_to(&self, t: Timestamp) {
        let e = self.engine.clone();
        let _ = tokio::task::spawn_blocking(move || e.with_engine(|e| e.run_until(t))).await;
    }

    fn hold_left(&self) -> Option<f64> {
        let i = self.shown?;
        let hold = self.script.steps[i].hold_secs * self.opts.hold_factor;
        if hold <= 0.0 {
            return Some(0.0);
        }
        // Until the UI shows the step, its hold has not begun (after SHOWN_WAIT it begins anyway).
        let waited = self.shown_at.elapsed();
        let held = if self.seen {
            waited.as_secs_f64()
        } else if waited >= SHOWN_WAIT {
            (waited - SHOWN_WAIT).as_secs_f64()
        } else {
            0.0
        };
        Some((hold - held).max(0.0))
    }

    async fn advance(&mut self) {
        let now = self.engine_now();
        if self.left || self.pos >= self.script.steps.len() {
            let t = self.clock.now();
            if t > now {
                self.run_to(t).await;
            }
            return;
        }
        // An untimed step fires where the previous one left the clock.
        let barrier = self.script.steps[self.pos].at.unwrap_or(now).max(now);
        let asked = self.go || (self.opts.auto && self.hold_left().is_some_and(|s| s <= 0.0));
        let t = self.clock.now();
        if asked && now < barrier {
            // Fast-forward, a bounded chunk per tick.
            let to = Timestamp(barrier.0.min(now.0 + FF_CHUNK_NS));
            self.run_to(to).await;
            self.clock.set(to);
            if to >= barrier {
                self.fire(barrier).await;
            }
        } else if asked {
            self.fire(barrier).await;
        } else if t >= barrier {
            self.run_to(barrier).await;
            // The first step needs nobody to ask; the others wait for the presenter.
            if self.pos == 0 {
                self.fire(barrier).await;
            } else {
                self.clock.wait_at(barrier);
            }
        } else if t > now {
            self.run_to(t).await;
        }
    }

    async fn fire(&mut self, at: Timestamp) {
        self.clock.release();
        self.clock.set(at);
        let step = self.script.steps[self.pos].clone();
        self.refused.clear();
        for (actor, cmd) in step.commands {
            let as_them = self.engine.as_actor(actor);
            if let Err(e) = apply(&as_them, cmd).await {
                self.refused.push(e.message);
            }
        }
        if let Some(s) = step.speed {
            self.clock.set_speed(s);
        }
        self.shown = Some(self.pos);
        self.shown_at = Instant::now();
        self.seen = false;
        self.pos += 1;
        self.go = false;
    }

    fn view(&self) -> DemoView {
        let shown = self.shown.map(|i| &self.script.steps[i]);
        let next = self.script.steps.get(self.pos).filter(|_| !self.left);
        DemoView {
            title: self.script.title.clone(),
            fired: self.shown.map_or(0, |i| i + 1),
            total: self.script.steps.len(),
            caption: shown.map_or_else(String::new, |s| s.caption.clone()),
            look: shown.and_then(|s| s.look),
            select: shown.and_then(|s| s.select),
            next_at: next.and_then(|s| s.at),
            waiting: next.is_some() && self.clock.is_waiting(),
            auto: self.opts.auto && next.is_some(),
            auto_in: if self.opts.auto && next.is_some() {
                self.hold_left().map(|s| (s * 10.0).ceil() / 10.0)
            } else {
                None
            },
            left: self.left,
            refused: self.refused.clone(),
            desk: shown.and_then(|s| s.commands.iter().find_map(|(_, c)| desk_of(c))),
        }
    }
}

/// The desk a script command acts on, when it acts on one.
fn desk_of(c: &Command) -> Option<String> {
    match c {
        Command::KillTenant { tenant } | Command::SetExecution { tenant, .. } => Some(tenant.clone()),
        Command::SetTradingState { tenant: Some(t), .. } => Some(t.clone()),
        _ => None,
    }
}

/// Plays the first `n` steps of `script` on a frozen `Embedded` client as
/// the driver fires them (each at its time), without wall-clock pacing: the
/// screenshots use it for a deterministic demo screen. Returns the refusals.
pub async fn play_steps(c: &Embedded, script: &Script, n: usize) -> Vec<String> {
    let mut refused = Vec::new();
    for step in script.steps.iter().take(n) {
        if let Some(at) = step.at {
            c.with_engine(|e| e.run_until(at));
        }
        for (actor, cmd) in step.commands.iter().cloned() {
            if let Err(e) = apply(&c.as_actor(actor), cmd).await {
                refused.push(e.message);
            }
        }
    }
    refused
}

/// Carries out one script command through the client, as the user it names.
async fn apply(c: &Embedded, cmd: Command) -> Result<(), ClientError> {
    match cmd {
        Command::Submit(r) => c.submit(r).await.map(drop),
        Command::Amend { id, change } => c.amend(id, change).await.map(drop),
        Command::Cancel { id } => c.cancel(id).await.map(drop),
        Command::Pause { id } => c.pause(id).await.map(drop),
        Command::Resume { id } => c.resume(id).await.map(drop),
        Command::KillAll => c.kill_all().await.map(drop),
        Command::KillTenant { tenant } => c.kill_tenant(&tenant).await.map(drop),
        Command::SetTradingState { tenant, state } => c.set_trading_state(tenant.as_deref(), state).await.map(drop),
        Command::SetExecution { tenant, enabled } => c.set_execution(&tenant, enabled).await.map(drop),
        Command::SetLimits { tenant, user, limits } => c.set_limits(&tenant, user.as_deref(), limits).await.map(drop),
        Command::SetDeskLimits { limits } => c.set_desk_limits(limits).await.map(drop),
    }
}
