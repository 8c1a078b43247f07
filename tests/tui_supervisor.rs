//! The supervisor view on a fixed-size TestBackend over a seeded engine with
//! two desks (never the wall clock): what it shows, that an advisor cannot
//! reach it, and that its keys change risk controls through the client
//! (the background worker carries the effects out, as in the real UI).

use blotter::client::Embedded;
use blotter::model::Qty;
use blotter::risk::TradingState;
use blotter::tui::app::{App, Effect, Msg, Overlay, View, Want};
use blotter::tui::keymap::Keymap;
use blotter::tui::scenario::{demo_app, desk_user, press, reload, supervisor_client};
use blotter::tui::screenshots::render;
use blotter::tui::theme::Theme;
use blotter::tui::worker::Worker;
use ratatui::buffer::Buffer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const SEED: u64 = 7;

/// The buffer as text, one line per row.
fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The supervisor's app with the supervisor view open and loaded.
async fn supervising(c: &Embedded) -> App {
    let mut a = demo_app(c, Theme::dark(), Keymap::defaults()).await;
    press(c, &mut a, &["m"]).await;
    assert!(a.supervising(), "m opens the supervisor view for a SUPERVISOR");
    reload(c, &mut a).await;
    a
}

/// Carries an effect out through the UI's worker and returns what it reported.
async fn carry_out(c: &Embedded, e: Effect) -> Result<String, String> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_want_tx, want_rx) = watch::channel(Want::default());
    let w = Worker::start(Arc::new(c.clone()), tx, want_rx);
    w.run(e);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Msg::Done(_, r))) => return r.map_err(|e| e.message),
            Ok(Some(_)) => {}
            _ => panic!("the worker did not report within 20 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_view_shows_every_desk() {
    let c = supervisor_client(SEED).await;
    let a = supervising(&c).await;
    let s = text(&render(&a, 160, 48));
    // Outside the snapshot, what it must show whatever the figures.
    assert!(s.contains("Working orders · every desk"), "{s}");
    assert!(s.contains("alice@ws") && s.contains("bob@az") && s.contains("carol@ws"), "orders grouped by user:\n{s}");
    assert!(s.contains("risk limit") && s.contains("max_order_qty"), "bob's refusal is an alert:\n{s}");
    assert!(s.contains("risk warning") && s.contains("carol@ws sent"), "carol's acknowledged warning:\n{s}");
    assert!(s.contains("TCA by algo") && s.contains("twap") && s.contains("vwap"), "aggregated TCA:\n{s}");
    assert!(s.contains("◐ REDUCING") && s.contains("● ACTIVE"), "trading state per tenant:\n{s}");
    insta::assert_snapshot!("supervisor_view", s);

    // The TCA by desk: one line per tenant with finished orders, with a bar each.
    let mut by_desk = supervising(&c).await;
    press(&c, &mut by_desk, &["b", "b"]).await;
    reload(&c, &mut by_desk).await;
    let s = text(&render(&by_desk, 160, 48));
    assert!(s.contains("TCA by desk"), "{s}");
    for desk in ["│az ", "│ws "] {
        assert!(s.lines().any(|l| l.starts_with(desk) && l.contains('█')), "a bar for {desk}:\n{s}");
    }
    insta::assert_snapshot!("supervisor_tca_by_desk", s);

    // The smallest usable terminal still shows the four panes, narrowed.
    let s = text(&render(&a, 80, 24));
    for title in ["Working orders", "Alerts", "TCA by algo", "Risk controls"] {
        assert!(s.contains(title), "{title} at 80x24:\n{s}");
    }
    insta::assert_snapshot!("supervisor_view_80x24", s);

    // The help lists the supervisor's own keys to a supervisor.
    let help: Vec<String> = blotter::tui::components::help::lines(&a).iter().map(|l| l.to_string()).collect();
    let help = help.join("\n");
    assert!(help.contains("Supervisor view (all desks)") && help.contains("kill tenant"), "{help}");
    assert!(help.contains("Risk limit editor") && help.contains("save limits"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_advisor_cannot_reach_the_supervisor_view() {
    let c = supervisor_client(SEED).await;
    let alice = c.as_actor(desk_user("alice", "ws"));
    let mut a = demo_app(&alice, Theme::dark(), Keymap::defaults()).await;
    let effects = press(&alice, &mut a, &["m"]).await;
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(a.view, View::Desk);
    assert!(!a.supervising());
    let note = a.note.clone().map(|(_, n)| n).unwrap_or_default();
    assert!(note.contains("supervisor role required") && note.contains("ADVISOR"), "{note}");
    assert_eq!(a.want().supervisor, None, "nothing of the other desks is even asked for");
    assert!(!a.orders.is_empty() && a.orders.iter().all(|o| o.order.owner.user.as_ref() == "alice"));
    // Forcing the view does not draw it either: the role is checked when drawing.
    a.view = View::Supervisor;
    let s = text(&render(&a, 160, 48));
    assert!(!s.contains("every desk") && !s.contains("Risk controls"), "{s}");
    assert!(!s.contains("bob@az") && !s.contains("carol"), "alice sees only her own orders:\n{s}");
    assert!(s.contains("supervisor role required"), "the note is on screen:\n{s}");
    // Neither the hint bar nor the help lists the supervisor's keys.
    a.view = View::Desk;
    let help: Vec<String> = blotter::tui::components::help::lines(&a).iter().map(|l| l.to_string()).collect();
    let help = help.join("\n");
    assert!(help.contains("new order"), "the help is there: {help}");
    assert!(!help.contains("Supervisor view") && !help.contains("supervisor view"), "{help}");
    assert!(!help.contains("kill tenant") && !help.contains("edit limits"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_state_and_the_desk_kill_switch_from_the_keyboard() {
    let c = supervisor_client(SEED).await;
    let mut a = supervising(&c).await;
    // Tab to the risk pane and down to desk az.
    let az = a.sup.tenants().iter().position(|t| t.tenant == "az").expect("az in the risk view");
    press(&c, &mut a, &["tab", "tab", "tab"]).await;
    for _ in 0..az {
        press(&c, &mut a, &["down"]).await;
    }
    assert_eq!(a.sup.selected_tenant().map(|t| t.tenant.as_str()), Some("az"));

    // The editor shows az's limit, refuses a letter, blocks a bad value, saves a good one.
    press(&c, &mut a, &["e"]).await;
    let ed = a.sup.editor.as_ref().expect("e opens the limit editor");
    assert_eq!(ed.value(blotter::tui::supervisor::limits::LimitField::MaxOrderQty), "50000");
    let effects = press(&c, &mut a, &["ctrl-u", "=x0", "enter"]).await;
    assert!(effects.is_empty(), "a zero limit is not sent: {effects:?}");
    let s = text(&render(&a, 160, 48));
    assert!(s.contains("Risk limits of desk az") && s.contains("✗ nothing sent"), "{s}");
    let effects = press(&c, &mut a, &["backspace", "=75k", "enter"]).await;
    let [Effect::SetLimits(tenant, limits)] = effects.as_slice() else { panic!("one SetLimits: {effects:?}") };
    assert_eq!((tenant.as_str(), limits.max_order_qty), ("az", Some(Qty::from_int(75_000))));
    let done = carry_out(&c, effects[0].clone()).await;
    assert_eq!(done.as_deref(), Ok("limits of desk az saved"));
    reload(&c, &mut a).await;
    assert!(text(&render(&a, 160, 48)).contains("75,000"), "the new limit is shown");

    // Trading state: asks first, then sets it through the client.
    let effects = press(&c, &mut a, &["A"]).await;
    assert!(effects.is_empty() && matches!(a.overlay, Some(Overlay::Question(_))), "A asks first");
    assert!(text(&render(&a, 160, 48)).contains("Set desk az ACTIVE?"));
    let effects = press(&c, &mut a, &["y"]).await;
    assert_eq!(effects, vec![Effect::SetTradingState("az".into(), TradingState::Active)]);
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("desk az is ACTIVE"));

    // The desk kill switch needs the desk's name typed exactly.
    press(&c, &mut a, &["X"]).await;
    assert!(text(&render(&a, 160, 48)).contains("KILL DESK"));
    let effects = press(&c, &mut a, &["=a", "enter"]).await;
    assert!(effects.is_empty(), "a wrong name kills nothing: {effects:?}");
    assert!(text(&render(&a, 160, 48)).contains("type az exactly"));
    let effects = press(&c, &mut a, &["=z", "enter"]).await;
    assert_eq!(effects, vec![Effect::KillTenant("az".into())]);
    let done = carry_out(&c, effects[0].clone()).await.expect("the kill switch works");
    assert!(done.starts_with("desk az killed"), "{done}");
    reload(&c, &mut a).await;
    let az_now = a.sup.tenants().iter().find(|t| t.tenant == "az").expect("az");
    assert_eq!(az_now.state, TradingState::Halted);
    let ws_now = a.sup.tenants().iter().find(|t| t.tenant == "ws").expect("ws");
    assert_eq!(ws_now.state, TradingState::Active, "the other desk trades on");
    assert!(text(&render(&a, 160, 48)).contains("■ HALTED"));
}
