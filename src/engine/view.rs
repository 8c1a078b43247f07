//! Read-only views of engine state for the UI and the API: plain serialisable
//! data, filtered by who is asking. Both client transports return exactly
//! these types, so the UI cannot tell them apart.

use super::{Actor, Engine};
use crate::algo::PlannedSlice;
use crate::market::{Bbo, Level, SessionState};
use crate::model::{
    AlgoKind, AssetClass, ChildOrder, Fee, Fill, Name, ParentId, ParentOrder, ParentStatus, Price, Qty, Role, Side,
    Timestamp,
};
use crate::router::RouteDecision;
use serde::{Deserialize, Serialize};

/// One row of the blotter: a parent with its live figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderRow {
    /// The parent order.
    pub order: ParentOrder,
    /// Quantity working at venues.
    pub working: Qty,
    /// Cost against arrival so far, in bps (positive = worse).
    pub slippage_bps: Option<f64>,
    /// Filled minus planned-by-now, as a fraction of the order (positive = ahead).
    pub schedule_deviation: Option<f64>,
    /// Current mid of the instrument.
    pub mid: Option<f64>,
}

/// One parent with everything under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderDetail {
    /// The blotter row.
    pub row: OrderRow,
    /// Child orders, oldest first.
    pub children: Vec<ChildOrder>,
    /// Fills, oldest first.
    pub fills: Vec<Fill>,
    /// Recent routing decisions, oldest first.
    pub decisions: Vec<RouteDecision>,
    /// The algorithm's planned schedule.
    pub plan: Vec<PlannedSlice>,
    /// The market over the order's window (mid and running interval VWAP), for charts.
    #[serde(default)]
    pub market: Vec<MarketPoint>,
}

/// One sample of the market path over an order's window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MarketPoint {
    /// When.
    pub ts: Timestamp,
    /// Latent mid at that time.
    pub mid: f64,
    /// Market VWAP from the order's start to `ts`, excluding our own prints.
    pub interval_vwap: Option<f64>,
}

/// Most market samples returned per order (enough for a terminal-wide chart).
const MARKET_POINTS: usize = 240;

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only this status.
    #[serde(default)]
    pub status: Option<ParentStatus>,
    /// Only orders that are not final.
    #[serde(default)]
    pub active: bool,
    /// Only this symbol.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Only this user's orders.
    #[serde(default)]
    pub user: Option<String>,
    /// Only this tenant's orders.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Only this algorithm.
    #[serde(default)]
    pub algo: Option<AlgoKind>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: usize,
    /// Rows to return (0 = all).
    #[serde(default)]
    pub limit: usize,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Rows matching the query in all.
    pub total: usize,
    /// Rows skipped.
    pub offset: usize,
}

/// One venue's book for the venue view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VenueBook {
    /// Venue.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
    /// Our resting orders there.
    pub ours: Vec<OwnOrder>,
}

/// One of our resting orders at a venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OwnOrder {
    /// Side.
    pub side: Side,
    /// Price.
    pub px: Price,
    /// Unfilled quantity.
    pub leaves: Qty,
    /// Others' displayed quantity ahead of it.
    pub ahead: Qty,
}

/// The consolidated book of one instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookView {
    /// Instrument.
    #[schema(value_type = String)]
    pub symbol: Name,
    /// As of.
    pub ts: Timestamp,
    /// National best bid and offer.
    pub nbbo: Bbo,
    /// Latent mid.
    pub mid: f64,
    /// Per-venue books.
    pub venues: Vec<VenueBook>,
    /// Last print (time, price, quantity).
    pub last_trade: Option<(Timestamp, Price, Qty)>,
    /// Volume traded by others since the open.
    pub market_volume: Qty,
    /// Session state now.
    pub session: SessionState,
}

/// A venue's rules and what the router has learned there for one instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VenueView {
    /// Venue.
    #[schema(value_type = String)]
    pub venue: Name,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Fee for adding liquidity (negative = rebate).
    pub maker_fee: Fee,
    /// Fee for taking liquidity.
    pub taker_fee: Fee,
    /// One-way latency including any speed bump, microseconds.
    pub latency_us: f64,
    /// Share of the instrument's market volume.
    pub market_share: f64,
    /// Passive fill probability learned this session.
    pub fill_prob: f64,
    /// Quantity the desk posted passively (closed). These four count every
    /// desk's orders, so only a supervisor is shown them: another desk's
    /// activity is not an advisor's to watch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_posted: Option<f64>,
    /// Of which filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_filled: Option<f64>,
    /// Quantity the desk sent as IOC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggressive_sent: Option<f64>,
    /// Of which filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggressive_filled: Option<f64>,
}

/// The simulated clock and sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockView {
    /// Simulated time now.
    pub now: Timestamp,
    /// Trading date.
    pub date: String,
    /// Simulated seconds per wall second (0 = paused; None = not paced).
    pub speed: Option<f64>,
    /// Simulated seconds the engine actually advanced per wall second over
    /// the last two seconds (None = not measured yet, or not paced): below
    /// `speed` while the ledger cannot make events durable as fast as the
    /// market produces them and holds the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_speed: Option<f64>,
    /// Per instrument: symbol, session state, time zone.
    #[schema(value_type = Vec<(String, SessionState, String)>)]
    pub sessions: Vec<(Name, SessionState, String)>,
}

/// Who the caller is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    /// User.
    #[schema(value_type = String)]
    pub user: Name,
    /// Tenant.
    #[schema(value_type = String)]
    pub tenant: Name,
    /// Role.
    pub role: Role,
    /// Always true in this build: no live venue adapters exist.
    pub paper_mode: bool,
    /// The risk controls the caller's orders meet (roles that can trade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controls: Option<ControlsInForce>,
}

/// What a user's next order will be checked against: shown in the ticket
/// before it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ControlsInForce {
    /// The limits in force: the user's overrides over the tenant's over the desk's.
    pub limits: crate::risk::Limits,
    /// The tenant's trading state.
    pub state: crate::risk::TradingState,
    /// Whether the tenant's orders are accepted.
    pub execution_enabled: bool,
}

impl Identity {
    /// The identity of an actor.
    pub fn of(actor: &Actor) -> Identity {
        Identity {
            user: actor.user.clone(),
            tenant: actor.tenant.clone(),
            role: actor.role,
            paper_mode: true,
            controls: None,
        }
    }
}

/// An instrument as the order ticket needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstrumentView {
    /// Symbol.
    #[schema(value_type = String)]
    pub symbol: Name,
    /// Name.
    pub name: String,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Currency.
    #[schema(value_type = String)]
    pub currency: Name,
    /// Tick size.
    pub tick_size: Price,
    /// Lot size.
    pub lot_size: Qty,
    /// Average daily volume.
    pub adv: Qty,
    /// Whether it trades today (false on its holidays).
    pub open_today: bool,
    /// Prices are quoted per this many units (bonds: per 100 face; otherwise 1).
    #[serde(default = "one")]
    pub quote_per: i64,
    /// Trading calendar (sessions and holidays), when the engine says.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub calendar: Option<crate::model::Calendar>,
    /// Primary listing (decides the closing-auction cutoff).
    #[serde(default)]
    pub listing: String,
}

fn one() -> i64 {
    1
}

pub use super::visibility::{Seen, as_seen_by, event_visible, may_see, owns};

impl OrderQuery {
    /// Whether `order` is one this query asks for (visibility apart).
    pub fn matches(&self, order: &ParentOrder) -> bool {
        let eq = |a: &str, b: &Option<String>| b.as_ref().is_none_or(|b| a.eq_ignore_ascii_case(b));
        self.status.is_none_or(|s| order.status == s)
            && (!self.active || !order.status.is_terminal())
            && eq(&order.symbol, &self.symbol)
            && eq(&order.owner.user, &self.user)
            && eq(&order.owner.tenant, &self.tenant)
            && self.algo.is_none_or(|a| order.algo == a)
    }
}

impl Engine {
    /// True if `actor` may see the order.
    pub fn visible(&self, actor: &Actor, order: &ParentOrder) -> bool {
        owns(actor, &order.owner)
    }

    /// The orders held here that `actor` may see.
    pub fn visible_ids(&self, actor: &Actor) -> std::collections::BTreeSet<ParentId> {
        self.parents().filter(|p| self.visible(actor, p)).map(|p| p.id).collect()
    }

    /// The filter of a live stream of `actor`'s from now on ([`Seen`]).
    pub fn seen_by(&self, actor: &Actor) -> Seen {
        Seen::new(actor.clone(), self.visible_ids(actor))
    }

    fn row(&self, p: &super::ParentSlot) -> OrderRow {
        let m = &self.markets[p.inst];
        let mid = m.nbbo().mid();
        let slippage_bps = match (p.order.avg_px(), p.order.arrival_px) {
            (Some(a), Some(b)) => Some(crate::tca::cost_bps(p.order.side, a, b)),
            _ => None,
        };
        let schedule_deviation = if p.started && p.order.qty.is_positive() {
            let plan = p.algo.plan();
            (!plan.is_empty()).then(|| {
                let due = crate::algo::due_by(&plan, p.order.end, self.now);
                (p.order.filled.to_f64() - due) / p.order.qty.to_f64()
            })
        } else {
            None
        };
        OrderRow { order: p.order.clone(), working: p.working, slippage_bps, schedule_deviation, mid }
    }

    /// Orders visible to `actor` matching `q`, newest first.
    pub fn orders(&self, actor: &Actor, q: &OrderQuery) -> Page<OrderRow> {
        let matching: Vec<&super::ParentSlot> =
            self.parents.iter().rev().filter(|p| self.visible(actor, &p.order) && q.matches(&p.order)).collect();
        let total = matching.len();
        let limit = if q.limit == 0 { usize::MAX } else { q.limit };
        let items = matching.into_iter().skip(q.offset).take(limit).map(|p| self.row(p)).collect();
        Page { items, total, offset: q.offset }
    }

    /// One order with its children, fills, decisions and plan.
    pub fn order_detail(&self, actor: &Actor, id: ParentId) -> Option<OrderDetail> {
        let i = self.parent_index(id)?;
        let p = &self.parents[i];
        if !self.visible(actor, &p.order) {
            return None;
        }
        Some(OrderDetail {
            row: self.row(p),
            children: self.children_of(p).into_iter().cloned().collect(),
            fills: p.fills.clone(),
            decisions: p.decisions.iter().cloned().collect(),
            plan: p.algo.plan(),
            market: self.market_path(p),
        })
    }

    /// The mid and running interval VWAP from the order's start to its end (or now), at most
    /// `MARKET_POINTS` samples, in one pass over the tape.
    fn market_path(&self, p: &super::ParentSlot) -> Vec<MarketPoint> {
        let m = &self.markets[p.inst];
        let start = p.order.start;
        let end = p.order.done_at.unwrap_or(self.now).min(self.now);
        if end <= start {
            return Vec::new();
        }
        let step = ((end.0 - start.0) / MARKET_POINTS as i64).max(1);
        let prints = m.tape.window(start, Timestamp(end.0 + 1));
        // A bounded tape holds the recent prints only: what went before them
        // comes from its running sums.
        let before = m.tape.held_from().filter(|&h| h > start).and_then(|h| m.tape.between(start, h));
        let (mut qty, mut notional) = before.map_or((0.0, 0.0), |(ex, _)| (ex.qty.to_f64(), ex.notional.to_f64()));
        let mut i = 0usize;
        let mut out = Vec::with_capacity(MARKET_POINTS + 1);
        let mut t = start.0;
        while t <= end.0 {
            while i < prints.len() && prints[i].ts.0 <= t {
                if !prints[i].ours {
                    qty += prints[i].qty.to_f64();
                    notional += prints[i].px.to_f64() * prints[i].qty.to_f64();
                }
                i += 1;
            }
            if let Some(mid) = m.mids.at(Timestamp(t)) {
                out.push(MarketPoint { ts: Timestamp(t), mid, interval_vwap: (qty > 0.0).then(|| notional / qty) });
            }
            t += step;
        }
        out
    }

    /// The consolidated and per-venue book of an instrument, with the
    /// resting orders `actor` may see as `ours` (their own; a supervisor's,
    /// every desk's): another desk's side, price, size and queue position
    /// are theirs alone.
    pub fn book(&self, actor: &Actor, symbol: &str) -> Option<BookView> {
        let u = self.universe.instrument_index(symbol)?;
        let i = self.active[u]?;
        let m = &self.markets[i];
        let venues = m
            .venues
            .iter()
            .enumerate()
            .map(|(slot, v)| VenueBook {
                venue: self.universe.venue(v.venue).name.clone(),
                bids: v.book().bids.levels().to_vec(),
                asks: v.book().asks.levels().to_vec(),
                ours: self
                    .exchange
                    .orders_at(i, slot)
                    .filter(|(key, ..)| {
                        self.children
                            .get(*key)
                            .and_then(|c| self.parents.get(c.parent))
                            .is_some_and(|p| owns(actor, &p.order.owner))
                    })
                    .map(|(_, side, px, leaves, ahead)| OwnOrder { side, px, leaves, ahead })
                    .collect(),
            })
            .collect();
        Some(BookView {
            symbol: m.inst.symbol.clone(),
            ts: self.now,
            nbbo: m.nbbo(),
            mid: m.mid(self.now),
            venues,
            last_trade: m.last_trade,
            market_volume: m.market_volume,
            session: m.session.state_at(self.now),
        })
    }

    /// Venues of an instrument with fees, latency and what routing learned;
    /// the desk's routed quantities for a supervisor only (they count every
    /// desk's orders: watching them, an advisor saw another desk trade).
    pub fn venue_views(&self, actor: &Actor, symbol: &str) -> Vec<VenueView> {
        let desk = |x: f64| actor.role.is_supervisor().then_some(x);
        let Some(u) = self.universe.instrument_index(symbol) else { return Vec::new() };
        let Some(i) = self.active[u] else { return Vec::new() };
        let m = &self.markets[i];
        m.venues
            .iter()
            .enumerate()
            .map(|(slot, v)| {
                let venue = self.universe.venue(v.venue);
                let s = self.router.stats(i, slot);
                VenueView {
                    venue: venue.name.clone(),
                    asset_class: venue.asset_class,
                    maker_fee: venue.maker_fee,
                    taker_fee: venue.taker_fee,
                    latency_us: venue.latency_us + venue.speed_bump_us,
                    market_share: v.share,
                    fill_prob: self.router.passive_fill_prob(m, i, slot),
                    passive_posted: desk(s.passive_posted),
                    passive_filled: desk(s.passive_filled),
                    aggressive_sent: desk(s.aggressive_sent),
                    aggressive_filled: desk(s.aggressive_filled),
                }
            })
            .collect()
    }

    /// Every instrument in the universe and whether it trades today.
    pub fn instruments(&self) -> Vec<InstrumentView> {
        self.universe
            .instruments()
            .iter()
            .enumerate()
            .map(|(u, i)| InstrumentView {
                symbol: i.symbol.clone(),
                name: i.name.clone(),
                asset_class: i.asset_class,
                currency: i.currency.clone(),
                tick_size: i.tick_size,
                lot_size: i.lot_size,
                adv: i.adv,
                open_today: self.active[u].is_some(),
                quote_per: i.quote_per,
                calendar: Some(i.calendar),
                listing: i.listing.to_string(),
            })
            .collect()
    }

    /// The clock and every simulated session's state (speed is the driver's).
    pub fn clock(&self, speed: Option<f64>) -> ClockView {
        ClockView {
            now: self.now,
            date: self.date.to_string(),
            speed,
            effective_speed: None,
            sessions: self
                .markets
                .iter()
                .map(|m| (m.inst.symbol.clone(), m.session.state_at(self.now), m.session.tz.name().to_string()))
                .collect(),
        }
    }
}

/// Liveness of an engine as seen by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok` when the engine answers.
    pub status: String,
    /// Build version.
    pub version: String,
    /// Always true in this build.
    pub paper_mode: bool,
    /// `embedded` or the sidecar URL.
    pub engine: String,
    /// Simulated time.
    pub now: Timestamp,
    /// Orders not yet final.
    pub open_orders: usize,
    /// Last event sequence number.
    pub last_seq: u64,
    /// The execution engines: the paper engine and the (absent) live one.
    #[serde(default)]
    pub engines: Engines,
    /// Where events are made durable.
    #[serde(default)]
    pub ledger: LedgerHealth,
}

/// The execution engines of a build, for health reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Engines {
    /// The paper engine: `running` (or `stopped` when its ledger failed).
    pub paper: String,
    /// The live engine: always `unavailable` (this build has no live venue adapters).
    pub live: String,
    /// Simulated trading date of the paper engine.
    pub date: String,
    /// Simulated seconds per wall second (0 = paused).
    pub speed: f64,
}

/// The ledger's state, for health and readiness.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerHealth {
    /// `ok`, `memory` (no durable ledger attached), `unreachable` (its
    /// database is down and being reconnected to: commands are refused) or
    /// `failed` (stopped for good).
    pub status: String,
    /// Whether events are persisted before they are acknowledged.
    pub durable: bool,
    /// Simulated time of the last fill recorded.
    pub last_fill_at: Option<Timestamp>,
    /// Last event sequence number recorded.
    pub last_seq: u64,
    /// Why the ledger failed or is unreachable, if it is.
    pub error: Option<String>,
}
