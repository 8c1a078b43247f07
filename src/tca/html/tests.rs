use super::*;
use crate::tca::group::Dim;
use crate::tca::review::review;

fn sample() -> Review {
    let mut b = crate::tca::group::tests::batch();
    b.orders[0].order.id = "<script>alert(1)</script>".into();
    b.orders[0].order.broker = Some("A&B \"quoted\"".into());
    review(b, &[vec![Dim::Broker], vec![Dim::Venue, Dim::Symbol]], chrono_tz::America::New_York, 1.5)
}

#[test]
fn the_page_is_self_contained_and_escapes_what_the_files_said() {
    let html = page(&sample(), Some(10));
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
    for remote in ["http://", "https://", "src=", "<link", "@import"] {
        assert!(!html.contains(remote), "the report reaches out through {remote}");
    }
    assert!(!html.contains("<script>alert"), "input text must be escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("A&amp;B &quot;quoted&quot;"));
    assert!(html.contains("Times in America/New_York"));
}

#[test]
fn the_page_has_every_section_and_chart() {
    let r = sample();
    let html = page(&r, None);
    for h in [
        "Summary",
        "Cost distribution and slippage against size",
        "By broker",
        "By venue × symbol",
        "Orders (4)",
        "Order charts (4 of 4)",
        "Issues (0)",
    ] {
        assert!(html.contains(&format!("<h2>{h}</h2>")), "missing {h}");
    }
    // Summary distribution, size chart, and one chart per order.
    assert_eq!(html.matches("<svg").count(), 2 + 4);
    // The grouped figures are the review's: MS's shortfall 566.00; O1 now has its own broker,
    // leaving GS with O3's 21.00.
    assert!(html.contains(">566.00<") && html.contains(">21.00<"));
}

#[test]
fn outliers_are_charted_first_then_the_costliest() {
    let r = sample();
    // Beyond 1.5 sd of the whole batch: O3 and O4 (see group tests); O4 is also the costliest.
    let picked: Vec<&str> = charted(&r, Some(3)).iter().map(|o| o.order.id.as_str()).collect();
    assert_eq!(&picked[..2], &["O3", "O4"]);
    // The third is the costliest of the rest: the 49 bps order (renamed here), ahead of O2's 40.
    assert_eq!(picked[2], "<script>alert(1)</script>");
    assert_eq!(charted(&r, Some(0)).len(), 2, "outliers are always charted");
}
