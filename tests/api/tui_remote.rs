//! The terminal UI's state over the Remote client against a real sidecar
//! that goes away and comes back on the same port (what `blotter --connect`
//! runs, minus the terminal): the status bar names the sidecar, its health
//! and the circuit breaker; a loss is shown; what was typed in the ticket
//! survives a failed submission; the comeback resyncs the orders.

use crate::support::{Desk, desk};
use blotter::api::spawn;
use blotter::client::remote::RemoteOptions;
use blotter::client::{BreakerState, Client, Remote};
use blotter::model::{ParentId, Qty, Side};
use blotter::tui::app::{App, Effect, Msg};
use blotter::tui::keymap::{Key, Keymap};
use blotter::tui::screenshots::render;
use blotter::tui::theme::Theme;
use blotter::tui::worker::Worker;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The app, its worker and the channels between them, pumped by hand as the
/// runtime's event loop does.
struct Ui {
    app: App,
    rx: mpsc::UnboundedReceiver<Msg>,
    worker: Worker<Remote>,
    want: watch::Sender<blotter::tui::app::Want>,
}

impl Ui {
    fn start(remote: Remote, name: String) -> Ui {
        let app = App::new(name, Theme::dark(), Keymap::defaults(), 60.0);
        let (tx, rx) = mpsc::unbounded_channel();
        let (want, want_rx) = watch::channel(app.want());
        let worker = Worker::start(Arc::new(remote), tx, want_rx);
        Ui { app, rx, worker, want }
    }

    fn dispatch(&mut self, effects: Vec<Effect>) {
        for e in effects {
            self.worker.run(e);
        }
        let w = self.app.want();
        self.want.send_if_modified(|old| {
            let changed = *old != w;
            *old = w;
            changed
        });
    }

    /// Presses keymap keys (`"tab"`, `"enter"`); `=text` types text.
    fn press(&mut self, keys: &[&str]) {
        for k in keys {
            let events: Vec<KeyEvent> = match k.strip_prefix('=') {
                Some(text) => text.chars().map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)).collect(),
                None => {
                    let key: Key = k.parse().expect("a keymap key");
                    vec![KeyEvent::new(key.code, key.mods)]
                }
            };
            for ev in events {
                let effects = self.app.on_key(ev);
                self.dispatch(effects);
            }
        }
    }

    /// Feeds the worker's messages to the app until `pred` holds.
    async fn until(&mut self, what: &str, secs: u64, pred: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !pred(&self.app) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(m)) => {
                    let effects = self.app.on_msg(m);
                    self.dispatch(effects);
                }
                _ => panic!("no {what} within {secs} s; status: {}; ticket: {:?}", self.status(), self.ticket_state()),
            }
        }
    }

    fn status(&self) -> String {
        let b = render(&self.app, 200, 40);
        (0..b.area.width).map(|x| b[(x, 0)].symbol().to_string()).collect::<String>().trim_end().to_string()
    }

    /// The ticket's stage and what it finds wrong, for failure messages.
    fn ticket_state(&self) -> Option<String> {
        let m = blotter::tui::app::market_of(&self.app.instruments, self.app.clock.as_ref(), self.app.tz);
        self.app.ticket.as_ref().map(|t| format!("{:?} {:?} {:?}", t.stage, t.errors(&m), t.remote_error))
    }

    fn ticket_text(&self) -> Option<(String, String)> {
        self.app.ticket.as_ref().map(|t| (t.symbol.value().to_string(), t.qty.value().to_string()))
    }
}

/// The app has order `P{id}`.
fn has(app: &App, id: u64) -> bool {
    app.orders.iter().any(|o| o.order.id == ParentId::local(id))
}

fn breaker(app: &App) -> Option<BreakerState> {
    app.circuit.as_ref().map(|c| c.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_over_a_sidecar_survives_its_loss_and_resyncs() {
    let Desk { server, engine, tokens, .. } = desk(71, 60.0).await;
    let addr = server.addr;
    let url = server.url();
    let alice = engine.as_actor(crate::support::actor("alice"));
    let order = |qty: i64| blotter::engine::OrderRequest {
        symbol: "AAPL".into(),
        side: Side::Buy,
        qty: Qty::from_int(qty),
        algo: blotter::model::AlgoKind::Twap,
        params: Default::default(),
        start: None,
        end: None,
        limit_px: None,
        decision_px: None,
        acknowledge_warnings: false,
    };
    alice.submit(order(3_000)).await.unwrap();
    let options = RemoteOptions {
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_millis(200),
        breaker_max_cooldown: Duration::from_millis(400),
        reconnect_max: Duration::from_millis(400),
        ..RemoteOptions::default()
    };
    let remote = Remote::with_options(&url, Some(tokens["sup"].clone()), options).unwrap();
    let mut ui = Ui::start(remote, url.clone());

    // Connected: who we are, alice's order, a closed breaker, all in the status bar.
    ui.until("the first load", 20, |a| {
        a.identity.is_some() && has(a, 1) && a.connected && breaker(a) == Some(BreakerState::Closed)
    })
    .await;
    let s = ui.status();
    assert!(s.contains(&url) && s.contains("● ok") && s.contains("circuit ● closed 0/2 fails"), "{s}");
    assert!(s.contains("sup / SUPERVISOR / hq"), "{s}");
    // The supervisor view works over HTTP too: every tenant's risk controls come through the client.
    ui.press(&["m"]);
    ui.until("the risk view", 20, |a| matches!(&a.sup.risk, Some(Ok(r)) if r.tenants.iter().any(|t| t.tenant == "ws")))
        .await;
    ui.press(&["m"]);

    // A ticket half typed when the sidecar goes away.
    ui.press(&["n", "=AAPL", "tab", "tab", "=5k"]);
    assert_eq!(ui.ticket_text(), Some(("AAPL".into(), "5k".into())));
    let state = server.state.clone();
    server.stop().await.unwrap();
    ui.until("the loss and an open breaker", 20, |a| !a.connected && breaker(a) == Some(BreakerState::Open)).await;
    let s = ui.status();
    assert!(s.contains(&url) && s.contains("✗ down") && s.contains("circuit ○ open"), "{s}");
    let narrow = render(&ui.app, 100, 30);
    let top: String = (0..100).map(|x| narrow[(x, 0)].symbol().to_string()).collect();
    assert!(top.contains("✗ down") && top.contains("working"), "the loss shows even at 100 columns: {top}");
    assert!(!s.contains("● ok"), "{s}");
    assert_eq!(ui.ticket_text(), Some(("AAPL".into(), "5k".into())), "typing is untouched by the loss");

    // Sending fails: the ticket comes back as typed, and says so.
    ui.press(&["enter"]);
    ui.until("the review", 10, |a| a.ticket.as_ref().is_some_and(|t| t.stage == blotter::tui::ticket::Stage::Review))
        .await;
    ui.press(&["y"]);
    ui.until("the ticket back", 20, |a| a.ticket.is_some() && a.sent.is_none()).await;
    assert_eq!(ui.ticket_text(), Some(("AAPL".into(), "5k".into())), "nothing typed is lost");
    let note = ui.app.note.clone().map(|n| n.text).unwrap_or_default();
    assert!(note.contains("the ticket is kept"), "{note}");

    // Meanwhile the desk trades on; the sidecar comes back on the same port and the UI catches up.
    alice.submit(order(2_000)).await.unwrap();
    let back = spawn(state, addr).await.unwrap();
    ui.until("the reconnection and resync", 30, |a| {
        a.connected && breaker(a) == Some(BreakerState::Closed) && has(a, 2)
    })
    .await;
    let s = ui.status();
    assert!(s.contains("● ok") && s.contains("circuit ● closed 0/2 fails"), "{s}");
    let log: Vec<&str> = ui.app.log.entries().map(|e| e.text.as_str()).collect();
    let lost = log.iter().filter(|a| a.starts_with("connection lost")).count();
    assert_eq!(lost, 1, "the loss is in the log once: {log:?}");
    assert!(log.iter().any(|a| a.starts_with("connection back")), "{log:?}");
    // The alerts keep one line for the connection: the latest, with how often it changed.
    let conn: Vec<_> = ui.app.alerts.iter().filter(|a| a.kind == blotter::tui::alerts::Kind::Connection).collect();
    assert_eq!(conn.len(), 1, "{conn:?}");
    assert!(conn[0].text.starts_with("connection back") && conn[0].count == 2, "{conn:?}");
    assert!(ui.app.note.as_ref().is_none_or(|n| !n.text.contains("not answering")), "the outage note went with it");
    // A narrow terminal still says the link is fine; a loss is never dropped for width (checked above at 200).
    let narrow = render(&ui.app, 120, 30);
    let top: String = (0..120).map(|x| narrow[(x, 0)].symbol().to_string()).collect();
    assert!(top.contains(&url) && top.contains("● ok"), "{top}");

    // The kept ticket goes through now.
    ui.press(&["enter"]);
    ui.until("the review", 10, |a| a.ticket.as_ref().is_some_and(|t| t.stage == blotter::tui::ticket::Stage::Review))
        .await;
    ui.press(&["y"]);
    ui.until("the order from the ticket", 20, |a| a.ticket.is_none() && has(a, 3) && a.sent.is_none()).await;
    let p3 = ui.app.orders.iter().find(|o| o.order.id == ParentId::local(3)).unwrap();
    assert_eq!((p3.order.qty, p3.order.owner.user.as_ref()), (Qty::from_int(5_000), "sup"));
    back.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_risk_keys_work_over_the_sidecar() {
    use blotter::risk::TradingState;
    let Desk { server, tokens, .. } = desk(72, 1.0).await;
    let remote = Remote::new(&server.url(), Some(tokens["sup"].clone())).unwrap();
    let mut ui = Ui::start(remote, server.url());
    ui.until("the greeting", 20, |a| a.identity.is_some()).await;
    ui.press(&["m", "tab", "tab", "tab"]);
    ui.until("the risk view", 20, |a| matches!(&a.sup.risk, Some(Ok(_)))).await;

    // A desk the sidecar has never seen is listed by name, then enabled over HTTP.
    ui.press(&["n", "=hk", "enter"]);
    assert!(ui.app.sup.risk_rows().iter().any(|r| r.tenant.tenant == "hk" && r.new), "hk listed as new");
    let enabled_before = ui.app.sup.selected_tenant().map(|t| t.execution_enabled);
    ui.press(&["E", "y"]);
    ui.until(
        "hk known to the sidecar",
        20,
        |a| matches!(&a.sup.risk, Some(Ok(r)) if r.tenants.iter().any(|t| t.tenant == "hk")),
    )
    .await;
    let hk = ui.app.sup.selected_row().expect("hk still selected");
    assert_eq!((hk.tenant.tenant.as_str(), hk.new), ("hk", false));
    assert_eq!(Some(hk.tenant.execution_enabled), enabled_before.map(|e| !e), "E toggled it on the sidecar");

    // A user's override from the keyboard, stored by the sidecar.
    ui.press(&["u", "=dan", "enter", "=2k", "enter"]);
    ui.until("dan's override", 20, |a| {
        matches!(&a.sup.risk, Some(Ok(r)) if r.tenants.iter().any(|t| t.tenant == "hk"
            && t.users.iter().any(|(u, l)| u == "dan" && l.max_order_qty == Some(Qty::from_int(2_000)))))
    })
    .await;

    // Every desk HALTED, then ACTIVE again, with the state typed.
    ui.press(&["F", "=HALTED", "enter"]);
    ui.until("every desk halted", 20, |a| {
        matches!(&a.sup.risk, Some(Ok(r)) if r.global_halt && r.tenants.iter().all(|t| t.state == TradingState::Halted))
    })
    .await;
    ui.press(&["F", "=ACTIVE", "enter"]);
    ui.until("every desk active", 20, |a| {
        matches!(&a.sup.risk, Some(Ok(r)) if !r.global_halt && r.tenants.iter().all(|t| t.state == TradingState::Active))
    })
    .await;
    server.stop().await.unwrap();
}
