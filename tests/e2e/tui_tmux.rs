//! End to end: the real binary in a real terminal (tmux). Start it, enter an
//! order with the keyboard, wait for its fills, check the blotter shows it,
//! cancel another, quit, and check the terminal was restored. Skipped, saying
//! why, only when tmux is missing (CI installs it).

use crate::tmux;

use tmux::{Tmux, tmux_present};

/// One tmux server for this test process, shared by its tests' sessions.
fn socket() -> String {
    format!("blotter-tui-e2e-{}", std::process::id())
}

/// The blotter row of order `id`: its first word once the pane's border and the
/// row's marks (bulk mark ✓, children ▸/▾) are set aside, as in `┃ ▸P1 09:42:43 AAPL`.
fn row<'a>(screen: &'a str, id: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        l.trim_start_matches(|c: char| c.is_whitespace() || ['┃', '│', '▸', '▾', '✓'].contains(&c))
            .split_whitespace()
            .next()
            == Some(id)
    })
}

#[test]
fn keyboard_order_entry_fills_cancel_and_quit_restore_the_terminal() {
    if !tmux_present() {
        eprintln!("SKIPPED keyboard_order_entry_fills_cancel_and_quit_restore_the_terminal: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_blotter");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ui.log");
    let session = format!("blotter-e2e-{}", std::process::id());
    let cmd = format!(
        "HOME={home} {bin} --default-config --seed 3 --date 2026-11-25 --speed 30 --log {log}; echo EXITED=$?; sleep 60",
        home = dir.path().display(),
        log = log.display()
    );
    let t = Tmux::start(&socket(), &session, 160, 48, &cmd);
    t.wait_for("the status bar", |s| s.contains("PAPER") && s.contains("ok"), 30);
    assert_eq!(t.display("#{alternate_on}"), "1", "the UI uses the alternate screen");
    assert_eq!(t.display("#{mouse_any_flag}"), "1", "the UI reports the mouse");

    // A buy of 5,000 AAPL ending at 10:30, entered at 30x (the day opens at 09:30: typing may take
    // two minutes of a loaded machine's wall time before the window is in the past), then run at
    // 600x, where the hour to its end passes in 6 s: done by its end, waited for on screen.
    t.keys(&["n"]);
    t.wait_for("the ticket", |s| s.contains("New order"), 10);
    t.text("AAPL");
    t.keys(&["Tab", "Tab"]);
    t.text("5k");
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    t.text("10:30");
    t.keys(&["Enter"]);
    t.wait_for("the review", |s| s.contains("Buy 5,000 AAPL"), 10);
    t.keys(&["y"]);
    t.wait_for("P1 to work", |s| row(s, "P1").is_some(), 30);
    t.keys(&["+", "+", "+", "+"]);
    t.wait_for("600x", |s| s.lines().next().is_some_and(|l| l.contains("│ 600x │")), 10);
    let s = t.wait_for("P1 to fill", |s| row(s, "P1").is_some_and(|r| r.contains("done")), 60);
    let p1 = row(&s, "P1").unwrap();
    assert!(p1.contains("AAPL") && p1.contains("BUY") && p1.contains("5,000") && p1.contains("100%"), "{p1}");

    // Slow the simulation to 1x from the keyboard, then a second order working until the close: cancel it.
    t.keys(&["-", "-", "-", "-", "-", "-", "-", "-", "-"]);
    t.wait_for("1x", |s| s.lines().next().is_some_and(|l| l.contains("│ 1x │")), 10);
    t.keys(&["n"]);
    t.wait_for("the ticket", |s| s.contains("New order"), 10);
    t.text("MSFT");
    t.keys(&["Tab", "Right", "Tab"]);
    t.text("20k");
    t.keys(&["Enter"]);
    t.wait_for("the review", |s| s.contains("Sell 20,000 MSFT"), 10);
    t.keys(&["y"]);
    t.wait_for("P2 to work", |s| row(s, "P2").is_some_and(|r| r.contains("working")), 30);
    t.keys(&["Home"]);
    t.keys(&["x"]);
    t.wait_for("the cancel question", |s| s.contains("Cancel P2?"), 10);
    t.keys(&["y"]);
    t.wait_for("P2 cancelled", |s| row(s, "P2").is_some_and(|r| r.contains("cancelled")), 30);

    // Nothing works any more: q quits at once and the shell gets its terminal back.
    t.keys(&["q"]);
    let s = t.wait_for("the exit", |s| s.contains("EXITED="), 20);
    assert!(s.contains("EXITED=0"), "{s}");
    assert!(!s.contains("PAPER"), "the UI is gone from the screen:\n{s}");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor visible again");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse reporting off again");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("starting the terminal UI"), "logs go to the file: {logged}");
}

#[test]
fn a_panic_still_restores_the_terminal() {
    if !tmux_present() {
        eprintln!("SKIPPED a_panic_still_restores_the_terminal: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_blotter");
    let dir = tempfile::tempdir().unwrap();
    let session = format!("blotter-panic-{}", std::process::id());
    let cmd = format!(
        "HOME={home} RUST_BACKTRACE=0 {bin} --default-config --date 2026-11-25 --panic-after-frames 3 --log {home}/ui.log; echo EXITED=$?; sleep 60",
        home = dir.path().display()
    );
    let t = Tmux::start(&socket(), &session, 120, 40, &cmd);
    let s = t.wait_for("the exit", |s| s.contains("EXITED="), 30);
    assert!(s.contains("EXITED=101"), "a panic exits with 101:\n{s}");
    assert!(s.contains("panicking after 3 frames"), "the panic message reaches the restored screen:\n{s}");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor visible again");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse reporting off again");
    let logged = std::fs::read_to_string(dir.path().join("ui.log")).unwrap();
    assert!(logged.contains("panicking after 3 frames"), "the panic is in the log: {logged}");
}
