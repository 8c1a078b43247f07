//! Keys to actions to state changes. The keymap decides what a key means in
//! the current context; keys it does not bind go to the focused text field
//! (ticket or prompt), never lost and never doubled.

use super::action::Action;
use super::app::{App, Effect, Level, Overlay, Pane, Prompt, PromptKind, Question, SPEEDS, Tab};
use super::keymap::{Context, Key};
use super::table::{Filter, RowKey};
use super::ticket::{Stage, Ticket};
use crate::model::ParentId;
use crossterm::event::{Event, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

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
        let action = self.keymap.lookup(ctx, key);
        let mut out = Vec::new();
        // Any key but the demo's own takes over from an unattended demo.
        if self.demo.as_ref().is_some_and(|d| d.auto) && !action.is_some_and(Action::needs_demo) {
            out.push(Effect::Demo(super::demo::DemoCmd::Manual));
            if let Some(d) = self.demo.as_mut() {
                d.auto = false;
            }
        }
        match ctx {
            Context::Normal | Context::Global => {
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
            Context::Confirm => self.confirm(action, &mut out),
            Context::Prompt => self.prompt(action, ev, &mut out),
            Context::Ticket => self.ticket_key(action, ev, &mut out),
        }
        out
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
            Action::NewOrder => self.open_ticket(Ticket::new(), out),
            Action::Amend => match self.selected_order() {
                Some(o) if !o.order.status.is_terminal() => {
                    let t = Ticket::amend(o);
                    self.open_ticket(t, out);
                }
                Some(o) => self.say(Level::Warn, format!("{} is {}: nothing to amend", o.order.id, o.order.status)),
                None => self.say(Level::Warn, "no order selected".into()),
            },
            Action::Cancel => match self.selected_order() {
                Some(o) if !o.order.status.is_terminal() => {
                    self.overlay = Some(Overlay::Question(Question::Cancel(o.order.id)))
                }
                Some(o) => self.say(Level::Warn, format!("{} is already {}", o.order.id, o.order.status)),
                None => self.say(Level::Warn, "no order selected".into()),
            },
            Action::Pause | Action::Resume => match self.selected_order() {
                Some(o) => {
                    out.push(if a == Action::Pause { Effect::Pause(o.order.id) } else { Effect::Resume(o.order.id) })
                }
                None => self.say(Level::Warn, "no order selected".into()),
            },
            Action::KillAll => self.open_prompt(PromptKind::KillAll),
            Action::SpeedUp | Action::SpeedDown => {
                let i = SPEEDS.iter().position(|s| *s >= self.speed).unwrap_or(SPEEDS.len() - 1);
                let j = if a == Action::SpeedUp { (i + 1).min(SPEEDS.len() - 1) } else { i.saturating_sub(1) };
                self.speed = SPEEDS[j];
                out.push(Effect::SetSpeed(self.speed));
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
                self.say(Level::Info, format!("sorted by {}", self.table.sort.label()));
            }
            Action::SortReverse => {
                self.table.descending = !self.table.descending;
                self.table.rebuild(&self.orders, &self.details);
            }
            Action::Filter => {
                self.open_prompt(PromptKind::Filter);
                if let Some(Overlay::Prompt(p)) = &mut self.overlay {
                    p.input = Input::new(self.table.filter.text.clone());
                }
            }
            Action::Jump => self.open_prompt(PromptKind::Jump),
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
            Action::CycleTheme => self.cycle_theme(),
            Action::SupervisorView => self.view = super::app::View::Supervisor,
            Action::DemoNext => out.push(Effect::Demo(super::demo::DemoCmd::Next)),
            Action::DemoLeave => {
                out.push(Effect::Demo(super::demo::DemoCmd::Leave));
                self.say(Level::Info, "left the demo script: the desk is yours".into());
            }
            _ => {}
        }
    }

    fn say(&mut self, level: Level, text: String) {
        self.note = Some((level, text));
    }

    fn ask_quit(&mut self) {
        let working = self.open_count();
        if working == 0 || matches!(self.overlay, Some(Overlay::Question(Question::Quit { .. }))) {
            self.quit = true;
        } else {
            self.overlay = Some(Overlay::Question(Question::Quit { working }));
        }
    }

    fn cycle_theme(&mut self) {
        let i = self.themes.iter().position(|n| *n == self.theme.name).map_or(0, |i| i + 1);
        let name = self.themes[i % self.themes.len()].clone();
        match super::theme::Theme::builtin(&name) {
            Some(t) => {
                self.theme = t;
                self.say(Level::Info, format!("theme {name}"));
            }
            None => self.say(Level::Warn, format!("theme {name} is not built in")),
        }
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        self.overlay = Some(Overlay::Prompt(Prompt { kind, input: Input::default(), error: None, target: None }));
    }

    fn open_ticket(&mut self, t: Ticket, out: &mut Vec<Effect>) {
        self.ticket = Some(t);
        self.refresh_preview(out);
    }

    /// Asks for a new schedule preview (and book) when the ticket describes a valid order.
    pub fn refresh_preview(&mut self, out: &mut Vec<Effect>) {
        let Some(t) = &self.ticket else { return };
        self.preview_gen += 1;
        let m = self.market();
        let symbol = m.instrument(t.symbol.value()).map(|i| i.symbol.to_string());
        let req = if t.amending().is_some() { None } else { t.request(&m).ok() };
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
        let Some(Overlay::Help { scroll }) = &mut self.overlay else { return };
        match action {
            Some(Action::Down) => *scroll = scroll.saturating_add(1),
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::Dismiss) | Some(Action::Help) => self.overlay = None,
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

    fn prompt(&mut self, action: Option<Action>, ev: KeyEvent, out: &mut Vec<Effect>) {
        let Some(Overlay::Prompt(p)) = &mut self.overlay else { return };
        match action {
            Some(Action::Quit) => self.ask_quit(),
            Some(Action::Dismiss) => self.overlay = None,
            Some(Action::Confirm) => {
                let text = p.input.value().trim().to_string();
                match p.kind {
                    PromptKind::Filter => match Filter::parse(&text) {
                        Ok(f) => {
                            self.table.filter = f;
                            self.overlay = None;
                            self.table.rebuild(&self.orders, &self.details);
                        }
                        Err(e) => p.error = Some(e),
                    },
                    PromptKind::Jump => {
                        let parsed = text.parse::<ParentId>().or_else(|_| text.parse::<u64>().map(ParentId::local));
                        match parsed {
                            Ok(id) if self.table.select_parent(id, &self.orders, &self.details) => self.overlay = None,
                            Ok(id) if self.orders.iter().any(|o| o.order.id == id) => {
                                p.error = Some(format!("{id} is hidden by the filter '{}'", self.table.filter.text))
                            }
                            Ok(id) => p.error = Some(format!("no order {id}")),
                            Err(_) => p.error = Some(format!("'{text}' is not an order id; allowed: P17 or 17")),
                        }
                    }
                    PromptKind::KillTenant => {
                        let tenant = p.target.clone().unwrap_or_default();
                        if !tenant.is_empty() && text == tenant {
                            self.overlay = None;
                            out.push(Effect::KillTenant(tenant));
                        } else {
                            p.error =
                                Some(format!("type {tenant} exactly to kill desk {tenant}, esc to keep it trading"));
                        }
                    }
                    kind @ (PromptKind::AddTenant | PromptKind::UserLimits | PromptKind::GlobalState) => {
                        let target = p.target.clone();
                        match self.supervisor_prompt(kind, &text, target.as_deref()) {
                            Ok(effect) => {
                                self.overlay = None;
                                out.extend(effect);
                            }
                            Err(e) => {
                                if let Some(Overlay::Prompt(p)) = &mut self.overlay {
                                    p.error = Some(e);
                                }
                            }
                        }
                    }
                    PromptKind::KillAll => {
                        if text == KILL_WORD {
                            self.overlay = None;
                            out.push(Effect::KillAll);
                        } else {
                            p.error = Some(format!("type {KILL_WORD} in capitals to kill all, esc to keep trading"));
                        }
                    }
                }
            }
            _ => {
                if let Some(req) = to_input_request(&Event::Key(ev)) {
                    p.input.handle(req);
                    p.error = None;
                }
            }
        }
    }

    fn ticket_key(&mut self, action: Option<Action>, ev: KeyEvent, out: &mut Vec<Effect>) {
        let m_has_completion = {
            let m = self.market();
            self.ticket.as_ref().is_some_and(|t| {
                t.focus == super::ticket::FieldId::Symbol
                    && m.instrument(t.symbol.value()).is_none()
                    && !t.symbol.value().is_empty()
            })
        };
        let Some(t) = self.ticket.as_mut() else { return };
        let before =
            (t.symbol.value().to_string(), t.side, t.qty.value().to_string(), t.algo, t.limit.value().to_string());
        let before_params: Vec<String> = t.params.values().map(|i| i.value().to_string()).collect();
        let before_times = (t.start.value().to_string(), t.end.value().to_string());
        match action {
            Some(Action::Quit) => {
                self.ask_quit();
                return;
            }
            Some(Action::Dismiss) => {
                self.ticket = None;
                return;
            }
            Some(Action::NextField) if m_has_completion => {
                let m = super::app::market_of(&self.instruments, self.clock.as_ref());
                // Tab accepts the first completion and moves on, like a shell.
                if let Some(t) = self.ticket.as_mut() {
                    t.complete(&m);
                    t.move_focus(1);
                }
            }
            Some(Action::Complete) => {
                let m = super::app::market_of(&self.instruments, self.clock.as_ref());
                if let Some(t) = self.ticket.as_mut() {
                    t.complete(&m);
                }
            }
            Some(Action::NextField) => t.move_focus(1),
            Some(Action::PrevField) => t.move_focus(-1),
            Some(Action::ChoiceNext | Action::ChoicePrev)
                if t.cycle_choice(if action == Some(Action::ChoiceNext) { 1 } else { -1 }) => {}
            Some(Action::Review) => {
                let m = super::app::market_of(&self.instruments, self.clock.as_ref());
                if let Some(t) = self.ticket.as_mut() {
                    let errs = t.errors(&m);
                    if let Some(f) = errs.keys().next() {
                        t.focus = *f;
                    } else if let (Some((f, _)), None) = (&t.remote_error, t.amending()) {
                        t.focus = *f;
                    } else {
                        t.stage = Stage::Review;
                    }
                }
                return;
            }
            _ => {
                if let crossterm::event::KeyCode::Char(c) = ev.code
                    && !ev
                        .modifiers
                        .intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT)
                {
                    t.type_char(c);
                } else if let Some(req) = to_input_request(&Event::Key(ev)) {
                    t.edit(req);
                }
            }
        }
        let Some(t) = self.ticket.as_ref() else { return };
        let after =
            (t.symbol.value().to_string(), t.side, t.qty.value().to_string(), t.algo, t.limit.value().to_string());
        let after_params: Vec<String> = t.params.values().map(|i| i.value().to_string()).collect();
        let after_times = (t.start.value().to_string(), t.end.value().to_string());
        if before != after || before_params != after_params || before_times != after_times {
            self.refresh_preview(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::Keymap;
    use crate::tui::scenario::synthetic_rows;
    use crate::tui::theme::Theme;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn app() -> App {
        let mut a = App::new("embedded".into(), Theme::dark(), Keymap::defaults(), 10.0);
        let (orders, details) = synthetic_rows(12, 3);
        a.set_orders(orders, details);
        a.table.height.set(5);
        a
    }

    fn key(a: &mut App, k: &str) -> Vec<Effect> {
        let k: super::super::keymap::Key = k.parse().unwrap();
        a.on_key(KeyEvent::new(k.code, k.mods))
    }

    fn typed(a: &mut App, s: &str) {
        for c in s.chars() {
            a.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn kill_all_needs_the_word_typed() {
        let mut a = app();
        key(&mut a, "K");
        typed(&mut a, "kill");
        assert!(key(&mut a, "enter").is_empty());
        assert!(
            matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("KILL")))
        );
        key(&mut a, "esc");
        key(&mut a, "K");
        typed(&mut a, KILL_WORD);
        assert_eq!(key(&mut a, "enter"), vec![Effect::KillAll]);
        assert!(a.overlay.is_none());
    }

    #[test]
    fn cancel_asks_first_and_quit_warns_while_orders_work() {
        let mut a = app();
        let id = a.selected_order().unwrap().order.id;
        assert!(key(&mut a, "x").is_empty());
        assert_eq!(key(&mut a, "y"), vec![Effect::Cancel(id)]);
        key(&mut a, "q");
        assert!(!a.quit && matches!(a.overlay, Some(Overlay::Question(Question::Quit { .. }))));
        key(&mut a, "n");
        assert!(a.overlay.is_none() && !a.quit);
        key(&mut a, "ctrl-c");
        key(&mut a, "ctrl-c");
        assert!(a.quit, "ctrl-c twice quits even with orders working");
    }

    #[test]
    fn jump_filter_expand_and_speed() {
        let mut a = app();
        key(&mut a, ":");
        typed(&mut a, "P3");
        key(&mut a, "enter");
        assert_eq!(a.table.selected, Some(RowKey::Parent(ParentId::local(3))));
        key(&mut a, ":");
        typed(&mut a, "P99");
        key(&mut a, "enter");
        assert!(matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref() == Some("no order P99")));
        key(&mut a, "esc");
        key(&mut a, "enter");
        assert!(a.table.expanded.contains(&ParentId::local(3)));
        key(&mut a, "down");
        assert!(matches!(a.table.selected, Some(RowKey::Child(c)) if c.parent == ParentId::local(3)));
        key(&mut a, "left");
        assert_eq!(a.table.selected, Some(RowKey::Parent(ParentId::local(3))));
        key(&mut a, "/");
        typed(&mut a, "venue:X");
        key(&mut a, "enter");
        assert!(
            matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("not a filter field")))
        );
        assert_eq!(key(&mut a, "esc"), vec![]);
        assert_eq!(key(&mut a, "+"), vec![Effect::SetSpeed(30.0)]);
        assert_eq!(key(&mut a, "-"), vec![Effect::SetSpeed(10.0)]);
        assert!(matches!(key(&mut a, "y").as_slice(), [Effect::Copy(id)] if id == "P3"));
    }

    #[test]
    fn a_risk_warning_is_sent_again_only_when_acknowledged() {
        let mut a = app();
        let req = crate::tui::scenario::demo_orders().remove(0);
        a.on_msg(super::super::app::Msg::RiskWarning(Box::new(req.clone()), "pct_adv 12% above 10%".into()));
        assert_eq!(a.context(), Context::Confirm);
        assert!(key(&mut a, "n").is_empty() && a.overlay.is_none(), "no: nothing is sent");
        a.on_msg(super::super::app::Msg::RiskWarning(Box::new(req.clone()), "pct_adv 12% above 10%".into()));
        let sent = key(&mut a, "y");
        assert_eq!(sent, vec![Effect::Submit(crate::engine::OrderRequest { acknowledge_warnings: true, ..req })]);
    }

    #[test]
    fn the_ticket_sends_only_after_the_review() {
        let mut a = app();
        a.instruments = vec![crate::engine::view::InstrumentView {
            symbol: "AAPL".into(),
            name: "Apple Inc.".into(),
            asset_class: crate::model::AssetClass::Equity,
            currency: "USD".into(),
            tick_size: crate::model::Price::parse("0.01").unwrap(),
            lot_size: crate::model::Qty::from_int(1),
            adv: crate::model::Qty::from_int(55_000_000),
            open_today: true,
        }];
        key(&mut a, "n");
        typed(&mut a, "AA");
        key(&mut a, "tab");
        assert_eq!(a.ticket.as_ref().unwrap().symbol.value(), "AAPL", "tab completes");
        key(&mut a, "tab");
        typed(&mut a, "2k");
        let review = key(&mut a, "enter");
        assert!(review.iter().all(|e| matches!(e, Effect::Preview(..))), "nothing is sent before the review");
        assert_eq!(a.context(), Context::Confirm);
        let sent = key(&mut a, "y");
        assert!(
            matches!(sent.as_slice(), [Effect::Submit(r)] if r.qty == crate::model::Qty::from_int(2_000) && &*r.symbol == "AAPL")
        );
        assert!(a.ticket.is_none());
    }
}
