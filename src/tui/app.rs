//! The application state: plain data the views borrow. Keys become actions
//! (`input.rs`), actions change this state and may ask for client calls
//! (`Effect`); results come back as `Msg` and are applied in `update.rs`.
//! Nothing in this module does I/O.

use super::keymap::{Context, Keymap};
pub use super::note::Level;
use super::note::{Cause, Entry, Log, Note};
use super::table::{RowKey, Table};
use super::theme::Theme;
use super::ticket::{Market, Ticket};
use crate::client::{BreakerView, ClientError, StreamItem, TcaGroup, TcaGroupBy};
use crate::engine::view::{BookView, ClockView, Health, Identity, InstrumentView, OrderDetail, OrderRow, VenueView};
use crate::engine::{Amendment, OrderRequest};
use crate::market::SessionState;
use crate::model::{ChildId, ParentId, Timestamp};
use std::collections::HashMap;
use std::time::Instant;
use tui_input::Input;

/// Panes that take the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Parent/child blotter.
    Blotter,
    /// The tabbed detail pane (venues, TCA, alerts).
    Detail,
}

/// Tabs of the detail pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Venue routing view.
    Venues,
    /// Transaction cost analysis.
    Tca,
    /// Rejects and failures.
    Alerts,
    /// Net positions and P&L per desk and symbol.
    Positions,
}

impl Tab {
    /// Tab order.
    pub const ALL: [Tab; 4] = [Tab::Venues, Tab::Tca, Tab::Alerts, Tab::Positions];
    /// Title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Venues => "Venues",
            Tab::Tca => "TCA",
            Tab::Alerts => "Alerts",
            Tab::Positions => "Positions",
        }
    }
}

/// What fills the screen between the status and hint bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The desk: blotter and detail pane.
    Desk,
    /// Every desk at once, for SUPERVISOR and ADMIN.
    Supervisor,
}

/// A yes/no question.
#[derive(Debug, Clone, PartialEq)]
pub enum Question {
    /// Cancel this order?
    Cancel(ParentId),
    /// Do this to these orders (a marked set, or every order the filter shows)?
    Bulk(Bulk, Vec<ParentId>),
    /// Quit while orders work?
    Quit {
        /// Orders still working.
        working: usize,
    },
    /// The engine warned about an order (risk controls): send it anyway?
    Risk(Box<OrderRequest>, String),
    /// Set a tenant's trading state?
    TradingState(String, crate::risk::TradingState),
    /// Enable (true) or disable execution for a tenant?
    Execution(String, bool),
}

/// An action on several orders at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// Cancel them.
    Cancel,
    /// Pause them.
    Pause,
    /// Resume them.
    Resume,
}

impl Bulk {
    /// The verb, for questions and notes.
    pub fn verb(self) -> &'static str {
        match self {
            Bulk::Cancel => "cancel",
            Bulk::Pause => "pause",
            Bulk::Resume => "resume",
        }
    }
    /// The past participle ("cancelled": the verb plus "d" read "canceld").
    pub fn done(self) -> &'static str {
        match self {
            Bulk::Cancel => "cancelled",
            Bulk::Pause => "paused",
            Bulk::Resume => "resumed",
        }
    }
}

/// What a one-line prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Blotter filter (applied as it is typed).
    Filter,
    /// The command palette (`:`): an order id to jump to, or a command.
    Command,
    /// Type KILL to confirm kill-all.
    KillAll,
    /// Type the tenant's name to confirm its kill switch (the tenant is the prompt's target).
    KillTenant,
    /// The name of a desk to list in the risk pane.
    AddTenant,
    /// The user whose override of the target tenant's limits to edit.
    UserLimits,
    /// Type ACTIVE, REDUCING or HALTED to set every desk's trading state.
    GlobalState,
}

/// A one-line prompt.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it is for.
    pub kind: PromptKind,
    /// What has been typed.
    pub input: Input,
    /// Why the last attempt was refused.
    pub error: Option<String>,
    /// What the prompt acts on (the tenant of a tenant kill switch).
    pub target: Option<String>,
}

/// What is painted over the panes.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// The key list.
    Help {
        /// First line shown.
        scroll: u16,
    },
    /// A yes/no question.
    Question(Question),
    /// A one-line prompt.
    Prompt(Prompt),
    /// The log of every message (`L`).
    Log {
        /// Lines scrolled up from the newest.
        scroll: u16,
    },
    /// The blotter's column chooser.
    Columns {
        /// The highlighted column.
        cursor: usize,
    },
}

/// A client call the app wants made.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Submit a parent.
    Submit(OrderRequest),
    /// Amend a parent.
    Amend(ParentId, Amendment),
    /// Cancel a parent.
    Cancel(ParentId),
    /// Pause a parent.
    Pause(ParentId),
    /// Resume a parent.
    Resume(ParentId),
    /// Kill-all.
    KillAll,
    /// Change the simulation speed.
    SetSpeed(f64),
    /// Schedule preview (and book) for the ticket: generation, request or just the symbol.
    Preview(u64, Option<OrderRequest>, Option<String>),
    /// Put text on the clipboard.
    Copy(String),
    /// Replace a tenant's risk limits (with a user: that user's override).
    SetLimits(String, Option<String>, crate::risk::Limits),
    /// Set every tenant's trading state.
    SetGlobalState(crate::risk::TradingState),
    /// Set a tenant's trading state.
    SetTradingState(String, crate::risk::TradingState),
    /// Enable or disable execution for a tenant.
    SetExecution(String, bool),
    /// Kill switch for one tenant.
    KillTenant(String),
    /// Ask the demo's driver for something.
    Demo(super::demo::DemoCmd),
    /// Write a file (the blotter exported as CSV): path and contents.
    Export(std::path::PathBuf, String),
}

/// The data a refresh brings back.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every visible order.
    pub orders: Vec<OrderRow>,
    /// Details of the selected and expanded orders.
    pub details: HashMap<ParentId, OrderDetail>,
    /// TCA of the selected order.
    pub tca: Option<(ParentId, crate::tca::TcaReport)>,
    /// Book of the focused symbol.
    pub book: Option<BookView>,
    /// Venues of the focused symbol.
    pub venues: Vec<VenueView>,
    /// Every tenant's risk controls (supervisor view only).
    pub risk: Option<Result<crate::engine::RiskView, ClientError>>,
    /// Aggregated TCA and its grouping (supervisor view only).
    pub tca_groups: Option<(TcaGroupBy, Result<Vec<TcaGroup>, ClientError>)>,
}

/// What the background refresher should load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Want {
    /// Orders whose detail is needed.
    pub details: Vec<ParentId>,
    /// Order whose TCA is needed.
    pub tca: Option<ParentId>,
    /// Symbol whose book and venues are needed.
    pub symbol: Option<String>,
    /// The supervisor view is open: risk controls and TCA aggregated this way.
    pub supervisor: Option<TcaGroupBy>,
}

/// A result coming back from the client.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A refresh.
    Snapshot(Box<Snapshot>),
    /// The clock.
    Clock(ClockView),
    /// Health with the round-trip time of the call.
    Health(Result<Health, ClientError>, f64),
    /// Who we are and what we can trade.
    Hello(Identity, Vec<InstrumentView>),
    /// An action finished: what it was and how it went.
    Done(String, Result<String, ClientError>),
    /// A ticket preview.
    Preview(u64, Box<super::ticket::Preview>),
    /// The event stream.
    Stream(StreamItem),
    /// A submission came back with risk warnings to acknowledge.
    RiskWarning(Box<OrderRequest>, String),
    /// A submission failed (refused, or the sidecar unreachable): the ticket comes back.
    SubmitFailed(ClientError),
    /// A submission was accepted: the ticket kept for a failure is dropped.
    Submitted,
    /// The connection's circuit breaker after a health call (`None` in-process).
    Circuit(Option<BreakerView>),
    /// Risk controls as changed by a supervisor's action.
    Risk(Box<crate::engine::RiskView>),
    /// The demo's caption changed.
    Demo(Box<super::demo::DemoView>),
}

/// The market facts a ticket validates against, from the instruments and the clock.
pub fn market_of<'a>(
    instruments: &'a [InstrumentView],
    clock: Option<&'a ClockView>,
    desk: chrono_tz::Tz,
) -> Market<'a> {
    Market {
        instruments,
        date: clock.and_then(|c| chrono::NaiveDate::parse_from_str(&c.date, "%Y-%m-%d").ok()),
        desk,
        now: clock.map(|c| c.now),
    }
}

/// What a speed change's result is reported as (`Msg::Done`).
pub const SPEED: &str = "speed";

/// Simulation speeds offered by speed up/down.
pub const SPEEDS: [f64; 11] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];

/// Orders offered for resumption in one key (`R`).
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Why they stopped, in words (`interrupted by the sidecar's restart`).
    pub why: String,
    /// The orders.
    pub orders: Vec<ParentId>,
}

/// Recent symbols kept for the ticket.
pub const RECENT_KEPT: usize = 6;

/// The whole UI state.
#[derive(Debug)]
pub struct App {
    /// `embedded` or the sidecar URL.
    pub engine: String,
    /// Who we are.
    pub identity: Option<Identity>,
    /// Last health answer.
    pub health: Option<Health>,
    /// Round trip of the last health call, ms.
    pub latency_ms: Option<f64>,
    /// Connected to the engine.
    pub connected: bool,
    /// Why not, when not.
    pub connection_note: Option<String>,
    /// The sidecar connection's circuit breaker (`None` in-process).
    pub circuit: Option<BreakerView>,
    /// The simulated clock.
    pub clock: Option<ClockView>,
    /// Instruments for the ticket.
    pub instruments: Vec<InstrumentView>,
    /// Every visible order.
    pub orders: Vec<OrderRow>,
    /// Details of selected and expanded orders.
    pub details: HashMap<ParentId, OrderDetail>,
    /// Fills per child of the loaded details (counted once per refresh, not per frame).
    pub fill_counts: HashMap<ChildId, usize>,
    /// TCA of the selected order.
    pub tca: Option<(ParentId, crate::tca::TcaReport)>,
    /// Book of the focused symbol.
    pub book: Option<BookView>,
    /// Venues of the focused symbol.
    pub venues: Vec<VenueView>,
    /// Rejects and failures, one line per kind and subject.
    pub alerts: super::alerts::Alerts,
    /// Net positions and P&L per desk and symbol, from the orders.
    pub positions: super::positions::Book,
    /// Blotter rows and selection.
    pub table: Table,
    /// Focused pane.
    pub focus: Pane,
    /// Detail tab.
    pub tab: Tab,
    /// Desk or supervisor view.
    pub view: View,
    /// The supervisor view's data and cursor.
    pub sup: super::supervisor::Supervisor,
    /// The demo's caption bar, while `blotter demo` plays.
    pub demo: Option<super::demo::DemoView>,
    /// An order to select as soon as the blotter has it (a demo step's `select`).
    pub pending_select: Option<ParentId>,
    /// A desk to select in the risk pane as soon as it is listed (a demo step's kill switch).
    pub pending_desk: Option<String>,
    /// A demo step to tell the driver about once it is on screen.
    pub demo_ack: Option<usize>,
    /// The order ticket when open.
    pub ticket: Option<Ticket>,
    /// The last ticket sent, kept until its submission is answered so a
    /// failure (a dead sidecar) gives back everything that was typed.
    pub sent: Option<Ticket>,
    /// Ticket preview generation (answers to older requests are dropped).
    pub preview_gen: u64,
    /// Overlay on top.
    pub overlay: Option<Overlay>,
    /// The footer's message, while its situation lasts.
    pub note: Option<Note>,
    /// Every message said (`L`).
    pub log: Log,
    /// The desk's time zone: every time is shown in it, labelled.
    pub tz: chrono_tz::Tz,
    /// Wall clock of the last tick (drives countdowns and note expiry).
    pub wall: Instant,
    /// Since when the engine has not answered (wall clock).
    pub down_since: Option<Instant>,
    /// When the next reconnection attempt goes out (wall clock), when known.
    pub retry_at: Option<Instant>,
    /// Orders offered for resumption in one key, and why.
    pub offer: Option<Offer>,
    /// The connection came back (or orders were interrupted): offer them after the next load.
    pub offer_after_reconnect: bool,
    /// Orders a kill switch paused, offered for resumption when trading is active again.
    pub killed: Vec<ParentId>,
    /// Symbols ordered in this session, newest first.
    pub recent: Vec<String>,
    /// The blotter's columns: which are shown, and the horizontal scroll.
    pub columns: super::columns::Columns,
    /// The focused pane has the whole screen (`z`).
    pub zoom: bool,
    /// Colours.
    pub theme: Theme,
    /// Theme names the cycle key goes through.
    pub themes: Vec<String>,
    /// Keys.
    pub keymap: Keymap,
    /// Speed requested.
    pub speed: f64,
    /// A speed asked of the engine that its clock has not reported yet: until it
    /// does, a clock read before the change cannot undo the key that asked for it.
    pub speed_asked: Option<f64>,
    /// Set when the user has quit.
    pub quit: bool,
    /// The last event sequence seen.
    pub last_seq: u64,
    /// Where the last frame put the clickable parts (written while drawing).
    pub hit: HitAreas,
}

/// Screen areas of the last frame, for mouse clicks and scrolling.
#[derive(Debug, Default)]
pub struct HitAreas {
    /// The blotter's rows (below its header).
    pub blotter_rows: std::cell::Cell<ratatui::layout::Rect>,
    /// The detail pane.
    pub detail: std::cell::Cell<ratatui::layout::Rect>,
    /// The detail pane's tab bar.
    pub tabs: std::cell::Cell<ratatui::layout::Rect>,
    /// The whole screen.
    pub screen: std::cell::Cell<ratatui::layout::Rect>,
    /// Blotter columns off screen on the right (sideways scrolling stops at 0).
    pub hidden_right: std::cell::Cell<usize>,
    /// How far the open help or message log can scroll (its lines past one screen).
    pub overlay_scroll_max: std::cell::Cell<u16>,
}

impl App {
    /// An empty app over `engine` with a theme and keymap.
    pub fn new(engine: String, theme: Theme, keymap: Keymap, speed: f64) -> App {
        App {
            engine,
            identity: None,
            health: None,
            latency_ms: None,
            connected: true,
            connection_note: None,
            circuit: None,
            clock: None,
            instruments: Vec::new(),
            orders: Vec::new(),
            details: HashMap::new(),
            fill_counts: HashMap::new(),
            tca: None,
            book: None,
            venues: Vec::new(),
            alerts: Default::default(),
            positions: Default::default(),
            table: Table::new(),
            focus: Pane::Blotter,
            tab: Tab::Venues,
            view: View::Desk,
            sup: super::supervisor::Supervisor::new(Default::default()),
            demo: None,
            pending_select: None,
            pending_desk: None,
            demo_ack: None,
            ticket: None,
            sent: None,
            preview_gen: 0,
            overlay: None,
            note: None,
            log: Log::default(),
            tz: chrono_tz::America::New_York,
            wall: Instant::now(),
            down_since: None,
            retry_at: None,
            offer: None,
            offer_after_reconnect: false,
            killed: Vec::new(),
            recent: Vec::new(),
            columns: Default::default(),
            zoom: false,
            theme,
            themes: super::theme::BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
            keymap,
            speed,
            speed_asked: None,
            quit: false,
            last_seq: 0,
            hit: HitAreas::default(),
        }
    }

    /// The keymap context the keys are read in now.
    pub fn context(&self) -> Context {
        match &self.overlay {
            Some(Overlay::Help { .. }) => Context::Help,
            Some(Overlay::Question(_)) => Context::Confirm,
            Some(Overlay::Prompt(_)) => Context::Prompt,
            Some(Overlay::Log { .. }) => Context::Help,
            Some(Overlay::Columns { .. }) => Context::Columns,
            None => match &self.ticket {
                Some(t) if t.stage == super::ticket::Stage::Review => Context::Confirm,
                Some(_) => Context::Ticket,
                None if self.supervising() && self.sup.editor.is_some() => Context::Limits,
                None if self.supervising() => Context::Supervisor,
                None => Context::Normal,
            },
        }
    }

    /// The identity is SUPERVISOR or ADMIN (unknown counts as not: nothing is shown before we know).
    pub fn is_supervisor(&self) -> bool {
        self.identity.as_ref().is_some_and(|i| i.role.is_supervisor())
    }

    /// The supervisor view is on screen (never for anyone but a supervisor).
    pub fn supervising(&self) -> bool {
        self.view == View::Supervisor && self.is_supervisor()
    }

    /// Whether a key for `a` is offered (hint bar, help) and carried out.
    pub fn offers(&self, a: super::action::Action) -> bool {
        (!a.needs_supervisor() || self.is_supervisor()) && (!a.needs_demo() || self.demo.is_some())
    }

    /// The selected row's parent order.
    pub fn selected_order(&self) -> Option<&OrderRow> {
        let id = self.table.selected?.parent();
        self.orders.iter().find(|o| o.order.id == id)
    }

    /// Orders sending children or waiting for their start (paused ones are not working).
    pub fn working_count(&self) -> usize {
        use crate::model::ParentStatus::{Pending, Working};
        self.orders.iter().filter(|o| matches!(o.order.status, Pending | Working)).count()
    }

    /// Orders not yet final (what quitting the embedded engine would abandon).
    pub fn open_count(&self) -> usize {
        self.orders.iter().filter(|o| !o.order.status.is_terminal()).count()
    }

    /// The symbol the venue view shows: the ticket's, else the selected order's.
    pub fn focus_symbol(&self) -> Option<String> {
        if let Some(t) = &self.ticket
            && let Some(i) = self.market().instrument(t.symbol.value())
        {
            return Some(i.symbol.to_string());
        }
        self.selected_order().map(|o| o.order.symbol.to_string())
    }

    /// What the refresher should load for the current view.
    pub fn want(&self) -> Want {
        let selected = self.table.selected.map(RowKey::parent);
        let mut details: Vec<ParentId> = self.table.expanded.iter().copied().collect();
        if let Some(s) = selected
            && !details.contains(&s)
        {
            details.push(s);
        }
        details.sort();
        let supervisor = self.supervising().then_some(self.sup.tca_by);
        Want { details, tca: selected, symbol: self.focus_symbol(), supervisor }
    }

    /// The market facts the ticket validates against.
    pub fn market(&self) -> Market<'_> {
        market_of(&self.instruments, self.clock.as_ref(), self.tz)
    }

    /// Asks the engine to run at `speed`; the app shows it at once and holds
    /// it against clock reads older than the change.
    pub fn ask_speed(&mut self, speed: f64) -> Effect {
        self.speed = speed;
        self.speed_asked = Some(speed);
        Effect::SetSpeed(speed)
    }

    /// Says something in the footer (and the log) about the last action.
    pub fn say(&mut self, level: Level, text: String) {
        self.say_because(level, text, Cause::Action);
    }

    /// Says something that lasts as long as `cause` does.
    pub fn say_because(&mut self, level: Level, text: String, cause: Cause) {
        self.log.push(Entry { sim: self.clock.as_ref().map(|c| c.now), level, text: text.clone() });
        self.note = Some(Note { level, text, cause, at: self.wall });
    }

    /// Clears the note if it is about `cause` (its situation ended).
    pub fn clear_note(&mut self, cause: Cause) {
        if self.note.as_ref().is_some_and(|n| n.cause == cause) {
            self.note = None;
        }
    }

    /// The wall clock moved: notes that outlived their situation go.
    pub fn tick(&mut self, now: Instant) {
        self.wall = now;
        if self.note.as_ref().is_some_and(|n| n.expired(now)) {
            self.note = None;
        }
    }

    /// Records an alert (deduplicated by kind and subject) stamped with the simulated time.
    pub fn alert(&mut self, kind: super::alerts::Kind, subject: &str, level: Level, text: String) {
        let ts = self.clock.as_ref().map_or(Timestamp(0), |c| c.now);
        self.alert_at(ts, kind, subject, level, text);
    }

    /// Records an alert stamped `ts`: an engine event's own time, so one
    /// read from the history when the desk connects (an order that expired
    /// at 10:00) is not dated when it was read (10:15), beside a reason that
    /// says 10:00.
    pub fn alert_at(&mut self, ts: Timestamp, kind: super::alerts::Kind, subject: &str, level: Level, text: String) {
        self.log.push(Entry { sim: Some(ts), level, text: text.clone() });
        self.alerts.push(ts, kind, subject, level, text);
    }

    /// The engine is not answering: what is shown is as of the last update.
    pub fn stale(&self) -> bool {
        !self.connected || self.circuit.as_ref().is_some_and(|c| c.state != crate::client::BreakerState::Closed)
    }

    /// A time of day in the desk's zone (`10:15:02`); the zone is in the header or label.
    pub fn hms(&self, ts: Timestamp) -> String {
        ts.in_tz(self.tz).format("%H:%M:%S").to_string()
    }

    /// The desk zone's abbreviation at the simulated time (`EST`, `CET`, `UTC`).
    pub fn zone(&self) -> String {
        let now = self.clock.as_ref().map_or(Timestamp(0), |c| c.now);
        now.in_tz(self.tz).format("%Z").to_string()
    }

    /// Remembers a symbol for the ticket's recent list.
    pub fn remember_symbol(&mut self, symbol: &str) {
        self.recent.retain(|s| s != symbol);
        self.recent.insert(0, symbol.to_string());
        self.recent.truncate(RECENT_KEPT);
    }

    /// The instrument of a symbol, when known.
    pub fn instrument(&self, symbol: &str) -> Option<&InstrumentView> {
        self.instruments.iter().find(|i| *i.symbol == *symbol)
    }

    /// The session state shown in the status bar: the focused symbol's, else the first equity's.
    pub fn session_state(&self) -> Option<(String, SessionState)> {
        let c = self.clock.as_ref()?;
        let sym = self.focus_symbol();
        let s = sym
            .and_then(|s| c.sessions.iter().find(|(x, _, _)| **x == *s))
            .or_else(|| c.sessions.iter().find(|(_, _, tz)| tz == "America/New_York"))
            .or_else(|| c.sessions.first())?;
        Some((s.0.to_string(), s.1))
    }
}
