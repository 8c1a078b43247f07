//! Renders a ratatui `Buffer` to SVG in-process, for screenshots that need
//! no terminal recorder: one rectangle per background run and one text run
//! per style, every run placed on its cell so the grid never drifts.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write as _;

/// Font size in pixels; a DejaVu Sans Mono cell is 0.602 em wide.
const FONT_PX: f64 = 14.0;
const CELL_W: f64 = FONT_PX * 0.602;
const CELL_H: f64 = FONT_PX * 1.25;

/// Default colours of the imaginary terminal.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Text colour for `Color::Reset`.
    pub fg: &'static str,
    /// Background for `Color::Reset`.
    pub bg: &'static str,
}

/// A dark terminal.
pub const DARK: Palette = Palette { fg: "#d0d0d0", bg: "#1c1c1c" };
/// A light terminal.
pub const LIGHT: Palette = Palette { fg: "#202020", bg: "#fafafa" };

fn hex(c: Color, p: &Palette, fg: bool) -> String {
    let s = match c {
        Color::Reset => return if fg { p.fg.into() } else { p.bg.into() },
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#c8a300",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#c0c0c0",
        Color::DarkGray => "#767676",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return indexed(i),
    };
    s.into()
}

/// The xterm 256-colour palette.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => [
            "#000000", "#cd3131", "#0dbc79", "#c8a300", "#2472c8", "#bc3fbc", "#11a8cd", "#c0c0c0", "#767676",
            "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
        ][usize::from(i)]
        .into(),
        16..=231 => {
            let n = i - 16;
            let v = |x: u8| if x == 0 { 0 } else { 55 + 40 * x };
            format!("#{:02x}{:02x}{:02x}", v(n / 36), v((n / 6) % 6), v(n % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The SVG document of a buffer.
pub fn render(buf: &Buffer, p: &Palette) -> String {
    let area = buf.area;
    let (w, h) = (f64::from(area.width) * CELL_W, f64::from(area.height) * CELL_H);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}"><rect width="100%" height="100%" fill="{}"/><g font-family="DejaVu Sans Mono, monospace" font-size="{FONT_PX}" xml:space="preserve">"#,
        p.bg
    );
    for y in 0..area.height {
        // Backgrounds first, merged across cells of one colour.
        let mut x = 0;
        while x < area.width {
            let (fg, bg) = colours(buf, x, y, p);
            let _ = fg;
            let start = x;
            while x < area.width && colours(buf, x, y, p).1 == bg {
                x += 1;
            }
            if bg != p.bg {
                let _ = write!(
                    out,
                    r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{bg}"/>"#,
                    f64::from(start) * CELL_W,
                    f64::from(y) * CELL_H,
                    f64::from(x - start) * CELL_W + 0.3,
                    CELL_H + 0.3
                );
            }
        }
        // Then text runs of one style; non-ASCII glyphs on their own so fallback fonts cannot shift the grid.
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let sym = cell.symbol();
            let start = x;
            let key = style_key(buf, x, y, p);
            let mut text = String::from(sym);
            x += 1;
            if sym.is_ascii() {
                while x < area.width {
                    let c = &buf[(area.x + x, area.y + y)];
                    if !c.symbol().is_ascii() || style_key(buf, x, y, p) != key {
                        break;
                    }
                    text.push_str(c.symbol());
                    x += 1;
                }
            }
            if text.trim().is_empty() {
                continue;
            }
            // Leading blanks only move the start.
            let lead = text.len() - text.trim_start_matches(' ').len();
            let start = start + lead as u16;
            let text = text.trim_start_matches(' ');
            let (fg, attrs) = &key;
            let _ = write!(
                out,
                r#"<text x="{:.2}" y="{:.2}" fill="{fg}"{attrs}>{}</text>"#,
                f64::from(start) * CELL_W,
                f64::from(y) * CELL_H + FONT_PX,
                escape(text)
            );
        }
    }
    out.push_str("</g></svg>\n");
    out
}

fn colours(buf: &Buffer, x: u16, y: u16, p: &Palette) -> (String, String) {
    let c = &buf[(buf.area.x + x, buf.area.y + y)];
    let fg = hex(c.fg, p, true);
    let bg = hex(c.bg, p, false);
    if c.modifier.contains(Modifier::REVERSED) { (bg, fg) } else { (fg, bg) }
}

fn style_key(buf: &Buffer, x: u16, y: u16, p: &Palette) -> (String, String) {
    let c = &buf[(buf.area.x + x, buf.area.y + y)];
    let (fg, _) = colours(buf, x, y, p);
    let m = c.modifier;
    let mut attrs = String::new();
    if m.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if m.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    if m.contains(Modifier::UNDERLINED) {
        attrs.push_str(r#" text-decoration="underline""#);
    }
    if m.contains(Modifier::DIM) {
        attrs.push_str(r#" opacity="0.6""#);
    }
    (fg, attrs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn cells_become_positioned_runs() {
        let mut b = Buffer::empty(Rect::new(0, 0, 12, 2));
        b.set_string(0, 0, "PAPER", Style::new().black().on_yellow().bold());
        b.set_string(6, 0, "a<b", Style::new().green());
        b.set_string(0, 1, "▲ BUY", Style::new().reversed());
        let svg = render(&b, &DARK);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(r##"fill="#c8a300""##), "yellow background rect");
        assert!(svg.contains(r#"font-weight="bold">PAPER</text>"#));
        assert!(svg.contains("a&lt;b"), "text is escaped");
        // The arrow is its own run at x=0 on line 2, the word follows at its own cell.
        assert!(svg.contains(&format!(r#"<text x="0.00" y="{:.2}""#, CELL_H + FONT_PX)));
        assert!(svg.contains(&format!(r#"<text x="{:.2}""#, 2.0 * CELL_W)));
        assert_eq!(indexed(196), "#ff0000");
    }
}
