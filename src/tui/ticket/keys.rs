//! Keys in the order ticket: field moves, choices (side, algorithm, word
//! parameters) chosen from their lists, symbol completion (Tab completes
//! and moves on; an empty symbol takes the most recent), the review.

use super::super::action::Action;
use super::super::app::{App, Effect, market_of};
use super::{FieldId, Stage};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

impl App {
    pub(crate) fn ticket_key(&mut self, action: Option<Action>, ev: KeyEvent, out: &mut Vec<Effect>) {
        let (completable, recent) = {
            let m = self.market();
            let t = self.ticket.as_ref();
            let typed = t.map(|t| t.symbol.value().trim().to_string()).unwrap_or_default();
            let on_symbol = t.is_some_and(|t| t.focus == FieldId::Symbol && t.amending().is_none());
            (
                on_symbol && !typed.is_empty() && m.instrument(&typed).is_none(),
                (on_symbol && typed.is_empty()).then(|| self.recent.first().cloned()).flatten(),
            )
        };
        let Some(t) = self.ticket.as_mut() else { return };
        let before = t.snapshot();
        match action {
            Some(Action::Quit) => {
                self.ask_quit();
                return;
            }
            Some(Action::Dismiss) => {
                self.ticket = None;
                self.clear_note(super::super::note::Cause::Submission);
                return;
            }
            Some(Action::NextField) if completable => {
                let m = market_of(&self.instruments, self.clock.as_ref(), self.tz);
                // Tab accepts the first completion and moves on, like a shell.
                if let Some(t) = self.ticket.as_mut() {
                    t.complete(&m);
                    t.move_focus(1);
                }
            }
            Some(Action::NextField | Action::Complete) if recent.is_some() => {
                if let (Some(t), Some(r)) = (self.ticket.as_mut(), recent) {
                    t.symbol = Input::new(r);
                    if action == Some(Action::NextField) {
                        t.move_focus(1);
                    }
                }
            }
            Some(Action::Complete) => {
                let m = market_of(&self.instruments, self.clock.as_ref(), self.tz);
                if let Some(t) = self.ticket.as_mut() {
                    t.complete(&m);
                }
            }
            Some(Action::NextField) => t.move_focus(1),
            Some(Action::PrevField) => t.move_focus(-1),
            Some(Action::ChoiceNext | Action::ChoicePrev)
                if t.cycle_choice(if action == Some(Action::ChoiceNext) { 1 } else { -1 }) => {}
            Some(Action::Review) => {
                let m = market_of(&self.instruments, self.clock.as_ref(), self.tz);
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
                if let KeyCode::Char(c) = ev.code
                    && !ev.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                {
                    t.type_char(c);
                } else if let Some(req) = to_input_request(&Event::Key(ev)) {
                    t.edit(req);
                }
            }
        }
        let Some(t) = self.ticket.as_ref() else { return };
        if t.snapshot() != before {
            self.refresh_preview(out);
        }
    }
}
