//! The terminal blotter (ratatui). `blotter` with no arguments opens it on the
//! embedded paper engine, paced against the wall clock.
//!
//! Layout follows the ratatui templates and gitui: plain state (`app`),
//! keys to actions (`input`, `keymap`), background client work (`worker`),
//! one terminal task (`runtime`), and views that borrow the state
//! (`components`). The UI talks only to `client::Client`, so the embedded
//! engine and a sidecar are the same to it.

pub mod action;
pub mod alerts;
pub mod app;
pub mod bench;
pub mod columns;
pub mod components;
pub mod config;
pub mod demo;
pub mod export;
pub mod format;
pub mod input;
pub mod keymap;
pub mod mouse;
pub mod note;
pub mod palette;
pub mod params;
pub mod paste;
pub mod positions;
pub mod prompt;
pub mod runtime;
pub mod scenario;
pub mod screenshots;
pub mod supervisor;
pub mod supervisor_keys;
pub mod svg;
pub mod table;
pub mod tca_review;
pub mod theme;
pub mod ticket;
pub mod update;
pub mod worker;

use crate::client::Embedded;
use crate::engine::{Actor, Engine, EngineConfig};
use crate::market::{Universe, session};
use crate::model::{Calendar, Role, Timestamp, time::parse_hhmm};
use app::App;
use chrono::Utc;
use clap::Args;
use config::{Config, Paths};
use keymap::Keymap;
use std::path::PathBuf;
use std::sync::Arc;
use theme::Theme;

/// Flags of the terminal UI (`blotter` with no subcommand).
#[derive(Debug, Clone, Default, Args)]
pub struct TuiArgs {
    /// Theme: dark, light, high-contrast, monochrome, or NAME.toml in the config's themes/ folder.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap preset: default or vim (keymap.toml in the config folder is merged over it).
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Simulated seconds per wall second for the embedded engine.
    #[arg(long, value_name = "X")]
    pub speed: Option<f64>,
    /// Seed of the embedded engine's market.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Trading date YYYY-MM-DD (default: the latest US trading day up to today).
    #[arg(long)]
    pub date: Option<String>,
    /// Config file (default: config.toml in the platform config directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore the config file and keymap.toml (start with the defaults).
    #[arg(long)]
    pub default_config: bool,
    /// Log file (default: blotter.log in the platform data directory). Logs never go to the screen.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Open the UI on a sidecar (`blotter serve`) instead of the embedded engine, e.g. http://127.0.0.1:8898.
    #[arg(long, value_name = "URL")]
    pub connect: Option<String>,
    /// The desk's time zone: every time is shown in it, labelled (default America/New_York).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Bearer token for --connect (a token from `blotter token create`).
    #[arg(long, value_name = "TOKEN", env = "BLOTTER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Test hook: panic after drawing N frames (the end-to-end test checks the terminal is restored).
    #[arg(long, value_name = "N", hide = true)]
    pub panic_after_frames: Option<u64>,
}

/// Why the UI could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// Bad flags or files: nothing started.
    #[error("{0}")]
    Usage(String),
    /// A failure while running.
    #[error("{0}")]
    Runtime(String),
}

/// Everything resolved from flags, config and files.
pub struct Setup {
    /// Merged config.
    pub config: Config,
    /// Theme (NO_COLOR applied).
    pub theme: Theme,
    /// Keymap (preset plus the user's file).
    pub keymap: Keymap,
    /// The desk's time zone.
    pub tz: chrono_tz::Tz,
    /// Where the files are.
    pub paths: Paths,
}

/// Resolves config, theme and keymap from flags and files.
pub fn setup(a: &TuiArgs, paths: Paths) -> Result<Setup, TuiError> {
    let usage = |e: String| TuiError::Usage(e);
    let config_path = a.config.clone().unwrap_or_else(|| paths.config.clone());
    let mut config = if a.default_config {
        Config::default()
    } else {
        Config::load(&config_path)
            .map_err(|e| usage(format!("{e}\n  fix the file, or start with the defaults: blotter --default-config")))?
    };
    if let Some(t) = &a.theme {
        config.theme = t.clone();
    }
    if let Some(k) = &a.keymap {
        config.keymap = k.clone();
    }
    if let Some(s) = a.speed {
        if !(s.is_finite() && s > 0.0 && s <= 100_000.0) {
            return Err(usage(format!("--speed: {s} is out of range; allowed: (0, 100000]")));
        }
        config.speed = s;
    }
    if let Some(s) = a.seed {
        config.seed = s;
    }
    if let Some(d) = &a.date {
        config.date = Some(d.clone());
    }
    if let Some(z) = &a.tz {
        config.tz = z.clone();
    }
    let tz: chrono_tz::Tz = config.tz.parse().map_err(|_| {
        usage(format!(
            "--tz: '{}' is not a time zone; allowed: an IANA name such as America/New_York, Europe/Zurich, UTC",
            config.tz
        ))
    })?;
    let theme = Theme::load(&config.theme, Some(&paths.themes)).map_err(|e| usage(format!("theme: {e}")))?;
    let theme = if theme::no_color_requested() { theme.without_colour() } else { theme };
    let mut keymap = Keymap::preset(&config.keymap).map_err(|e| usage(format!("keymap: {e}")))?;
    if !a.default_config && paths.keymap.exists() {
        let text =
            std::fs::read_to_string(&paths.keymap).map_err(|e| usage(format!("{}: {e}", paths.keymap.display())))?;
        keymap
            .merge(&paths.keymap.display().to_string(), &text)
            .map_err(|e| usage(format!("{e}\n  fix the file, or start with the defaults: blotter --default-config")))?;
    }
    Ok(Setup { config, theme, keymap, paths, tz })
}

/// The embedded engine the config describes.
pub fn embedded_engine(c: &Config) -> Result<Engine, TuiError> {
    let universe = Arc::new(Universe::builtin());
    let reference = universe
        .instruments()
        .iter()
        .find(|i| i.calendar == Calendar::UsEquity)
        .ok_or_else(|| TuiError::Usage("no US equity in the universe".into()))?;
    let ny = session::tz_of(Calendar::UsEquity);
    let date = match &c.date {
        Some(d) => crate::model::time::parse_date(d).map_err(|e| TuiError::Usage(format!("--date: {e}")))?,
        None => session::last_trading_day(
            Calendar::UsEquity,
            &reference.listing,
            Utc::now().with_timezone(&ny).date_naive(),
        ),
    };
    let mut cfg = EngineConfig::new(c.seed, date);
    cfg.symbols = c.symbols.clone();
    // Orders are typed by hand here: the desk's fat-finger limits apply.
    cfg.risk = crate::risk::RiskConfig::desk();
    let start = parse_hhmm(&c.start).ok_or_else(|| TuiError::Usage(format!("start: '{}' is not HH:MM", c.start)))?;
    cfg.origin = Some(Timestamp::from_local(ny, date, start));
    Engine::new(universe, cfg).map_err(|e| TuiError::Usage(e.to_string()))
}

/// Opens the terminal UI until the user quits: on the sidecar named by
/// `--connect` (or `connect` in the config), else on the embedded engine.
pub fn run(a: &TuiArgs) -> Result<(), TuiError> {
    let s = setup(a, Paths::platform())?;
    let log = a.log.clone().unwrap_or_else(|| s.paths.log.clone());
    let _guard = init_logging(&log)?;
    let opts = |s: &Setup| runtime::Options {
        max_fps: s.config.max_fps,
        mouse: s.config.mouse,
        panic_after: a.panic_after_frames,
    };
    if let Some(url) = a.connect.clone().or_else(|| s.config.connect.clone()) {
        let remote = crate::client::Remote::new(&url, a.token.clone())
            .map_err(|e| TuiError::Usage(format!("--connect: {}", e.message)))?;
        tracing::info!(url = %url, token = a.token.is_some(), "starting the terminal UI on a sidecar");
        let o = opts(&s);
        let mut app = App::new(remote_name(&url), s.theme, s.keymap, s.config.speed);
        app.sup.monitor.thresholds = s.config.alerts.clone();
        app.tz = s.tz;
        return block_on(async move { runtime::run(remote, app, o, None).await });
    }
    let engine = embedded_engine(&s.config)?;
    let role: Role = s.config.role.parse().map_err(TuiError::Usage)?;
    let actor = Actor { user: s.config.user.as_str().into(), tenant: s.config.tenant.as_str().into(), role };
    tracing::info!(seed = s.config.seed, date = %engine.date(), speed = s.config.speed, "starting the terminal UI on the embedded engine");
    let o = opts(&s);
    let speed = s.config.speed;
    block_on(async move {
        let client = Embedded::start(engine, speed, actor);
        let mut app = App::new("embedded".into(), s.theme, s.keymap, speed);
        app.sup.monitor.thresholds = s.config.alerts.clone();
        app.tz = s.tz;
        runtime::run(client, app, o, None).await
    })
}

/// Opens the terminal UI on a demo script: the scripted day with its caption bar.
pub fn run_demo(a: &TuiArgs, script: crate::demo::Script, opts: demo::DemoOptions) -> Result<(), TuiError> {
    let s = setup(a, Paths::platform())?;
    let log = a.log.clone().unwrap_or_else(|| s.paths.log.clone());
    let _guard = init_logging(&log)?;
    let engine = crate::demo::engine_for(&script, Arc::new(Universe::builtin()))
        .map_err(|e| TuiError::Usage(format!("demo script: {}", e.message)))?;
    tracing::info!(title = %script.title, steps = script.steps.len(), auto = opts.auto, "starting the demo");
    let o = runtime::Options { max_fps: s.config.max_fps, mouse: s.config.mouse, panic_after: a.panic_after_frames };
    block_on(async move {
        let speed = script.speed;
        let (client, link) = demo::start(script, engine, opts);
        let mut app = App::new("demo".into(), s.theme, s.keymap, speed);
        app.sup.monitor.thresholds = s.config.alerts.clone();
        app.tz = s.tz;
        runtime::run(client, app, o, Some(link)).await
    })
}

/// The sidecar as the status bar names it (the URL without a trailing slash).
fn remote_name(url: &str) -> String {
    url.trim().trim_end_matches('/').to_string()
}

/// Runs the UI's future on a two-thread runtime (the UI, the worker and the client share it).
pub fn block_on(f: impl std::future::Future<Output = anyhow::Result<()>>) -> Result<(), TuiError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| TuiError::Runtime(e.to_string()))?;
    rt.block_on(f).map_err(|e| {
        tracing::error!(error = %e, "the terminal UI stopped");
        TuiError::Runtime(e.to_string())
    })
}

/// Sends logs to `path` (never the screen); keep the guard alive for the whole run.
pub fn init_logging(path: &std::path::Path) -> Result<tracing_appender::non_blocking::WorkerGuard, TuiError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| TuiError::Usage(format!("--log: {}: {e}", dir.display())))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| TuiError::Usage(format!("--log: {}: {e}", path.display())))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let sub =
        tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_max_level(tracing::Level::INFO).finish();
    // A second init (tests) keeps the first subscriber: logging is best effort.
    let _ = tracing::subscriber::set_global_default(sub);
    Ok(guard)
}
