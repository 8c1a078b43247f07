//! The pre-trade estimate of an order: the facts the impact models need,
//! read from the instrument, its market now, the venues and the session's
//! own passive fills, then `impact::estimate`.

use super::{Engine, OrderRequest, Reject};
use crate::impact::{self, Coefficients, Estimate, OrderContext};
use crate::model::{Duration, Name};

impl Engine {
    /// Validates `req` and estimates its cost with every model.
    pub fn estimate(&self, req: &OrderRequest, k: &Coefficients) -> Result<Estimate, Reject> {
        // The same validation as a submit; the plan itself is not needed here.
        self.preview(req)?;
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
        let spread = nbbo.spread().unwrap_or(price * inst.spread_bps / 1e4);
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
        let aggressive_fraction = if req.params.get("urgency").is_some_and(|u| u == "aggressive") {
            1.0
        } else {
            // What passive posting is not expected to fill crosses later.
            let p_fill: f64 =
                (0..m.venues.len()).map(|s| m.venues[s].share / wsum * self.router.passive_fill_prob(m, i, s)).sum();
            1.0 - p_fill
        };
        let horizon = Duration((k.adverse_horizon_s * 1e9) as i64);
        let fills = self.parents.iter().filter(|p| p.inst == i).flat_map(|p| p.fills.iter());
        let history = impact::venue_markouts(fills, &m.mids, horizon);
        let (markout_bps, markout_samples) = impact::expected_markout(&history, &shares, k.adverse_prior_bps);
        let ctx = OrderContext {
            qty: req.qty.to_f64(),
            price,
            sigma: inst.daily_vol,
            adv: inst.adv.to_f64(),
            window_volume: m.expected_volume(start, end),
            spread,
            aggressive_fraction,
            latency_ms,
            vol_per_ms: inst.daily_vol * price / session_ms.sqrt(),
            markout_bps,
            markout_samples,
        };
        Ok(impact::estimate(&ctx, k))
    }
}
