//! The terminal UI without a terminal: snapshots, the supervisor view, the worker, config and the demo.

mod demo_tui;
mod tui_config;
mod tui_desk;
mod tui_snapshots;
mod tui_supervisor;
mod tui_worker;

/// The buffer as text, one line per row, trailing blanks trimmed (styles are
/// covered by the SVG tests).
fn text(b: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
