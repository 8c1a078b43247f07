//! How the instances of one desk reach each other: through their shared
//! database only. A request that reaches an instance for an engine another
//! instance runs is queued in `desk_commands`; the owner claims it (pending
//! -> running), carries it out and writes the answer (done); the asker
//! waits for the answer, and withdraws a command nobody claimed in time
//! (expired), so it is never carried out late. On PostgreSQL every change
//! is announced with NOTIFY on one channel, so nobody waits for a poll;
//! polling stays as the fallback (a listener reconnecting misses what was
//! announced meanwhile). Commands and answers are JSON the client layer
//! defines; the ledger only keeps them.

use super::db::is_unique_violation;
use super::handle::{LedgerHandle, RETRIES};
use super::rows::col;
use super::{Backend, StoreError, wall_ms};
use crate::engine::Actor;
use sqlx::Connection;

/// The NOTIFY channel of the desk.
pub const CHANNEL: &str = "blotter_desk";

/// A command for an engine this instance runs, claimed.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedCommand {
    /// Its number.
    pub id: i64,
    /// The engine it is for.
    pub engine: i64,
    /// Who asked.
    pub actor: Actor,
    /// The command (JSON).
    pub command: String,
}

/// Where a command stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandState {
    /// Nobody claimed it yet.
    Pending,
    /// Its engine's owner is carrying it out.
    Running,
    /// Answered (JSON).
    Done(String),
    /// Withdrawn before anybody claimed it.
    Expired,
}

/// What a notification on the desk's channel says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A command was queued for this engine.
    Command(i64),
    /// This command was answered.
    Answered(i64),
    /// The desk's risk controls changed (their version).
    Controls(i64),
    /// Something else (a newer build's notice): ignored.
    Other(String),
}

impl Notice {
    /// The payload of this notice.
    pub fn payload(&self) -> String {
        match self {
            Notice::Command(e) => format!("cmd:{e}"),
            Notice::Answered(id) => format!("done:{id}"),
            Notice::Controls(n) => format!("risk:{n}"),
            Notice::Other(s) => s.clone(),
        }
    }

    /// The notice a payload carries.
    pub fn parse(payload: &str) -> Notice {
        let num = |s: &str| s.parse::<i64>().ok();
        match payload.split_once(':') {
            Some(("cmd", n)) if num(n).is_some() => Notice::Command(num(n).unwrap_or(0)),
            Some(("done", n)) if num(n).is_some() => Notice::Answered(num(n).unwrap_or(0)),
            Some(("risk", n)) if num(n).is_some() => Notice::Controls(num(n).unwrap_or(0)),
            _ => Notice::Other(payload.to_string()),
        }
    }
}

/// Announces `notice` to every instance (PostgreSQL; nothing on SQLite,
/// which serves one instance).
async fn announce(conn: &mut sqlx::AnyConnection, b: Backend, notice: &Notice) -> Result<(), sqlx::Error> {
    if b == Backend::Postgres {
        b.q("SELECT pg_notify(?, ?)").bind(CHANNEL).bind(notice.payload()).execute(&mut *conn).await?;
    }
    Ok(())
}

impl LedgerHandle {
    /// Queues `command` for `engine`, asked by `actor`; its number.
    pub async fn queue_command(&self, engine: i64, actor: &Actor, command: String) -> Result<i64, StoreError> {
        let actor = serde_json::to_string(actor).map_err(|e| StoreError::Data(format!("actor: {e}")))?;
        let by = format!("pid {} on {}", std::process::id(), super::lease::host());
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("queueing a command for another instance", e);
            for _ in 0..RETRIES {
                let mut conn = pool.acquire().await.map_err(db)?;
                let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
                let id: i64 = b
                    .q("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM desk_commands")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)
                    .and_then(|r| col(&r, "next"))?;
                let inserted = b
                    .q("INSERT INTO desk_commands (id, engine_id, requested_by, actor, command, status, result, \
                        requested_at, done_at) VALUES (?, ?, ?, ?, ?, 'pending', NULL, ?, NULL)")
                    .bind(id)
                    .bind(engine)
                    .bind(by.clone())
                    .bind(actor.clone())
                    .bind(command.clone())
                    .bind(wall_ms())
                    .execute(&mut *tx)
                    .await;
                match inserted {
                    // Another instance took the number at the same moment: again.
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                    Ok(_) => {}
                }
                announce(&mut tx, b, &Notice::Command(engine)).await.map_err(db)?;
                match tx.commit().await {
                    Ok(()) => return Ok(id),
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(db(e)),
                }
            }
            Err(StoreError::Busy(format!("could not queue a command after {RETRIES} attempts")))
        })
        .await
    }

    /// Claims every pending command for `engines` (those this instance runs).
    pub async fn take_commands(&self, engines: Vec<i64>) -> Result<Vec<QueuedCommand>, StoreError> {
        if engines.is_empty() {
            return Ok(Vec::new());
        }
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("claiming commands from other instances", e);
            let list = engines.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT id, engine_id, actor, command FROM desk_commands WHERE status = 'pending' \
                 AND engine_id IN ({list}) ORDER BY id"
            );
            let found = b.q(&sql).fetch_all(&pool).await.map_err(db)?;
            let mut claimed = Vec::new();
            for r in &found {
                let id: i64 = col(r, "id")?;
                // Claimed only if still pending: a withdrawn command is never carried out.
                let n = b
                    .q("UPDATE desk_commands SET status = 'running' WHERE id = ? AND status = 'pending'")
                    .bind(id)
                    .execute(&pool)
                    .await
                    .map_err(db)?
                    .rows_affected();
                if n != 1 {
                    continue;
                }
                let actor = serde_json::from_str(&col::<String>(r, "actor")?)
                    .map_err(|e| StoreError::Data(format!("command {id}: actor: {e}")))?;
                claimed.push(QueuedCommand { id, engine: col(r, "engine_id")?, actor, command: col(r, "command")? });
            }
            Ok(claimed)
        })
        .await
    }

    /// Writes the answer to a command this instance claimed.
    pub async fn answer_command(&self, id: i64, answer: String) -> Result<(), StoreError> {
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("answering a command from another instance", e);
            let mut conn = pool.acquire().await.map_err(db)?;
            let mut tx = conn.begin_with(b.begin_write()).await.map_err(db)?;
            b.q("UPDATE desk_commands SET status = 'done', result = ?, done_at = ? WHERE id = ?")
                .bind(answer)
                .bind(wall_ms())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            announce(&mut tx, b, &Notice::Answered(id)).await.map_err(db)?;
            tx.commit().await.map_err(db)
        })
        .await
    }

    /// Where command `id` stands.
    pub async fn command_state(&self, id: i64) -> Result<CommandState, StoreError> {
        self.run(move |pool, b| async move {
            let r = b
                .q("SELECT status, result FROM desk_commands WHERE id = ?")
                .bind(id)
                .fetch_optional(&pool)
                .await
                .map_err(|e| StoreError::db("reading a command's answer", e))?
                .ok_or_else(|| StoreError::NotFound(format!("no command {id}")))?;
            let status: String = col(&r, "status")?;
            Ok(match status.as_str() {
                "pending" => CommandState::Pending,
                "running" => CommandState::Running,
                "expired" => CommandState::Expired,
                _ => CommandState::Done(col::<Option<String>>(&r, "result")?.unwrap_or_default()),
            })
        })
        .await
    }

    /// Withdraws command `id` if nobody claimed it yet (true); once claimed
    /// it runs to its answer (false).
    pub async fn withdraw_command(&self, id: i64) -> Result<bool, StoreError> {
        self.run(move |pool, b| async move {
            let n = b
                .q("UPDATE desk_commands SET status = 'expired', done_at = ? WHERE id = ? AND status = 'pending'")
                .bind(wall_ms())
                .bind(id)
                .execute(&pool)
                .await
                .map_err(|e| StoreError::db("withdrawing a command", e))?
                .rows_affected();
            Ok(n == 1)
        })
        .await
    }

    /// Announces that the desk's risk controls changed (their new version).
    pub async fn announce_controls(&self, version: i64) -> Result<(), StoreError> {
        self.run(move |pool, b| async move {
            let db = |e: sqlx::Error| StoreError::db("announcing a risk control change", e);
            let mut conn = pool.acquire().await.map_err(db)?;
            announce(&mut conn, b, &Notice::Controls(version)).await.map_err(db)
        })
        .await
    }

    /// The desk's notices as they are announced (PostgreSQL), from one
    /// listening connection per ledger that reconnects by itself; `None` on
    /// SQLite. A receiver that falls behind misses notices (`Lagged`): its
    /// owner polls anyway.
    pub fn notices(&self) -> Option<tokio::sync::broadcast::Receiver<Notice>> {
        if self.backend() != Backend::Postgres {
            return None;
        }
        let url = self.target().url(true).ok()?;
        let tx = self.listener().get_or_init(|| {
            let (tx, _) = tokio::sync::broadcast::channel(1024);
            let sender = tx.clone();
            self.spawn_task(async move {
                let mut delay = std::time::Duration::from_millis(100);
                // For as long as the ledger's runtime lives.
                loop {
                    let e = listen(&url, &sender).await;
                    tracing::warn!("desk notices: {e}; listening again in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
            });
            tx
        });
        Some(tx.subscribe())
    }
}

/// Forwards notices until the connection fails for good.
async fn listen(url: &str, to: &tokio::sync::broadcast::Sender<Notice>) -> sqlx::Error {
    let mut l = match sqlx::postgres::PgListener::connect(url).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    if let Err(e) = l.listen(CHANNEL).await {
        return e;
    }
    loop {
        // `None`: the connection dropped and reconnects; notices meanwhile are lost (owners poll).
        match l.try_recv().await {
            // Nobody subscribed right now is fine.
            Ok(Some(n)) => drop(to.send(Notice::parse(n.payload()))),
            Ok(None) => {}
            Err(e) => return e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_unknown_ones_are_kept_apart() {
        for n in [Notice::Command(3), Notice::Answered(17), Notice::Controls(9)] {
            assert_eq!(Notice::parse(&n.payload()), n);
        }
        assert_eq!(Notice::parse("cmd:x"), Notice::Other("cmd:x".into()));
        assert_eq!(Notice::parse("engine:4"), Notice::Other("engine:4".into()));
    }
}
