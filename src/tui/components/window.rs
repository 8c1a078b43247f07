//! Which of a form's fields fit a pane that cannot show them all: the
//! focused one always, as many before it as keep it in view from the top,
//! then as many after it as fit, with a line saying how many are hidden
//! above and below. Fields are kept whole (a field with its message or help
//! is never cut in two).

/// The fields shown: `first..end`, and whether a line says more are above or below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First field shown.
    pub first: usize,
    /// One past the last field shown.
    pub end: usize,
}

impl Window {
    /// Whether a line says fields are hidden above.
    pub fn above(&self) -> bool {
        self.first > 0
    }

    /// Whether a line says fields are hidden below (`n` fields in all).
    pub fn below(&self, n: usize) -> bool {
        self.end < n
    }
}

/// The window over fields of `heights` lines each that shows `focus` in
/// `room` lines, counting a line for each "more" marker it needs.
pub fn fit(heights: &[usize], focus: usize, room: usize) -> Window {
    let n = heights.len();
    if heights.iter().sum::<usize>() <= room || n == 0 {
        return Window { first: 0, end: n };
    }
    let focus = focus.min(n - 1);
    let lines = |a: usize, b: usize| heights[a..b].iter().sum::<usize>();
    let need = |a: usize, b: usize| lines(a, b) + usize::from(a > 0) + usize::from(b < n);
    // From the top when the focus is in view from there; else just enough
    // fields before it (a field taller than the room is shown alone).
    let first = (0..=focus).find(|&a| need(a, focus + 1) <= room).unwrap_or(focus);
    let mut end = focus + 1;
    while end < n && need(first, end + 1) <= room {
        end += 1;
    }
    Window { first, end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_when_it_fits() {
        assert_eq!(fit(&[1, 1, 2], 2, 4), Window { first: 0, end: 3 });
        assert_eq!(fit(&[], 0, 4), Window { first: 0, end: 0 });
    }

    #[test]
    fn the_focus_stays_in_view_with_its_markers_counted() {
        // Ten one-line fields in five lines: from the top, four fields and
        // the "more below" line (4 + 1 = 5).
        let h = [1; 10];
        assert_eq!(fit(&h, 0, 5), Window { first: 0, end: 4 });
        assert_eq!(fit(&h, 3, 5), Window { first: 0, end: 4 });
        // Field 4 needs a marker above too: 3 fields and two markers.
        assert_eq!(fit(&h, 4, 5), Window { first: 2, end: 5 });
        // The last: a marker above and four fields.
        let w = fit(&h, 9, 5);
        assert_eq!(w, Window { first: 6, end: 10 });
        assert!(w.above() && !w.below(10));
        // A focused field with two lines of help takes three: with both
        // markers nothing else fits.
        assert_eq!(fit(&[1, 1, 3, 1, 1], 2, 5), Window { first: 2, end: 3 });
        assert_eq!(fit(&[1, 1, 3, 1, 1], 2, 6), Window { first: 0, end: 3 });
        // Taller than the room: shown alone.
        assert_eq!(fit(&[1, 9, 1], 1, 4), Window { first: 1, end: 2 });
    }
}
