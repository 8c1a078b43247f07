//! Analytics of the engine's orders: the pre-trade estimate (the facts the
//! impact models need, read from the instrument, its market now, the venues
//! and the session's own passive fills, then `impact::estimate`) and the full
//! post-trade report of a parent.

use super::{Actor, Engine, OrderRequest, Reject};
use crate::impact::{self, Coefficients, Estimate, OrderContext};
use crate::market;
use crate::model::{Duration, Name, ParentId, Timestamp};
use crate::tca::TcaReport;

impl Engine {
    /// Validates `req` and estimates its cost with every model.
    pub fn estimate(&self, req: &OrderRequest, k: &Coefficients) -> Result<Estimate, Reject> {
        // The same validation as a submit, and the algorithm's schedule.
        let algo = self.preview_algo(req)?;
        let plan = algo.plan();
        let u = self
            .universe
            .instrument_index(&req.symbol)
            .ok_or_else(|| Reject::new(super::RejectCode::UnknownSymbol, "unknown symbol"))?;
        let Some(i) = self.active[u] else {
            return Err(Reject::new(super::RejectCode::MarketClosed, format!("{} has no market today", req.symbol)));
        };
        let m = &self.markets[i];
        let inst = &m.inst;
        let nbbo = m.nbbo();
        let price = nbbo.mid().unwrap_or_else(|| m.mid(self.now));
        let start = req.start.unwrap_or(self.now).max(self.now).max(m.session.open);
        let end = req.end.unwrap_or(m.session.close);
        let session_ms = ((m.session.close.0 - m.session.open.0).max(1) as f64) / 1e6;
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
        let window_volume = m.expected_volume(start, end);
        let participation = if window_volume > 0.0 { req.qty.to_f64() / window_volume } else { 1.0 };
        // POV crosses by default, the schedule followers post first: the algorithm says.
        let crosses = algo.crosses();
        let aggressive_fraction = k.aggressive_fraction(crosses, participation);
        let horizon = Duration((k.adverse_horizon_s * 1e9) as i64);
        let fills = self.parents.iter().filter(|p| p.inst == i).flat_map(|p| p.fills.iter());
        let history = impact::venue_markouts(fills, &m.mids, horizon);
        let (markout_bps, markout_samples) = impact::expected_markout(&history, &shares, k.adverse_prior_bps);
        // Each slice trades until the next one starts (the last until the end).
        let windows: Vec<(Timestamp, Timestamp, f64)> = plan
            .iter()
            .enumerate()
            .map(|(k, s)| (s.at, plan.get(k + 1).map_or(end, |n| n.at).max(s.at), s.qty.to_f64()))
            .collect();
        let slices: Vec<(f64, f64)> = windows.iter().map(|&(a, b, q)| (q, m.expected_volume(a, b))).collect();
        // The spread expected while the schedule trades: the instrument's
        // typical spread times the intraday multiplier, weighted by slice.
        let planned: f64 = windows.iter().map(|w| w.2).sum();
        let spread_mult = if planned > 0.0 {
            windows.iter().map(|&(a, b, q)| q * m.spread_multiplier(Timestamp((a.0 + b.0) / 2))).sum::<f64>() / planned
        } else {
            m.spread_multiplier(start)
        };
        let spread = price * inst.spread_bps / 1e4 * spread_mult;
        let sign = req.side.sign() as f64;
        let signed: Vec<(Timestamp, Timestamp, f64)> = windows.iter().map(|&(a, b, q)| (a, b, sign * q)).collect();
        let model = m.impact_model();
        let propagator_cost = market::impact::schedule_cost(model.coeffs(), model.scale(), &signed, 8);
        let ctx = OrderContext {
            qty: req.qty.to_f64(),
            price,
            sigma: inst.daily_vol,
            adv: inst.adv.to_f64(),
            window_volume,
            slices,
            spread,
            aggressive_fraction,
            crosses,
            latency_ms,
            vol_per_ms: inst.daily_vol * price / session_ms.sqrt(),
            markout_bps,
            markout_samples,
            propagator_cost,
            impact_y: model.coeffs().y,
            impact_half_life_s: model.coeffs().half_life_s,
        };
        let mut est = impact::estimate(&ctx, k);
        // Bonds are priced per 100 face: amounts in currency are price x qty / 100 (bps do not change).
        let per = inst.quote_per.max(1) as f64;
        if per > 1.0 {
            for m in &mut est.models {
                m.cost /= per;
            }
            est.total_cost /= per;
        }
        Ok(est)
    }

    /// The full post-trade report of one order (live while it works), if `actor` may see it.
    pub fn order_tca_report(&self, actor: &Actor, id: ParentId) -> Option<TcaReport> {
        let p = self.parents.get(self.parent_index(id)?)?;
        if !self.visible(actor, &p.order) {
            return None;
        }
        let m = &self.markets[p.inst];
        let mut report = crate::tca::for_parent(&p.order, &p.fills, &m.tape, &m.mids, m.inst.quote_per, self.now);
        report.vwap_tracking = crate::tca::tracking::for_parent(&p.order, &p.fills, m);
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{engine, twap};
    use super::*;
    use crate::engine::Command;
    use crate::impact::Coefficients;
    use crate::model::{Role, Side};

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
