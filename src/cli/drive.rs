//! Running an engine until its orders are done, for `run` and `recover`:
//! as fast as possible or paced against the wall clock, recorded into the
//! ledger when there is one. Whatever reaches the user (the events file, the
//! progress line, the report) comes from released events only, so nothing is
//! shown before it is committed. The events file is written and flushed as
//! events are released: a process killed mid-run leaves in it exactly what
//! was acknowledged.

use super::ledger_args::store_error;
use super::{CliError, group};
use crate::engine::pace::{Pacer, run_paced};
use crate::engine::{Engine, EngineEvent, EventKind};
use crate::model::{ParentId, ParentStatus, Qty};
use crate::store::Recorder;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where released events go.
pub(super) struct Sink {
    file: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    /// Every event released, in order.
    pub events: Vec<EngineEvent>,
    shown: BTreeMap<ParentId, (ParentStatus, Qty, Qty)>,
}

impl Sink {
    /// A sink that also appends each event as a JSON line to `path`.
    pub fn new(path: Option<&Path>) -> Result<Sink, CliError> {
        let file = match path {
            Some(p) => {
                let f =
                    std::fs::File::create(p).map_err(|e| CliError::usage(format!("--events {}: {e}", p.display())))?;
                Some((p.to_path_buf(), std::io::BufWriter::new(f)))
            }
            None => None,
        };
        Ok(Sink { file, events: Vec::new(), shown: BTreeMap::new() })
    }

    /// Takes released events.
    pub fn take(&mut self, events: Vec<EngineEvent>) -> Result<(), CliError> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some((path, f)) = &mut self.file {
            let io = |e: std::io::Error| CliError::runtime(format!("--events {}: {e}", path.display()));
            for e in &events {
                serde_json::to_writer(&mut *f, e).map_err(|e| io(e.into()))?;
                f.write_all(b"\n").map_err(io)?;
            }
            f.flush().map_err(io)?;
        }
        for e in &events {
            self.track(&e.kind);
        }
        self.events.extend(events);
        Ok(())
    }

    fn track(&mut self, kind: &EventKind) {
        match kind {
            EventKind::Accepted { order, .. } => {
                self.shown.insert(order.id, (order.status, order.filled, order.qty));
            }
            EventKind::Started { parent, .. } => self.status(*parent, ParentStatus::Working),
            EventKind::Paused { parent } => self.status(*parent, ParentStatus::Paused),
            EventKind::Resumed { parent } => self.status(*parent, ParentStatus::Working),
            EventKind::Interrupted { parent, .. } => self.status(*parent, ParentStatus::Interrupted),
            EventKind::Done { parent, status, .. } => self.status(*parent, *status),
            EventKind::Progress { parent, filled, leaves, .. } => {
                let e = self.shown.entry(*parent).or_insert((ParentStatus::Working, Qty::ZERO, Qty::ZERO));
                e.1 = *filled;
                e.2 = *filled + *leaves;
            }
            _ => {}
        }
    }

    fn status(&mut self, id: ParentId, s: ParentStatus) {
        if let Some(e) = self.shown.get_mut(&id) {
            e.0 = s;
        }
    }

    /// The acknowledged state of an order: status, filled, quantity.
    pub fn shown(&self, id: ParentId) -> Option<(ParentStatus, Qty, Qty)> {
        self.shown.get(&id).copied()
    }
}

/// How to run.
pub(super) struct Drive<'a> {
    /// Simulated seconds per wall second (None: as fast as possible).
    pub speed: Option<f64>,
    /// Order whose progress to print while paced, with its time zone.
    pub progress: Option<(ParentId, chrono_tz::Tz)>,
    /// Stop once this says so.
    pub done: &'a dyn Fn(&Engine) -> bool,
}

/// Runs until `done`, releasing events into `sink` (committed first when recording).
pub(super) fn drive(
    engine: &mut Engine,
    rec: Option<&mut Recorder<'_>>,
    how: &Drive<'_>,
    sink: &mut Sink,
) -> Result<(), CliError> {
    match (how.speed, rec) {
        (None, None) => {
            while !(how.done)(engine) && engine.step() {}
            sink.take(engine.drain_events())?;
        }
        (None, Some(rec)) => {
            // Hand a batch over whenever events are waiting (checked every 256
            // steps), and release what has committed while the engine runs on.
            let mut steps = 0u64;
            let mut pushed = engine.event_count();
            while !(how.done)(engine) && engine.step() {
                steps += 1;
                if steps.is_multiple_of(256) && engine.event_count() > pushed {
                    pushed = engine.event_count();
                    rec.push(engine);
                    sink.take(rec.release(false).map_err(store_error)?)?;
                }
            }
            rec.push(engine);
            sink.take(rec.release(true).map_err(store_error)?)?;
        }
        (Some(speed), mut rec) => {
            let pacer = Pacer::new(engine.now(), speed);
            let failure: std::cell::RefCell<Option<CliError>> = std::cell::RefCell::new(None);
            run_paced(
                engine,
                &pacer,
                std::time::Duration::from_millis(50),
                |e, batch| {
                    let released = match rec.as_deref_mut() {
                        Some(r) => {
                            r.push_drained(e, batch, Vec::new());
                            r.release(false).map_err(store_error)
                        }
                        None => Ok(batch),
                    };
                    if let Err(err) = released.and_then(|ev| sink.take(ev)) {
                        failure.borrow_mut().get_or_insert(err);
                    }
                    if let Some((id, tz)) = how.progress
                        && let Some((status, filled, qty)) = sink.shown(id)
                    {
                        eprint!(
                            "\r{} {} filled {} / {} ({:.1}%)   ",
                            e.now().in_tz(tz).format("%H:%M:%S"),
                            status,
                            group(filled),
                            group(qty),
                            filled.ratio(qty) * 100.0
                        );
                    }
                },
                |e| failure.borrow().is_some() || (how.done)(e),
            );
            if how.progress.is_some() {
                eprintln!();
            }
            if let Some(err) = failure.into_inner() {
                return Err(err);
            }
            if let Some(r) = rec {
                sink.take(r.release(true).map_err(store_error)?)?;
            }
        }
    }
    Ok(())
}
