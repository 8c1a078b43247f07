//! The keyboard editor of a tenant's risk limits: one text field per limit,
//! characters a field cannot hold refused as typed, every field checked as
//! you type with the message next to it, and nothing sent while any field
//! is wrong. An empty field means "no limit".

use crate::engine::view::InstrumentView;
use crate::model::{Money, NumError, Qty};
use crate::risk::Limits;
use std::collections::{BTreeMap, BTreeSet};
use tui_input::{Input, InputRequest};

/// The limits a supervisor can set, in form order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitField {
    /// Largest quantity of one order.
    MaxOrderQty,
    /// Largest notional of one order, USD.
    MaxOrderNotional,
    /// Hard limit, % of ADV.
    MaxAdvPct,
    /// Warning threshold, % of ADV.
    WarnAdvPct,
    /// Limit price distance from the mid, bps.
    PriceCollarBps,
    /// Symbols that may not be traded.
    RestrictedSymbols,
    /// Open orders per user.
    MaxOpenOrders,
    /// Notional per user per day, USD.
    MaxDailyNotional,
}

impl LimitField {
    /// Every field, in order.
    pub const ALL: [LimitField; 8] = [
        LimitField::MaxOrderQty,
        LimitField::MaxOrderNotional,
        LimitField::MaxAdvPct,
        LimitField::WarnAdvPct,
        LimitField::PriceCollarBps,
        LimitField::RestrictedSymbols,
        LimitField::MaxOpenOrders,
        LimitField::MaxDailyNotional,
    ];

    /// The engine's name of the limit (as in refusals and the API).
    pub fn name(self) -> &'static str {
        match self {
            LimitField::MaxOrderQty => "max_order_qty",
            LimitField::MaxOrderNotional => "max_order_notional",
            LimitField::MaxAdvPct => "max_adv_pct",
            LimitField::WarnAdvPct => "warn_adv_pct",
            LimitField::PriceCollarBps => "price_collar_bps",
            LimitField::RestrictedSymbols => "restricted_symbols",
            LimitField::MaxOpenOrders => "max_open_orders",
            LimitField::MaxDailyNotional => "max_daily_notional",
        }
    }

    /// Label in the form.
    pub fn label(self) -> &'static str {
        match self {
            LimitField::MaxOrderQty => "max order qty",
            LimitField::MaxOrderNotional => "max order notional $",
            LimitField::MaxAdvPct => "max % of ADV",
            LimitField::WarnAdvPct => "warn % of ADV",
            LimitField::PriceCollarBps => "price collar bps",
            LimitField::RestrictedSymbols => "restricted symbols",
            LimitField::MaxOpenOrders => "max open orders",
            LimitField::MaxDailyNotional => "max daily notional $",
        }
    }

    /// What the field takes, for refusals and the form's help line.
    pub fn takes(self) -> &'static str {
        match self {
            LimitField::MaxOrderQty => "a quantity such as 50000 or 50k",
            LimitField::MaxOrderNotional | LimitField::MaxDailyNotional => "dollars such as 2500000, 2.5m or 1bn",
            LimitField::MaxAdvPct | LimitField::WarnAdvPct => "a percentage above 0 and at most 100, such as 5 or 2.5",
            LimitField::PriceCollarBps => "basis points above 0, such as 150",
            LimitField::RestrictedSymbols => "symbols separated by commas, such as GME, AMC",
            LimitField::MaxOpenOrders => "a whole number of at least 1",
        }
    }

    fn accepts(self, c: char) -> bool {
        match self {
            LimitField::MaxOrderQty => c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M'),
            LimitField::MaxOrderNotional | LimitField::MaxDailyNotional => {
                c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M' | 'b' | 'B' | 'n' | 'N' | '$')
            }
            LimitField::MaxAdvPct | LimitField::WarnAdvPct => c.is_ascii_digit() || matches!(c, '.' | '%'),
            LimitField::PriceCollarBps => c.is_ascii_digit() || c == '.',
            LimitField::RestrictedSymbols => c.is_ascii_alphanumeric() || matches!(c, ',' | ' ' | '-' | '/' | '.'),
            LimitField::MaxOpenOrders => c.is_ascii_digit(),
        }
    }

    /// Whether `l` sets this limit (an override leaves the rest to its desk).
    pub fn is_set(self, l: &Limits) -> bool {
        match self {
            LimitField::MaxOrderQty => l.max_order_qty.is_some(),
            LimitField::MaxOrderNotional => l.max_order_notional.is_some(),
            LimitField::MaxAdvPct => l.max_adv_pct.is_some(),
            LimitField::WarnAdvPct => l.warn_adv_pct.is_some(),
            LimitField::PriceCollarBps => l.price_collar_bps.is_some(),
            LimitField::RestrictedSymbols => !l.restricted_symbols.is_empty(),
            LimitField::MaxOpenOrders => l.max_open_orders.is_some(),
            LimitField::MaxDailyNotional => l.max_daily_notional.is_some(),
        }
    }

    fn by_name(name: &str) -> Option<LimitField> {
        LimitField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The editor of one tenant's limits, or of one user's override of them.
#[derive(Debug, Clone)]
pub struct Editor {
    /// Tenant being edited.
    pub tenant: String,
    /// The user whose override is edited (`None`: the tenant's own limits).
    pub user: Option<String>,
    /// Focused field.
    pub focus: LimitField,
    /// Text per field.
    pub inputs: BTreeMap<LimitField, Input>,
    /// The last refused character and why, cleared on the next key.
    pub refused: Option<(LimitField, String)>,
    /// Set after a save was refused, so the form says why nothing was sent.
    pub blocked: bool,
}

/// A dollar amount with an optional `k`/`m`/`bn` suffix, `$` and commas
/// (`Money::parse_human`, as quantities are read).
fn amount(s: &str) -> Result<Money, String> {
    let t = s.trim().trim_start_matches('$');
    Money::parse_human(t).map_err(|e| match e {
        // Checked: a figure past the money grid is refused, not wrapped.
        NumError::OutOfRange(_) => format!("'{}' is more than the largest amount, {}", s.trim(), Money::MAX),
        _ => format!("'{}' is not an amount", s.trim()),
    })
}

fn positive_money(m: Money) -> Result<Money, String> {
    if m.is_positive() { Ok(m) } else { Err(format!("{m} must be above 0")) }
}

/// A figure without a trailing `.0` (`5`, `2.5`).
fn figure(x: f64) -> String {
    let s = format!("{x}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

impl Editor {
    /// An editor showing `limits` of `tenant`, or of `user`'s override on it.
    pub fn new(tenant: &str, user: Option<&str>, limits: &Limits) -> Editor {
        let text = |f: LimitField| -> String {
            match f {
                LimitField::MaxOrderQty => limits.max_order_qty.map(|q| q.to_string()),
                LimitField::MaxOrderNotional => limits.max_order_notional.map(|m| m.to_string()),
                LimitField::MaxAdvPct => limits.max_adv_pct.map(figure),
                LimitField::WarnAdvPct => limits.warn_adv_pct.map(figure),
                LimitField::PriceCollarBps => limits.price_collar_bps.map(figure),
                LimitField::RestrictedSymbols => {
                    Some(limits.restricted_symbols.iter().cloned().collect::<Vec<_>>().join(", "))
                }
                LimitField::MaxOpenOrders => limits.max_open_orders.map(|n| n.to_string()),
                LimitField::MaxDailyNotional => limits.max_daily_notional.map(|m| m.to_string()),
            }
            .unwrap_or_default()
        };
        Editor {
            tenant: tenant.to_string(),
            user: user.map(str::to_string),
            focus: LimitField::MaxOrderQty,
            inputs: LimitField::ALL.into_iter().map(|f| (f, Input::new(text(f)))).collect(),
            refused: None,
            blocked: false,
        }
    }

    /// The text of a field.
    pub fn value(&self, f: LimitField) -> &str {
        self.inputs.get(&f).map_or("", Input::value)
    }

    /// Moves the focus by `delta` fields, wrapping.
    pub fn move_focus(&mut self, delta: i32) {
        let n = LimitField::ALL.len() as i32;
        let i = LimitField::ALL.iter().position(|f| *f == self.focus).unwrap_or(0) as i32;
        self.focus = LimitField::ALL[((i + delta).rem_euclid(n)) as usize];
        self.refused = None;
    }

    /// Types a character into the focused field, refusing what it cannot hold.
    pub fn type_char(&mut self, c: char) {
        let f = self.focus;
        if !f.accepts(c) {
            self.refused = Some((f, format!("'{c}' not allowed here: {}", f.takes())));
            return;
        }
        self.refused = None;
        let c = if f == LimitField::RestrictedSymbols { c.to_ascii_uppercase() } else { c };
        if let Some(i) = self.inputs.get_mut(&f) {
            i.handle(InputRequest::InsertChar(c));
        }
    }

    /// Backspace, delete and cursor moves in the focused field.
    pub fn edit(&mut self, req: InputRequest) {
        self.refused = None;
        if let Some(i) = self.inputs.get_mut(&self.focus) {
            i.handle(req);
        }
    }

    /// The limits as typed, or a message per wrong field.
    pub fn limits(&self, instruments: &[InstrumentView]) -> Result<Limits, BTreeMap<LimitField, String>> {
        let mut errs = BTreeMap::new();
        let mut l = Limits::default();
        for f in LimitField::ALL {
            let v = self.value(f).trim();
            if v.is_empty() {
                continue;
            }
            let positive = |x: f64| -> Result<f64, String> {
                if x.is_finite() && x > 0.0 { Ok(x) } else { Err(format!("{} must be above 0", figure(x))) }
            };
            let pct = |s: &str| -> Result<f64, String> {
                let x = s.trim_end_matches('%').trim().parse::<f64>().map_err(|_| format!("'{s}' is not a number"))?;
                let x = positive(x)?;
                if x > 100.0 { Err(format!("{}% is more than the whole ADV; at most 100", figure(x))) } else { Ok(x) }
            };
            let r: Result<(), String> = match f {
                LimitField::MaxOrderQty => Qty::parse_human(v)
                    .map_err(|e| e.to_string())
                    .and_then(|q| if q.is_positive() { Ok(q) } else { Err(format!("{q} must be above 0")) })
                    .map(|q| l.max_order_qty = Some(q)),
                LimitField::MaxOrderNotional => {
                    amount(v).and_then(positive_money).map(|x| l.max_order_notional = Some(x))
                }
                LimitField::MaxDailyNotional => {
                    amount(v).and_then(positive_money).map(|x| l.max_daily_notional = Some(x))
                }
                LimitField::MaxAdvPct => pct(v).map(|x| l.max_adv_pct = Some(x)),
                LimitField::WarnAdvPct => pct(v).map(|x| l.warn_adv_pct = Some(x)),
                LimitField::PriceCollarBps => v
                    .parse::<f64>()
                    .map_err(|_| format!("'{v}' is not a number"))
                    .and_then(positive)
                    .map(|x| l.price_collar_bps = Some(x)),
                LimitField::MaxOpenOrders => match v.parse::<usize>() {
                    Ok(0) => Err("0 would refuse every order; at least 1".into()),
                    Ok(n) => {
                        l.max_open_orders = Some(n);
                        Ok(())
                    }
                    Err(_) => Err(format!("'{v}' is not a whole number")),
                },
                LimitField::RestrictedSymbols => {
                    let syms: BTreeSet<String> = v
                        .split([',', ' '])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_ascii_uppercase)
                        .collect();
                    let unknown: Vec<&String> =
                        syms.iter().filter(|s| !instruments.iter().any(|i| i.symbol.eq_ignore_ascii_case(s))).collect();
                    if !instruments.is_empty() && !unknown.is_empty() {
                        Err(format!(
                            "unknown symbol{} {}",
                            if unknown.len() > 1 { "s" } else { "" },
                            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    } else {
                        l.restricted_symbols = syms;
                        Ok(())
                    }
                }
            };
            if let Err(e) = r {
                errs.insert(f, e);
            }
        }
        if errs.is_empty()
            && let Err((name, msg)) = l.validate()
        {
            // The engine's own rule across fields (warning below the hard limit).
            errs.insert(LimitField::by_name(&name).unwrap_or(self.focus), msg);
        }
        if errs.is_empty() { Ok(l) } else { Err(errs) }
    }

    /// Whose limits these are, as the form and notes name them.
    pub fn whose(&self) -> String {
        match &self.user {
            Some(u) => format!("user {u} on desk {}", self.tenant),
            None => format!("desk {}", self.tenant),
        }
    }

    /// The message to show next to `f`: a refused character, else what is wrong with it.
    pub fn message(&self, f: LimitField, errors: &BTreeMap<LimitField, String>) -> Option<String> {
        match &self.refused {
            Some((rf, m)) if *rf == f => Some(m.clone()),
            _ => errors.get(&f).cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut Editor, s: &str) {
        for c in s.chars() {
            e.type_char(c);
        }
    }

    #[test]
    fn the_editor_round_trips_limits_and_parses_human_figures() {
        let mut l = Limits {
            max_order_qty: Some(Qty::from_int(50_000)),
            max_adv_pct: Some(5.0),
            warn_adv_pct: Some(2.5),
            ..Limits::default()
        };
        l.restricted_symbols.insert("GME".into());
        let e = Editor::new("ws", None, &l);
        assert_eq!(e.value(LimitField::WarnAdvPct), "2.5");
        assert_eq!(e.limits(&[]).unwrap(), l, "unchanged form gives the same limits");
        let mut e = Editor::new("ws", None, &Limits::default());
        e.focus = LimitField::MaxOrderNotional;
        typed(&mut e, "$2.5m");
        e.focus = LimitField::MaxDailyNotional;
        typed(&mut e, "1bn");
        e.focus = LimitField::RestrictedSymbols;
        typed(&mut e, "gme, amc");
        let got = e.limits(&[]).unwrap();
        assert_eq!(
            (got.max_order_notional, got.max_daily_notional),
            (Some(Money::from_int(2_500_000)), Some(Money::from_int(1_000_000_000)))
        );
        assert_eq!(got.restricted_symbols.into_iter().collect::<Vec<_>>(), ["AMC", "GME"]);
    }

    #[test]
    fn amounts_are_read_as_quantities_are() {
        assert_eq!(amount("$5b"), Ok(Money::from_int(5_000_000_000)));
        assert_eq!(amount(" 1,250K "), Ok(Money::from_int(1_250_000)));
        assert_eq!(
            amount("10000bn").unwrap_err(),
            format!("'10000bn' is more than the largest amount, {}", Money::MAX)
        );
        assert_eq!(amount("2.5x").unwrap_err(), "'2.5x' is not an amount");
    }

    #[test]
    fn wrong_input_is_refused_or_named_next_to_its_field() {
        let mut e = Editor::new("ws", None, &Limits::default());
        e.focus = LimitField::MaxOpenOrders;
        typed(&mut e, "1x");
        let (f, m) = e.refused.clone().unwrap();
        assert_eq!(f, LimitField::MaxOpenOrders);
        assert!(m.contains("'x' not allowed here: a whole number"), "{m}");
        assert_eq!(e.value(LimitField::MaxOpenOrders), "1", "the refused character is not typed");
        e.focus = LimitField::MaxAdvPct;
        typed(&mut e, "150");
        e.focus = LimitField::PriceCollarBps;
        typed(&mut e, "0");
        let errs = e.limits(&[]).unwrap_err();
        assert!(errs[&LimitField::MaxAdvPct].contains("at most 100"), "{errs:?}");
        assert!(errs[&LimitField::PriceCollarBps].contains("must be above 0"), "{errs:?}");
        // Across fields: the warning must stay below the hard limit.
        let mut e = Editor::new("ws", None, &Limits::default());
        e.focus = LimitField::MaxAdvPct;
        typed(&mut e, "5");
        e.focus = LimitField::WarnAdvPct;
        typed(&mut e, "8");
        let errs = e.limits(&[]).unwrap_err();
        assert!(errs[&LimitField::WarnAdvPct].contains("below the hard limit"), "{errs:?}");
    }
}
