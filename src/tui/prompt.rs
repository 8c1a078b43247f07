//! One-line prompts: the filter (applied as it is typed; esc puts the old
//! one back), the command palette, and the typed confirmations (KILL, a
//! desk's name, a trading state).

use super::action::Action;
use super::app::{App, Effect, Level, Overlay, PromptKind};
use super::input::KILL_WORD;
use super::palette::{self, Command};
use super::table::Filter;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

impl App {
    pub(crate) fn prompt(&mut self, action: Option<Action>, ev: KeyEvent, out: &mut Vec<Effect>) {
        let Some(Overlay::Prompt(p)) = &mut self.overlay else { return };
        match action {
            Some(Action::Quit) => self.ask_quit(),
            Some(Action::Dismiss) => {
                if p.kind == PromptKind::Filter {
                    // The filter was applied while typing: esc restores the one it started from.
                    let before = p.target.clone().unwrap_or_default();
                    self.table.filter = Filter::parse(&before).unwrap_or_default();
                    self.table.rebuild(&self.orders, &self.details);
                }
                self.overlay = None;
            }
            Some(Action::Complete) if p.kind == PromptKind::Command => {
                if let Some(c) = palette::complete(p.input.value()) {
                    p.input = Input::new(c);
                }
            }
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
                    PromptKind::Command => match palette::parse(&text) {
                        Ok(cmd) => {
                            self.overlay = None;
                            if let Err(e) = self.run_command(cmd, out) {
                                self.reopen_palette(&text, e);
                            }
                        }
                        Err(e) => p.error = Some(e),
                    },
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
                    if p.kind == PromptKind::Filter {
                        // Live: the blotter narrows as you type; a half-typed field waits quietly.
                        match Filter::parse(p.input.value()) {
                            Ok(f) => {
                                self.table.filter = f;
                                self.table.rebuild(&self.orders, &self.details);
                            }
                            Err(e) => p.error = Some(e),
                        }
                    }
                }
            }
        }
    }

    /// Carries out a palette command; `Err` reopens the palette with the reason.
    fn run_command(&mut self, cmd: Command, out: &mut Vec<Effect>) -> Result<(), String> {
        match cmd {
            Command::Jump(id) => {
                if self.table.select_parent(id, &self.orders, &self.details) {
                    return Ok(());
                }
                Err(if self.orders.iter().any(|o| o.order.id == id) {
                    format!("{id} is hidden by the filter '{}'", self.table.filter.text)
                } else {
                    format!("no order {id}")
                })
            }
            Command::Filter(text) => {
                let f = Filter::parse(&text)?;
                self.table.filter = f;
                self.table.rebuild(&self.orders, &self.details);
                Ok(())
            }
            Command::Bulk(bulk) => {
                let marked = self.table.marked_orders(&self.orders);
                let ids = if marked.is_empty() { self.table.shown_orders(&self.orders) } else { marked };
                self.ask_bulk(bulk, ids);
                Ok(())
            }
            Command::Theme(name) => {
                // An unknown name reopens the palette with the list, like every other palette error
                // (as a footer note the list was cut at 80 columns).
                if let Some(n) = &name
                    && super::theme::Theme::builtin(n).is_none()
                {
                    return Err(format!("theme '{n}' is not built in; allowed: {}", self.themes.join(", ")));
                }
                self.cycle_theme(name);
                Ok(())
            }
            Command::Speed(s) => {
                out.push(self.ask_speed(s));
                Ok(())
            }
            Command::Tz(tz) => {
                self.tz = tz;
                self.say(Level::Info, format!("times now in {} ({})", tz.name(), self.zone()));
                Ok(())
            }
            Command::Export(path) => {
                let csv = super::export::csv(self);
                let n = self.table.shown_orders(&self.orders).len();
                out.push(Effect::Export(path.clone().into(), csv));
                self.say(Level::Info, format!("exporting {n} orders to {path}"));
                Ok(())
            }
            Command::Columns => {
                self.overlay = Some(Overlay::Columns { cursor: 0 });
                Ok(())
            }
            Command::Log => {
                self.overlay = Some(Overlay::Log { scroll: 0 });
                Ok(())
            }
            Command::Tab(t) => {
                self.tab = t;
                self.focus = super::app::Pane::Detail;
                Ok(())
            }
            Command::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                Ok(())
            }
        }
    }

    fn reopen_palette(&mut self, text: &str, error: String) {
        self.open_prompt(PromptKind::Command);
        if let Some(Overlay::Prompt(p)) = &mut self.overlay {
            p.input = Input::new(text.to_string());
            p.error = Some(error);
        }
    }
}
