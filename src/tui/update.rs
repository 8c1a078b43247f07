//! How results from the client change the app: snapshots, the event
//! stream, connection changes (stale data, the honest countdown, notes that
//! end with their cause, interrupted orders offered for resumption), a
//! failed submission (the ticket comes back) and the demo's captions. Pure
//! state changes, no I/O.

use super::alerts::Kind;
use super::app::{App, Effect, Level, Msg, Offer, Overlay, Pane, Question, SPEED, Snapshot, Tab, View};
use super::note::Cause;
use crate::client::{ClientError, ErrorCode, StreamItem};
use crate::engine::EventKind;
use crate::engine::view::{OrderDetail, OrderRow};
use crate::model::{ParentId, ParentStatus, Timestamp, human};
use std::collections::HashMap;
use std::time::{Duration, Instant};

impl App {
    /// Applies a result from the client.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        self.apply(msg);
        // A demo step is on screen once its order is in the blotter: its hold may begin.
        match self.demo_ack {
            Some(n) if self.pending_select.is_none() => {
                self.demo_ack = None;
                vec![Effect::Demo(super::demo::DemoCmd::Shown(n))]
            }
            _ => Vec::new(),
        }
    }

    fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::Snapshot(s) => self.apply_snapshot(*s),
            Msg::Clock(c) => {
                if let Some(s) = c.speed.filter(|s| *s > 0.0) {
                    match self.speed_asked {
                        Some(a) if a == s => self.speed_asked = None,
                        // Read before the asked change landed: the next read will say.
                        Some(_) => {}
                        None => self.speed = s,
                    }
                }
                self.clock = Some(c);
            }
            Msg::Health(h, ms) => match h {
                Ok(h) => {
                    // The clock moves on while we were away: stamp the return with the engine's time.
                    if let Some(c) = self.clock.as_mut()
                        && h.now > c.now
                    {
                        c.now = h.now;
                    }
                    self.set_connected(true, "health answered".into());
                    self.latency_ms = Some(ms);
                    self.health = Some(h);
                }
                Err(e) => self.set_connected(false, e.message),
            },
            Msg::Hello(id, inst) => {
                self.identity = Some(id);
                self.instruments = inst;
            }
            Msg::Done(what, r) => {
                if what == SPEED && r.is_err() {
                    // Refused or unreachable: the engine's clock says which speed runs.
                    self.speed_asked = None;
                }
                match r {
                    Ok(text) => self.say(Level::Info, text),
                    Err(e) => {
                        let text = format!("{what}: {}", e.message);
                        // An engine refusal comes back on the event stream as well: one alert, not two.
                        if e.is_connection() {
                            self.alert(Kind::Failed, &what, Level::Error, text.clone());
                        }
                        let cause = if e.is_connection() { Cause::Connection } else { Cause::Action };
                        self.say_because(Level::Error, text, cause);
                    }
                }
            }
            Msg::Preview(generation, p) => {
                if generation == self.preview_gen
                    && let Some(t) = self.ticket.as_mut()
                {
                    // The residual's schedule is not the amendment: its refusal is said in the
                    // panel, not held against a field (the engine judges the amendment on send).
                    if p.request.is_some() && t.amending().is_none() {
                        // An unreachable sidecar is not the ticket's fault: it must not block review.
                        let err = p.slices.as_ref().and_then(|r| r.as_ref().err()).filter(|e| !e.is_connection());
                        t.set_remote_error(err);
                    }
                    t.preview = *p;
                }
            }
            Msg::Stream(item) => self.on_stream(item),
            Msg::RiskWarning(req, message) => {
                // The question replaces the ticket; answering no drops the order as before.
                self.sent = None;
                self.overlay = Some(Overlay::Question(Question::Risk(req, message)));
            }
            Msg::SubmitFailed(e) => self.submit_failed(e),
            Msg::Submitted => {
                self.sent = None;
                self.clear_note(Cause::Submission);
            }
            Msg::Circuit(c) => {
                self.retry_at = c.as_ref().and_then(|c| c.retry_in_ms).map(|ms| self.wall + Duration::from_millis(ms));
                self.circuit = c;
                self.note_connection();
            }
            Msg::Risk(r) => self.sup.set_risk(Ok(*r)),
            Msg::Demo(v) => self.on_demo(*v),
        }
    }

    fn apply_snapshot(&mut self, s: Snapshot) {
        self.tca = s.tca;
        self.book = s.book;
        self.venues = s.venues;
        if let Some(r) = s.risk {
            self.sup.set_risk(r.map_err(|e| e.message));
            if let Some(d) = self.pending_desk.take()
                && !self.sup.select(&d, None)
            {
                self.pending_desk = Some(d);
            }
        }
        if let Some((by, r)) = s.tca_groups {
            self.sup.tca = Some((by, r.map_err(|e| e.message)));
        }
        self.set_orders(s.orders, s.details);
        let now = self.clock.as_ref().map_or(Timestamp(0), |c| c.now);
        self.sup.monitor.on_orders(now, &self.orders);
        self.after_reload();
        self.refresh_offer();
    }

    /// Replaces the orders and details and rebuilds the rows (selection kept).
    pub fn set_orders(&mut self, orders: Vec<OrderRow>, details: HashMap<ParentId, OrderDetail>) {
        self.orders = orders;
        self.details = details;
        self.fill_counts.clear();
        for d in self.details.values() {
            for f in &d.fills {
                *self.fill_counts.entry(f.child).or_default() += 1;
            }
        }
        self.table.rebuild(&self.orders, &self.details);
        self.positions = super::positions::Book::from_orders(&self.orders, &self.instruments);
        if let Some(id) = self.pending_select
            && self.table.select_parent(id, &self.orders, &self.details)
        {
            self.pending_select = None;
        }
    }

    /// Keeps the resume offer to orders still waiting (resumed or cancelled ones leave it).
    fn refresh_offer(&mut self) {
        let Some(o) = self.offer.as_mut() else { return };
        let waiting = |id: &ParentId, orders: &[OrderRow]| {
            orders.iter().any(|r| r.order.id == *id && super::input::resumable(r.order.status))
        };
        o.orders.retain(|id| waiting(id, &self.orders));
        if o.orders.is_empty() {
            self.offer = None;
        }
    }

    /// Offers every order stopped for `why` (interrupted, or paused by a kill switch) for resumption.
    fn offer_stopped(&mut self, why: &str, statuses: &[ParentStatus]) {
        let ids: Vec<ParentId> =
            self.orders.iter().filter(|r| statuses.contains(&r.order.status)).map(|r| r.order.id).collect();
        if !ids.is_empty() {
            self.offer = Some(Offer { why: why.to_string(), orders: ids });
        }
    }

    /// A new demo caption: a newly fired step turns the view to its pane and order
    /// (unless the presenter is typing in a ticket or a dialog).
    fn on_demo(&mut self, v: super::demo::DemoView) {
        use crate::demo::Look;
        let new_step = self.demo.as_ref().is_none_or(|d| d.fired != v.fired) && v.fired > 0;
        if new_step && self.ticket.is_none() && self.overlay.is_none() {
            match v.look {
                Some(Look::Supervisor) => self.view = View::Supervisor,
                Some(Look::Blotter) => {
                    self.view = View::Desk;
                    self.focus = Pane::Blotter;
                }
                Some(Look::Venues) => {
                    self.view = View::Desk;
                    self.focus = Pane::Detail;
                    self.tab = Tab::Venues;
                }
                Some(Look::Tca) => {
                    self.view = View::Desk;
                    self.focus = Pane::Detail;
                    self.tab = Tab::Tca;
                }
                Some(Look::Ticket) => {
                    self.view = View::Desk;
                    self.ticket = Some(super::ticket::Ticket::new());
                }
                None => {}
            }
            if let Some(id) = v.select {
                self.pending_select = Some(id);
                if self.table.select_parent(id, &self.orders, &self.details) {
                    self.pending_select = None;
                }
            }
            // A step acting on a desk (its kill switch, its state) shows it in the risk pane.
            if let (Some(Look::Supervisor), Some(d)) = (v.look, &v.desk) {
                self.sup.section = super::supervisor::Section::Risk;
                if !self.sup.select(d, None) {
                    self.pending_desk = Some(d.clone());
                }
            }
        }
        if new_step {
            self.demo_ack = Some(v.fired);
        }
        self.demo = Some(v);
    }

    fn on_stream(&mut self, item: StreamItem) {
        match item {
            StreamItem::Event(e) => {
                self.last_seq = self.last_seq.max(e.seq);
                if let Some(c) = self.clock.as_mut()
                    && e.ts > c.now
                {
                    c.now = e.ts;
                }
                self.on_event(&e);
            }
            // Another instance's engine of the same desk: its alerts too, not its sequence or clock.
            StreamItem::Desk { event, .. } => self.on_event(&event),
            StreamItem::Lagged { missed } => {
                let text = format!("event stream lagged: {missed} events skipped, resynced");
                self.alert(Kind::Lagged, "stream", Level::Warn, text);
            }
            StreamItem::Gap { missed } => {
                self.push_alert(Level::Warn, format!("{missed} events no longer held by the engine, resynced"));
            }
            StreamItem::Connection { connected, detail } => self.set_connected(connected, detail),
        }
    }

    /// What an event of the desk changes: the supervisor's monitor and the alerts.
    fn on_event(&mut self, e: &crate::engine::EngineEvent) {
        // Everyone's monitor runs; only a supervisor's view shows it (an
        // advisor's stream carries only their own orders anyway).
        self.sup.on_event(e);
        match &e.kind {
            EventKind::Rejected { parent, code, message, .. } => {
                let subject = parent.map_or_else(|| "order".to_string(), |p| p.to_string());
                let text = format!("{subject} refused ({}): {message}", code.as_str());
                self.alert_at(e.ts, Kind::Refused, &subject, Level::Error, text);
            }
            EventKind::ChildRejected { child, reason } => {
                let text = format!("{child} refused by the venue: {reason}");
                self.alert_at(e.ts, Kind::VenueReject, &child.parent.to_string(), Level::Warn, text);
            }
            EventKind::KillAll { parents, tenant, .. } => {
                let whom = tenant.as_ref().map_or_else(|| "kill-all".to_string(), |t| format!("desk {t} killed"));
                let text = format!("{whom}: {} orders paused, children cancelled", parents.len());
                self.alert_at(e.ts, Kind::Kill, &whom, Level::Warn, text);
                self.killed.extend(parents.iter().copied());
            }
            EventKind::TradingState { state: crate::risk::TradingState::Active, .. } if !self.killed.is_empty() => {
                // The kill switch is lifted: what it paused may go on, in one key.
                let killed = std::mem::take(&mut self.killed);
                let ids: Vec<ParentId> =
                    killed.into_iter().filter(|id| self.status_of(*id) == Some(ParentStatus::Paused)).collect();
                if !ids.is_empty() {
                    self.offer = Some(Offer { why: "paused by the kill switch, now lifted".into(), orders: ids });
                }
            }
            EventKind::Interrupted { .. } => self.offer_after_reconnect = true,
            EventKind::Done { parent, status, residual, reason, .. } if residual.is_positive() => {
                // Why, as the engine wrote it (its zone included): the desk reads it here first.
                let why = reason.as_ref().map_or_else(String::new, |r| format!(": {r}"));
                let text = format!("{parent} {status} with {} unfilled{why}", human::qty(*residual));
                self.alert_at(e.ts, Kind::Residual, &parent.to_string(), Level::Warn, text);
            }
            _ => {}
        }
    }

    /// Health calls and the event stream both report the connection; the
    /// first to see a change records it in the alerts (once). While it is
    /// down the footer says so; when it is back that note goes, and orders
    /// the outage interrupted are offered for resumption.
    fn set_connected(&mut self, connected: bool, detail: String) {
        if connected != self.connected {
            let (level, what) =
                if connected { (Level::Info, "connection back") } else { (Level::Warn, "connection lost") };
            let since = self.down_since.map(|t| self.wall.saturating_duration_since(t).as_secs());
            let text = match (connected, since) {
                (true, Some(s)) => format!("{what} after {}: {detail}", super::format::span(s)),
                _ => format!("{what}: {detail}"),
            };
            self.alert(Kind::Connection, "connection", level, text);
            if connected {
                self.down_since = None;
                self.retry_at = None;
                self.clear_note(Cause::Connection);
                // Interrupted orders are found once the orders are reloaded (refresh_offer keeps it current).
                self.offer_after_reconnect = true;
            } else {
                self.down_since = Some(self.wall);
            }
        }
        self.connected = connected;
        self.connection_note = (!connected).then_some(detail);
        self.note_connection();
    }

    /// While down, the footer says so (once; the status bar carries the detail).
    fn note_connection(&mut self) {
        if self.stale() {
            let already = self.note.as_ref().is_some_and(|n| n.cause == Cause::Connection);
            if !already {
                let text = format!("{} is not answering: what is shown is as of the last update", self.engine);
                self.say_because(Level::Warn, text, Cause::Connection);
            }
        } else {
            self.clear_note(Cause::Connection);
        }
    }

    /// After a reconnection and a fresh load: offer the interrupted orders.
    pub(crate) fn after_reload(&mut self) {
        if std::mem::take(&mut self.offer_after_reconnect) {
            self.offer_stopped("interrupted by the engine's restart", &[ParentStatus::Interrupted]);
        }
    }

    /// A submission failed: the ticket comes back as it was typed, in edit,
    /// with the refusal next to its field (unless another ticket is open).
    fn submit_failed(&mut self, e: ClientError) {
        let Some(mut t) = self.sent.take() else { return };
        if self.ticket.is_some() {
            return;
        }
        t.stage = super::ticket::Stage::Edit;
        if e.field.is_some() || e.code == ErrorCode::RiskLimit {
            t.set_remote_error(Some(&e));
        }
        let cause = if e.is_connection() { Cause::Connection } else { Cause::Submission };
        self.say_because(
            Level::Error,
            format!("not sent: {}; the ticket is kept: enter to try again", e.message),
            cause,
        );
        self.ticket = Some(t);
    }

    /// Adds an alert about the connection or an action (kept for callers outside the stream).
    pub fn push_alert(&mut self, level: Level, text: String) {
        self.alert(Kind::Failed, "ui", level, text);
    }

    /// The wall clock of the last tick, for tests that drive time.
    pub fn wall_now(&self) -> Instant {
        self.wall
    }
}
