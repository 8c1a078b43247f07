//! Keymap, theme and config files: valid and invalid fixtures, and the
//! binary's refusal to start on a bad config unless told to use defaults.

use assert_cmd::Command;
use blotter::tui::config::Config;
use blotter::tui::keymap::{Context, Keymap};
use blotter::tui::theme::Theme;
use predicates::prelude::*;
use ratatui::style::Color;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn read(p: &str) -> String {
    std::fs::read_to_string(format!("{FIX}/{p}")).unwrap()
}

#[test]
fn user_keymap_merges_over_the_defaults() {
    let mut k = Keymap::defaults();
    k.merge("keymap/valid.toml", &read("keymap/valid.toml")).unwrap();
    let key = |s: &str| s.parse().unwrap();
    assert_eq!(k.lookup(Context::Normal, key("ctrl-n")), Some(blotter::tui::action::Action::NewOrder));
    assert_eq!(k.lookup(Context::Normal, key("x")), None);
    assert_eq!(k.lookup(Context::Normal, key("D")), Some(blotter::tui::action::Action::Cancel));
    assert_eq!(k.lookup(Context::Normal, key("n")), Some(blotter::tui::action::Action::NewOrder), "defaults stay");
}

#[test]
fn bad_keymap_names_file_line_and_key() {
    let mut k = Keymap::defaults();
    let e = k.merge("keymap/invalid.toml", &read("keymap/invalid.toml")).unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("keymap/invalid.toml: line 7, key 'run'"), "{s}");
    assert!(s.contains("cancel_everything"), "{s}");
}

#[test]
fn partial_theme_changes_only_what_it_names() {
    let t = Theme::merge(&Theme::dark(), "theme/valid.toml", &read("theme/valid.toml")).unwrap();
    assert_eq!(t.name, "mine");
    assert_eq!(t.buy.fg, Some(Color::Rgb(0x3b, 0x8e, 0xea)));
    assert_eq!(t.loss, Theme::dark().loss);
}

#[test]
fn bad_theme_names_file_line_and_key() {
    let e = Theme::merge(&Theme::dark(), "theme/invalid.toml", &read("theme/invalid.toml")).unwrap_err();
    assert!(e.to_string().starts_with("theme/invalid.toml: line 5, key 'sell'"), "{e}");
    assert!(e.to_string().contains("orangeish"), "{e}");
}

#[test]
fn config_fixtures() {
    let c = Config::parse("config/valid.toml", &read("config/valid.toml")).unwrap();
    assert_eq!((c.theme.as_str(), c.keymap.as_str(), c.speed, c.seed), ("light", "vim", 60.0, 9));
    assert_eq!(c.connect.as_deref(), Some("http://127.0.0.1:8898"));
    assert_eq!(
        (c.alerts.slippage_bps, c.alerts.behind_schedule_pct),
        (40.0, 10.0),
        "a partial [alerts] keeps the rest"
    );
    let e = Config::parse("config/invalid.toml", &read("config/invalid.toml")).unwrap_err();
    assert!(e.to_string().starts_with("config/invalid.toml: line 3, key 'speed'"), "{e}");
}

#[test]
fn the_binary_refuses_a_bad_config_and_says_how_to_start_anyway() {
    let path = format!("{FIX}/config/invalid.toml");
    Command::cargo_bin("blotter")
        .unwrap()
        .args(["--config", &path])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{path}: line 3, key 'speed'")))
        .stderr(predicate::str::contains("--default-config"));
}

#[test]
fn the_binary_refuses_an_unknown_theme() {
    Command::cargo_bin("blotter")
        .unwrap()
        .args(["--default-config", "--theme", "neon"])
        .env("HOME", std::env::temp_dir())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neon: no such theme; built in: dark, light, high-contrast, monochrome"));
}

#[test]
fn setup_merges_flags_over_config_and_reads_the_users_keymap() {
    use blotter::tui::config::Paths;
    use blotter::tui::{TuiArgs, setup};
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_dirs(dir.path(), dir.path());
    std::fs::write(&paths.config, read("config/valid.toml")).unwrap();
    std::fs::write(&paths.keymap, read("keymap/valid.toml")).unwrap();
    let s = setup(&TuiArgs::default(), paths.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.theme.name.as_str(), s.keymap.name.as_str(), s.config.speed), ("light", "vim", 60.0));
    let key = |k: &str| k.parse().unwrap();
    assert_eq!(s.keymap.lookup(Context::Normal, key("j")), Some(blotter::tui::action::Action::Down), "vim preset");
    assert_eq!(s.keymap.lookup(Context::Normal, key("D")), Some(blotter::tui::action::Action::Cancel), "user file");
    let flags = TuiArgs { theme: Some("high-contrast".into()), speed: Some(600.0), ..TuiArgs::default() };
    let s = setup(&flags, paths.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.theme.name.as_str(), s.config.speed), ("high-contrast", 600.0));

    std::fs::write(&paths.keymap, read("keymap/invalid.toml")).unwrap();
    let e = setup(&TuiArgs::default(), paths.clone()).err().unwrap().to_string();
    assert!(e.contains("keymap.toml: line 7, key 'run'") && e.contains("--default-config"), "{e}");
    let defaults = TuiArgs { default_config: true, ..TuiArgs::default() };
    let s = setup(&defaults, paths).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.theme.name.as_str(), s.keymap.name.as_str()), ("dark", "default"));
}

#[test]
fn a_user_theme_file_is_found_by_name_and_a_missing_one_says_where_it_looked() {
    let dir = std::path::Path::new(FIX).join("theme");
    let t = Theme::load("valid", Some(&dir)).unwrap();
    assert_eq!(t.name, "mine");
    assert_eq!(t.muted, Theme::dark().muted, "unnamed styles come from dark");
    let e = Theme::load("absent", Some(&dir)).unwrap_err().to_string();
    assert!(e.contains("absent.toml") && e.contains("high-contrast"), "{e}");
}

#[test]
fn without_a_terminal_the_binary_says_so_instead_of_drawing() {
    let home = tempfile::tempdir().unwrap();
    Command::cargo_bin("blotter")
        .unwrap()
        .args(["--default-config", "--date", "2026-11-25"])
        .env("HOME", home.path())
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("cannot open the terminal UI")
                .and(predicate::str::contains("run it in a terminal")),
        );
}

#[test]
fn a_bad_sidecar_url_or_alert_threshold_names_its_line() {
    let e = Config::parse("c.toml", "speed = 10\nconnect = \"https://desk:8898\"\n").unwrap_err().to_string();
    assert!(e.contains("line 2, key 'connect'") && e.contains("http://HOST:PORT"), "{e}");
    let e = Config::parse("c.toml", "[alerts]\nslippage_bps = 0\n").unwrap_err().to_string();
    assert!(e.contains("line 2, key 'alerts.slippage_bps'") && e.contains("positive"), "{e}");
    let e = Config::parse("c.toml", "[alerts]\nslipage_bps = 5\n").unwrap_err().to_string();
    assert!(e.contains("slipage_bps"), "an unknown key is named: {e}");
}
