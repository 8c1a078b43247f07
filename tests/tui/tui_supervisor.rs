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
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const SEED: u64 = 7;

use super::text;

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
        // A cost draws in full blocks, a gain (negative cost) in shaded ones.
        let bar = |l: &str| l.contains('█') || l.contains('▒');
        assert!(s.lines().any(|l| l.starts_with(desk) && bar(l)), "a bar for {desk}:\n{s}");
    }
    insta::assert_snapshot!("supervisor_tca_by_desk", s);

    // The smallest usable terminal still shows the four panes, narrowed.
    let wide = text(&render(&a, 160, 48));
    let s = text(&render(&a, 80, 24));
    for title in ["Working orders", "Alerts", "TCA by algo", "Risk controls"] {
        assert!(s.contains(title), "{title} at 80x24:\n{s}");
    }
    // Titles cut from the right lost the alerts' zone ("times EST") and what the TCA's sign
    // means ("+ = cost"); the risk table cut its last figure ("$2" under a header "t").
    assert!(s.contains("Alerts · times EST"), "{s}");
    assert!(s.contains("arrival bps, + = cost"), "{s}");
    assert!(s.contains("open    today"), "{s}");
    // The working orders keep their id at 80 columns (it was the first column dropped).
    let head = s.lines().find(|l| l.contains("┃user")).unwrap_or_default();
    assert!(head.contains(" id ") && head.contains("slip bps"), "{s}");
    let today = |screen: &str| {
        let l = screen.lines().find(|l| l.contains("● ACTIVE")).unwrap_or_else(|| panic!("{screen}"));
        let tail = l.split("● ACTIVE").nth(1).unwrap_or_default();
        tail.split_whitespace().nth(1).map(|x| x.trim_end_matches('│').to_string()).unwrap_or_default()
    };
    assert!(today(&wide).starts_with('$') && today(&wide).len() > 2, "{wide}");
    assert_eq!(today(&s), today(&wide), "the figure is whole at 80x24:\n{s}");
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
    let note = a.note.clone().map(|n| n.text).unwrap_or_default();
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
    assert_eq!(a.sup.selected_tenant().map(|t| t.tenant), Some("az".to_string()));

    // The editor shows az's limit, refuses a letter, blocks a bad value, saves a good one.
    press(&c, &mut a, &["e"]).await;
    let ed = a.sup.editor.as_ref().expect("e opens the limit editor");
    assert_eq!(ed.value(blotter::tui::supervisor::limits::LimitField::MaxOrderQty), "50000");
    let effects = press(&c, &mut a, &["ctrl-u", "=x0", "enter"]).await;
    assert!(effects.is_empty(), "a zero limit is not sent: {effects:?}");
    let s = text(&render(&a, 160, 48));
    assert!(s.contains("Risk limits of desk az") && s.contains("✗ nothing sent"), "{s}");
    let effects = press(&c, &mut a, &["backspace", "=75k", "enter"]).await;
    let [Effect::SetLimits(tenant, None, limits)] = effects.as_slice() else { panic!("one SetLimits: {effects:?}") };
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
    let az_now = a.sup.tenants().into_iter().find(|t| t.tenant == "az").expect("az");
    assert_eq!(az_now.state, TradingState::Halted);
    let ws_now = a.sup.tenants().into_iter().find(|t| t.tenant == "ws").expect("ws");
    assert_eq!(ws_now.state, TradingState::Active, "the other desk trades on");
    assert!(text(&render(&a, 160, 48)).contains("■ HALTED"));
}

/// An engine configured as a shared server's: a desk the engine has not seen
/// may not trade until a supervisor enables it (the supervisor's own is enabled).
async fn server_like_client() -> Embedded {
    use blotter::risk::RiskConfig;
    let mut cfg = blotter::engine::EngineConfig::new(SEED, blotter::tui::scenario::date());
    cfg.symbols = Some(vec!["AAPL".into(), "MSFT".into()]);
    cfg.origin = Some(blotter::tui::scenario::ny("09:30"));
    cfg.risk =
        RiskConfig { new_tenants_enabled: false, enabled_tenants: vec!["local".into()], ..RiskConfig::default() };
    let e = blotter::engine::Engine::new(Arc::new(blotter::market::Universe::builtin()), cfg).unwrap();
    let c = Embedded::start(e, 0.0, blotter::tui::scenario::actor());
    c.with_engine(|e| e.run_until(blotter::tui::scenario::ny("10:00")));
    c
}

fn order(qty: i64) -> blotter::engine::OrderRequest {
    blotter::engine::OrderRequest {
        symbol: "AAPL".into(),
        side: blotter::model::Side::Buy,
        qty: Qty::from_int(qty),
        algo: blotter::model::AlgoKind::Twap,
        params: Default::default(),
        start: None,
        end: None,
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    }
}

/// The risk pane's rows as text (the bottom-right quarter of a 160x48 frame).
fn risk_pane(a: &App) -> String {
    text(&render(a, 160, 48)).lines().skip(24).map(|l| l.chars().skip(80).collect::<String>() + "\n").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_desk_is_added_by_name_and_enabled_and_a_refused_one_is_named() {
    use blotter::client::Client;
    let c = server_like_client().await;
    let mut a = supervising(&c).await;
    press(&c, &mut a, &["tab", "tab", "tab"]).await;
    assert!(!risk_pane(&a).contains("hk"), "nobody knows desk hk yet");

    // n asks for the desk's name; a name with a space is refused, saying why.
    press(&c, &mut a, &["n", "=h k", "enter"]).await;
    let s = text(&render(&a, 160, 48));
    assert!(s.contains("Add a desk") && s.contains("not allowed in a desk name"), "{s}");
    let effects = press(&c, &mut a, &["ctrl-u", "=hk", "enter"]).await;
    assert!(effects.is_empty(), "listing a desk sends nothing: {effects:?}");
    assert!(a.overlay.is_none());
    let row = a.sup.selected_row().expect("the new desk is selected");
    assert_eq!((row.tenant.tenant.as_str(), row.new, row.tenant.execution_enabled), ("hk", true, false));
    let pane = risk_pane(&a);
    assert!(pane.lines().any(|l| l.contains("hk") && l.contains("OFF") && l.contains("new")), "{pane}");
    insta::assert_snapshot!("supervisor_desk_added", text(&render(&a, 160, 48)));

    // Its orders are refused until E enables it (asking first).
    let hk = c.as_actor(desk_user("dan", "hk"));
    let refused = hk.submit(order(500)).await.unwrap_err();
    assert_eq!(refused.code, "execution_disabled");
    let effects = press(&c, &mut a, &["E"]).await;
    assert!(effects.is_empty() && text(&render(&a, 160, 48)).contains("Enable execution for desk hk?"));
    let effects = press(&c, &mut a, &["y"]).await;
    assert_eq!(effects, vec![Effect::SetExecution("hk".into(), true)]);
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("execution enabled for desk hk"));
    reload(&c, &mut a).await;
    let row = a.sup.selected_row().expect("still selected");
    assert_eq!((row.tenant.tenant.as_str(), row.new, row.tenant.execution_enabled), ("hk", false, true));
    hk.submit(order(500)).await.expect("desk hk trades once enabled");

    // A desk refused because its execution is disabled is named in the alerts and listed to enable.
    let az = c.as_actor(desk_user("bob", "az"));
    assert_eq!(az.submit(order(300)).await.unwrap_err().code, "execution_disabled");
    let a = supervising(&c).await;
    let alert = a.sup.monitor.list()[0].text.clone();
    assert!(alert.starts_with("desk az: order of bob refused, execution disabled"), "{alert}");
    assert!(text(&render(&a, 160, 48)).contains("desk az: order of bob"), "the alert is on screen");
    let az_row = a.sup.risk_rows().into_iter().find(|r| r.tenant.tenant == "az").expect("az is listed");
    assert!(az_row.new && !az_row.tenant.execution_enabled, "{az_row:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_overrides_are_listed_and_edited_from_the_keyboard() {
    let c = supervisor_client(SEED).await;
    let mut a = supervising(&c).await;
    press(&c, &mut a, &["tab", "tab", "tab"]).await;
    // ws has carol's override (a warning at 0.01% of ADV): a row under the desk.
    let rows: Vec<(String, Option<String>)> =
        a.sup.risk_rows().into_iter().map(|r| (r.tenant.tenant, r.user.map(|(u, _)| u))).collect();
    let at = rows.iter().position(|r| *r == ("ws".into(), Some("carol".into()))).expect("carol's row");
    press(&c, &mut a, &["end"]).await;
    assert_eq!(a.sup.tenant_sel, at, "carol's row is the last");
    let pane = risk_pane(&a);
    assert!(pane.contains("└ carol") && pane.contains("override: warn % of ADV"), "{pane}");
    assert!(pane.contains("limits of carol@ws") && pane.contains("desk: none"), "{pane}");
    insta::assert_snapshot!("supervisor_user_override", text(&render(&a, 160, 48)));

    // e on her row edits her override, not the desk's.
    press(&c, &mut a, &["e"]).await;
    let ed = a.sup.editor.as_ref().expect("the editor");
    assert_eq!((ed.tenant.as_str(), ed.user.as_deref()), ("ws", Some("carol")));
    assert_eq!(ed.value(blotter::tui::supervisor::limits::LimitField::WarnAdvPct), "0.01");
    assert!(text(&render(&a, 160, 48)).contains("Limits of user carol on desk ws (override)"));
    let effects = press(&c, &mut a, &["down", "down", "down", "ctrl-u", "=2", "enter"]).await;
    let [Effect::SetLimits(t, Some(u), l)] = effects.as_slice() else { panic!("one SetLimits: {effects:?}") };
    assert_eq!((t.as_str(), u.as_str(), l.warn_adv_pct, l.max_order_qty), ("ws", "carol", Some(2.0), None));
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("limits of user carol on desk ws saved"));

    // u asks for a user and opens an empty override for them.
    press(&c, &mut a, &["u", "=dave", "enter"]).await;
    let ed = a.sup.editor.as_ref().expect("u opens the editor for the user typed");
    assert_eq!((ed.tenant.as_str(), ed.user.as_deref()), ("ws", Some("dave")));
    let effects = press(&c, &mut a, &["=1k", "enter"]).await;
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("limits of user dave on desk ws saved"));
    reload(&c, &mut a).await;
    let ws = a.sup.tenants().into_iter().find(|t| t.tenant == "ws").unwrap();
    let users: Vec<(String, Option<Qty>, Option<f64>)> =
        ws.users.iter().map(|(u, l)| (u.clone(), l.max_order_qty, l.warn_adv_pct)).collect();
    assert_eq!(
        users,
        [("carol".into(), None, Some(2.0)), ("dave".into(), Some(Qty::from_int(1_000)), None)],
        "both overrides in the engine; the desk's own limits untouched"
    );
    assert!(risk_pane(&a).contains("└ dave"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_desk_is_set_halted_and_active_again_with_the_state_typed() {
    let c = supervisor_client(SEED).await;
    let mut a = supervising(&c).await;
    let working = |a: &App| a.orders.iter().filter(|o| o.order.status == blotter::model::ParentStatus::Working).count();
    let before = working(&a);
    assert!(before > 0);
    press(&c, &mut a, &["F"]).await;
    let s = text(&render(&a, 160, 48));
    assert!(s.contains("EVERY DESK") && s.contains("Type ACTIVE, REDUCING or HALTED"), "{s}");
    insta::assert_snapshot!("supervisor_every_desk_prompt", s);
    let effects = press(&c, &mut a, &["=halted", "enter"]).await;
    assert!(effects.is_empty(), "lower case is not a confirmation: {effects:?}");
    assert!(text(&render(&a, 160, 48)).contains("in capitals"));
    let effects = press(&c, &mut a, &["ctrl-u", "=HALTED", "enter"]).await;
    assert_eq!(effects, vec![Effect::SetGlobalState(TradingState::Halted)]);
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("every desk is HALTED"));
    reload(&c, &mut a).await;
    assert!(a.sup.tenants().iter().all(|t| t.state == TradingState::Halted), "{:?}", a.sup.tenants());
    assert!(risk_pane(&a).contains("GLOBAL HALT"));
    assert_eq!(working(&a), before, "not the kill switch: working orders are not paused");

    let effects = press(&c, &mut a, &["F", "=ACTIVE", "enter"]).await;
    assert_eq!(effects, vec![Effect::SetGlobalState(TradingState::Active)]);
    assert_eq!(carry_out(&c, effects[0].clone()).await.as_deref(), Ok("every desk is ACTIVE"));
    reload(&c, &mut a).await;
    assert!(a.sup.tenants().iter().all(|t| t.state == TradingState::Active), "az was REDUCING, now ACTIVE too");
    assert!(!risk_pane(&a).contains("GLOBAL HALT"));
}
