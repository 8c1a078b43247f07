//! Implementation shortfall and its decomposition (Perold).
//!
//! With `s` = +1 for a buy and -1 for a sell, decision price `D`, arrival mid
//! `A`, fill notional `N` over filled quantity `q`, order quantity `Q`, the mid
//! `E` when the order ended, and fees `F`:
//!
//! ```text
//! delay       = s * (A*q - D*q)            price drift between decision and arrival
//! trading     = s * (N   - A*q)            impact + timing while working
//! opportunity = s * (E - D) * (Q - q)      the part never filled
//! fees        = F                          (negative = net rebate)
//! total       = s * (N - D*q) + opportunity + fees
//!             = delay + trading + opportunity + fees
//! ```
//!
//! Every product is an exact fixed-point notional, so delay + trading
//! telescopes to `s * (N - D*q)` without rounding error. Each figure is also
//! given in basis points of the paper portfolio `D * Q`.

use crate::model::{Money, Price, Qty, Side};
use serde::{Deserialize, Serialize};

/// What the decomposition needs.
#[derive(Debug, Clone, Copy)]
pub struct ShortfallInput {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity.
    pub order_qty: Qty,
    /// Filled quantity.
    pub filled: Qty,
    /// Sum of price times quantity over the fills.
    pub notional: Money,
    /// Sum of fees (negative = rebate).
    pub fees: Money,
    /// Decision price.
    pub decision: Price,
    /// Arrival mid.
    pub arrival: Price,
    /// Mid when the order ended: values the unfilled quantity.
    pub end_px: Price,
    /// Prices are per this many units of quantity (bonds: 100).
    pub quote_per: i64,
}

/// Implementation shortfall in currency and in bps of the paper portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    /// Decision price times ordered quantity.
    pub paper_notional: Money,
    /// delay + trading + opportunity + fees.
    pub total: Money,
    /// Total in bps of the paper portfolio.
    pub total_bps: f64,
    /// Cost of the move between decision and arrival, on the filled quantity.
    pub delay: Money,
    /// Delay in bps.
    pub delay_bps: f64,
    /// Cost of executing against the arrival mid (impact + timing).
    pub trading: Money,
    /// Trading in bps.
    pub trading_bps: f64,
    /// Cost of not filling: the unfilled quantity valued at the end mid against decision.
    pub opportunity: Money,
    /// Opportunity in bps.
    pub opportunity_bps: f64,
    /// Fees paid (negative = net rebate).
    pub fees: Money,
    /// Fees in bps.
    pub fees_bps: f64,
    /// Quantity never filled.
    pub unfilled: Qty,
    /// The mid that valued the unfilled quantity.
    pub end_px: Price,
}

/// Exact notional honouring `quote_per`, rounded once (saturating: the
/// engine bounds every order's notional far below the money grid's range).
pub(crate) fn notional(px: Price, q: Qty, quote_per: i64) -> Money {
    Money::checked_notional_per(px, q, quote_per.max(1)).unwrap_or(if px.is_negative() != q.is_negative() {
        -Money::MAX
    } else {
        Money::MAX
    })
}

/// Divides a money amount computed per unit of price by `quote_per` (half away from zero).
pub(crate) fn scale(m: Money, quote_per: i64) -> Money {
    if quote_per <= 1 {
        return m;
    }
    let (n, d) = (i128::from(m.raw()), i128::from(quote_per));
    let q = n / d;
    let r = n % d;
    let q = if 2 * r.abs() >= d { q + n.signum() } else { q };
    // |q| <= |n| / 2 since d >= 2: it always fits.
    Money::from_raw(i64::try_from(q).unwrap_or(m.raw()))
}

/// `x` in basis points of `base` (0 when `base` is zero).
pub(crate) fn bps_of(x: Money, base: Money) -> f64 {
    if base.is_zero() { 0.0 } else { x.raw() as f64 / base.raw() as f64 * 1e4 }
}

/// The decomposition of one order's shortfall.
pub fn shortfall(i: &ShortfallInput) -> Shortfall {
    let s = i.side.sign();
    let qp = i.quote_per;
    let n_fill = scale(i.notional, qp);
    let n_arr = notional(i.arrival, i.filled, qp);
    let n_dec = notional(i.decision, i.filled, qp);
    let unfilled = i.order_qty.saturating_sub(i.filled);
    let delay = (n_arr - n_dec).mul_int(s);
    let trading = (n_fill - n_arr).mul_int(s);
    let opportunity = (notional(i.end_px, unfilled, qp) - notional(i.decision, unfilled, qp)).mul_int(s);
    // Fees are charged in currency already (venues apply quote_per).
    let fees = i.fees;
    let total = delay + trading + opportunity + fees;
    let paper = notional(i.decision, i.order_qty, qp);
    Shortfall {
        paper_notional: paper,
        total,
        total_bps: bps_of(total, paper),
        delay,
        delay_bps: bps_of(delay, paper),
        trading,
        trading_bps: bps_of(trading, paper),
        opportunity,
        opportunity_bps: bps_of(opportunity, paper),
        fees,
        fees_bps: bps_of(fees, paper),
        unfilled,
        end_px: i.end_px,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn money(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    /// Worked example, derived by hand.
    ///
    /// Buy 10,000 shares. Decision 50.00, arrival mid 50.05. Fills: 4,000 @ 50.10
    /// and 4,000 @ 50.20, so q = 8,000, N = 200,400 + 200,800 = 401,200.00
    /// (avg 50.15). Fees 8,000 x 0.003 = 24.00. The mid when the order ended is
    /// 50.30, leaving 2,000 unfilled.
    ///
    /// paper       = 50.00 x 10,000                    = 500,000.00
    /// delay       = (50.05 - 50.00) x 8,000            =     400.00  (8.00 bps)
    /// trading     = 401,200 - 50.05 x 8,000 = 401,200 - 400,400 = 800.00 (16.00 bps)
    /// opportunity = (50.30 - 50.00) x 2,000            =     600.00  (12.00 bps)
    /// fees        =                                          24.00  (0.48 bps)
    /// total       = 400 + 800 + 600 + 24               =   1,824.00  (36.48 bps)
    /// check: (50.15 - 50.00) x 8,000 + 600 + 24 = 1,200 + 624 = 1,824.00
    #[test]
    fn worked_example_buy() {
        let sf = shortfall(&ShortfallInput {
            side: Side::Buy,
            order_qty: Qty::from_int(10_000),
            filled: Qty::from_int(8_000),
            notional: money("401200"),
            fees: money("24"),
            decision: px("50"),
            arrival: px("50.05"),
            end_px: px("50.30"),
            quote_per: 1,
        });
        assert_eq!(sf.paper_notional, money("500000"));
        assert_eq!(sf.delay, money("400"));
        assert_eq!(sf.trading, money("800"));
        assert_eq!(sf.opportunity, money("600"));
        assert_eq!(sf.fees, money("24"));
        assert_eq!(sf.total, money("1824"));
        assert_eq!(sf.total, sf.delay + sf.trading + sf.opportunity + sf.fees);
        assert!((sf.total_bps - 36.48).abs() < 1e-9);
        assert!((sf.delay_bps - 8.0).abs() < 1e-9);
        assert!((sf.trading_bps - 16.0).abs() < 1e-9);
        assert!((sf.opportunity_bps - 12.0).abs() < 1e-9);
        assert!((sf.fees_bps - 0.48).abs() < 1e-9);
        assert_eq!(sf.unfilled, Qty::from_int(2_000));
    }

    /// The mirror image: sell 10,000 with every price reflected around 50.00
    /// (arrival 49.95, fills 4,000 @ 49.90 and 4,000 @ 49.80 so N = 398,800,
    /// end mid 49.70). Every component is again a cost of the same size:
    /// delay = -(49.95 - 50.00) x 8,000 = 400; trading = -(398,800 - 399,600) = 800;
    /// opportunity = -(49.70 - 50.00) x 2,000 = 600; fees 24; total 1,824.
    #[test]
    fn worked_example_sell_mirrors_buy() {
        let sf = shortfall(&ShortfallInput {
            side: Side::Sell,
            order_qty: Qty::from_int(10_000),
            filled: Qty::from_int(8_000),
            notional: money("398800"),
            fees: money("24"),
            decision: px("50"),
            arrival: px("49.95"),
            end_px: px("49.70"),
            quote_per: 1,
        });
        assert_eq!(
            (sf.delay, sf.trading, sf.opportunity, sf.total),
            (money("400"), money("800"), money("600"), money("1824"))
        );
    }

    /// A buy that paid less than the decision price has a negative (favourable) shortfall.
    #[test]
    fn favourable_execution_is_negative() {
        let sf = shortfall(&ShortfallInput {
            side: Side::Buy,
            order_qty: Qty::from_int(100),
            filled: Qty::from_int(100),
            notional: money("9990"),
            fees: Money::ZERO,
            decision: px("100"),
            arrival: px("100"),
            end_px: px("100"),
            quote_per: 1,
        });
        assert_eq!(sf.total, money("-10"));
        assert!((sf.total_bps + 10.0).abs() < 1e-9);
    }

    /// Odd prices and quantities: the components still add up to the total
    /// exactly, and the total matches the direct formula to the cent.
    #[test]
    fn components_add_up_exactly() {
        let fills = [("101.237", 1_337), ("101.411", 2_001), ("100.999", 17)];
        let notional: Money = fills.iter().map(|(p, q)| Money::notional(px(p), Qty::from_int(*q))).sum();
        let filled = Qty::from_int(1_337 + 2_001 + 17);
        let i = ShortfallInput {
            side: Side::Sell,
            order_qty: Qty::from_int(5_000),
            filled,
            notional,
            fees: money("-1.2345"),
            decision: px("101.5"),
            arrival: px("101.333"),
            end_px: px("100.777"),
            quote_per: 1,
        };
        let sf = shortfall(&i);
        assert_eq!(sf.total, sf.delay + sf.trading + sf.opportunity + sf.fees);
        let direct = -(notional.to_f64() - 101.5 * filled.to_f64()) - (100.777 - 101.5) * 1_645.0 - 1.2345;
        assert!((sf.total.to_f64() - direct).abs() < 0.005, "{} vs {direct}", sf.total);
    }
}
