//! Keys of the supervisor view and of its limit editor. Every change to a
//! tenant asks first (a yes/no question, or the tenant's name typed for its
//! kill switch); the limit editor sends nothing while a field is wrong.
//! Input code lives beside `input.rs`, so the view's state (`supervisor/`)
//! sits below the app and never imports it.

use super::action::Action;
use super::app::{App, Effect, Level, Overlay, Prompt, PromptKind, Question, View};
use super::supervisor::limits::Editor;
use super::supervisor::{Section, check_name, grouping_name};
use crate::risk::TradingState;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

impl App {
    /// A key in the supervisor view.
    pub(crate) fn supervisor_key(&mut self, a: Action, out: &mut Vec<Effect>) {
        let page = 10;
        match a {
            Action::SupervisorView | Action::Dismiss => self.view = View::Desk,
            Action::FocusNext | Action::FocusPrev => self.sup.cycle_section(a == Action::FocusNext),
            Action::Up => self.sup.move_by(-1, &self.orders),
            Action::Down => self.sup.move_by(1, &self.orders),
            Action::PageUp => self.sup.move_by(-page, &self.orders),
            Action::PageDown => self.sup.move_by(page, &self.orders),
            Action::Top => self.sup.move_by(i64::MIN / 2, &self.orders),
            Action::Bottom => self.sup.move_by(i64::MAX / 2, &self.orders),
            Action::TcaGrouping => {
                self.sup.next_grouping();
                let by = grouping_name(self.sup.tca_by);
                self.say(Level::Info, format!("TCA by {by}"));
            }
            Action::EditLimits => match self.sup.selected_row() {
                Some(r) => {
                    self.sup.editor = Some(match &r.user {
                        Some((u, l)) => Editor::new(&r.tenant.tenant, Some(u), l),
                        None => Editor::new(&r.tenant.tenant, None, &r.tenant.limits),
                    })
                }
                None => self.say(Level::Warn, "no tenant selected (the risk view is loading)".into()),
            },
            Action::AddTenant if self.sup.risk.is_none() => {
                self.say(Level::Warn, "the risk view is loading; add the desk once it shows".into())
            }
            Action::AddTenant => self.open_sup_prompt(PromptKind::AddTenant, None),
            Action::UserLimits => match self.sup.selected_tenant() {
                Some(t) => self.open_sup_prompt(PromptKind::UserLimits, Some(t.tenant)),
                None => self.say(Level::Warn, "no tenant selected".into()),
            },
            Action::GlobalState => self.open_sup_prompt(PromptKind::GlobalState, None),
            Action::SetActive | Action::SetReducing | Action::SetHalted => {
                let state = match a {
                    Action::SetActive => TradingState::Active,
                    Action::SetReducing => TradingState::Reducing,
                    _ => TradingState::Halted,
                };
                match self.sup.selected_tenant() {
                    Some(t) if t.state == state => self.say(Level::Info, format!("{} is already {state}", t.tenant)),
                    Some(t) => self.overlay = Some(Overlay::Question(Question::TradingState(t.tenant.clone(), state))),
                    None => self.say(Level::Warn, "no tenant selected".into()),
                }
            }
            Action::ToggleExecution => match self.sup.selected_tenant() {
                Some(t) => {
                    self.overlay = Some(Overlay::Question(Question::Execution(t.tenant.clone(), !t.execution_enabled)))
                }
                None => self.say(Level::Warn, "no tenant selected".into()),
            },
            Action::KillTenant => match self.sup.selected_tenant() {
                Some(t) => self.open_sup_prompt(PromptKind::KillTenant, Some(t.tenant)),
                None => self.say(Level::Warn, "no tenant selected".into()),
            },
            // The rest are the desk's keys (help, quit, speed, theme, kill-all).
            other => self.normal_key(other, out),
        }
    }

    fn open_sup_prompt(&mut self, kind: PromptKind, target: Option<String>) {
        self.overlay = Some(Overlay::Prompt(Prompt { kind, input: Input::default(), error: None, target }));
    }

    /// Enter in one of the supervisor's prompts: `Ok` closes it (with the
    /// effect to carry out, if any), `Err` says why it stays open.
    pub(crate) fn supervisor_prompt(
        &mut self,
        kind: PromptKind,
        text: &str,
        target: Option<&str>,
    ) -> Result<Option<Effect>, String> {
        match kind {
            PromptKind::AddTenant => {
                let name = check_name("desk", text)?;
                self.sup.section = Section::Risk;
                if !self.sup.add_tenant(&name) {
                    self.sup.select(&name, None);
                    self.say(Level::Info, format!("desk {name} is listed already: selected"));
                    return Ok(None);
                }
                self.sup.select(&name, None);
                let exec = match self.sup.selected_tenant() {
                    Some(t) if !t.execution_enabled => "its execution is OFF until you enable it (E)",
                    _ => "it may trade as soon as it sends orders",
                };
                self.say(Level::Info, format!("desk {name} listed: {exec}"));
                Ok(None)
            }
            PromptKind::UserLimits => {
                let user = check_name("user", text)?;
                let tenant = target.unwrap_or_default().to_string();
                let t = self.sup.tenants().into_iter().find(|t| t.tenant == tenant);
                let limits = t.and_then(|t| t.users.into_iter().find(|(u, _)| *u == user)).map(|(_, l)| l);
                self.sup.editor = Some(Editor::new(&tenant, Some(&user), &limits.unwrap_or_default()));
                Ok(None)
            }
            PromptKind::GlobalState => match text {
                "ACTIVE" => Ok(Some(Effect::SetGlobalState(TradingState::Active))),
                "REDUCING" => Ok(Some(Effect::SetGlobalState(TradingState::Reducing))),
                "HALTED" => Ok(Some(Effect::SetGlobalState(TradingState::Halted))),
                _ => Err("type ACTIVE, REDUCING or HALTED in capitals to set every desk, esc to change nothing".into()),
            },
            _ => Ok(None),
        }
    }

    /// A key in the limit editor.
    pub(crate) fn limits_key(&mut self, action: Option<Action>, ev: KeyEvent, out: &mut Vec<Effect>) {
        let instruments = &self.instruments;
        let Some(ed) = self.sup.editor.as_mut() else { return };
        match action {
            Some(Action::Quit) => self.normal_key(Action::Quit, out),
            Some(Action::Dismiss) => self.sup.editor = None,
            Some(Action::NextField) => ed.move_focus(1),
            Some(Action::PrevField) => ed.move_focus(-1),
            Some(Action::Confirm) => match ed.limits(instruments) {
                Ok(limits) => {
                    out.push(Effect::SetLimits(ed.tenant.clone(), ed.user.clone(), limits));
                    let whose = ed.whose();
                    self.sup.editor = None;
                    self.say(Level::Info, format!("saving the limits of {whose}"));
                }
                Err(errs) => {
                    // Nothing is sent: the cursor goes to the first wrong field.
                    if let Some(f) = errs.keys().next() {
                        ed.focus = *f;
                    }
                    ed.blocked = true;
                    self.say(Level::Error, format!("not saved: {} field(s) to fix, each says why", errs.len()));
                }
            },
            _ => {
                ed.blocked = false;
                match ev.code {
                    KeyCode::Char(c) if !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => {
                        ed.type_char(c)
                    }
                    _ => {
                        if let Some(req) = to_input_request(&Event::Key(ev)) {
                            ed.edit(req);
                        }
                    }
                }
            }
        }
    }

    /// The answer to a supervisor's question: the effect it asks for.
    pub(crate) fn supervisor_answer(q: &Question) -> Option<Effect> {
        match q {
            Question::TradingState(t, s) => Some(Effect::SetTradingState(t.clone(), *s)),
            Question::Execution(t, on) => Some(Effect::SetExecution(t.clone(), *on)),
            _ => None,
        }
    }
}
