//! The desk's engines as the ledger knows them, and what a starting `serve`
//! does with them. Every engine a `serve` ever ran (`kind = 'serve'`) belongs
//! to the desk of its database; several `serve` processes sharing one
//! PostgreSQL database each run some of them.
//!
//! A starting `serve` must not hide orders: it resumes, as its own (its
//! "home" engine, where its new orders go), the latest engine nobody runs
//! whose market is the one its flags ask for; it takes over every other
//! engine nobody runs that still has open orders, so they come back
//! interrupted for a person to resume or cancel; and it refuses to start a
//! new market beside an engine of the same trading day that simulates
//! another one (different seed, instruments or model), naming that engine,
//! unless asked to (`--new-engine`). The decision is a pure function of the
//! desk's engines (`plan`), so it is tested without a database.

use super::handle::LedgerHandle;
use super::lease::{Liveness, liveness_cols};
use super::query::{LedgerOrder, ORDER_FROM, OrderDetail, Where, order_columns, order_detail, order_from_row};
use super::record::EngineSpec;
use super::rows::{Val, col, int};
use super::{Ledger, StoreError};
use crate::market::MarketParams;
use crate::model::{ChildOrder, Qty};
use chrono::NaiveDate;

/// What makes two engines simulate the same market: seed, date, instruments
/// (in any order) and model. Engines with a universe file or recorded data
/// are never the same market as another (their files may have changed).
#[derive(Debug, Clone, PartialEq)]
pub struct MarketKey {
    /// Seed.
    pub seed: u64,
    /// Trading date.
    pub date: NaiveDate,
    /// Instruments, upper case, sorted, without repeats (`None`: the whole universe).
    pub symbols: Option<Vec<String>>,
    /// Market model coefficients.
    pub model: MarketParams,
    /// A universe file or recorded data: never matched.
    pub custom: bool,
}

impl MarketKey {
    /// The market an engine spec describes.
    pub fn of(spec: &EngineSpec) -> MarketKey {
        MarketKey {
            seed: spec.seed,
            date: spec.date,
            symbols: spec.symbols.as_ref().map(|s| normalised(s)),
            model: spec.market.clone(),
            custom: spec.universe.is_some() || !spec.replay.is_empty(),
        }
    }

    /// Whether an engine of market `self` can be resumed for `want`.
    pub fn same(&self, want: &MarketKey) -> bool {
        !self.custom && !want.custom && self == want
    }

    /// How `want` differs from this market, in the flags' words.
    pub fn differences(&self, want: &MarketKey) -> Vec<String> {
        let mut out = Vec::new();
        if self.seed != want.seed {
            out.push(format!("--seed {} (it has {})", want.seed, self.seed));
        }
        if self.date != want.date {
            out.push(format!("--date {} (it has {})", want.date, self.date));
        }
        if self.symbols != want.symbols {
            out.push(format!("--symbols {} (it has {})", symbols_text(&want.symbols), symbols_text(&self.symbols)));
        }
        if self.model != want.model {
            out.push("another market model".into());
        }
        if self.custom || want.custom {
            out.push("a universe file or recorded data".into());
        }
        out
    }

    /// In words: `seed 42, 2026-11-25, AAPL,MSFT`.
    pub fn describe(&self) -> String {
        format!("seed {}, {}, {}", self.seed, self.date, symbols_text(&self.symbols))
    }
}

fn normalised(symbols: &[String]) -> Vec<String> {
    let mut s: Vec<String> = symbols.iter().map(|x| x.trim().to_ascii_uppercase()).collect();
    s.sort();
    s.dedup();
    s
}

fn symbols_text(s: &Option<Vec<String>>) -> String {
    s.as_ref().map_or_else(|| "the whole universe".into(), |v| v.join(","))
}

/// One engine of the desk.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskEngine {
    /// Engine number.
    pub id: i64,
    /// Its market.
    pub market: MarketKey,
    /// Why it counts as running (another process runs it), or `None`.
    pub running: Option<String>,
    /// Orders not final (pending, working, paused, interrupted).
    pub open_orders: u64,
}

/// What a starting `serve` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StartPlan {
    /// The engine new orders go to: resumed (`Some`), or a new one.
    pub home: Option<i64>,
    /// Engines nobody runs that still have open orders, taken over as well.
    pub adopt: Vec<i64>,
    /// What is started and why, for the operator.
    pub notes: Vec<String>,
}

/// Decides what a `serve` whose flags ask for market `want` runs on a desk
/// with `engines` (see the module notes). `new_engine` allows a new market
/// beside the same day's engines. The refusal names the engine in the way.
pub fn plan(engines: &[DeskEngine], want: &MarketKey, new_engine: bool) -> Result<StartPlan, String> {
    let free = |e: &&DeskEngine| e.running.is_none();
    let home = engines.iter().filter(free).filter(|e| e.market.same(want)).map(|e| e.id).max();
    let mut notes = Vec::new();
    if home.is_none() {
        let conflict = engines
            .iter()
            .find(|e| e.market.date == want.date && !e.market.same(want) && (e.running.is_some() || e.open_orders > 0));
        if let Some(e) = conflict
            && !new_engine
        {
            let state = match &e.running {
                Some(why) => format!("running: {why}"),
                None => format!("{} open order(s), nobody runs it", e.open_orders),
            };
            return Err(format!(
                "engine E{} of this desk simulates {} ({state}); these flags ask for another market: {}. \
                 Start with its flags to resume it, or pass --new-engine to run a new engine beside it",
                e.id,
                e.market.describe(),
                e.market.differences(want).join(", ")
            ));
        }
        for e in engines.iter().filter(|e| e.market.same(want)) {
            if let Some(why) = &e.running {
                notes.push(format!("engine E{} has the same market and is running ({why}): a new one starts", e.id));
            }
        }
    }
    let adopt: Vec<i64> =
        engines.iter().filter(free).filter(|e| e.open_orders > 0 && Some(e.id) != home).map(|e| e.id).collect();
    for e in engines.iter().filter(|e| adopt.contains(&e.id)) {
        notes.push(format!(
            "engine E{} ({}) has {} open order(s) and nobody runs it: taken over, its working orders interrupted",
            e.id,
            e.market.describe(),
            e.open_orders
        ));
    }
    Ok(StartPlan { home, adopt, notes })
}

/// Orders in these states still need someone.
pub(crate) const OPEN_STATUSES: &str = "('pending', 'working', 'paused', 'interrupted')";

impl Ledger {
    /// Every engine of the desk (`serve` engines), oldest first.
    pub fn desk_engines(&self) -> Result<Vec<DeskEngine>, StoreError> {
        let b = self.target().backend();
        let sql = format!(
            "SELECT e.id AS id, e.tenant AS tenant, e.user_name AS user_name, e.seed AS seed, \
             e.trade_date AS trade_date, e.symbols AS symbols, e.universe AS universe, e.replay AS replay, \
             e.market AS market, {}, (SELECT COUNT(*) FROM parents p WHERE p.engine_id = e.id \
             AND p.status IN {OPEN_STATUSES}) AS open_orders FROM engines e WHERE e.kind = 'serve' ORDER BY e.id",
            liveness_cols(b)
        );
        let found = self
            .block_on(b.q(&sql).fetch_all(self.pool()))
            .map_err(|e| StoreError::db("listing the desk's engines", e))?;
        found
            .iter()
            .map(|r| {
                let id: i64 = col(r, "id")?;
                let json = |what: &str, e: serde_json::Error| StoreError::Data(format!("engine E{id} {what}: {e}"));
                let date: String = col(r, "trade_date")?;
                let seed: i64 = col(r, "seed")?;
                let symbols: Option<Vec<String>> =
                    serde_json::from_str(&col::<String>(r, "symbols")?).map_err(|e| json("symbols", e))?;
                let model: MarketParams =
                    serde_json::from_str(&col::<String>(r, "market")?).map_err(|e| json("market", e))?;
                let custom =
                    col::<Option<String>>(r, "universe")?.is_some() || col::<Option<String>>(r, "replay")?.is_some();
                let (live, now) = Liveness::from_row(r)?;
                let open: i64 = col(r, "open_orders")?;
                Ok(DeskEngine {
                    id,
                    market: MarketKey {
                        // Stored bit for bit in a signed column.
                        seed: seed as u64,
                        date: date.parse().map_err(|_| StoreError::Data(format!("engine E{id}: bad date '{date}'")))?,
                        symbols: symbols.as_deref().map(normalised),
                        model,
                        custom,
                    },
                    running: live.running(now),
                    open_orders: u64::try_from(open).unwrap_or(0),
                })
            })
            .collect()
    }
}

/// An order of an engine this instance does not run, as the ledger holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskOrder {
    /// The order (its status `interrupted` once its engine stopped running).
    pub order: LedgerOrder,
    /// Quantity working at venues (children not final).
    pub working: Qty,
}

/// An engine's owner that stopped renewing its lease, which has not run
/// out yet: stopped (SIGSTOP, a debugger), cut off from the database, or
/// dead on another machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silent {
    /// Who: `pid 123 on host`.
    pub owner: String,
    /// Since its last heartbeat, milliseconds.
    pub silent_ms: i64,
    /// Its lease, milliseconds.
    pub lease_ms: i64,
    /// When the lease runs out, wall-clock milliseconds since the epoch
    /// (the database's clock): another instance takes the engine over then.
    pub expires_at_ms: i64,
}

/// Where an engine of the desk is run from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// Not an engine of this desk.
    Unknown,
    /// Run by another process (why it counts as running).
    Elsewhere(String),
    /// Held by another process that missed its last heartbeats (more than
    /// half its lease without one; a live owner beats every quarter lease):
    /// a request would wait for nobody until the lease runs out.
    Unreachable(Silent),
    /// Nobody runs it (stopped, or its lease ran out): read from the ledger
    /// until an instance takes it over.
    Nobody,
}

/// Children still at a venue.
const LIVE_CHILDREN: &str = "('pending_new', 'new', 'partially_filled', 'pending_cancel')";

impl LedgerHandle {
    /// The orders of the desk's engines other than `except` that a desk on
    /// `date` shows: engines of that trading day, and any engine with open
    /// orders; only `owner`'s (tenant, user) when given. Newest first.
    pub async fn desk_orders(
        &self,
        except: Vec<i64>,
        date: NaiveDate,
        owner: Option<(String, String)>,
    ) -> Result<Vec<DeskOrder>, StoreError> {
        self.run(move |pool, b| async move {
            let mut w = Where::default();
            w.add(
                &format!(
                    "p.engine_id IN (SELECT d.id FROM engines d WHERE d.kind = 'serve' AND (d.trade_date = ? OR \
                     EXISTS (SELECT 1 FROM parents o WHERE o.engine_id = d.id AND o.status IN {OPEN_STATUSES})))"
                ),
                [Val::T(date.to_string())],
            );
            if !except.is_empty() {
                let list = except.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
                w.add(&format!("p.engine_id NOT IN ({list})"), []);
            }
            if let Some((tenant, user)) = owner {
                w.add("p.tenant = ? AND p.user_name = ?", [Val::T(tenant), Val::T(user)]);
            }
            let sql = format!(
                "SELECT {}, (SELECT CAST(COALESCE(SUM(c.qty - c.filled), 0) AS BIGINT) FROM children c \
                 WHERE c.engine_id = p.engine_id AND c.parent_id = p.id AND c.status IN {LIVE_CHILDREN}) AS working \
                 {ORDER_FROM} {} ORDER BY p.created_at DESC, p.engine_id DESC, p.id DESC",
                order_columns(b),
                w.text()
            );
            let found =
                w.bind(b.q(&sql)).fetch_all(&pool).await.map_err(|e| StoreError::db("listing the desk's orders", e))?;
            found
                .iter()
                .map(|r| Ok(DeskOrder { order: order_from_row(r)?, working: Qty::from_raw(col(r, "working")?) }))
                .collect()
        })
        .await
    }

    /// The children of order `n` of `engine` numbered up to `upto`, from the ledger.
    pub async fn desk_children(&self, engine: i64, n: u64, upto: u32) -> Result<Vec<ChildOrder>, StoreError> {
        self.run(move |pool, b| async move { super::query::order_children(&pool, b, engine, n, upto).await }).await
    }

    /// Order `n` of `engine` with its children and fills, from the ledger.
    pub async fn desk_order(&self, engine: i64, n: u64) -> Result<Option<OrderDetail>, StoreError> {
        self.run(move |pool, b| async move { order_detail(&pool, b, engine, n).await }).await
    }

    /// The desk's engines that hold an order numbered `n` (of `owner` when
    /// given): what a short id such as `P3` may mean.
    pub async fn engines_with_order(&self, n: u64, owner: Option<(String, String)>) -> Result<Vec<i64>, StoreError> {
        self.run(move |pool, b| async move {
            let mut w = Where::default();
            w.add("p.id = ? AND e.kind = 'serve'", [Val::I(int(n))]);
            if let Some((tenant, user)) = owner {
                w.add("p.tenant = ? AND p.user_name = ?", [Val::T(tenant), Val::T(user)]);
            }
            let sql = format!(
                "SELECT p.engine_id AS engine_id FROM parents p JOIN engines e ON e.id = p.engine_id {} \
                 ORDER BY p.engine_id",
                w.text()
            );
            let found =
                w.bind(b.q(&sql)).fetch_all(&pool).await.map_err(|e| StoreError::db("looking up an order", e))?;
            found.iter().map(|r| col(r, "engine_id")).collect()
        })
        .await
    }

    /// Who runs engine `id` of the desk.
    pub async fn runner(&self, id: i64) -> Result<Runner, StoreError> {
        self.run(move |pool, b| async move {
            let sql = format!("SELECT kind, {} FROM engines WHERE id = ?", liveness_cols(b));
            let Some(r) =
                b.q(&sql).bind(id).fetch_optional(&pool).await.map_err(|e| StoreError::db("reading an engine", e))?
            else {
                return Ok(Runner::Unknown);
            };
            if col::<String>(&r, "kind")? != "serve" {
                return Ok(Runner::Unknown);
            }
            let (live, now) = Liveness::from_row(&r)?;
            Ok(match live.running(now) {
                None => Runner::Nobody,
                Some(_) if let Some(silent) = live.silent(now) => Runner::Unreachable(silent),
                Some(why) => Runner::Elsewhere(why),
            })
        })
        .await
    }

    /// Every engine of the desk with the sequence number of its last
    /// committed event: what the desk-wide event stream relays from.
    pub async fn engine_positions(&self) -> Result<Vec<(i64, u64)>, StoreError> {
        self.run(move |pool, b| async move {
            let found = b
                .q("SELECT id, last_seq FROM engines WHERE kind = 'serve' ORDER BY id")
                .fetch_all(&pool)
                .await
                .map_err(|e| StoreError::db("reading the desk's engines", e))?;
            found.iter().map(|r| Ok((col(r, "id")?, u64::try_from(col::<i64>(r, "last_seq")?).unwrap_or(0)))).collect()
        })
        .await
    }

    /// The desk's engines some process runs (by their leases).
    pub async fn running_engines(&self) -> Result<Vec<i64>, StoreError> {
        self.run(move |pool, b| async move {
            let sql = format!(
                "SELECT id, {} FROM engines WHERE kind = 'serve' AND stopped_at IS NULL ORDER BY id",
                liveness_cols(b)
            );
            let found = b.q(&sql).fetch_all(&pool).await.map_err(|e| StoreError::db("listing running engines", e))?;
            let mut out = Vec::new();
            for r in &found {
                let (live, now) = Liveness::from_row(r)?;
                if live.running(now).is_some() {
                    out.push(col(r, "id")?);
                }
            }
            Ok(out)
        })
        .await
    }

    /// The desk's engines nobody runs that still have open orders: for an
    /// instance to take over. Judged by the lease of each and the
    /// database's clock; an owner on this machine that is gone is seen at once.
    pub async fn orphaned_engines(&self) -> Result<Vec<i64>, StoreError> {
        self.run(move |pool, b| async move {
            let sql = format!(
                "SELECT e.id AS id, {} FROM engines e WHERE e.kind = 'serve' AND EXISTS \
                 (SELECT 1 FROM parents p WHERE p.engine_id = e.id AND p.status IN {OPEN_STATUSES}) ORDER BY e.id",
                liveness_cols(b)
            );
            let found =
                b.q(&sql).fetch_all(&pool).await.map_err(|e| StoreError::db("looking for orphaned engines", e))?;
            let mut out = Vec::new();
            for r in &found {
                let (live, now) = Liveness::from_row(r)?;
                if live.running(now).is_none() {
                    out.push(col(r, "id")?);
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u64, symbols: &[&str]) -> MarketKey {
        MarketKey {
            seed,
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            symbols: Some(normalised(&symbols.iter().map(|s| s.to_string()).collect::<Vec<_>>())),
            model: MarketParams::default(),
            custom: false,
        }
    }

    fn engine(id: i64, market: MarketKey, running: bool, open_orders: u64) -> DeskEngine {
        DeskEngine { id, market, running: running.then(|| "pid 9 on h".to_string()), open_orders }
    }

    #[test]
    fn symbols_in_another_order_are_the_same_market() {
        assert_eq!(key(42, &["MSFT", "aapl", "AAPL"]), key(42, &["AAPL", "MSFT"]));
        let mut custom = key(42, &["AAPL"]);
        custom.custom = true;
        assert!(!custom.same(&custom.clone()), "a universe file or recorded data is never resumed by flags");
    }

    #[test]
    fn the_latest_free_engine_of_the_same_market_is_resumed_and_the_rest_with_open_orders_taken_over() {
        let want = key(42, &["AAPL", "MSFT"]);
        let desk = vec![
            engine(1, want.clone(), false, 0),
            engine(2, key(7, &["AAPL"]), false, 3),
            engine(3, want.clone(), false, 2),
            engine(4, want.clone(), true, 5),
        ];
        let p = plan(&desk, &want, false).unwrap();
        assert_eq!(p.home, Some(3));
        assert_eq!(p.adopt, vec![2], "E4 runs elsewhere, E1 has nothing open");
        assert!(p.notes[0].contains("E2") && p.notes[0].contains("3 open order"), "{:?}", p.notes);
    }

    #[test]
    fn another_market_on_the_same_day_is_refused_naming_the_engine() {
        let desk = vec![engine(5, key(42, &["AAPL", "MSFT"]), false, 2)];
        let e = plan(&desk, &key(42, &["AAPL"]), false).unwrap_err();
        assert!(e.starts_with("engine E5 of this desk simulates seed 42, 2026-11-25, AAPL,MSFT (2 open order"), "{e}");
        assert!(e.contains("--symbols AAPL (it has AAPL,MSFT)") && e.contains("--new-engine"), "{e}");
        let e = plan(&desk, &key(7, &["MSFT", "AAPL"]), false).unwrap_err();
        assert!(e.contains("--seed 7 (it has 42)"), "{e}");
        // Running elsewhere counts too: one desk, one market per day.
        let live = vec![engine(6, key(42, &["AAPL"]), true, 0)];
        assert!(plan(&live, &key(42, &["MSFT"]), false).unwrap_err().contains("running: pid 9 on h"));
        // Asked for: a new engine, and the other taken over for its orders.
        let p = plan(&desk, &key(42, &["AAPL"]), true).unwrap();
        assert_eq!((p.home, p.adopt), (None, vec![5]));
    }

    #[test]
    fn a_finished_engine_or_another_day_does_not_stand_in_the_way() {
        let want = key(42, &["AAPL"]);
        let mut yesterday = key(42, &["AAPL"]);
        yesterday.date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let desk = vec![engine(1, key(9, &["BTC-USD"]), false, 0), engine(2, yesterday, false, 1)];
        let p = plan(&desk, &want, false).unwrap();
        assert_eq!((p.home, p.adopt), (None, vec![2]), "yesterday's open order comes back, a new engine starts");
        let running_same = vec![engine(3, want.clone(), true, 4)];
        let p = plan(&running_same, &want, false).unwrap();
        assert_eq!((p.home, p.adopt.len()), (None, 0));
        assert!(p.notes[0].contains("E3 has the same market and is running"), "{:?}", p.notes);
    }
}
