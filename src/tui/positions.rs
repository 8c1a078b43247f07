//! Net positions and P&L per desk and symbol, from the orders' fills.
//!
//! Method (intraday, average price, the desk starts the day flat): per desk
//! and symbol, `B` bought at an average `b` and `S` sold at an average `s`.
//! The net position is `B - S`; its average cost is `b` when long, `s` when
//! short. Realised P&L is on the matched quantity, `min(B, S) * (s - b)`;
//! unrealised is the open quantity against the mid, `(B - S) * (mid - b)`
//! long or `(S - B) * (s - mid)` short. Their sum is `sold notional - bought
//! notional + net * mid` whatever the order of the fills, so order-level
//! figures are enough and the result is exact up to the final division.
//! Amounts are in the instrument's currency (bonds: price per 100 face, so
//! divided by `quote_per`); fees are a column of their own and come off the
//! total. Totals are per currency: dollars and francs are never added.

use crate::engine::view::{InstrumentView, OrderRow};
use crate::model::{Money, Qty, Side};
use std::collections::BTreeMap;

/// One desk's position in one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// The desk (tenant).
    pub tenant: String,
    /// The instrument.
    pub symbol: String,
    /// Its currency.
    pub currency: String,
    /// Quantity bought today (raw `Qty` units, summed exactly).
    pub bought: i128,
    /// Quantity sold today (raw `Qty` units).
    pub sold: i128,
    /// Price times quantity of the buys (raw `Money` units, before `quote_per`).
    pub buy_px_qty: i128,
    /// Price times quantity of the sells.
    pub sell_px_qty: i128,
    /// Fees paid (raw `Money` units; negative = rebates earned).
    pub fees: i128,
    /// Units per quoted price (bonds: 100).
    pub quote_per: i64,
    /// The latest mid, when known.
    pub mid: Option<f64>,
}

/// A desk's, or the whole book's, total in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    /// The desk, or `None` for every desk.
    pub tenant: Option<String>,
    /// Currency.
    pub currency: String,
    /// Realised P&L.
    pub realised: f64,
    /// Unrealised P&L (positions without a mid count as zero and are flagged).
    pub unrealised: f64,
    /// Fees.
    pub fees: f64,
    /// True when a position in it has no mid yet.
    pub missing_mid: bool,
}

impl Total {
    /// Realised plus unrealised minus fees.
    pub fn total(&self) -> f64 {
        self.realised + self.unrealised - self.fees
    }
}

/// Every position and the totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// Positions by desk, then symbol.
    pub rows: Vec<Position>,
    /// Per desk and currency, then per currency over every desk (`tenant` None).
    pub totals: Vec<Total>,
}

fn to_f64_money(raw: i128) -> f64 {
    raw as f64 / Money::SCALE as f64
}

impl Position {
    /// Net position (raw `Qty` units): positive long, negative short.
    pub fn net_raw(&self) -> i128 {
        self.bought - self.sold
    }

    /// Net position as an exact decimal (`-1,000,000`, `2.5`).
    pub fn net_text(&self) -> String {
        raw_qty_text(self.net_raw())
    }

    /// Average buy price.
    pub fn avg_buy(&self) -> Option<f64> {
        (self.bought > 0).then(|| self.buy_px_qty as f64 / self.bought as f64 * px_per_money())
    }

    /// Average sell price.
    pub fn avg_sell(&self) -> Option<f64> {
        (self.sold > 0).then(|| self.sell_px_qty as f64 / self.sold as f64 * px_per_money())
    }

    /// Average cost of the open position (the buys' when long, the sells' when short).
    pub fn avg_cost(&self) -> Option<f64> {
        match self.net_raw() {
            n if n > 0 => self.avg_buy(),
            n if n < 0 => self.avg_sell(),
            _ => None,
        }
    }

    /// Realised P&L on the matched quantity, in currency.
    pub fn realised(&self) -> f64 {
        let matched = self.bought.min(self.sold);
        match (self.avg_buy(), self.avg_sell()) {
            (Some(b), Some(s)) if matched > 0 => {
                matched as f64 / Qty::SCALE as f64 * (s - b) / self.quote_per.max(1) as f64
            }
            _ => 0.0,
        }
    }

    /// Unrealised P&L of the open quantity against the mid, in currency (None without a mid).
    pub fn unrealised(&self) -> Option<f64> {
        let net = self.net_raw();
        if net == 0 {
            return Some(0.0);
        }
        let mid = self.mid?;
        let cost = self.avg_cost()?;
        Some(net as f64 / Qty::SCALE as f64 * (mid - cost) / self.quote_per.max(1) as f64)
    }

    /// Fees in currency.
    pub fn fees(&self) -> f64 {
        to_f64_money(self.fees)
    }

    /// Market value of the open position at the mid, in currency.
    pub fn market_value(&self) -> Option<f64> {
        Some(self.net_raw() as f64 / Qty::SCALE as f64 * self.mid? / self.quote_per.max(1) as f64)
    }
}

/// Price units per raw money unit over raw quantity unit: money and
/// quantity share a scale, so the ratio of raws is the price itself.
fn px_per_money() -> f64 {
    Qty::SCALE as f64 / Money::SCALE as f64
}

/// An exact quantity from raw units that may exceed one `Qty`.
pub fn raw_qty_text(raw: i128) -> String {
    match i64::try_from(raw) {
        Ok(r) => crate::model::human::qty(Qty::from_raw(r)),
        Err(_) => {
            let scale = Qty::SCALE as i128;
            let (int, frac) = (raw.abs() / scale, raw.abs() % scale);
            let sign = if raw < 0 { "-" } else { "" };
            let frac = format!("{frac:06}");
            let frac = frac.trim_end_matches('0');
            let body = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            format!("{sign}{}", crate::model::human::group(&body))
        }
    }
}

impl Book {
    /// Positions of the desks in `orders` (only what has filled counts).
    pub fn from_orders(orders: &[OrderRow], instruments: &[InstrumentView]) -> Book {
        let mut by: BTreeMap<(String, String), Position> = BTreeMap::new();
        for r in orders {
            let o = &r.order;
            if !o.filled.is_positive() && o.fees.is_zero() {
                continue;
            }
            let inst = instruments.iter().find(|i| i.symbol == o.symbol);
            let p = by.entry((o.owner.tenant.to_string(), o.symbol.to_string())).or_insert_with(|| Position {
                tenant: o.owner.tenant.to_string(),
                symbol: o.symbol.to_string(),
                currency: inst.map_or_else(|| "?".into(), |i| i.currency.to_string()),
                bought: 0,
                sold: 0,
                buy_px_qty: 0,
                sell_px_qty: 0,
                fees: 0,
                quote_per: inst.map_or(1, |i| i.quote_per.max(1)),
                mid: None,
            });
            // Filled notional is price x quantity per unit quoted: the average is exact.
            let px_qty = i128::from(o.notional.raw());
            match o.side {
                Side::Buy => {
                    p.bought += i128::from(o.filled.raw());
                    p.buy_px_qty += px_qty;
                }
                Side::Sell => {
                    p.sold += i128::from(o.filled.raw());
                    p.sell_px_qty += px_qty;
                }
            }
            p.fees += i128::from(o.fees.raw());
            if r.mid.is_some() {
                p.mid = r.mid;
            }
        }
        let rows: Vec<Position> = by.into_values().collect();
        let mut totals: Vec<Total> = Vec::new();
        let mut add = |tenant: Option<&str>, p: &Position| {
            let at = totals.iter().position(|t| t.tenant.as_deref() == tenant && t.currency == p.currency);
            let t = match at {
                Some(i) => &mut totals[i],
                None => {
                    totals.push(Total {
                        tenant: tenant.map(str::to_string),
                        currency: p.currency.clone(),
                        realised: 0.0,
                        unrealised: 0.0,
                        fees: 0.0,
                        missing_mid: false,
                    });
                    let n = totals.len() - 1;
                    &mut totals[n]
                }
            };
            t.realised += p.realised();
            match p.unrealised() {
                Some(u) => t.unrealised += u,
                None => t.missing_mid = true,
            }
            t.fees += p.fees();
        };
        for p in &rows {
            add(Some(&p.tenant), p);
        }
        for p in &rows {
            add(None, p);
        }
        Book { rows, totals }
    }

    /// The desks, in order.
    pub fn tenants(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.rows.iter().map(|p| p.tenant.as_str()).collect();
        v.dedup();
        v
    }
}

/// A price as the positions show it (`-` when unknown).
pub fn price_text(p: Option<f64>, dp: usize) -> String {
    p.map_or_else(|| "-".into(), |x| format!("{x:.dp$}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlgoKind, Owner, ParentId, ParentOrder, ParentStatus, Price, Timestamp};

    fn order(id: u64, tenant: &str, symbol: &str, side: Side, filled: i64, notional: &str, fees: &str) -> OrderRow {
        let order = ParentOrder {
            id: ParentId::local(id),
            owner: Owner { user: "u".into(), tenant: tenant.into() },
            symbol: symbol.into(),
            side,
            qty: Qty::from_int(filled.max(1)),
            limit_px: None,
            algo: AlgoKind::Twap,
            params: Default::default(),
            start: Timestamp(0),
            end: Timestamp(1),
            status: ParentStatus::Done,
            filled: Qty::from_int(filled),
            notional: Money::parse(notional).unwrap(),
            fees: Money::parse(fees).unwrap(),
            arrival_px: None,
            decision_px: None,
            created_at: Timestamp(0),
            done_at: None,
            children: 0,
        };
        OrderRow { order, working: Qty::ZERO, slippage_bps: None, schedule_deviation: None, mid: None }
    }

    fn inst(symbol: &str, ccy: &str, quote_per: i64) -> InstrumentView {
        InstrumentView {
            symbol: symbol.into(),
            name: symbol.into(),
            asset_class: crate::model::AssetClass::Equity,
            currency: ccy.into(),
            tick_size: Price::parse("0.01").unwrap(),
            lot_size: Qty::from_int(1),
            adv: Qty::from_int(1_000_000),
            open_today: true,
            quote_per,
            calendar: None,
            listing: String::new(),
        }
    }

    #[test]
    fn pnl_matches_a_hand_computation() {
        // Desk ws in AAPL: buys 1,000 at 100.00 and 500 at 103.00, sells 800 at 104.00; mid 105.
        //   B = 1,500 at b = (100,000 + 51,500) / 1,500 = 101.00; S = 800 at s = 104.00.
        //   net = +700 long at an average cost of 101.00.
        //   realised   = 800 x (104.00 - 101.00)           = 2,400.00
        //   unrealised = 700 x (105.00 - 101.00)           = 2,800.00
        //   fees 12.50 + 4.00 = 16.50; total = 2,400 + 2,800 - 16.50 = 5,183.50
        //   check: sold 83,200 - bought 151,500 + 700 x 105 = 5,200 = 2,400 + 2,800.
        // Desk ws short 10m UST10Y (per 100 face) sold at 98.50, mid 98.25:
        //   unrealised = -10,000,000 x (98.25 - 98.50) / 100 = +25,000.00 (USD).
        // Desk az in NESN (CHF): bought 200 at 86.00, sold 200 at 85.50: flat, realised -100.00 CHF.
        let mut rows = vec![
            order(1, "ws", "AAPL", Side::Buy, 1_000, "100000", "12.5"),
            order(2, "ws", "AAPL", Side::Buy, 500, "51500", "0"),
            order(3, "ws", "AAPL", Side::Sell, 800, "83200", "4"),
            order(4, "ws", "UST10Y", Side::Sell, 10_000_000, "985000000", "0"),
            order(5, "az", "NESN", Side::Buy, 200, "17200", "0"),
            order(6, "az", "NESN", Side::Sell, 200, "17100", "0"),
            order(7, "az", "MSFT", Side::Buy, 0, "0", "0"),
        ];
        rows[0].mid = Some(105.0);
        rows[3].mid = Some(98.25);
        let insts = [inst("AAPL", "USD", 1), inst("UST10Y", "USD", 100), inst("NESN", "CHF", 1)];
        let b = Book::from_orders(&rows, &insts);
        let names: Vec<(&str, &str)> = b.rows.iter().map(|p| (p.tenant.as_str(), p.symbol.as_str())).collect();
        assert_eq!(names, [("az", "NESN"), ("ws", "AAPL"), ("ws", "UST10Y")], "nothing filled, no position");
        let aapl = &b.rows[1];
        assert_eq!(aapl.net_text(), "700");
        assert!((aapl.avg_cost().unwrap() - 101.0).abs() < 1e-9);
        assert!((aapl.realised() - 2_400.0).abs() < 1e-6);
        assert!((aapl.unrealised().unwrap() - 2_800.0).abs() < 1e-6);
        let ust = &b.rows[2];
        assert_eq!(ust.net_text(), "-10,000,000");
        assert!((ust.avg_cost().unwrap() - 98.5).abs() < 1e-9);
        assert!((ust.unrealised().unwrap() - 25_000.0).abs() < 1e-6);
        assert!((ust.market_value().unwrap() + 9_825_000.0).abs() < 1e-3, "per 100 face");
        let nesn = &b.rows[0];
        assert_eq!(nesn.net_text(), "0");
        assert!((nesn.realised() + 100.0).abs() < 1e-9);
        let ws_usd = b.totals.iter().find(|t| t.tenant.as_deref() == Some("ws")).unwrap();
        assert!((ws_usd.total() - (5_183.5 + 25_000.0)).abs() < 1e-6, "{ws_usd:?}");
        let all: Vec<(&str, f64)> =
            b.totals.iter().filter(|t| t.tenant.is_none()).map(|t| (t.currency.as_str(), t.total())).collect();
        assert_eq!(all.len(), 2, "USD and CHF are never added: {all:?}");
        assert!(all.iter().any(|(c, v)| *c == "CHF" && (v + 100.0).abs() < 1e-9));
    }

    #[test]
    fn positions_beyond_one_qty_stay_exact() {
        let big = i128::from(Qty::MAX.raw()) * 3;
        assert_eq!(raw_qty_text(big), "27,670,116,110,564.327421");
        assert_eq!(raw_qty_text(-1_500_000), "-1.5");
    }
}
