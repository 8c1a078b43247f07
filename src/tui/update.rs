//! How results from the client change the app: snapshots, the event
//! stream, connection changes, a failed submission (the ticket comes back)
//! and the demo's captions. Pure state changes, no I/O.

use super::app::{ALERTS_KEPT, Alert, App, Effect, Level, Msg, Overlay, Pane, Question, Snapshot, Tab, View};
use crate::client::{ClientError, StreamItem};
use crate::engine::EventKind;
use crate::engine::view::{OrderDetail, OrderRow};
use crate::model::{ParentId, Timestamp};
use std::collections::HashMap;

impl App {
    /// Applies a result from the client.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Snapshot(s) => self.apply_snapshot(*s),
            Msg::Clock(c) => {
                if let Some(s) = c.speed.filter(|s| *s > 0.0) {
                    self.speed = s;
                }
                self.clock = Some(c);
            }
            Msg::Health(h, ms) => match h {
                Ok(h) => {
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
            Msg::Done(what, r) => match r {
                Ok(text) => self.note = Some((Level::Info, text)),
                Err(e) => {
                    let text = format!("{what}: {}", e.message);
                    self.push_alert(Level::Error, text.clone());
                    self.note = Some((Level::Error, text));
                }
            },
            Msg::Preview(generation, p) => {
                if generation == self.preview_gen
                    && let Some(t) = self.ticket.as_mut()
                {
                    if p.request.is_some() {
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
            Msg::Submitted => self.sent = None,
            Msg::Circuit(c) => self.circuit = c,
            Msg::Risk(r) => self.sup.set_risk(Ok(*r)),
            Msg::Demo(v) => self.on_demo(*v),
        }
        Vec::new()
    }

    fn apply_snapshot(&mut self, s: Snapshot) {
        self.tca = s.tca;
        self.book = s.book;
        self.venues = s.venues;
        if let Some(r) = s.risk {
            self.sup.set_risk(r.map_err(|e| e.message));
        }
        if let Some((by, r)) = s.tca_groups {
            self.sup.tca = Some((by, r.map_err(|e| e.message)));
        }
        self.set_orders(s.orders, s.details);
        let now = self.clock.as_ref().map_or(Timestamp(0), |c| c.now);
        self.sup.monitor.on_orders(now, &self.orders);
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
        if let Some(id) = self.pending_select
            && self.table.select_parent(id, &self.orders, &self.details)
        {
            self.pending_select = None;
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
        }
        self.demo = Some(v);
    }

    fn on_stream(&mut self, item: StreamItem) {
        match item {
            StreamItem::Event(e) => {
                self.last_seq = self.last_seq.max(e.seq);
                // Everyone's monitor runs; only a supervisor's view shows it (an
                // advisor's stream carries only their own orders anyway).
                self.sup.on_event(&e);
                let alert = match &e.kind {
                    EventKind::Rejected { parent, code, message, .. } => Some((
                        Level::Error,
                        format!(
                            "{} rejected ({}): {message}",
                            parent.map_or("order".into(), |p| p.to_string()),
                            code.as_str()
                        ),
                    )),
                    EventKind::ChildRejected { child, reason } => {
                        Some((Level::Warn, format!("{child} rejected by venue: {reason}")))
                    }
                    EventKind::KillAll { parents, .. } => {
                        Some((Level::Warn, format!("kill-all: {} orders paused, children cancelled", parents.len())))
                    }
                    EventKind::Done { parent, status, residual, .. } if residual.is_positive() => {
                        Some((Level::Warn, format!("{parent} {status} with {residual} unfilled")))
                    }
                    _ => None,
                };
                if let Some((level, text)) = alert {
                    self.alerts.push(Alert { ts: e.ts, level, text });
                    self.trim_alerts();
                }
            }
            StreamItem::Lagged { missed } => {
                self.push_alert(Level::Warn, format!("event stream lagged: {missed} events skipped, resynced"));
            }
            StreamItem::Gap { missed } => {
                self.push_alert(Level::Warn, format!("{missed} events no longer held by the engine, resynced"));
            }
            StreamItem::Connection { connected, detail } => self.set_connected(connected, detail),
        }
    }

    /// Health calls and the event stream both report the connection; the
    /// first to see a change records it in the alerts (once).
    fn set_connected(&mut self, connected: bool, detail: String) {
        if connected != self.connected {
            let (level, what) =
                if connected { (Level::Info, "connection back") } else { (Level::Warn, "connection lost") };
            self.push_alert(level, format!("{what}: {detail}"));
        }
        self.connected = connected;
        self.connection_note = (!connected).then_some(detail);
    }

    /// A submission failed: the ticket comes back as it was typed, in edit,
    /// with the refusal next to its field (unless another ticket is open).
    fn submit_failed(&mut self, e: ClientError) {
        let Some(mut t) = self.sent.take() else { return };
        if self.ticket.is_some() {
            return;
        }
        t.stage = super::ticket::Stage::Edit;
        if e.field.is_some() {
            t.set_remote_error(Some(&e));
        }
        self.note = Some((Level::Error, format!("not sent: {}; the ticket is kept: enter to try again", e.message)));
        self.ticket = Some(t);
    }

    /// Adds an alert stamped with the simulated time.
    pub fn push_alert(&mut self, level: Level, text: String) {
        let ts = self.clock.as_ref().map_or(Timestamp(0), |c| c.now);
        self.alerts.push(Alert { ts, level, text });
        self.trim_alerts();
    }

    fn trim_alerts(&mut self) {
        if self.alerts.len() > ALERTS_KEPT {
            let extra = self.alerts.len() - ALERTS_KEPT;
            self.alerts.drain(..extra);
        }
    }
}
