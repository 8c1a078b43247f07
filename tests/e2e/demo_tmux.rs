//! End to end: `blotter demo --auto` in a real terminal (tmux) plays the
//! built-in script to its last caption by itself, then quits on `q` and
//! gives the terminal back. Skipped, saying why, only when tmux is missing.

use crate::tmux;

use tmux::{Tmux, tmux_present};

#[test]
fn demo_auto_reaches_its_last_caption_and_quit_restores_the_terminal() {
    if !tmux_present() {
        eprintln!("SKIPPED demo_auto_reaches_its_last_caption_and_quit_restores_the_terminal: tmux is not installed");
        return;
    }
    let script = blotter::demo::Script::parse(blotter::demo::BUILTIN, "built-in").unwrap();
    let last = script.steps.last().unwrap().caption.clone();
    // The caption wraps at the pane's width: its first words are enough to know it.
    let last_start: String = last.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    let total = script.steps.len();
    let bin = env!("CARGO_BIN_EXE_blotter");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("demo.log");
    // --hold-factor shortens each caption's hold (a test hook): the day plays in seconds.
    let cmd = format!(
        "HOME={home} {bin} demo --auto --hold-factor 0.05 --default-config --log {log}; echo EXITED=$?; sleep 60",
        home = dir.path().display(),
        log = log.display()
    );
    let t = Tmux::start(&format!("blotter-demo-{}", std::process::id()), "demo", 160, 48, &cmd);
    let s = t.wait_for("the caption bar", |s| s.contains("DEMO ·") && s.contains("PAPER"), 90);
    assert!(s.contains("auto") || s.contains(&format!("step {total} of {total}")), "{s}");
    assert_eq!(t.display("#{alternate_on}"), "1", "the UI uses the alternate screen");

    let s = t.wait_for(
        "the last step's caption",
        |s| s.contains(&format!("step {total} of {total}")) && s.contains(&last_start),
        400,
    );
    assert!(s.contains("end of the script: the desk is yours"), "{s}");
    // Every order is finished by the last step; the blotter says so once its refresh lands
    // (waited for, not assumed: a loaded machine may draw the caption first). Then q quits at once.
    t.wait_for("every order finished on screen", |s| s.contains("working 0"), 60);
    t.keys(&["q"]);
    let s = t.wait_for("the exit", |s| s.contains("EXITED="), 60);
    assert!(s.contains("EXITED=0"), "{s}");
    assert!(!s.contains("DEMO ·") && !s.contains("PAPER"), "the UI is gone from the screen:\n{s}");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor visible again");
    assert_eq!(t.display("#{mouse_any_flag}"), "0", "mouse reporting off again");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("starting the demo"), "logs go to the file: {logged}");
}

#[test]
fn the_presenter_advances_another_script_with_a_key_and_takes_over() {
    if !tmux_present() {
        eprintln!("SKIPPED the_presenter_advances_another_script_with_a_key_and_takes_over: tmux is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_blotter");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("two.toml");
    std::fs::write(
        &script,
        r#"title = "two steps"
date = "2026-11-25"
seed = 3
start = "09:29"
speed = 60

[[step]]
caption = "First: nothing traded yet."

[[step]]
at = "09:40"
caption = "Second: alice buys AAPL."
look = "blotter"
select = "P1"
[[step.order]]
symbol = "AAPL"
side = "buy"
qty = "5k"
algo = "twap"
start = "09:40"
end = "15:00"
user = "alice"
tenant = "ws"
"#,
    )
    .unwrap();
    let cmd = format!(
        "HOME={home} {bin} demo --script {script} --default-config --log {home}/demo.log; echo EXITED=$?; sleep 60",
        home = dir.path().display(),
        script = script.display()
    );
    let t = Tmux::start(&format!("blotter-demo-key-{}", std::process::id()), "demo", 160, 48, &cmd);
    let s = t.wait_for("the first caption", |s| s.contains("two steps · step 1 of 2"), 90);
    assert!(s.contains("First: nothing traded yet.") && s.contains("next step (09:40:00 EST)"), "{s}");
    assert!(!s.contains("auto"), "without --auto the presenter advances:\n{s}");
    // Space fires the next step at once, fast-forwarding the clock to 09:40.
    t.keys(&["Space"]);
    let s = t.wait_for("the second caption", |s| s.contains("step 2 of 2") && s.contains("P1"), 90);
    assert!(s.contains("Second: alice buys AAPL.") && s.contains("end of the script"), "{s}");
    // The presenter takes over: the desk's keys work as usual.
    t.keys(&["n"]);
    t.wait_for("the ticket", |s| s.contains("New order"), 30);
    t.keys(&["Escape"]);
    t.wait_for("the ticket closed", |s| !s.contains("New order"), 30);
    // P1 works until 15:00: quitting asks first.
    t.keys(&["q"]);
    t.wait_for("the quit question", |s| s.contains("Quit anyway?"), 30);
    t.keys(&["y"]);
    let s = t.wait_for("the exit", |s| s.contains("EXITED="), 60);
    assert!(s.contains("EXITED=0"), "{s}");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor visible again");
}
