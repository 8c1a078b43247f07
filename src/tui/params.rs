//! The ticket's per-algorithm parameter fields, as one table: a new algorithm
//! or parameter is one entry here. Names match `--param` on the command line
//! (see docs/algorithms.md); the engine validates them again at
//! submission, and its message is shown next to the field if it disagrees.

use crate::model::{AlgoKind, Duration, Price, Qty};

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A whole number in [lo, hi].
    Int(i64, i64),
    /// A number in (lo, hi] when the flag is true, else [lo, hi].
    Float(f64, f64, bool),
    /// A positive quantity (`k`/`m` suffixes).
    Qty,
    /// A positive price.
    Price,
    /// A duration such as `30s` or `5m` in [min, max].
    Duration(Duration, Duration),
    /// One of these words.
    Choice(&'static [&'static str]),
}

/// One parameter of one algorithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// Algorithm it belongs to (`None`: every algorithm).
    pub algo: Option<AlgoKind>,
    /// Name as sent to the engine.
    pub name: &'static str,
    /// Label in the ticket.
    pub label: &'static str,
    /// What it accepts.
    pub kind: ParamKind,
    /// One line of help shown when the field is focused and empty.
    pub help: &'static str,
}

const fn p(algo: AlgoKind, name: &'static str, label: &'static str, kind: ParamKind, help: &'static str) -> ParamSpec {
    ParamSpec { algo: Some(algo), name, label, kind, help }
}

/// Every parameter the ticket offers, in display order.
pub const PARAMS: &[ParamSpec] = &[
    p(AlgoKind::Twap, "slices", "slices", ParamKind::Int(1, 10_000), "number of slices (default: one per 5 min)"),
    p(
        AlgoKind::Twap,
        "randomize",
        "randomize",
        ParamKind::Float(0.0, 0.5, false),
        "jitter of slice time and size, 0-0.5",
    ),
    p(AlgoKind::Twap, "urgency", "urgency", URGENCY, "passive posts at the touch; aggressive crosses"),
    p(
        AlgoKind::Twap,
        "display",
        "display",
        ParamKind::Float(0.0, 1000.0, true),
        "most a passive child shows, in touch depths (0, 1000]",
    ),
    p(
        AlgoKind::Vwap,
        "forecast",
        "forecast",
        ParamKind::Choice(&["dynamic", "static"]),
        "dynamic re-forecasts from the prints; static keeps the curve",
    ),
    p(AlgoKind::Vwap, "slices", "slices", ParamKind::Int(1, 10_000), "number of volume-curve buckets"),
    p(
        AlgoKind::Vwap,
        "max_pct",
        "max part.",
        ParamKind::Float(0.0, 0.5, true),
        "cap on share of market volume, (0, 0.5]",
    ),
    p(
        AlgoKind::Vwap,
        "min_pct",
        "min part.",
        ParamKind::Float(0.0, 0.5, true),
        "floor on share of market volume, (0, 0.5]",
    ),
    p(
        AlgoKind::Vwap,
        "priority",
        "priority",
        ParamKind::Choice(&["participation", "completion"]),
        "when capped: keep the cap, or finish on time",
    ),
    p(
        AlgoKind::Vwap,
        "half_life",
        "half-life",
        ParamKind::Duration(Duration::mins(1), Duration::mins(24 * 60)),
        "how fast the volume pace forgets, 1m-24h (the window, 10m-4h)",
    ),
    p(
        AlgoKind::Vwap,
        "recent",
        "recent",
        ParamKind::Duration(Duration(0), Duration::mins(24 * 60)),
        "dynamic: look-back that re-scales the level at the start, 0s-24h (12h; 0s off)",
    ),
    p(
        AlgoKind::Vwap,
        "recent_weight",
        "recent wt.",
        ParamKind::Float(0.0, 1.0, false),
        "dynamic: exponent on the look-back's volume against the profile's, 0-1 (0.75)",
    ),
    p(
        AlgoKind::Vwap,
        "recent_mean",
        "recent avg",
        ParamKind::Choice(&["volume", "hourly"]),
        "dynamic: the look-back as one ratio, or hour by hour",
    ),
    p(
        AlgoKind::Vwap,
        "prior_weight",
        "prior wt.",
        ParamKind::Float(0.25, 8.0, false),
        "dynamic: the profile's weight, in half-lives of volume, 0.25-8 (1.5)",
    ),
    p(
        AlgoKind::Vwap,
        "step",
        "step",
        ParamKind::Duration(Duration::secs(10), Duration::mins(30)),
        "dynamic: how often it re-checks, 10s-30m",
    ),
    p(AlgoKind::Vwap, "min_child", "min child", ParamKind::Qty, "dynamic: smallest catch-up crossed"),
    p(AlgoKind::Vwap, "urgency", "urgency", URGENCY, "static: passive posts at the touch; aggressive crosses"),
    p(
        AlgoKind::Vwap,
        "display",
        "display",
        ParamKind::Float(0.0, 1000.0, true),
        "most a resting child shows, in touch depths (0, 1000]",
    ),
    p(AlgoKind::Pov, "rate", "rate", ParamKind::Float(0.0, 0.5, true), "target share of market volume, (0, 0.5]"),
    p(AlgoKind::Pov, "min_child", "min child", ParamKind::Qty, "smallest child order"),
    p(AlgoKind::Pov, "max_child", "max child", ParamKind::Qty, "largest child order"),
    p(AlgoKind::Pov, "burst", "burst", ParamKind::Qty, "most sent at once to catch up"),
    p(
        AlgoKind::Pov,
        "urgency",
        "urgency",
        ParamKind::Choice(&["aggressive", "passive"]),
        "aggressive crosses; passive posts",
    ),
    p(AlgoKind::Iceberg, "tip", "tip", ParamKind::Qty, "displayed quantity (a limit price is required)"),
    p(AlgoKind::Iceberg, "tip_variance", "tip var.", ParamKind::Float(0.0, 0.9, false), "random tip variation, 0-0.9"),
    p(
        AlgoKind::Iceberg,
        "repeg",
        "repeg",
        ParamKind::Duration(Duration::secs(1), Duration::mins(60)),
        "re-peg the tip after this long, 1s-1h",
    ),
    p(
        AlgoKind::Is,
        "lambda",
        "lambda",
        ParamKind::Float(0.0, 1e12, false),
        "risk aversion: 0 = TWAP, larger front-loads",
    ),
    p(AlgoKind::Is, "slices", "slices", ParamKind::Int(1, 10_000), "number of trades in the trajectory"),
    p(
        AlgoKind::Is,
        "sigma",
        "sigma",
        ParamKind::Float(0.0, 1e12, true),
        "volatility per day (default: the instrument's)",
    ),
    p(AlgoKind::Is, "eta", "eta", ParamKind::Float(0.0, 1e12, true), "temporary impact (default from spread and ADV)"),
    p(
        AlgoKind::Is,
        "gamma",
        "gamma",
        ParamKind::Float(0.0, 1e12, false),
        "permanent impact (default from spread and ADV)",
    ),
    p(
        AlgoKind::Is,
        "epsilon",
        "epsilon",
        ParamKind::Float(0.0, 1e12, false),
        "fixed cost per unit: half spread plus fees",
    ),
    p(AlgoKind::Is, "urgency", "urgency", URGENCY, "passive posts at the touch; aggressive crosses"),
    p(
        AlgoKind::Is,
        "display",
        "display",
        ParamKind::Float(0.0, 1000.0, true),
        "most a passive child shows, in touch depths (0, 1000]",
    ),
    p(AlgoKind::Sniper, "min_size", "min size", ParamKind::Qty, "least displayed size worth taking"),
    p(AlgoKind::Sniper, "max_clip", "max clip", ParamKind::Qty, "most taken at once"),
    p(
        AlgoKind::Moc,
        "submit_before",
        "submit at",
        ParamKind::Duration(Duration::secs(1), Duration::mins(360)),
        "how long before the cutoff, 1s-6h",
    ),
    p(
        AlgoKind::Moc,
        "max_pct",
        "max share",
        ParamKind::Float(0.0, 1.0, true),
        "cap as a share of expected auction volume",
    ),
    ParamSpec {
        algo: None,
        name: "on_pause",
        label: "on pause",
        kind: ParamKind::Choice(&["cancel", "keep"]),
        help: "cancel or keep working children when paused",
    },
];

const URGENCY: ParamKind = ParamKind::Choice(&["passive", "aggressive"]);

/// The parameters shown for an algorithm.
pub fn for_algo(algo: AlgoKind) -> impl Iterator<Item = &'static ParamSpec> {
    PARAMS.iter().filter(move |s| s.algo.is_none_or(|a| a == algo))
}

/// The parameter `name` of `algo`: names repeat across algorithms with other
/// ranges, labels and help (`max_pct` of VWAP and of MOC), so never by name alone.
pub fn spec(algo: AlgoKind, name: &str) -> Option<&'static ParamSpec> {
    for_algo(algo).find(|s| s.name == name)
}

/// A duration in its largest whole unit (`0s`, `10s`, `30m`, `24h`).
fn duration_text(d: Duration) -> String {
    let ns = d.0;
    let (h, m, s) = (Duration::mins(60).0, Duration::mins(1).0, Duration::secs(1).0);
    match ns {
        0 => "0s".into(),
        _ if ns % h == 0 => format!("{}h", ns / h),
        _ if ns % m == 0 => format!("{}m", ns / m),
        _ if ns % s == 0 => format!("{}s", ns / s),
        _ => format!("{}s", d.as_secs_f64()),
    }
}

impl ParamKind {
    /// Whether `c` may be typed into the field.
    pub fn accepts_char(self, c: char) -> bool {
        match self {
            ParamKind::Int(..) => c.is_ascii_digit(),
            ParamKind::Float(..) => c.is_ascii_digit() || c == '.' || c == 'e' || c == '-',
            ParamKind::Qty => c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M'),
            ParamKind::Price => c.is_ascii_digit() || c == '.',
            ParamKind::Duration(..) => c.is_ascii_digit() || matches!(c, '.' | 's' | 'm' | 'h'),
            ParamKind::Choice(_) => c.is_ascii_alphabetic(),
        }
    }

    /// What the field accepts, for the message shown when another character is typed.
    pub fn allowed(self) -> String {
        match self {
            ParamKind::Int(lo, hi) => format!("a whole number {lo}..={hi}"),
            ParamKind::Float(lo, hi, open) => format!("a number in {}{lo}, {hi}]", if open { "(" } else { "[" }),
            ParamKind::Qty => "a quantity such as 500 or 2k".into(),
            ParamKind::Price => "a price such as 190.25".into(),
            ParamKind::Duration(lo, hi) => {
                format!("a duration such as 30s or 5m, {}-{}", duration_text(lo), duration_text(hi))
            }
            ParamKind::Choice(c) => c.join(" or "),
        }
    }

    /// Checks a typed value (empty means "use the default" and is always fine).
    pub fn check(self, s: &str) -> Result<(), String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(());
        }
        let bad = || format!("'{s}' is not {}", self.allowed());
        match self {
            ParamKind::Int(lo, hi) => {
                let v: i64 = s.parse().map_err(|_| bad())?;
                (lo..=hi).contains(&v).then_some(()).ok_or_else(|| format!("{v} is out of range; allowed: {lo}..={hi}"))
            }
            ParamKind::Float(lo, hi, open) => {
                let v: f64 = s.parse().map_err(|_| bad())?;
                let ok = v.is_finite() && (if open { v > lo } else { v >= lo }) && v <= hi;
                ok.then_some(()).ok_or_else(|| format!("{v} is out of range; allowed: {}", self.allowed()))
            }
            ParamKind::Qty => {
                let q = Qty::parse_human(s).map_err(|_| bad())?;
                q.is_positive().then_some(()).ok_or_else(|| format!("{q} must be positive"))
            }
            ParamKind::Price => {
                let p = Price::parse(s).map_err(|_| bad())?;
                p.is_positive().then_some(()).ok_or_else(|| format!("{p} must be positive"))
            }
            ParamKind::Duration(lo, hi) => {
                let d = Duration::parse(s).ok_or_else(bad)?;
                (lo..=hi)
                    .contains(&d)
                    .then_some(())
                    .ok_or_else(|| format!("{s} is out of range; allowed: {}", self.allowed()))
            }
            ParamKind::Choice(c) => c
                .iter()
                .any(|x| x.eq_ignore_ascii_case(s))
                .then_some(())
                .ok_or_else(|| format!("'{s}' is not one of: {}", c.join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_algorithm_shows_only_its_own_parameters() {
        let names = |a| for_algo(a).map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(AlgoKind::Pov), ["rate", "min_child", "max_child", "burst", "urgency", "on_pause"]);
        assert!(names(AlgoKind::Iceberg).contains(&"tip") && !names(AlgoKind::Iceberg).contains(&"rate"));
        assert!(names(AlgoKind::Is).contains(&"lambda"));
        assert!(names(AlgoKind::Sniper).contains(&"min_size"));
        for a in AlgoKind::ALL {
            assert!(names(a).contains(&"on_pause"), "{a}");
        }
    }

    /// A value the field accepts.
    fn sample(k: ParamKind) -> String {
        match k {
            ParamKind::Int(..) => "5".into(),
            ParamKind::Float(_, hi, _) => (hi.min(1.0) / 2.0).to_string(),
            ParamKind::Qty => "100".into(),
            ParamKind::Price => "100".into(),
            ParamKind::Duration(lo, _) => format!("{}s", lo.as_secs_f64().max(60.0)),
            ParamKind::Choice(c) => c[0].into(),
        }
    }

    /// Values at and just past the edges of what a field accepts, and one
    /// of another shape.
    fn probes(k: ParamKind) -> Vec<String> {
        let mut v = vec![sample(k)];
        match k {
            ParamKind::Int(lo, hi) => v.extend([lo - 1, lo, hi, hi + 1].map(|x| x.to_string())),
            ParamKind::Float(lo, hi, _) => {
                let eps = 1e-3;
                v.extend([lo - eps, lo, lo + eps, hi - eps, hi, hi + eps].map(|x| x.to_string()));
                v.push("1e400".into());
            }
            ParamKind::Qty => v.extend(["0", "1", "2k", "-5"].map(String::from)),
            ParamKind::Price => v.extend(["0", "100.5"].map(String::from)),
            ParamKind::Duration(lo, hi) => {
                let s = |d: i64| format!("{}ms", d / 1_000_000);
                v.extend([s(lo.0), s(hi.0), s(hi.0 + 1_000_000), "5".into(), "2d".into()]);
                if lo.0 > 0 {
                    v.push(s(lo.0 - 1_000_000));
                }
            }
            ParamKind::Choice(c) => {
                v.extend(c.iter().map(|w| w.to_ascii_uppercase()));
                v.push("bogus".into());
            }
        }
        v.push("x".into());
        v
    }

    /// Walks the table against the engine's own validation: every value at
    /// and around each field's bounds is accepted by the ticket exactly when
    /// the engine accepts it (a refusal naming that parameter), so the
    /// ticket never refuses what the engine takes, nor lets through what it
    /// refuses. An order of 10,000 AAPL (lot 1: every slice count up to the
    /// cap is possible) with a limit, so nothing else is refused.
    #[test]
    fn the_ticket_refuses_exactly_what_the_engine_refuses() {
        let e = crate::tui::scenario::engine(1);
        let mut checked = 0;
        for spec in PARAMS {
            for algo in AlgoKind::ALL.into_iter().filter(|a| spec.algo.is_none_or(|x| x == *a)) {
                for v in probes(spec.kind) {
                    let req = crate::engine::OrderRequest {
                        symbol: "AAPL".into(),
                        side: crate::model::Side::Buy,
                        qty: Qty::from_int(10_000),
                        algo,
                        params: [(spec.name.to_string(), v.clone())].into_iter().collect(),
                        start: None,
                        end: None,
                        limit_px: Price::parse("500").ok(),
                        decision_px: None,
                        acknowledge_warnings: false,
                    };
                    let field = format!("params.{}", spec.name);
                    let engine = e.preview(&req).err().filter(|r| r.field.as_deref() == Some(field.as_str()));
                    if let Some(r) = &engine {
                        assert!(!r.message.contains("unknown for"), "{algo} {}={v}: {}", spec.name, r.message);
                        // Against another parameter's value (`max_child` below the default
                        // `min_child`): not this field's own range, which is what is walked.
                        if for_algo(algo).any(|o| o.name != spec.name && r.message.contains(o.name)) {
                            continue;
                        }
                    }
                    let ticket = spec.kind.check(&v);
                    assert_eq!(
                        ticket.is_ok(),
                        engine.is_none(),
                        "{algo} {}={v}: ticket says {ticket:?}, engine {engine:?}",
                        spec.name
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "{checked} values walked");
    }

    #[test]
    fn names_shared_by_algorithms_keep_their_own_range_and_help() {
        let moc = spec(AlgoKind::Moc, "max_pct").unwrap();
        assert!(moc.kind.check("0.8").is_ok(), "MOC takes up to the whole auction volume");
        assert!(spec(AlgoKind::Vwap, "max_pct").unwrap().kind.check("0.8").is_err());
        assert_eq!(spec(AlgoKind::Vwap, "slices").unwrap().help, "number of volume-curve buckets");
        assert_eq!(spec(AlgoKind::Pov, "urgency").unwrap().kind, ParamKind::Choice(&["aggressive", "passive"]));
        assert!(spec(AlgoKind::Pov, "slices").is_none());
        assert_eq!(spec(AlgoKind::Sniper, "on_pause").unwrap().name, "on_pause");
    }

    #[test]
    fn a_duration_says_its_range_as_its_help_does() {
        let step = spec(AlgoKind::Vwap, "step").unwrap().kind;
        assert_eq!(step.check("5s").unwrap_err(), "5s is out of range; allowed: a duration such as 30s or 5m, 10s-30m");
        assert!(step.check("30m").is_ok() && step.check("0.5h").is_ok());
        assert_eq!(spec(AlgoKind::Vwap, "recent").unwrap().kind.check("0s"), Ok(()));
        // The help's range is the one the field checks (the same words).
        for s in PARAMS {
            if let ParamKind::Duration(lo, hi) = s.kind {
                let range = format!("{}-{}", duration_text(lo), duration_text(hi));
                assert!(s.help.contains(&range), "{}: '{}' does not say {range}", s.name, s.help);
            }
        }
    }

    #[test]
    fn values_are_checked_with_the_allowed_range() {
        let rate = ParamKind::Float(0.0, 0.5, true);
        assert!(rate.check("0.2").is_ok() && rate.check("").is_ok());
        assert_eq!(rate.check("0.7").unwrap_err(), "0.7 is out of range; allowed: a number in (0, 0.5]");
        assert_eq!(rate.check("0").unwrap_err(), "0 is out of range; allowed: a number in (0, 0.5]");
        assert!(ParamKind::Qty.check("2k").is_ok());
        assert!(ParamKind::Qty.check("0").unwrap_err().contains("positive"));
        assert!(ParamKind::Int(1, 10).check("11").unwrap_err().contains("1..=10"));
        assert!(ParamKind::Choice(&["cancel", "keep"]).check("hold").unwrap_err().contains("cancel, keep"));
        assert!(!ParamKind::Qty.accepts_char('x') && ParamKind::Qty.accepts_char('k'));
    }
}
