//! Ticket validation: every message names what is allowed, and a valid
//! ticket becomes exactly the request the engine expects.

use super::*;
use crate::client::ErrorCode;
use crate::model::AssetClass;

fn inst(symbol: &str, open: bool) -> InstrumentView {
    InstrumentView {
        symbol: symbol.into(),
        name: format!("{symbol} Inc."),
        asset_class: AssetClass::Equity,
        currency: "USD".into(),
        tick_size: Price::parse("0.01").unwrap(),
        lot_size: Qty::from_int(1),
        adv: Qty::from_int(50_000_000),
        open_today: open,
        quote_per: 1,
        calendar: Some(crate::model::Calendar::UsEquity),
        listing: "NASDAQ".into(),
    }
}

fn universe() -> Vec<InstrumentView> {
    vec![inst("AAPL", true), inst("AMZN", true), inst("MSFT", true), inst("NESN", false)]
}

fn market(list: &[InstrumentView]) -> Market<'_> {
    Market {
        instruments: list,
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, 25),
        desk: chrono_tz::America::New_York,
        now: None,
    }
}

#[test]
fn a_closed_market_is_said_plainly_with_the_next_open() {
    // NESN trades on SIX 09:00-17:20 Zurich: 03:00-11:20 in New York on 2026-11-25.
    let mut nesn = inst("NESN", true);
    nesn.calendar = Some(crate::model::Calendar::SwissEquity);
    nesn.listing = "SIX".into();
    let list = vec![nesn];
    let mut m = market(&list);
    m.now = Some(crate::model::Timestamp::from_local(
        chrono_tz::America::New_York,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        parse_hhmm("12:56").unwrap(),
    ));
    let mut t = Ticket::new();
    type_str(&mut t, "NESN");
    t.move_focus(2);
    type_str(&mut t, "1000");
    let e = t.errors(&m);
    assert_eq!(
        e.get(&FieldId::Symbol).map(String::as_str),
        Some("NESN: market closed: SIX closed at 11:20 EST (17:20 CET); next open Thu 26 Nov 03:00 EST (09:00 CET)"),
        "{e:?}"
    );
    assert!(!e.contains_key(&FieldId::End), "not a window whose end precedes its start: {e:?}");
    // In the morning the same order is fine, and its window is typed in desk time.
    m.now = m.at("04:00");
    assert!(t.errors(&m).is_empty(), "{:?}", t.errors(&m));
    let req = t.request(&m).unwrap();
    assert_eq!(req.start, None);
}

fn type_str(t: &mut Ticket, s: &str) {
    for c in s.chars() {
        t.type_char(c);
    }
}

#[test]
fn an_empty_ticket_says_what_is_required() {
    let list = universe();
    let e = Ticket::new().errors(&market(&list));
    assert_eq!(e[&FieldId::Symbol], "required: a symbol such as AAPL");
    assert_eq!(e[&FieldId::Qty], "required: a quantity such as 25000 or 25k");
}

#[test]
fn symbol_is_upper_cased_completed_and_checked() {
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    type_str(&mut t, "a");
    assert_eq!(t.symbol.value(), "A");
    let c: Vec<_> = t.completions(&m, 5).iter().map(|i| i.symbol.to_string()).collect();
    assert_eq!(c, ["AAPL", "AMZN"]);
    assert!(t.errors(&m)[&FieldId::Symbol].contains("did you mean AAPL, AMZN?"));
    assert!(t.complete(&m));
    assert_eq!(t.symbol.value(), "AAPL");
    assert!(!t.errors(&m).contains_key(&FieldId::Symbol));
    t.symbol = Input::new("NESN".into());
    assert_eq!(t.errors(&m)[&FieldId::Symbol], "NESN does not trade today");
}

#[test]
fn numeric_fields_refuse_letters_with_a_message_and_take_k_m() {
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    t.focus = FieldId::Qty;
    type_str(&mut t, "25x");
    assert_eq!(t.qty.value(), "25");
    assert_eq!(
        t.message(FieldId::Qty, &t.errors(&m)).unwrap(),
        "'x' not allowed here: digits, '.', and a k or m suffix"
    );
    t.type_char('k');
    assert_eq!(t.refused, None);
    t.symbol = Input::new("AAPL".into());
    let req = t.request(&m).unwrap();
    assert_eq!(req.qty, Qty::from_int(25_000));
    t.focus = FieldId::Limit;
    type_str(&mut t, "19a0.005");
    assert_eq!(t.limit.value(), "190.005");
    assert_eq!(t.errors(&m)[&FieldId::Limit], "190.005 is not a multiple of the tick 0.01");
}

#[test]
fn times_and_window_are_checked() {
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    t.symbol = Input::new("AAPL".into());
    t.qty = Input::new("1m".into());
    t.start = Input::new("11:00".into());
    t.end = Input::new("10:30".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "10:30 is not after the start 11:00");
    t.end = Input::new("25:00".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "'25:00' is not a time; allowed: HH:MM");
    t.end = Input::new("12:00".into());
    let req = t.request(&m).unwrap();
    assert_eq!(req.qty, Qty::from_int(1_000_000));
    assert_eq!(req.start.unwrap().to_string(), "2026-11-25T16:00:00.000000000Z");
    assert_eq!(req.end.unwrap().to_string(), "2026-11-25T17:00:00.000000000Z");
}

#[test]
fn algorithm_parameters_show_only_for_their_algorithm_and_are_validated() {
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    t.symbol = Input::new("MSFT".into());
    t.qty = Input::new("10k".into());
    assert!(t.fields().contains(&FieldId::Param("slices")));
    assert!(!t.fields().contains(&FieldId::Param("rate")));
    t.focus = FieldId::Algo;
    t.type_char('p');
    assert_eq!(t.algo, AlgoKind::Pov);
    assert!(t.fields().contains(&FieldId::Param("rate")));
    assert!(!t.fields().contains(&FieldId::Param("slices")));
    t.focus = FieldId::Param("rate");
    type_str(&mut t, "0.7");
    assert_eq!(t.errors(&m)[&FieldId::Param("rate")], "0.7 is out of range; allowed: a number in (0, 0.5]");
    t.edit(InputRequest::DeletePrevChar);
    t.type_char('2');
    let req = t.request(&m).unwrap();
    assert_eq!(req.params.get("rate").map(String::as_str), Some("0.2"));
    assert_eq!(req.algo, AlgoKind::Pov);
    // Switching away keeps the value but no longer sends it.
    t.algo = AlgoKind::Twap;
    assert!(t.request(&m).unwrap().params.is_empty());
}

#[test]
fn choices_cycle_and_engine_errors_land_next_to_their_field() {
    let mut t = Ticket::new();
    t.focus = FieldId::Side;
    assert!(t.cycle_choice(1));
    assert_eq!(t.side, Side::Sell);
    t.focus = FieldId::Param("on_pause");
    t.algo = AlgoKind::Twap;
    assert!(t.cycle_choice(1));
    assert_eq!(t.params["on_pause"].value(), "cancel");
    t.focus = FieldId::Qty;
    assert!(!t.cycle_choice(1));
    let mut e = ClientError::new(ErrorCode::InvalidParam, "parameter 'slices': 0 is out of range");
    e.field = Some("params.slices".into());
    t.set_remote_error(Some(&e));
    assert_eq!(t.remote_error, Some((FieldId::Param("slices"), e.message.clone())));
}

#[test]
fn amend_changes_only_quantity_and_limit() {
    let list = universe();
    let m = market(&list);
    let row = crate::tui::scenario::synthetic_rows(4, 0).0.remove(3);
    assert!(row.order.filled.is_positive());
    let mut t = Ticket::amend(&row);
    assert_eq!(t.fields(), [FieldId::Qty, FieldId::Limit]);
    assert_eq!(t.amendment(&m).unwrap(), None);
    t.qty = Input::new("1".into());
    assert!(t.errors(&m)[&FieldId::Qty].starts_with("below the"));
    t.qty = Input::new((row.order.qty + Qty::from_int(1_000)).to_string());
    t.limit = Input::new("150.25".into());
    let a = t.amendment(&m).unwrap().unwrap();
    assert_eq!(a.qty, Some(row.order.qty + Qty::from_int(1_000)));
    assert_eq!(a.limit_px, Some(Some(Price::parse("150.25").unwrap())));
}

#[test]
fn a_parameter_name_shared_by_algorithms_takes_the_chosen_algorithms_field() {
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    t.symbol = Input::new("MSFT".into());
    t.qty = Input::new("10k".into());
    t.algo = AlgoKind::Moc;
    t.focus = FieldId::Param("max_pct");
    type_str(&mut t, "0.8");
    // MOC's cap is a share of the auction, up to 1 (VWAP's is at most 0.5).
    assert_eq!(t.errors(&m).get(&FieldId::Param("max_pct")), None);
    assert_eq!(t.label(FieldId::Param("max_pct")), "max share");
    t.algo = AlgoKind::Vwap;
    assert_eq!(t.label(FieldId::Param("max_pct")), "max part.");
    assert!(t.errors(&m)[&FieldId::Param("max_pct")].contains("(0, 0.5]"));
    // POV's urgency cycles in its own order, aggressive first.
    t.algo = AlgoKind::Pov;
    t.focus = FieldId::Param("urgency");
    assert!(t.cycle_choice(1));
    assert_eq!(t.params["urgency"].value(), "aggressive");
}

#[test]
fn a_quantity_or_price_out_of_range_says_so_not_that_it_is_no_number() {
    // Keys: n AAPL tab tab 9223372036855 (one unit past what a quantity holds). It said
    // "'9223372036855' is not a quantity; allowed: digits...", which it is.
    let list = universe();
    let m = market(&list);
    let mut t = Ticket::new();
    t.symbol = Input::new("AAPL".into());
    t.focus = FieldId::Qty;
    type_str(&mut t, "9223372036855");
    assert_eq!(t.errors(&m)[&FieldId::Qty], "'9223372036855' is too large: the largest order is 1,000,000,000,000");
    // The engine's largest order is accepted, one more share is refused before the engine is asked.
    t.qty = Input::new("1,000,000,000,000".into());
    assert!(!t.errors(&m).contains_key(&FieldId::Qty), "{:?}", t.errors(&m));
    t.qty = Input::new("1000000000001".into());
    assert_eq!(t.errors(&m)[&FieldId::Qty], "1,000,000,000,001 is more than the largest order, 1,000,000,000,000");
    t.qty = Input::new("0.0000001".into());
    assert_eq!(t.errors(&m)[&FieldId::Qty], "'0.0000001' has more than 6 decimals");
    t.qty = Input::new("100".into());
    t.limit = Input::new("0.0000000001".into());
    assert_eq!(t.errors(&m)[&FieldId::Limit], "'0.0000000001' has more than 9 decimals");
    t.limit = Input::new("10000000000".into());
    assert_eq!(t.errors(&m)[&FieldId::Limit], "'10000000000' is too large: a price is at most 9223372036.854775807");
}

#[test]
fn a_window_past_a_utc_close_is_said_in_the_desk_time_with_the_day() {
    // Keys: n BTC-USD tab tab 10 tab tab tab 18:30 tab 19:30 on a New York desk. The crypto
    // day is UTC: it closes at 19:00 New York. The ticket took it and the engine refused it
    // as "end 00:30 is after the close 00:00 (00:00-00:00 UTC on 2026-11-25)", and the
    // hours under the field read "19:00 EST (00:00 UTC)-19:00 EST (00:00 UTC)".
    let mut btc = inst("BTC-USD", true);
    btc.asset_class = AssetClass::Crypto;
    btc.calendar = Some(crate::model::Calendar::Crypto);
    btc.listing = "BINANCE".into();
    let list = vec![btc, inst("AAPL", true)];
    let m = market(&list);
    let mut t = Ticket::new();
    t.symbol = Input::new("BTC-USD".into());
    t.qty = Input::new("10".into());
    t.start = Input::new("18:30".into());
    t.end = Input::new("19:30".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "19:30 EST is after BINANCE closes at 19:00 EST (00:00 UTC)");
    assert_eq!(
        m.hours(m.instrument("BTC-USD").unwrap()).unwrap(),
        "BINANCE Tue 19:00 EST (00:00 UTC) - Wed 19:00 EST (00:00 UTC)"
    );
    t.end = Input::new("18:59".into());
    assert!(t.errors(&m).is_empty(), "{:?}", t.errors(&m));
    // A US equity: past 16:00 is refused, except a market-on-close order's run to the auction.
    t.symbol = Input::new("AAPL".into());
    t.start = Input::new("15:00".into());
    t.end = Input::new("16:01".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "16:01 EST is after NASDAQ closes at 16:00 EST");
    t.end = Input::new("16:00".into());
    assert!(!t.errors(&m).contains_key(&FieldId::End));
    assert_eq!(m.hours(m.instrument("AAPL").unwrap()).unwrap(), "NASDAQ 09:30 EST-16:00 EST");
}

#[test]
fn a_desk_past_the_exchange_midnight_can_end_a_window_after_its_own() {
    // Keys, with --tz Asia/Kathmandu: n AAPL tab tab 10k tab tab tab tab 01:00. NASDAQ's
    // day is 20:15-02:45 there; 01:00 was read on the trading date, 19 hours before the
    // open: "AAPL: the window ends before NASDAQ opens at 20:15 +0545 (09:30 EST)".
    let list = universe();
    let mut m = market(&list);
    m.desk = chrono_tz::Asia::Kathmandu;
    m.now = m.at("20:30");
    let mut t = Ticket::new();
    t.symbol = Input::new("AAPL".into());
    t.qty = Input::new("10k".into());
    t.end = Input::new("01:00".into());
    assert!(t.errors(&m).is_empty(), "{:?}", t.errors(&m));
    // 01:00 +0545 on the 26th is 19:15 UTC on the 25th (14:15 New York).
    assert_eq!(t.request(&m).unwrap().end.unwrap().to_string(), "2026-11-25T19:15:00.000000000Z");
    // The review read "to 01:00 (+0545 desk time)": from now, 20:30 on Wed 25th, it is the next day.
    assert_eq!(t.end_day(&m).as_deref(), Some("the next day, Thu 26 Nov"));
    // A window across the desk's midnight, both ends typed.
    t.start = Input::new("23:00".into());
    t.end = Input::new("01:30".into());
    assert_eq!(t.end_day(&m).as_deref(), Some("the next day, Thu 26 Nov"));
    let r = t.request(&m).unwrap();
    assert_eq!(r.start.unwrap().to_string(), "2026-11-25T17:15:00.000000000Z");
    assert_eq!(r.end.unwrap().to_string(), "2026-11-25T19:45:00.000000000Z");
    // Both ends after midnight: one day, nothing to add.
    t.start = Input::new("00:30".into());
    assert_eq!(t.end_day(&m), None);
    // Past the close, it says so in the desk's time and the exchange's.
    t.end = Input::new("03:00".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "03:00 +0545 is after NASDAQ closes at 02:45 +0545 (16:00 EST)");
    // The next 23:30 after a start at 01:00 is the following evening, past the close.
    t.start = Input::new("01:00".into());
    t.end = Input::new("23:30".into());
    assert_eq!(t.errors(&m)[&FieldId::End], "23:30 +0545 is after NASDAQ closes at 02:45 +0545 (16:00 EST)");
}

#[test]
fn after_a_utc_day_the_next_one_is_not_said_to_open_tomorrow() {
    // Keys: at 19:55 New York, n BTC-USD. The crypto day of the 25th closed at 19:00 New
    // York and the 26th's began then; it said "next open Thu 26 Nov 19:00 EST (00:00 UTC)",
    // a day late, for a market trading as it was read.
    let mut btc = inst("BTC-USD", true);
    btc.calendar = Some(crate::model::Calendar::Crypto);
    btc.listing = "BINANCE".into();
    let list = vec![btc];
    let mut m = market(&list);
    m.now = m.at("19:55");
    let mut t = Ticket::new();
    t.symbol = Input::new("BTC-USD".into());
    t.qty = Input::new("5".into());
    assert_eq!(
        t.errors(&m)[&FieldId::Symbol],
        "BTC-USD: market closed: BINANCE closed at 19:00 EST (00:00 UTC); its next day began Wed 25 Nov 19:00 EST \
         (00:00 UTC), after the simulated one"
    );
}
