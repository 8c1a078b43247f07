//! The command palette (`:`): an order id jumps to the order; a word runs a
//! command (filter, theme, speed, tz, export, cancel/pause/resume of the
//! marked or shown orders, columns, log, a tab). Parsing and completion are
//! pure; the app carries the command out.

use super::app::{Bulk, Tab};
use crate::model::ParentId;

/// The commands, with what each takes and does (the palette lists them).
pub const COMMANDS: &[(&str, &str)] = &[
    ("jump", "P17: select an order (or just type its id)"),
    ("filter", "sym:AAPL status:working ...: narrow the blotter (empty clears)"),
    ("cancel", "the marked orders, else every order shown (asks first)"),
    ("pause", "the marked orders, else every order shown (asks first)"),
    ("resume", "the marked orders, else every paused order shown (asks first)"),
    ("theme", "dark, light, high-contrast, monochrome (none: the next one)"),
    ("speed", "60: simulated seconds per second (0 pauses)"),
    ("tz", "Europe/Zurich: show every time in this zone"),
    ("export", "FILE.csv: the orders shown, every figure exact"),
    ("columns", "choose the blotter's columns"),
    ("log", "every message so far"),
    ("venues", "the venues tab"),
    ("tca", "the TCA tab"),
    ("alerts", "the alerts tab"),
    ("positions", "the positions tab"),
    ("help", "the keys"),
];

/// A parsed command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Select an order.
    Jump(ParentId),
    /// Set the blotter filter.
    Filter(String),
    /// Act on several orders.
    Bulk(Bulk),
    /// Switch theme (None: the next one).
    Theme(Option<String>),
    /// Simulation speed.
    Speed(f64),
    /// The desk's time zone.
    Tz(chrono_tz::Tz),
    /// Write the orders shown to a CSV file.
    Export(String),
    /// The column chooser.
    Columns,
    /// The message log.
    Log,
    /// A tab of the detail pane.
    Tab(Tab),
    /// The keys.
    Help,
}

/// Parses what was typed after `:`.
pub fn parse(text: &str) -> Result<Command, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("type an order id such as P17, or a command: tab completes".into());
    }
    if let Some(id) = order_id(t) {
        return Ok(Command::Jump(id));
    }
    let (word, rest) = t.split_once(char::is_whitespace).map_or((t, ""), |(w, r)| (w, r.trim()));
    let word = word.to_ascii_lowercase();
    let matches: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).filter(|c| c.starts_with(&word)).collect();
    let cmd = match matches.as_slice() {
        [one] => *one,
        _ if matches.contains(&word.as_str()) => word.as_str(),
        [] => return Err(format!("'{word}' is not a command or an order id; commands: {}", names())),
        many => return Err(format!("'{word}' could be {}: type more", many.join(", "))),
    };
    let none = |what: &str| -> Result<(), String> {
        if rest.is_empty() { Ok(()) } else { Err(format!("{what} takes nothing after it; got '{rest}'")) }
    };
    match cmd {
        "jump" => {
            order_id(rest).map(Command::Jump).ok_or_else(|| format!("'{rest}' is not an order id; allowed: P17 or 17"))
        }
        "filter" => Ok(Command::Filter(rest.to_string())),
        "cancel" | "pause" | "resume" => {
            none(cmd)?;
            Ok(Command::Bulk(match cmd {
                "cancel" => Bulk::Cancel,
                "pause" => Bulk::Pause,
                _ => Bulk::Resume,
            }))
        }
        "theme" => Ok(Command::Theme((!rest.is_empty()).then(|| rest.to_string()))),
        "speed" => {
            let v: f64 = rest
                .trim_end_matches('x')
                .parse()
                .map_err(|_| format!("'{rest}' is not a speed; allowed: 0 (pause) to 100000, e.g. speed 60"))?;
            if !(v.is_finite() && (0.0..=100_000.0).contains(&v)) {
                return Err(format!("{v} is out of range; allowed: 0 (pause) to 100000"));
            }
            Ok(Command::Speed(v))
        }
        "tz" => rest.parse::<chrono_tz::Tz>().map(Command::Tz).map_err(|_| {
            format!("'{rest}' is not a time zone; allowed: an IANA name such as America/New_York, Europe/Zurich, UTC")
        }),
        "export" => {
            if rest.is_empty() {
                Err("export needs a file name, e.g. export blotter.csv".into())
            } else {
                Ok(Command::Export(rest.to_string()))
            }
        }
        "columns" => none(cmd).map(|_| Command::Columns),
        "log" => none(cmd).map(|_| Command::Log),
        "venues" => none(cmd).map(|_| Command::Tab(Tab::Venues)),
        "tca" => none(cmd).map(|_| Command::Tab(Tab::Tca)),
        "alerts" => none(cmd).map(|_| Command::Tab(Tab::Alerts)),
        "positions" => none(cmd).map(|_| Command::Tab(Tab::Positions)),
        _ => none(cmd).map(|_| Command::Help),
    }
}

/// An order id as typed: `P17`, `17`, or a global id the parser knows.
fn order_id(s: &str) -> Option<ParentId> {
    let t = s.trim();
    t.parse::<ParentId>().ok().or_else(|| t.parse::<u64>().ok().map(ParentId::local))
}

fn names() -> String {
    COMMANDS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
}

/// Completes the command word (`ex` -> `export `); None when nothing or several match.
pub fn complete(text: &str) -> Option<String> {
    let t = text.trim_start();
    if t.contains(char::is_whitespace) {
        return None;
    }
    let w = t.to_ascii_lowercase();
    let m: Vec<&str> = COMMANDS.iter().map(|(c, _)| *c).filter(|c| c.starts_with(&w)).collect();
    match m.as_slice() {
        [one] => Some(format!("{one} ")),
        _ => None,
    }
}

/// The commands matching what is typed so far, for the palette's list.
pub fn suggestions(text: &str) -> Vec<(&'static str, &'static str)> {
    let w = text.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    COMMANDS.iter().copied().filter(|(c, _)| c.starts_with(&w) || w.starts_with(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_jump_and_words_run_commands() {
        assert_eq!(parse("P17"), Ok(Command::Jump(ParentId::local(17))));
        assert_eq!(parse("17"), Ok(Command::Jump(ParentId::local(17))));
        assert_eq!(parse("jump p3"), Ok(Command::Jump(ParentId::local(3))));
        assert_eq!(parse("filter sym:AAPL"), Ok(Command::Filter("sym:AAPL".into())));
        assert_eq!(parse("f"), Ok(Command::Filter(String::new())));
        assert_eq!(parse("speed 60"), Ok(Command::Speed(60.0)));
        assert_eq!(parse("tz Europe/Zurich"), Ok(Command::Tz(chrono_tz::Europe::Zurich)));
        assert_eq!(parse("can"), Ok(Command::Bulk(Bulk::Cancel)));
        assert_eq!(parse("export day.csv"), Ok(Command::Export("day.csv".into())));
        assert_eq!(parse("pos"), Ok(Command::Tab(Tab::Positions)));
        assert!(parse("speed fast").unwrap_err().contains("0 (pause) to 100000"));
        assert!(parse("tz Mars/Olympus").unwrap_err().contains("IANA"));
        assert!(parse("t").unwrap_err().contains("theme, tz, tca"), "ambiguous: {:?}", parse("t"));
        assert!(parse("launch").unwrap_err().contains("not a command"));
        assert!(parse("cancel now").unwrap_err().contains("takes nothing"));
    }

    #[test]
    fn tab_completes_one_command() {
        assert_eq!(complete("ex").as_deref(), Some("export "));
        assert_eq!(complete("t"), None);
        assert_eq!(suggestions("t").len(), 3);
    }
}
