//! One desk, served by one or several `blotter serve` instances sharing a
//! ledger. An instance runs some of the desk's engines in-process (its
//! "home" engine, where the orders submitted to it go, and the engines it
//! took over from instances that died); the other engines run in other
//! instances. `DeskClient` is the client contract over the whole desk, as
//! one caller: calls about an order go to the engine that runs it (here,
//! or through the ledger to the instance that runs it, `relay`); lists read
//! this instance's engines from memory and the others' from the ledger
//! (`reads`); the kill switches and risk controls reach every engine of the
//! desk. Without a ledger the desk is one engine and every call is its own.

mod catch_up;
pub mod keeper;
mod reads;
pub mod relay;
pub mod usage;

use super::{AlgoConfig, Client, ClientError, Embedded, EventStream, ModeRequest, ModeView, TcaGroup, TcaQuery};
use crate::algo::PlannedSlice;
use crate::client::ErrorCode;
use crate::engine::view::{
    BookView, ClockView, Health, Identity, InstrumentView, OrderDetail, OrderQuery, OrderRow, Page, VenueView,
};
use crate::engine::{Actor, Amendment, OrderRequest};
use crate::model::ParentId;
use crate::store::{EngineRef, Ledger, LedgerHandle};
use chrono::NaiveDate;
use relay::{Forward, Route};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// An engine this instance runs.
#[derive(Clone)]
pub struct Hosted {
    /// The engine, in-process.
    pub engine: Embedded,
    /// Its registration in the ledger (for a clean stop).
    pub eref: Option<EngineRef>,
    /// Its last event sequence number when this instance took it over
    /// (events up to it are read back from the ledger).
    pub resumed_at: u64,
}

/// What a desk knows of its ledger.
#[derive(Clone)]
pub struct DeskLedger {
    /// The ledger (to take engines over).
    pub ledger: Arc<Ledger>,
    /// Its async handle (reads, the relay).
    pub handle: LedgerHandle,
    /// The trading day the desk shows (its home engine's).
    pub date: NaiveDate,
}

struct Inner {
    engines: RwLock<BTreeMap<u32, Hosted>>,
    home: u32,
    ledger: Option<DeskLedger>,
    /// This instance's side of the control lock (`hold`).
    controls: Arc<tokio::sync::RwLock<()>>,
    /// This instance's side of the users' locks (`usage`), by `user_key`.
    users: Vec<Arc<tokio::sync::Mutex<()>>>,
    /// The number of the desk's last control change its engines were
    /// brought up to (`catch_up`; -1: none yet).
    controls_seen: std::sync::atomic::AtomicI64,
}

/// Stripes of the users' locks in one instance (users sharing one wait for each other).
const USER_STRIPES: usize = 64;

fn stripes() -> Vec<Arc<tokio::sync::Mutex<()>>> {
    (0..USER_STRIPES).map(|_| Arc::default()).collect()
}

/// A hold of the desk's control lock: this instance's, and the database's
/// when instances share one (`store::guard`). Released when dropped.
pub struct Hold {
    /// The database's hold, with the ledger it is held on.
    desk: Option<(crate::store::guard::DeskHold, LedgerHandle)>,
    _here: HereHold,
}

impl Hold {
    /// Also holds a user's lock in the database until this hold is released
    /// (see `usage`).
    pub async fn lock_user(&mut self, tenant: &str, user: &str) -> Result<(), ClientError> {
        match self.desk.as_mut() {
            Some((d, ledger)) => d.lock_user(tenant, user).await.map_err(|e| lock_refused(ledger, &e)),
            None => Ok(()),
        }
    }
}

/// What the caller is told when one of the desk's locks could not be had:
/// during a database outage, noticed before the call or by the hold itself
/// (`store::guard` notes it), `ledger_unavailable` at once with the outage;
/// otherwise the lock is held elsewhere and the desk is busy. The one rule
/// for every hold (control lock, a user's lock, alone or joined).
pub(crate) fn lock_refused(ledger: &LedgerHandle, e: &crate::store::StoreError) -> ClientError {
    match ledger.outage().down() {
        Some(down) => unavailable(&down),
        None => ClientError::new(ErrorCode::DeskBusy, e.for_users()),
    }
}

/// During a database outage nothing that needs the ledger is done.
fn unavailable(down: &crate::store::outage::Down) -> ClientError {
    ClientError::new(ErrorCode::LedgerUnavailable, format!("{}; nothing was done, try again", down.describe()))
}

enum HereHold {
    Shared(#[allow(dead_code)] tokio::sync::OwnedRwLockReadGuard<()>),
    Exclusive(#[allow(dead_code)] tokio::sync::OwnedRwLockWriteGuard<()>),
}

/// The desk as this instance serves it (cheap to clone).
#[derive(Clone)]
pub struct Desk(Arc<Inner>);

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("home", &self.0.home).field("engines", &self.numbers()).finish()
    }
}

impl From<Embedded> for Desk {
    fn from(engine: Embedded) -> Desk {
        Desk::single(engine)
    }
}

impl Desk {
    /// A desk of one engine and no ledger.
    pub fn single(engine: Embedded) -> Desk {
        let home = engine.number();
        let hosted = Hosted { engine, eref: None, resumed_at: 0 };
        Desk(Arc::new(Inner {
            engines: RwLock::new(BTreeMap::from([(home, hosted)])),
            home,
            ledger: None,
            controls: Arc::default(),
            users: stripes(),
            controls_seen: std::sync::atomic::AtomicI64::new(-1),
        }))
    }

    /// A desk over a ledger, with this instance's home engine.
    pub fn new(home: Hosted, ledger: DeskLedger) -> Desk {
        let n = home.engine.number();
        Desk(Arc::new(Inner {
            engines: RwLock::new(BTreeMap::from([(n, home)])),
            home: n,
            ledger: Some(ledger),
            controls: Arc::default(),
            users: stripes(),
            controls_seen: std::sync::atomic::AtomicI64::new(-1),
        }))
    }

    /// Holds the desk's control lock: shared while an order is acknowledged,
    /// exclusive while a desk-wide control is applied on every engine. Here
    /// first, then in the database, always in that order.
    pub async fn hold(&self, exclusive: bool) -> Result<Hold, ClientError> {
        let lock = Arc::clone(&self.0.controls);
        let here = if exclusive {
            HereHold::Exclusive(lock.write_owned().await)
        } else {
            HereHold::Shared(lock.read_owned().await)
        };
        let desk = match self.ledger() {
            // During a database outage the lock cannot be had: refused at once, not after its timeout.
            Some(l) if let Some(down) = l.handle.outage().down() => return Err(unavailable(&down)),
            // An outage not noticed yet is noticed by the hold itself (`store::guard`).
            Some(l) => {
                Some((l.handle.hold(exclusive).await.map_err(|e| lock_refused(&l.handle, &e))?, l.handle.clone()))
            }
            None => None,
        };
        Ok(Hold { desk, _here: here })
    }

    /// This instance's side of `tenant`/`user`'s lock.
    async fn lock_user_here(&self, tenant: &str, user: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let key = crate::store::guard::user_key(tenant, user);
        let i = usize::try_from(key.unsigned_abs()).unwrap_or(0) % self.0.users.len().max(1);
        Arc::clone(&self.0.users[i]).lock_owned().await
    }

    fn engines(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u32, Hosted>> {
        self.0.engines.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `hosted` here from now on (an engine taken over).
    pub fn add(&self, hosted: Hosted) {
        let n = hosted.engine.number();
        self.0.engines.write().unwrap_or_else(|e| e.into_inner()).insert(n, hosted);
    }

    /// Stops running engine `number` here (another process took it over).
    pub fn remove(&self, number: u32) -> Option<Hosted> {
        if number == self.0.home {
            // The home engine stays listed: its calls then say it was taken over.
            return None;
        }
        self.0.engines.write().unwrap_or_else(|e| e.into_inner()).remove(&number)
    }

    /// The engine new orders go to.
    pub fn home(&self) -> Embedded {
        self.engines().get(&self.0.home).map(|h| h.engine.clone()).unwrap_or_else(|| unreachable!("home stays"))
    }

    /// The home engine's number.
    pub fn home_number(&self) -> u32 {
        self.0.home
    }

    /// Whether this instance lost engine `number` to another process.
    pub fn is_fenced(&self, number: u32) -> bool {
        self.ledger().is_some_and(|l| l.ledger.fenced().borrow().contains(&i64::from(number)))
    }

    /// Engine `number`, if this instance runs it (and was not fenced out of it).
    pub fn engine(&self, number: u32) -> Option<Embedded> {
        self.engines().get(&number).filter(|_| !self.is_fenced(number)).map(|h| h.engine.clone())
    }

    /// Every engine this instance runs.
    pub fn hosted(&self) -> Vec<Hosted> {
        self.engines().iter().filter(|(n, _)| !self.is_fenced(**n)).map(|(_, h)| h.clone()).collect()
    }

    /// Every engine this instance took on, fenced or not (to stop them cleanly).
    pub fn all_hosted(&self) -> Vec<Hosted> {
        self.engines().values().cloned().collect()
    }

    /// Their numbers.
    pub fn numbers(&self) -> Vec<u32> {
        self.hosted().iter().map(|h| h.engine.number()).collect()
    }

    /// The ledger, when the desk has one.
    pub fn ledger(&self) -> Option<&DeskLedger> {
        self.0.ledger.as_ref()
    }

    /// The desk acting as `actor`.
    pub fn as_actor(&self, actor: Actor) -> DeskClient {
        DeskClient { desk: self.clone(), actor }
    }
}

/// The whole desk, as one caller.
#[derive(Clone)]
pub struct DeskClient {
    desk: Desk,
    actor: Actor,
}

impl std::fmt::Debug for DeskClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskClient").field("actor", &self.actor).field("desk", &self.desk).finish()
    }
}

impl DeskClient {
    fn home(&self) -> Embedded {
        self.desk.home().as_actor(self.actor.clone())
    }

    fn local(&self, e: &Embedded) -> Embedded {
        e.as_actor(self.actor.clone())
    }

    /// A call about one order, wherever its engine runs. With `gate` (the
    /// caller's hold of the control lock), a change the limits check: the
    /// order owner's usage on the desk's other engines is counted (`usage`).
    async fn on_order<T, F, Fut>(
        &self,
        id: ParentId,
        forward: Forward,
        gate: Option<&mut Hold>,
        here: F,
    ) -> Result<T, ClientError>
    where
        T: serde::de::DeserializeOwned,
        F: FnOnce(Embedded, ParentId) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        match relay::route(&self.desk, &self.actor, id).await? {
            Route::Here(engine, id) => {
                let number = id.engine;
                let _user = match (gate, engine.parent(id)) {
                    (Some(hold), Some(o)) => {
                        Some(usage::prepare(&self.desk, &engine, &o.owner.tenant, &o.owner.user, Some(hold)).await?)
                    }
                    _ => None,
                };
                let r = here(self.local(&engine), id).await;
                r.map_err(|e| relay::fenced(&self.desk, number, e))
            }
            Route::Elsewhere(engine, id) => {
                relay::forward(&self.desk, &self.actor, engine, forward.with_id(id)).await.and_then(relay::decode)
            }
            Route::Nobody(engine, id) => Err(relay::nobody(engine, id)),
        }
    }

    /// A desk-wide action: here on every engine this instance runs, and on
    /// every engine another instance runs. What the home engine answers is
    /// returned; the first failure elsewhere after that.
    async fn everywhere<T, F, Fut>(&self, forward: Forward, here: F) -> Result<Vec<T>, ClientError>
    where
        T: serde::de::DeserializeOwned,
        F: Fn(Embedded) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        // Held from before the first engine applies it until the last did:
        // no order is acknowledged in between, anywhere on the desk.
        let _hold = self.desk.hold(true).await?;
        let mut out = Vec::new();
        let home = self.desk.home_number();
        let mut hosted = self.desk.hosted();
        hosted.sort_by_key(|h| h.engine.number() != home);
        for h in hosted {
            let n = h.engine.number();
            match here(self.local(&h.engine)).await {
                Ok(v) => out.push(v),
                Err(e) if n == home => return Err(relay::fenced(&self.desk, n, e)),
                Err(e) => tracing::warn!("desk-wide action on engine E{n}: {e}"),
            }
        }
        for engine in relay::running_elsewhere(&self.desk).await? {
            let v = relay::forward(&self.desk, &self.actor, engine, forward.clone()).await.and_then(relay::decode)?;
            out.push(v);
        }
        Ok(out)
    }
}

impl Client for DeskClient {
    fn describe(&self) -> String {
        self.desk.home().describe()
    }

    async fn whoami(&self) -> Result<Identity, ClientError> {
        self.home().whoami().await
    }

    async fn health(&self) -> Result<Health, ClientError> {
        let mut h = self.home().health().await?;
        for hosted in self.desk.hosted().iter().filter(|x| x.engine.number() != self.desk.home_number()) {
            if let Ok(other) = hosted.engine.health().await {
                h.open_orders += other.open_orders;
            }
        }
        Ok(h)
    }

    async fn clock(&self) -> Result<ClockView, ClientError> {
        self.home().clock().await
    }

    async fn set_speed(&self, speed: f64) -> Result<ClockView, ClientError> {
        let home = self.home().set_speed(speed).await?;
        for h in self.desk.hosted().iter().filter(|x| x.engine.number() != self.desk.home_number()) {
            self.local(&h.engine).set_speed(speed).await?;
        }
        Ok(home)
    }

    async fn instruments(&self) -> Result<Vec<InstrumentView>, ClientError> {
        self.home().instruments().await
    }

    async fn submit(&self, req: OrderRequest) -> Result<OrderRow, ClientError> {
        let n = self.desk.home_number();
        let mut hold = self.desk.hold(false).await?;
        let home = self.desk.home();
        let _user = usage::prepare(&self.desk, &home, &self.actor.tenant, &self.actor.user, Some(&mut hold)).await?;
        self.home().submit(req).await.map_err(|e| relay::fenced(&self.desk, n, e))
    }

    async fn amend(&self, id: ParentId, change: Amendment) -> Result<OrderRow, ClientError> {
        let fwd = Forward::Amend { id, change: change.clone() };
        // More quantity or another limit is a new risk: under the lock, as a submission.
        let mut hold = self.desk.hold(false).await?;
        self.on_order(id, fwd, Some(&mut hold), |e, id| async move { e.amend(id, change).await }).await
    }

    async fn cancel(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.on_order(id, Forward::Cancel { id }, None, |e, id| async move { e.cancel(id).await }).await
    }

    async fn pause(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        self.on_order(id, Forward::Pause { id }, None, |e, id| async move { e.pause(id).await }).await
    }

    async fn resume(&self, id: ParentId) -> Result<OrderRow, ClientError> {
        let mut hold = self.desk.hold(false).await?;
        self.on_order(id, Forward::Resume { id }, Some(&mut hold), |e, id| async move { e.resume(id).await }).await
    }

    async fn kill_all(&self) -> Result<Vec<ParentId>, ClientError> {
        let hit: Vec<Vec<ParentId>> = self.everywhere(Forward::KillAll, |e| async move { e.kill_all().await }).await?;
        Ok(hit.into_iter().flatten().collect())
    }

    async fn schedule(&self, req: OrderRequest) -> Result<Vec<PlannedSlice>, ClientError> {
        self.home().schedule(req).await
    }

    async fn orders(&self, q: OrderQuery) -> Result<Page<OrderRow>, ClientError> {
        reads::orders(&self.desk, &self.actor, q).await
    }

    async fn order(&self, id: ParentId) -> Result<OrderDetail, ClientError> {
        let mut d = match relay::route(&self.desk, &self.actor, id).await? {
            Route::Here(engine, id) => self.local(&engine).order(id).await,
            Route::Elsewhere(engine, id) => {
                relay::forward(&self.desk, &self.actor, engine, Forward::Order { id }).await.and_then(relay::decode)
            }
            Route::Nobody(engine, id) => reads::order(&self.desk, &self.actor, engine, id).await,
        }?;
        reads::with_ledger_children(&self.desk, &mut d).await?;
        Ok(d)
    }

    async fn book(&self, symbol: &str) -> Result<BookView, ClientError> {
        self.home().book(symbol).await
    }

    async fn venues(&self, symbol: &str) -> Result<Vec<VenueView>, ClientError> {
        self.home().venues(symbol).await
    }

    async fn risk(&self) -> Result<crate::engine::RiskView, ClientError> {
        let home = self.home();
        let Some(l) = self.desk.ledger() else { return home.risk().await };
        // Refused before anything is read for a caller who may not see it.
        home.risk().await?;
        // The desk's other engines as their last commits left them: every
        // engine of the desk is counted once, the home one from memory.
        let mine = i64::from(self.desk.home_number());
        let others = l.handle.desk_usage(vec![mine], l.date).await.map_err(|e| ClientError::ledger_unavailable(&e))?;
        Ok(home.with_engine(|e| e.risk_view_with(&self.actor, &others))?)
    }

    async fn set_limits(
        &self,
        tenant: &str,
        user: Option<&str>,
        limits: crate::risk::Limits,
    ) -> Result<crate::engine::RiskView, ClientError> {
        let fwd =
            Forward::SetLimits { tenant: tenant.to_string(), user: user.map(str::to_string), limits: limits.clone() };
        let views = self
            .everywhere(fwd, |e| {
                let limits = limits.clone();
                async move { e.set_limits(tenant, user, limits).await }
            })
            .await?;
        views.into_iter().next().ok_or_else(|| ClientError::new(ErrorCode::Internal, "no engine answered"))
    }

    async fn set_desk_limits(&self, limits: crate::risk::Limits) -> Result<crate::engine::RiskView, ClientError> {
        let fwd = Forward::SetDeskLimits { limits: limits.clone() };
        let views = self
            .everywhere(fwd, |e| {
                let limits = limits.clone();
                async move { e.set_desk_limits(limits).await }
            })
            .await?;
        views.into_iter().next().ok_or_else(|| ClientError::new(ErrorCode::Internal, "no engine answered"))
    }

    async fn set_trading_state(
        &self,
        tenant: Option<&str>,
        state: crate::risk::TradingState,
    ) -> Result<crate::engine::RiskView, ClientError> {
        let fwd = Forward::SetTradingState { tenant: tenant.map(str::to_string), state };
        let views = self.everywhere(fwd, |e| async move { e.set_trading_state(tenant, state).await }).await?;
        views.into_iter().next().ok_or_else(|| ClientError::new(ErrorCode::Internal, "no engine answered"))
    }

    async fn set_execution(&self, tenant: &str, enabled: bool) -> Result<crate::engine::RiskView, ClientError> {
        let fwd = Forward::SetExecution { tenant: tenant.to_string(), enabled };
        let views = self.everywhere(fwd, |e| async move { e.set_execution(tenant, enabled).await }).await?;
        views.into_iter().next().ok_or_else(|| ClientError::new(ErrorCode::Internal, "no engine answered"))
    }

    async fn kill_tenant(&self, tenant: &str) -> Result<Vec<ParentId>, ClientError> {
        let fwd = Forward::KillTenant { tenant: tenant.to_string() };
        let hit: Vec<Vec<ParentId>> = self.everywhere(fwd, |e| async move { e.kill_tenant(tenant).await }).await?;
        Ok(hit.into_iter().flatten().collect())
    }

    async fn tca(&self, id: ParentId) -> Result<crate::tca::TcaReport, ClientError> {
        self.on_order(id, Forward::Tca { id }, None, |e, id| async move { e.tca(id).await }).await
    }

    async fn estimate(&self, req: OrderRequest) -> Result<crate::impact::Estimate, ClientError> {
        self.home().estimate(req).await
    }

    async fn subscribe(&self, after: Option<u64>) -> Result<EventStream, ClientError> {
        self.home().subscribe(after).await
    }

    async fn tca_groups(&self, q: TcaQuery) -> Result<Vec<TcaGroup>, ClientError> {
        self.home().tca_groups(q).await
    }

    async fn algo_config(&self, tenant: Option<&str>) -> Result<AlgoConfig, ClientError> {
        self.home().algo_config(tenant).await
    }

    async fn set_algo_config(&self, tenant: Option<&str>, cfg: AlgoConfig) -> Result<AlgoConfig, ClientError> {
        self.home().set_algo_config(tenant, cfg).await
    }

    async fn mode(&self) -> Result<ModeView, ClientError> {
        self.home().mode().await
    }

    async fn set_mode(&self, req: ModeRequest) -> Result<ModeView, ClientError> {
        self.home().set_mode(req).await
    }
}
