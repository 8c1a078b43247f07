//! The command layer: validation, permissions and state changes for submit,
//! amend, cancel, pause, resume and kill-all. A refused command changes
//! nothing and leaves a `Rejected` event naming the field and the reason.

use super::risk::{Change, Proposal};
use super::{Actor, Amendment, Command, Engine, EventKind, Job, OrderRequest, ParentSlot, Reject, RejectCode};
use crate::algo::{self, AlgoSpec, ExecAlgo, PlannedSlice, params::cancel_on_pause};
use crate::market::Session;
use crate::market::rng::{Stream, stream};
use crate::model::{AlgoKind, Owner, ParentId, ParentOrder, ParentStatus, Qty, Tif, Timestamp};
use std::collections::VecDeque;

/// A validated order, ready to accept.
struct Checked {
    inst: usize,
    start: Timestamp,
    end: Timestamp,
}

impl Engine {
    /// Applies a command now. Returns the parent concerned (new for a submit).
    pub fn apply(&mut self, actor: &Actor, cmd: Command) -> Result<Option<ParentId>, Reject> {
        let parent = match &cmd {
            Command::Amend { id, .. } | Command::Cancel { id } | Command::Pause { id } | Command::Resume { id } => {
                Some(*id)
            }
            _ => None,
        };
        let result = match cmd {
            Command::Submit(req) => self.submit(actor, req).map(Some),
            Command::Amend { id, change } => self.amend(actor, id, change).map(|_| Some(id)),
            Command::Cancel { id } => self.cancel(actor, id).map(|_| Some(id)),
            Command::Pause { id } => self.pause(actor, id).map(|_| Some(id)),
            Command::Resume { id } => self.resume(actor, id).map(|_| Some(id)),
            Command::KillAll => self.kill(actor, None).map(|_| None),
            Command::KillTenant { tenant } => self.kill(actor, Some(&tenant)).map(|_| None),
            Command::SetTradingState { tenant, state } => {
                self.set_trading_state(actor, tenant.as_deref(), state).map(|_| None)
            }
            Command::SetExecution { tenant, enabled } => self.set_execution(actor, &tenant, enabled).map(|_| None),
            Command::SetDeskLimits { limits } => self.set_desk_limits(actor, limits).map(|_| None),
            Command::SetLimits { tenant, user, limits } => {
                self.set_limits(actor, &tenant, user.as_deref(), limits).map(|_| None)
            }
        };
        if let Err(r) = &result {
            self.emit(EventKind::Rejected {
                actor: actor.clone(),
                parent,
                code: r.code,
                field: r.field.clone(),
                message: r.message.clone(),
            });
        }
        result
    }

    /// Queues a command to be applied at simulated time `at` (scripts, replays).
    pub fn schedule(&mut self, at: Timestamp, actor: Actor, cmd: Command) {
        self.pending_commands += 1;
        self.push(at.max(self.now), Job::Command(Box::new((actor, cmd))));
    }

    /// Validates an order and returns the algorithm's planned schedule without accepting it.
    pub fn preview(&self, req: &OrderRequest) -> Result<Vec<PlannedSlice>, Reject> {
        Ok(self.preview_algo(req)?.plan())
    }

    /// Validates an order and builds its algorithm without accepting it (for
    /// previews that want more than the plan).
    pub fn preview_algo(&self, req: &OrderRequest) -> Result<Box<dyn ExecAlgo>, Reject> {
        let c = self.check(req)?;
        let mut rng = stream(self.seed, Stream::Algo, self.parents.len() as u64 + 1);
        algo::build(req.algo, &self.spec(req, &c), &req.params, &mut rng).map_err(param_reject)
    }

    fn spec<'a>(&'a self, req: &OrderRequest, c: &Checked) -> AlgoSpec<'a> {
        let m = &self.markets[c.inst];
        AlgoSpec {
            side: req.side,
            qty: req.qty,
            limit: req.limit_px,
            start: c.start,
            end: c.end,
            inst: &m.inst,
            session: &m.session,
            curve: &m.curve,
            fee_per_unit: algo::is::taker_fee_per_unit(&self.universe, m.uidx),
        }
    }

    fn check(&self, req: &OrderRequest) -> Result<Checked, Reject> {
        let u = self.universe.instrument_index(&req.symbol).ok_or_else(|| {
            Reject::field(RejectCode::UnknownSymbol, "symbol", self.universe.unknown_symbol(&req.symbol))
        })?;
        let Some(inst) = self.active[u] else {
            return Err(match self.closed.iter().find(|(x, _)| *x == u) {
                Some((_, c)) => {
                    Reject::field(RejectCode::MarketClosed, "symbol", format!("{}: {c}", req.symbol.trim()))
                }
                None => Reject::field(
                    RejectCode::UnknownSymbol,
                    "symbol",
                    format!("{} is not simulated in this session", req.symbol.trim()),
                ),
            });
        };
        let m = &self.markets[inst];
        let i = &m.inst;
        if !req.qty.is_positive() {
            return Err(Reject::field(RejectCode::InvalidQty, "qty", format!("{} must be positive", req.qty)));
        }
        if !req.qty.is_multiple_of(i.lot_size) {
            return Err(Reject::field(
                RejectCode::InvalidQty,
                "qty",
                format!("{} is not a multiple of the lot size {} of {}", req.qty, i.lot_size, i.symbol),
            ));
        }
        for (field, px) in [("limit_px", req.limit_px), ("decision_px", req.decision_px)] {
            if let Some(p) = px {
                if !p.is_positive() {
                    return Err(Reject::field(RejectCode::InvalidPrice, field, format!("{p} must be positive")));
                }
                if field == "limit_px" && !p.is_on_tick(i.tick_size) {
                    return Err(Reject::field(
                        RejectCode::InvalidPrice,
                        field,
                        format!("{p} is not a multiple of the tick size {} of {}", i.tick_size, i.symbol),
                    ));
                }
            }
        }
        if matches!(req.algo, AlgoKind::Iceberg | AlgoKind::Sniper) && req.limit_px.is_none() {
            return Err(Reject::field(
                RejectCode::InvalidPrice,
                "limit_px",
                format!("{} needs a limit price", req.algo),
            ));
        }
        self.within_bounds(inst, req.side, req.qty, req.limit_px)?;
        if let Some(d) = req.decision_px {
            self.decision_in_band(inst, d)?;
        }
        let s = &m.session;
        // In the exchange's zone, labelled: a desk in another zone must not read them as its own.
        let hhmm = |t: Timestamp| format!("{} {}", s.local_hhmm(t), t.in_tz(s.tz).format("%Z"));
        let close = match (req.algo, s.auction) {
            (AlgoKind::Moc, Some(a)) => a.uncross.max(s.close),
            _ => s.close,
        };
        // A time a day or more from the session is not this trading day's
        // (a start in the past otherwise means "now"): refused, not guessed.
        const DAY_NS: i64 = 86_400_000_000_000;
        for (field, t) in [("start", req.start), ("end", req.end)] {
            if let Some(t) = t
                && (t.0 < s.open.0.saturating_sub(DAY_NS) || t.0 > close.0.saturating_add(DAY_NS))
            {
                return Err(Reject::field(
                    RejectCode::InvalidWindow,
                    field,
                    format!(
                        "{t} is not on this trading day; allowed: a time (UTC nanoseconds) in {}'s session {}",
                        i.symbol,
                        s.describe()
                    ),
                ));
            }
        }
        // Past the close nothing trades today, whatever the window: said as
        // the market being closed, with the next open (this engine simulates
        // one trading day, so nothing waits for it), not as a window ending
        // before a start that defaulted to now.
        if self.now >= close {
            let next = crate::market::session::next_session(i.calendar, &i.listing, s.date, self.now).map_or_else(
                String::new,
                |n| {
                    let when = format!("{} {}", n.open.in_tz(s.tz).format("%a %d %b"), hhmm(n.open));
                    if n.open <= self.now {
                        format!("; its next day began {when}, after the simulated one")
                    } else {
                        format!("; next open {when}")
                    }
                },
            );
            return Err(Reject::field(
                RejectCode::MarketClosed,
                "symbol",
                format!("{}: market closed at {} ({}){next}", i.symbol, hhmm(close), s.describe()),
            ));
        }
        let start = req.start.unwrap_or(self.now);
        let end = req.end.unwrap_or(close);
        if end <= start {
            return Err(Reject::field(
                RejectCode::InvalidWindow,
                "end",
                format!("end {} is not after start {}", hhmm(end), hhmm(start)),
            ));
        }
        if end <= s.open || start >= close {
            return Err(Reject::field(
                RejectCode::InvalidWindow,
                "start",
                format!(
                    "window {}-{} is outside the session: {} trades {}",
                    hhmm(start),
                    hhmm(end),
                    i.symbol,
                    s.describe()
                ),
            ));
        }
        if end > close {
            return Err(Reject::field(
                RejectCode::InvalidWindow,
                "end",
                format!("end {} is after the close {} ({})", hhmm(end), hhmm(close), s.describe()),
            ));
        }
        if end <= self.now {
            return Err(Reject::field(
                RejectCode::InvalidWindow,
                "end",
                format!("end {} is in the past (now {})", hhmm(end), hhmm(self.now)),
            ));
        }
        // Before the open the order waits for it; a start in the past means now.
        let start = start.max(self.now).max(s.open);
        if req.algo == AlgoKind::Moc {
            moc_window(s, &i.symbol, start, end)?;
        }
        cancel_on_pause(&req.params).map_err(param_reject)?;
        Ok(Checked { inst, start, end })
    }

    fn submit(&mut self, actor: &Actor, req: OrderRequest) -> Result<ParentId, Reject> {
        if !actor.role.can_execute() {
            return Err(Reject::new(RejectCode::Forbidden, format!("role {} may not submit orders", actor.role)));
        }
        let c = self.check(&req)?;
        let proposal = Proposal {
            change: Change::Submit,
            id: None,
            tenant: &actor.tenant,
            user: &actor.user,
            inst: c.inst,
            side: req.side,
            qty: req.qty,
            leaves: req.qty,
            limit_px: req.limit_px,
            before: None,
            counted: false,
            acknowledge: req.acknowledge_warnings,
        };
        let acknowledged = self.pre_trade(&proposal)?;
        let id = ParentId::new(self.number, self.parents.len() as u64 + 1);
        // The stream depends on the order's number alone, so an engine
        // replays identically whatever number its ledger gave it.
        let mut rng = stream(self.seed, Stream::Algo, id.n);
        let algo = algo::build(req.algo, &self.spec(&req, &c), &req.params, &mut rng).map_err(param_reject)?;
        // The estimate is fixed now, with the default coefficients (what the
        // ticket showed), and recorded with the order: a restart, a served
        // engine and an embedded one all report the same figures.
        let k = crate::impact::Coefficients::default();
        let pre_trade = self
            .estimate_schedule(c.inst, &req, (c.start, c.end), &algo.plan(), algo.crosses(), &k)
            .record(self.now, req.qty);
        let m = &self.markets[c.inst];
        let order = ParentOrder {
            id,
            owner: Owner { user: actor.user.clone(), tenant: actor.tenant.clone() },
            symbol: m.inst.symbol.clone(),
            side: req.side,
            qty: req.qty,
            limit_px: req.limit_px,
            algo: req.algo,
            params: req.params.clone(),
            start: c.start,
            end: c.end,
            status: ParentStatus::Pending,
            filled: Qty::ZERO,
            notional: Default::default(),
            fees: Default::default(),
            arrival_px: None,
            decision_px: req.decision_px,
            created_at: self.now,
            done_at: None,
            children: 0,
        };
        let (wants_trades, wants_quotes) = (algo.wants_trades(), algo.wants_quotes());
        let p = self.parents.len();
        self.parents.push(ParentSlot {
            order: order.clone(),
            algo,
            inst: c.inst,
            rng,
            open: Vec::new(),
            done: VecDeque::new(),
            live: 0,
            working: Qty::ZERO,
            epoch: 0,
            started: false,
            cancel_on_pause: cancel_on_pause(&req.params).unwrap_or(true),
            closing: None,
            closing_reason: None,
            done_reason: None,
            decisions: VecDeque::new(),
            fills: Vec::new(),
            stats: Default::default(),
            pre_trade: Some(Box::new(pre_trade.clone())),
        });
        if wants_trades {
            self.trade_subs[c.inst].push(p);
        }
        if wants_quotes {
            self.quote_subs[c.inst].push(p);
        }
        self.parent_opened(p);
        self.track_parent(p);
        self.risk_use(&proposal);
        self.emit(EventKind::Accepted { order: Box::new(order), estimate: Some(Box::new(pre_trade)) });
        if !acknowledged.is_empty() {
            self.emit(EventKind::RiskWarning { parent: id, actor: actor.clone(), findings: acknowledged });
        }
        self.push(c.start, Job::Start(p));
        self.push(c.end, Job::End(p));
        Ok(id)
    }

    /// The parent index if the actor may see and act on it.
    fn owned(&self, actor: &Actor, id: ParentId) -> Result<usize, Reject> {
        if !actor.role.can_execute() {
            return Err(Reject::new(RejectCode::Forbidden, format!("role {} may not act on orders", actor.role)));
        }
        let p = self
            .parent_index(id)
            .ok_or_else(|| Reject::field(RejectCode::UnknownOrder, "id", format!("no order {id}")))?;
        if !super::view::owns(actor, &self.parents[p].order.owner) {
            // Advisors do not learn that other desks' orders exist.
            return Err(Reject::field(RejectCode::UnknownOrder, "id", format!("no order {id}")));
        }
        Ok(p)
    }

    fn live(&self, actor: &Actor, id: ParentId, verb: &str) -> Result<usize, Reject> {
        let p = self.owned(actor, id)?;
        let o = &self.parents[p].order;
        if o.status.is_terminal() {
            return Err(Reject::new(
                RejectCode::StateConflict,
                format!("{id} is {}; a finished order cannot be {verb}", o.status),
            ));
        }
        if let Some(s) = self.parents[p].closing {
            let what = if s == ParentStatus::Cancelled { "being cancelled" } else { "expiring" };
            return Err(Reject::new(RejectCode::StateConflict, format!("{id} is {what}; it cannot be {verb}")));
        }
        Ok(p)
    }

    fn amend(&mut self, actor: &Actor, id: ParentId, change: Amendment) -> Result<(), Reject> {
        let Amendment { qty, limit_px: limit, acknowledge_warnings } = change;
        let p = self.live(actor, id, "amended")?;
        let inst = self.parents[p].inst;
        let (lot, tick) = (self.markets[inst].inst.lot_size, self.markets[inst].inst.tick_size);
        let o = &self.parents[p].order;
        if qty.is_none() && limit.is_none() {
            return Err(Reject::new(RejectCode::InvalidQty, "nothing to amend: give qty and/or limit_px"));
        }
        if let Some(q) = qty {
            if !q.is_positive() || !q.is_multiple_of(lot) {
                return Err(Reject::field(
                    RejectCode::InvalidQty,
                    "qty",
                    format!("{q} must be positive and a multiple of the lot size {lot}"),
                ));
            }
            if q < o.filled {
                return Err(Reject::field(
                    RejectCode::InvalidQty,
                    "qty",
                    format!("{q} is below the {} already filled", o.filled),
                ));
            }
        }
        if let Some(Some(px)) = limit
            && (!px.is_positive() || !px.is_on_tick(tick))
        {
            return Err(Reject::field(
                RejectCode::InvalidPrice,
                "limit_px",
                format!("{px} must be positive and a multiple of the tick size {tick}"),
            ));
        }
        let sess = &self.markets[inst].session;
        if let (Some(a), Some(q)) = (sess.auction, qty)
            && o.algo == AlgoKind::Moc
            && self.now > a.cutoff
            && q < o.filled + self.parents[p].working
        {
            // The venue refuses cancels after the cutoff: a cut would overfill.
            return Err(Reject::field(
                RejectCode::StateConflict,
                "qty",
                format!(
                    "closing-auction orders cannot be reduced after the {} cutoff ({} is in the auction)",
                    sess.local_hhmm(a.cutoff),
                    self.parents[p].working
                ),
            ));
        }
        if matches!(o.algo, AlgoKind::Iceberg | AlgoKind::Sniper) && limit == Some(None) {
            return Err(Reject::field(RejectCode::InvalidPrice, "limit_px", format!("{} needs a limit price", o.algo)));
        }
        let new_qty = qty.unwrap_or(o.qty);
        let new_limit = limit.unwrap_or(o.limit_px);
        // Only a pure reduction skips the gate: more quantity or another
        // limit (moved, or removed) is checked against every control.
        let proposal = (new_qty > o.qty || new_limit != o.limit_px)
            .then(|| (o.owner.clone(), o.side, new_qty.saturating_sub(o.filled), (o.qty, o.limit_px)));
        let mut acknowledged = Vec::new();
        if let Some((owner, side, leaves, before)) = &proposal {
            self.within_bounds(inst, *side, new_qty, new_limit)?;
            let gate = Proposal {
                change: Change::Amend,
                id: Some(id),
                tenant: &owner.tenant,
                user: &owner.user,
                inst,
                side: *side,
                qty: new_qty,
                leaves: *leaves,
                limit_px: new_limit,
                before: Some(*before),
                counted: true,
                acknowledge: acknowledge_warnings,
            };
            acknowledged = self.pre_trade(&gate)?;
            self.risk_use(&gate);
        }
        let ps = &mut self.parents[p];
        ps.order.qty = new_qty;
        ps.order.limit_px = new_limit;
        let (qty, limit_px) = (ps.order.qty, ps.order.limit_px);
        self.emit(EventKind::Amended { parent: id, qty, limit_px });
        if !acknowledged.is_empty() {
            self.emit(EventKind::RiskWarning { parent: id, actor: actor.clone(), findings: acknowledged });
        }
        self.fit_children(p);
        if self.parents[p].order.leaves().is_zero() {
            self.maybe_finish(p);
        } else if self.parents[p].started {
            self.with_algo(p, |a, ctx| a.on_amend(ctx));
        }
        Ok(())
    }

    /// After a parent amend: shrink working children (newest first) so that
    /// filled plus working fits the new quantity, and move children priced
    /// through the new limit onto it. Reductions keep queue priority.
    fn fit_children(&mut self, p: usize) {
        let (qty, filled, limit, side) = {
            let o = &self.parents[p].order;
            (o.qty, o.filled, o.limit_px, o.side)
        };
        let mut excess = (filled + self.parents[p].working).saturating_sub(qty);
        for c in self.parents[p].open.clone().into_iter().rev() {
            let Some(ch) = self.children.get(c) else { continue };
            if ch.order.status.is_terminal() || ch.cancel_sent {
                continue;
            }
            let leaves = ch.order.qty - ch.order.filled;
            let through = matches!((limit, ch.order.px), (Some(l), Some(px)) if side.better(l, px));
            let cut = excess.min(leaves);
            excess -= cut;
            if cut.is_zero() && !through {
                continue;
            }
            if ch.order.tif != Tif::Day {
                // IOC and auction orders cannot be amended: cancel them (IOCs close on their own).
                self.cancel_one(c);
                continue;
            }
            let new_px = if through { limit } else { None };
            self.amend_child(c, ch.order.qty - cut, new_px);
        }
    }

    fn cancel(&mut self, actor: &Actor, id: ParentId) -> Result<(), Reject> {
        let p = self.live(actor, id, "cancelled")?;
        self.parents[p].closing = Some(ParentStatus::Cancelled);
        self.emit(EventKind::CancelRequested { parent: id });
        self.cancel_children(p);
        self.maybe_finish(p);
        Ok(())
    }

    fn pause(&mut self, actor: &Actor, id: ParentId) -> Result<(), Reject> {
        let p = self.live(actor, id, "paused")?;
        if self.parents[p].order.status == ParentStatus::Paused {
            return Ok(());
        }
        self.pause_index(p);
        Ok(())
    }

    pub(super) fn pause_index(&mut self, p: usize) {
        let ps = &mut self.parents[p];
        if ps.order.transition(ParentStatus::Paused).is_err() {
            return;
        }
        ps.epoch += 1;
        let (id, cancel) = (ps.order.id, ps.cancel_on_pause);
        self.emit(EventKind::Paused { parent: id });
        if cancel {
            self.cancel_children(p);
        }
    }

    fn resume(&mut self, actor: &Actor, id: ParentId) -> Result<(), Reject> {
        let p = self.live(actor, id, "resumed")?;
        let o = &self.parents[p].order;
        // An interrupted order (rebuilt after a restart) resumes like a paused one.
        if !matches!(o.status, ParentStatus::Paused | ParentStatus::Interrupted) {
            return Err(Reject::new(RejectCode::StateConflict, format!("{id} is {}, not paused", o.status)));
        }
        let owner = o.owner.clone();
        let gate = Proposal {
            change: Change::Resume,
            id: Some(id),
            tenant: &owner.tenant,
            user: &owner.user,
            inst: self.parents[p].inst,
            side: o.side,
            qty: o.qty,
            leaves: o.leaves(),
            limit_px: o.limit_px,
            before: Some((o.qty, o.limit_px)),
            counted: true,
            acknowledge: false,
        };
        self.pre_trade(&gate)?;
        let ps = &mut self.parents[p];
        ps.epoch += 1;
        let started = ps.started;
        let _ = ps.order.resume(started);
        self.emit(EventKind::Resumed { parent: id });
        if started {
            self.with_algo(p, |a, ctx| a.on_resume(ctx));
        }
        Ok(())
    }
}

/// A market-on-close order must reach the auction before its entry cutoff
/// and stay until the uncross.
fn moc_window(s: &Session, symbol: &str, start: Timestamp, end: Timestamp) -> Result<(), Reject> {
    let Some(a) = s.auction else {
        return Err(Reject::field(
            RejectCode::InvalidParam,
            "algo",
            format!("{symbol} has no closing auction; moc needs one"),
        ));
    };
    if start > a.cutoff {
        return Err(Reject::field(
            RejectCode::InvalidWindow,
            "start",
            format!(
                "MOC/LOC entry cutoff {} {} has passed for {symbol} (the order would start at {})",
                s.local_hhmm(a.cutoff),
                s.tz.name(),
                s.local_hhmm(start)
            ),
        ));
    }
    if end < a.uncross {
        return Err(Reject::field(
            RejectCode::InvalidWindow,
            "end",
            format!(
                "a MOC trades in the closing auction at {}; end {} is before it",
                s.local_hhmm(a.uncross),
                s.local_hhmm(end)
            ),
        ));
    }
    Ok(())
}

fn param_reject(e: algo::ParamError) -> Reject {
    let field = match e.param.as_str() {
        "algo" | "limit_px" => e.param.clone(),
        p => format!("params.{p}"),
    };
    Reject { code: RejectCode::InvalidParam, field: Some(field), message: e.message }
}
