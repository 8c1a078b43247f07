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
    /// A duration such as `30s` or `5m`.
    Duration,
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
    p(AlgoKind::Vwap, "half_life", "half-life", ParamKind::Duration, "how fast the volume pace forgets, 1m-24h"),
    p(AlgoKind::Vwap, "step", "step", ParamKind::Duration, "dynamic: how often it re-checks, 10s-30m"),
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
    p(AlgoKind::Iceberg, "repeg", "repeg", ParamKind::Duration, "re-peg the tip after this long, 1s-60m"),
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
    p(AlgoKind::Moc, "submit_before", "submit at", ParamKind::Duration, "how long before the cutoff, 1s-360m"),
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

impl ParamKind {
    /// Whether `c` may be typed into the field.
    pub fn accepts_char(self, c: char) -> bool {
        match self {
            ParamKind::Int(..) => c.is_ascii_digit(),
            ParamKind::Float(..) => c.is_ascii_digit() || c == '.' || c == 'e' || c == '-',
            ParamKind::Qty => c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M'),
            ParamKind::Price => c.is_ascii_digit() || c == '.',
            ParamKind::Duration => c.is_ascii_digit() || matches!(c, '.' | 's' | 'm' | 'h'),
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
            ParamKind::Duration => "a duration such as 30s or 5m".into(),
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
            ParamKind::Duration => Duration::parse(s).map(|_| ()).ok_or_else(bad),
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
            ParamKind::Duration => "60s".into(),
            ParamKind::Choice(c) => c[0].into(),
        }
    }

    #[test]
    fn the_engine_knows_every_parameter_the_ticket_offers() {
        let e = crate::tui::scenario::engine(1);
        for spec in PARAMS {
            for algo in AlgoKind::ALL.into_iter().filter(|a| spec.algo.is_none_or(|x| x == *a)) {
                let v = sample(spec.kind);
                assert!(spec.kind.check(&v).is_ok(), "{} sample {v}", spec.name);
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
                if let Err(r) = e.preview(&req) {
                    assert!(!r.message.contains("unknown for"), "{algo} {}={v}: {}", spec.name, r.message);
                }
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
