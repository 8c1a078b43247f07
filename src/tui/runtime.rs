//! The terminal task: one `select!` over key presses, client results and a
//! low tick, with rendering on demand. State changes set a dirty flag and a
//! frame is drawn at most once per `frame_cap` (yazi's rule), so a burst of
//! events costs one frame. `ratatui::init` restores the terminal on panic; we
//! restore it on every other way out.

use super::app::{App, Effect, Msg};
use super::demo::{DemoCmd, DemoLink};
use super::worker::Worker;
use crate::client::Client;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Redraw at least this often for the clocks even when nothing arrives.
const LOW_TICK: Duration = Duration::from_millis(1_000);

/// Key-press-to-frame times seen in a session, for the log.
#[derive(Debug, Default, Clone)]
pub struct LatencyStats {
    samples: Vec<f64>,
}

impl LatencyStats {
    /// Records one key-to-frame time in milliseconds.
    pub fn record(&mut self, ms: f64) {
        self.samples.push(ms);
    }
    /// (count, median, 99th percentile, max) in ms.
    pub fn summary(&self) -> Option<(usize, f64, f64, f64)> {
        if self.samples.is_empty() {
            return None;
        }
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
        Some((s.len(), at(0.5), at(0.99), s[s.len() - 1]))
    }
}

/// How the terminal task runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Frames per second at most.
    pub max_fps: u32,
    /// Report mouse events.
    pub mouse: bool,
    /// Test hook: panic after this many frames.
    pub panic_after: Option<u64>,
}

/// Runs the UI on a real terminal until the user quits. The terminal is
/// restored whatever happens (ratatui's panic hook restores raw mode and the
/// screen; ours, chained before it, turns mouse reporting off and logs the panic).
pub async fn run<C: Client>(client: C, app: App, opts: Options, demo: Option<DemoLink>) -> anyhow::Result<()> {
    let mouse = opts.mouse;
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            // Raw mode may be on even though the alternate screen failed: undo what was done.
            ratatui::restore();
            return Err(anyhow::anyhow!("cannot open the terminal UI ({e}); run it in a terminal"));
        }
    };
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if mouse {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        }
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
        tracing::error!(%info, "panic");
        previous(info);
    }));
    if mouse {
        crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    // A paste arrives as one event for the field being typed in, never as key presses (see `paste`).
    crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste)?;
    let result = event_loop(&mut terminal, client, app, &opts, demo).await;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    result
}

async fn event_loop<B: Backend, C: Client>(
    terminal: &mut Terminal<B>,
    client: C,
    mut app: App,
    opts: &Options,
    demo: Option<DemoLink>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let frame_cap = Duration::from_secs_f64(1.0 / f64::from(opts.max_fps.max(1)));
    let mut frames: u64 = 0;
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let (want_tx, want_rx) = watch::channel(app.want());
    let worker = Worker::start(Arc::new(client), tx, want_rx);
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(LOW_TICK);
    let mut dirty = true;
    let mut last_draw = Instant::now() - frame_cap;
    let mut pending_key: Option<Instant> = None;
    let mut latency = LatencyStats::default();
    let (demo_cmds, mut demo_views) = match demo {
        Some(l) => (Some(l.cmds), Some(l.views)),
        None => (None, None),
    };
    while !app.quit {
        app.tick(Instant::now());
        let due = tokio::time::Instant::from_std(last_draw + frame_cap);
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    pending_key.get_or_insert_with(Instant::now);
                    for e in app.on_key(k) {
                        dispatch(&worker, demo_cmds.as_ref(), e);
                    }
                    dirty = true;
                }
                Some(Ok(Event::Paste(text))) => {
                    pending_key.get_or_insert_with(Instant::now);
                    for e in app.on_paste(&text) {
                        dispatch(&worker, demo_cmds.as_ref(), e);
                    }
                    dirty = true;
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(Event::Mouse(m))) => dirty |= app.on_mouse(m),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(msg) = rx.recv() => {
                for e in app.on_msg(msg) {
                    dispatch(&worker, demo_cmds.as_ref(), e);
                }
                dirty = true;
            }
            Some(v) = async { demo_views.as_mut()?.recv().await }, if demo_views.is_some() => {
                for e in app.on_msg(Msg::Demo(Box::new(v))) {
                    dispatch(&worker, demo_cmds.as_ref(), e);
                }
                dirty = true;
            }
            _ = tick.tick() => dirty = true,
            _ = tokio::time::sleep_until(due), if dirty => {
                terminal.draw(|f| f.render_widget(&app, f.area()))?;
                last_draw = Instant::now();
                frames += 1;
                if opts.panic_after.is_some_and(|n| frames >= n) {
                    panic!("--panic-after-frames: panicking after {frames} frames, as asked");
                }
                dirty = false;
                if let Some(t) = pending_key.take() {
                    latency.record(t.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        want_tx.send_if_modified(|w| {
            let now = app.want();
            let changed = *w != now;
            if changed {
                *w = now;
            }
            changed
        });
    }
    if let Some((n, p50, p99, max)) = latency.summary() {
        tracing::info!(keys = n, p50_ms = p50, p99_ms = p99, max_ms = max, "key press to frame latency");
    }
    Ok(())
}

fn dispatch<C: Client>(worker: &Worker<C>, demo: Option<&mpsc::UnboundedSender<DemoCmd>>, e: Effect) {
    match e {
        Effect::Demo(cmd) => {
            // The driver ends only with the UI.
            if let Some(d) = demo {
                let _ = d.send(cmd);
            }
            worker.poke();
        }
        Effect::Copy(text) => {
            // OSC 52: the terminal puts it on the system clipboard (works over ssh too).
            let r =
                crossterm::execute!(std::io::stdout(), crossterm::clipboard::CopyToClipboard::to_clipboard_from(text));
            if let Err(err) = r {
                tracing::warn!(error = %err, "clipboard write failed");
            }
        }
        other => {
            worker.run(other);
            worker.poke();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary_orders_samples() {
        let mut l = LatencyStats::default();
        assert!(l.summary().is_none());
        for ms in [3.0, 1.0, 2.0, 10.0] {
            l.record(ms);
        }
        let (n, p50, _, max) = l.summary().unwrap();
        assert_eq!((n, max), (4, 10.0));
        assert!(p50 == 2.0 || p50 == 3.0);
    }
}
