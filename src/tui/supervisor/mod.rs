//! The supervisor view's state: every desk's working orders by user, alerts
//! derived from the event stream and the rows, aggregated TCA, and each
//! tenant's risk controls with a keyboard editor. Only SUPERVISOR and ADMIN
//! reach it; the server refuses its routes to anyone else as well.

pub mod alerts;
pub mod limits;

use crate::client::{TcaGroup, TcaGroupBy};
use crate::engine::view::OrderRow;
use crate::engine::{EngineEvent, EventKind, RejectCode, RiskView, TenantView};
use crate::risk::Limits;

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
    /// Selected row of the risk pane (a tenant, or one of its user overrides).
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
    /// Desks listed although the engine does not know them yet: added by
    /// name (`n`) or seen refused because their execution is disabled.
    pub added: Vec<String>,
}

/// One row of the risk pane: a tenant, or one user's override under it.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskRow {
    /// The tenant (for a user row, the user's tenant).
    pub tenant: TenantView,
    /// The user and their override, on a user row.
    pub user: Option<(String, Limits)>,
    /// Listed by this view only: the engine has not seen the tenant yet.
    pub new: bool,
}

/// Checks a tenant or user name as the token store does (1-64 characters,
/// no spaces or control characters); the error says what is allowed.
pub fn check_name(what: &str, name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(format!("type a {what} name"));
    }
    crate::model::check_name(what, n)?;
    Ok(n.to_string())
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
            added: Vec::new(),
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

    /// The tenants of the last risk view, then the desks added here that it
    /// does not list yet (with the controls a new tenant starts with).
    pub fn tenants(&self) -> Vec<TenantView> {
        let Some(Ok(r)) = &self.risk else { return Vec::new() };
        let mut v = r.tenants.clone();
        for name in &self.added {
            if !v.iter().any(|t| t.tenant == *name) {
                v.push(new_tenant(r, name));
            }
        }
        v
    }

    /// The rows of the risk pane: each tenant followed by its user overrides.
    pub fn risk_rows(&self) -> Vec<RiskRow> {
        let known = |t: &str| matches!(&self.risk, Some(Ok(r)) if r.tenants.iter().any(|x| x.tenant == t));
        let mut rows = Vec::new();
        for t in self.tenants() {
            let new = !known(&t.tenant);
            let users: Vec<(String, Limits)> = t.users.clone();
            rows.push(RiskRow { tenant: t.clone(), user: None, new });
            rows.extend(users.into_iter().map(|u| RiskRow { tenant: t.clone(), user: Some(u), new }));
        }
        rows
    }

    /// The selected row of the risk pane.
    pub fn selected_row(&self) -> Option<RiskRow> {
        let mut rows = self.risk_rows();
        if rows.is_empty() {
            return None;
        }
        let i = self.tenant_sel.min(rows.len() - 1);
        Some(rows.swap_remove(i))
    }

    /// The selected tenant (the user's tenant on a user row).
    pub fn selected_tenant(&self) -> Option<TenantView> {
        self.selected_row().map(|r| r.tenant)
    }

    /// Selects the row of `tenant` (and `user`), if listed.
    pub fn select(&mut self, tenant: &str, user: Option<&str>) -> bool {
        let at = self
            .risk_rows()
            .iter()
            .position(|r| r.tenant.tenant == tenant && r.user.as_ref().map(|(u, _)| u.as_str()) == user);
        if let Some(i) = at {
            self.tenant_sel = i;
        }
        at.is_some()
    }

    /// Takes a new risk view, keeping the selection on its tenant and user
    /// while rows move (a desk added here is sorted in once the engine knows it).
    pub fn set_risk(&mut self, r: Result<RiskView, String>) {
        let was = self.selected_row().map(|r| (r.tenant.tenant, r.user.map(|(u, _)| u)));
        self.risk = Some(r);
        if let Some((t, u)) = was {
            self.select(&t, u.as_deref());
        }
    }

    /// Lists a desk the engine may not know yet; false if it is listed already.
    pub fn add_tenant(&mut self, name: &str) -> bool {
        if self.tenants().iter().any(|t| t.tenant == name) || self.added.iter().any(|a| a == name) {
            return false;
        }
        self.added.push(name.to_string());
        true
    }

    /// Takes an engine event into account: the alerts, and a desk refused
    /// because its execution is disabled is listed so it can be enabled.
    pub fn on_event(&mut self, e: &EngineEvent) {
        self.monitor.on_event(e);
        if let EventKind::Rejected { actor, code: RejectCode::ExecutionDisabled, .. } = &e.kind {
            self.add_tenant(&actor.tenant);
        }
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
            Section::Risk => self.tenant_sel = step(self.tenant_sel, self.risk_rows().len()),
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

/// How a tenant the engine has not seen yet would start.
fn new_tenant(r: &RiskView, name: &str) -> TenantView {
    TenantView {
        tenant: name.to_string(),
        execution_enabled: r.new_tenants_enabled,
        state: r.desk_state,
        limits: Limits::default(),
        users: Vec::new(),
        positions: Vec::new(),
        daily_notional: Vec::new(),
        open_orders: 0,
        changed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Actor;
    use crate::model::{Qty, Role, Timestamp};
    use crate::risk::TradingState;

    fn view(names: &[&str], new_enabled: bool) -> RiskView {
        let mut r = RiskView {
            tenants: Vec::new(),
            global_halt: false,
            desk_state: TradingState::Active,
            default_limits: Limits::default(),
            desk_changed: None,
            new_tenants_enabled: new_enabled,
        };
        for n in names {
            r.tenants.push(new_tenant(&r, n));
        }
        r
    }

    fn refused(tenant: &str, code: RejectCode) -> EngineEvent {
        let actor = Actor { user: "bob".into(), tenant: tenant.into(), role: Role::Advisor };
        let kind = EventKind::Rejected { actor, parent: None, code, field: None, message: "refused".into() };
        EngineEvent { seq: 1, ts: Timestamp(0), kind }
    }

    #[test]
    fn a_desk_added_by_name_is_listed_as_new_until_the_engine_knows_it() {
        let mut s = Supervisor::new(Default::default());
        s.set_risk(Ok(view(&["ws"], false)));
        assert!(s.add_tenant("az"));
        assert!(!s.add_tenant("az") && !s.add_tenant("ws"), "listed once");
        let rows = s.risk_rows();
        let names: Vec<(&str, bool, bool)> =
            rows.iter().map(|r| (r.tenant.tenant.as_str(), r.new, r.tenant.execution_enabled)).collect();
        assert_eq!(names, [("ws", false, false), ("az", true, false)], "a server starts new desks disabled");
        // Selected, then the engine learns it (sorted first): the selection follows it.
        assert!(s.select("az", None));
        s.set_risk(Ok(view(&["az", "ws"], false)));
        let sel = s.selected_row().unwrap();
        assert_eq!((sel.tenant.tenant.as_str(), sel.new), ("az", false));
        assert_eq!(s.risk_rows().len(), 2, "not listed twice");
        // On an embedded engine a new desk may trade at once.
        let mut e = Supervisor::new(Default::default());
        e.set_risk(Ok(view(&[], true)));
        e.add_tenant("hq");
        assert!(e.selected_tenant().unwrap().execution_enabled);
    }

    #[test]
    fn a_desk_refused_for_disabled_execution_is_listed_to_be_enabled() {
        let mut s = Supervisor::new(Default::default());
        s.set_risk(Ok(view(&["ws"], false)));
        s.on_event(&refused("risk", RejectCode::RiskLimit));
        assert_eq!(s.tenants().len(), 1, "another refusal lists nothing");
        s.on_event(&refused("az", RejectCode::ExecutionDisabled));
        let t: Vec<String> = s.tenants().into_iter().map(|t| t.tenant).collect();
        assert_eq!(t, ["ws", "az"]);
        let alert = &s.monitor.list()[0].text;
        assert!(alert.starts_with("desk az: order of bob refused, execution disabled"), "{alert}");
    }

    #[test]
    fn user_overrides_are_rows_under_their_desk() {
        let mut r = view(&["az", "ws"], true);
        let carol = Limits { max_order_qty: Some(Qty::from_int(10)), ..Limits::default() };
        r.tenants[1].users.push(("carol".into(), carol.clone()));
        let mut s = Supervisor::new(Default::default());
        s.set_risk(Ok(r));
        s.section = Section::Risk;
        let rows: Vec<(String, Option<String>)> =
            s.risk_rows().into_iter().map(|r| (r.tenant.tenant, r.user.map(|(u, _)| u))).collect();
        assert_eq!(rows, [("az".into(), None), ("ws".into(), None), ("ws".into(), Some("carol".into()))]);
        s.move_by(10, &[]);
        let sel = s.selected_row().unwrap();
        assert_eq!(sel.user, Some(("carol".into(), carol)));
        assert_eq!(s.selected_tenant().unwrap().tenant, "ws", "a user row acts on its desk");
    }

    #[test]
    fn names_are_checked_as_the_token_store_does() {
        assert_eq!(check_name("desk", "  az ").as_deref(), Ok("az"));
        assert!(check_name("desk", " ").unwrap_err().contains("type a desk name"));
        assert!(check_name("desk", "a z").unwrap_err().contains("without spaces"));
        assert!(check_name("user", &"x".repeat(65)).unwrap_err().contains("65 characters is too long"));
    }
}
