//! Keys on the desk: tickets, questions, prompts, the palette, bulk actions.

use super::*;
use crate::tui::keymap::Keymap;
use crate::tui::scenario::synthetic_rows;
use crate::tui::theme::Theme;
use crate::tui::ticket::FieldId;
use crossterm::event::{KeyCode, KeyModifiers};

fn app() -> App {
    let mut a = App::new("embedded".into(), Theme::dark(), Keymap::defaults(), 10.0);
    let (orders, details) = synthetic_rows(12, 3);
    a.set_orders(orders, details);
    a.table.height.set(5);
    a
}

fn key(a: &mut App, k: &str) -> Vec<Effect> {
    let k: super::super::keymap::Key = k.parse().unwrap();
    a.on_key(KeyEvent::new(k.code, k.mods))
}

fn typed(a: &mut App, s: &str) {
    for c in s.chars() {
        a.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

#[test]
fn kill_all_needs_the_word_typed() {
    let mut a = app();
    key(&mut a, "K");
    typed(&mut a, "kill");
    assert!(key(&mut a, "enter").is_empty());
    assert!(matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("KILL"))));
    key(&mut a, "esc");
    key(&mut a, "K");
    typed(&mut a, KILL_WORD);
    assert_eq!(key(&mut a, "enter"), vec![Effect::KillAll]);
    assert!(a.overlay.is_none());
}

#[test]
fn cancel_asks_first_and_quit_warns_while_orders_work() {
    let mut a = app();
    let id = a.selected_order().unwrap().order.id;
    assert!(key(&mut a, "x").is_empty());
    assert_eq!(key(&mut a, "y"), vec![Effect::Cancel(id)]);
    key(&mut a, "q");
    assert!(!a.quit && matches!(a.overlay, Some(Overlay::Question(Question::Quit { .. }))));
    key(&mut a, "n");
    assert!(a.overlay.is_none() && !a.quit);
    key(&mut a, "ctrl-c");
    key(&mut a, "ctrl-c");
    assert!(a.quit, "ctrl-c twice quits even with orders working");
}

#[test]
fn jump_filter_expand_and_speed() {
    let mut a = app();
    key(&mut a, ":");
    typed(&mut a, "P3");
    key(&mut a, "enter");
    assert_eq!(a.table.selected, Some(RowKey::Parent(ParentId::local(3))));
    key(&mut a, ":");
    typed(&mut a, "P99");
    key(&mut a, "enter");
    assert!(matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref() == Some("no order P99")));
    key(&mut a, "esc");
    // An unknown theme reopens the palette with the names, like any other palette error.
    let theme = a.theme.name.clone();
    key(&mut a, ":");
    typed(&mut a, "theme nosuch");
    key(&mut a, "enter");
    assert!(
        matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.input.value() == "theme nosuch"
            && p.error.as_deref().is_some_and(|e| e.contains("'nosuch' is not built in") && e.contains("dark"))),
        "{:?}",
        a.overlay
    );
    assert_eq!(a.theme.name, theme);
    key(&mut a, "esc");
    key(&mut a, "enter");
    assert!(a.table.expanded.contains(&ParentId::local(3)));
    key(&mut a, "down");
    assert!(matches!(a.table.selected, Some(RowKey::Child(c)) if c.parent == ParentId::local(3)));
    key(&mut a, "left");
    assert_eq!(a.table.selected, Some(RowKey::Parent(ParentId::local(3))));
    key(&mut a, "/");
    typed(&mut a, "venue:X");
    key(&mut a, "enter");
    assert!(
        matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("not a filter field")))
    );
    assert_eq!(key(&mut a, "esc"), vec![]);
    assert_eq!(key(&mut a, "+"), vec![Effect::SetSpeed(30.0)]);
    assert_eq!(key(&mut a, "-"), vec![Effect::SetSpeed(10.0)]);
    assert!(matches!(key(&mut a, "y").as_slice(), [Effect::Copy(id)] if id == "P3"));
}

#[test]
fn speed_keys_pressed_quickly_are_not_undone_by_an_older_clock() {
    use crate::engine::view::ClockView;
    use crate::model::Timestamp;
    let clock = |speed| {
        super::super::app::Msg::Clock(ClockView {
            now: Timestamp(0),
            date: "2026-11-25".into(),
            speed: Some(speed),
            effective_speed: None,
            sessions: Vec::new(),
        })
    };
    let mut a = app();
    // 10x -> 30x -> 60x; the ticker's clock, read before either change, still says 10x.
    assert_eq!(key(&mut a, "+"), vec![Effect::SetSpeed(30.0)]);
    assert_eq!(key(&mut a, "+"), vec![Effect::SetSpeed(60.0)]);
    a.on_msg(clock(10.0));
    assert_eq!(key(&mut a, "+"), vec![Effect::SetSpeed(120.0)], "the third press counts from 60x, not 10x");
    a.on_msg(clock(60.0));
    assert_eq!(a.speed_asked, Some(120.0), "an earlier change landing does not end the wait for the last");
    a.on_msg(clock(120.0));
    assert_eq!(a.speed_asked, None);
    // With nothing asked, the engine's clock is the truth (another client changed it).
    a.on_msg(clock(600.0));
    assert_eq!(key(&mut a, "-"), vec![Effect::SetSpeed(300.0)]);
}

#[test]
fn a_risk_warning_is_sent_again_only_when_acknowledged() {
    let mut a = app();
    let req = crate::tui::scenario::demo_orders().remove(0);
    a.on_msg(super::super::app::Msg::RiskWarning(Box::new(req.clone()), "pct_adv 12% above 10%".into()));
    assert_eq!(a.context(), Context::Confirm);
    assert!(key(&mut a, "n").is_empty() && a.overlay.is_none(), "no: nothing is sent");
    a.on_msg(super::super::app::Msg::RiskWarning(Box::new(req.clone()), "pct_adv 12% above 10%".into()));
    let sent = key(&mut a, "y");
    assert_eq!(sent, vec![Effect::Submit(crate::engine::OrderRequest { acknowledge_warnings: true, ..req })]);
}

fn aapl() -> crate::engine::view::InstrumentView {
    crate::engine::view::InstrumentView {
        symbol: "AAPL".into(),
        name: "Apple Inc.".into(),
        asset_class: crate::model::AssetClass::Equity,
        currency: "USD".into(),
        tick_size: crate::model::Price::parse("0.01").unwrap(),
        lot_size: crate::model::Qty::from_int(1),
        adv: crate::model::Qty::from_int(55_000_000),
        open_today: true,
        quote_per: 1,
        calendar: Some(crate::model::Calendar::UsEquity),
        listing: "NASDAQ".into(),
    }
}

#[test]
fn the_ticket_sends_only_after_the_review() {
    let mut a = app();
    a.instruments = vec![aapl()];
    key(&mut a, "n");
    typed(&mut a, "AA");
    key(&mut a, "tab");
    assert_eq!(a.ticket.as_ref().unwrap().symbol.value(), "AAPL", "tab completes");
    key(&mut a, "tab");
    typed(&mut a, "2k");
    let review = key(&mut a, "enter");
    assert!(review.iter().all(|e| matches!(e, Effect::Preview(..))), "nothing is sent before the review");
    assert_eq!(a.context(), Context::Confirm);
    let sent = key(&mut a, "y");
    assert!(
        matches!(sent.as_slice(), [Effect::Submit(r)] if r.qty == crate::model::Qty::from_int(2_000) && &*r.symbol == "AAPL")
    );
    assert!(a.ticket.is_none());
}

#[test]
fn below_the_smallest_size_q_asks_where_it_can_be_seen() {
    let mut a = app();
    let small = crate::tui::screenshots::render(&a, 60, 20);
    let text: String = (0..20).map(|y| (0..60).map(|x| small[(x, y)].symbol()).collect::<String>()).collect();
    assert!(text.contains("Terminal too small") && text.contains("q quits"), "{text}");
    key(&mut a, "n");
    assert!(a.ticket.is_none(), "nothing but quitting works where nothing can be seen");
    key(&mut a, "q");
    assert!(matches!(a.overlay, Some(Overlay::Question(Question::Quit { .. }))), "orders work: it asks");
    let small = crate::tui::screenshots::render(&a, 60, 20);
    let text: String = (0..20).map(|y| (0..60).map(|x| small[(x, y)].symbol()).collect::<String>()).collect();
    assert!(text.contains("Quit anyway? y / n"), "the question is on the small screen: {text}");
    key(&mut a, "y");
    assert!(a.quit);
}

#[test]
fn below_the_smallest_size_nothing_unseen_sends_or_cancels() {
    // Keys: n AAPL tab tab 2k enter (the review), the window shrinks to 60x20, y.
    let mut a = app();
    a.instruments = vec![aapl()];
    crate::tui::screenshots::render(&a, 80, 24);
    key(&mut a, "n");
    typed(&mut a, "AAPL");
    key(&mut a, "tab");
    key(&mut a, "tab");
    typed(&mut a, "2k");
    key(&mut a, "enter");
    assert_eq!(a.context(), Context::Confirm);
    crate::tui::screenshots::render(&a, 60, 20);
    let sent = key(&mut a, "y");
    assert!(sent.iter().all(|e| matches!(e, Effect::Preview(..))), "sent unseen: {sent:?}");
    assert!(a.ticket.is_some(), "the ticket waits for the screen to be usable again");
    key(&mut a, "esc");
    assert!(a.ticket.as_ref().is_some_and(|t| t.stage == Stage::Review), "esc unseen does nothing either");
    // Enlarged, the review is back as it was and y sends.
    crate::tui::screenshots::render(&a, 80, 24);
    assert!(matches!(key(&mut a, "y").as_slice(), [Effect::Submit(_)]));

    // A cancel question asked at 80x24 is not answered on a screen that cannot show it.
    let id = a.selected_order().unwrap().order.id;
    key(&mut a, "x");
    crate::tui::screenshots::render(&a, 60, 20);
    assert!(key(&mut a, "y").is_empty(), "no cancel while the question is not shown");
    crate::tui::screenshots::render(&a, 80, 24);
    assert_eq!(key(&mut a, "y"), vec![Effect::Cancel(id)]);

    // The size message says q quits: it does, even with a ticket open where q would be typed.
    key(&mut a, "n");
    crate::tui::screenshots::render(&a, 60, 20);
    key(&mut a, "q");
    assert!(matches!(a.overlay, Some(Overlay::Question(Question::Quit { .. }))), "orders work: it asks");
    assert_eq!(a.ticket.as_ref().map(|t| t.symbol.value().to_string()), Some(String::new()), "q was not typed");
    key(&mut a, "q");
    assert!(a.quit);
}

#[test]
fn a_paste_types_into_the_field_and_never_acts_as_keys() {
    // Without bracketed paste, pasting "xy" on the blotter cancelled the selected order and
    // "AAPL\n...y" in the ticket opened the review and sent the order.
    let mut a = app();
    a.instruments = vec![aapl()];
    crate::tui::screenshots::render(&a, 80, 24);
    assert!(a.on_paste("xy").is_empty());
    assert!(a.overlay.is_none(), "no cancel question from a paste on the blotter");
    assert!(a.note.as_ref().is_some_and(|n| n.text.starts_with("paste ignored")), "{:?}", a.note);

    key(&mut a, "n");
    a.on_paste("aapl\n");
    let t = a.ticket.as_ref().unwrap();
    assert_eq!((t.symbol.value(), t.stage), ("AAPL", Stage::Edit), "the line break is not enter");
    key(&mut a, "tab");
    key(&mut a, "tab");
    let out = a.on_paste(" 25,000\r\ny");
    let t = a.ticket.as_ref().unwrap();
    assert_eq!(t.qty.value(), "25,000", "the field's filter applies to what is pasted");
    assert_eq!(t.stage, Stage::Edit);
    assert!(
        t.refused.as_ref().is_some_and(|(f, m)| *f == FieldId::Qty && m.starts_with("' ' not allowed")),
        "the first character refused is said: {:?}",
        t.refused
    );
    assert!(
        matches!(out.as_slice(), [Effect::Preview(_, Some(r), _)] if r.qty == crate::model::Qty::from_int(25_000)),
        "one preview for the whole paste: {out:?}"
    );
    key(&mut a, "enter");
    assert_eq!(a.context(), Context::Confirm);
    assert!(a.on_paste("y").is_empty(), "a paste never answers the review");
    assert!(a.ticket.as_ref().is_some_and(|t| t.stage == Stage::Review));
    key(&mut a, "esc");
    key(&mut a, "esc");

    // A long paste is cut to what a field can hold, and the cut is said.
    key(&mut a, "n");
    a.on_paste(&"A".repeat(5_000));
    assert_eq!(a.ticket.as_ref().unwrap().symbol.value().len(), crate::tui::paste::PASTE_MAX);
    assert!(a.note.as_ref().is_some_and(|n| n.text.contains("first 256 of 5000")), "{:?}", a.note);
    key(&mut a, "esc");

    // The filter takes a pasted line as typed, and stays open.
    key(&mut a, "/");
    a.on_paste("status:working\n");
    assert!(matches!(&a.overlay, Some(Overlay::Prompt(p)) if p.input.value() == "status:working" && p.error.is_none()));
    assert_eq!(a.table.filter.text, "status:working");
}

#[test]
fn bulk_actions_need_marks_or_the_filter_and_ask_first() {
    let mut a = app();
    // Marks: space marks and moves down; x asks about the marked orders only.
    let first = a.selected_order().unwrap().order.id;
    key(&mut a, "space");
    let second = a.selected_order().unwrap().order.id;
    key(&mut a, "space");
    assert_eq!(a.table.marked.len(), 2);
    assert!(key(&mut a, "x").is_empty());
    let Some(Overlay::Question(Question::Bulk(Bulk::Cancel, ids))) = a.overlay.clone() else {
        panic!("{:?}", a.overlay)
    };
    // Orders already final cannot be cancelled: left out (synthetic row 0 of every 7 is done, 2 cancelled).
    let open: Vec<ParentId> = [first, second]
        .into_iter()
        .filter(|id| a.orders.iter().any(|o| o.order.id == *id && !o.order.status.is_terminal()))
        .collect();
    assert_eq!(ids, open);
    let sent = key(&mut a, "y");
    assert_eq!(sent, open.iter().map(|id| Effect::Cancel(*id)).collect::<Vec<_>>());
    assert!(a.table.marked.is_empty());
    // R resumes every paused order the filter shows, after asking.
    key(&mut a, "R");
    let Some(Overlay::Question(Question::Bulk(Bulk::Resume, ids))) = a.overlay.clone() else {
        panic!("{:?}", a.overlay)
    };
    let paused = a.orders.iter().filter(|o| o.order.status == crate::model::ParentStatus::Paused).count();
    assert_eq!(ids.len(), paused);
    key(&mut a, "n");
    // Visual mode marks a range.
    key(&mut a, "home");
    key(&mut a, "v");
    key(&mut a, "down");
    key(&mut a, "down");
    key(&mut a, "v");
    assert_eq!(a.table.marked.len(), 3);
    key(&mut a, "esc");
    assert!(a.table.marked.is_empty(), "esc clears the marks");
}

#[test]
fn zoom_gives_the_focused_pane_the_screen() {
    let mut a = app();
    let rows = |a: &App| {
        let b = crate::tui::screenshots::render(a, 80, 24);
        (0..24).filter(|&y| (0..80).map(|x| b[(x, y)].symbol()).collect::<String>().contains("└C")).count()
    };
    let shared = rows(&a);
    a.table.expanded.extend(a.orders.iter().map(|o| o.order.id));
    a.table.rebuild(&a.orders, &a.details);
    let shared_expanded = rows(&a);
    key(&mut a, "z");
    assert!(a.zoom);
    assert!(rows(&a) > shared_expanded && shared_expanded >= shared, "more rows zoomed");
    key(&mut a, "tab");
    let b = crate::tui::screenshots::render(&a, 80, 24);
    let text: String = (0..24).map(|y| (0..80).map(|x| b[(x, y)].symbol()).collect::<String>() + "\n").collect();
    assert!(!text.contains("Blotter") && text.contains("1 Venues"), "the detail pane zoomed: {text}");
}

#[test]
fn help_and_log_scroll_within_their_lines_and_up_is_up() {
    // Keys: ? then ↓ 150 times, then ↑: the help had stopped at its last line, but ↑ moved
    // nothing until it had been pressed as often as ↓ had gone too far.
    let mut a = app();
    key(&mut a, "?");
    crate::tui::screenshots::render(&a, 80, 24);
    let max = a.hit.overlay_scroll_max.get();
    assert!(max > 0, "the help is longer than 24 rows");
    for _ in 0..150 {
        key(&mut a, "down");
    }
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == max));
    key(&mut a, "up");
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == max - 1), "one ↑ moves one line");
    key(&mut a, "home");
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll: 0 })));
    key(&mut a, "end");
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == max));
    key(&mut a, "esc");

    // The log: newest at the bottom, ↑ goes back to older messages and ↓ comes forward
    // (↓ went back in time).
    for i in 0..60 {
        a.say(Level::Info, format!("message {i}"));
    }
    key(&mut a, "L");
    let shown = |a: &App| {
        let b = crate::tui::screenshots::render(a, 80, 24);
        (0..24).map(|y| (0..80).map(|x| b[(x, y)].symbol()).collect::<String>()).collect::<Vec<_>>().join("\n")
    };
    // Lines of the log (the footer repeats the latest note).
    let logged = |a: &App, m: &str| shown(a).contains(&format!("info  {m} "));
    assert!(logged(&a, "message 59"), "opens on the newest");
    key(&mut a, "down");
    assert!(logged(&a, "message 59"), "↓ at the newest stays there");
    key(&mut a, "up");
    assert!(!logged(&a, "message 59") && logged(&a, "message 58"), "↑ goes back one message");
    key(&mut a, "home");
    assert!(logged(&a, "message 0") && !logged(&a, "message 58"), "home: the oldest");
    key(&mut a, "down");
    assert!(!logged(&a, "message 0") && logged(&a, "message 1"), "↓ comes forward in time");
    key(&mut a, "end");
    assert!(logged(&a, "message 59"));
}

/// Random key sequences over every binding and plain typing, drawn at 80x24,
/// below it and large, as a supervisor: nothing panics, and five escapes
/// always bring the desk back with no ticket, prompt or question left open.
#[test]
fn no_key_sequence_panics_and_esc_always_backs_out() {
    use crate::tui::screenshots::render;
    let km = Keymap::defaults();
    let mut keys: Vec<String> = Context::ALL
        .iter()
        .flat_map(|c| km.bindings(*c))
        .map(|b| b.key.to_string())
        .filter(|k| !matches!(k.as_str(), "ctrl-c" | "q"))
        .collect();
    keys.extend(
        ["a", "A", "1", "0", ".", ":", "/", "k", "m", "b", "s", "y", "n", "x", "P", "2", "5", "e", "u"]
            .map(String::from),
    );
    keys.extend(["backspace", "delete", "left", "right", "enter", "esc", "tab", "backtab"].map(String::from));
    // A small linear congruential generator: the same sequences every run.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let supervisor = crate::engine::view::Identity {
        user: "sup".into(),
        tenant: "hq".into(),
        role: crate::model::Role::Supervisor,
        paper_mode: true,
        controls: None,
    };
    for round in 0..100 {
        let mut a = app();
        a.instruments = vec![aapl()];
        a.on_msg(super::super::app::Msg::Hello(supervisor.clone(), vec![aapl()]));
        let mut pressed = Vec::new();
        for _ in 0..40 {
            let k = keys[next(keys.len())].clone();
            pressed.push(k.clone());
            key(&mut a, &k);
            let (w, h) = [(80, 24), (120, 40), (60, 20), (80, 24)][next(4)];
            render(&a, w, h);
        }
        render(&a, 80, 24);
        for _ in 0..5 {
            key(&mut a, "esc");
        }
        assert!(!a.quit, "round {round}: quit without q: {pressed:?}");
        assert!(
            a.ticket.is_none() && a.overlay.is_none() && a.sup.editor.is_none(),
            "round {round}: esc left {:?} / {:?} open after {pressed:?}",
            a.context(),
            a.overlay
        );
    }
}

#[test]
fn a_bulk_question_lists_as_many_orders_as_the_screen_holds() {
    // Keys: * x. It listed four orders and "… and N more" on any screen, 200x60 included.
    let mut a = app();
    key(&mut a, "*");
    key(&mut a, "x");
    let Some(Overlay::Question(Question::Bulk(_, ids))) = a.overlay.clone() else { panic!("{:?}", a.overlay) };
    assert!(ids.len() > 5, "{ids:?}");
    let screen = |a: &App, w: u16, h: u16| {
        let b = crate::tui::screenshots::render(a, w, h);
        (0..h).map(|y| (0..w).map(|x| b[(x, y)].symbol()).collect::<String>()).collect::<Vec<_>>().join("\n")
    };
    // A listed order reads "P3 ▲ BUY ..." (the blotter behind has "P3  09:30").
    let listed =
        |s: &str, id: &crate::model::ParentId| s.contains(&format!("{id} ▲")) || s.contains(&format!("{id} ▼"));
    let s = screen(&a, 80, 24);
    for id in &ids {
        assert!(listed(&s, id), "{id} listed at 80x24:\n{s}");
    }
    assert!(!s.contains("… and"), "{s}");
    // The note says which could not be: "cancelled" (it read "canceld").
    assert!(
        a.note.as_ref().is_some_and(|n| n.text.ends_with("cannot be cancelled now and are left out")),
        "{:?}",
        a.note
    );
    // Where they do not all fit, the rest is counted.
    let mut many = App::new("embedded".into(), Theme::dark(), Keymap::defaults(), 10.0);
    let (orders, details) = synthetic_rows(60, 0);
    many.set_orders(orders, details);
    key(&mut many, "*");
    key(&mut many, "x");
    let Some(Overlay::Question(Question::Bulk(_, ids))) = many.overlay.clone() else { panic!() };
    let s = screen(&many, 80, 24);
    let n = ids.iter().filter(|id| listed(&s, id)).count();
    assert!(n >= 12, "{n} listed:\n{s}");
    assert!(s.contains(&format!("… and {} more", ids.len() - n)), "{s}");
}
