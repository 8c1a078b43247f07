//! Wrapping with a hanging indent: a message under a field, or a value
//! beside its label, continues in its own column when the terminal is
//! narrow instead of wrapping back to the left edge (which reads as a new
//! field or a new label).

use ratatui::text::{Line, Span};

/// Where `line` continues when it wraps: after its label (a first span that
/// ends in a space, followed by others), else at its leading spaces.
pub fn indent_of(line: &Line<'_>) -> usize {
    match line.spans.as_slice() {
        [label, _, ..] if label.content.ends_with(' ') => label.width(),
        [first, ..] => first.content.len() - first.content.trim_start_matches(' ').len(),
        [] => 0,
    }
}

/// `line` wrapped at spaces to `width` columns, each continuation indented
/// by `indent_of(line)`. A word longer than the room left is left to the
/// paragraph's own wrapping.
pub fn hanging(line: Line<'static>, width: u16) -> Vec<Line<'static>> {
    let indent = indent_of(&line);
    hanging_at(line, width, indent)
}

/// `line` wrapped at spaces to `width` columns, each continuation indented
/// by `indent` columns (an alert's text continues under its text, past its
/// time and level).
pub fn hanging_at(line: Line<'static>, width: u16, indent: usize) -> Vec<Line<'static>> {
    let width = usize::from(width);
    if line.width() <= width {
        return vec![line];
    }
    if indent + 8 > width {
        return vec![line];
    }
    let (style, alignment) = (line.style, line.alignment);
    let finish = |mut spans: Vec<Span<'static>>| {
        // Spaces at the end of a row could make the paragraph wrap it again.
        while spans.last().is_some_and(|s| s.content.trim().is_empty()) {
            spans.pop();
        }
        let mut l = Line::from(spans).style(style);
        l.alignment = alignment;
        l
    };
    let mut out = Vec::new();
    let (mut cur, mut used): (Vec<Span<'static>>, usize) = (Vec::new(), 0);
    for span in line.spans {
        for token in tokens(&span.content) {
            let blank = token.trim().is_empty();
            let w = Span::raw(token).width();
            if !blank && used + w > width && used > indent {
                out.push(finish(std::mem::take(&mut cur)));
                cur.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            if blank && used == indent && !out.is_empty() {
                continue; // no spaces at the start of a continuation
            }
            cur.push(Span::styled(token.to_string(), span.style));
            used += w;
        }
    }
    out.push(finish(cur));
    out
}

/// Runs of spaces and runs of anything else, in order.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let space = c == ' ';
        if prev.is_some_and(|p| p != space) {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(space);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line<'_>) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_message_continues_under_itself() {
        let l = Line::raw("    required: a quantity such as 25000 or 25k");
        let rows: Vec<String> = hanging(l, 40).iter().map(text).collect();
        assert_eq!(rows, ["    required: a quantity such as 25000", "    or 25k"]);
    }

    #[test]
    fn a_value_continues_under_its_value_not_its_label() {
        let l =
            Line::from(vec![Span::raw(format!(" {:<13}", "controls")), Span::raw("collar ±1000 bps · ≤ $50m /order")]);
        let rows: Vec<String> = hanging(l, 36).iter().map(text).collect();
        assert_eq!(rows, [" controls     collar ±1000 bps · ≤", "              $50m /order"]);
        assert!(hanging(Line::raw("short"), 36).len() == 1);
    }

    #[test]
    fn styles_stay_with_their_words() {
        let warn = ratatui::style::Style::new().fg(ratatui::style::Color::Red);
        let l = Line::from(vec![Span::raw(" limit vs mid "), Span::styled("+310.00% (through the market)", warn)]);
        let rows = hanging(l, 40);
        assert_eq!(rows.len(), 2);
        assert!(rows[1].spans.iter().filter(|s| !s.content.trim().is_empty()).all(|s| s.style == warn));
    }
}
