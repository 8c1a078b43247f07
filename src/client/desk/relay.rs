//! Where a call about an order goes, and how it gets to an engine another
//! instance runs: through the ledger (`store::relay`), never a connection
//! between instances. An id names its engine (`E3-P17`); a short id (`P17`)
//! is resolved among the orders of the desk the caller may see, and refused
//! as ambiguous when it could mean more than one.

use super::{Desk, Embedded};
use crate::client::{Client, ClientError, ErrorCode};
use crate::engine::view::may_see;
use crate::engine::{Actor, Amendment};
use crate::model::ParentId;
use crate::store::desk::{Runner, Silent};
use crate::store::relay::{CommandState, Notice, QueuedCommand};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How long a command waits for another instance to claim it before it is
/// withdrawn: a live instance claims within milliseconds (it is told at
/// once on PostgreSQL and polls every `POLL`); one that does not is down or
/// stuck, and its engines are taken over when its lease runs out.
pub const CLAIM_WITHIN: Duration = Duration::from_secs(3);
/// How long a claimed command may take to be answered.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(20);
/// How often the queue is looked at when no notice came.
const POLL: Duration = Duration::from_millis(200);

/// A call carried out on another instance's engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Forward {
    /// `Client::amend`.
    Amend {
        /// Order.
        id: ParentId,
        /// Change.
        change: Amendment,
    },
    /// `Client::cancel`.
    Cancel {
        /// Order.
        id: ParentId,
    },
    /// `Client::pause`.
    Pause {
        /// Order.
        id: ParentId,
    },
    /// `Client::resume`.
    Resume {
        /// Order.
        id: ParentId,
    },
    /// `Client::order`.
    Order {
        /// Order.
        id: ParentId,
    },
    /// `Client::tca`.
    Tca {
        /// Order.
        id: ParentId,
    },
    /// `Client::kill_all` on that engine.
    KillAll,
    /// `Client::kill_tenant` on that engine.
    KillTenant {
        /// Tenant.
        tenant: String,
    },
    /// `Client::set_trading_state` on that engine.
    SetTradingState {
        /// Tenant, or every tenant.
        tenant: Option<String>,
        /// State.
        state: crate::risk::TradingState,
    },
    /// `Client::set_execution` on that engine.
    SetExecution {
        /// Tenant.
        tenant: String,
        /// On or off.
        enabled: bool,
    },
    /// `Client::set_limits` on that engine.
    SetLimits {
        /// Tenant.
        tenant: String,
        /// User, for an override.
        user: Option<String>,
        /// Limits.
        limits: crate::risk::Limits,
    },
    /// `Client::set_desk_limits` on that engine.
    SetDeskLimits {
        /// Limits.
        limits: crate::risk::Limits,
    },
}

impl Forward {
    /// The same call about order `id` (resolved).
    pub fn with_id(self, to: ParentId) -> Forward {
        match self {
            Forward::Amend { change, .. } => Forward::Amend { id: to, change },
            Forward::Cancel { .. } => Forward::Cancel { id: to },
            Forward::Pause { .. } => Forward::Pause { id: to },
            Forward::Resume { .. } => Forward::Resume { id: to },
            Forward::Order { .. } => Forward::Order { id: to },
            Forward::Tca { .. } => Forward::Tca { id: to },
            other => other,
        }
    }

    /// Carries the call out on a local engine, acting as its caller; the answer as JSON.
    pub async fn run(self, e: &Embedded) -> Result<serde_json::Value, ClientError> {
        fn json<T: Serialize>(v: T) -> Result<serde_json::Value, ClientError> {
            serde_json::to_value(v).map_err(|e| ClientError::new(ErrorCode::Internal, format!("answer: {e}")))
        }
        match self {
            Forward::Amend { id, change } => json(e.amend(id, change).await?),
            Forward::Cancel { id } => json(e.cancel(id).await?),
            Forward::Pause { id } => json(e.pause(id).await?),
            Forward::Resume { id } => json(e.resume(id).await?),
            Forward::Order { id } => json(e.order(id).await?),
            Forward::Tca { id } => json(e.tca(id).await?),
            Forward::KillAll => json(e.kill_all().await?),
            Forward::KillTenant { tenant } => json(e.kill_tenant(&tenant).await?),
            Forward::SetTradingState { tenant, state } => json(e.set_trading_state(tenant.as_deref(), state).await?),
            Forward::SetExecution { tenant, enabled } => json(e.set_execution(&tenant, enabled).await?),
            Forward::SetLimits { tenant, user, limits } => json(e.set_limits(&tenant, user.as_deref(), limits).await?),
            Forward::SetDeskLimits { limits } => json(e.set_desk_limits(limits).await?),
        }
    }
}

/// A forwarded call's answer, as it travels.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Ok(serde_json::Value),
    Err {
        error: ClientError,
        /// The owner's engine audited the refusal already (one audit row per refusal).
        #[serde(default)]
        audited: bool,
    },
}

impl Answer {
    fn refused(error: ClientError) -> Answer {
        let audited = error.engine_audited();
        Answer::Err { error, audited }
    }
}

/// The answer's value as `T`.
pub fn decode<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ClientError> {
    serde_json::from_value(v)
        .map_err(|e| ClientError::new(ErrorCode::Internal, format!("an answer from another instance: {e}")))
}

/// Where an order's engine runs.
pub enum Route {
    /// Here: the engine and the order's full id.
    Here(Embedded, ParentId),
    /// In another instance: the engine's number and the order's full id.
    Elsewhere(i64, ParentId),
    /// Nowhere right now (its instance stopped; it is taken over within the lease).
    Nobody(i64, ParentId),
}

/// Where order `id` is, for `actor`.
pub async fn route(desk: &Desk, actor: &Actor, id: ParentId) -> Result<Route, ClientError> {
    let id = resolve(desk, actor, id).await?;
    if let Some(e) = desk.engine(id.engine) {
        return Ok(Route::Here(e, id));
    }
    let Some(l) = desk.ledger() else {
        return Err(ClientError::not_found(format!("no order {id}")));
    };
    let engine = i64::from(id.engine);
    match l.handle.runner(engine).await.map_err(unavailable)? {
        Runner::Unknown => Err(ClientError::not_found(format!("no order {id}: no engine E{engine} on this desk"))),
        Runner::Elsewhere(_) => Ok(Route::Elsewhere(engine, id)),
        Runner::Unreachable(silent) => Err(unreachable(engine, id, &silent)),
        Runner::Nobody => Ok(Route::Nobody(engine, id)),
    }
}

/// The full id of `id`: a short id is looked up among the desk's orders the
/// caller may see (this instance's engines and the ledger's).
async fn resolve(desk: &Desk, actor: &Actor, id: ParentId) -> Result<ParentId, ClientError> {
    if id.is_qualified() {
        return Ok(id);
    }
    let mut found: Vec<u32> = Vec::new();
    for h in desk.hosted() {
        let n = h.engine.number();
        if h.engine.parent(id.on(n)).is_some_and(|o| may_see(actor, &o)) {
            found.push(n);
        }
    }
    if let Some(l) = desk.ledger() {
        let owner = (!actor.role.is_supervisor()).then(|| (actor.tenant.to_string(), actor.user.to_string()));
        for e in l.handle.engines_with_order(id.n, owner).await.map_err(unavailable)? {
            let n = u32::try_from(e).unwrap_or(0);
            if !found.contains(&n) && desk.engine(n).is_none() {
                found.push(n);
            }
        }
    }
    match found.as_slice() {
        [] if desk.ledger().is_none() => Ok(id.on(desk.home_number())),
        [] => Err(ClientError::not_found(format!("no order {id}"))),
        [one] => Ok(id.on(*one)),
        many => {
            let refs: Vec<String> = many.iter().map(|n| id.on(*n).to_string()).collect();
            Err(ClientError::in_field(
                ErrorCode::AmbiguousId,
                format!("{id} could be {}: name the engine, e.g. {}", refs.join(" or "), refs[0]),
                Some("id".into()),
            ))
        }
    }
}

/// The refusal of a call about an order whose engine nobody runs right now.
pub fn nobody(engine: i64, id: ParentId) -> ClientError {
    ClientError::new(
        ErrorCode::EngineUnavailable,
        format!(
            "{id} is on engine E{engine}, which no instance runs right now (its instance stopped): another \
             instance takes it over once its lease runs out, with its working orders interrupted; try again then"
        ),
    )
}

/// The refusal of a call about an order whose engine's owner stopped
/// renewing its lease: answered at once (queueing it would wait for nobody),
/// saying when the engine is taken over.
pub fn unreachable(engine: i64, id: ParentId, s: &Silent) -> ClientError {
    let at = chrono::DateTime::from_timestamp_millis(s.expires_at_ms)
        .map_or_else(|| "?".to_string(), |t| t.format("%H:%M:%S%.3f UTC").to_string());
    let left = (s.lease_ms - s.silent_ms).max(0);
    ClientError::new(
        ErrorCode::EngineUnavailable,
        format!(
            "{id} is on engine E{engine}, whose owner ({}) is unreachable: no heartbeat for {:.1} s of its {:.1} s \
             lease. The lease runs out at {at} (in {:.1} s); another instance then takes the engine over, with its \
             working orders interrupted. Nothing was done: try again after that",
            s.owner,
            s.silent_ms as f64 / 1e3,
            s.lease_ms as f64 / 1e3,
            left as f64 / 1e3
        ),
    )
}

fn unavailable(e: crate::store::StoreError) -> ClientError {
    ClientError::ledger_unavailable(&e)
}

/// A failure of a call on local engine `number`, named for what it is when
/// the engine was taken over by another process meanwhile (fenced out).
pub fn fenced(desk: &Desk, number: u32, e: ClientError) -> ClientError {
    if !desk.is_fenced(number) || e.code != ErrorCode::LedgerUnavailable {
        return e;
    }
    // The writer's refusal names the new owner: say that, without the layers around it.
    let detail = e.message.find("engine E").map_or(e.message.as_str(), |i| &e.message[i..]);
    ClientError::new(ErrorCode::EngineFenced, format!("{detail}. Ask again: requests for E{number} go to its owner"))
}

/// The desk's engines another instance runs.
pub async fn running_elsewhere(desk: &Desk) -> Result<Vec<i64>, ClientError> {
    let Some(l) = desk.ledger() else { return Ok(Vec::new()) };
    let mine: Vec<i64> = desk.numbers().into_iter().map(i64::from).collect();
    let all = l.handle.running_engines().await.map_err(unavailable)?;
    Ok(all.into_iter().filter(|e| !mine.contains(e)).collect())
}

/// Carries `call` out on `engine`, run by another instance, as `actor`: queued
/// in the ledger, claimed and answered by the engine's owner.
pub async fn forward(desk: &Desk, actor: &Actor, engine: i64, call: Forward) -> Result<serde_json::Value, ClientError> {
    let Some(l) = desk.ledger() else {
        return Err(ClientError::new(ErrorCode::Internal, "no ledger to forward through"));
    };
    let mut notices = l.handle.notices();
    let text = serde_json::to_string(&call).map_err(|e| ClientError::new(ErrorCode::Internal, format!("{e}")))?;
    let id = l.handle.queue_command(engine, actor, text).await.map_err(unavailable)?;
    let asked = Instant::now();
    let mut claimed = false;
    loop {
        match l.handle.command_state(id).await.map_err(unavailable)? {
            CommandState::Done(answer) => {
                return match serde_json::from_str::<Answer>(&answer) {
                    Ok(Answer::Ok(v)) => Ok(v),
                    Ok(Answer::Err { error, audited: true }) => Err(error.audited_by_engine()),
                    Ok(Answer::Err { error, .. }) => Err(error),
                    Err(e) => {
                        Err(ClientError::new(ErrorCode::Internal, format!("an answer from another instance: {e}")))
                    }
                };
            }
            CommandState::Running => claimed = true,
            CommandState::Expired => return Err(no_answer(engine, CLAIM_WITHIN)),
            CommandState::Pending => {}
        }
        let waited = asked.elapsed();
        if !claimed && waited >= CLAIM_WITHIN {
            // Withdrawn unless claimed at this very moment; then wait for the answer.
            if l.handle.withdraw_command(id).await.map_err(unavailable)? {
                return Err(no_answer(engine, CLAIM_WITHIN));
            }
            claimed = true;
        }
        if waited >= CLAIM_WITHIN + ANSWER_WITHIN {
            return Err(ClientError::new(
                ErrorCode::EngineUnavailable,
                format!(
                    "engine E{engine}'s instance took the request but did not answer within {} s; whether it was \
                     carried out shows in the order and the audit log",
                    (CLAIM_WITHIN + ANSWER_WITHIN).as_secs()
                ),
            ));
        }
        wait_for(&mut notices, |n| matches!(n, Notice::Answered(x) if *x == id)).await;
    }
}

fn no_answer(engine: i64, within: Duration) -> ClientError {
    ClientError::new(
        ErrorCode::EngineUnavailable,
        format!(
            "engine E{engine} is run by another instance that did not take the request within {} s (it is down or \
             stuck): nothing was done; its engines are taken over once its lease runs out, then try again",
            within.as_secs()
        ),
    )
}

/// Waits for a notice `wanted` accepts, or `POLL`, whichever comes first.
async fn wait_for(notices: &mut Option<tokio::sync::broadcast::Receiver<Notice>>, wanted: impl Fn(&Notice) -> bool) {
    let Some(rx) = notices.as_mut() else {
        tokio::time::sleep(POLL).await;
        return;
    };
    let _ = tokio::time::timeout(POLL, async {
        loop {
            match rx.recv().await {
                Ok(n) if wanted(&n) => return,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return std::future::pending().await,
            }
        }
    })
    .await;
}

/// Carries out, for as long as the desk lives, the calls other instances
/// forward to the engines this one runs. Each runs in a task of its own, so
/// a call waiting for its engine never holds up the others.
pub async fn serve_forwarded(desk: Desk) {
    let Some(l) = desk.ledger().cloned() else { return };
    let mut notices = l.handle.notices();
    loop {
        let mine: Vec<i64> = desk.numbers().into_iter().map(i64::from).collect();
        match l.handle.take_commands(mine.clone()).await {
            Ok(cmds) => {
                for c in cmds {
                    let (desk, handle) = (desk.clone(), l.handle.clone());
                    tokio::spawn(async move {
                        let id = c.id;
                        let answer = carry_out(&desk, c).await;
                        let text = serde_json::to_string(&answer)
                            .unwrap_or_else(|_| r#"{"err":{"error":{"code":"internal","message":"answer"}}}"#.into());
                        if let Err(e) = handle.answer_command(id, text).await {
                            tracing::warn!("answering forwarded command {id}: {e}");
                        }
                    });
                }
            }
            Err(e) => tracing::warn!("forwarded commands: {e}"),
        }
        wait_for(&mut notices, |n| matches!(n, Notice::Command(e) if mine.contains(e))).await;
    }
}

async fn carry_out(desk: &Desk, c: QueuedCommand) -> Answer {
    let Ok(number) = u32::try_from(c.engine) else {
        return Answer::refused(ClientError::new(ErrorCode::Internal, format!("engine E{} is out of range", c.engine)));
    };
    let Some(engine) = desk.engine(number) else {
        return Answer::refused(ClientError::new(
            ErrorCode::EngineUnavailable,
            format!("engine E{number} left this instance before the request reached it; try again"),
        ));
    };
    let call: Forward = match serde_json::from_str(&c.command) {
        Ok(f) => f,
        Err(e) => return Answer::refused(ClientError::new(ErrorCode::Internal, format!("a forwarded call: {e}"))),
    };
    // A change the limits check counts its owner's usage on the other
    // engines; the asker holds the control lock, the user's lock is taken here.
    let gated = match &call {
        Forward::Amend { id, .. } | Forward::Resume { id } => engine.parent(*id).map(|o| o.owner),
        _ => None,
    };
    let _user = match gated {
        Some(owner) => match super::usage::prepare(desk, &engine, &owner.tenant, &owner.user, None).await {
            Ok(h) => Some(h),
            Err(e) => return Answer::refused(e),
        },
        None => None,
    };
    match call.run(&engine.as_actor(c.actor)).await {
        Ok(v) => Answer::Ok(v),
        Err(e) => Answer::refused(fenced(desk, number, e)),
    }
}
