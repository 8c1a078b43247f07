//! One pass over the market data that answers, for every order, the few
//! things its analysis needs: the price as of a time (arrival, decision,
//! end, each fill's markout horizons) and the volume and notional traded up
//! to a time (the edges of its window and of its chart's buckets).
//!
//! The questions are known before the data is read, so the tape is never
//! held in memory: a month of prints over many symbols costs what its
//! questions cost, not what the tape weighs. Each symbol's prints (and
//! quotes) must come in time order; symbols may interleave.

use crate::market::replay::RecTrade;
use crate::model::{Instrument, Money, Price, Qty, Timestamp};
use crate::tca::pretrade::history::{MarketFigures, MarketHistory};
use std::collections::HashMap;

/// A symbol the orders need, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SymId(pub u32);

/// A question about the price as of a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelQ(u32);

/// A question about the volume traded up to a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CumQ(u32);

/// Volume and notional of every market print at or before a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cum {
    /// Quantity (raw units of `Qty`).
    pub qty: i128,
    /// Notional (raw units of `Money`), each print's `price * qty` rounded as `Money::notional` does.
    pub notional: i128,
}

impl Cum {
    /// Volume and notional between `self` (earlier) and `later`; `None` if either overflows the fixed-point range.
    pub fn until(self, later: Cum) -> Option<(Qty, Money)> {
        let q = i64::try_from(later.qty - self.qty).ok()?;
        let n = i64::try_from(later.notional - self.notional).ok()?;
        Some((Qty::from_raw(q), Money::from_raw(n)))
    }
}

/// The price as of a question's time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Level {
    /// The last market print at or before it.
    pub trade: Option<Price>,
    /// The mid of the last two-sided quote at or before it.
    pub mid: Option<f64>,
    /// That quote's spread, bps of its mid.
    pub spread_bps: Option<f64>,
}

/// How much data a symbol had, and over what span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Prints seen.
    pub trades: u64,
    /// First and last print times.
    pub trade_span: Option<(Timestamp, Timestamp)>,
    /// Two-sided quotes seen.
    pub quotes: u64,
    /// First and last quote times.
    pub quote_span: Option<(Timestamp, Timestamp)>,
}

/// A row that came before the previous one of its symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOrder {
    /// The symbol.
    pub symbol: String,
    /// The row's time.
    pub ts: Timestamp,
    /// The time already seen for that symbol.
    pub after: Timestamp,
}

impl std::fmt::Display for OutOfOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {} comes after a row of {} at {}: each symbol's rows must be in time order (sort the file by time)",
            self.symbol, self.ts, self.symbol, self.after
        )
    }
}

#[derive(Debug, Default)]
struct Stream {
    /// Next unanswered level question (index into the sorted list).
    next_level: usize,
    /// Next unanswered cumulative question.
    next_cum: usize,
    first: Option<Timestamp>,
    last: Timestamp,
    n: u64,
}

#[derive(Debug, Default)]
struct Symbol {
    name: String,
    /// (time, question) sorted by time once sealed.
    level_qs: Vec<(i64, u32)>,
    cum_qs: Vec<(i64, u32)>,
    level_trade: Vec<i64>,
    level_mid: Vec<f64>,
    level_spread: Vec<f64>,
    cum: Vec<Cum>,
    trades: Stream,
    quotes: Stream,
    last_px: i64,
    mid: f64,
    spread_bps: f64,
    running: Cum,
    /// The prints' figures for pre-trade estimates, when the instrument is known.
    history: Option<MarketHistory>,
}

impl Symbol {
    /// Answers every trade-side question stamped before `t` (every one left when `None`) with the state so far.
    fn answer_trades(&mut self, before: Option<i64>) {
        let open = |qt: i64| before.is_none_or(|t| qt < t);
        while let Some(&(qt, q)) = self.level_qs.get(self.trades.next_level) {
            if !open(qt) {
                break;
            }
            self.level_trade[q as usize] = self.last_px;
            self.trades.next_level += 1;
        }
        while let Some(&(qt, q)) = self.cum_qs.get(self.trades.next_cum) {
            if !open(qt) {
                break;
            }
            self.cum[q as usize] = self.running;
            self.trades.next_cum += 1;
        }
    }

    /// The same for the quote side.
    fn answer_quotes(&mut self, before: Option<i64>) {
        while let Some(&(qt, q)) = self.level_qs.get(self.quotes.next_level) {
            if before.is_some_and(|t| qt >= t) {
                break;
            }
            self.level_mid[q as usize] = self.mid;
            self.level_spread[q as usize] = self.spread_bps;
            self.quotes.next_level += 1;
        }
    }
}

fn observe(s: &mut Stream, name: &str, ts: Timestamp) -> Result<(), OutOfOrder> {
    if s.n > 0 && ts < s.last {
        return Err(OutOfOrder { symbol: name.to_string(), ts, after: s.last });
    }
    s.first.get_or_insert(ts);
    s.last = ts;
    s.n += 1;
    Ok(())
}

/// The questions, then the pass over the data, then the answers.
#[derive(Debug, Default)]
pub struct MarketPass {
    names: HashMap<String, SymId>,
    syms: Vec<Symbol>,
    sealed: bool,
}

impl MarketPass {
    /// An empty pass.
    pub fn new() -> MarketPass {
        MarketPass::default()
    }

    /// The symbol's id, registering it when new (while asking questions).
    pub fn register(&mut self, name: &str) -> SymId {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        let id = SymId(self.syms.len() as u32);
        self.syms.push(Symbol { name: name.to_string(), mid: f64::NAN, spread_bps: f64::NAN, ..Symbol::default() });
        self.names.insert(name.to_string(), id);
        id
    }

    /// The id of a symbol some order needs; `None` for a symbol nobody asked about.
    pub fn symbol(&self, name: &str) -> Option<SymId> {
        self.names.get(name).copied()
    }

    /// Every symbol asked about, in registration order.
    pub fn symbols(&self) -> impl Iterator<Item = (SymId, &str)> {
        self.syms.iter().enumerate().map(|(i, s)| (SymId(i as u32), s.name.as_str()))
    }

    /// Keeps the figures of the symbol's prints, half hour by half hour, for
    /// the pre-trade estimates of its orders (`inst`: its calendar and curve).
    pub fn keep_history(&mut self, sym: SymId, inst: Instrument) {
        self.syms[sym.0 as usize].history = Some(MarketHistory::new(inst));
    }

    /// The symbol's market figures as of `at` (`None` without a history kept);
    /// `quoted_spread_bps` the spread at `at` when there are quotes.
    pub fn figures(
        &self,
        sym: SymId,
        at: Timestamp,
        quoted_spread_bps: Option<f64>,
    ) -> Option<Result<MarketFigures, String>> {
        self.syms[sym.0 as usize].history.as_ref().map(|h| h.figures(at, quoted_spread_bps))
    }

    /// Asks for the price as of `t` (the last print, and the last quote's mid, at or before it).
    pub fn ask_level(&mut self, sym: SymId, t: Timestamp) -> LevelQ {
        let s = &mut self.syms[sym.0 as usize];
        let q = s.level_qs.len() as u32;
        s.level_qs.push((t.0, q));
        LevelQ(q)
    }

    /// Asks for the volume and notional of every print at or before `t`.
    pub fn ask_cum(&mut self, sym: SymId, t: Timestamp) -> CumQ {
        let s = &mut self.syms[sym.0 as usize];
        let q = s.cum_qs.len() as u32;
        s.cum_qs.push((t.0, q));
        CumQ(q)
    }

    /// Ends the questions: sorts them and makes room for the answers.
    pub fn seal(&mut self) {
        for s in &mut self.syms {
            s.level_qs.sort_unstable();
            s.cum_qs.sort_unstable();
            s.level_trade = vec![0; s.level_qs.len()];
            s.cum = vec![Cum::default(); s.cum_qs.len()];
        }
        self.sealed = true;
    }

    /// One market print (not ours).
    pub fn trade(&mut self, sym: SymId, ts: Timestamp, px: Price, qty: Qty) -> Result<(), OutOfOrder> {
        debug_assert!(self.sealed, "questions are sealed before the data is read");
        let s = &mut self.syms[sym.0 as usize];
        observe(&mut s.trades, &s.name, ts)?;
        s.answer_trades(Some(ts.0));
        s.last_px = px.raw();
        if let Some(h) = &mut s.history {
            h.trade(RecTrade { ts, px, qty, aggressor: None });
        }
        s.running.qty += qty.raw() as i128;
        s.running.notional += Money::notional(px, qty).raw() as i128;
        Ok(())
    }

    /// One two-sided quote.
    pub fn quote(&mut self, sym: SymId, ts: Timestamp, bid: Price, ask: Price) -> Result<(), OutOfOrder> {
        debug_assert!(self.sealed, "questions are sealed before the data is read");
        let s = &mut self.syms[sym.0 as usize];
        observe(&mut s.quotes, &s.name, ts)?;
        if s.level_mid.is_empty() && !s.level_qs.is_empty() {
            s.level_mid = vec![f64::NAN; s.level_qs.len()];
            s.level_spread = vec![f64::NAN; s.level_qs.len()];
        }
        s.answer_quotes(Some(ts.0));
        s.mid = (bid.to_f64() + ask.to_f64()) / 2.0;
        s.spread_bps = if s.mid > 0.0 { (ask.to_f64() - bid.to_f64()) / s.mid * 1e4 } else { f64::NAN };
        Ok(())
    }

    /// Answers what is left with the last state of each symbol (the data is over).
    pub fn finish(&mut self) {
        for s in &mut self.syms {
            s.answer_trades(None);
            if let Some(h) = &mut s.history {
                h.finish();
            }
            if !s.level_mid.is_empty() {
                s.answer_quotes(None);
            }
        }
    }

    /// The answer to a level question.
    pub fn level(&self, sym: SymId, q: LevelQ) -> Level {
        let s = &self.syms[sym.0 as usize];
        let px = s.level_trade.get(q.0 as usize).copied().unwrap_or(0);
        let mid = s.level_mid.get(q.0 as usize).copied().filter(|m| m.is_finite());
        let spread_bps = s.level_spread.get(q.0 as usize).copied().filter(|m| m.is_finite() && *m >= 0.0);
        Level { trade: (px > 0).then(|| Price::from_raw(px)), mid, spread_bps }
    }

    /// The answer to a cumulative question.
    pub fn cum(&self, sym: SymId, q: CumQ) -> Cum {
        self.syms[sym.0 as usize].cum.get(q.0 as usize).copied().unwrap_or_default()
    }

    /// What data the symbol had.
    pub fn coverage(&self, sym: SymId) -> Coverage {
        let s = &self.syms[sym.0 as usize];
        let span = |st: &Stream| st.first.map(|f| (f, st.last));
        Coverage { trades: s.trades.n, trade_span: span(&s.trades), quotes: s.quotes.n, quote_span: span(&s.quotes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(s: &str) -> Price {
        s.parse().unwrap()
    }

    /// Prints at 10 (100 @ 10), 20 (200 @ 11), 20 (100 @ 12), 30 (50 @ 9).
    /// As of 19: last 10, volume 100, notional 1,000; as of 20 (inclusive): last 12,
    /// volume 400, notional 1,000 + 2,200 + 1,200 = 4,400; before 10: nothing.
    #[test]
    fn answers_are_as_of_each_time_inclusive() {
        let mut m = MarketPass::new();
        let s = m.register("X");
        let l: Vec<LevelQ> = [5, 10, 19, 20, 35].iter().map(|t| m.ask_level(s, Timestamp(*t))).collect();
        let c: Vec<CumQ> = [9, 19, 20, 99].iter().map(|t| m.ask_cum(s, Timestamp(*t))).collect();
        m.seal();
        for (t, p, q) in [(10, "10", 100), (20, "11", 200), (20, "12", 100), (30, "9", 50)] {
            m.trade(s, Timestamp(t), px(p), Qty::from_int(q)).unwrap();
        }
        m.finish();
        let lv: Vec<Option<Price>> = l.iter().map(|q| m.level(s, *q).trade).collect();
        assert_eq!(lv, vec![None, Some(px("10")), Some(px("10")), Some(px("12")), Some(px("9"))]);
        let (q, n) = m.cum(s, c[0]).until(m.cum(s, c[2])).unwrap();
        assert_eq!((q, n), (Qty::from_int(400), Money::from_int(4_400)));
        let (q, n) = m.cum(s, c[1]).until(m.cum(s, c[3])).unwrap();
        assert_eq!((q, n), (Qty::from_int(350), Money::from_int(3_850)));
        assert_eq!(m.coverage(s).trade_span, Some((Timestamp(10), Timestamp(30))));
    }

    #[test]
    fn quotes_give_mids_and_symbols_interleave() {
        let mut m = MarketPass::new();
        let a = m.register("A");
        let b = m.register("B");
        let qa = m.ask_level(a, Timestamp(15));
        let qb = m.ask_level(b, Timestamp(15));
        m.seal();
        m.quote(a, Timestamp(10), px("99"), px("101")).unwrap();
        m.quote(b, Timestamp(12), px("9"), px("10")).unwrap();
        m.quote(a, Timestamp(16), px("100"), px("104")).unwrap();
        m.finish();
        assert_eq!(m.level(a, qa).mid, Some(100.0));
        assert_eq!(m.level(b, qb).mid, Some(9.5));
        assert_eq!(m.level(a, qa).trade, None);
    }

    #[test]
    fn a_symbol_going_back_in_time_is_refused() {
        let mut m = MarketPass::new();
        let a = m.register("A");
        m.seal();
        m.trade(a, Timestamp(20), px("1"), Qty::from_int(1)).unwrap();
        let e = m.trade(a, Timestamp(19), px("1"), Qty::from_int(1)).unwrap_err();
        assert_eq!(e.after, Timestamp(20));
        assert!(e.to_string().contains("time order"), "{e}");
    }
}
