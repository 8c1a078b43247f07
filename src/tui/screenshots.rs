//! `blotter screenshots`: renders the deterministic scenario's screens to
//! SVG in-process and converts them to PNG with `rsvg-convert` when it is
//! installed. One command regenerates every image in `screenshots/`.

use super::app::{App, Tab};
use super::keymap::Keymap;
use super::scenario;
use super::svg;
use super::theme::Theme;
use crate::client::ErrorCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::path::Path;

/// Renders an app into a `w` x `h` buffer, as the terminal would show it.
pub fn render(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test backend cannot fail");
    // Drawing into a TestBackend is infallible; an error here would be a ratatui bug.
    let _ = t.draw(|f| f.render_widget(app, f.area()));
    t.backend().buffer().clone()
}

/// One screen of the scenario: file name, caption, size, app.
pub struct Shot {
    /// File stem.
    pub name: &'static str,
    /// What it shows.
    pub caption: &'static str,
    /// Terminal columns.
    pub width: u16,
    /// Terminal rows.
    pub height: u16,
    /// The state.
    pub app: App,
    /// Light or dark terminal.
    pub palette: svg::Palette,
}

fn theme(name: &str) -> Theme {
    Theme::builtin(name).unwrap_or_else(Theme::dark)
}

/// The mixed desk (FX, a bond, crypto, a Swiss stock, equities) at 10:15
/// New York with the bond order selected and expanded.
pub async fn desk_app(c: &crate::client::Embedded, theme: Theme, km: &Keymap) -> App {
    let mut app = scenario::demo_app(c, theme, km.clone()).await;
    app.table.expanded.clear();
    let bond = crate::model::ParentId::local(2);
    app.table.expanded.insert(bond);
    app.table.selected = Some(super::table::RowKey::Parent(bond));
    scenario::reload(c, &mut app).await;
    scenario::reload(c, &mut app).await;
    app
}

/// The mixed desk as it looks while its sidecar is down: rows and clock
/// greyed, the STALE badge, how long it has been down and when the next try goes.
pub async fn disconnected_app(c: &crate::client::Embedded, km: &Keymap) -> App {
    use super::app::Msg;
    use crate::client::{BreakerState, BreakerView, ClientError};
    let mut app = desk_app(c, theme("dark"), km).await;
    app.engine = "http://127.0.0.1:8898".into();
    let t0 = app.wall;
    let refused = ClientError::new(ErrorCode::Unavailable, "connection refused (os error 111)");
    app.on_msg(Msg::Health(Err(refused), 0.0));
    app.tick(t0 + std::time::Duration::from_secs(11));
    app.on_msg(Msg::Circuit(Some(BreakerView {
        state: BreakerState::Open,
        failures: 5,
        threshold: 5,
        retry_in_ms: Some(3_400),
        last_error: Some("connection refused (os error 111)".into()),
    })));
    app
}

/// Every screen, built from the seeded scenarios at 10:15 New York.
pub async fn shots(seed: u64) -> Vec<Shot> {
    let c = scenario::demo_client(seed).await;
    let desk = scenario::desk_client(seed).await;
    let km = Keymap::defaults();
    let base = || scenario::demo_app(&c, theme("dark"), km.clone());
    let mut out = Vec::new();
    let shot = |name, caption, app, palette| Shot { name, caption, width: 160, height: 48, app, palette };
    out.push(shot(
        "blotter",
        "The desk mid-execution: FX, a Treasury, crypto, a Swiss stock and equities; the bond's children and venues",
        desk_app(&desk, theme("dark"), &km).await,
        svg::DARK,
    ));
    let mut small =
        shot("blotter-80x24", "The same desk at 80x24", desk_app(&desk, theme("dark"), &km).await, svg::DARK);
    (small.width, small.height) = (80, 24);
    out.push(small);
    let mut pos = desk_app(&desk, theme("dark"), &km).await;
    pos.tab = Tab::Positions;
    out.push(shot(
        "positions",
        "Positions per desk and symbol: net, average cost, P&L against the mid",
        pos,
        svg::DARK,
    ));
    out.push(shot(
        "disconnected",
        "The sidecar is down: STALE, greyed rows and clock, how long, and when the next try goes",
        disconnected_app(&desk, &km).await,
        svg::DARK,
    ));
    let mut tca = base().await;
    tca.tab = Tab::Tca;
    out.push(shot("tca", "TCA panel: metrics, executed vs schedule, fills vs mid and interval VWAP", tca, svg::DARK));
    let mut ticket = base().await;
    scenario::press(
        &c,
        &mut ticket,
        &["n", "=AAP", "tab", "tab", "=25k", "tab", "tab", "=190.5", "tab", "=10:30", "tab", "=12:00", "tab", "=12"],
    )
    .await;
    out.push(shot("ticket", "Order ticket with validation and the live pre-trade panel", ticket, svg::DARK));
    let mut review = base().await;
    scenario::press(
        &c,
        &mut review,
        &["n", "=MSFT", "tab", "right", "tab", "=10k", "tab", "tab", "tab", "=10:30", "tab", "=11:00", "enter"],
    )
    .await;
    out.push(shot("review", "The confirmation step: the order in words before it is sent", review, svg::DARK));
    let mut help = base().await;
    scenario::press(&c, &mut help, &["?"]).await;
    out.push(shot("help", "Help overlay generated from the active keymap", help, svg::DARK));
    let mut venues = base().await;
    venues.table.expanded.clear();
    scenario::press(&c, &mut venues, &[":", "=P3", "enter"]).await;
    // The refresher would load SPY's book and P3's detail once the selection moved.
    scenario::reload(&c, &mut venues).await;
    out.push(shot(
        "venues",
        "Venue routing view of SPY: NBBO, per-venue book, fees, latency, fill share",
        venues,
        svg::DARK,
    ));
    // The supervisor view over the two-desk scenario (its own seeded engine).
    let sc = scenario::supervisor_client(seed).await;
    let mut sup = scenario::demo_app(&sc, theme("dark"), km.clone()).await;
    scenario::press(&sc, &mut sup, &["m"]).await;
    scenario::reload(&sc, &mut sup).await;
    out.push(shot(
        "supervisor",
        "Supervisor view: every desk's working orders by user, alerts, TCA by algo, risk controls per tenant",
        sup,
        svg::DARK,
    ));
    if let Some(demo) = demo_screen(&km).await {
        out.push(shot(
            "demo",
            "blotter demo: the caption bar over the desk, waiting for the presenter",
            demo,
            svg::DARK,
        ));
    }
    out.push(shot("light", "Light theme", scenario::demo_app(&c, theme("light"), km.clone()).await, svg::LIGHT));
    out.push(shot(
        "high-contrast",
        "High-contrast theme",
        scenario::demo_app(&c, theme("high-contrast"), km.clone()).await,
        svg::DARK,
    ));
    out.push(shot(
        "monochrome",
        "Monochrome theme (also what NO_COLOR gives)",
        scenario::demo_app(&c, theme("monochrome"), km.clone()).await,
        svg::DARK,
    ));
    out
}

/// The built-in demo after its fifth step, held at the sixth step's time
/// waiting for the presenter (played without wall-clock pacing).
async fn demo_screen(km: &Keymap) -> Option<App> {
    use crate::demo::{BUILTIN, Script, engine_for, script::presenter};
    let script = Script::parse(BUILTIN, "built-in").ok()?;
    let engine = engine_for(&script, std::sync::Arc::new(crate::market::Universe::builtin())).ok()?;
    let c = crate::client::Embedded::start(engine, 0.0, presenter());
    let shown = 5;
    let refused = super::demo::play_steps(&c, &script, shown).await;
    let next_at = script.steps.get(shown).and_then(|s| s.at);
    if let Some(t) = next_at {
        c.with_engine(|e| e.run_until(t));
    }
    let mut app = scenario::demo_app(&c, theme("dark"), km.clone()).await;
    app.engine = "demo".into();
    app.table.expanded.clear();
    if let Some(clock) = app.clock.as_mut() {
        // Held at the next step: the demo's clock shows as paused.
        clock.speed = Some(0.0);
    }
    let step = script.steps.get(shown - 1)?;
    app.on_msg(super::app::Msg::Demo(Box::new(super::demo::DemoView {
        title: script.title.clone(),
        fired: shown,
        total: script.steps.len(),
        caption: step.caption.clone(),
        look: step.look,
        select: step.select,
        next_at,
        waiting: true,
        auto: false,
        auto_in: None,
        left: false,
        refused,
        desk: None,
    })));
    // The refresher would rebuild the rows (P1 collapsed) and load the selected order's book.
    scenario::reload(&c, &mut app).await;
    scenario::reload(&c, &mut app).await;
    Some(app)
}

/// Writes every screen as SVG (and PNG when `rsvg-convert` exists) into `dir`; returns the files written.
pub fn write_all(dir: &Path, seed: u64) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let shots = rt.block_on(shots(seed));
    let mut written = Vec::new();
    let have_rsvg =
        std::process::Command::new("rsvg-convert").arg("--version").output().is_ok_and(|o| o.status.success());
    for s in &shots {
        let buf = render(&s.app, s.width, s.height);
        let svg_path = dir.join(format!("{}.svg", s.name));
        std::fs::write(&svg_path, svg::render(&buf, &s.palette))?;
        written.push(svg_path.display().to_string());
        if have_rsvg {
            let png = dir.join(format!("{}.png", s.name));
            let st = std::process::Command::new("rsvg-convert").arg("-o").arg(&png).arg(&svg_path).status()?;
            if st.success() {
                written.push(png.display().to_string());
            }
        }
    }
    if !have_rsvg {
        written.push("(rsvg-convert not found: SVG only; install librsvg2-bin for PNGs)".into());
    }
    Ok(written)
}
