//! UI benchmarks for `blotter bench`: frame build + render of a blotter of
//! 10,000 parents with 100,000 children and every column shown, key-press-to-frame
//! time, and the memory the UI state takes to hold 1,000,000 fills.

use super::app::App;
use super::columns::Col;
use super::keymap::Keymap;
use super::scenario::synthetic_rows;
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;
use std::time::Instant;

/// What the UI benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct UiBench {
    /// Median wall time of one frame (build visible rows + render + diff), ms.
    pub frame_ms: f64,
    /// 99th percentile of the same, ms.
    pub frame_p99_ms: f64,
    /// Frames measured.
    pub frames: usize,
    /// Parent orders in the blotter.
    pub parents: usize,
    /// Child orders in the blotter (all expanded).
    pub children: usize,
    /// Terminal size of the frames.
    pub size: (u16, u16),
    /// Median time from handing a key press to the app until its frame is drawn, ms.
    pub key_to_frame_ms: f64,
    /// Resident memory added by holding 1,000,000 fills (and their children) in the UI state, MiB.
    pub memory_1m_fills_mib: Option<f64>,
}

fn median_p99(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Resident set size of this process in bytes (Linux), if known.
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn app_with(parents: usize, children: usize) -> App {
    let mut app = App::new("embedded".into(), Theme::dark(), Keymap::defaults(), 10.0);
    // Every column the chooser offers (desk and notional too): the widest layout to work out.
    app.columns.shown = Col::ALL.to_vec();
    let (orders, details) = synthetic_rows(parents, children);
    app.table.expanded = orders.iter().map(|o| o.order.id).collect();
    app.set_orders(orders, details);
    app
}

/// Scrolls a page per frame through a 10,000 x 10 blotter and times every
/// frame; with `memory`, also measures the state holding 1,000,000 fills.
pub fn run(frames: usize, memory: bool) -> UiBench {
    let size = (160u16, 48u16);
    let mut app = app_with(10_000, 10);
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
    let page = KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE);
    let down = KeyEvent::new(KeyCode::Down, KeyModifiers::NONE);
    // Warm-up frame: sets the table height used for paging.
    let _ = term.draw(|f| f.render_widget(&app, f.area()));
    let mut frame = Vec::with_capacity(frames);
    let mut key = Vec::with_capacity(frames);
    for i in 0..frames {
        let effects = app.on_key(if i % 2 == 0 { page } else { down });
        debug_assert!(effects.is_empty());
        let t0 = Instant::now();
        let _ = term.draw(|f| f.render_widget(&app, f.area()));
        frame.push(t0.elapsed().as_secs_f64() * 1e3);
        let t1 = Instant::now();
        let _ = app.on_key(down);
        let _ = term.draw(|f| f.render_widget(&app, f.area()));
        key.push(t1.elapsed().as_secs_f64() * 1e3);
    }
    let (frame_ms, frame_p99_ms) = median_p99(frame);
    let (key_to_frame_ms, _) = median_p99(key);
    let children = app.details.values().map(|d| d.children.len()).sum();
    let parents = app.orders.len();
    drop(app);
    let memory_1m_fills_mib = rss_bytes().filter(|_| memory).and_then(|before| {
        let held = app_with(10_000, 100);
        let after = rss_bytes()?;
        let fills: usize = held.details.values().map(|d| d.fills.len()).sum();
        debug_assert_eq!(fills, 1_000_000);
        Some(after.saturating_sub(before) as f64 / (1024.0 * 1024.0))
    });
    UiBench { frame_ms, frame_p99_ms, frames, parents, children, size, key_to_frame_ms, memory_1m_fills_mib }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_scrolls_the_whole_blotter_it_claims() {
        let b = run(3, false);
        assert_eq!((b.parents, b.children, b.frames), (10_000, 100_000, 3));
        assert!(b.frame_ms > 0.0 && b.key_to_frame_ms > 0.0);
    }
}
