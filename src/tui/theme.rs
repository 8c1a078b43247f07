//! Colour themes as TOML with semantic names (`buy`, `loss`, `muted`...).
//!
//! Views never name a colour: they ask the theme for a role. A theme file may
//! be partial: it is merged over the built-in dark theme and overrides only
//! what it names (gitui's rule). `NO_COLOR` turns any theme into the
//! monochrome one, where meaning rests on words, glyphs and attributes.
//!
//! The coloured themes paint their own background (set on `text`) in exact
//! RGB, so they read the same on light and dark terminals, and every
//! foreground/background pair they use is tested against WCAG AA contrast.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The themes shipped in `themes/`, compiled in: (name, TOML).
pub const BUILTIN: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

macro_rules! roles {
    ($($name:ident : $doc:literal),* $(,)?) => {
        /// Every style the UI uses, by meaning.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            /// Theme name.
            pub name: String,
            $(#[doc = $doc] pub $name: Style,)*
        }

        /// The names a theme file may set.
        pub const ROLE_NAMES: &[&str] = &[$(stringify!($name)),*];

        impl Theme {
            fn set(&mut self, role: &str, s: Style) -> bool {
                match role {
                    $(stringify!($name) => { self.$name = s; true })*
                    _ => false,
                }
            }
            fn get(&self, role: &str) -> Option<Style> {
                match role {
                    $(stringify!($name) => Some(self.$name),)*
                    _ => None,
                }
            }
            fn blank(name: &str) -> Theme {
                Theme { name: name.to_string(), $($name: Style::default(),)* }
            }
        }
    };
}

roles! {
    text: "Ordinary text.",
    muted: "Secondary text (labels, units, terminal orders).",
    accent: "What the eye should find first (active tab, focused label).",
    border: "Borders of unfocused panes.",
    border_focus: "Border of the focused pane.",
    title: "Pane titles.",
    header: "Table headers.",
    hint_key: "Keys in the hint bar.",
    hint_desc: "Descriptions in the hint bar.",
    buy: "Buy side (always also shown as a word and a glyph).",
    sell: "Sell side (always also shown as a word and a glyph).",
    working: "Working or pending orders.",
    filled: "Completed orders and fills.",
    paused: "Paused or interrupted orders.",
    rejected: "Rejected orders and child rejects.",
    cancelled: "Cancelled or expired orders.",
    profit: "A figure in the order's favour.",
    loss: "A cost.",
    warning: "Something to look at.",
    error: "Validation and call errors.",
    ok: "Healthy connection, valid field.",
    paper_badge: "The PAPER badge.",
    live_badge: "The LIVE badge (never shown in this build).",
    stale_badge: "The STALE badge while the engine does not answer.",
    nbbo: "National best bid/offer rows.",
    chart_plan: "Planned schedule line.",
    chart_exec: "Executed quantity line.",
    chart_mid: "Market mid line.",
    chart_vwap: "Interval VWAP line.",
    chart_fill: "Fill price markers.",
    bar: "Bar charts.",
    progress: "Progress bars.",
    field_focus: "The focused ticket field's label.",
    input: "Text being typed.",
}

/// A theme file that could not be used, with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ThemeError {
    /// File (or built-in name).
    pub file: String,
    /// What is wrong, naming the line and key when known.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    styles: BTreeMap<String, StyleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StyleSpec {
    Fg(String),
    Full(FullSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FullSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

fn color(s: &str) -> Result<Color, String> {
    let t = s.trim();
    if let Some(n) = t.strip_prefix("indexed:") {
        return n.trim().parse::<u8>().map(Color::Indexed).map_err(|_| format!("'{s}' is not indexed:0..255"));
    }
    t.parse::<Color>().map_err(|_| {
        format!("'{s}' is not a colour; allowed: a name (red, lightgreen, darkgray, reset...), #rrggbb or indexed:N")
    })
}

impl StyleSpec {
    fn style(&self) -> Result<Style, String> {
        match self {
            StyleSpec::Fg(c) => Ok(Style::new().fg(color(c)?)),
            StyleSpec::Full(f) => {
                let mut s = Style::new();
                if let Some(c) = &f.fg {
                    s = s.fg(color(c)?);
                }
                if let Some(c) = &f.bg {
                    s = s.bg(color(c)?);
                }
                let flags = [
                    (f.bold, Modifier::BOLD),
                    (f.dim, Modifier::DIM),
                    (f.italic, Modifier::ITALIC),
                    (f.underline, Modifier::UNDERLINED),
                    (f.reversed, Modifier::REVERSED),
                ];
                for (on, m) in flags {
                    if on {
                        s = s.add_modifier(m);
                    }
                }
                Ok(s)
            }
        }
    }
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

/// The key being defined on a line (`buy = "red"` -> `buy`), for error messages.
pub fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let key = l.split('=').next()?.trim().trim_matches(['[', ']']).trim();
    (!key.is_empty()).then(|| key.to_string())
}

/// 1-based line where `key` is assigned (0 when not found).
pub fn line_defining(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('=')))
        .map_or(0, |i| i + 1)
}

/// Turns a TOML error into "line N, key K: message".
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = line_of(text, span.start);
            match key_on_line(text, line) {
                Some(k) => format!("line {line}, key '{k}': {msg}"),
                None => format!("line {line}: {msg}"),
            }
        }
        None => msg,
    }
}

impl Theme {
    /// Parses `text` and merges it over `base`. Unknown role names and bad colours are errors.
    pub fn merge(base: &Theme, file: &str, text: &str) -> Result<Theme, ThemeError> {
        let err = |message: String| ThemeError { file: file.to_string(), message };
        let parsed: ThemeFile = toml::from_str(text).map_err(|e| err(toml_error(text, &e)))?;
        let mut t = base.clone();
        if let Some(n) = parsed.name {
            t.name = n;
        }
        for (role, spec) in &parsed.styles {
            let line = line_defining(text, role);
            let s = spec.style().map_err(|m| err(format!("line {line}, key '{role}': {m}")))?;
            if !t.set(role, s) {
                return Err(err(format!(
                    "line {line}, key '{role}': not a theme style; allowed: {}",
                    ROLE_NAMES.join(", ")
                )));
            }
        }
        Ok(t)
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
        // The shipped files are checked by a test, so a failure here is a build defect.
        Theme::merge(&Theme::blank(name), name, text).ok()
    }

    /// The default theme.
    pub fn dark() -> Theme {
        Theme::builtin("dark").unwrap_or_else(|| Theme::blank("dark"))
    }

    /// Loads a theme by built-in name, or from `dir/NAME.toml` (partial, merged over dark).
    pub fn load(name: &str, dir: Option<&Path>) -> Result<Theme, ThemeError> {
        if let Some(t) = Theme::builtin(name) {
            return Ok(t);
        }
        let path = dir.map(|d| d.join(format!("{name}.toml")));
        match path {
            Some(p) if p.exists() => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| ThemeError { file: p.display().to_string(), message: e.to_string() })?;
                Theme::merge(&Theme::dark(), &p.display().to_string(), &text)
            }
            _ => Err(ThemeError {
                file: name.to_string(),
                message: format!(
                    "no such theme; built in: {}{}",
                    BUILTIN.map(|(n, _)| n).join(", "),
                    dir.map(|d| format!("; or a file {}/{name}.toml", d.display())).unwrap_or_default()
                ),
            }),
        }
    }

    /// The monochrome theme standing in for this one (for `NO_COLOR`): its
    /// attributes keep the badge, headers and selection legible without colour.
    pub fn without_colour(self) -> Theme {
        let mut mono = Theme::builtin("monochrome").unwrap_or_else(|| Theme::blank("monochrome"));
        mono.name = format!("{} (NO_COLOR)", self.name);
        mono
    }
}

/// True when the `NO_COLOR` convention asks for no colour (set and not empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// WCAG relative luminance of an sRGB colour.
pub fn luminance(r: u8, g: u8, b: u8) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours (1 to 21), when both are exact RGB.
pub fn contrast(a: Color, b: Color) -> Option<f64> {
    let (Color::Rgb(r1, g1, b1), Color::Rgb(r2, g2, b2)) = (a, b) else { return None };
    let (x, y) = (luminance(r1, g1, b1), luminance(r2, g2, b2));
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    Some((hi + 0.05) / (lo + 0.05))
}

impl Theme {
    /// Every role with its style, for checks over the whole theme.
    pub fn roles(&self) -> Vec<(&'static str, Style)> {
        ROLE_NAMES.iter().filter_map(|n| self.get(n).map(|s| (*n, s))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_themes_parse_and_set_every_role() {
        for (name, text) in BUILTIN {
            let t = Theme::merge(&Theme::blank(name), name, text).unwrap();
            let parsed: ThemeFile = toml::from_str(text).unwrap();
            for role in ROLE_NAMES {
                assert!(parsed.styles.contains_key(*role), "{name} misses {role}");
            }
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn partial_theme_overrides_only_what_it_names() {
        let base = Theme::dark();
        let t = Theme::merge(&base, "mine.toml", "[styles]\nbuy = \"#0000ff\"\n").unwrap();
        assert_eq!(t.buy.fg, Some(Color::Rgb(0, 0, 255)));
        assert_eq!(t.sell, base.sell);
    }

    #[test]
    fn bad_theme_names_line_and_key() {
        let e = Theme::merge(&Theme::dark(), "x.toml", "[styles]\nbuy = \"red\"\nsel = \"blue\"\n").unwrap_err();
        assert!(e.message.contains("line 3") && e.message.contains("'sel'"), "{e}");
        let e = Theme::merge(&Theme::dark(), "x.toml", "[styles]\nbuy = \"reddish\"\n").unwrap_err();
        assert!(e.message.contains("line 2") && e.message.contains("reddish"), "{e}");
    }

    /// Roles drawn as graphics rather than text: WCAG 1.4.11 asks 3:1 of them.
    const GRAPHICS: [&str; 6] = ["border", "chart_plan", "chart_exec", "chart_mid", "chart_vwap", "chart_fill"];

    #[test]
    fn every_pair_each_theme_uses_meets_wcag_aa() {
        // The reference figures: black on white is 21:1, #777777 on white 4.48:1 (just under AA).
        let white = Color::Rgb(255, 255, 255);
        assert!((contrast(Color::Rgb(0, 0, 0), white).unwrap() - 21.0).abs() < 1e-9);
        assert!((contrast(Color::Rgb(0x77, 0x77, 0x77), white).unwrap() - 4.48).abs() < 0.01);
        for (name, _) in BUILTIN.iter().filter(|(n, _)| *n != "monochrome") {
            let t = Theme::builtin(name).unwrap();
            let (Some(base_fg), Some(base_bg)) = (t.text.fg, t.text.bg) else {
                panic!("{name}: text must set fg and bg: the theme paints its own background");
            };
            let mut worst = (f64::MAX, "");
            for (role, s) in t.roles() {
                let fg = s.fg.unwrap_or(base_fg);
                let bg = s.bg.unwrap_or(base_bg);
                let ratio = contrast(fg, bg).unwrap_or_else(|| {
                    panic!("{name}.{role}: {fg:?} on {bg:?} is not exact RGB, so its contrast depends on the terminal")
                });
                let min = if GRAPHICS.contains(&role) { 3.0 } else { 4.5 };
                assert!(ratio >= min, "{name}.{role}: {fg:?} on {bg:?} is {ratio:.2}:1, below {min}:1");
                if ratio < worst.0 {
                    worst = (ratio, role);
                }
            }
            assert!(worst.0 >= 3.0, "{name}: worst {worst:?}");
        }
        // Monochrome sets no colour at all: the terminal's own pair, whatever it is.
        let m = Theme::builtin("monochrome").unwrap();
        for (role, s) in m.roles() {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert_eq!(c, Color::Reset, "monochrome.{role} names a colour");
            }
        }
    }

    #[test]
    fn no_color_strips_colour_but_keeps_attributes() {
        let t = Theme::dark().without_colour();
        assert!(t.paper_badge.add_modifier.contains(Modifier::REVERSED));
        assert!(t.buy.fg.is_none() || t.buy.fg == Some(Color::Reset));
    }
}
