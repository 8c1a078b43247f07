//! TCA of executions done elsewhere: fills, the market tape and optional
//! quotes read from files (see `market::replay::csv`) become the same report
//! the engine's orders get.
//!
//! Without an arrival time, the order is taken to arrive just before its
//! first fill: the arrival price is the last mid before it (from the quotes;
//! before the first quote, or without quotes, the last market trade), and the window runs from the first fill to
//! the last. Given `arrival`, `end` and `decision_time`, they mean what they
//! mean for many orders (`tca::batch`): the price at or before each, the
//! window `[arrival, end]`. The trades file is the market's tape without our fills.

use super::mids::{LastTrade, MidSource, QuoteMids};
use super::report::{TcaInput, TcaReport, analyse};
use crate::market::replay::csv::{RecFill, RecQuote, RecTrade};
use crate::market::{Print, Tape};
use crate::model::{ChildId, Fill, FillId, Liquidity, ParentId, Price, Qty, Side, Timestamp};

/// The order the imported fills belong to.
#[derive(Debug, Clone, Copy)]
pub struct ImportedOrder {
    /// Buy or sell.
    pub side: Side,
    /// Ordered quantity (at least the filled quantity).
    pub qty: Qty,
    /// Decision price (default: the price at `decision_time`, else arrival).
    pub decision_px: Option<Price>,
    /// When the order arrived (default: just before the first fill).
    pub arrival: Option<Timestamp>,
    /// When it ended (default: the last fill).
    pub end: Option<Timestamp>,
    /// When the decision was taken.
    pub decision_time: Option<Timestamp>,
}

/// Turns imported rows into engine fills (venue `EXTERNAL` when not given).
pub fn to_fills(side: Side, rows: &[RecFill]) -> Vec<Fill> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| Fill {
            id: FillId(i as u64 + 1),
            child: ChildId { parent: ParentId::local(0), seq: 0 },
            venue: r.venue.as_deref().unwrap_or("EXTERNAL").into(),
            side,
            px: r.px,
            qty: r.qty,
            fee: r.fee,
            liquidity: match r.maker {
                Some(true) => Liquidity::Maker,
                _ => Liquidity::Taker,
            },
            ts: r.ts,
        })
        .collect()
}

/// The tape: the market's prints with our fills merged in, flagged `ours`.
pub fn merged_tape(trades: &[RecTrade], fills: &[Fill]) -> Tape {
    let mut tape = Tape::new(true);
    let (mut i, mut j) = (0, 0);
    // Both inputs are sorted by time; at equal times the market print comes first.
    while i < trades.len() || j < fills.len() {
        let take_trade = j >= fills.len() || (i < trades.len() && trades[i].ts <= fills[j].ts);
        if take_trade {
            let t = &trades[i];
            let aggressor = t.aggressor.unwrap_or(Side::Buy);
            tape.push(Print { ts: t.ts, px: t.px, qty: t.qty, venue: 0, aggressor, ours: false });
            i += 1;
        } else {
            let f = &fills[j];
            tape.push(Print { ts: f.ts, px: f.px, qty: f.qty, venue: 0, aggressor: f.side, ours: true });
            j += 1;
        }
    }
    tape
}

/// The report for imported executions. Errors describe the input at fault.
pub fn analyse_imported(
    order: &ImportedOrder,
    fills: &[RecFill],
    trades: &[RecTrade],
    quotes: Option<&[RecQuote]>,
) -> Result<TcaReport, String> {
    let first = fills.first().ok_or("--fills: the file has no fills")?.ts;
    let last = fills.last().map_or(first, |f| f.ts);
    if trades.is_empty() {
        return Err("--trades: the file has no trades".into());
    }
    let filled: Qty = fills.iter().map(|f| f.qty).sum();
    if filled > order.qty {
        return Err(format!("--qty: {} is less than the {} filled in --fills", order.qty, filled));
    }
    let fills = to_fills(order.side, fills);
    let tape = merged_tape(trades, &fills);
    let quote_mids = quotes.map(|q| QuoteMids::new(q.iter().map(|q| (q.ts, q.bid(), q.ask()))));
    let last_trade = LastTrade(&tape);
    let mids: &dyn MidSource = match &quote_mids {
        Some(q) if !q.is_empty() => q,
        _ => &last_trade,
    };
    let fmt = |t: Timestamp| t.to_string();
    let start = order.arrival.unwrap_or(first);
    let end = order.end.unwrap_or(last);
    if first < start {
        return Err(format!(
            "--arrival: {} is after the first fill at {}; fills must lie in [arrival, end]",
            fmt(start),
            fmt(first)
        ));
    }
    if end < last {
        return Err(format!(
            "--end: {} is before the last fill at {}; fills must lie in [arrival, end]",
            fmt(end),
            fmt(last)
        ));
    }
    // The mid of the last quote at or before `t`, else (no quote yet, or no
    // quotes at all) the last market print at or before it.
    let known_at = |t: Timestamp| mids.mid_at(t).or_else(|| last_trade.mid_at(t));
    let price_at = |t: Timestamp| known_at(t).and_then(Price::from_f64);
    let arrival = match order.arrival {
        Some(a) => Some(price_at(a).ok_or_else(|| format!("--arrival: no market price at or before {}", fmt(a)))?),
        None => known_at(Timestamp(first.0 - 1)).or_else(|| known_at(first)).and_then(Price::from_f64),
    };
    let decision_px = match (order.decision_px, order.decision_time) {
        (Some(d), _) => Some(d),
        (None, Some(t)) if t > start => {
            return Err(format!(
                "--decision-time: {} is after the arrival {}; a decision comes first",
                fmt(t),
                fmt(start)
            ));
        }
        (None, Some(t)) => {
            Some(price_at(t).ok_or_else(|| format!("--decision-time: no market price at or before {}", fmt(t)))?)
        }
        (None, None) => None,
    };
    Ok(analyse(&TcaInput {
        side: order.side,
        qty: order.qty,
        decision_px,
        arrival_px: arrival,
        start,
        end,
        algo: None,
        quote_per: 1,
        fills: &fills,
        tape: &tape,
        mids,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Money;

    const MS: i64 = 1_000_000;

    fn trade(ms: i64, px: &str, q: i64) -> RecTrade {
        RecTrade { ts: Timestamp(ms * MS), px: px.parse().unwrap(), qty: Qty::from_int(q), aggressor: None }
    }
    fn rfill(ms: i64, px: &str, q: i64) -> RecFill {
        RecFill {
            ts: Timestamp(ms * MS),
            px: px.parse().unwrap(),
            qty: Qty::from_int(q),
            venue: None,
            fee: Money::ZERO,
            maker: None,
        }
    }

    fn order() -> ImportedOrder {
        ImportedOrder {
            side: Side::Buy,
            qty: Qty::from_int(1),
            decision_px: None,
            arrival: None,
            end: None,
            decision_time: None,
        }
    }

    #[test]
    fn an_order_that_bought_exactly_the_tape_has_zero_vwap_slippage() {
        let trades = [trade(0, "10", 100), trade(1_000, "10.5", 300), trade(2_000, "9.9", 50)];
        let fills: Vec<RecFill> =
            trades.iter().map(|t| rfill(t.ts.0 / MS, &t.px.to_string(), t.qty.to_f64() as i64)).collect();
        let order = ImportedOrder { side: Side::Buy, qty: Qty::from_int(450), ..order() };
        let r = analyse_imported(&order, &fills, &trades, None).unwrap();
        assert_eq!(r.vwap_slippage_bps, Some(0.0));
        assert_eq!(r.interval_vwap, r.interval_vwap_incl_ours);
    }

    #[test]
    fn arrival_is_the_last_mid_before_the_first_fill() {
        let trades = [trade(0, "10", 100), trade(5_000, "10.2", 100)];
        let quotes = [
            RecQuote {
                ts: Timestamp(0),
                bids: vec![("9.9".parse().unwrap(), Qty::from_int(1))],
                asks: vec![("10.1".parse().unwrap(), Qty::from_int(1))],
            },
            RecQuote {
                ts: Timestamp(3_000 * MS),
                bids: vec![("10.1".parse().unwrap(), Qty::from_int(1))],
                asks: vec![("10.3".parse().unwrap(), Qty::from_int(1))],
            },
        ];
        let fills = [rfill(3_000, "10.3", 100)];
        let order = ImportedOrder { qty: Qty::from_int(200), decision_px: Some("9.5".parse().unwrap()), ..order() };
        let r = analyse_imported(&order, &fills, &trades, Some(&quotes)).unwrap();
        assert_eq!(r.arrival_px.unwrap().to_string(), "10");
        assert_eq!(r.decision_px.unwrap().to_string(), "9.5");
        let sf = r.implementation_shortfall.unwrap();
        // delay (10 - 9.5) x 100 = 50; trading (10.3 - 10) x 100 = 30;
        // opportunity at the end mid 10.2: (10.2 - 9.5) x 100 = 70.
        assert_eq!(
            (sf.delay, sf.trading, sf.opportunity),
            (Money::from_int(50), Money::from_int(30), Money::from_int(70))
        );
        assert_eq!(sf.total, Money::from_int(150));
    }

    #[test]
    fn bad_orders_are_refused() {
        let trades = [trade(0, "10", 100)];
        let order = ImportedOrder { qty: Qty::from_int(10), ..order() };
        assert!(analyse_imported(&order, &[rfill(0, "10", 11)], &trades, None).unwrap_err().contains("--qty"));
        assert!(analyse_imported(&order, &[], &trades, None).unwrap_err().contains("--fills"));
        assert!(analyse_imported(&order, &[rfill(0, "10", 1)], &[], None).unwrap_err().contains("--trades"));
    }

    /// Arrival at 1 s takes the 0 s print (10); end at 6 s takes the 5 s print (10.2)
    /// for the unfilled 100; the decision at 0 s is 10 too. Buy 200, 100 filled at 10.1:
    /// delay 0, trading 10, opportunity (10.2 - 10) x 100 = 20; the window [1 s, 6 s]
    /// holds the 5 s print only: interval VWAP 10.2.
    #[test]
    fn explicit_arrival_end_and_decision_time() {
        let trades = [trade(0, "10", 100), trade(5_000, "10.2", 100), trade(9_000, "11", 100)];
        let order = ImportedOrder {
            qty: Qty::from_int(200),
            arrival: Some(Timestamp(1_000 * MS)),
            end: Some(Timestamp(6_000 * MS)),
            decision_time: Some(Timestamp(0)),
            ..order()
        };
        let r = analyse_imported(&order, &[rfill(3_000, "10.1", 100)], &trades, None).unwrap();
        let sf = r.implementation_shortfall.unwrap();
        assert_eq!((sf.delay, sf.trading, sf.opportunity), (Money::ZERO, Money::from_int(10), Money::from_int(20)));
        assert_eq!(r.interval_vwap.unwrap().to_string(), "10.2");
        let late = ImportedOrder { end: Some(Timestamp(2_000 * MS)), ..order };
        assert!(
            analyse_imported(&late, &[rfill(3_000, "10.1", 100)], &trades, None).unwrap_err().starts_with("--end:")
        );
        let early = ImportedOrder { arrival: Some(Timestamp(3_500 * MS)), ..order };
        assert!(
            analyse_imported(&early, &[rfill(3_000, "10.1", 100)], &trades, None)
                .unwrap_err()
                .starts_with("--arrival:")
        );
        let undecided = ImportedOrder { decision_time: Some(Timestamp(-5)), ..order };
        let e = analyse_imported(&undecided, &[rfill(3_000, "10.1", 100)], &trades, None).unwrap_err();
        assert!(e.contains("--decision-time: no market price"), "{e}");
    }
}
