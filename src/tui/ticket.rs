//! The order ticket as plain state: one `tui_input::Input` per text field,
//! choices for side and algorithm, the chosen algorithm's own parameters, and
//! validation as you type with the message kept next to its field. Turning a
//! valid ticket into an `OrderRequest` (or an `Amendment`) is pure, so it is
//! tested without a terminal.

use super::format;
use super::params::{self, ParamKind, ParamSpec};
use crate::algo::PlannedSlice;
use crate::client::ClientError;
use crate::engine::view::{BookView, InstrumentView, OrderRow};
use crate::engine::{Amendment, OrderRequest};
use crate::model::{AlgoKind, NumError, ParentId, Price, Qty, Side, Timestamp, time::parse_hhmm};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use tui_input::{Input, InputRequest};

/// A field of the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldId {
    /// Instrument.
    Symbol,
    /// Buy or sell.
    Side,
    /// Quantity.
    Qty,
    /// Algorithm.
    Algo,
    /// Optional limit.
    Limit,
    /// Window start.
    Start,
    /// Window end.
    End,
    /// An algorithm parameter (by name).
    Param(&'static str),
}

impl FieldId {
    /// Label shown left of the field (a parameter's depends on the
    /// algorithm: `Ticket::label`).
    pub fn label(self) -> &'static str {
        match self {
            FieldId::Symbol => "symbol",
            FieldId::Side => "side",
            FieldId::Qty => "quantity",
            FieldId::Algo => "algo",
            FieldId::Limit => "limit",
            FieldId::Start => "start",
            FieldId::End => "end",
            FieldId::Param(n) => n,
        }
    }
    /// The engine's name for the field (matches `ClientError::field`).
    pub fn engine_name(self) -> String {
        match self {
            FieldId::Symbol => "symbol".into(),
            FieldId::Side => "side".into(),
            FieldId::Qty => "qty".into(),
            FieldId::Algo => "algo".into(),
            FieldId::Limit => "limit_px".into(),
            FieldId::Start => "start".into(),
            FieldId::End => "end".into(),
            FieldId::Param(n) => format!("params.{n}"),
        }
    }
}

/// New order or amendment of an existing one.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// A new parent order.
    New,
    /// Changes to a working order (quantity and limit only).
    Amend(Box<OrderRow>),
}

/// Editing, or reading the order back in words before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Fields editable.
    Edit,
    /// Confirmation in words.
    Review,
}

/// The schedule preview and the book behind the pre-trade panel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Request it was computed for.
    pub request: Option<OrderRequest>,
    /// Planned slices, or why the engine refused the order.
    pub slices: Option<Result<Vec<PlannedSlice>, ClientError>>,
    /// Per-model pre-trade costs, or why there are none.
    pub estimate: Option<Result<crate::impact::Estimate, ClientError>>,
    /// The instrument's book when asked.
    pub book: Option<BookView>,
}

/// The order ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// New or amend.
    pub mode: Mode,
    /// Edit or review.
    pub stage: Stage,
    /// Focused field.
    pub focus: FieldId,
    /// Symbol being typed.
    pub symbol: Input,
    /// Side.
    pub side: Side,
    /// Quantity as typed.
    pub qty: Input,
    /// Algorithm.
    pub algo: AlgoKind,
    /// Limit as typed.
    pub limit: Input,
    /// Start as typed (HH:MM).
    pub start: Input,
    /// End as typed (HH:MM).
    pub end: Input,
    /// Parameter values by name, kept when the algorithm changes.
    pub params: BTreeMap<&'static str, Input>,
    /// Why a character was refused, per field (cleared on the next key).
    pub refused: Option<(FieldId, String)>,
    /// The engine's verdict on the last request (shown next to its field).
    pub remote_error: Option<(FieldId, String)>,
    /// The pre-trade data.
    pub preview: Preview,
}

impl Default for Ticket {
    fn default() -> Self {
        Ticket::new()
    }
}

impl Ticket {
    /// An empty ticket for a new order.
    pub fn new() -> Ticket {
        Ticket {
            mode: Mode::New,
            stage: Stage::Edit,
            focus: FieldId::Symbol,
            symbol: Input::default(),
            side: Side::Buy,
            qty: Input::default(),
            algo: AlgoKind::Twap,
            limit: Input::default(),
            start: Input::default(),
            end: Input::default(),
            params: BTreeMap::new(),
            refused: None,
            remote_error: None,
            preview: Preview::default(),
        }
    }

    /// A ticket amending `row`: quantity and limit editable, the rest shown.
    pub fn amend(row: &OrderRow) -> Ticket {
        let o = &row.order;
        let mut t = Ticket::new();
        t.symbol = Input::new(o.symbol.to_string());
        t.side = o.side;
        t.algo = o.algo;
        t.qty = Input::new(o.qty.to_string());
        t.limit = Input::new(o.limit_px.map(|p| p.to_string()).unwrap_or_default());
        t.focus = FieldId::Qty;
        t.mode = Mode::Amend(Box::new(row.clone()));
        t
    }

    /// A new ticket filled in from an existing order (any status): same
    /// symbol, side, quantity, algorithm, limit and parameters; it starts now
    /// and keeps the original end when that is still ahead.
    pub fn clone_of(row: &OrderRow, desk: Tz) -> Ticket {
        let o = &row.order;
        let mut t = Ticket::new();
        t.symbol = Input::new(o.symbol.to_string());
        t.side = o.side;
        t.algo = o.algo;
        t.qty = Input::new(o.qty.to_string());
        t.limit = Input::new(o.limit_px.map(|p| p.to_string()).unwrap_or_default());
        t.end = Input::new(o.end.in_tz(desk).format("%H:%M").to_string());
        for s in params::for_algo(o.algo) {
            if let Some(v) = o.params.get(s.name) {
                t.params.insert(s.name, Input::new(v.clone()));
            }
        }
        t.focus = FieldId::Qty;
        t
    }

    /// The order being amended.
    pub fn amending(&self) -> Option<ParentId> {
        match &self.mode {
            Mode::Amend(r) => Some(r.order.id),
            Mode::New => None,
        }
    }

    /// The fields shown, in order (the algorithm's own parameters only for it).
    pub fn fields(&self) -> Vec<FieldId> {
        if self.amending().is_some() {
            return vec![FieldId::Qty, FieldId::Limit];
        }
        let mut f = vec![
            FieldId::Symbol,
            FieldId::Side,
            FieldId::Qty,
            FieldId::Algo,
            FieldId::Limit,
            FieldId::Start,
            FieldId::End,
        ];
        f.extend(params::for_algo(self.algo).map(|s| FieldId::Param(s.name)));
        f
    }

    /// The text input behind a field (None for choices).
    pub fn input(&self, f: FieldId) -> Option<&Input> {
        match f {
            FieldId::Symbol => Some(&self.symbol),
            FieldId::Qty => Some(&self.qty),
            FieldId::Limit => Some(&self.limit),
            FieldId::Start => Some(&self.start),
            FieldId::End => Some(&self.end),
            FieldId::Param(n) => self.params.get(n),
            FieldId::Side | FieldId::Algo => None,
        }
    }

    fn input_mut(&mut self, f: FieldId) -> Option<&mut Input> {
        match f {
            FieldId::Symbol => Some(&mut self.symbol),
            FieldId::Qty => Some(&mut self.qty),
            FieldId::Limit => Some(&mut self.limit),
            FieldId::Start => Some(&mut self.start),
            FieldId::End => Some(&mut self.end),
            FieldId::Param(n) => Some(self.params.entry(n).or_default()),
            FieldId::Side | FieldId::Algo => None,
        }
    }

    /// The spec of a parameter field, for the chosen algorithm.
    pub fn param_spec(&self, f: FieldId) -> Option<&'static ParamSpec> {
        match f {
            FieldId::Param(n) => params::spec(self.algo, n),
            _ => None,
        }
    }

    /// Label shown left of the field.
    pub fn label(&self, f: FieldId) -> &'static str {
        self.param_spec(f).map_or(f.label(), |s| s.label)
    }

    /// Moves the focus by `delta` fields (wrapping).
    pub fn move_focus(&mut self, delta: i32) {
        let f = self.fields();
        let i = f.iter().position(|x| *x == self.focus).unwrap_or(0) as i32;
        let n = f.len() as i32;
        self.focus = f[((i + delta).rem_euclid(n)) as usize];
        self.refused = None;
    }

    /// Next/previous choice of a choice field; false if the focus is a text field.
    pub fn cycle_choice(&mut self, delta: i32) -> bool {
        match self.focus {
            FieldId::Side => {
                self.side = self.side.opposite();
                true
            }
            FieldId::Algo => {
                let all = AlgoKind::ALL;
                let i = all.iter().position(|a| *a == self.algo).unwrap_or(0) as i32;
                self.algo = all[((i + delta).rem_euclid(all.len() as i32)) as usize];
                true
            }
            f => match self.param_spec(f).map(|s| s.kind) {
                Some(ParamKind::Choice(opts)) => {
                    let cur = self.input(f).map(|i| i.value().to_string()).unwrap_or_default();
                    let i = opts.iter().position(|o| *o == cur).map_or(if delta > 0 { -1 } else { 0 }, |i| i as i32);
                    let next = opts[((i + delta).rem_euclid(opts.len() as i32)) as usize];
                    if let Some(inp) = self.input_mut(f) {
                        *inp = Input::new(next.to_string());
                    }
                    true
                }
                _ => false,
            },
        }
    }

    /// Types one character into the focused field, refusing what it cannot hold.
    pub fn type_char(&mut self, c: char) {
        self.refused = None;
        let f = self.focus;
        let allowed: Result<char, &str> = match f {
            FieldId::Side => {
                match c.to_ascii_lowercase() {
                    'b' => self.side = Side::Buy,
                    's' => self.side = Side::Sell,
                    _ => self.refused = Some((f, format!("'{c}': type b or s, or use ←/→"))),
                }
                return;
            }
            FieldId::Algo => {
                let l = c.to_ascii_lowercase();
                // Repeated letters cycle the algorithms that start with it (s -> sniper...).
                let matches: Vec<AlgoKind> = AlgoKind::ALL.into_iter().filter(|a| a.as_str().starts_with(l)).collect();
                match matches.iter().position(|a| *a == self.algo) {
                    _ if matches.is_empty() => {
                        self.refused = Some((f, format!("no algorithm starts with '{c}'")));
                    }
                    Some(i) => self.algo = matches[(i + 1) % matches.len()],
                    None => self.algo = matches[0],
                }
                return;
            }
            FieldId::Symbol => {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.') {
                    Ok(c.to_ascii_uppercase())
                } else {
                    Err("letters, digits, - / .")
                }
            }
            FieldId::Qty => {
                if c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M') {
                    Ok(c)
                } else {
                    Err("digits, '.', and a k or m suffix")
                }
            }
            FieldId::Limit => {
                if c.is_ascii_digit() || c == '.' {
                    Ok(c)
                } else {
                    Err("digits and '.'")
                }
            }
            FieldId::Start | FieldId::End => {
                if c.is_ascii_digit() || c == ':' {
                    Ok(c)
                } else {
                    Err("digits and ':' (HH:MM)")
                }
            }
            FieldId::Param(_) => {
                let kind = self.param_spec(f).map(|s| s.kind);
                match kind {
                    // A word parameter is chosen from its list: a letter picks the next choice starting with it.
                    Some(ParamKind::Choice(opts)) => {
                        let l = c.to_ascii_lowercase();
                        let cur = self.input(f).map(|i| i.value().to_string()).unwrap_or_default();
                        let starting: Vec<&str> = opts.iter().copied().filter(|o| o.starts_with(l)).collect();
                        let next = match starting.iter().position(|o| *o == cur) {
                            Some(i) => starting.get((i + 1) % starting.len()).copied(),
                            None => starting.first().copied(),
                        };
                        match next {
                            Some(v) => {
                                if let Some(inp) = self.input_mut(f) {
                                    *inp = Input::new(v.to_string());
                                }
                            }
                            None => {
                                self.refused = Some((f, format!("'{c}': choose {} with ←/→", opts.join(" or "))));
                            }
                        }
                        return;
                    }
                    Some(k) if k.accepts_char(c) => Ok(c),
                    Some(k) => {
                        self.refused = Some((f, format!("'{c}' not allowed here: {}", k.allowed())));
                        return;
                    }
                    None => Ok(c),
                }
            }
        };
        match allowed {
            Ok(ch) => {
                if let Some(i) = self.input_mut(f) {
                    i.handle(InputRequest::InsertChar(ch));
                }
            }
            Err(what) => self.refused = Some((f, format!("'{c}' not allowed here: {what}"))),
        }
    }

    /// Passes an editing request (backspace, cursor moves) to the focused text field;
    /// on a word parameter, backspace goes back to the default.
    pub fn edit(&mut self, req: InputRequest) {
        self.refused = None;
        let choice = matches!(self.param_spec(self.focus).map(|s| s.kind), Some(ParamKind::Choice(_)));
        if let Some(i) = self.input_mut(self.focus) {
            if choice {
                if matches!(req, InputRequest::DeletePrevChar | InputRequest::DeleteNextChar) {
                    *i = Input::default();
                }
            } else {
                i.handle(req);
            }
        }
    }

    /// Every value typed or chosen, to tell whether the preview is out of date.
    pub fn snapshot(&self) -> Vec<String> {
        let mut v = vec![
            self.symbol.value().to_string(),
            self.side.as_str().to_string(),
            self.qty.value().to_string(),
            self.algo.as_str().to_string(),
            self.limit.value().to_string(),
            self.start.value().to_string(),
            self.end.value().to_string(),
        ];
        v.extend(self.params.iter().map(|(k, i)| format!("{k}={}", i.value())));
        v
    }

    /// Whether a field is chosen from a list rather than typed.
    pub fn is_choice(&self, f: FieldId) -> bool {
        matches!(f, FieldId::Side | FieldId::Algo)
            || matches!(self.param_spec(f).map(|s| s.kind), Some(ParamKind::Choice(_)))
    }

    /// Symbols starting with what is typed, tradable ones first (at most `n`).
    pub fn completions<'m>(&self, m: &Market<'m>, n: usize) -> Vec<&'m InstrumentView> {
        let typed = self.symbol.value().trim().to_ascii_uppercase();
        let mut c: Vec<&InstrumentView> =
            m.instruments.iter().filter(|i| i.symbol.to_ascii_uppercase().starts_with(&typed)).collect();
        c.sort_by_key(|i| (!i.open_today, i.symbol.len(), i.symbol.clone()));
        c.truncate(n);
        c
    }

    /// Completes the symbol to the first candidate; false if nothing changed.
    pub fn complete(&mut self, m: &Market<'_>) -> bool {
        let typed = self.symbol.value().trim().to_string();
        if m.instrument(&typed).is_some() && !typed.is_empty() {
            return false;
        }
        match self.completions(m, 1).first() {
            Some(i) if !typed.is_empty() => {
                self.symbol = Input::new(i.symbol.to_string());
                true
            }
            _ => false,
        }
    }

    /// Local validation of every visible field: the message per field at fault.
    pub fn errors(&self, m: &Market<'_>) -> BTreeMap<FieldId, String> {
        let mut e = BTreeMap::new();
        let sym = self.symbol.value().trim();
        let inst = m.instrument(sym);
        if self.amending().is_none() {
            match inst {
                _ if sym.is_empty() => {
                    e.insert(FieldId::Symbol, "required: a symbol such as AAPL".to_string());
                }
                None => {
                    let near: Vec<String> = self.completions(m, 3).iter().map(|i| i.symbol.to_string()).collect();
                    let hint =
                        if near.is_empty() { String::new() } else { format!("; did you mean {}?", near.join(", ")) };
                    e.insert(FieldId::Symbol, format!("unknown symbol '{sym}'{hint}"));
                }
                Some(i) if !i.open_today => {
                    e.insert(FieldId::Symbol, format!("{} does not trade today", i.symbol));
                }
                _ => {}
            }
        }
        let q = self.qty.value().trim();
        if q.is_empty() {
            e.insert(FieldId::Qty, "required: a quantity such as 25000 or 25k".into());
        } else {
            let most = crate::engine::MAX_ORDER_QTY;
            match Qty::parse_human(q) {
                // Said as what it is: a figure too large or too fine is a number, just not one we take.
                Err(NumError::OutOfRange(_)) => {
                    e.insert(FieldId::Qty, format!("'{q}' is too large: the largest order is {}", format::qty(most)));
                }
                Err(NumError::TooManyDecimals { max, .. }) => {
                    e.insert(FieldId::Qty, format!("'{q}' has more than {max} decimals"));
                }
                Err(NumError::NotANumber(_)) => {
                    e.insert(FieldId::Qty, format!("'{q}' is not a quantity; allowed: digits with an optional k or m"));
                }
                Ok(v) if !v.is_positive() => {
                    e.insert(FieldId::Qty, "must be positive".into());
                }
                Ok(v) if v > most => {
                    e.insert(
                        FieldId::Qty,
                        format!("{} is more than the largest order, {}", format::qty(v), format::qty(most)),
                    );
                }
                Ok(v) => {
                    if let Some(i) = inst
                        && !v.is_multiple_of(i.lot_size)
                    {
                        e.insert(FieldId::Qty, format!("{v} is not a multiple of the lot size {}", i.lot_size));
                    }
                    if let Mode::Amend(r) = &self.mode
                        && v < r.order.filled
                    {
                        e.insert(FieldId::Qty, format!("below the {} already filled", r.order.filled));
                    }
                }
            }
        }
        let l = self.limit.value().trim();
        if !l.is_empty() {
            match Price::parse(l) {
                Err(NumError::OutOfRange(_)) => {
                    e.insert(FieldId::Limit, format!("'{l}' is too large: a price is at most {}", Price::MAX));
                }
                Err(NumError::TooManyDecimals { max, .. }) => {
                    e.insert(FieldId::Limit, format!("'{l}' has more than {max} decimals"));
                }
                Err(NumError::NotANumber(_)) => {
                    e.insert(FieldId::Limit, format!("'{l}' is not a price"));
                }
                Ok(p) if !p.is_positive() => {
                    e.insert(FieldId::Limit, "must be positive".into());
                }
                Ok(p) => {
                    if let Some(i) = inst
                        && !p.is_on_tick(i.tick_size)
                    {
                        e.insert(FieldId::Limit, format!("{p} is not a multiple of the tick {}", i.tick_size));
                    }
                }
            }
        }
        if self.amending().is_none() {
            for (f, inp) in [(FieldId::Start, &self.start), (FieldId::End, &self.end)] {
                let s = inp.value().trim();
                if !s.is_empty() && parse_hhmm(s).is_none() {
                    e.insert(f, format!("'{s}' is not a time; allowed: HH:MM"));
                }
            }
            let (start, end) = self.window(m);
            if let (Some(a), Some(b)) = (start, end)
                && b <= a
            {
                let hm = |f: &Input| parse_hhmm(f.value()).map_or(String::new(), |t| t.format("%H:%M").to_string());
                e.insert(FieldId::End, format!("{} is not after the start {}", hm(&self.end), hm(&self.start)));
            }
            if let Some(i) = inst
                && !e.contains_key(&FieldId::End)
                && let Some(why) = m.past_close(i, end, self.algo == AlgoKind::Moc)
            {
                e.insert(FieldId::End, why);
            }
            // Said plainly, on the symbol: not as a window whose end precedes a start after the close.
            if let Some(i) = inst
                && i.open_today
                && !e.contains_key(&FieldId::Start)
                && !e.contains_key(&FieldId::End)
                && let Some(why) = m.closed(i, start, end)
            {
                e.insert(FieldId::Symbol, format!("{}: {why}", i.symbol));
            }
            for spec in params::for_algo(self.algo) {
                if let Some(inp) = self.params.get(spec.name)
                    && let Err(msg) = spec.kind.check(inp.value())
                {
                    e.insert(FieldId::Param(spec.name), msg);
                }
            }
        }
        e
    }

    /// The message to show next to `f`: refused character, local error, then the engine's.
    pub fn message(&self, f: FieldId, errors: &BTreeMap<FieldId, String>) -> Option<String> {
        if let Some((rf, m)) = &self.refused
            && *rf == f
        {
            return Some(m.clone());
        }
        errors.get(&f).cloned().or_else(|| match &self.remote_error {
            Some((rf, m)) if *rf == f => Some(m.clone()),
            _ => None,
        })
    }

    /// The typed start and end as instants: in the instrument's session
    /// when it runs past the desk's midnight (see `Market::start_at`).
    fn window(&self, m: &Market<'_>) -> (Option<Timestamp>, Option<Timestamp>) {
        let inst = m.instrument(self.symbol.value());
        let start = m.start_at(inst, self.start.value());
        (start, m.end_at(inst, self.end.value(), start.or(m.now)))
    }

    /// The end's day when the desk's calendar puts it on another date than
    /// the start (now when none is typed): `the next day, Thu 26 Nov`, or
    /// the day alone further out. The review says it, as "to 01:00" alone
    /// read as the start's day.
    pub fn end_day(&self, m: &Market<'_>) -> Option<String> {
        let (start, end) = self.window(m);
        let (from, to) = (start.or(m.now)?.in_tz(m.desk), end?.in_tz(m.desk));
        let (a, b) = (from.date_naive(), to.date_naive());
        (a != b).then(|| {
            let day = to.format("%a %-d %b").to_string();
            if a.succ_opt() == Some(b) { format!("the next day, {day}") } else { day }
        })
    }

    /// The request a valid new-order ticket describes.
    pub fn request(&self, m: &Market<'_>) -> Result<OrderRequest, BTreeMap<FieldId, String>> {
        let errors = self.errors(m);
        if !errors.is_empty() {
            return Err(errors);
        }
        let inst = m.instrument(self.symbol.value()).ok_or_else(BTreeMap::new)?;
        let (start, end) = self.window(m);
        let params = params::for_algo(self.algo)
            .filter_map(|s| {
                let v = self.params.get(s.name)?.value().trim();
                (!v.is_empty()).then(|| (s.name.to_string(), v.to_string()))
            })
            .collect();
        Ok(OrderRequest {
            symbol: inst.symbol.to_string(),
            side: self.side,
            qty: Qty::parse_human(self.qty.value()).map_err(|_| BTreeMap::new())?,
            algo: self.algo,
            params,
            start,
            end,
            limit_px: Price::parse(self.limit.value().trim()).ok(),
            decision_px: None,
            // Risk warnings are shown and acknowledged in a question of their own.
            acknowledge_warnings: false,
        })
    }

    /// The amendment a valid amend ticket describes (None if nothing changed).
    pub fn amendment(&self, m: &Market<'_>) -> Result<Option<Amendment>, BTreeMap<FieldId, String>> {
        let errors = self.errors(m);
        if !errors.is_empty() {
            return Err(errors);
        }
        let Mode::Amend(r) = &self.mode else { return Ok(None) };
        let qty = Qty::parse_human(self.qty.value()).ok().filter(|q| *q != r.order.qty);
        let limit = Price::parse(self.limit.value().trim()).ok();
        let limit_px = (limit != r.order.limit_px).then_some(limit);
        Ok((qty.is_some() || limit_px.is_some()).then_some(Amendment { qty, limit_px, acknowledge_warnings: false }))
    }

    /// Records the engine's refusal of the previewed request next to its field:
    /// a risk limit on what it limits (`max_order_qty` on the quantity,
    /// `price_collar_bps` on the limit), a window on its time.
    pub fn set_remote_error(&mut self, e: Option<&ClientError>) {
        self.remote_error = e.map(|e| {
            let field = e.field.as_deref().unwrap_or("");
            let by_name = self.fields().into_iter().find(|f| f.engine_name() == field);
            let f = by_name.unwrap_or(match field {
                "limit" | "price_collar_bps" | "limit_px" => FieldId::Limit,
                "max_order_qty" | "max_order_notional" | "max_adv_pct" | "warn_adv_pct" | "max_daily_notional"
                | "notional" => FieldId::Qty,
                "start" => FieldId::Start,
                "end" => FieldId::End,
                f if f.starts_with("params") => FieldId::Algo,
                _ => FieldId::Symbol,
            });
            (f, e.message.clone())
        });
    }
}

mod amend;
mod keys;
mod market;
pub use market::Market;

#[cfg(test)]
mod tests;
