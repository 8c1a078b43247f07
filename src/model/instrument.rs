//! Instruments and venues as plain data. Loading them from TOML (with built-in
//! defaults) lives in `market::universe`.

use super::num::{Money, Price, Qty};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A cheaply clonable name (symbol, venue, user).
pub type Name = Arc<str>;

/// Broad asset class: decides sessions, fee style and default market shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AssetClass {
    /// Cash equities (shares).
    Equity,
    /// Spot crypto (coins).
    Crypto,
    /// Spot FX (units of the base currency).
    Fx,
    /// Government bonds (face value; prices per 100 face).
    Bond,
}

impl AssetClass {
    /// Lower-case name as used in files and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetClass::Equity => "equity",
            AssetClass::Crypto => "crypto",
            AssetClass::Fx => "fx",
            AssetClass::Bond => "bond",
        }
    }
}

/// Which trading calendar and session an instrument follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    /// NYSE/Nasdaq: 09:30-16:00 America/New_York, closing auction at 16:00.
    UsEquity,
    /// SIX Swiss Exchange: 09:00-17:20 Europe/Zurich, closing auction at 17:30.
    SwissEquity,
    /// Every day, all day (UTC days).
    Crypto,
    /// Sunday 17:00 to Friday 17:00 America/New_York.
    Fx,
    /// US Treasuries, quoted 08:00-17:00 America/New_York on bond-market business days.
    UsBond,
}

/// A tradable instrument and the parameters of its simulated market.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instrument {
    /// Ticker, e.g. `AAPL`, `BTC-USD`, `EUR/USD`.
    pub symbol: Name,
    /// Human name.
    pub name: String,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Trading calendar.
    pub calendar: Calendar,
    /// Primary listing (decides the closing-auction cutoff), e.g. `NYSE`, `NASDAQ`, `SIX`.
    pub listing: Name,
    /// Quote currency.
    pub currency: Name,
    /// Minimum price increment.
    pub tick_size: Price,
    /// Minimum quantity increment.
    pub lot_size: Qty,
    /// Reference (previous close) price: where the simulated mid starts.
    pub ref_price: Price,
    /// Daily return volatility as a fraction (0.018 = 1.8% a day).
    pub daily_vol: f64,
    /// Average daily volume.
    pub adv: Qty,
    /// Mean size of a market trade.
    pub avg_trade_size: Qty,
    /// Typical quoted spread in basis points.
    pub spread_bps: f64,
    /// Typical displayed size at the touch, summed over venues.
    pub touch_depth: Qty,
    /// Share of daily volume printed in the closing auction (0 where there is none).
    pub auction_share: f64,
    /// Venues this instrument trades on.
    pub venues: Vec<Name>,
    /// Prices are quoted per this many units of quantity (bonds: per 100 face; otherwise 1).
    pub quote_per: i64,
    /// Optional intraday volume curve: shares of continuous volume in equal buckets over the session.
    pub volume_curve: Option<Vec<f64>>,
    /// Square-root-law coefficient `Y` of our own impact (see `market::impact`).
    pub impact_y: f64,
    /// Half-life of the transient part of our impact, seconds.
    pub impact_half_life_s: f64,
}

impl Instrument {
    /// Exact notional of `qty` at `px`, honouring `quote_per`; `None` when it
    /// does not fit the money grid.
    pub fn checked_notional(&self, px: Price, qty: Qty) -> Option<Money> {
        Money::checked_notional_per(px, qty, self.quote_per.max(1))
    }

    /// Exact notional of `qty` at `px`, honouring `quote_per` (saturating:
    /// the engine bounds orders far below the money grid's range).
    pub fn notional(&self, px: Price, qty: Qty) -> Money {
        self.checked_notional(px, qty).unwrap_or(if px.is_negative() != qty.is_negative() {
            -Money::MAX
        } else {
            Money::MAX
        })
    }

    /// Typical half-spread in price units.
    pub fn half_spread(&self) -> f64 {
        self.ref_price.to_f64() * self.spread_bps / 2e4
    }
}

/// How a venue charges (positive) or rebates (negative) for a fill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fee {
    /// Money per unit of quantity (US equities: dollars per share).
    PerUnit(Money),
    /// Basis points of notional (crypto, FX).
    Bps(f64),
}

impl Fee {
    /// Fee for a fill of `qty` with the given notional (negative for a rebate).
    pub fn charge(&self, notional: Money, qty: Qty) -> Money {
        match *self {
            Fee::PerUnit(rate) => Money::per_unit(rate, qty),
            Fee::Bps(bps) => notional.bps(bps),
        }
    }
    /// Fee per unit of quantity in price units at `px` (for routing scores), for an
    /// instrument quoted per `quote_per` units.
    pub fn per_unit_in_px(&self, px: f64, quote_per: i64) -> f64 {
        match *self {
            // A per-unit money fee expressed in price terms scales with quote_per.
            Fee::PerUnit(rate) => rate.to_f64() * quote_per.max(1) as f64,
            Fee::Bps(bps) => px * bps / 1e4,
        }
    }
}

/// A simulated execution venue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Venue {
    /// Short name, e.g. `NYSE`, `IEX`, `BINANCE`.
    pub name: Name,
    /// Asset class it serves.
    pub asset_class: AssetClass,
    /// Fee for adding liquidity (negative = rebate).
    pub maker_fee: Fee,
    /// Fee for taking liquidity.
    pub taker_fee: Fee,
    /// Mean one-way order-entry latency in microseconds.
    pub latency_us: f64,
    /// Uniform jitter (+/-) around the mean, in microseconds.
    pub jitter_us: f64,
    /// Fixed inbound delay added to every order and cancel (IEX: 350).
    pub speed_bump_us: f64,
    /// Share of the asset class's traded volume on this venue (normalised per instrument).
    pub market_share: f64,
    /// Multiplier on the instrument's typical spread.
    pub spread_mult: f64,
    /// Multiplier on the instrument's typical displayed depth.
    pub depth_mult: f64,
    /// Time constant in milliseconds for consumed liquidity to refill.
    pub resilience_ms: f64,
    /// Whether this venue runs a closing auction for the instruments listed on it.
    pub closing_auction: bool,
}
