//! Job dispatch: market events, child orders at venues, fills, and the calls
//! into algorithms with the actions they return.

use super::{ChildSlot, Engine, EventKind, Job};
use crate::algo::{Action, AlgoCtx, ExecAlgo};
use crate::market::replay::RefKind;
use crate::model::Timestamp;
use crate::model::{ChildId, ChildOrder, ChildStatus, Fill, FillId, Money, OrderType, ParentStatus, Price, Qty, Tif};
use crate::router::Urgency;
use crate::venue::{Arrival, NewOrder, auction};

impl Engine {
    pub(super) fn dispatch(&mut self, job: Job) {
        match job {
            Job::Trade(i) => self.on_market_trade(i),
            Job::Tick(i) => self.on_tick(i),
            Job::Arrive(c) => {
                self.on_arrive(c);
                self.child_job_ran(c);
            }
            Job::CancelArrive(c) => {
                self.on_cancel_arrive(c);
                self.child_job_ran(c);
            }
            Job::AmendArrive(c) => {
                self.on_amend_arrive(c);
                self.child_job_ran(c);
            }
            Job::Timer { parent, token, epoch } => {
                if self.parents[parent].epoch == epoch {
                    self.with_algo(parent, |a, ctx| a.on_timer(ctx, token));
                }
            }
            Job::Start(p) => self.on_start(p),
            Job::End(p) => self.on_end(p),
            Job::Close(i) => self.on_close(i),
            Job::Auction(i) => self.on_auction(i),
            Job::Command(b) => {
                let (actor, cmd) = *b;
                self.pending_commands -= 1;
                // A refusal is recorded as a `Rejected` event; nobody waits on the result.
                let _ = self.apply(&actor, cmd);
            }
        }
    }

    fn on_market_trade(&mut self, i: usize) {
        let now = self.now;
        let d = self.markets[i].draw_trade(now);
        let before = self.markets[i].market_volume;
        self.execs.clear();
        self.exchange.market_trade(&mut self.markets[i], i, d, now, &mut self.execs);
        self.apply_execs();
        let others = self.markets[i].market_volume - before;
        if others.is_positive() && !self.trade_subs[i].is_empty() {
            let px = self.markets[i].last_trade.map(|t| t.1).unwrap_or_default();
            let mut subs = std::mem::take(&mut self.subs_scratch);
            subs.clone_from(&self.trade_subs[i]);
            for &p in &subs {
                self.with_algo(p, |a, ctx| a.on_trade(ctx, px, others));
            }
            self.subs_scratch = subs;
        }
        if let Some(t) = self.markets[i].next_trade {
            self.push(t, Job::Trade(i));
        }
    }

    fn on_tick(&mut self, i: usize) {
        let now = self.now;
        self.exchange.show_front(&mut self.markets[i], i);
        let next = self.markets[i].on_tick(now);
        self.settle(i);
        self.execs.clear();
        self.exchange.on_requote(&mut self.markets[i], i, now, &mut self.execs);
        self.apply_execs();
        if !self.quote_subs[i].is_empty() {
            let mut subs = std::mem::take(&mut self.subs_scratch);
            subs.clone_from(&self.quote_subs[i]);
            for &p in &subs {
                self.with_algo(p, |a, ctx| a.on_quote(ctx));
            }
            self.subs_scratch = subs;
        }
        if let Some(t) = next {
            self.push(t, Job::Tick(i));
        }
    }

    fn on_close(&mut self, i: usize) {
        for (key, leaves) in self.exchange.close_instrument(i) {
            let reason = format!("session closed: {}", self.markets[i].session.describe());
            self.child_cancelled(key, leaves, reason);
        }
    }

    fn on_auction(&mut self, i: usize) {
        self.execs.clear();
        let now = self.now;
        if let Some(out) = self.exchange.run_auction(&mut self.markets[i], i, now, &mut self.execs) {
            let symbol = self.markets[i].inst.symbol.clone();
            self.emit(EventKind::Auction { symbol, px: out.px, volume: out.volume, imbalance: out.imbalance });
        }
        self.apply_execs();
        for (key, leaves) in self.exchange.take_auction_unfilled(i) {
            let reason = format!("closing auction: {leaves} not executed at the uncross price");
            self.child_cancelled(key, leaves, reason);
        }
    }

    fn on_start(&mut self, p: usize) {
        let slot = &mut self.parents[p];
        if slot.started || slot.order.status.is_terminal() {
            return;
        }
        slot.started = true;
        let m = &self.markets[slot.inst];
        // A replay with no recorded quote in force shows a made-up book around
        // a print, refreshed at most once a tick: its mid can be half a tick
        // off the print, or still on an earlier one (the Binance sample at
        // 00:00:20: 39,499.965 against the print at 39,491.98 81 ms after the
        // one the book was quoted on). The arrival is the recorded print the
        // replay report names, with our impact.
        let print = m.recording().and_then(|r| r.reference_at(self.now)).filter(|r| r.from == RefKind::Print);
        let mid = match print {
            Some(r) => r.px + m.impact(self.now),
            None => m.nbbo().mid().unwrap_or_else(|| m.mid(self.now)),
        };
        let arrival = Price::from_f64(mid);
        slot.order.start(arrival);
        let id = slot.order.id;
        self.emit(EventKind::Started { parent: id, arrival_px: arrival });
        if self.parents[p].order.status == ParentStatus::Working {
            self.with_algo(p, |a, ctx| a.on_start(ctx));
        }
    }

    fn on_end(&mut self, p: usize) {
        if self.parents[p].order.status.is_terminal() {
            return;
        }
        let ps = &mut self.parents[p];
        if ps.closing.is_none() {
            let m = &self.markets[ps.inst];
            let s = &m.session;
            let mut reason = format!("window ended at {} {}", local_time(s, ps.order.end), s.tz.name());
            // A replay says how much the recording gave: an order can only
            // trade what was printed (and what the book showed).
            let o = &ps.order;
            let from = o.start.max(o.created_at);
            if let Some(why) = m.replay_residual(o.side, o.limit_px, from, self.now, o.leaves()) {
                reason = format!("{reason}: {why}");
            }
            ps.closing_reason = Some(reason);
            ps.closing = Some(ParentStatus::Expired);
        }
        self.cancel_children(p);
        self.maybe_finish(p);
    }

    /// Calls into a working parent's algorithm and carries out what it asks.
    pub(super) fn with_algo(&mut self, p: usize, f: impl FnOnce(&mut dyn ExecAlgo, &mut AlgoCtx<'_>)) {
        let slot = &mut self.parents[p];
        if slot.order.status != ParentStatus::Working || slot.closing.is_some() {
            return;
        }
        let mut actions = std::mem::take(&mut self.actions);
        let m = &self.markets[slot.inst];
        let auction_volume = if m.session.auction.is_some() { auction::expected_volume(m) } else { 0.0 };
        {
            let mut ctx =
                AlgoCtx::new(self.now, &slot.order, slot.working, m, &mut slot.rng, auction_volume, &mut actions);
            f(slot.algo.as_mut(), &mut ctx);
        }
        for a in actions.drain(..) {
            match a {
                Action::Send(intent) => self.send_intent(p, intent, None),
                Action::Sweep(intent, min_size) => self.send_intent(p, intent, Some(min_size)),
                Action::CancelAll => self.cancel_children(p),
                Action::Timer(at, token) => {
                    let epoch = self.parents[p].epoch;
                    let at = at.max(self.now);
                    self.push(at, Job::Timer { parent: p, token, epoch });
                }
            }
        }
        self.actions = actions;
    }

    fn send_intent(&mut self, p: usize, mut intent: crate::router::Intent, min_size: Option<Qty>) {
        let inst = self.parents[p].inst;
        let lot = self.markets[inst].inst.lot_size;
        let slot = &self.parents[p];
        // Never more than what is neither filled nor already working.
        let room = slot.order.leaves().saturating_sub(slot.working);
        intent.qty = intent.qty.min(room).round_down_to(lot);
        if !intent.qty.is_positive() {
            return;
        }
        // Every algorithm's children go out here, so this is where none is
        // sent into a closed continuous book (the venue would refuse each one,
        // an alert apiece): past the close the residual expires instead.
        // Closing-auction orders go to the auction, which runs after it.
        if intent.urgency != Urgency::Close && !self.markets[inst].session.is_open(self.now) {
            self.expire_at_close(p);
            return;
        }
        let mut decision =
            self.router.route_with_min_size(&self.universe, &self.markets[inst], inst, intent, min_size, self.now);
        // Each child's entry latency is drawn before the decision is shown:
        // one sent in the last moments of the session would arrive after the
        // close, so it is not sent, and the decision says so rather than
        // listing a child that never went out.
        let mut sending = Vec::with_capacity(decision.allocations.len());
        let mut late = Vec::new();
        for a in std::mem::take(&mut decision.allocations) {
            let venue_id = self.markets[inst].venues[a.slot].venue;
            let latency = self.exchange.entry_latency(venue_id);
            if a.tif != Tif::Close && !self.markets[inst].session.is_open(self.now + latency) {
                if let Some(s) = decision.scores.iter_mut().find(|s| s.venue == a.venue) {
                    s.chosen = s.chosen.saturating_sub(a.qty);
                }
                late.push(format!("{} {}", a.venue, a.qty));
                continue;
            }
            decision.allocations.push(a.clone());
            sending.push((a, latency));
        }
        if !late.is_empty() {
            let s = &self.markets[inst].session;
            decision.reason.push_str(&format!(
                "; not sent, would reach the venue after the {} {} close: {}",
                s.local_hhmm(s.close),
                s.tz.name(),
                late.join(", ")
            ));
        }
        let parent_id = self.parents[p].order.id;
        let slot = &mut self.parents[p];
        if slot.decisions.len() >= super::DECISIONS_KEPT {
            slot.decisions.pop_front();
        }
        slot.decisions.push_back(decision.clone());
        self.emit(EventKind::Routed { parent: parent_id, decision: Box::new(decision) });
        for (a, latency) in sending {
            let slot = &mut self.parents[p];
            slot.order.children += 1;
            let order = ChildOrder {
                id: ChildId { parent: parent_id, seq: slot.order.children },
                venue: a.venue.clone(),
                side: intent.side,
                qty: a.qty,
                px: a.px,
                order_type: a.order_type,
                tif: a.tif,
                status: ChildStatus::PendingNew,
                filled: Qty::ZERO,
                notional: Money::ZERO,
                sent_at: self.now,
                acked_at: None,
            };
            slot.working += a.qty;
            slot.live += 1;
            let arrive_at = self.now + latency;
            self.emit(EventKind::ChildSent { child: Box::new(order.clone()) });
            let c = self.children.insert(ChildSlot {
                order,
                parent: p,
                inst,
                slot: a.slot,
                urgency: intent.urgency,
                arrive_at,
                cancel_sent: false,
                pending_amend: None,
                jobs: 0,
            });
            self.parents[p].open.push(c);
            self.push_child_job(arrive_at, Job::Arrive(c), c);
        }
        if !late.is_empty() {
            self.expire_at_close(p);
        }
    }

    /// The instrument's continuous session is over (or will be before a
    /// child reaches the venue): nothing more can be worked today, so the
    /// parent expires with its residual once its live children have closed
    /// (the venue cancels resting ones at the close).
    fn expire_at_close(&mut self, p: usize) {
        let ps = &mut self.parents[p];
        if ps.closing.is_none() {
            let m = &self.markets[ps.inst];
            let s = &m.session;
            ps.closing_reason = Some(format!(
                "venue closed: {} trades {}; nothing more is sent after {} {}",
                m.inst.symbol,
                s.describe(),
                s.local_hhmm(s.close),
                s.tz.name()
            ));
            ps.closing = Some(ParentStatus::Expired);
        }
        self.maybe_finish(p);
    }

    /// Queues a job about child `c`: the child is held until it has run.
    fn push_child_job(&mut self, at: Timestamp, job: Job, c: usize) {
        if let Some(ch) = self.children.get_mut(c) {
            ch.jobs += 1;
        }
        self.push(at, job);
    }

    /// A job about child `c` has run: release the child if it was the last
    /// one and the child is final.
    fn child_job_ran(&mut self, c: usize) {
        if let Some(ch) = self.children.get_mut(c) {
            ch.jobs = ch.jobs.saturating_sub(1);
        }
        self.release_child(c);
    }

    /// Takes a final child that no queued job refers to out of the slab and
    /// into its parent's finished list (as the retention policy allows).
    fn release_child(&mut self, c: usize) {
        let Some(ch) = self.children.get(c) else { return };
        if ch.jobs > 0 || !ch.order.status.is_terminal() {
            return;
        }
        let Some(ch) = self.children.remove(c) else { return };
        let open = &mut self.parents[ch.parent].open;
        if let Some(i) = open.iter().position(|&k| k == c) {
            open.remove(i);
        }
        self.keep_finished(ch.parent, ch.order);
    }

    /// Keeps a finished child of parent `p` as the retention policy allows.
    pub(super) fn keep_finished(&mut self, p: usize, child: crate::model::ChildOrder) {
        if let Some(q) = self.finished.admit(p, &mut self.parents[p].done, child) {
            self.parents[q].done.pop_front();
        }
    }

    /// Sends a cancel for every live child of a parent (IOCs close on their own).
    pub(super) fn cancel_children(&mut self, p: usize) {
        // Only the children still held, in the order they were sent (the
        // order the cancels draw their latencies in); a final one is skipped.
        let kids = std::mem::take(&mut self.parents[p].open);
        for &c in &kids {
            self.cancel_one(c);
        }
        // Cancelling sends no child, but keep any that were, after these.
        let sent_meanwhile = std::mem::replace(&mut self.parents[p].open, kids);
        self.parents[p].open.extend(sent_meanwhile);
    }

    /// Sends a cancel for one live child (IOCs close on their own).
    pub(super) fn cancel_one(&mut self, c: usize) {
        let Some(ch) = self.children.get_mut(c) else { return };
        if ch.order.status.is_terminal() || ch.cancel_sent || ch.order.tif == Tif::Ioc {
            return;
        }
        ch.cancel_sent = true;
        ch.jobs += 1;
        let _ = ch.order.transition(ChildStatus::PendingCancel);
        let venue = self.markets[ch.inst].venues[ch.slot].venue;
        let arrive_after = ch.arrive_at;
        let latency = self.exchange.entry_latency(venue);
        // A cancel cannot overtake the order it cancels.
        let at = (self.now + latency).max(arrive_after + crate::model::Duration(1));
        self.push(at, Job::CancelArrive(c));
    }

    /// Sends an amend of a resting child: a new total quantity and/or price.
    /// It reaches the venue after the latency; a reduction keeps the queue
    /// position, a price change goes to the back of the new level.
    pub(super) fn amend_child(&mut self, c: usize, qty: Qty, px: Option<Price>) {
        let Some(ch) = self.children.get_mut(c) else { return };
        if ch.order.status.is_terminal() || ch.cancel_sent || ch.order.tif != Tif::Day || ch.pending_amend.is_some() {
            return;
        }
        ch.pending_amend = Some((qty, px));
        ch.jobs += 1;
        let (id, venue, arrive_after) = (ch.order.id, self.markets[ch.inst].venues[ch.slot].venue, ch.arrive_at);
        let latency = self.exchange.entry_latency(venue);
        let at = (self.now + latency).max(arrive_after + crate::model::Duration(1));
        self.emit(EventKind::AmendSent { child: id, qty, px });
        self.push(at, Job::AmendArrive(c));
    }

    fn on_amend_arrive(&mut self, c: usize) {
        let Some(ch) = self.children.get_mut(c) else { return };
        let Some((qty, px)) = ch.pending_amend.take() else { return };
        let id = ch.order.id;
        if ch.order.status.is_terminal() {
            let reason = format!("too late to amend: already {}", ch.order.status);
            self.emit(EventKind::AmendRejected { child: id, reason });
            return;
        }
        let (inst, slot, filled, old_qty, old_px) = (ch.inst, ch.slot, ch.order.filled, ch.order.qty, ch.order.px);
        if qty <= filled {
            // Nothing left to work: the amend is a cancel.
            if let Ok(leaves) = self.exchange.cancel(&self.markets[inst], inst, slot, c, self.now) {
                self.child_cancelled(c, leaves, "amended to its filled quantity".into());
            }
            return;
        }
        let new_px = px.or(old_px).unwrap_or_default();
        match self.exchange.amend(&self.markets[inst], inst, slot, c, qty - filled, new_px) {
            Some(_) => {
                let Some(ch) = self.children.get_mut(c) else { return };
                ch.order.qty = qty;
                ch.order.px = Some(new_px);
                let p = ch.parent;
                let ps = &mut self.parents[p];
                ps.working = ps.working + qty - old_qty;
                self.emit(EventKind::ChildAmended { child: id, qty, px: Some(new_px) });
                self.with_algo(p, |a, ctx| a.on_child_closed(ctx));
            }
            None => self.emit(EventKind::AmendRejected {
                child: id,
                reason: "too late to amend: the order is no longer on the book".into(),
            }),
        }
    }

    fn on_arrive(&mut self, c: usize) {
        let now = self.now;
        let (inst, slot, order) = {
            let Some(ch) = self.children.get(c) else { return };
            (
                ch.inst,
                ch.slot,
                NewOrder { key: c, side: ch.order.side, qty: ch.order.qty, px: ch.order.px, tif: ch.order.tif },
            )
        };
        self.execs.clear();
        let outcome = if order.tif == Tif::Close {
            self.exchange.enter_auction(&self.markets[inst], inst, slot, order, now)
        } else {
            self.exchange.arrive(&mut self.markets[inst], inst, slot, order, now, &mut self.execs)
        };
        let Some(ch) = self.children.get_mut(c) else { return };
        if let Arrival::Rejected(reason) = outcome {
            let _ = ch.order.transition(ChildStatus::Rejected);
            let id = ch.order.id;
            self.emit(EventKind::ChildRejected { child: id, reason });
            self.child_closed(c);
            return;
        }
        ch.order.ack(now);
        let (id, venue, latency) = (ch.order.id, ch.order.venue.clone(), (now - ch.order.sent_at).0);
        self.emit(EventKind::ChildAcked { child: id, venue, latency_ns: latency });
        self.apply_execs();
        if let Arrival::Done { cancelled } = outcome
            && let Some(ch) = self.children.get(c)
            && !ch.order.status.is_terminal()
        {
            let reason = match ch.order.order_type {
                OrderType::Market => "market order: no more displayed liquidity",
                OrderType::Limit => "IOC: unfilled remainder cancelled",
            };
            self.child_cancelled(c, cancelled, reason.to_string());
        }
    }

    fn on_cancel_arrive(&mut self, c: usize) {
        let Some(ch) = self.children.get(c) else { return };
        if ch.order.status.is_terminal() {
            let id = ch.order.id;
            let reason = format!("too late to cancel: already {}", ch.order.status);
            self.emit(EventKind::CancelRejected { child: id, reason });
            return;
        }
        let (inst, slot) = (ch.inst, ch.slot);
        match self.exchange.cancel(&self.markets[inst], inst, slot, c, self.now) {
            Ok(leaves) => self.child_cancelled(c, leaves, "cancel confirmed".into()),
            Err(reason) => {
                let Some(ch) = self.children.get_mut(c) else { return };
                ch.cancel_sent = false;
                ch.order.cancel_refused();
                let id = ch.order.id;
                self.emit(EventKind::CancelRejected { child: id, reason });
            }
        }
    }

    fn child_cancelled(&mut self, c: usize, qty: Qty, reason: String) {
        let Some(ch) = self.children.get_mut(c) else { return };
        if ch.order.status.is_terminal() {
            return;
        }
        ch.order.cancel();
        let id = ch.order.id;
        self.emit(EventKind::ChildCancelled { child: id, qty, reason });
        self.child_closed(c);
    }

    /// A child reached a final state: release its working quantity, teach the
    /// router, and tell the algorithm (or finish a closing parent).
    fn child_closed(&mut self, c: usize) {
        let Some(ch) = self.children.get(c) else { return };
        let (p, inst, slot, urgency, qty, filled) =
            (ch.parent, ch.inst, ch.slot, ch.urgency, ch.order.qty, ch.order.filled);
        match urgency {
            Urgency::Passive => self.router.learn_passive(inst, slot, qty, filled),
            Urgency::Aggressive => self.router.learn_aggressive(inst, slot, qty, filled),
            Urgency::Close => {}
        }
        let ps = &mut self.parents[p];
        ps.working = ps.working.saturating_sub(qty - filled);
        ps.live = ps.live.saturating_sub(1);
        if ps.closing.is_some() {
            self.maybe_finish(p);
        } else {
            self.with_algo(p, |a, ctx| a.on_child_closed(ctx));
        }
        self.release_child(c);
    }

    /// Turns the executions in `self.execs` into fills, progress events and algorithm calls.
    pub(super) fn apply_execs(&mut self) {
        if self.execs.is_empty() {
            return;
        }
        let execs = std::mem::take(&mut self.execs);
        for e in &execs {
            let c = e.key;
            // Always held: a venue executes only orders it rests, which are not final.
            let Some(ch) = self.children.get_mut(c) else { continue };
            self.next_fill += 1;
            let fill = Fill {
                id: FillId(self.next_fill),
                child: ch.order.id,
                venue: ch.order.venue.clone(),
                side: ch.order.side,
                px: e.px,
                qty: e.qty,
                fee: e.fee,
                liquidity: e.liquidity,
                ts: self.now,
            };
            ch.order.fill(&fill);
            let child_done = ch.order.status == ChildStatus::Filled;
            let p = ch.parent;
            let ps = &mut self.parents[p];
            ps.order.fill(&fill);
            ps.working = ps.working.saturating_sub(e.qty);
            let (tenant, symbol) = (ps.order.owner.tenant.clone(), ps.order.symbol.clone());
            self.risk.on_fill(&tenant, &symbol, fill.side, fill.qty);
            self.track_fill(p, &fill);
            if !self.dirty.contains(&p) {
                self.dirty.push(p);
            }
            self.emit(EventKind::Fill { fill: fill.clone() });
            self.with_algo(p, |a, ctx| a.on_fill(ctx, &fill));
            if child_done {
                self.child_closed(c);
            }
        }
        self.execs = execs;
        self.execs.clear();
        let dirty = std::mem::take(&mut self.dirty);
        for &p in &dirty {
            let ps = &self.parents[p];
            let (parent, filled, leaves, working, avg_px) =
                (ps.order.id, ps.order.filled, ps.order.leaves(), ps.working, ps.order.avg_px());
            self.emit(EventKind::Progress { parent, filled, leaves, working, avg_px });
            self.maybe_finish(p);
        }
        self.dirty = dirty;
        self.dirty.clear();
    }

    /// Finishes a parent when it is filled, or when it is closing and its last child has closed.
    pub(super) fn maybe_finish(&mut self, p: usize) {
        let ps = &self.parents[p];
        if ps.order.status.is_terminal() {
            return;
        }
        let complete = ps.order.leaves().is_zero();
        let status = if complete {
            ParentStatus::Done
        } else if let Some(s) = ps.closing {
            if ps.live > 0 {
                return;
            }
            s
        } else {
            return;
        };
        if complete && ps.live > 0 {
            self.cancel_children(p);
        }
        let now = self.now;
        let ps = &mut self.parents[p];
        if ps.order.transition(status).is_err() {
            return;
        }
        ps.order.done_at = Some(now);
        let reason = if complete { None } else { ps.closing_reason.take() };
        ps.done_reason = reason.clone();
        let (parent, filled, residual, avg_px, inst) =
            (ps.order.id, ps.order.filled, ps.order.leaves(), ps.order.avg_px(), ps.inst);
        self.parent_closed(p);
        self.track_done(p);
        self.trade_subs[inst].retain(|&x| x != p);
        self.quote_subs[inst].retain(|&x| x != p);
        self.emit(EventKind::Done { parent, status, filled, residual, avg_px, reason });
    }
}

/// `t` in the session's zone as HH:MM, with the seconds (and milliseconds)
/// it has: a replayed window ends at 00:00:05 or 00:00:46.355, not "00:00".
fn local_time(s: &crate::market::session::Session, t: Timestamp) -> String {
    let fmt = match t.0.rem_euclid(60_000_000_000) {
        0 => "%H:%M",
        ns if ns % 1_000_000_000 == 0 => "%H:%M:%S",
        _ => "%H:%M:%S%.3f",
    };
    t.in_tz(s.tz).format(fmt).to_string()
}
