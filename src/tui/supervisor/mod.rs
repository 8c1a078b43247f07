//! The supervisor view's state: every desk's working orders by user, alerts
//! derived from the event stream and the rows, aggregated TCA, and each
//! tenant's risk controls with a keyboard editor. Only SUPERVISOR and ADMIN
//! reach it; the server refuses its routes to anyone else as well.

pub mod alerts;
pub mod keys;
pub mod limits;

use crate::client::{TcaGroup, TcaGroupBy};
use crate::engine::view::OrderRow;
use crate::engine::{RiskView, TenantView};

/// The panes of the supervisor view, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Working orders of every desk, by user.
    Orders,
    /// Alerts.
    Alerts,
    /// Aggregated TCA.
    Tca,
    /// Risk controls per tenant.
    Risk,
}

impl Section {
    /// Focus order.
    pub const ALL: [Section; 4] = [Section::Orders, Section::Alerts, Section::Tca, Section::Risk];
}

/// TCA groupings the view cycles through.
pub const GROUPINGS: [TcaGroupBy; 4] = [TcaGroupBy::Algo, TcaGroupBy::Venue, TcaGroupBy::Desk, TcaGroupBy::Day];

/// Everything the supervisor view shows and where its cursor is.
#[derive(Debug, Clone)]
pub struct Supervisor {
    /// Focused pane.
    pub section: Section,
    /// Selected row among the working orders.
    pub order_sel: usize,
    /// Selected tenant.
    pub tenant_sel: usize,
    /// First alert shown.
    pub alert_scroll: usize,
    /// Grouping of the TCA pane.
    pub tca_by: TcaGroupBy,
    /// The last aggregated TCA loaded, with its grouping (or why it failed).
    pub tca: Option<(TcaGroupBy, Result<Vec<TcaGroup>, String>)>,
    /// The last risk view loaded (or why it failed).
    pub risk: Option<Result<RiskView, String>>,
    /// Alerts.
    pub monitor: alerts::Monitor,
    /// The limit editor, when open.
    pub editor: Option<limits::Editor>,
}

impl Supervisor {
    /// An empty view raising alerts at `thresholds`.
    pub fn new(thresholds: alerts::Thresholds) -> Supervisor {
        Supervisor {
            section: Section::Orders,
            order_sel: 0,
            tenant_sel: 0,
            alert_scroll: 0,
            tca_by: TcaGroupBy::Algo,
            tca: None,
            risk: None,
            monitor: alerts::Monitor::new(thresholds),
            editor: None,
        }
    }

    /// Orders not yet final on every desk, grouped by tenant and user, oldest first.
    pub fn working(orders: &[OrderRow]) -> Vec<&OrderRow> {
        let mut v: Vec<&OrderRow> = orders.iter().filter(|o| !o.order.status.is_terminal()).collect();
        v.sort_by(|a, b| {
            (&a.order.owner.tenant, &a.order.owner.user, a.order.id).cmp(&(
                &b.order.owner.tenant,
                &b.order.owner.user,
                b.order.id,
            ))
        });
        v
    }

    /// The tenants of the last risk view.
    pub fn tenants(&self) -> &[TenantView] {
        match &self.risk {
            Some(Ok(r)) => &r.tenants,
            _ => &[],
        }
    }

    /// The selected tenant.
    pub fn selected_tenant(&self) -> Option<&TenantView> {
        let t = self.tenants();
        t.get(self.tenant_sel.min(t.len().saturating_sub(1)))
    }

    /// The TCA groups of the current grouping, when loaded.
    pub fn tca_groups(&self) -> Option<&Result<Vec<TcaGroup>, String>> {
        self.tca.as_ref().filter(|(by, _)| *by == self.tca_by).map(|(_, r)| r)
    }

    /// Moves the cursor of the focused pane by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: i64, orders: &[OrderRow]) {
        let step = |at: usize, len: usize| -> usize {
            if len == 0 { 0 } else { (at as i64 + delta).clamp(0, len as i64 - 1) as usize }
        };
        match self.section {
            Section::Orders => self.order_sel = step(self.order_sel, Supervisor::working(orders).len()),
            Section::Alerts => self.alert_scroll = step(self.alert_scroll, self.monitor.list().len()),
            Section::Risk => self.tenant_sel = step(self.tenant_sel, self.tenants().len()),
            Section::Tca => {}
        }
    }

    /// Focuses the next (or previous) pane.
    pub fn cycle_section(&mut self, forward: bool) {
        let n = Section::ALL.len();
        let i = Section::ALL.iter().position(|s| *s == self.section).unwrap_or(0);
        self.section = Section::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }];
    }

    /// Groups the TCA by the next of algo, venue, desk and day.
    pub fn next_grouping(&mut self) {
        let i = GROUPINGS.iter().position(|g| *g == self.tca_by).unwrap_or(0);
        self.tca_by = GROUPINGS[(i + 1) % GROUPINGS.len()];
    }
}

/// The name of a grouping as the view titles it.
pub fn grouping_name(by: TcaGroupBy) -> &'static str {
    match by {
        TcaGroupBy::Algo => "algo",
        TcaGroupBy::Venue => "venue",
        TcaGroupBy::Desk => "desk",
        TcaGroupBy::Day => "day",
    }
}
