//! Keys to actions to state changes. The keymap decides what a key means in
//! the current context; keys it does not bind go to the focused text field
//! (ticket or prompt), never lost and never doubled. Prompts and the
//! command palette are in `prompt.rs`, the ticket's keys in `ticket/keys.rs`.

use super::action::Action;
use super::app::{App, Bulk, Effect, Level, Overlay, Pane, Prompt, PromptKind, Question, SPEEDS, Tab};
use super::keymap::{Context, Key};
use super::note::Cause;
use super::table::RowKey;
use super::ticket::{Stage, Ticket};
use crate::model::{ParentId, ParentStatus};
use crossterm::event::{KeyEvent, KeyEventKind};
use tui_input::Input;

/// Words the kill-all prompt wants typed.
pub const KILL_WORD: &str = "KILL";

impl App {
    /// Handles one key press; returns the client calls it asks for.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if ev.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let ctx = self.context();
        let key = Key::from_event(&ev);
        // While a demo plays its own keys come first on the desk and the supervisor view.
        let demo_key = (self.demo.is_some() && matches!(ctx, Context::Normal | Context::Supervisor))
            .then(|| self.keymap.lookup(Context::Demo, key))
            .flatten();
        let action = demo_key.or_else(|| self.keymap.lookup(ctx, key));
        let mut out = Vec::new();
        // Any key but the demo's own takes over from an unattended demo.
        if self.demo.as_ref().is_some_and(|d| d.auto) && !action.is_some_and(Action::needs_demo) {
            out.push(Effect::Demo(super::demo::DemoCmd::Manual));
            if let Some(d) = self.demo.as_mut() {
                d.auto = false;
            }
        }
        if super::components::too_small(self.area_hint()) {
            // Nothing is drawn but the size message and the quit question: only quitting acts.
            // Whatever else is open (a ticket under review, a cancel question, a prompt) waits
            // unseen and untouched, so no key sends or cancels an order nobody can read.
            // The message says q quits: it does from any context (a ticket would otherwise type it).
            let quit = action == Some(Action::Quit) || self.keymap.lookup(Context::Normal, key) == Some(Action::Quit);
            match &self.overlay {
                Some(Overlay::Question(Question::Quit { .. })) => {
                    self.confirm(if quit { Some(Action::Quit) } else { action }, &mut out)
                }
                _ if quit => self.ask_quit(),
                _ => {}
            }
            return out;
        }
        match ctx {
            Context::Normal | Context::Global | Context::Demo => {
                if let Some(a) = action {
                    self.normal_key(a, &mut out);
                }
            }
            Context::Supervisor => {
                if let Some(a) = action.filter(|a| self.offers(*a)) {
                    self.supervisor_key(a, &mut out);
                }
            }
            Context::Limits => self.limits_key(action, ev, &mut out),
            Context::Help => self.help(action),
            Context::Columns => self.columns_key(action),
            Context::Confirm => self.confirm(action, &mut out),
            Context::Prompt => self.prompt(action, ev, &mut out),
            Context::Ticket => self.ticket_key(action, ev, &mut out),
        }
        out
    }

    /// The size of the last frame (80x24 before the first).
    pub(crate) fn area_hint(&self) -> ratatui::layout::Rect {
        let a = self.hit.screen.get();
        if a.width == 0 { ratatui::layout::Rect::new(0, 0, 80, 24) } else { a }
    }

    /// A key on the desk (and the desk's keys the supervisor view shares).
    pub(crate) fn normal_key(&mut self, a: Action, out: &mut Vec<Effect>) {
        // A supervisor's key does nothing for anyone else; the view's own key
        // says why, so an advisor pressing it is not left guessing.
        if !self.offers(a) {
            if a == Action::SupervisorView {
                let role = self.identity.as_ref().map_or_else(|| "unknown yet".to_string(), |i| i.role.to_string());
                self.say(Level::Warn, format!("supervisor role required (SUPERVISOR or ADMIN); you are {role}"));
            }
            return;
        }
        let page = i64::from(self.table.height.get().max(1));
        match a {
            Action::Quit => self.ask_quit(),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::MessageLog => self.overlay = Some(Overlay::Log { scroll: 0 }),
            Action::NewOrder => self.open_ticket(Ticket::new(), out),
            Action::CloneOrder => match self.selected_order() {
                Some(o) => {
                    let t = Ticket::clone_of(o, self.tz);
                    let id = o.order.id;
                    self.open_ticket(t, out);
                    self.say(Level::Info, format!("ticket filled in from {id}: change what differs, enter reviews"));
                }
                None => self.say(Level::Warn, "no order selected to clone".into()),
            },
            Action::Amend => match self.selected_order() {
                Some(o) if !o.order.status.is_terminal() => {
                    let t = Ticket::amend(o);
                    self.open_ticket(t, out);
                }
                Some(o) => self.say(Level::Warn, format!("{} is {}: nothing to amend", o.order.id, o.order.status)),
                None => self.say(Level::Warn, "no order selected".into()),
            },
            Action::Cancel | Action::Pause | Action::Resume => {
                let bulk = match a {
                    Action::Cancel => Bulk::Cancel,
                    Action::Pause => Bulk::Pause,
                    _ => Bulk::Resume,
                };
                let marked = self.table.marked_orders(&self.orders);
                if marked.is_empty() {
                    self.single(bulk, out);
                } else {
                    self.ask_bulk(bulk, marked);
                }
            }
            Action::ResumeAll => {
                let ids: Vec<ParentId> = self
                    .table
                    .shown_orders(&self.orders)
                    .into_iter()
                    .filter(|id| self.status_of(*id).is_some_and(resumable))
                    .collect();
                if ids.is_empty() {
                    self.say(Level::Info, "no paused or interrupted order shown: nothing to resume".into());
                } else {
                    self.ask_bulk(Bulk::Resume, ids);
                }
            }
            Action::ToggleMark => {
                if let Some(id) = self.table.toggle_mark(&self.orders) {
                    let n = self.table.marked.len();
                    let word = if self.table.marked.contains(&id) { "marked" } else { "unmarked" };
                    self.say(Level::Info, format!("{id} {word}: {n} marked; x p r act on them, esc clears"));
                }
                self.table.move_by(1, &self.orders, &self.details);
            }
            Action::Visual => {
                let was = self.table.anchor.is_some();
                self.table.toggle_visual(&self.orders);
                let n = self.table.marked.len();
                self.say(
                    Level::Info,
                    if was {
                        format!("{n} marked; x p r act on them, esc clears")
                    } else {
                        "visual mode: move to mark a range, v again keeps it".into()
                    },
                );
            }
            Action::MarkShown => {
                let ids = self.table.shown_orders(&self.orders);
                let n = ids.len();
                self.table.marked.extend(ids);
                self.say(Level::Info, format!("{n} orders shown marked; x p r act on them, esc clears"));
            }
            Action::ClearMarks => {
                if self.offer.take().is_some() {
                    self.say(Level::Info, "offer dismissed: R still resumes what is shown".into());
                } else if !self.table.marked.is_empty() || self.table.anchor.is_some() {
                    self.table.clear_marks();
                    self.say(Level::Info, "marks cleared".into());
                }
            }
            Action::KillAll => self.open_prompt(PromptKind::KillAll),
            Action::SpeedUp | Action::SpeedDown => {
                let i = SPEEDS.iter().position(|s| *s >= self.speed).unwrap_or(SPEEDS.len() - 1);
                let j = if a == Action::SpeedUp { (i + 1).min(SPEEDS.len() - 1) } else { i.saturating_sub(1) };
                out.push(self.ask_speed(SPEEDS[j]));
            }
            Action::FocusNext | Action::FocusPrev => {
                self.focus = if self.focus == Pane::Blotter { Pane::Detail } else { Pane::Blotter }
            }
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0) as i32;
                let d = if a == Action::NextTab { 1 } else { -1 };
                self.tab = Tab::ALL[((i + d).rem_euclid(Tab::ALL.len() as i32)) as usize];
            }
            Action::TabVenues => self.tab = Tab::Venues,
            Action::TabTca => self.tab = Tab::Tca,
            Action::TabAlerts => self.tab = Tab::Alerts,
            Action::TabPositions => self.tab = Tab::Positions,
            Action::Zoom => self.zoom = !self.zoom,
            Action::Up => self.table.move_by(-1, &self.orders, &self.details),
            Action::Down => self.table.move_by(1, &self.orders, &self.details),
            Action::PageUp => self.table.move_by(-page, &self.orders, &self.details),
            Action::PageDown => self.table.move_by(page, &self.orders, &self.details),
            Action::Top => self.table.move_by(i64::MIN / 2, &self.orders, &self.details),
            Action::Bottom => self.table.move_by(i64::MAX / 2, &self.orders, &self.details),
            Action::Expand | Action::Collapse => {
                if let Some(RowKey::Parent(id)) | Some(RowKey::Child(crate::model::ChildId { parent: id, .. })) =
                    self.table.selected
                {
                    let open = self.table.expanded.contains(&id);
                    if a == Action::Collapse || open {
                        self.table.expanded.remove(&id);
                        self.table.selected = Some(RowKey::Parent(id));
                    } else {
                        self.table.expanded.insert(id);
                    }
                    self.table.rebuild(&self.orders, &self.details);
                }
            }
            Action::Sort => {
                self.table.sort = self.table.sort.next();
                self.table.rebuild(&self.orders, &self.details);
                let dir = if self.table.descending { "descending" } else { "ascending" };
                self.say(Level::Info, format!("sorted by {} ({dir}); S reverses", self.table.sort.label()));
            }
            Action::SortReverse => {
                self.table.descending = !self.table.descending;
                self.table.rebuild(&self.orders, &self.details);
            }
            Action::Columns => self.overlay = Some(Overlay::Columns { cursor: 0 }),
            Action::ScrollLeft => self.columns.scroll(-1),
            Action::ScrollRight if self.hit.hidden_right.get() > 0 => self.columns.scroll(1),
            Action::Filter => {
                self.open_prompt(PromptKind::Filter);
                if let Some(Overlay::Prompt(p)) = &mut self.overlay {
                    p.input = Input::new(self.table.filter.text.clone());
                    // Esc puts back the filter the prompt started from.
                    p.target = Some(self.table.filter.text.clone());
                }
            }
            Action::Jump | Action::Command => self.open_prompt(PromptKind::Command),
            Action::CopyId => match self.table.selected {
                Some(k) => {
                    let id = match k {
                        RowKey::Parent(p) => p.to_string(),
                        RowKey::Child(c) => c.to_string(),
                    };
                    self.say(Level::Info, format!("copied {id} to the clipboard"));
                    out.push(Effect::Copy(id));
                }
                None => self.say(Level::Warn, "no order selected".into()),
            },
            Action::CycleTheme => self.cycle_theme(None),
            Action::SupervisorView => self.view = super::app::View::Supervisor,
            Action::DemoNext => out.push(Effect::Demo(super::demo::DemoCmd::Next)),
            Action::DemoLeave => {
                out.push(Effect::Demo(super::demo::DemoCmd::Leave));
                self.say(Level::Info, "left the demo script: the desk is yours".into());
            }
            _ => {}
        }
    }

    /// The status of an order by id.
    pub(crate) fn status_of(&self, id: ParentId) -> Option<ParentStatus> {
        self.orders.iter().find(|o| o.order.id == id).map(|o| o.order.status)
    }

    /// Cancel, pause or resume the selected order.
    fn single(&mut self, bulk: Bulk, out: &mut Vec<Effect>) {
        let Some(o) = self.selected_order() else {
            self.say(Level::Warn, "no order selected".into());
            return;
        };
        let (id, status) = (o.order.id, o.order.status);
        match bulk {
            Bulk::Cancel if status.is_terminal() => self.say(Level::Warn, format!("{id} is already {status}")),
            Bulk::Cancel => self.overlay = Some(Overlay::Question(Question::Cancel(id))),
            Bulk::Pause => out.push(Effect::Pause(id)),
            Bulk::Resume => out.push(Effect::Resume(id)),
        }
    }

    /// Asks before acting on several orders; those the action cannot apply to are left out and said so.
    pub(crate) fn ask_bulk(&mut self, bulk: Bulk, ids: Vec<ParentId>) {
        let applies = |s: ParentStatus| match bulk {
            Bulk::Cancel => !s.is_terminal(),
            Bulk::Pause => matches!(s, ParentStatus::Working | ParentStatus::Pending),
            Bulk::Resume => resumable(s),
        };
        let (ok, skipped): (Vec<ParentId>, Vec<ParentId>) =
            ids.into_iter().partition(|id| self.status_of(*id).is_some_and(applies));
        if ok.is_empty() {
            self.say(Level::Warn, format!("none of the {} orders can be {} now", skipped.len(), bulk.done()));
            return;
        }
        if !skipped.is_empty() {
            self.say(Level::Info, format!("{} of them cannot be {} now and are left out", skipped.len(), bulk.done()));
        }
        self.overlay = Some(Overlay::Question(Question::Bulk(bulk, ok)));
    }

    /// Carries out a confirmed bulk action: one call per order.
    pub(crate) fn run_bulk(&mut self, bulk: Bulk, ids: &[ParentId], out: &mut Vec<Effect>) {
        for id in ids {
            out.push(match bulk {
                Bulk::Cancel => Effect::Cancel(*id),
                Bulk::Pause => Effect::Pause(*id),
                Bulk::Resume => Effect::Resume(*id),
            });
        }
        self.table.clear_marks();
        if bulk == Bulk::Resume {
            self.offer = None;
        }
        self.say(Level::Info, format!("{} {} orders: the alerts say if any is refused", bulk.verb(), ids.len()));
    }

    pub(crate) fn ask_quit(&mut self) {
        let working = self.open_count();
        if working == 0 || matches!(self.overlay, Some(Overlay::Question(Question::Quit { .. }))) {
            self.quit = true;
        } else {
            self.overlay = Some(Overlay::Question(Question::Quit { working }));
        }
    }

    /// Switches to `name`, or to the next built-in theme. With `NO_COLOR` set
    /// there is nothing to switch: it says so instead of pretending.
    pub(crate) fn cycle_theme(&mut self, name: Option<String>) {
        if super::theme::no_color_requested() || self.theme.name.ends_with("(NO_COLOR)") {
            self.say(Level::Warn, "NO_COLOR is set: colours are off (monochrome); unset it for themes".into());
            return;
        }
        let name = name.unwrap_or_else(|| {
            let i = self.themes.iter().position(|n| *n == self.theme.name).map_or(0, |i| i + 1);
            self.themes[i % self.themes.len()].clone()
        });
        match super::theme::Theme::builtin(&name) {
            Some(t) => {
                self.theme = t;
                self.say(Level::Info, format!("theme {name}"));
            }
            None => self.say(Level::Warn, format!("theme {name} is not built in; allowed: {}", self.themes.join(", "))),
        }
    }

    pub(crate) fn open_prompt(&mut self, kind: PromptKind) {
        self.overlay = Some(Overlay::Prompt(Prompt { kind, input: Input::default(), error: None, target: None }));
    }

    pub(crate) fn open_ticket(&mut self, t: Ticket, out: &mut Vec<Effect>) {
        self.ticket = Some(t);
        self.refresh_preview(out);
    }

    /// Asks for a new schedule preview (and book) when the ticket describes a valid order.
    pub fn refresh_preview(&mut self, out: &mut Vec<Effect>) {
        let Some(t) = &self.ticket else { return };
        self.preview_gen += 1;
        let m = self.market();
        let symbol = m.instrument(t.symbol.value()).map(|i| i.symbol.to_string());
        // An amendment is estimated as its residual (what is left after the fills).
        let req = if t.amending().is_some() { t.residual_request(&m) } else { t.request(&m).ok() };
        if req.is_none()
            && let Some(t) = self.ticket.as_mut()
        {
            t.preview.slices = None;
            t.remote_error = None;
        }
        if req.is_some() || symbol.is_some() {
            out.push(Effect::Preview(self.preview_gen, req, symbol));
        }
    }

    fn help(&mut self, action: Option<Action>) {
        const PAGE: i32 = 10;
        // Kept within what the last frame could show: past the end, ↑ moved nothing for as
        // many presses as ↓ had gone too far.
        let max = i32::from(self.hit.overlay_scroll_max.get());
        let (scroll, back_in_time) = match &mut self.overlay {
            Some(Overlay::Help { scroll }) => (scroll, false),
            // The log counts back from the newest line at the bottom: ↑ goes back in time.
            Some(Overlay::Log { scroll }) => (scroll, true),
            _ => return,
        };
        let down = match action {
            Some(Action::Down) => 1,
            Some(Action::Up) => -1,
            Some(Action::PageDown) => PAGE,
            Some(Action::PageUp) => -PAGE,
            Some(Action::Top) => -max,
            Some(Action::Bottom) => max,
            Some(Action::Dismiss) | Some(Action::Help) => {
                self.overlay = None;
                return;
            }
            Some(Action::Quit) => {
                self.ask_quit();
                return;
            }
            _ => return,
        };
        let delta = if back_in_time { -down } else { down };
        let next = (i32::from(*scroll) + delta).clamp(0, max);
        *scroll = u16::try_from(next).unwrap_or(0);
    }

    fn columns_key(&mut self, action: Option<Action>) {
        let Some(Overlay::Columns { cursor }) = &mut self.overlay else { return };
        let n = super::columns::Col::ALL.len();
        match action {
            Some(Action::Down) => *cursor = (*cursor + 1).min(n - 1),
            Some(Action::Up) => *cursor = cursor.saturating_sub(1),
            Some(Action::ToggleMark) => {
                let c = super::columns::Col::ALL[*cursor];
                self.columns.toggle(c);
            }
            Some(Action::Dismiss) => self.overlay = None,
            Some(Action::Quit) => self.ask_quit(),
            _ => {}
        }
    }

    fn confirm(&mut self, action: Option<Action>, out: &mut Vec<Effect>) {
        let question = match &self.overlay {
            Some(Overlay::Question(q)) => Some(q.clone()),
            _ => None,
        };
        match (action, question) {
            (Some(Action::Quit), Some(Question::Quit { .. })) => self.quit = true,
            (Some(Action::Quit), _) => self.ask_quit(),
            (Some(Action::Confirm), Some(Question::Cancel(id))) => {
                self.overlay = None;
                out.push(Effect::Cancel(id));
            }
            (Some(Action::Confirm), Some(Question::Bulk(bulk, ids))) => {
                self.overlay = None;
                self.run_bulk(bulk, &ids, out);
            }
            (Some(Action::Confirm), Some(Question::Quit { .. })) => self.quit = true,
            (Some(Action::Confirm), Some(Question::Risk(req, _))) => {
                self.overlay = None;
                out.push(Effect::Submit(crate::engine::OrderRequest { acknowledge_warnings: true, ..*req }));
            }
            (Some(Action::Confirm), Some(q @ (Question::TradingState(..) | Question::Execution(..)))) => {
                self.overlay = None;
                out.extend(App::supervisor_answer(&q));
            }
            (Some(Action::Dismiss), Some(_)) => self.overlay = None,
            (Some(Action::Confirm), None) => self.send_ticket(out),
            (Some(Action::Dismiss), None) => {
                if let Some(t) = self.ticket.as_mut() {
                    t.stage = Stage::Edit;
                }
            }
            _ => {}
        }
    }

    fn send_ticket(&mut self, out: &mut Vec<Effect>) {
        let Some(t) = self.ticket.take() else { return };
        let m = self.market();
        match (t.amending(), t.amending().map(|_| t.amendment(&m)), t.request(&m)) {
            (Some(id), Some(Ok(Some(a))), _) => out.push(Effect::Amend(id, a)),
            (Some(id), Some(Ok(None)), _) => self.say(Level::Info, format!("{id}: nothing changed")),
            (None, _, Ok(req)) => {
                self.remember_symbol(&req.symbol);
                self.clear_note(Cause::Submission);
                self.sent = Some(t);
                out.push(Effect::Submit(req));
            }
            _ => {
                // Still invalid (data changed under the review): back to editing.
                let mut t = t;
                t.stage = Stage::Edit;
                self.ticket = Some(t);
            }
        }
    }
}

/// An order `R` can resume: paused by a user or a kill switch, or interrupted by a restart.
pub fn resumable(s: ParentStatus) -> bool {
    matches!(s, ParentStatus::Paused | ParentStatus::Interrupted)
}

#[cfg(test)]
mod tests;
