//! The set of instruments and venues the paper market simulates, loaded from
//! TOML. Built-in defaults ship in `defaults.toml`; a user file overrides
//! entries by name and adds new ones.

use super::impact::{DEFAULT_TRANSIENT, ImpactCoeffs};
use crate::model::{AssetClass, Calendar, Fee, Instrument, Money, Name, Price, Qty, QueueModel, Venue};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

const DEFAULTS: &str = include_str!("defaults.toml");

/// Index of a venue in the universe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VenueId(pub u16);

/// A problem in an instruments/venues file.
#[derive(Debug, thiserror::Error)]
pub enum UniverseError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or shape error (the message names line and key).
    #[error("{path}: {message}")]
    Parse {
        /// File path or `built-in defaults`.
        path: String,
        /// What is wrong, with its location.
        message: String,
    },
    /// A value that parses but makes no sense.
    #[error("{path}: {entry} '{name}': {field} {problem}")]
    Invalid {
        /// File path.
        path: String,
        /// `instrument` or `venue`.
        entry: &'static str,
        /// Entry name.
        name: String,
        /// Field at fault.
        field: &'static str,
        /// What is wrong and what is allowed.
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FeeFile {
    PerUnit(f64),
    Bps(f64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VenueFile {
    name: String,
    asset_class: AssetClass,
    maker_fee: FeeFile,
    taker_fee: FeeFile,
    latency_us: f64,
    #[serde(default)]
    jitter_us: f64,
    #[serde(default)]
    speed_bump_us: f64,
    market_share: f64,
    #[serde(default = "one")]
    spread_mult: f64,
    #[serde(default = "one")]
    depth_mult: f64,
    #[serde(default = "default_resilience")]
    resilience_ms: f64,
    #[serde(default)]
    closing_auction: bool,
}

fn one() -> f64 {
    1.0
}
fn default_resilience() -> f64 {
    1500.0
}
fn default_quote_per() -> i64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentFile {
    symbol: String,
    #[serde(default)]
    name: String,
    asset_class: AssetClass,
    calendar: Calendar,
    listing: String,
    currency: String,
    tick_size: Price,
    lot_size: Qty,
    ref_price: Price,
    daily_vol: f64,
    adv: Qty,
    avg_trade_size: Qty,
    spread_bps: f64,
    touch_depth: Qty,
    #[serde(default)]
    auction_share: f64,
    venues: Vec<String>,
    #[serde(default = "default_quote_per")]
    quote_per: i64,
    #[serde(default)]
    volume_curve: Option<Vec<f64>>,
    #[serde(default)]
    impact_y: Option<f64>,
    #[serde(default)]
    impact_half_life_s: Option<f64>,
}

/// Default square-root-law coefficient `Y` and transient half-life (seconds)
/// by asset class (sources and calibration in docs/market-model.md).
pub fn default_impact(ac: AssetClass) -> (f64, f64) {
    match ac {
        AssetClass::Equity => (0.6, 600.0),
        AssetClass::Crypto => (0.6, 300.0),
        AssetClass::Fx => (0.4, 120.0),
        AssetClass::Bond => (0.4, 900.0),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UniverseFile {
    /// Queue-position model of every venue (`market::QueueModel` names).
    #[serde(default)]
    queue: Option<String>,
    #[serde(default)]
    venue: Vec<VenueFile>,
    #[serde(default)]
    instrument: Vec<InstrumentFile>,
}

/// Every instrument and venue known to the engine, with lookups.
#[derive(Debug, Clone)]
pub struct Universe {
    venues: Vec<Venue>,
    instruments: Vec<Instrument>,
    /// Per instrument: its venues and their normalised volume shares.
    routes: Vec<Vec<(VenueId, f64)>>,
    queue: QueueModel,
}

impl Universe {
    /// The built-in instruments and venues.
    pub fn builtin() -> Universe {
        Self::from_toml_str(DEFAULTS, "built-in defaults").expect("built-in universe is valid")
    }

    /// Built-in defaults with a user file merged over them (entries replace by name).
    pub fn with_overrides(path: &Path) -> Result<Universe, UniverseError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| UniverseError::Io { path: path.display().to_string(), source })?;
        Self::with_overrides_str(&text, &path.display().to_string())
    }

    /// Built-in defaults with TOML text merged over them (entries replace by
    /// name); `origin` names the text in errors.
    pub fn with_overrides_str(text: &str, origin: &str) -> Result<Universe, UniverseError> {
        let mut base = parse(DEFAULTS, "built-in defaults")?;
        let user = parse(text, origin)?;
        if user.queue.is_some() {
            base.queue = user.queue;
        }
        for v in user.venue {
            base.venue.retain(|b| b.name != v.name);
            base.venue.push(v);
        }
        for i in user.instrument {
            base.instrument.retain(|b| b.symbol != i.symbol);
            base.instrument.push(i);
        }
        build(base, origin)
    }

    /// Parses a complete universe from TOML text.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Universe, UniverseError> {
        build(parse(text, origin)?, origin)
    }

    /// All venues.
    pub fn venues(&self) -> &[Venue] {
        &self.venues
    }
    /// All instruments.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }
    /// A venue by id.
    pub fn venue(&self, id: VenueId) -> &Venue {
        &self.venues[id.0 as usize]
    }
    /// A venue id by (case-insensitive) name.
    pub fn venue_id(&self, name: &str) -> Option<VenueId> {
        self.venues.iter().position(|v| v.name.eq_ignore_ascii_case(name)).map(|i| VenueId(i as u16))
    }
    /// Index of an instrument by (case-insensitive) symbol.
    pub fn instrument_index(&self, symbol: &str) -> Option<usize> {
        self.instruments.iter().position(|i| i.symbol.eq_ignore_ascii_case(symbol.trim()))
    }
    /// An instrument by (case-insensitive) symbol.
    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.instrument_index(symbol).map(|i| &self.instruments[i])
    }
    /// The queue-position model of the venues (risk-averse unless the file says otherwise).
    pub fn queue_model(&self) -> QueueModel {
        self.queue
    }
    /// The venues an instrument trades on with their normalised volume shares.
    pub fn routes(&self, instrument_index: usize) -> &[(VenueId, f64)] {
        &self.routes[instrument_index]
    }
    /// This universe with `inst` in it: replacing the instrument of the same
    /// symbol, or added. Its venues must be in the universe and of its asset class.
    pub fn with_instrument(&self, inst: Instrument) -> Result<Universe, String> {
        let mut route = Vec::with_capacity(inst.venues.len());
        for name in &inst.venues {
            let id = self.venue_id(name).ok_or_else(|| format!("{}: unknown venue '{name}'", inst.symbol))?;
            let v = self.venue(id);
            if v.asset_class != inst.asset_class {
                return Err(format!("{}: venue '{name}' is not a {} venue", inst.symbol, inst.asset_class.as_str()));
            }
            route.push((id, v.market_share));
        }
        let total: f64 = route.iter().map(|r| r.1).sum();
        if route.is_empty() || total <= 0.0 {
            return Err(format!("{}: no venue with a market share to trade on", inst.symbol));
        }
        route.iter_mut().for_each(|r| r.1 /= total);
        let mut out = self.clone();
        match out.instrument_index(&inst.symbol) {
            Some(i) => {
                out.instruments[i] = inst;
                out.routes[i] = route;
            }
            None => {
                out.instruments.push(inst);
                out.routes.push(route);
            }
        }
        Ok(out)
    }

    /// The error message for an unknown symbol, listing what is known.
    pub fn unknown_symbol(&self, symbol: &str) -> String {
        let known: Vec<&str> = self.instruments.iter().map(|i| &*i.symbol).collect();
        format!("unknown symbol '{}'; known symbols: {}", symbol.trim(), known.join(", "))
    }
}

/// One instrument as a `[[instrument]]` entry of a universe file (what
/// `--universe` reads), every field written out so the entry replaces the
/// built-in one whole; `notes` adds a comment after the fields it names.
pub fn instrument_toml(inst: &Instrument, notes: &BTreeMap<&str, String>) -> String {
    let text = |s: &str| toml::Value::String(s.to_string()).to_string();
    let enum_name = |v: Result<toml::Value, toml::ser::Error>| v.map(|v| v.to_string()).unwrap_or_default();
    let list = |xs: &[String]| format!("[{}]", xs.join(", "));
    let mut fields: Vec<(&str, String)> = vec![
        ("symbol", text(&inst.symbol)),
        ("name", text(&inst.name)),
        ("asset_class", text(inst.asset_class.as_str())),
        ("calendar", enum_name(toml::Value::try_from(inst.calendar))),
        ("listing", text(&inst.listing)),
        ("currency", text(&inst.currency)),
        ("tick_size", text(&inst.tick_size.to_string())),
        ("lot_size", text(&inst.lot_size.to_string())),
        ("ref_price", text(&inst.ref_price.to_string())),
        ("daily_vol", format!("{}", inst.daily_vol)),
        ("adv", text(&inst.adv.to_string())),
        ("avg_trade_size", text(&inst.avg_trade_size.to_string())),
        ("spread_bps", format!("{}", inst.spread_bps)),
        ("touch_depth", text(&inst.touch_depth.to_string())),
        ("auction_share", format!("{}", inst.auction_share)),
        ("venues", list(&inst.venues.iter().map(|v| text(v)).collect::<Vec<_>>())),
        ("quote_per", inst.quote_per.to_string()),
    ];
    if let Some(c) = &inst.volume_curve {
        fields.push(("volume_curve", list(&c.iter().map(|x| format!("{x}")).collect::<Vec<_>>())));
    }
    let mut out = String::from("[[instrument]]\n");
    for (k, v) in fields {
        match notes.get(k) {
            Some(n) => out.push_str(&format!("{k} = {v}  # {}\n", n.replace('\n', " "))),
            None => out.push_str(&format!("{k} = {v}\n")),
        }
    }
    out
}

fn parse(text: &str, origin: &str) -> Result<UniverseFile, UniverseError> {
    toml::from_str(text).map_err(|e| UniverseError::Parse { path: origin.to_string(), message: e.to_string() })
}

fn build(file: UniverseFile, origin: &str) -> Result<Universe, UniverseError> {
    let invalid = |entry: &'static str, name: &str, field: &'static str, problem: String| UniverseError::Invalid {
        path: origin.to_string(),
        entry,
        name: name.to_string(),
        field,
        problem,
    };
    let mut venues = Vec::with_capacity(file.venue.len());
    let mut seen = BTreeMap::new();
    for v in file.venue {
        if seen.insert(v.name.to_ascii_uppercase(), ()).is_some() {
            return Err(invalid("venue", &v.name, "name", "is defined twice".into()));
        }
        for (field, val) in [
            ("latency_us", v.latency_us),
            ("jitter_us", v.jitter_us),
            ("speed_bump_us", v.speed_bump_us),
            ("market_share", v.market_share),
        ] {
            if !(val.is_finite() && val >= 0.0) {
                return Err(invalid("venue", &v.name, field, format!("is {val}; must be a number >= 0")));
            }
        }
        if v.jitter_us > v.latency_us {
            return Err(invalid("venue", &v.name, "jitter_us", "must not exceed latency_us".into()));
        }
        for (field, val) in
            [("spread_mult", v.spread_mult), ("depth_mult", v.depth_mult), ("resilience_ms", v.resilience_ms)]
        {
            if !(val.is_finite() && val > 0.0) {
                return Err(invalid("venue", &v.name, field, format!("is {val}; must be a number > 0")));
            }
        }
        let fee = |f: FeeFile| -> Result<Fee, String> {
            match f {
                FeeFile::PerUnit(x) => {
                    Money::from_f64(x).map(Fee::PerUnit).ok_or_else(|| format!("{x} is not a valid amount"))
                }
                FeeFile::Bps(x) if x.is_finite() && x.abs() < 1000.0 => Ok(Fee::Bps(x)),
                FeeFile::Bps(x) => Err(format!("{x} bps is outside -1000..1000")),
            }
        };
        venues.push(Venue {
            name: v.name.to_ascii_uppercase().into(),
            asset_class: v.asset_class,
            maker_fee: fee(v.maker_fee).map_err(|p| invalid("venue", &v.name, "maker_fee", p))?,
            taker_fee: fee(v.taker_fee).map_err(|p| invalid("venue", &v.name, "taker_fee", p))?,
            latency_us: v.latency_us,
            jitter_us: v.jitter_us,
            speed_bump_us: v.speed_bump_us,
            market_share: v.market_share,
            spread_mult: v.spread_mult,
            depth_mult: v.depth_mult,
            resilience_ms: v.resilience_ms,
            closing_auction: v.closing_auction,
        });
    }
    let venue_id = |name: &str| venues.iter().position(|v: &Venue| v.name.eq_ignore_ascii_case(name));

    let mut instruments = Vec::with_capacity(file.instrument.len());
    let mut routes = Vec::with_capacity(file.instrument.len());
    let mut seen = BTreeMap::new();
    for i in file.instrument {
        let s = i.symbol.clone();
        if seen.insert(s.to_ascii_uppercase(), ()).is_some() {
            return Err(invalid("instrument", &s, "symbol", "is defined twice".into()));
        }
        if s.trim().is_empty() || s.contains(char::is_whitespace) {
            return Err(invalid("instrument", &s, "symbol", "must be non-empty without spaces".into()));
        }
        let positive = |field: &'static str, ok: bool, shown: String| {
            if ok { Ok(()) } else { Err(invalid("instrument", &s, field, format!("is {shown}; must be > 0"))) }
        };
        positive("tick_size", i.tick_size.is_positive(), i.tick_size.to_string())?;
        positive("lot_size", i.lot_size.is_positive(), i.lot_size.to_string())?;
        positive("ref_price", i.ref_price.is_positive(), i.ref_price.to_string())?;
        positive("adv", i.adv.is_positive(), i.adv.to_string())?;
        positive("avg_trade_size", i.avg_trade_size.is_positive(), i.avg_trade_size.to_string())?;
        positive("touch_depth", i.touch_depth.is_positive(), i.touch_depth.to_string())?;
        positive("daily_vol", i.daily_vol.is_finite() && i.daily_vol > 0.0, i.daily_vol.to_string())?;
        positive("spread_bps", i.spread_bps.is_finite() && i.spread_bps > 0.0, i.spread_bps.to_string())?;
        positive("quote_per", i.quote_per > 0, i.quote_per.to_string())?;
        if !i.ref_price.is_on_tick(i.tick_size) {
            return Err(invalid(
                "instrument",
                &s,
                "ref_price",
                format!("{} is not a multiple of tick_size {}", i.ref_price, i.tick_size),
            ));
        }
        if !(0.0..0.5).contains(&i.auction_share) {
            return Err(invalid(
                "instrument",
                &s,
                "auction_share",
                format!("is {}; must be in [0, 0.5)", i.auction_share),
            ));
        }
        if i.avg_trade_size < i.lot_size {
            return Err(invalid("instrument", &s, "avg_trade_size", "must be at least lot_size".into()));
        }
        if let Some(curve) = &i.volume_curve
            && (curve.is_empty()
                || curve.iter().any(|x| !x.is_finite() || *x < 0.0)
                || curve.iter().sum::<f64>() <= 0.0)
        {
            return Err(invalid(
                "instrument",
                &s,
                "volume_curve",
                "must be non-negative numbers with a positive sum".into(),
            ));
        }
        let (y0, h0) = default_impact(i.asset_class);
        let impact = ImpactCoeffs {
            y: i.impact_y.unwrap_or(y0),
            transient: DEFAULT_TRANSIENT,
            half_life_s: i.impact_half_life_s.unwrap_or(h0),
        };
        if let Err((field, problem)) = impact.validate() {
            return Err(invalid("instrument", &s, field, problem));
        }
        if i.venues.is_empty() {
            return Err(invalid("instrument", &s, "venues", "must list at least one venue".into()));
        }
        let mut r = Vec::new();
        for vn in &i.venues {
            let Some(vid) = venue_id(vn) else {
                return Err(invalid("instrument", &s, "venues", format!("names unknown venue '{vn}'")));
            };
            if venues[vid].asset_class != i.asset_class {
                return Err(invalid(
                    "instrument",
                    &s,
                    "venues",
                    format!("venue '{vn}' is not a {} venue", i.asset_class.as_str()),
                ));
            }
            r.push((VenueId(vid as u16), venues[vid].market_share));
        }
        let total: f64 = r.iter().map(|x| x.1).sum();
        if total <= 0.0 {
            return Err(invalid("instrument", &s, "venues", "have zero total market_share".into()));
        }
        for x in &mut r {
            x.1 /= total;
        }
        routes.push(r);
        instruments.push(Instrument {
            symbol: s.to_ascii_uppercase().into(),
            name: i.name,
            asset_class: i.asset_class,
            calendar: i.calendar,
            listing: i.listing.to_ascii_uppercase().into(),
            currency: Name::from(i.currency.as_str()),
            tick_size: i.tick_size,
            lot_size: i.lot_size,
            ref_price: i.ref_price,
            daily_vol: i.daily_vol,
            adv: i.adv,
            avg_trade_size: i.avg_trade_size,
            spread_bps: i.spread_bps,
            touch_depth: i.touch_depth,
            auction_share: i.auction_share,
            venues: i.venues.iter().map(|v| Name::from(v.to_ascii_uppercase().as_str())).collect(),
            quote_per: i.quote_per,
            volume_curve: i.volume_curve,
            impact_y: impact.y,
            impact_half_life_s: impact.half_life_s,
        });
    }
    let queue = match &file.queue {
        None => QueueModel::default(),
        Some(q) => q
            .parse()
            .map_err(|e: String| UniverseError::Parse { path: origin.to_string(), message: format!("queue: {e}") })?,
    };
    Ok(Universe { venues, instruments, routes, queue })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_asset_class() {
        let u = Universe::builtin();
        for s in ["AAPL", "MSFT", "SPY", "NESN", "BTC-USD", "ETH-USD", "EUR/USD", "USD/CHF", "UST10Y"] {
            assert!(u.instrument(s).is_some(), "{s}");
        }
        let aapl = u.instrument_index("aapl").unwrap();
        assert_eq!(u.routes(aapl).len(), 5);
        let total: f64 = u.routes(aapl).iter().map(|r| r.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let btc = u.instrument_index("BTC-USD").unwrap();
        let names: Vec<&str> = u.routes(btc).iter().map(|(v, _)| &*u.venue(*v).name).collect();
        assert_eq!(names, ["BINANCE", "COINBASE", "KRAKEN", "BITSTAMP", "OKX"]);
        assert_eq!(u.venue(u.venue_id("iex").unwrap()).speed_bump_us, 350.0);
        assert!(u.unknown_symbol("ZZZ").contains("AAPL"));
    }

    #[test]
    fn bad_entries_name_the_field() {
        let text = DEFAULTS.replace(
            "tick_size = \"0.01\"\nlot_size = \"1\"\nref_price = \"230.00\"",
            "tick_size = \"0\"\nlot_size = \"1\"\nref_price = \"230.00\"",
        );
        let e = Universe::from_toml_str(&text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("AAPL") && e.contains("tick_size"), "{e}");
        let e = Universe::from_toml_str("[[venue]]\nname = 1", "y.toml").unwrap_err().to_string();
        assert!(e.starts_with("y.toml:") && e.contains("line"), "{e}");
        let text = DEFAULTS.replace(
            "venues = [\"FXMB\"]\n\n[[instrument]]\nsymbol = \"USD/CHF\"",
            "venues = [\"NYSE\"]\n\n[[instrument]]\nsymbol = \"USD/CHF\"",
        );
        let e = Universe::from_toml_str(&text, "z.toml").unwrap_err().to_string();
        assert!(e.contains("EUR/USD") && e.contains("not a fx venue"), "{e}");
    }

    #[test]
    fn an_instrument_written_out_reads_back_the_same() {
        let u = Universe::builtin();
        for sym in ["AAPL", "BTC-USD", "UST10Y", "EUR/USD"] {
            let mut inst = u.instrument(sym).unwrap().clone();
            inst.name = "A \"quoted\" name".into();
            inst.volume_curve = Some(vec![0.25, 0.5, 0.25]);
            let notes = BTreeMap::from([("adv", "from a recording\nover two lines".to_string())]);
            let text = instrument_toml(&inst, &notes);
            assert!(text.contains("# from a recording over two lines"), "{text}");
            let back = Universe::with_overrides_str(&text, "written").unwrap();
            let b = back.instrument(sym).unwrap();
            assert_eq!(format!("{b:?}"), format!("{inst:?}"), "{text}");
        }
    }

    #[test]
    fn user_file_overrides_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u.toml");
        let aapl = DEFAULTS.split("[[instrument]]").nth(1).unwrap().replace("230.00", "199.99");
        std::fs::write(&p, format!("[[instrument]]{aapl}")).unwrap();
        let u = Universe::with_overrides(&p).unwrap();
        assert_eq!(u.instrument("AAPL").unwrap().ref_price.to_string(), "199.99");
        assert_eq!(u.instruments().len(), Universe::builtin().instruments().len());
    }
}
