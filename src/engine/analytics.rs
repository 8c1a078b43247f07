//! Analytics of the engine's orders: the pre-trade estimate (the facts the
//! impact models need, read from the instrument, its market now, the venues
//! and the session's own passive fills, then `impact::estimate`) and the full
//! post-trade report of a parent.

use super::{Actor, Engine, OrderRequest, Reject};
use crate::algo::PlannedSlice;
use crate::impact::{self, Coefficients, Estimate, OrderContext, Schedule, schedule};
use crate::market;
use crate::model::{Duration, Name, ParentId, Timestamp};
use crate::tca::TcaReport;

impl Engine {
    /// Validates `req` and estimates its cost with every model.
    pub fn estimate(&self, req: &OrderRequest, k: &Coefficients) -> Result<Estimate, Reject> {
        // The same validation as a submit, and the algorithm's schedule.
        let algo = self.preview_algo(req)?;
        let u = self
            .universe
            .instrument_index(&req.symbol)
            .ok_or_else(|| Reject::new(super::RejectCode::UnknownSymbol, "unknown symbol"))?;
        let Some(i) = self.active[u] else {
            return Err(Reject::new(super::RejectCode::MarketClosed, format!("{} has no market today", req.symbol)));
        };
        let m = &self.markets[i];
        let start = req.start.unwrap_or(self.now).max(self.now).max(m.session.open);
        let end = req.end.unwrap_or(m.session.close);
        Ok(self.estimate_schedule(i, req, (start, end), &algo.plan(), algo.crosses(), k))
    }

    /// The estimate of `req` on market `i` over its window `[start, end]` with the
    /// algorithm's `plan` (what `estimate` previews and `submit` records).
    pub(super) fn estimate_schedule(
        &self,
        i: usize,
        req: &OrderRequest,
        (start, end): (Timestamp, Timestamp),
        plan: &[PlannedSlice],
        crosses: bool,
        k: &Coefficients,
    ) -> Estimate {
        let m = &self.markets[i];
        let inst = &m.inst;
        let nbbo = m.nbbo();
        let price = nbbo.mid().unwrap_or_else(|| m.mid(self.now));
        let shares: Vec<(Name, f64)> =
            m.venues.iter().map(|v| (self.universe.venue(v.venue).name.clone(), v.share)).collect();
        let wsum: f64 = shares.iter().map(|s| s.1).sum::<f64>().max(1e-12);
        let latency_ms = m
            .venues
            .iter()
            .map(|v| {
                let venue = self.universe.venue(v.venue);
                v.share / wsum * (venue.latency_us + venue.speed_bump_us) / 1e3
            })
            .sum();
        let horizon = Duration((k.adverse_horizon_s * 1e9) as i64);
        // The session's most recent fills only: the estimate runs at every
        // submission, and the whole history would make each one cost as much
        // as every fill so far.
        let fills =
            self.parents.iter().rev().filter(|p| p.inst == i).flat_map(|p| p.fills.iter().rev()).take(MARKOUT_FILLS);
        let history = impact::venue_markouts(fills, &m.mids, horizon);
        let (markout_bps, markout_samples) = impact::expected_markout(&history, &shares, k.adverse_prior_bps);
        let plan: Vec<(Timestamp, f64)> = plan.iter().map(|s| (s.at, s.qty.to_f64())).collect();
        let sched = Schedule::new(&plan, (start, end), req.qty.to_f64(), |a, b| m.expected_volume(a, b));
        // POV crosses by default, the schedule followers post first: the algorithm says.
        let aggressive_fraction = k.aggressive_fraction(crosses, sched.participation);
        // The spread expected while the schedule trades: the instrument's
        // typical spread times the intraday multiplier, weighted by slice.
        let spread_mult = if sched.planned > 0.0 {
            sched.windows.iter().map(|&(a, b, q)| q * m.spread_multiplier(Timestamp((a.0 + b.0) / 2))).sum::<f64>()
                / sched.planned
        } else {
            m.spread_multiplier(start)
        };
        let spread = price * inst.spread_bps / 1e4 * spread_mult;
        // An algorithm without a plan (iceberg, sniper) still trades: evenly over its window.
        let signed = schedule::signed(&sched.traded(), req.side.sign() as f64);
        let model = m.impact_model();
        let propagator_cost = market::impact::schedule_cost(model.coeffs(), model.scale(), &signed, 8);
        let session_ns = (m.session.close.0 - m.session.open.0).max(1) as f64;
        let timing_variance = sched.timing_variance(|t| m.variance_multiplier(t), session_ns);
        let ctx = OrderContext {
            qty: sched.qty,
            price,
            sigma: inst.daily_vol,
            adv: inst.adv.to_f64(),
            window_volume: sched.window_volume,
            slices: sched.slices,
            spread,
            aggressive_fraction,
            crosses,
            latency_ms,
            vol_per_ms: schedule::vol_per_ms(inst.daily_vol, price, session_ns),
            markout_bps,
            markout_samples,
            propagator_cost,
            impact_y: model.coeffs().y,
            impact_half_life_s: model.coeffs().half_life_s,
            timing_variance,
        };
        let mut est = impact::estimate(&ctx, k);
        schedule::per_quote_unit(&mut est, inst.quote_per);
        est
    }

    /// The full post-trade report of one order (live while it works), if `actor` may see it.
    pub fn order_tca_report(&self, actor: &Actor, id: ParentId) -> Option<TcaReport> {
        let p = self.parents.get(self.parent_index(id)?)?;
        if !self.visible(actor, &p.order) {
            return None;
        }
        self.tca_report(id)
    }

    /// The full post-trade report of one order, with its pre-trade estimate
    /// beside the realised cost (for the engine's own tools: no visibility check).
    pub fn tca_report(&self, id: ParentId) -> Option<TcaReport> {
        Some(self.report_of(self.parent_index(id)?))
    }
}

/// Fills (the most recent) the adverse-selection history of an estimate reads.
const MARKOUT_FILLS: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::super::tests::{engine, twap};
    use super::*;
    use crate::engine::Command;
    use crate::impact::Coefficients;
    use crate::model::{Qty, Role, Side};

    #[test]
    fn adverse_selection_learns_from_the_sessions_passive_fills() {
        let mut e = engine(3, &["AAPL"]);
        let req = twap("AAPL", Side::Buy, 20_000, "10:00", "10:30");
        // With no prior, nothing is assumed before the session's own fills.
        let no_prior = Coefficients { adverse_prior_bps: 0.0, ..Coefficients::default() };
        let before = e.estimate(&req, &no_prior).unwrap();
        assert_eq!(before.context.markout_samples, 0, "nothing traded yet");
        let adverse =
            |est: &crate::impact::Estimate| est.models.iter().find(|m| m.model == "adverse_selection").unwrap().cost;
        assert_eq!(adverse(&before), 0.0);
        // The default prior, 0.5 bps on the passive part: 0.5 / 1e4 x price x qty x (1 - crossing share).
        let with_prior = e.estimate(&req, &Coefficients::default()).unwrap();
        let c = &with_prior.context;
        let by_hand = 0.5 / 1e4 * c.price * c.qty * (1.0 - c.aggressive_fraction);
        assert!((adverse(&with_prior) - by_hand).abs() < 1e-9 * by_hand, "{} vs {by_hand}", adverse(&with_prior));
        let actor = Actor::local(Role::Advisor);
        let id = e.apply(&actor, Command::Submit(req.clone())).unwrap().unwrap();
        e.run_until_idle();
        e.run_until(e.now() + crate::model::Duration::secs(10));
        let passive = e.fills(id).iter().filter(|f| f.liquidity == crate::model::Liquidity::Maker).count();
        assert!(passive > 0);
        let next = twap("AAPL", Side::Buy, 20_000, "11:00", "11:30");
        let after = e.estimate(&next, &no_prior).unwrap();
        assert!(after.context.markout_samples > 0, "learned from {passive} passive fills");
        assert_ne!(adverse(&after), 0.0);
        // linear, sqrt, propagator, spread, latency, adverse_selection.
        assert_eq!(after.models.len(), 6);
    }

    /// The estimate is taken at submission with the default coefficients and
    /// recorded in the `accepted` event: it is what `estimate` returns for the
    /// same request at that instant, and an amend keeps it.
    #[test]
    fn the_estimate_is_fixed_at_submission_and_recorded_with_the_order() {
        let mut e = engine(6, &["AAPL"]);
        e.run_until(crate::engine::tests::at("09:45"));
        let req = twap("AAPL", Side::Buy, 40_000, "09:45", "10:15");
        let want = e.estimate(&req, &Coefficients::default()).unwrap().record(e.now(), req.qty);
        let actor = Actor::local(Role::Advisor);
        e.drain_events();
        let id = e.apply(&actor, Command::Submit(req.clone())).unwrap().unwrap();
        assert_eq!(e.pre_trade_estimate(id), Some(&want));
        let accepted = e.drain_events().into_iter().find_map(|ev| match ev.kind {
            crate::engine::EventKind::Accepted { estimate, .. } => estimate,
            _ => None,
        });
        assert_eq!(accepted.as_deref(), Some(&want), "recorded with the acceptance");
        // spread + impact = total; the impact is the propagator model's.
        assert!((want.spread_bps + want.impact_bps - want.total_bps).abs() < 1e-9);
        assert!(want.impact_bps > 0.0 && want.timing_risk_bps > 0.0);
        e.run_until(crate::engine::tests::at("09:50"));
        let change = crate::engine::Amendment { qty: Some(Qty::from_int(60_000)), ..Default::default() };
        e.apply(&actor, Command::Amend { id, change }).unwrap();
        assert_eq!(e.pre_trade_estimate(id), Some(&want), "an amend keeps the estimate made at submission");
        e.run_until_idle();
        let r = e.tca_report(id).unwrap();
        let pt = r.pre_trade.unwrap();
        let real = pt.realised.unwrap();
        // The realised split is the compare module's exact split against the market without us.
        let split = crate::compare::cost_split(&e, id).unwrap();
        assert!((real.spread_bps - split.spread_bps).abs() < 1e-9 && (real.timing_bps - split.timing_bps).abs() < 1e-9);
        assert!((real.impact_bps.unwrap() - split.impact_bps).abs() < 1e-9);
        let arrival = r.arrival_slippage_bps.unwrap();
        assert!((real.total_bps - arrival).abs() < 1e-6, "{} vs {arrival}", real.total_bps);
        assert_eq!(real.filled, e.parent(id).unwrap().filled);
    }

    #[test]
    fn a_bond_estimate_is_in_currency_per_100_face() {
        // 50m face of UST10Y near 98.50 per 100 is about $49m of notional: the
        // spread cost is half the quoted spread times the crossing quantity, per 100.
        let e = engine(5, &["UST10Y"]);
        let req = twap("UST10Y", Side::Buy, 50_000_000, "10:00", "11:00");
        let est = e.estimate(&req, &Coefficients::default()).unwrap();
        let c = &est.context;
        let spread = est.models.iter().find(|m| m.model == "spread").unwrap();
        let crossing = c.qty * c.aggressive_fraction;
        let by_hand = 0.5 * c.spread * crossing / 100.0;
        assert!((spread.cost - by_hand).abs() <= 1e-6 * by_hand.abs().max(1.0), "{} vs {by_hand}", spread.cost);
        let notional = c.qty * c.price / 100.0;
        assert!((est.total_cost - est.total_bps / 1e4 * notional).abs() <= 1e-6 * notional, "bps of $49m");
    }

    #[test]
    fn the_full_report_is_visible_to_its_owner_only() {
        let mut e = engine(4, &["AAPL"]);
        let owner = Actor::local(Role::Advisor);
        let id = e.apply(&owner, Command::Submit(twap("AAPL", Side::Sell, 5_000, "10:00", "10:10"))).unwrap().unwrap();
        e.run_until_idle();
        let r = e.order_tca_report(&owner, id).unwrap();
        assert_eq!(r.filled_qty, e.parent(id).unwrap().filled);
        let sf = r.implementation_shortfall.unwrap();
        assert_eq!(sf.total, sf.delay + sf.trading + sf.opportunity + sf.fees);
        let stranger = Actor { user: "other".into(), tenant: "elsewhere".into(), role: Role::Advisor };
        assert!(e.order_tca_report(&stranger, id).is_none());
    }
}
