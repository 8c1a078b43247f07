//! Keys as data: the compiled-in defaults (`keymaps/default.toml`), an
//! optional preset (`keymaps/vim.toml`) and the user's `keymap.toml`, each
//! merged over the last. Every binding carries the description the help
//! overlay and the hint bar show.

use super::action::Action;
use super::theme::{line_defining, toml_error};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The default bindings.
pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");
/// Presets merged over the defaults by name.
pub const PRESETS: [(&str, &str); 2] = [("default", ""), ("vim", include_str!("../../keymaps/vim.toml"))];

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Everywhere, even while typing.
    Global,
    /// Blotter and detail panes.
    Normal,
    /// The order ticket.
    Ticket,
    /// Yes/no questions and the order review.
    Confirm,
    /// One-line prompts.
    Prompt,
    /// The help overlay.
    Help,
    /// The supervisor view (SUPERVISOR and ADMIN only).
    Supervisor,
    /// The supervisor's risk-limit editor.
    Limits,
    /// The blotter's column chooser.
    Columns,
    /// While `blotter demo` plays: looked up before the desk's and the supervisor view's keys.
    Demo,
}

impl Context {
    /// Every context, in help order.
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Normal,
        Context::Demo,
        Context::Ticket,
        Context::Confirm,
        Context::Prompt,
        Context::Columns,
        Context::Help,
        Context::Supervisor,
        Context::Limits,
    ];
    /// Only SUPERVISOR and ADMIN reach it (the help overlay hides it from anyone else).
    pub fn needs_supervisor(self) -> bool {
        matches!(self, Context::Supervisor | Context::Limits)
    }
    /// Heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Normal => "Blotter and panes",
            Context::Ticket => "Order ticket",
            Context::Confirm => "Questions and order review",
            Context::Prompt => "Prompts (filter, command palette, kill-all)",
            Context::Help => "This help and the message log",
            Context::Columns => "Column chooser",
            Context::Demo => "Demo (while the script plays)",
            Context::Supervisor => "Supervisor view (all desks)",
            Context::Limits => "Risk limit editor",
        }
    }
}

/// A key with its modifiers, normalised (an upper-case letter carries no SHIFT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl and Alt only.
    pub mods: KeyModifiers,
}

impl Key {
    /// Normalises a terminal key event.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::BackTab => KeyCode::BackTab,
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            KeyCode::Char(' ') if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(' '),
            KeyCode::Null => {
                // Many terminals send ctrl-space as NUL.
                mods |= KeyModifiers::CONTROL;
                KeyCode::Char(' ')
            }
            c => c,
        };
        Key { code, mods }
    }
}

/// Why a key string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyParseError(pub String);

impl fmt::Display for KeyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a key; allowed: a character, or ctrl-/alt- plus a character or one of enter, esc, tab, backtab, up, down, left, right, pageup, pagedown, home, end, delete, backspace, space, f1..f12",
            self.0
        )
    }
}

impl FromStr for Key {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Key, KeyParseError> {
        let err = || KeyParseError(s.to_string());
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        // The names the help and hint bar show are accepted too (`pgdn`, `↑`), so a key
        // copied from the screen into keymap.toml means what it showed.
        let code = match (chars.next(), chars.next()) {
            (Some('↑'), None) => KeyCode::Up,
            (Some('↓'), None) => KeyCode::Down,
            (Some('←'), None) => KeyCode::Left,
            (Some('→'), None) => KeyCode::Right,
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "delete" | "del" => KeyCode::Delete,
                "backspace" => KeyCode::Backspace,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') => {
                    KeyCode::F(f[1..].parse::<u8>().ok().filter(|n| (1..=12).contains(n)).ok_or_else(err)?)
                }
                _ => return Err(err()),
            },
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One key bound to one action, with its description.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The key.
    pub key: Key,
    /// What it does.
    pub action: Action,
    /// Shown in the help overlay and the hint bar.
    pub desc: String,
}

/// Every binding, per context, in display order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keymap {
    /// Preset name (for the help title).
    pub name: String,
    contexts: BTreeMap<Context, Vec<Binding>>,
}

#[derive(Debug, Deserialize)]
struct RawBinding {
    on: String,
    run: Action,
    #[serde(default)]
    desc: Option<String>,
}

type RawKeymap = BTreeMap<Context, Vec<RawBinding>>;

/// A keymap file that could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct KeymapError {
    /// File (or preset name).
    pub file: String,
    /// What is wrong, naming the line and key.
    pub message: String,
}

impl Keymap {
    /// The compiled-in defaults.
    pub fn defaults() -> Keymap {
        let mut k = Keymap { name: "default".into(), contexts: BTreeMap::new() };
        // Shipped file, checked by a test: a failure is a build defect, and an empty map still quits on ctrl-c.
        let _ = k.merge("keymaps/default.toml", DEFAULT);
        k
    }

    /// The defaults with a named preset merged over them.
    pub fn preset(name: &str) -> Result<Keymap, KeymapError> {
        let (n, text) = PRESETS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).ok_or_else(|| KeymapError {
            file: name.to_string(),
            message: format!("no such keymap preset; allowed: {}", PRESETS.map(|(n, _)| n).join(", ")),
        })?;
        let mut k = Keymap::defaults();
        k.merge(&format!("keymaps/{n}.toml"), text)?;
        k.name = n.to_string();
        Ok(k)
    }

    /// Merges a keymap file over this one.
    pub fn merge(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let err = |message: String| KeymapError { file: file.to_string(), message };
        let raw: RawKeymap = toml::from_str(text).map_err(|e| err(toml_error(text, &e)))?;
        for (ctx, list) in raw {
            for b in list {
                let line = line_defining(text, "on");
                let key: Key = b.on.parse().map_err(|e: KeyParseError| {
                    let l = text.lines().position(|l| l.contains(&format!("\"{}\"", b.on))).map_or(line, |i| i + 1);
                    err(format!("line {l}, key 'on': {e}"))
                })?;
                let bindings = self.contexts.entry(ctx).or_default();
                let existing = bindings.iter().position(|x| x.key == key);
                match (b.run, existing) {
                    (Action::Unbind, Some(i)) => {
                        bindings.remove(i);
                    }
                    (Action::Unbind, None) => {}
                    (action, Some(i)) => {
                        bindings[i] = Binding { key, action, desc: b.desc.unwrap_or_else(|| describe(action)) };
                    }
                    (action, None) => {
                        bindings.push(Binding { key, action, desc: b.desc.unwrap_or_else(|| describe(action)) })
                    }
                }
            }
        }
        Ok(())
    }

    /// The action bound to `key` in `ctx` (global bindings win).
    pub fn lookup(&self, ctx: Context, key: Key) -> Option<Action> {
        let find = |c: Context| self.contexts.get(&c)?.iter().find(|b| b.key == key).map(|b| b.action);
        find(Context::Global).or_else(|| find(ctx))
    }

    /// The bindings of a context, in display order.
    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        self.contexts.get(&ctx).map_or(&[], |v| v.as_slice())
    }

    /// The first key bound to `action` in `ctx`, for prompts ("press x to cancel").
    pub fn key_for(&self, ctx: Context, action: Action) -> Option<Key> {
        self.bindings(ctx).iter().find(|b| b.action == action).map(|b| b.key)
    }
}

/// A default description from the action's name (`new_order` -> `new order`).
fn describe(a: Action) -> String {
    serde_json::to_value(a).ok().and_then(|v| v.as_str().map(|s| s.replace('_', " "))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_cover_the_issue_actions() {
        let k = Keymap::defaults();
        for a in [
            Action::NewOrder,
            Action::Amend,
            Action::Cancel,
            Action::Pause,
            Action::Resume,
            Action::KillAll,
            Action::SpeedUp,
            Action::FocusNext,
            Action::NextTab,
            Action::Command,
            Action::ToggleMark,
            Action::ResumeAll,
            Action::CloneOrder,
            Action::Columns,
            Action::MessageLog,
            Action::TabPositions,
            Action::CopyId,
            Action::Quit,
            Action::Help,
            Action::Filter,
            Action::CycleTheme,
        ] {
            assert!(k.key_for(Context::Normal, a).is_some(), "{a:?} has no key");
        }
        assert_eq!(k.lookup(Context::Ticket, key("ctrl-c")), Some(Action::Quit));
        assert_eq!(k.lookup(Context::Normal, key("q")), Some(Action::Quit));
        assert!(k.bindings(Context::Normal).iter().all(|b| !b.desc.is_empty()));
    }

    #[test]
    fn vim_preset_adds_hjkl_and_keeps_arrows() {
        let k = Keymap::preset("vim").unwrap();
        assert_eq!(k.lookup(Context::Normal, key("j")), Some(Action::Down));
        assert_eq!(k.lookup(Context::Normal, key("down")), Some(Action::Down));
        assert_eq!(k.lookup(Context::Normal, key("K")), Some(Action::KillAll));
        assert!(Keymap::preset("emacs").unwrap_err().message.contains("default, vim"));
    }

    #[test]
    fn user_file_overrides_unbinds_and_adds() {
        let mut k = Keymap::defaults();
        let user = "[[normal]]\non = \"n\"\nrun = \"help\"\n\n[[normal]]\non = \"x\"\nrun = \"unbind\"\n\n[[normal]]\non = \"ctrl-n\"\nrun = \"new_order\"\ndesc = \"ticket\"\n";
        k.merge("keymap.toml", user).unwrap();
        assert_eq!(k.lookup(Context::Normal, key("n")), Some(Action::Help));
        assert_eq!(k.lookup(Context::Normal, key("x")), None);
        assert_eq!(k.lookup(Context::Normal, key("ctrl-n")), Some(Action::NewOrder));
        assert_eq!(k.key_for(Context::Normal, Action::NewOrder), Some(key("ctrl-n")));
    }

    #[test]
    fn bad_files_name_line_and_key() {
        let mut k = Keymap::defaults();
        let e = k.merge("keymap.toml", "[[normal]]\non = \"n\"\nrun = \"launch_rockets\"\n").unwrap_err();
        assert!(e.message.contains("line 3") && e.message.contains("'run'"), "{e}");
        let e = k.merge("keymap.toml", "[[normal]]\non = \"hyper-q\"\nrun = \"quit\"\n").unwrap_err();
        assert!(e.message.contains("line 2") && e.message.contains("hyper-q"), "{e}");
        let e = k.merge("keymap.toml", "[[elsewhere]]\non = \"q\"\nrun = \"quit\"\n").unwrap_err();
        assert!(e.message.contains("elsewhere"), "{e}");
    }

    #[test]
    fn keys_parse_and_print() {
        assert_eq!(key("ctrl-c"), Key { code: KeyCode::Char('c'), mods: KeyModifiers::CONTROL });
        assert_eq!(key("K").to_string(), "K");
        assert_eq!(key("backtab").to_string(), "shift-tab");
        assert_eq!(key("f5").code, KeyCode::F(5));
        assert!("f13".parse::<Key>().is_err());
        let shifted = KeyEvent::new(KeyCode::Char('K'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shifted), key("K"));
    }

    #[test]
    fn every_key_the_help_shows_is_read_back_as_that_key() {
        // The help says "pgdn" and "↑"; keymap.toml refused "pgdn" ("is not a key") and
        // read "↑" as the character ↑, a binding no key press could reach.
        let km = Keymap::defaults();
        for ctx in Context::ALL {
            for b in km.bindings(ctx) {
                let shown = b.key.to_string();
                assert_eq!(shown.parse::<Key>().as_ref(), Ok(&b.key), "{ctx:?}: {shown}");
            }
        }
        assert_eq!(key("pgdn").code, KeyCode::PageDown);
        assert_eq!(key("↑").code, KeyCode::Up);
        assert_eq!(key("ctrl-←"), Key { code: KeyCode::Left, mods: KeyModifiers::CONTROL });
    }
}
