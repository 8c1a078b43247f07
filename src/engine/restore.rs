//! Rebuilding an engine's orders from the ledger after its process stopped.
//!
//! The venues' view of our orders died with the process, so a child that was
//! still live is unknown to the restarted venues: it is cancelled here (an
//! event records it, with the quantity it had left) and its parent's residual
//! is what remains to do. A parent that was working or waiting to start comes
//! back `interrupted` and does nothing until the user resumes or cancels it;
//! a paused one stays paused; one whose cancel was under way finishes as
//! cancelled. The algorithm is rebuilt from the stored parameters over the
//! original window and quantity, and resumes from the filled quantity exactly
//! as after a pause. Sequence and fill numbers continue where the ledger left
//! off, so nothing is numbered twice.

use super::{Engine, EventKind, Job, ParentSlot, Reject, RejectCode};
use crate::algo::{self, AlgoCtx, AlgoSpec, ExecAlgo, PlannedSlice, params::cancel_on_pause};
use crate::market::rng::{Stream, stream};
use crate::model::{AlgoKind, ChildId, ChildOrder, Fill, ParentId, ParentOrder, ParentStatus, Qty};
use crate::risk::RiskBook;
use serde::Serialize;
use std::collections::VecDeque;

/// A parent order as the ledger last recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredParent {
    /// The order with its totals.
    pub order: ParentOrder,
    /// Its children, oldest first.
    pub children: Vec<ChildOrder>,
    /// Its fills, oldest first.
    pub fills: Vec<Fill>,
    /// Whether its window had started.
    pub started: bool,
    /// Whether a cancel was requested and not yet finished.
    pub cancel_requested: bool,
    /// The pre-trade estimate recorded at its submission (its `accepted` event).
    pub pre_trade: Option<crate::tca::PreTrade>,
    /// Why it ended with quantity left (its `done` event's reason), for its TCA.
    pub done_reason: Option<String>,
}

/// Where the engine's counters stood at the last commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestorePoint {
    /// Last committed event sequence number.
    pub last_seq: u64,
    /// Last committed fill number.
    pub last_fill: u64,
    /// Risk state at the last commit, when it was recorded.
    pub risk: Option<RiskBook>,
}

/// What restoring changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RestoreReport {
    /// Orders that were working or pending and now wait for the user.
    pub interrupted: Vec<ParentId>,
    /// Children the venues no longer know, cancelled, with what they had left.
    pub reconciled: Vec<(ChildId, Qty)>,
    /// Orders whose cancel was under way, now cancelled.
    pub cancelled: Vec<ParentId>,
    /// Orders whose algorithm could not be rebuilt (they can still be cancelled).
    pub warnings: Vec<String>,
}

/// Stands in for the algorithm of a finished order, or of one whose
/// algorithm this build cannot rebuild: it never sends anything.
#[derive(Debug)]
struct Inert(AlgoKind);

impl ExecAlgo for Inert {
    fn kind(&self) -> AlgoKind {
        self.0
    }
    fn plan(&self) -> Vec<PlannedSlice> {
        Vec::new()
    }
    fn on_start(&mut self, _ctx: &mut AlgoCtx<'_>) {}
    fn on_timer(&mut self, _ctx: &mut AlgoCtx<'_>, _token: u64) {}
    fn on_resume(&mut self, _ctx: &mut AlgoCtx<'_>) {}
}

impl Engine {
    /// Loads the ledger's orders into a freshly built engine (same seed, date
    /// and instruments; the clock already moved to where the ledger stopped).
    /// `parents` must be every order of the engine, `P1` first. Events the
    /// fresh engine emitted before (market-only, such as an auction during the
    /// catch-up) are dropped: the original run recorded them.
    pub fn restore(&mut self, parents: Vec<RestoredParent>, point: RestorePoint) -> Result<RestoreReport, Reject> {
        if !self.parents.is_empty() {
            return Err(Reject::new(RejectCode::StateConflict, "orders can only be restored into a fresh engine"));
        }
        for (i, r) in parents.iter().enumerate() {
            if r.order.id != ParentId::new(self.number, i as u64 + 1) {
                return Err(Reject::field(
                    RejectCode::UnknownOrder,
                    "id",
                    format!(
                        "orders must be {}..{} in order; found {} at position {}",
                        ParentId::new(self.number, 1),
                        ParentId::new(self.number, parents.len() as u64),
                        r.order.id,
                        i + 1
                    ),
                ));
            }
            let simulated = self.universe.instrument_index(&r.order.symbol).and_then(|u| self.active[u]).is_some();
            if !simulated {
                return Err(Reject::field(
                    RejectCode::UnknownSymbol,
                    "symbol",
                    format!("{}: {} is not simulated by this engine", r.order.id, r.order.symbol),
                ));
            }
        }
        self.events.clear();
        self.event_seq = point.last_seq;
        self.next_fill = point.last_fill;
        if let Some(risk) = point.risk {
            self.risk = risk;
        }
        let mut report = RestoreReport::default();
        for r in parents {
            self.restore_one(r, &mut report);
        }
        Ok(report)
    }

    fn restore_one(&mut self, r: RestoredParent, report: &mut RestoreReport) {
        let RestoredParent { mut order, children, fills, started, cancel_requested, pre_trade, done_reason } = r;
        let id = order.id;
        let inst = self.universe.instrument_index(&order.symbol).and_then(|u| self.active[u]).unwrap_or(0);
        let open = !order.status.is_terminal();
        let mut rng = stream(self.seed, Stream::Algo, id.n);
        let algo: Box<dyn ExecAlgo> = if open {
            let m = &self.markets[inst];
            let spec = AlgoSpec {
                side: order.side,
                qty: order.qty,
                limit: order.limit_px,
                start: order.start,
                end: order.end,
                inst: &m.inst,
                session: &m.session,
                curve: &m.curve,
                fee_per_unit: algo::is::taker_fee_per_unit(&self.universe, m.uidx),
            };
            match algo::build(order.algo, &spec, &order.params, &mut rng) {
                Ok(a) => a,
                Err(e) => {
                    report.warnings.push(format!("{id} cannot be resumed ({e}); cancel it"));
                    Box::new(Inert(order.algo))
                }
            }
        } else {
            Box::new(Inert(order.algo))
        };
        let p = self.parents.len();
        let mut reconciled = Vec::new();
        // Every restored child is final: the live ones are unknown to the
        // restarted venues and cancelled here, so none goes to the slab.
        let mut finished = Vec::with_capacity(children.len());
        for mut c in children {
            if !c.status.is_terminal() {
                let left = c.qty.saturating_sub(c.filled);
                c.cancel();
                reconciled.push((c.id, left));
            }
            finished.push(c);
        }
        let (wants_trades, wants_quotes) = (algo.wants_trades(), algo.wants_quotes());
        let cancel_on_pause = cancel_on_pause(&order.params).unwrap_or(true);
        let before = order.status;
        if open && !cancel_requested && matches!(before, ParentStatus::Working | ParentStatus::Pending) {
            let _ = order.transition(ParentStatus::Interrupted);
        }
        let (start, end) = (order.start, order.end);
        self.parents.push(ParentSlot {
            order,
            algo,
            inst,
            rng,
            open: Vec::new(),
            done: VecDeque::new(),
            live: 0,
            working: Qty::ZERO,
            epoch: 0,
            started,
            cancel_on_pause,
            closing: None,
            closing_reason: None,
            done_reason,
            decisions: VecDeque::new(),
            fills,
            stats: Default::default(),
            pre_trade: pre_trade.map(Box::new),
        });
        self.track_parent(p);
        for c in finished {
            self.keep_finished(p, c);
        }
        if !open {
            return;
        }
        self.parent_opened(p);
        if wants_trades {
            self.trade_subs[inst].push(p);
        }
        if wants_quotes {
            self.quote_subs[inst].push(p);
        }
        for &(child, qty) in &reconciled {
            let reason = "unknown at the venue after a restart: cancelled".to_string();
            self.emit(EventKind::ChildCancelled { child, qty, reason });
        }
        let o = &self.parents[p].order;
        let (filled, leaves, avg_px) = (o.filled, o.leaves(), o.avg_px());
        if !reconciled.is_empty() {
            self.emit(EventKind::Progress { parent: id, filled, leaves, working: Qty::ZERO, avg_px });
        }
        report.reconciled.extend(reconciled);
        if !started {
            self.push(start.max(self.now), Job::Start(p));
        }
        self.push(end.max(self.now), Job::End(p));
        if cancel_requested {
            self.parents[p].closing = Some(ParentStatus::Cancelled);
            self.maybe_finish(p);
            report.cancelled.push(id);
        } else if self.parents[p].order.status == ParentStatus::Interrupted {
            if before != ParentStatus::Interrupted {
                self.emit(EventKind::Interrupted { parent: id, filled, leaves });
            }
            report.interrupted.push(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{at, desk, engine, twap};
    use crate::engine::{Command, EngineEvent, OrderRequest};
    use crate::model::Side;

    /// Snapshot of what a ledger would hold for every order of `e`.
    fn snapshot(e: &Engine) -> Vec<RestoredParent> {
        e.parents()
            .map(|o| RestoredParent {
                order: o.clone(),
                children: e.children(o.id).into_iter().cloned().collect(),
                fills: e.fills(o.id).to_vec(),
                started: o.arrival_px.is_some(),
                cancel_requested: false,
                pre_trade: e.pre_trade_estimate(o.id).cloned(),
                done_reason: e.done_reason(o.id).map(str::to_string),
            })
            .collect()
    }

    #[test]
    fn a_working_order_comes_back_interrupted_and_resumes_to_completion() {
        let mut e = engine(5, &["AAPL"]);
        let id = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Buy, 50_000, "09:30", "11:00"))).unwrap().unwrap();
        e.run_until(at("10:05"));
        let before: Vec<EngineEvent> = e.drain_events();
        let last_seq = before.last().unwrap().seq;
        let last_fill = e.fills(id).last().unwrap().id.0;
        let filled = e.parent(id).unwrap().filled;
        assert!(filled.is_positive() && filled < Qty::from_int(50_000), "{filled:?}");
        let live_children = e.children(id).iter().filter(|c| !c.status.is_terminal()).count();
        assert!(live_children > 0, "a slice is resting at the venue when the process dies");

        let mut r = engine(5, &["AAPL"]);
        r.run_until(at("10:05"));
        let report = r.restore(snapshot(&e), RestorePoint { last_seq, last_fill, risk: None }).unwrap();
        assert_eq!(report.interrupted, vec![id]);
        assert_eq!(report.reconciled.len(), live_children);
        let p = r.parent(id).unwrap();
        assert_eq!(p.status, ParentStatus::Interrupted);
        assert_eq!(p.filled, filled);
        assert!(r.children(id).iter().all(|c| c.status.is_terminal()));
        let ev = r.drain_events();
        assert_eq!(ev.first().unwrap().seq, last_seq + 1, "numbering continues");
        let cancelled = ev
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::ChildCancelled { reason, .. } if reason.contains("unknown at the venue")))
            .count();
        assert_eq!(cancelled, live_children, "each child the venue no longer knows is reported cancelled");
        assert!(matches!(ev.last().unwrap().kind, EventKind::Interrupted { parent, .. } if parent == id));

        // Nothing happens until the user decides.
        r.run_until(at("10:30"));
        assert_eq!(r.parent(id).unwrap().filled, filled);
        r.apply(&desk(), Command::Resume { id }).unwrap();
        assert_eq!(r.parent(id).unwrap().status, ParentStatus::Working);
        r.run_until_idle();
        let p = r.parent(id).unwrap();
        assert_eq!(p.status, ParentStatus::Done);
        assert_eq!(p.filled, Qty::from_int(50_000), "the remaining quantity completes, no more");
        let new_fills: Vec<&Fill> = r.fills(id).iter().filter(|f| f.id.0 > last_fill).collect();
        let added: Qty = new_fills.iter().map(|f| f.qty).sum();
        assert_eq!(added, Qty::from_int(50_000) - filled);
        assert_eq!(new_fills.first().unwrap().id.0, last_fill + 1, "fill numbers continue");
    }

    #[test]
    fn every_schedule_algorithm_resumes_to_the_exact_quantity() {
        for algo in [AlgoKind::Vwap, AlgoKind::Pov, AlgoKind::Is] {
            let mut e = engine(9, &["AAPL"]);
            let mut req = OrderRequest { algo, ..twap("AAPL", Side::Buy, 40_000, "09:30", "11:30") };
            if algo == AlgoKind::Pov {
                // Slow enough to be mid-order at the crash.
                req.params.insert("rate".into(), "0.01".into());
            }
            let id = e.apply(&desk(), Command::Submit(req)).unwrap().unwrap();
            e.run_until(at("09:40"));
            let last_seq = e.drain_events().last().unwrap().seq;
            let filled = e.parent(id).unwrap().filled;
            assert!(filled.is_positive() && filled < Qty::from_int(40_000), "{algo}: crashed mid-order ({filled:?})");
            let last_fill = e.fills(id).last().unwrap().id.0;
            let mut r = engine(9, &["AAPL"]);
            r.run_until(at("09:40"));
            let report = r.restore(snapshot(&e), RestorePoint { last_seq, last_fill, risk: None }).unwrap();
            assert_eq!(report.interrupted, vec![id], "{algo}");
            assert!(report.warnings.is_empty(), "{algo}: {:?}", report.warnings);
            r.apply(&desk(), Command::Resume { id }).unwrap();
            r.run_until_idle();
            let p = r.parent(id).unwrap();
            assert_eq!((p.status, p.filled), (ParentStatus::Done, Qty::from_int(40_000)), "{algo}");
            assert_eq!(r.fills(id).iter().map(|f| f.qty).sum::<Qty>(), Qty::from_int(40_000), "{algo}");
        }
    }

    #[test]
    fn interrupted_orders_can_be_cancelled_and_cancels_in_flight_finish() {
        let mut e = engine(6, &["AAPL"]);
        let a = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Sell, 20_000, "09:30", "12:00"))).unwrap().unwrap();
        let b = e.apply(&desk(), Command::Submit(twap("AAPL", Side::Buy, 20_000, "09:30", "12:00"))).unwrap().unwrap();
        e.run_until(at("10:00"));
        let last_seq = e.drain_events().last().unwrap().seq;
        let mut snap = snapshot(&e);
        snap[1].cancel_requested = true;
        let mut r = engine(6, &["AAPL"]);
        r.run_until(at("10:00"));
        let report = r.restore(snap, RestorePoint { last_seq, last_fill: 1_000, risk: None }).unwrap();
        assert_eq!(report.interrupted, vec![a]);
        assert_eq!(report.cancelled, vec![b]);
        assert_eq!(r.parent(b).unwrap().status, ParentStatus::Cancelled);
        r.apply(&desk(), Command::Cancel { id: a }).unwrap();
        let p = r.parent(a).unwrap();
        assert_eq!(p.status, ParentStatus::Cancelled);
        assert!(r.is_idle());
    }

    #[test]
    fn restore_refuses_a_used_engine_or_a_gap_in_ids() {
        let mut e = engine(7, &["AAPL"]);
        e.apply(&desk(), Command::Submit(twap("AAPL", Side::Buy, 1_000, "09:30", "10:00"))).unwrap();
        let snap = snapshot(&e);
        assert_eq!(e.restore(snap.clone(), RestorePoint::default()).unwrap_err().code, RejectCode::StateConflict);
        let mut gap = snap;
        gap[0].order.id = ParentId::local(2);
        let err = engine(7, &["AAPL"]).restore(gap, RestorePoint::default()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("id"));
    }
}
