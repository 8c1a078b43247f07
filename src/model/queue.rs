//! Queue-position models: where our resting order stands among others'
//! orders at its price when the displayed size there shrinks.
//!
//! Trades at our price always consume the size ahead of us first. What a
//! venue's feed does not say is where a *cancel* came from. The models are
//! those of hftbacktest (`backtest/models/queue.rs`; see also Rigtorp, 2013,
//! "Estimating order queue position"):
//!
//! | name | a decrease of the displayed size comes from |
//! |---|---|
//! | `risk-averse` (default) | behind us; only when the level shrinks below the size ahead does the size ahead shrink with it |
//! | `log` | ahead with probability `1 - p`, `p = f(back) / (f(back) + f(front))`, `f(x) = ln(1 + x)` |
//! | `power[:n]` | the same with `f(x) = x^n` (default n = 2: cancels mostly from the longer side) |
//! | `power3[:n]` | `p = 1 - (front / (front + back))^n` (default n = 3) |
//!
//! `risk-averse` is the conservative choice: our order advances only by
//! trades, as if every cancel were behind it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A queue-position model.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum QueueModel {
    /// Cancels come from behind us.
    #[default]
    RiskAverse,
    /// Cancels split by `ln(1 + back)` against `ln(1 + front)`.
    Log,
    /// Cancels split by `back^n` against `front^n`.
    Power(f64),
    /// Probability `1 - (front / (front + back))^n` that a cancel was behind us.
    Power3(f64),
}

/// The names accepted, for error messages and help.
pub const QUEUE_MODELS: &str = "risk-averse, log, power[:n], power3[:n]";

impl QueueModel {
    /// Probability that a decrease of the displayed size at our price came
    /// from behind us, given the size `front` ahead and `back` behind.
    pub fn prob_behind(self, front: f64, back: f64) -> f64 {
        let (front, back) = (front.max(0.0), back.max(0.0));
        let p = match self {
            QueueModel::RiskAverse => 1.0,
            QueueModel::Log => {
                let (b, f) = (back.ln_1p(), front.ln_1p());
                b / (b + f)
            }
            QueueModel::Power(n) => {
                let (b, f) = (back.powf(n), front.powf(n));
                b / (b + f)
            }
            QueueModel::Power3(n) => 1.0 - (front / (front + back)).powf(n),
        };
        // 0/0 (nobody at the level): nothing is ahead to lose.
        if p.is_finite() { p.clamp(0.0, 1.0) } else { 1.0 }
    }

    /// The size ahead of us after the displayed size at our price went from
    /// `before` to `after` by cancels (trades already taken out), with
    /// `front` ahead of us before. Never more than `after`.
    pub fn front_after_cancels(self, front: f64, before: f64, after: f64) -> f64 {
        let after = after.max(0.0);
        let chg = before - after;
        if chg <= 0.0 {
            return front.min(after);
        }
        let back = (before - front).max(0.0);
        let p = self.prob_behind(front, back);
        // hftbacktest's estimate: the share 1 - p of the decrease comes from
        // ahead, and whatever exceeds the size behind must have too.
        let est = front - (1.0 - p) * chg + (back - p * chg).min(0.0);
        est.clamp(0.0, after)
    }
}

impl fmt::Display for QueueModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueModel::RiskAverse => f.write_str("risk-averse"),
            QueueModel::Log => f.write_str("log"),
            QueueModel::Power(n) => write!(f, "power:{n}"),
            QueueModel::Power3(n) => write!(f, "power3:{n}"),
        }
    }
}

impl FromStr for QueueModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let (name, arg) = match t.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (t.as_str(), None),
        };
        let exponent = |default: f64| -> Result<f64, String> {
            let Some(a) = arg else { return Ok(default) };
            match a.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 && n <= 100.0 => Ok(n),
                _ => Err(format!("queue model '{s}': exponent '{a}' must be a number in (0, 100]")),
            }
        };
        let no_arg = |m: QueueModel| match arg {
            None => Ok(m),
            Some(_) => Err(format!("queue model '{s}': {m} takes no exponent")),
        };
        match name {
            "risk-averse" | "riskaverse" | "risk_averse" | "conservative" => no_arg(QueueModel::RiskAverse),
            "log" => no_arg(QueueModel::Log),
            "power" => Ok(QueueModel::Power(exponent(2.0)?)),
            "power3" => Ok(QueueModel::Power3(exponent(3.0)?)),
            _ => Err(format!("unknown queue model '{}'; allowed: {QUEUE_MODELS}", s.trim())),
        }
    }
}

impl TryFrom<String> for QueueModel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<QueueModel> for String {
    fn from(m: QueueModel) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_list_the_allowed_ones() {
        for s in ["risk-averse", "log", "power:2", "power:1.5", "power3:3"] {
            assert_eq!(s.parse::<QueueModel>().unwrap().to_string(), s);
        }
        assert_eq!("power".parse::<QueueModel>().unwrap(), QueueModel::Power(2.0));
        assert_eq!(" Power3 ".parse::<QueueModel>().unwrap(), QueueModel::Power3(3.0));
        assert_eq!("conservative".parse::<QueueModel>().unwrap(), QueueModel::RiskAverse);
        let e = "fifo".parse::<QueueModel>().unwrap_err();
        assert!(e.contains("fifo") && e.contains(QUEUE_MODELS), "{e}");
        assert!("power:-1".parse::<QueueModel>().unwrap_err().contains("(0, 100]"));
        assert!("log:2".parse::<QueueModel>().unwrap_err().contains("takes no exponent"));
        assert_eq!(QueueModel::default(), QueueModel::RiskAverse);
    }

    /// 300 ahead, 700 behind, the level shrinks from 1,000 to 800 by cancels.
    /// risk-averse: all from behind, 300 still ahead. power:2: p = 700^2 /
    /// (700^2 + 300^2) = 0.844828, so 0.155172 x 200 = 31.03 came from ahead:
    /// 268.97. log: p = ln 701 / (ln 701 + ln 301) = 6.552508 / 12.259618 =
    /// 0.534479; 0.465521 x 200 = 93.10 from ahead: 206.90. power3:3: p = 1 -
    /// 0.3^3 = 0.973: 5.4 from ahead: 294.6.
    #[test]
    fn cancels_are_split_by_hand() {
        let f = |m: QueueModel| m.front_after_cancels(300.0, 1_000.0, 800.0);
        assert_eq!(f(QueueModel::RiskAverse), 300.0);
        assert!((f(QueueModel::Power(2.0)) - 268.9655).abs() < 1e-3, "{}", f(QueueModel::Power(2.0)));
        assert!((f(QueueModel::Log) - 206.896).abs() < 1e-3, "{}", f(QueueModel::Log));
        assert!((f(QueueModel::Power3(3.0)) - 294.6).abs() < 1e-9);
    }

    /// A level shrinking below the size ahead takes the size ahead with it
    /// (the probabilistic models may say more of it went: 300 ahead, 900 of
    /// 1,000 cancelled, log takes 0.4655 x 900 = 419 from ahead, so none is
    /// left); a growing level adds behind us.
    #[test]
    fn never_more_ahead_than_displayed() {
        assert_eq!(QueueModel::RiskAverse.front_after_cancels(300.0, 1_000.0, 100.0), 100.0);
        assert_eq!(QueueModel::Log.front_after_cancels(300.0, 1_000.0, 100.0), 0.0);
        for m in [QueueModel::RiskAverse, QueueModel::Log, QueueModel::Power(2.0), QueueModel::Power3(3.0)] {
            assert!(m.front_after_cancels(300.0, 1_000.0, 100.0) <= 100.0, "{m}");
            assert_eq!(m.front_after_cancels(300.0, 1_000.0, 1_500.0), 300.0, "{m}");
            assert_eq!(m.front_after_cancels(0.0, 0.0, 0.0), 0.0, "{m}");
            // More cancelled than was behind: the excess came from ahead.
            assert!(m.front_after_cancels(300.0, 400.0, 250.0) <= 250.0, "{m}");
        }
        assert_eq!(QueueModel::Log.prob_behind(0.0, 0.0), 1.0);
    }
}
