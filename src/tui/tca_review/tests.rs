use super::*;
use crate::tca::group::Dim;
use crate::tca::review::review;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn view() -> ReviewView {
    let b = crate::tca::group::tests::batch();
    let r = review(b, &[vec![Dim::Broker], vec![Dim::Venue]], chrono_tz::UTC, 1.5);
    ReviewView::new(r, Theme::dark())
}

fn screen(v: &ReviewView) -> String {
    let mut term = Terminal::new(TestBackend::new(150, 30)).unwrap();
    term.draw(|f| f.render_widget(v, f.area())).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn press(v: &mut ReviewView, code: KeyCode) -> Outcome {
    v.key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn groups_then_orders_then_an_order_and_back() {
    let mut v = view();
    let s = screen(&v);
    assert!(s.contains("TCA review") && s.contains("4 of 4 orders") && s.contains("times in UTC"), "{s}");
    assert!(s.contains(" broker ") && s.contains(" venue "), "{s}");
    // MS first (larger paper): 566 / 120,900 = +46.8 bps; GS 266 / 60,000 = +44.3.
    let ms = s.lines().find(|l| l.contains("MS")).unwrap();
    assert!(ms.contains("120,900") && ms.contains("+46.8"), "{ms}");
    assert!(s.lines().any(|l| l.contains("GS") && l.contains("+44.3")), "{s}");
    assert!(s.contains("all orders: IS +46.0"), "{s}");

    press(&mut v, KeyCode::Down);
    press(&mut v, KeyCode::Enter);
    let s = screen(&v);
    assert!(s.contains("GS: 2 order(s), costliest first"), "{s}");
    // O1 (49 bps) before O3 (21 bps), sides as words.
    let (o1, o3) = (s.find("O1").unwrap(), s.find("O3").unwrap());
    assert!(o1 < o3, "{s}");
    assert!(s.contains("▲ BUY"));

    press(&mut v, KeyCode::Enter);
    let s = screen(&v);
    assert!(s.contains("O1 AAA buy 1,000") && s.contains("broker GS, algo VWAP"), "{s}");
    assert!(s.contains("IS bps") && s.contains("+49.0"), "{s}");
    assert!(s.contains("market VWAP"), "the chart is drawn: {s}");

    assert_eq!(press(&mut v, KeyCode::Esc), Outcome::Continue);
    assert!(matches!(v.level, Level::Orders { .. }));
    assert_eq!(press(&mut v, KeyCode::Esc), Outcome::Continue);
    assert_eq!((v.level.clone(), v.selected), (Level::Groups, 1), "back on the group it came from");
    assert_eq!(press(&mut v, KeyCode::Esc), Outcome::Quit);
}

#[test]
fn tabs_switch_the_grouping_and_outliers_are_flagged() {
    let mut v = view();
    press(&mut v, KeyCode::Tab);
    assert_eq!(v.dims(), &[Dim::Venue]);
    let s = screen(&v);
    assert!(s.contains("NYSE") && s.contains("IEX") && s.contains("ARCA"), "{s}");
    press(&mut v, KeyCode::Enter);
    let s = screen(&v);
    assert!(s.contains("NYSE: 3 order(s)"), "{s}");
    press(&mut v, KeyCode::Left);
    assert_eq!((v.dims(), &v.level), (&[Dim::Broker][..], &Level::Groups));
    assert_eq!(press(&mut v, KeyCode::Char('q')), Outcome::Quit);
}

#[test]
fn movement_stays_in_range_and_small_terminals_are_told() {
    let mut v = view();
    press(&mut v, KeyCode::End);
    assert_eq!(v.selected, 1);
    press(&mut v, KeyCode::PageDown);
    assert_eq!(v.selected, 1);
    press(&mut v, KeyCode::Home);
    assert_eq!(v.selected, 0);
    press(&mut v, KeyCode::Up);
    assert_eq!(v.selected, 0);
    let mut term = Terminal::new(TestBackend::new(30, 5)).unwrap();
    term.draw(|f| f.render_widget(&v, f.area())).unwrap();
    let row: String = (0..30).map(|x| term.backend().buffer()[(x, 0)].symbol().to_string()).collect();
    assert!(row.starts_with("the terminal is too small"), "{row}");
}
