//! The desk through a day on the mixed scenario (10m EUR/USD, 50m UST10Y
//! priced per 100 face, BTC, NESN on Zurich hours, 12m SPY, an AAPL round
//! trip), frozen at 10:15 New York: snapshots at 80x24 and 200x60 where no
//! digit is lost, bulk cancel by filter, and the positions against the fills.

use blotter::client::{Client, Embedded};
use blotter::engine::{MAX_ORDER_NOTIONAL, MAX_ORDER_QTY};
use blotter::model::{ParentId, ParentStatus, Qty, Side};
use blotter::tui::app::{App, Effect, Overlay, Question, Tab};
use blotter::tui::columns::Col;
use blotter::tui::keymap::Keymap;
use blotter::tui::scenario::{desk_client, press, reload};
use blotter::tui::screenshots::{desk_app, disconnected_app, render};
use blotter::tui::table::RowKey;
use blotter::tui::theme::Theme;

const SEED: u64 = 7;

use super::text;

/// The blotter line of an order (its id and symbol).
fn line_of<'a>(screen: &'a str, id: &str, symbol: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("{id} ")) && l.contains(symbol))
        .unwrap_or_else(|| panic!("no line for {id} {symbol}:\n{screen}"))
}

async fn desk() -> (Embedded, App) {
    let c = desk_client(SEED).await;
    let a = desk_app(&c, Theme::dark(), &Keymap::defaults()).await;
    (c, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_digit_shows_at_200x60_and_nothing_is_cut_at_80x24() {
    let (_c, mut a) = desk().await;
    let wide = text(&render(&a, 200, 60));
    // Exact figures: the 50m bond and the 10m FX order keep every digit, with separators.
    assert!(line_of(&wide, "P2", "UST10Y").contains("50,000,000"), "{wide}");
    assert!(line_of(&wide, "P1", "EUR/USD").contains("10,000,000"), "{wide}");
    assert!(line_of(&wide, "P7", "SPY").contains("12,000,000"), "{wide}");
    assert!(!wide.contains(" 0,000,000"), "a leading digit lost:\n{wide}");
    // One clock: the time column and the status bar name the desk's zone, whatever the instrument.
    assert!(wide.contains("time EST") && wide.lines().next().unwrap().contains("EST"), "{wide}");
    insta::assert_snapshot!("desk_200x60", wide);

    let narrow = text(&render(&a, 80, 24));
    // Compact units, never cut digits: 50m, 10m, 12m; the columns that do not fit are announced.
    assert!(line_of(&narrow, "P2", "UST10Y").contains("50m"), "{narrow}");
    assert!(line_of(&narrow, "P7", "SPY").contains("12m"), "{narrow}");
    assert!(narrow.contains("more columns") && narrow.contains("? "), "{narrow}");
    assert!(!narrow.contains("0,000,000") || narrow.contains("10,000,000"), "{narrow}");
    insta::assert_snapshot!("desk_80x24", narrow);

    // The bond's TCA: every digit when there is room, compact units at 80x24, never cut.
    let tab = std::mem::replace(&mut a.tab, Tab::Tca);
    let filled = |s: &str| s.lines().find(|l| l.contains("│filled ")).unwrap_or_else(|| panic!("{s}")).to_string();
    let wide = text(&render(&a, 200, 60));
    assert!(filled(&wide).contains(" of 50,000,000"), "{wide}");
    let narrow = text(&render(&a, 80, 24));
    assert!(filled(&narrow).contains(" of 50m"), "{narrow}");
    assert!(narrow.contains("avg / arrival    98.576389 / 98.507813 │"), "{narrow}");
    // Bitcoin's two prices side by side would not fit: a line each.
    let bond = a.table.selected.replace(RowKey::Parent(ParentId::local(3)));
    let narrow = text(&render(&a, 80, 24));
    assert!(
        narrow.contains("│avg px           94,994.821 ") && narrow.contains("│arrival px       95,000.765 "),
        "{narrow}"
    );
    a.table.selected = bond;

    a.tab = tab;

    // Sideways: `>` brings the hidden columns in, `<` goes back; id, symbol, side and status stay.
    a.on_key(key(">"));
    a.on_key(key(">"));
    let scrolled = text(&render(&a, 80, 24));
    assert!(scrolled.contains("◀ 2"), "{scrolled}");
    assert!(line_of(&scrolled, "P2", "UST10Y").contains("working"), "{scrolled}");

    a.tab = Tab::Positions;
    let pos = text(&render(&a, 200, 60));
    assert!(pos.contains("-") && pos.contains("UST10Y") && pos.contains("CHF"), "{pos}");
    insta::assert_snapshot!("desk_positions_200x60", pos);
    // At 80 columns the fees stay beside the total they are taken from: both mid and
    // fees were dropped at once, and a row's realised and unrealised did not add up to its
    // total (BTC-USD: 0 and -2.36k, total -3.43k). The mid alone gives way.
    let narrow = text(&render(&a, 80, 24));
    let head = narrow.lines().find(|l| l.contains("unrealised")).unwrap_or_else(|| panic!("{narrow}"));
    assert!(head.contains(" fees ") && head.contains(" total "), "{narrow}");
    let btc = line_of(&narrow, "local", "BTC-USD");
    assert!(btc.contains("-2.36k") && btc.contains("-1.07k") && btc.contains("-3.43k"), "{btc}");
    // The footnote was cut at 80 columns ("unrealised against" what?): whole, shorter.
    let foot = narrow.lines().find(|l| l.contains("realised on")).unwrap_or_else(|| panic!("{narrow}"));
    assert!(foot.contains("unrealised") && foot.contains("mid"), "{foot}");
    insta::assert_snapshot!("desk_positions_80x24", narrow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_order_the_engine_accepts_keeps_every_digit() {
    let (_c, mut a) = desk().await;
    // The SPY order made the largest the engine takes (MAX_ORDER_QTY, 1e12), 40% filled for
    // the largest notional it takes (MAX_ORDER_NOTIONAL, 1e12 USD, so an average of 2.5).
    let (mut orders, details) = (a.orders.clone(), a.details.clone());
    let spy = &mut orders.iter_mut().find(|o| o.order.symbol.as_ref() == "SPY").unwrap().order;
    let id = spy.id.to_string();
    spy.qty = MAX_ORDER_QTY;
    spy.filled = Qty::from_int(400_000_000_000);
    spy.notional = MAX_ORDER_NOTIONAL;
    a.set_orders(orders, details);
    a.columns.toggle(Col::Notional);

    let wide = text(&render(&a, 200, 60));
    let row = line_of(&wide, &id, "SPY");
    // Written out by hand: qty, filled, leaves (1e12 - 4e11), the notional.
    for figure in ["1,000,000,000,000", "400,000,000,000", "600,000,000,000", "1,000,000,000,000 USD"] {
        assert!(row.contains(figure), "{figure} in {row}");
    }
    assert!(row.contains(" 2.500 "), "average 1e12 USD / 4e11 = 2.5: {row}");
    // At 80x24 the same figures in compact units, no digit cut: 1tn, 400bn.
    let narrow = text(&render(&a, 80, 24));
    let row = line_of(&narrow, &id, "SPY");
    assert!(row.contains("1tn") && row.contains("400bn"), "{row}");
    // The positions tab: 400bn bought at 2.50 on the book's total line too.
    a.tab = Tab::Positions;
    let pos = text(&render(&a, 200, 60));
    let line = pos.lines().find(|l| l.contains("SPY")).unwrap_or_else(|| panic!("{pos}"));
    assert!(line.contains("400,000,000,000") && line.contains("2.50"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_sidecar_greys_the_desk_and_says_so() {
    let c = desk_client(SEED).await;
    let a = disconnected_app(&c, &Keymap::defaults()).await;
    let s = text(&render(&a, 160, 48));
    let top = s.lines().next().unwrap();
    assert!(top.contains("STALE") && top.contains("✗ down"), "{top}");
    assert!(top.contains("down 11 s") && top.contains("next try in 4 s"), "an honest countdown: {top}");
    assert!(s.contains("Blotter · 7 orders · STALE"), "{s}");
    assert!(s.contains("not answering: what is shown is as of the last update"), "{s}");
    insta::assert_snapshot!("desk_disconnected", s);
}

fn key(k: &str) -> crossterm::event::KeyEvent {
    let k: blotter::tui::keymap::Key = k.parse().unwrap();
    crossterm::event::KeyEvent::new(k.code, k.mods)
}

/// Carries out cancels as the UI's worker would.
async fn carry_out(c: &Embedded, effects: Vec<Effect>) -> Vec<ParentId> {
    let mut done = Vec::new();
    for e in effects {
        if let Effect::Cancel(id) = e {
            c.cancel(id).await.unwrap();
            done.push(id);
        }
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_cancel_by_filter_cancels_what_the_filter_shows_and_nothing_else() {
    let (c, mut a) = desk().await;
    // What should go, worked out from the engine's own listing: working sells.
    let before = c.orders(Default::default()).await.unwrap().items;
    let mut want: Vec<ParentId> = before
        .iter()
        .filter(|o| o.order.side == Side::Sell && o.order.status == ParentStatus::Working)
        .map(|o| o.order.id)
        .collect();
    want.sort();
    assert_eq!(want.len(), 2, "the bond and the bitcoin sells work at 10:15: {want:?}");
    let untouched: Vec<ParentId> = before
        .iter()
        .filter(|o| !o.order.status.is_terminal() && !want.contains(&o.order.id))
        .map(|o| o.order.id)
        .collect();

    // The filter narrows as it is typed; enter keeps it; `*` marks what it shows; `x` asks first.
    press(&c, &mut a, &["/", "=side:sell status:work"]).await;
    assert_eq!(a.table.shown_orders(&a.orders).len(), 2, "live: narrowed before enter");
    press(&c, &mut a, &["enter", "*"]).await;
    assert!(press(&c, &mut a, &["x"]).await.is_empty(), "nothing is cancelled before the answer");
    let Some(Overlay::Question(Question::Bulk(_, asked))) = &a.overlay else { panic!("no question: {:?}", a.overlay) };
    assert_eq!(asked.len(), 2);
    let effects = press(&c, &mut a, &["y"]).await;
    let mut cancelled = carry_out(&c, effects).await;
    cancelled.sort();
    assert_eq!(cancelled, want);
    assert!(a.table.marked.is_empty(), "marks go once used");

    // The venues acknowledge the children's cancels after their latency.
    c.with_engine(|e| e.run_until(e.now() + blotter::model::Duration::secs(1)));
    reload(&c, &mut a).await;
    for id in &want {
        assert_eq!(a.orders.iter().find(|o| o.order.id == *id).unwrap().order.status, ParentStatus::Cancelled);
    }
    for id in &untouched {
        let o = a.orders.iter().find(|o| o.order.id == *id).unwrap();
        assert!(!o.order.status.is_terminal(), "{id} was not shown by the filter and stays {}", o.order.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_palette_cancels_every_order_the_filter_shows_after_asking() {
    let (c, mut a) = desk().await;
    press(&c, &mut a, &["/", "=sym:EUR", "enter", ":", "=cancel", "enter"]).await;
    let Some(Overlay::Question(Question::Bulk(_, ids))) = &a.overlay else { panic!("{:?}", a.overlay) };
    assert_eq!(ids, &vec![ParentId::local(1)], "only the EUR/USD order is shown");
    let effects = press(&c, &mut a, &["y"]).await;
    assert_eq!(effects, vec![Effect::Cancel(ParentId::local(1))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_match_the_fills() {
    let (c, a) = desk().await;
    // Independently of the positions code: net and realised P&L from the raw fills.
    let orders = c.orders(Default::default()).await.unwrap().items;
    let mut aapl = (0.0, 0.0, 0.0, 0.0); // bought, buy px x qty, sold, sell px x qty
    for o in &orders {
        let d = c.order(o.order.id).await.unwrap();
        let (q, n): (f64, f64) =
            d.fills.iter().fold((0.0, 0.0), |(q, n), f| (q + f.qty.to_f64(), n + f.qty.to_f64() * f.px.to_f64()));
        let p = a.positions.rows.iter().find(|p| p.symbol == *o.order.symbol).unwrap();
        if o.order.symbol.as_ref() == "AAPL" {
            match o.order.side {
                Side::Buy => (aapl.0, aapl.1) = (aapl.0 + q, aapl.1 + n),
                Side::Sell => (aapl.2, aapl.3) = (aapl.2 + q, aapl.3 + n),
            }
        } else {
            let net = p.net_raw() as f64 / 1e6;
            let want = if o.order.side == Side::Buy { q } else { -q };
            assert!((net - want).abs() < 1e-6, "{}: {net} vs fills {want}", o.order.symbol);
        }
    }
    let p = a.positions.rows.iter().find(|p| p.symbol == "AAPL").unwrap();
    assert!((p.net_raw() as f64 / 1e6 - (aapl.0 - aapl.2)).abs() < 1e-6);
    // Realised on the matched quantity at the average prices of each side.
    let realised = aapl.2.min(aapl.0) * (aapl.3 / aapl.2 - aapl.1 / aapl.0);
    assert!((p.realised() - realised).abs() < 1e-6 * realised.abs().max(1.0), "{} vs {realised}", p.realised());
    assert!(aapl.2 > 0.0 && aapl.0 > aapl.2, "bought 60k, sold 20k by 10:15: {aapl:?}");
}

/// Whether `s` holds a figure of five or more integer digits with no
/// thousands separator (`95036.40`).
fn unseparated(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let before_ok = start == 0 || !(b[start - 1].is_ascii_digit() || b[start - 1] == b',');
        if i - start >= 5 && before_ok && i < b.len() && b[i] == b'.' {
            return Some(s.get(start..(i + 3).min(s.len())).unwrap_or(&s[start..i]).to_string());
        }
        i = if i == start { i + 1 } else { i };
    }
    None
}

/// Keys: `:P3` enter (the BTC-USD order), `1`, then `2`. The venues title read
/// "mid 95036.40" over a book of "95,034.30", the TCA price chart's axis and
/// its VWAP the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_in_titles_and_chart_axes_have_separators() {
    let (c, mut a) = desk().await;
    press(&c, &mut a, &[":", "=P3", "enter"]).await;
    for tab in [Tab::Venues, Tab::Tca] {
        a.tab = tab;
        let s = text(&render(&a, 200, 60));
        assert!(s.contains("BTC-USD"), "{s}");
        assert_eq!(unseparated(&s), None, "{tab:?}:\n{s}");
    }
}

/// The venues title gave the simulator's latent mid (UST10Y "mid 98.626397")
/// over an NBBO of 98.625000 / 98.640625 whose mid is 98.6328125: two
/// figures called the mid on one screen, 0.6 bp apart (keys: 1 on the
/// mixed desk, the bond selected). The title's mid is the NBBO's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_venues_title_gives_the_nbbo_mid() {
    let (_c, mut a) = desk().await;
    a.tab = Tab::Venues;
    let s = text(&render(&a, 120, 40));
    let nbbo = s.lines().find(|l| l.contains("★ NBBO")).unwrap_or_else(|| panic!("{s}"));
    assert!(nbbo.contains("98.625000") && nbbo.contains("98.640625"), "{nbbo}");
    let title = s.lines().find(|l| l.contains("consolidated book")).unwrap_or_else(|| panic!("{s}"));
    // By hand: (98.625 + 98.640625) / 2 = 98.6328125, to six decimals 98.632812 or 98.632813.
    assert!(title.contains("UST10Y consolidated book · mid 98.63281"), "{title}");
}

/// The ticket warned of the collar against the simulator's latent mid while
/// the engine's risk check measures from the NBBO's: a UST10Y limit of
/// 88.765625 is 999.8 bps under the latent 98.626397 and 1000.4 bps under
/// the NBBO mid 98.6328125 (by hand), so the ticket said nothing and the
/// engine refused it past the ±1000 bps collar (keys: n UST10Y tab tab 1m
/// tab tab 88.765625). The ticket's mid is the NBBO's, as the engine's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_measures_the_collar_from_the_engines_mid() {
    let (c, _) = desk().await;
    let desk = blotter::tui::scenario::actor().tenant;
    c.set_limits(&desk, None, blotter::risk::Limits::fat_finger()).await.expect("a supervisor sets limits");
    let mut a = desk_app(&c, Theme::dark(), &Keymap::defaults()).await;
    press(&c, &mut a, &["n", "=UST10Y", "tab", "tab", "=1m", "tab", "tab", "=88.765625"]).await;
    let s = text(&render(&a, 120, 40));
    assert!(s.contains("mid / spread 98.632812"), "{s}");
    assert!(s.contains("past the collar: will be refused"), "{s}");
}
