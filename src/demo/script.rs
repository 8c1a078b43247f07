//! The demo script: a TOML file of timed steps, each with a caption and the
//! orders or supervisor actions it makes. Times are America/New_York wall
//! clock on the script's date (crypto and Swiss names included), so one clock
//! drives the whole story.

use crate::engine::{Actor, Command, OrderRequest};
use crate::model::{AlgoKind, ParentId, Price, Qty, Role, Side, Timestamp, time::parse_hhmm};
use crate::risk::TradingState;
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The zone every script time is written in.
pub const SCRIPT_TZ: Tz = chrono_tz::America::New_York;

/// A problem in a script: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("demo script {origin}: {place}{message}")]
pub struct ScriptError {
    /// File name or `built-in`.
    pub origin: String,
    /// `step 3: order 1: qty: ` or empty.
    pub place: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    title: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default = "default_seed")]
    seed: u64,
    start: String,
    #[serde(default = "default_speed")]
    speed: f64,
    #[serde(default)]
    symbols: Option<Vec<String>>,
    #[serde(rename = "step")]
    steps: Vec<StepFile>,
}

fn default_seed() -> u64 {
    7
}
fn default_speed() -> f64 {
    60.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    #[serde(default)]
    at: Option<String>,
    caption: String,
    #[serde(default)]
    look: Option<String>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    select: Option<String>,
    #[serde(default)]
    hold_secs: Option<f64>,
    #[serde(default, rename = "order")]
    orders: Vec<OrderFile>,
    #[serde(default, rename = "action")]
    actions: Vec<ActionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderFile {
    symbol: String,
    side: String,
    qty: String,
    algo: String,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionFile {
    #[serde(default)]
    pause: Option<String>,
    #[serde(default)]
    resume: Option<String>,
    #[serde(default)]
    cancel: Option<String>,
    #[serde(default)]
    kill_tenant: Option<String>,
    #[serde(default)]
    set_state: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
}

/// Which pane a step wants the audience to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The parent/child blotter.
    Blotter,
    /// The venue routing view.
    Venues,
    /// The TCA panel.
    Tca,
    /// The order ticket.
    Ticket,
    /// The supervisor view.
    Supervisor,
}

/// One step of a demo.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// When it fires (simulated time); `None` = as soon as it is reached.
    pub at: Option<Timestamp>,
    /// What to say.
    pub caption: String,
    /// Pane to show.
    pub look: Option<Look>,
    /// Simulation speed from this step on.
    pub speed: Option<f64>,
    /// Order to select.
    pub select: Option<ParentId>,
    /// Wall seconds to hold the caption in `--auto` mode.
    pub hold_secs: f64,
    /// Commands to apply when the step fires, with who applies them.
    pub commands: Vec<(Actor, Command)>,
}

/// A parsed, validated demo script.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Title shown in the caption bar.
    pub title: String,
    /// Trading date.
    pub date: NaiveDate,
    /// Market seed.
    pub seed: u64,
    /// Simulated time when the demo starts.
    pub start: Timestamp,
    /// Initial speed.
    pub speed: f64,
    /// Instruments to simulate (`None` = all).
    pub symbols: Option<Vec<String>>,
    /// The steps, in time order.
    pub steps: Vec<Step>,
}

/// The supervisor identity the script's actions run as.
pub fn presenter() -> Actor {
    Actor { user: "presenter".into(), tenant: "hq".into(), role: Role::Supervisor }
}

impl Script {
    /// Parses and validates a script; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Script, ScriptError> {
        let err = |place: String, message: String| ScriptError { origin: origin.to_string(), place, message };
        let f: ScriptFile = toml::from_str(text).map_err(|e| err(String::new(), e.to_string()))?;
        let date = match &f.date {
            Some(d) => crate::model::time::parse_date(d).map_err(|e| err("date: ".into(), e))?,
            None => NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
        };
        let at = |place: &str, s: &str| -> Result<Timestamp, ScriptError> {
            let t = parse_hhmm(s)
                .ok_or_else(|| err(place.to_string(), format!("'{s}' is not HH:MM or HH:MM:SS (America/New_York)")))?;
            Ok(Timestamp::from_local(SCRIPT_TZ, date, t))
        };
        let start = at("start: ", &f.start)?;
        if !(f.speed.is_finite() && f.speed > 0.0) {
            return Err(err("speed: ".into(), format!("{} must be positive", f.speed)));
        }
        if f.steps.is_empty() {
            return Err(err(String::new(), "a script needs at least one [[step]]".into()));
        }
        let mut steps = Vec::with_capacity(f.steps.len());
        let mut last = start;
        let mut orders_so_far = 0u64;
        for (i, s) in f.steps.into_iter().enumerate() {
            let place = format!("step {}: ", i + 1);
            let when = match &s.at {
                Some(t) => {
                    let ts = at(&format!("{place}at: "), t)?;
                    if ts < last {
                        return Err(err(
                            format!("{place}at: "),
                            format!("{t} is before the previous step; steps must be in time order"),
                        ));
                    }
                    last = ts;
                    Some(ts)
                }
                None => None,
            };
            if s.caption.trim().is_empty() {
                return Err(err(format!("{place}caption: "), "must not be empty".into()));
            }
            let look = match s.look.as_deref() {
                None => None,
                Some("blotter") => Some(Look::Blotter),
                Some("venues") => Some(Look::Venues),
                Some("tca") => Some(Look::Tca),
                Some("ticket") => Some(Look::Ticket),
                Some("supervisor") => Some(Look::Supervisor),
                Some(other) => {
                    return Err(err(
                        format!("{place}look: "),
                        format!("'{other}' is not one of: blotter, venues, tca, ticket, supervisor"),
                    ));
                }
            };
            if let Some(sp) = s.speed
                && !(sp.is_finite() && sp > 0.0)
            {
                return Err(err(format!("{place}speed: "), format!("{sp} must be positive")));
            }
            let select = s
                .select
                .as_deref()
                .map(|x| x.parse::<ParentId>().map_err(|e| err(format!("{place}select: "), e.to_string())))
                .transpose()?;
            let mut commands = Vec::new();
            for (j, o) in s.orders.iter().enumerate() {
                let oplace = format!("{place}order {}: ", j + 1);
                if !s.orders.is_empty() && when.is_none() {
                    return Err(err(format!("{place}at: "), "a step that submits orders needs an `at` time".into()));
                }
                let (actor, req) = order(o, &oplace, &at, &err)?;
                commands.push((actor, Command::Submit(req)));
                orders_so_far += 1;
            }
            for (j, a) in s.actions.iter().enumerate() {
                let aplace = format!("{place}action {}: ", j + 1);
                commands.push((presenter(), action(a, &aplace, orders_so_far, &err)?));
            }
            steps.push(Step {
                at: when,
                caption: s.caption.trim().to_string(),
                look,
                speed: s.speed,
                select,
                hold_secs: s.hold_secs.unwrap_or_else(|| reading_secs(&s.caption)).max(0.0),
                commands,
            });
        }
        Ok(Script { title: f.title, date, seed: f.seed, start, speed: f.speed, symbols: f.symbols, steps })
    }
}

type ErrFn<'a> = dyn Fn(String, String) -> ScriptError + 'a;

/// How long a caption needs on screen when the script does not say: three
/// seconds to look at the screen, then the words at 200 a minute (a
/// presenter's pace, read aloud or silently), so a 40-word caption stays 15 s.
pub fn reading_secs(caption: &str) -> f64 {
    3.0 + caption.split_whitespace().count() as f64 / (200.0 / 60.0)
}

fn order(
    o: &OrderFile,
    place: &str,
    at: &dyn Fn(&str, &str) -> Result<Timestamp, ScriptError>,
    err: &ErrFn<'_>,
) -> Result<(Actor, OrderRequest), ScriptError> {
    let field = |f: &str| format!("{place}{f}: ");
    let side: Side = o.side.parse().map_err(|e: String| err(field("side"), e))?;
    let qty = Qty::parse_human(&o.qty).map_err(|e| err(field("qty"), e.to_string()))?;
    let algo: AlgoKind = o.algo.parse().map_err(|e: String| err(field("algo"), e))?;
    let limit_px =
        o.limit.as_deref().map(|l| Price::parse(l).map_err(|e| err(field("limit"), e.to_string()))).transpose()?;
    let start = o.start.as_deref().map(|s| at(&field("start"), s)).transpose()?;
    let end = o.end.as_deref().map(|s| at(&field("end"), s)).transpose()?;
    let params = o
        .params
        .iter()
        .map(|(k, v)| {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(err(field(&format!("params.{k}")), format!("{other} is not a string or number"))),
            };
            Ok((k.clone(), text))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let actor = Actor {
        user: o.user.as_deref().unwrap_or("demo").into(),
        tenant: o.tenant.as_deref().unwrap_or("desk").into(),
        role: Role::Advisor,
    };
    let req = OrderRequest {
        symbol: o.symbol.clone(),
        side,
        qty,
        algo,
        params,
        start,
        end,
        limit_px,
        decision_px: None,
        acknowledge_warnings: true,
    };
    Ok((actor, req))
}

fn action(a: &ActionFile, place: &str, orders_so_far: u64, err: &ErrFn<'_>) -> Result<Command, ScriptError> {
    let id = |s: &str| -> Result<ParentId, ScriptError> {
        let id: ParentId = s.parse().map_err(|e: crate::model::ids::IdError| err(place.to_string(), e.to_string()))?;
        if id.n == 0 || id.n > orders_so_far {
            return Err(err(
                place.to_string(),
                format!("{id} is not one of the {orders_so_far} orders submitted so far"),
            ));
        }
        Ok(id)
    };
    let given =
        [a.pause.is_some(), a.resume.is_some(), a.cancel.is_some(), a.kill_tenant.is_some(), a.set_state.is_some()];
    if given.iter().filter(|x| **x).count() != 1 {
        return Err(err(
            place.to_string(),
            "give exactly one of: pause, resume, cancel, kill_tenant, set_state".into(),
        ));
    }
    Ok(if let Some(p) = &a.pause {
        Command::Pause { id: id(p)? }
    } else if let Some(p) = &a.resume {
        Command::Resume { id: id(p)? }
    } else if let Some(p) = &a.cancel {
        Command::Cancel { id: id(p)? }
    } else if let Some(t) = &a.kill_tenant {
        Command::KillTenant { tenant: t.clone() }
    } else {
        let s = a.set_state.as_deref().unwrap_or_default();
        let state: TradingState = s.parse().map_err(|e: String| err(format!("{place}set_state: "), e))?;
        Command::SetTradingState { tenant: a.tenant.clone(), state }
    })
}
