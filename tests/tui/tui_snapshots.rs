//! Snapshots of every pane on a fixed-size TestBackend, from a seeded engine
//! driven to 10:15 New York (never the wall clock). The `.snap` files are
//! committed: CI refuses to write new ones.

use blotter::tui::app::{App, Tab};
use blotter::tui::keymap::Keymap;
use blotter::tui::scenario::{demo_app, demo_client, press};
use blotter::tui::screenshots::render;
use blotter::tui::theme::Theme;

const SEED: u64 = 7;

use super::text;

async fn app() -> (blotter::client::Embedded, App) {
    let c = demo_client(SEED).await;
    let a = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    (c, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panes() {
    let (c, mut a) = app().await;
    let full = render(&a, 120, 40);
    let s = text(&full);
    // Sanity outside the snapshot: the scenario really has fills, a cancel and the PAPER badge.
    assert!(s.contains("PAPER") && s.contains("P1") && s.contains("cancelled") && s.contains("NBBO"), "{s}");
    insta::assert_snapshot!("blotter_and_venues", s);
    insta::assert_snapshot!("status_bar", text(&render(&a, 160, 40)).lines().next().unwrap_or_default());
    // At 80 columns the session state stays (it was the first segment dropped); the speed fits too
    // once the bar stops counting a separator before its first segment.
    let bar80 = text(&render(&a, 80, 24)).lines().next().unwrap_or_default().to_string();
    assert!(bar80.contains("AAPL open") && bar80.contains("10x") && bar80.contains("alerts"), "{bar80}");

    a.tab = Tab::Tca;
    insta::assert_snapshot!("tca", text(&render(&a, 120, 40)));
    a.tab = Tab::Alerts;
    insta::assert_snapshot!("alerts", text(&render(&a, 120, 40)));
    a.tab = Tab::Venues;

    let mut help = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut help, &["?"]).await;
    insta::assert_snapshot!("help", text(&render(&help, 120, 40)));

    let mut ticket = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(
        &c,
        &mut ticket,
        &[
            "n", "=AAP", "tab", "tab", "=25x", "=k", "tab", "tab", "=190.5", "tab", "=10:30", "tab", "=12:00", "tab",
            "=12",
        ],
    )
    .await;
    insta::assert_snapshot!("ticket", text(&render(&ticket, 120, 40)));
    press(&c, &mut ticket, &["enter"]).await;
    let review = text(&render(&ticket, 120, 40));
    // The review and the panel beside it give the share of ADV to the same
    // digits (the review said 0.05% beside 0.045%): 25,000 / 55m ADV.
    assert!(review.contains("0.045% of ADV") && review.contains("% of ADV     0.045%"), "{review}");
    insta::assert_snapshot!("ticket_review", review);

    let mut pov = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut pov, &["n", "=MSFT", "tab", "tab", "=1m", "tab", "=p", "tab", "tab", "tab", "tab", "=0.7"]).await;
    insta::assert_snapshot!("ticket_pov_errors", text(&render(&pov, 120, 40)));

    let mut q = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut q, &["x"]).await;
    insta::assert_snapshot!("cancel_question", text(&render(&q, 120, 40)));
    let mut k = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut k, &["K", "=kill", "enter"]).await;
    insta::assert_snapshot!("kill_all_prompt", text(&render(&k, 120, 40)));
    let mut f = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut f, &["/", "=status:working", "enter"]).await;
    insta::assert_snapshot!("filtered", text(&render(&f, 120, 40)));
    let mut quit = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut quit, &["q"]).await;
    assert!(!quit.quit, "orders are working: q asks first");
    insta::assert_snapshot!("quit_question", text(&render(&quit, 120, 40)));
    insta::assert_snapshot!("too_small", text(&render(&a, 60, 20)));
    insta::assert_snapshot!("smallest_usable_80x24", text(&render(&a, 80, 24)));
}

/// The demo's caption bar above the desk, as `blotter demo` shows it.
fn caption(fired: usize, waiting: bool, auto: bool) -> blotter::tui::demo::DemoView {
    use blotter::tui::scenario::ny;
    blotter::tui::demo::DemoView {
        title: "blotter: a day on the paper desk".into(),
        fired,
        total: 13,
        caption: "The open. A VWAP buys 300,000 AAPL over the day, slicing along the U-shaped volume curve: heavy at \
                  the open and the close, light at lunch. Passive while on schedule, crossing when behind."
            .into(),
        look: Some(blotter::demo::Look::Blotter),
        select: Some(blotter::model::ParentId::local(1)),
        next_at: (fired < 13).then(|| ny("09:32")),
        waiting,
        auto,
        auto_in: auto.then_some(2.5),
        left: false,
        refused: Vec::new(),
        desk: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_caption_bar() {
    use blotter::tui::app::Msg;
    let (_c, mut a) = app().await;
    let top = |a: &App| text(&render(a, 120, 40)).lines().take(7).collect::<Vec<_>>().join("\n");
    a.on_msg(Msg::Demo(Box::new(caption(2, true, false))));
    let s = top(&a);
    assert!(s.contains("step 2 of 13") && s.contains("waiting for the next step (09:32:00 EST)"), "{s}");
    assert!(s.contains("look at the blotter, P1"), "{s}");
    assert!(s.contains("space") && s.contains("next step now") && s.contains("leave the script"), "{s}");
    insta::assert_snapshot!("demo_caption_waiting", s);
    a.on_msg(Msg::Demo(Box::new(caption(2, false, true))));
    let s = top(&a);
    assert!(s.contains("auto: next step in 2.5 s") && s.contains("any other key takes over"), "{s}");
    insta::assert_snapshot!("demo_caption_auto", s);
    // Unattended with the clock held at the step's time, the countdown still shows; at 80
    // columns the keys that do not fit whole are left to the footer, none is cut.
    a.on_msg(Msg::Demo(Box::new(caption(2, true, true))));
    let s = text(&render(&a, 80, 24));
    let state = s.lines().find(|l| l.contains("▶ auto: next step in 2.5 s")).unwrap_or_else(|| panic!("{s}"));
    assert!(state.trim_end_matches(['┃', ' ']).ends_with("leave the script"), "{state}");
    assert!(!state.contains("waiting") && !state.contains("any other key"), "{state}");
    a.on_msg(Msg::Demo(Box::new(caption(13, false, false))));
    let s = top(&a);
    assert!(s.contains("step 13 of 13") && s.contains("end of the script: the desk is yours"), "{s}");
    assert!(!s.contains("next step now"), "no step left to advance to: {s}");
    insta::assert_snapshot!("demo_caption_end", s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_include_the_supervisor_view_and_the_demo() {
    let shots = blotter::tui::screenshots::shots(SEED).await;
    let screen = |name: &str| {
        let s = shots.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no {name} shot"));
        text(&render(&s.app, s.width, s.height))
    };
    let sup = screen("supervisor");
    assert!(sup.contains("Working orders · every desk") && sup.contains("bob@az"), "{sup}");
    let demo = screen("demo");
    assert!(demo.contains("step 5 of 14 · look at the blotter, P4"), "{demo}");
    assert!(demo.contains("waiting for the next step (09:45:00 EST)") && demo.contains("‖ paused"), "{demo}");
    assert!(demo.contains("Implementation shortfall (Almgren-Chriss) buys 200,000 SPY"), "{demo}");
}

/// The committed screenshots are what `blotter screenshots` draws today: a
/// change to what the UI shows fails here until they are regenerated (the
/// SVGs are compared; the PNGs are converted from them by `rsvg-convert`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_screenshots_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let shots = blotter::tui::screenshots::shots(SEED).await;
    assert!(shots.len() >= 10, "every screen is drawn: {}", shots.len());
    let mut stale = Vec::new();
    for s in &shots {
        let svg = blotter::tui::svg::render(&render(&s.app, s.width, s.height), &s.palette);
        let file = dir.join(format!("{}.svg", s.name));
        if std::fs::read_to_string(&file).ok().as_deref() != Some(svg.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing screenshots (run `cargo run --release -- screenshots` and commit them): {stale:?}"
    );
}

/// A VWAP order's tracking per bucket shows under the metrics when it fits:
/// each bucket's start and its planned, forecast, market and executed shares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tca_tab_shows_vwap_tracking_when_it_fits() {
    use blotter::model::Timestamp;
    use blotter::tca::BucketTracking;
    let (_c, mut a) = app().await;
    a.tab = Tab::Tca;
    let (_, report) = a.tca.as_mut().expect("the selected order's report is loaded");
    // 2026-11-25 14:30 UTC = 09:30 New York; two half hours.
    let t0 = Timestamp(1_795_617_000_000_000_000);
    let half = 1_800_000_000_000i64;
    report.vwap_tracking = Some(vec![
        BucketTracking {
            start: t0,
            end: Timestamp(t0.0 + half),
            planned: 0.25,
            forecast: 0.3,
            market: 0.35,
            executed: 0.4,
        },
        BucketTracking {
            start: Timestamp(t0.0 + half),
            end: Timestamp(t0.0 + 2 * half),
            planned: 0.75,
            forecast: 0.7,
            market: 0.65,
            executed: 0.6,
        },
    ]);
    let tall = text(&render(&a, 120, 60));
    assert!(tall.contains("from EST    plan   fcst    mkt   exec"), "{tall}");
    assert!(tall.contains("09:30      25.0%  30.0%  35.0%  40.0%"), "{tall}");
    assert!(tall.contains("10:00      75.0%  70.0%  65.0%  60.0%"), "{tall}");
    // On a Zurich desk (:tz Europe/Zurich) the buckets are in the desk's clock and say so,
    // not New York's unlabelled (they read 09:30 and 10:00 under a desk clock of 15:30).
    a.tz = chrono_tz::Europe::Zurich;
    let zurich = text(&render(&a, 120, 60));
    assert!(zurich.contains("from CET    plan"), "{zurich}");
    assert!(zurich.contains("15:30      25.0%") && zurich.contains("16:00      75.0%"), "{zurich}");
    a.tz = chrono_tz::America::New_York;
    // Where it does not all fit, none of it is shown.
    let short = text(&render(&a, 120, 40));
    assert!(!short.contains("fcst"), "{short}");
}

/// The order ticket on the smallest terminal: a message under a field and a
/// value beside its label continue in their own column when they wrap,
/// never back at the panel's left edge where they would read as a new field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_wraps_in_its_columns_at_80x24() {
    let (c, _) = app().await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    // A buy limit far through the market, no quantity yet.
    press(&c, &mut t, &["n", "=AAPL", "tab", "tab", "tab", "tab", "=1000"]).await;
    let s = text(&render(&t, 80, 24));
    let rows: Vec<&str> = s.lines().collect();
    let at =
        rows.iter().position(|l| l.contains("required: a quantity such as 25000")).unwrap_or_else(|| panic!("{s}"));
    // The message's second row starts under its first (4 columns in), the
    // pre-trade value's under the value (after the 13-column label).
    let next = rows[at + 1];
    assert!(next.starts_with("┃    or 25k"), "{next}\n{s}");
    let lim = rows.iter().position(|l| l.contains("limit vs mid")).unwrap_or_else(|| panic!("{s}"));
    let cont = rows[lim + 1].split('│').nth(1).unwrap_or_default();
    assert!(cont.starts_with("              market)"), "{cont:?}\n{s}");
    insta::assert_snapshot!("ticket_80x24", s);
}

/// The VWAP ticket has more fields than 24 rows hold: it scrolls by whole
/// fields with the focused one always in view, says how many are hidden
/// above and below (every field is shown or counted, once), and keeps the
/// key hints at the bottom of its column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vwap_ticket_scrolls_its_fields_at_80x24() {
    let (c, _) = app().await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut t, &["n", "=AAPL", "tab", "tab", "=25k", "tab", "=v"]).await;
    let n = t.ticket.as_ref().map(|tk| tk.fields().len()).unwrap_or_default();
    assert_eq!(n, 7 + 15, "7 order fields, 14 VWAP parameters and on pause");
    let count = |s: &str, arrow: &str| -> usize {
        s.lines()
            .find_map(|l| l.split(arrow).nth(1).filter(|r| r.contains(" more")))
            .and_then(|r| r.split_whitespace().next().and_then(|k| k.parse().ok()))
            .unwrap_or(0)
    };
    let mut scrolled = false;
    for _ in 0..n {
        let s = text(&render(&t, 80, 24));
        let tk = t.ticket.as_ref().unwrap();
        let label = tk.label(tk.focus);
        // The fields' column: left of the pre-trade panel.
        let left: Vec<&str> = s.lines().map(|l| l.split('│').next().unwrap_or_default()).collect();
        let focused = left.iter().filter(|l| l.contains("▶ ")).collect::<Vec<_>>();
        assert!(focused.len() == 1 && focused[0].contains(label), "{label} in view\n{s}");
        let shown = left.iter().filter(|l| l.trim_end().ends_with('✓') || l.trim_end().ends_with('✗')).count();
        let (above, below) = (count(&s, "↑ "), count(&s, "↓ "));
        assert_eq!(shown + above + below, n, "{label}: {shown} shown, {above} above, {below} below\n{s}");
        assert!(s.contains("enter reviews"), "{label}: the hints stay\n{s}");
        scrolled |= above > 0;
        if label == "prior wt." {
            insta::assert_snapshot!("ticket_vwap_80x24", s);
        }
        press(&c, &mut t, &["tab"]).await;
    }
    assert!(scrolled, "24 rows cannot hold them all");
}

/// Every cell of every pane is on the theme's own background. The TCA charts
/// left theirs to the terminal (ratatui's chart resets it): in the light
/// theme on a dark terminal, a black box with dark green and blue lines; in
/// the dark theme on a light one, light grey lines on white.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pane_paints_the_theme_background() {
    use ratatui::style::Color;
    fn check(a: &App, what: &str) {
        for (w, h) in [(80, 24), (120, 40)] {
            let b = render(a, w, h);
            let unpainted: Vec<(u16, u16)> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| b[(x, y)].bg == Color::Reset)
                .collect();
            assert!(
                unpainted.is_empty(),
                "{what} {w}x{h}: {} cells on the terminal's background, first at {:?}\n{}",
                unpainted.len(),
                unpainted[0],
                text(&b)
            );
        }
    }
    let c = demo_client(SEED).await;
    for name in ["dark", "light", "high-contrast"] {
        let theme = || Theme::builtin(name).unwrap_or_else(|| panic!("{name} is built in"));
        let mut a = demo_app(&c, theme(), Keymap::defaults()).await;
        for tab in [Tab::Venues, Tab::Tca, Tab::Alerts, Tab::Positions] {
            a.tab = tab;
            check(&a, &format!("{name} {tab:?}"));
        }
        // The ticket with its schedule preview (a bar chart).
        let mut ticket = demo_app(&c, theme(), Keymap::defaults()).await;
        press(&c, &mut ticket, &["n", "=AAPL", "tab", "tab", "=25k"]).await;
        check(&ticket, &format!("{name} ticket"));
    }
}

/// The 80x24 ticket with the desk's fat-finger controls and a limit typed:
/// the controls line (two rows, four with "limit past the collar") and the
/// limit's two rows pushed the cost table off the panel, the total first
/// (keys: n AAPL tab tab 25k tab tab 300). The lines above the table give
/// way (to one row each) so that every model, the total and what it adds
/// up stay, with the collar warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_80x24_ticket_keeps_its_cost_table_with_a_limit_and_controls() {
    use blotter::client::Client;
    let c = demo_client(SEED).await;
    let desk = blotter::tui::scenario::actor().tenant;
    c.set_limits(&desk, None, blotter::risk::Limits::fat_finger()).await.expect("a supervisor sets limits");
    for (algo, moves) in [("TWAP", 0), ("VWAP", 1), ("POV", 2), ("SNIPER", 5)] {
        for limit in ["230", "300"] {
            let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
            let mut keys = vec!["n", "=AAPL", "tab", "tab", "=25k", "tab"];
            keys.extend(std::iter::repeat_n("right", moves));
            let typed = format!("={limit}");
            keys.extend(["tab", typed.as_str()]);
            press(&c, &mut t, &keys).await;
            let s = text(&render(&t, 80, 24));
            let panel: Vec<&str> = s.lines().filter_map(|l| l.split('│').nth(1)).collect();
            let models = ["linear", "sqrt", "propagator", "spread", "latency", "adverse selection", "total"];
            for m in models {
                assert!(panel.iter().any(|l| l.starts_with(&format!(" {m} "))), "{algo} {limit}: {m} shown\n{s}");
            }
            assert!(panel.iter().any(|l| l.contains("collar")), "{algo} {limit}: the controls\n{s}");
            if limit == "300" {
                // 300 is 31% over a 228.71 mid, past the ±1000 bps collar.
                assert!(panel.iter().any(|l| l.contains("refused")), "{algo}: the collar warning\n{s}");
            }
            if (algo, limit) == ("TWAP", "300") {
                insta::assert_snapshot!("ticket_80x24_controls", s);
            }
        }
    }
}

/// A limit far from the mid: its distance was written ungrouped with two
/// decimals ("+437133.16%" for 1,000,000 on AAPL at 228.71; keys: n AAPL tab
/// tab 100 tab tab 1000000), where the share of ADV beside it is grouped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_far_from_the_mid_reads_grouped() {
    let c = demo_client(SEED).await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut t, &["n", "=AAPL", "tab", "tab", "=100", "tab", "tab", "=1000000"]).await;
    let s = text(&render(&t, 120, 40));
    // By hand, from the NBBO mid (228.70 + 228.72) / 2 = 228.71: 1,000,000 / 228.71 - 1
    // = 4,371.349 = +437,135%.
    assert!(s.contains("limit vs mid +437,135% (through the market)"), "{s}");
    // A sell's limit at the smallest tick: -99.99%, two decimals as before.
    press(&c, &mut t, &["backtab", "backtab", "backtab", "right", "tab", "tab", "tab"]).await;
    press(&c, &mut t, &["backspace"; 7]).await;
    press(&c, &mut t, &["=0.01"]).await;
    let s = text(&render(&t, 120, 40));
    assert!(s.contains("SELL") && s.contains("limit vs mid -100.00% (through the market)"), "{s}");
}

/// A routing decision's reason longer than its pane continued at the pane's
/// left edge ("0.95, queue 497), NYSE 440 ..." under "10:15:00"), where it
/// reads as a line of its own: it continues under its first row, indented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_reason_wraps_under_itself() {
    let (_c, a) = app().await;
    let s = text(&render(&a, 120, 40));
    let rows: Vec<&str> = s.lines().skip_while(|l| !l.contains("routing decisions")).skip(1).collect();
    let pane: Vec<&str> = rows
        .iter()
        .map_while(|l| l.strip_prefix('│').filter(|_| !l.starts_with('└')))
        .map(|l| l.split('│').next().unwrap_or_default())
        .collect();
    assert!(pane.len() > 3, "{s}");
    let at_a_time = |l: &str| l.len() > 8 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':';
    for l in &pane {
        assert!(at_a_time(l) || l.starts_with("  ") || l.trim().is_empty(), "{l:?} starts at the edge\n{s}");
    }
    // The reason is there, whole: the first decision's last venue.
    assert!(pane.iter().any(|l| l.contains("IEX 110")), "{s}");
}

/// A quantity past the engine's limit (keys: n AAPL tab tab 1000000000000)
/// was refused three times on the ticket: under the field, as "✗ engine"
/// and as "✗ estimate", crowding 80x24. It is said once, by the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quantity_past_the_engines_limit_is_refused_once() {
    let c = demo_client(SEED).await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut t, &["n", "=AAPL", "tab", "tab", "=1000000000000"]).await;
    for (w, h) in [(80, 24), (120, 40)] {
        let s = text(&render(&t, w, h));
        assert!(!s.contains("✗ engine") && !s.contains("✗ estimate"), "{w}x{h}\n{s}");
        // Once, under the quantity (wrapped in its column, so by a phrase on one row).
        assert_eq!(s.matches("USD; the largest order this engine").count(), 1, "{w}x{h}\n{s}");
        assert!(s.contains("▶ quantity   1000000000000  ✗"), "{w}x{h}\n{s}");
    }
}

/// The TCA tab's pre-trade estimate read "+3.0 bps $4.12k sd 60", its
/// timing risk without a unit: every figure says it (±60 bps, one sd).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_trade_estimate_says_its_timing_risk_in_bps() {
    let (_c, mut a) = app().await;
    a.tab = Tab::Tca;
    for (w, h) in [(120, 40), (200, 60)] {
        let s = text(&render(&a, w, h));
        let line = s.lines().find(|l| l.contains("pre-trade est")).unwrap_or_default();
        assert!(!line.contains(" sd "), "{w}x{h}: {line}\n{s}");
        let after = line.split("pre-trade est").nth(1).and_then(|r| r.split('│').next()).unwrap_or_default();
        assert!(after.contains("+3.0 ±60 bps $4.12k"), "{w}x{h}: {line}\n{s}");
    }
}

/// At 100x30 the Venues tab drew the routing decisions' title with no row
/// under it: where the pane is drawn, a decision shows under its title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routing_decisions_pane_has_rows_or_is_not_drawn() {
    let (_c, mut a) = app().await;
    a.tab = Tab::Venues;
    // Every height from 80x24 to 200x60, at the widths of both layouts
    // (stacked under 110 columns, side by side from 110).
    for (w, h) in [80, 100, 120, 200].into_iter().flat_map(|w| (24..=60).map(move |h| (w, h))) {
        let s = text(&render(&a, w, h));
        let Some(at) = s.lines().position(|l| l.contains("routing decisions")) else { continue };
        let (line, under) = (s.lines().nth(at).unwrap_or_default(), s.lines().nth(at + 1).unwrap_or_default());
        // The row under the title, in the title's columns: a decision's time.
        let col = line.chars().position(|c| c == 'r').unwrap_or_default();
        let row: String = under.chars().skip(col.saturating_sub(4)).take(14).collect();
        assert!(row.contains(':'), "{w}x{h}: nothing under the title: {under:?}\n{s}");
    }
}

/// The review's hints ("y/enter send order n/esc back to edit") were wider
/// than the 40 columns the review has at 80x24, and "edit" wrapped to the
/// left edge alone: each hint keeps its key and words on one row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviews_hints_fit_at_80_columns() {
    let c = demo_client(SEED).await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    press(&c, &mut t, &["n", "=AAPL", "tab", "tab", "=25k"]).await;
    // The edit stage's hints, the same way: "· esc closes" began a row.
    let s = text(&render(&t, 80, 24));
    let left: Vec<&str> = s.lines().filter_map(|l| l.split('┃').nth(1)?.split('│').next()).collect();
    assert!(left.iter().any(|l| l.starts_with("enter reviews")), "{s}");
    assert!(left.iter().all(|l| !l.starts_with('·')), "{s}");
    press(&c, &mut t, &["enter"]).await;
    for (w, h) in [(80, 24), (120, 40)] {
        let s = text(&render(&t, w, h));
        let left: Vec<&str> = s.lines().filter_map(|l| l.split('┃').nth(1)?.split('│').next()).collect();
        assert!(left.iter().any(|l| l.contains("Review")), "{w}x{h}: the review\n{s}");
        assert!(left.iter().any(|l| l.contains("n/esc") && l.contains("back to edit")), "{w}x{h}\n{s}");
        assert!(left.iter().any(|l| l.contains("y/enter") && l.contains("send order")), "{w}x{h}\n{s}");
    }
}

/// The amend ticket's cost panel had only a spread-cross row (keys: `a` on
/// a working order): it shows the engine's estimate for what the amended
/// order has left to do, as the new-order ticket does for its order, and
/// says that it is the residual's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_amend_ticket_shows_the_engines_estimate_for_the_residual() {
    let c = demo_client(SEED).await;
    let mut t = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    // P1: BUY 60,000 AAPL with 30,003 filled (the blotter's selected order).
    press(&c, &mut t, &["a"]).await;
    let s = text(&render(&t, 120, 40));
    assert!(s.contains("Amend P1"), "{s}");
    let panel: Vec<&str> = s.lines().filter_map(|l| l.split('┃').nth(1)?.split('│').nth(1)).collect();
    for m in ["linear", "sqrt", "total"] {
        assert!(panel.iter().any(|l| l.starts_with(&format!(" {m} "))), "{m} shown\n{s}");
    }
    assert!(!s.contains("spread cross"), "{s}");
    // 60,000 - 30,003 = 29,997 left.
    assert!(panel.iter().any(|l| l.contains("residual") && l.contains("29,997")), "{s}");
    // At 80x24 the residual and the total stay.
    let s = text(&render(&t, 80, 24));
    let panel: Vec<&str> = s.lines().filter_map(|l| l.split('┃').nth(1)?.split('│').nth(1)).collect();
    assert!(panel.iter().any(|l| l.contains("residual") && l.contains("29,997")), "{s}");
    assert!(panel.iter().any(|l| l.starts_with(" total ")), "{s}");
    // A larger quantity: 70,000 - 30,003 = 39,997.
    press(&c, &mut t, &["backspace"; 5]).await;
    press(&c, &mut t, &["=70000"]).await;
    let s = text(&render(&t, 120, 40));
    let panel: Vec<&str> = s.lines().filter_map(|l| l.split('┃').nth(1)?.split('│').nth(1)).collect();
    assert!(panel.iter().any(|l| l.contains("residual") && l.contains("39,997")), "{s}");
    assert!(panel.iter().any(|l| l.starts_with(" total ")), "{s}");
}

/// An order that ended with quantity left says why where a desk looks: the
/// TCA panel above its filled/unfilled figures, the detail pane's title and
/// the alert, whole at 80x24 (wrapped, never cut), in the zone the engine
/// wrote it in. A BUY of 10,000 AAPL limited at 200.00 (the mid is near 229,
/// see `tca.snap`) over 09:30-10:00 never trades; at 10:00 its window ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_order_says_why_it_ended_short() {
    use blotter::client::Client;
    use blotter::engine::OrderRequest;
    use blotter::model::{AlgoKind, Price, Qty, Side};
    use blotter::tui::scenario::{actor, engine, ny};
    let c = blotter::client::Embedded::start(engine(SEED), 0.0, actor());
    let req = OrderRequest {
        symbol: "AAPL".into(),
        side: Side::Buy,
        qty: Qty::from_int(10_000),
        algo: AlgoKind::Twap,
        params: Default::default(),
        start: Some(ny("09:30")),
        end: Some(ny("10:00")),
        limit_px: Some(Price::parse("200.00").expect("a price")),
        decision_px: None,
        acknowledge_warnings: true,
    };
    c.submit(req).await.expect("the order is accepted");
    c.with_engine(|e| e.run_until(ny("10:15")));
    let mut a = demo_app(&c, Theme::dark(), Keymap::defaults()).await;
    let why = "window ended at 10:00 America/New_York";
    let (_, report) = a.tca.as_ref().expect("the selected order's report is loaded");
    assert_eq!(report.end_reason.as_deref(), Some(why));

    a.tab = Tab::Tca;
    let s = text(&render(&a, 80, 24));
    let body = words(&s);
    assert!(body.contains(&format!("ended short 10,000 unfilled: {why}")), "{s}");
    // Above the figures it explains: the first metric is the filled quantity.
    let at = |needle: &str| s.lines().position(|l| l.contains(needle)).unwrap_or(usize::MAX);
    assert!(at("ended short") < at("0 of 10,000"), "{s}");
    insta::assert_snapshot!("tca_expired_80x24", s);
    // A longer reason (a venue's hours) wraps under itself, whole, and the title cuts it with an ellipsis.
    let venue = "venue closed: AAPL trades 09:30-16:00 America/New_York on 2026-11-25; \
                 nothing more is sent after 15:59 America/New_York";
    a.tca.as_mut().expect("loaded").1.end_reason = Some(venue.into());
    let s = text(&render(&a, 80, 24));
    let body = words(&s);
    assert!(body.contains(&format!("ended short 10,000 unfilled: {venue}")), "{s}");
    let rows: Vec<&str> = s.lines().skip_while(|l| !l.contains("ended short")).take(2).collect();
    assert!(rows[1].starts_with(&format!("│{}America/New_York on", " ".repeat(17))), "{s}");
    assert!(s.contains("Detail · P1 ▲ BUY AAPL · expired: venue closed: AAPL trades 09:30-16:00 Ame… ┐"), "{s}");
    a.tca.as_mut().expect("loaded").1.end_reason = Some(why.into());

    // The detail pane's title says it on every tab, and so does the alert.
    a.tab = Tab::Alerts;
    let s = text(&render(&a, 80, 24));
    assert!(s.contains(&format!("Detail · P1 ▲ BUY AAPL · expired: {why}")), "{s}");
    let body = words(&s);
    // Dated when it expired (the event's time), not when the desk read it from the history at 10:15.
    assert!(body.contains(&format!("10:00:00 warn P1 expired with 10,000 unfilled: {why}")), "{s}");
    insta::assert_snapshot!("alerts_expired_80x24", s);
}

/// The screen's words in order, borders dropped: a text wrapped over rows reads as one.
fn words(s: &str) -> String {
    s.replace(['│', '┃'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}
