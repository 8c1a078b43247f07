//! Pasted text (bracketed paste). It goes into the field being typed in, one
//! character at a time through that field's own filter, and never acts as
//! keys. A terminal without bracketed paste sends a paste as key presses:
//! `xy` pasted on the blotter cancels the selected order, and a line break in
//! the ticket opens the review, where a following `y` sends the order.

use super::app::{App, Effect, Level};
use super::keymap::Context;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The most characters one paste types (every field is shorter; a longer
/// paste is cut and the cut said).
pub const PASTE_MAX: usize = 256;

impl App {
    /// Handles one paste; returns the client calls it asks for (at most one preview).
    pub fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        let ctx = self.context();
        let typing = matches!(ctx, Context::Ticket | Context::Prompt | Context::Limits);
        if !typing || super::components::too_small(self.area_hint()) {
            self.say(Level::Warn, "paste ignored: no field is being typed in (n opens a ticket, / a filter)".into());
            return Vec::new();
        }
        // One line: the line breaks and tabs of a copied cell or row become spaces, the ends are trimmed.
        let line: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let n = line.chars().count();
        let mut out = Vec::new();
        let mut refused = None;
        for c in line.chars().take(PASTE_MAX) {
            let ev = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
            match ctx {
                Context::Ticket => {
                    if let Some(t) = self.ticket.as_mut() {
                        t.type_char(c);
                        // Each character clears the last one's refusal: the first one refused is kept.
                        refused = refused.or_else(|| t.refused.clone());
                    }
                }
                Context::Prompt => self.prompt(None, ev, &mut out),
                _ => self.limits_key(None, ev, &mut out),
            }
        }
        if let Some(t) = self.ticket.as_mut().filter(|_| ctx == Context::Ticket) {
            t.refused = refused;
            self.refresh_preview(&mut out);
        }
        if n > PASTE_MAX {
            self.say(Level::Warn, format!("paste cut to its first {PASTE_MAX} of {n} characters"));
        }
        out
    }
}
