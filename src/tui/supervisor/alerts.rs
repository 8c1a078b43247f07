//! Supervisor alerts, derived from the event stream and the order rows.
//!
//! Two kinds: conditions that hold now (an order behind schedule, slippage
//! past a threshold, a slow venue), raised when they start and dropped when
//! they end; and happenings kept as a log (a venue refusing child orders, an
//! acknowledged risk warning, a refusal by the risk controls, the kill
//! switch, trading-state changes). Pure state: no I/O, unit-tested.

use super::super::note::Level;
use crate::engine::view::OrderRow;
use crate::engine::{EngineEvent, EventKind, RejectCode};
use crate::model::{ChildId, Name, ParentId, ParentStatus, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// When an alert is raised (`[alerts]` in the UI config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A working order further behind its schedule than this, in percent of the order.
    pub behind_schedule_pct: f64,
    /// Slippage against arrival past this many bps of cost.
    pub slippage_bps: f64,
    /// A venue whose acknowledgements take longer than this (ms, smoothed) is slow.
    pub venue_latency_ms: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { behind_schedule_pct: 10.0, slippage_bps: 25.0, venue_latency_ms: 10.0 }
    }
}

impl Thresholds {
    /// Checks every threshold is a positive number; the error names the key.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (key, v) in [
            ("behind_schedule_pct", self.behind_schedule_pct),
            ("slippage_bps", self.slippage_bps),
            ("venue_latency_ms", self.venue_latency_ms),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err((key, format!("{v} must be a positive number")));
            }
        }
        Ok(())
    }
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A working order behind its schedule.
    BehindSchedule,
    /// Slippage past the threshold.
    Slippage,
    /// A venue acknowledging slowly.
    VenueSlow,
    /// A venue refusing child orders.
    VenueRejecting,
    /// An order sent with an acknowledged risk warning.
    RiskWarning,
    /// An order refused by a risk limit, a trading state or disabled execution.
    RiskLimit,
    /// The kill switch.
    Kill,
    /// Trading state, execution or limits changed.
    Controls,
}

impl Kind {
    /// A short word for the alert list.
    pub fn label(self) -> &'static str {
        match self {
            Kind::BehindSchedule => "behind",
            Kind::Slippage => "slippage",
            Kind::VenueSlow => "slow venue",
            Kind::VenueRejecting => "venue rejects",
            Kind::RiskWarning => "risk warning",
            Kind::RiskLimit => "risk limit",
            Kind::Kill => "kill switch",
            Kind::Controls => "controls",
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct SupAlert {
    /// When it was raised (simulated time).
    pub ts: Timestamp,
    /// What it is about.
    pub kind: Kind,
    /// How serious.
    pub level: Level,
    /// The order, venue or tenant concerned.
    pub subject: String,
    /// The explanation, with the figure and the threshold.
    pub text: String,
    /// Still true now (a condition), rather than something that happened.
    pub active: bool,
    /// Times it happened (repeats of the same happening are folded into one line).
    pub count: u32,
}

/// Happenings kept.
const LOG_KEPT: usize = 200;
/// Weight of the newest acknowledgement in a venue's smoothed latency.
const EWMA: f64 = 0.2;

/// Derives and keeps the supervisor's alerts.
#[derive(Debug, Clone, Default)]
pub struct Monitor {
    /// The thresholds in force.
    pub thresholds: Thresholds,
    conditions: BTreeMap<(Kind, String), SupAlert>,
    log: VecDeque<SupAlert>,
    child_venue: HashMap<ChildId, Name>,
    venue_ms: BTreeMap<Name, f64>,
}

impl Monitor {
    /// A monitor with these thresholds.
    pub fn new(thresholds: Thresholds) -> Monitor {
        Monitor { thresholds, ..Monitor::default() }
    }

    /// Active conditions (errors first), then happenings, newest first.
    pub fn list(&self) -> Vec<&SupAlert> {
        let mut now: Vec<&SupAlert> = self.conditions.values().collect();
        now.sort_by_key(|a| (a.level != Level::Error, a.level != Level::Warn, std::cmp::Reverse(a.ts)));
        now.extend(self.log.iter().rev());
        now
    }

    /// Conditions holding now.
    pub fn active(&self) -> usize {
        self.conditions.len()
    }

    /// Smoothed acknowledgement latency per venue, ms.
    pub fn venue_latency(&self) -> &BTreeMap<Name, f64> {
        &self.venue_ms
    }

    fn raise(&mut self, ts: Timestamp, kind: Kind, level: Level, subject: String, text: String) {
        // A condition keeps the time it started; its text follows the figure.
        let e = self.conditions.entry((kind, subject.clone())).or_insert(SupAlert {
            ts,
            kind,
            level,
            subject,
            text: String::new(),
            active: true,
            count: 1,
        });
        e.text = text;
        e.level = level;
    }

    fn clear(&mut self, kind: Kind, subject: &str) {
        self.conditions.remove(&(kind, subject.to_string()));
    }

    fn happened(&mut self, ts: Timestamp, kind: Kind, level: Level, subject: String, text: String) {
        if let Some(last) = self.log.back_mut()
            && last.kind == kind
            && last.subject == subject
        {
            last.count += 1;
            last.ts = ts;
            last.text = text;
            return;
        }
        self.log.push_back(SupAlert { ts, kind, level, subject, text, active: false, count: 1 });
        if self.log.len() > LOG_KEPT {
            self.log.pop_front();
        }
    }

    /// Re-evaluates the order conditions against the latest rows.
    pub fn on_orders(&mut self, now: Timestamp, orders: &[OrderRow]) {
        let th = self.thresholds.clone();
        let mut seen: Vec<String> = Vec::new();
        for o in orders.iter().filter(|o| o.order.status == ParentStatus::Working) {
            let id = o.order.id.to_string();
            seen.push(id.clone());
            let what = format!("{} {} {}", id, o.order.side, o.order.symbol);
            match o.schedule_deviation {
                Some(d) if -d * 100.0 > th.behind_schedule_pct => self.raise(
                    now,
                    Kind::BehindSchedule,
                    Level::Warn,
                    id.clone(),
                    format!("{what} {:.1}% behind schedule (alert at {}%)", -d * 100.0, th.behind_schedule_pct),
                ),
                _ => self.clear(Kind::BehindSchedule, &id),
            }
            match o.slippage_bps {
                Some(b) if b > th.slippage_bps => self.raise(
                    now,
                    Kind::Slippage,
                    if b > 2.0 * th.slippage_bps { Level::Error } else { Level::Warn },
                    id.clone(),
                    format!("{what} slippage {b:+.1} bps against arrival (alert at {})", th.slippage_bps),
                ),
                _ => self.clear(Kind::Slippage, &id),
            }
        }
        // Orders no longer working (paused, done, out of view) raise nothing.
        self.conditions.retain(|(k, s), _| !matches!(k, Kind::BehindSchedule | Kind::Slippage) || seen.contains(s));
    }

    /// Takes one engine event into account.
    pub fn on_event(&mut self, e: &EngineEvent) {
        let ts = e.ts;
        match &e.kind {
            EventKind::ChildSent { child } => {
                self.child_venue.insert(child.id, child.venue.clone());
            }
            EventKind::ChildAcked { venue, latency_ns, .. } => self.acked(ts, venue, *latency_ns as f64 / 1e6),
            EventKind::ChildRejected { child, reason } => {
                let venue = self.child_venue.get(child).map_or_else(|| "venue".to_string(), |v| v.to_string());
                self.happened(
                    ts,
                    Kind::VenueRejecting,
                    Level::Warn,
                    venue.clone(),
                    format!("{venue} refused {child}: {reason}"),
                );
            }
            EventKind::Done { parent, .. } => self.forget(*parent),
            EventKind::RiskWarning { parent, actor, findings } => {
                let list: Vec<String> = findings.iter().map(ToString::to_string).collect();
                self.happened(
                    ts,
                    Kind::RiskWarning,
                    Level::Warn,
                    parent.to_string(),
                    format!("{}@{} sent {parent} past a warning: {}", actor.user, actor.tenant, list.join("; ")),
                );
            }
            EventKind::Rejected { actor, code, message, .. }
                if matches!(
                    code,
                    RejectCode::RiskLimit
                        | RejectCode::RiskWarning
                        | RejectCode::Halted
                        | RejectCode::Reducing
                        | RejectCode::ExecutionDisabled
                ) =>
            {
                let level = if *code == RejectCode::RiskWarning { Level::Warn } else { Level::Error };
                // A disabled desk is named first: the supervisor enables it in the risk pane (listed there for it).
                let text = if *code == RejectCode::ExecutionDisabled {
                    format!(
                        "desk {}: order of {} refused, execution disabled (risk controls: select {} and press E to enable)",
                        actor.tenant, actor.user, actor.tenant
                    )
                } else {
                    format!("{}@{} refused ({}): {message}", actor.user, actor.tenant, code.as_str())
                };
                self.happened(ts, Kind::RiskLimit, level, actor.tenant.to_string(), text);
            }
            EventKind::KillAll { actor, tenant, parents } => {
                let scope = tenant.as_ref().map_or("every desk".to_string(), |t| format!("desk {t}"));
                self.happened(
                    ts,
                    Kind::Kill,
                    Level::Error,
                    tenant.as_ref().map_or("all".to_string(), |t| t.to_string()),
                    format!(
                        "kill switch on {scope} by {}@{}: {} orders paused, HALTED",
                        actor.user,
                        actor.tenant,
                        parents.len()
                    ),
                );
            }
            EventKind::TradingState { actor, tenant, state } => {
                let scope = tenant.as_ref().map_or("every desk".to_string(), |t| format!("desk {t}"));
                self.happened(
                    ts,
                    Kind::Controls,
                    Level::Info,
                    tenant.as_ref().map_or("all".to_string(), |t| t.to_string()),
                    format!("{scope} set {state} by {}@{}", actor.user, actor.tenant),
                );
            }
            EventKind::ExecutionEnabled { actor, tenant, enabled } => self.happened(
                ts,
                Kind::Controls,
                Level::Info,
                tenant.to_string(),
                format!(
                    "execution {} for desk {tenant} by {}@{}",
                    if *enabled { "enabled" } else { "disabled" },
                    actor.user,
                    actor.tenant
                ),
            ),
            EventKind::DeskLimitsChanged { actor, .. } => self.happened(
                ts,
                Kind::Controls,
                Level::Info,
                "all".to_string(),
                format!("desk limits (every desk's defaults) changed by {}@{}", actor.user, actor.tenant),
            ),
            EventKind::ControlsRestored { controls } => {
                let list: Vec<String> = controls.iter().map(|c| c.describe()).collect();
                self.happened(
                    ts,
                    Kind::Controls,
                    Level::Warn,
                    "all".to_string(),
                    format!("risk controls restored after a restart: {}", list.join("; ")),
                );
            }
            EventKind::LimitsChanged { actor, tenant, user, .. } => self.happened(
                ts,
                Kind::Controls,
                Level::Info,
                tenant.to_string(),
                format!(
                    "limits of {}{tenant} changed by {}@{}",
                    user.as_ref().map_or(String::new(), |u| format!("{u}@")),
                    actor.user,
                    actor.tenant
                ),
            ),
            _ => {}
        }
    }

    /// A venue acknowledged a child after `ms`: the smoothed latency decides
    /// whether it is slow (with a margin, so one figure near the threshold
    /// does not flap the alert on and off).
    fn acked(&mut self, ts: Timestamp, venue: &Name, ms: f64) {
        let v = self.venue_ms.entry(venue.clone()).or_insert(ms);
        *v = EWMA * ms + (1.0 - EWMA) * *v;
        let avg = *v;
        let th = self.thresholds.venue_latency_ms;
        if avg > th {
            self.raise(
                ts,
                Kind::VenueSlow,
                Level::Warn,
                venue.to_string(),
                format!("{venue} acknowledges in {avg:.1} ms on average (alert at {th} ms)"),
            );
        } else if avg < 0.8 * th {
            self.clear(Kind::VenueSlow, venue);
        }
    }

    /// A finished order's children will not be acknowledged or refused again.
    fn forget(&mut self, parent: ParentId) {
        self.child_venue.retain(|c, _| c.parent != parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Actor;
    use crate::model::Role;

    fn ev(seq: u64, kind: EventKind) -> EngineEvent {
        EngineEvent { seq, ts: Timestamp(seq as i64 * 1_000_000_000), kind }
    }

    fn rows() -> Vec<OrderRow> {
        let (mut orders, _) = crate::tui::scenario::synthetic_rows(3, 0);
        for o in &mut orders {
            o.order.status = ParentStatus::Working;
            o.schedule_deviation = Some(0.0);
            o.slippage_bps = Some(1.0);
        }
        orders
    }

    #[test]
    fn order_conditions_come_and_go_with_the_figures() {
        let mut m = Monitor::new(Thresholds::default());
        let mut o = rows();
        o[0].schedule_deviation = Some(-0.125);
        o[1].slippage_bps = Some(60.0);
        m.on_orders(Timestamp(5), &o);
        let l = m.list();
        assert_eq!(m.active(), 2);
        assert_eq!(l[0].kind, Kind::Slippage, "the error (more than twice the threshold) comes first");
        assert!(l[0].text.contains("+60.0 bps") && l[0].text.contains("alert at 25"), "{}", l[0].text);
        assert!(l[1].text.contains("12.5% behind") && l[1].text.contains("alert at 10%"), "{}", l[1].text);
        // Just under the thresholds: nothing; a paused order raises nothing either.
        o[0].schedule_deviation = Some(-0.099);
        o[1].slippage_bps = Some(25.0);
        o[2].slippage_bps = Some(90.0);
        o[2].order.status = ParentStatus::Paused;
        m.on_orders(Timestamp(6), &o);
        assert_eq!(m.active(), 0, "{:?}", m.list());
    }

    #[test]
    fn venues_actions_and_risk_refusals_are_logged() {
        let mut m = Monitor::new(Thresholds::default());
        let (_, details) = crate::tui::scenario::synthetic_rows(1, 2);
        let kid = details.values().next().unwrap().children[0].clone();
        m.on_event(&ev(1, EventKind::ChildSent { child: Box::new(kid.clone()) }));
        for i in 0..2 {
            m.on_event(&ev(2 + i, EventKind::ChildRejected { child: kid.id, reason: "price out of band".into() }));
        }
        let a = Actor { user: "alice".into(), tenant: "ws".into(), role: Role::Advisor };
        m.on_event(&ev(
            5,
            EventKind::Rejected {
                actor: a.clone(),
                parent: None,
                code: RejectCode::RiskLimit,
                field: Some("max_order_qty".into()),
                message: "risk limit breached: max_order_qty: limit 5000, order 5001".into(),
            },
        ));
        // A refusal that is not about risk (a typo in a symbol) is not a supervisor alert.
        m.on_event(&ev(
            6,
            EventKind::Rejected {
                actor: a,
                parent: None,
                code: RejectCode::UnknownSymbol,
                field: None,
                message: "x".into(),
            },
        ));
        let l = m.list();
        assert_eq!(l.len(), 2, "{l:?}");
        assert_eq!((l[0].kind, l[0].level), (Kind::RiskLimit, Level::Error));
        assert!(l[0].text.starts_with("alice@ws refused (risk_limit): risk limit breached: max_order_qty"));
        assert_eq!((l[1].kind, l[1].count, l[1].subject.as_str()), (Kind::VenueRejecting, 2, kid.venue.as_ref()));
    }

    #[test]
    fn a_slow_venue_is_flagged_on_its_average_not_one_ack() {
        let mut m = Monitor::new(Thresholds { venue_latency_ms: 10.0, ..Thresholds::default() });
        let ack = |ms: f64| EventKind::ChildAcked {
            child: ChildId { parent: ParentId::local(1), seq: 1 },
            venue: "OKX".into(),
            latency_ns: (ms * 1e6) as i64,
        };
        m.on_event(&ev(1, ack(2.0)));
        m.on_event(&ev(2, ack(30.0)));
        assert_eq!(m.active(), 0, "one slow acknowledgement is not a slow venue");
        for i in 0..10 {
            m.on_event(&ev(3 + i, ack(30.0)));
        }
        assert_eq!(m.list()[0].kind, Kind::VenueSlow);
        for i in 0..20 {
            m.on_event(&ev(20 + i, ack(1.0)));
        }
        assert_eq!(m.active(), 0, "fast again: the alert ends");
        assert!(m.venue_latency()["OKX"] < 8.0);
    }

    #[test]
    fn thresholds_must_be_positive() {
        assert!(Thresholds::default().validate().is_ok());
        let bad = Thresholds { slippage_bps: 0.0, ..Thresholds::default() };
        assert_eq!(bad.validate().unwrap_err().0, "slippage_bps");
    }
}
