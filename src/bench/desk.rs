//! One desk served by several `blotter serve` processes on one PostgreSQL
//! database (`blotter bench --scenario desk --db postgres://...`): durable
//! submissions per second and their latency with 1, 2, ... instances
//! (each phase on a database of its own, created and dropped here), then,
//! on the largest desk, how long a HALT issued on one instance takes to be
//! refused on the others, and how long after one instance is killed
//! outright (SIGKILL) another takes its engine over and answers for its
//! orders; in between, what counting usage and streaming events across the
//! desk cost (`desk_wide`). The servers are this executable, as separate processes.

use super::api::{Latency, SubmitRun, http, order_body, send_json};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct DeskBenchConfig {
    /// A PostgreSQL server URL whose user may create databases.
    pub url: String,
    /// The `blotter` executable the instances run.
    pub exe: PathBuf,
    /// Largest number of instances (phases run 1, 2, ... up to it).
    pub instances: usize,
    /// Concurrent clients per instance in the submission phases.
    pub clients: usize,
    /// Seconds of each submission phase.
    pub seconds: f64,
    /// The instances' `--lease`, seconds.
    pub lease: f64,
    /// HALTs issued (each followed by ACTIVE).
    pub halts: usize,
    /// Where the instances' logs go.
    pub dir: PathBuf,
    /// Seed of the simulated market.
    pub seed: u64,
}

/// Submissions to a desk of `instances`, every client closed loop.
#[derive(Debug, Clone, Serialize)]
pub struct DeskSubmit {
    /// Instances serving the desk.
    pub instances: usize,
    /// All of them together.
    pub run: SubmitRun,
}

/// HALTs issued on the first instance while the others take orders.
#[derive(Debug, Clone, Serialize)]
pub struct HaltRun {
    /// HALTs issued.
    pub halts: usize,
    /// From the request to its acknowledgement (every engine of the desk applied it).
    pub acknowledged: Latency,
    /// From the request to the first order refused `halted` on each other instance.
    pub refused_elsewhere: Latency,
    /// Orders accepted on another instance whose request was sent after a HALT was acknowledged.
    pub accepted_after_ack: usize,
}

/// One instance killed outright under a submit loop.
#[derive(Debug, Clone, Serialize)]
pub struct TakeoverRun {
    /// The instances' lease, seconds.
    pub lease_s: f64,
    /// Orders the killed instance acknowledged in the loop.
    pub acknowledged: usize,
    /// SIGKILL to its engine's row naming another process.
    pub taken_over_s: f64,
    /// SIGKILL to one of its orders cancelled through another instance.
    pub answered_s: f64,
    /// Every acknowledged order in the ledger exactly once, no fill twice.
    pub all_once: bool,
    /// Another instance frozen (SIGSTOP: alive, silent, as a machine cut
    /// off the network) to its engine's row naming another process: the
    /// lease path, where SIGKILL on this machine is seen at once.
    pub frozen_taken_over_s: f64,
}

/// Everything `blotter bench --scenario desk` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DeskBench {
    /// One phase per desk size.
    pub submit: Vec<DeskSubmit>,
    /// HALT propagation on the largest desk.
    pub halt: HaltRun,
    /// Usage limits and the event stream across the largest desk.
    pub desk_wide: super::desk_wide::DeskWideRun,
    /// Takeover on the largest desk.
    pub takeover: TakeoverRun,
}

/// A `blotter serve` this benchmark started (killed when dropped).
pub(super) struct Server {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Server {
    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A database of its own on the server at `url`, dropped when this is.
pub(super) struct Database {
    admin: String,
    name: String,
    pub(super) url: String,
}

impl Database {
    async fn create(admin: &str, name: String) -> Result<Database, String> {
        exec(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        exec(admin, &format!("CREATE DATABASE {name}")).await?;
        Ok(Database { admin: admin.to_string(), url: with_database(admin, &name), name })
    }

    async fn drop_now(self) {
        let _ = exec(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}

async fn exec(url: &str, sql: &str) -> Result<(), String> {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(url).await.map_err(|e| format!("--db: {e}"))?;
    c.execute(sqlx::AssertSqlSafe(sql.to_string())).await.map_err(|e| format!("{sql}: {e}"))?;
    let _ = c.close().await;
    Ok(())
}

async fn scalar(url: &str, sql: &str) -> Result<Option<i64>, String> {
    use sqlx::{Connection, Row};
    let mut c = sqlx::AnyConnection::connect(url).await.map_err(|e| format!("--db: {e}"))?;
    let row =
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_optional(&mut c).await.map_err(|e| e.to_string())?;
    let _ = c.close().await;
    Ok(row.and_then(|r| r.try_get::<Option<i64>, _>(0).ok().flatten()))
}

/// The server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let host = base[host_end..].find('/').map_or(base, |i| &base[..host_end + i]);
    format!("{host}/{name}{query}")
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("a free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// A token created in the desk's ledger with `blotter token create`.
pub(super) fn token(cfg: &DeskBenchConfig, db: &str, user: &str, role: &str) -> Result<String, String> {
    let out = Command::new(&cfg.exe)
        .args(["token", "create", "--db", db, "--user", user, "--tenant", "bench", "--role", role])
        .env_remove("BLOTTER_TOKENS")
        .output()
        .map_err(|e| format!("{}: {e}", cfg.exe.display()))?;
    if !out.status.success() {
        return Err(format!("token create: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Starts one instance and waits until it answers `/healthz`.
async fn start(cfg: &DeskBenchConfig, db: &str, name: &str) -> Result<Server, String> {
    let port = free_port()?;
    let log = cfg.dir.join(format!("{name}.log"));
    let err = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let date = super::bench_date().to_string();
    let (seed, lease) = (cfg.seed.to_string(), cfg.lease.to_string());
    let child = Command::new(&cfg.exe)
        .args(["serve", "--db", db, "--bind", &format!("127.0.0.1:{port}"), "--date", &date, "--at", "10:00"])
        .args(["--symbols", "AAPL", "--seed", &seed, "--enable-tenants", "bench", "--lease", &lease])
        // The benchmark measures the desk, not the per-token rate limit.
        .args(["--rate-limit", "1000000"])
        .env_remove("BLOTTER_TOKENS")
        .env_remove("EXECUTION_LIVE_ENABLED")
        .stdout(Stdio::null())
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("{}: {e}", cfg.exe.display()))?;
    let mut s = Server { child: Some(child), port, log };
    let c = http();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(Ok(Some(status))) = s.child.as_mut().map(Child::try_wait) {
            s.child = None;
            let why = std::fs::read_to_string(&s.log).unwrap_or_default();
            return Err(format!("{name} exited ({status}): {why}"));
        }
        if c.get(format!("{}/healthz", s.url())).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{name} did not answer within 60 s (log: {})", s.log.display()))
}

/// A desk of `n` instances on a fresh database, with its tokens.
pub(super) struct Desk {
    pub(super) db: Database,
    pub(super) servers: Vec<Server>,
    pub(super) sup: String,
    pub(super) clients: Vec<String>,
}

async fn desk(cfg: &DeskBenchConfig, n: usize) -> Result<Desk, String> {
    let db = Database::create(&cfg.url, format!("blotter_bench_desk_{}_{n}", std::process::id())).await?;
    // Tokens first (the ledger's schema is created with the first), so every
    // instance starts with them.
    let sup = token(cfg, &db.url, "sup", "SUPERVISOR")?;
    let clients =
        (0..cfg.clients).map(|c| token(cfg, &db.url, &format!("c{c}"), "ADVISOR")).collect::<Result<_, _>>()?;
    let mut servers = Vec::new();
    for i in 0..n {
        servers.push(start(cfg, &db.url, &format!("n{n}-i{}", i + 1)).await?);
    }
    Ok(Desk { db, servers, sup, clients })
}

/// Every instance's clients submitting as fast as they are answered.
async fn submit(cfg: &DeskBenchConfig, d: &Desk) -> SubmitRun {
    let deadline = Instant::now() + Duration::from_secs_f64(cfg.seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (k, s) in d.servers.iter().enumerate() {
        for (c, tok) in d.clients.iter().enumerate() {
            let (url, tok) = (format!("{}/v1/orders", s.url()), tok.clone());
            tasks
                .push(tokio::spawn(async move { super::api::submit_until(&url, &tok, k * 1_000 + c, deadline).await }));
        }
    }
    let (lat, errors) = super::api::joined(tasks).await;
    let seconds = t0.elapsed().as_secs_f64();
    let mode = format!("closed loop, {} instance(s) x {} clients", d.servers.len(), d.clients.len());
    SubmitRun::new(mode, lat, errors, seconds)
}

async fn put_state(c: &reqwest::Client, on: &Server, tok: &str, state: &str) -> Result<(), String> {
    let r = c
        .put(format!("{}/v1/risk/state", on.url()))
        .bearer_auth(tok)
        .json(&serde_json::json!({ "state": state }))
        .send()
        .await
        .map_err(|e| format!("PUT /v1/risk/state: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("PUT /v1/risk/state {state}: {} {}", r.status(), r.text().await.unwrap_or_default()));
    }
    Ok(())
}

/// HALT on the first instance while one client per other instance keeps
/// submitting; each HALT is lifted (ACTIVE) before the next.
async fn halts(cfg: &DeskBenchConfig, d: &Desk) -> Result<HaltRun, String> {
    let c = http();
    let (mut acked, mut refused, mut after) = (Vec::new(), Vec::new(), 0);
    for _ in 0..cfg.halts {
        let halted_at = std::sync::Arc::new(std::sync::OnceLock::<Instant>::new());
        let probes: Vec<_> = d.servers[1..]
            .iter()
            .map(|s| {
                let (url, tok, halted_at) = (format!("{}/v1/orders", s.url()), d.clients[0].clone(), halted_at.clone());
                tokio::spawn(async move {
                    let http = http();
                    let (mut accepted_after, mut i) = (0, 0);
                    let give_up = Instant::now() + Duration::from_secs(10);
                    while Instant::now() < give_up {
                        let sent = Instant::now();
                        let r = send_json(&http, &url, &tok, order_body(i)).await;
                        i += 1;
                        let Ok(r) = r else { continue };
                        let status = r.status().as_u16();
                        let body = r.text().await.unwrap_or_default();
                        if status == 201 && halted_at.get().is_some_and(|h| sent > *h) {
                            accepted_after += 1;
                        }
                        if status == 409 && body.contains("\"halted\"") {
                            return (Some(Instant::now()), accepted_after);
                        }
                    }
                    (None, accepted_after)
                })
            })
            .collect();
        // Orders flowing before the HALT.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t0 = Instant::now();
        put_state(&c, &d.servers[0], &d.sup, "HALTED").await?;
        let _ = halted_at.set(Instant::now());
        acked.push(t0.elapsed().as_secs_f64() * 1e3);
        for p in probes {
            let (seen, n) = p.await.map_err(|e| e.to_string())?;
            after += n;
            let seen = seen.ok_or("an instance never refused an order after the HALT")?;
            refused.push(seen.saturating_duration_since(t0).as_secs_f64() * 1e3);
        }
        put_state(&c, &d.servers[0], &d.sup, "ACTIVE").await?;
    }
    Ok(HaltRun {
        halts: cfg.halts,
        acknowledged: Latency::of(acked),
        refused_elsewhere: Latency::of(refused),
        accepted_after_ack: after,
    })
}

/// The last instance killed outright under a submit loop; the time until
/// another took its engine over and until its order is cancelled through
/// the first instance.
async fn takeover(cfg: &DeskBenchConfig, d: &mut Desk) -> Result<TakeoverRun, String> {
    let victim = d.servers.last_mut().ok_or("no instance")?;
    let (url, tok) = (format!("{}/v1/orders", victim.url()), d.clients[0].clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let looping = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let http = http();
            let (mut ids, mut i) = (Vec::<String>::new(), 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = send_json(&http, &url, &tok, order_body(i)).await;
                i += 1;
                let Ok(r) = r else { continue };
                if r.status().as_u16() == 201
                    && let Ok(v) = r.json::<serde_json::Value>().await
                    && let Some(id) = v["order"]["id"].as_str()
                {
                    ids.push(id.to_string());
                }
            }
            ids
        })
    };
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let pid = victim.child.as_ref().map(Child::id).ok_or("the instance is gone")?;
    let killed = Instant::now();
    victim.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ids = looping.await.map_err(|e| e.to_string())?;
    let engine = ids.first().and_then(|i| i.strip_prefix('E')?.split_once('-')?.0.parse::<u32>().ok());
    let engine = engine.ok_or("the killed instance acknowledged no order")?;
    let first = ids[0].clone();
    // Cancelled through the first instance once its engine runs again somewhere.
    let answered = {
        let c = http();
        let url = format!("{}/v1/orders/{first}/cancel", d.servers[0].url());
        let sup = d.sup.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(r) = c.post(&url).bearer_auth(&sup).send().await
                    && r.status().is_success()
                {
                    return Some(killed.elapsed());
                }
                if killed.elapsed() > Duration::from_secs(60) {
                    return None;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let taken = loop {
        let now = scalar(&d.db.url, &format!("SELECT CAST(pid AS BIGINT) FROM engines WHERE id = {engine}")).await?;
        if now.is_some_and(|p| p != i64::from(pid)) {
            break killed.elapsed();
        }
        if killed.elapsed() > Duration::from_secs(60) {
            return Err(format!("engine E{engine} was not taken over within 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let answered = answered.await.map_err(|e| e.to_string())?.ok_or("its order was never answered for")?;
    let mut all_once = true;
    for id in &ids {
        let n = id.rsplit_once("-P").and_then(|(_, n)| n.parse::<u64>().ok()).ok_or("an id without its number")?;
        let sql = format!("SELECT COUNT(*) FROM parents WHERE engine_id = {engine} AND id = {n}");
        all_once &= scalar(&d.db.url, &sql).await? == Some(1);
    }
    let fills = format!("SELECT COUNT(*) - COUNT(DISTINCT id) FROM fills WHERE engine_id = {engine}");
    all_once &= scalar(&d.db.url, &fills).await? == Some(0);
    let frozen_taken_over_s = frozen(d).await?;
    Ok(TakeoverRun {
        lease_s: cfg.lease,
        acknowledged: ids.len(),
        taken_over_s: taken.as_secs_f64(),
        answered_s: answered.as_secs_f64(),
        all_once,
        frozen_taken_over_s,
    })
}

/// The second-to-last instance frozen (SIGSTOP) with an order working: the
/// time until another instance runs its engine (then it is killed).
async fn frozen(d: &mut Desk) -> Result<f64, String> {
    let n = d.servers.len();
    if n < 3 {
        return Ok(f64::NAN);
    }
    let victim = &mut d.servers[n - 2];
    let c = http();
    let r = send_json(&c, &format!("{}/v1/orders", victim.url()), &d.clients[0], order_body(0))
        .await
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
    let id = v["order"]["id"].as_str().ok_or_else(|| format!("an order on the instance to freeze: {v}"))?;
    let engine = id.strip_prefix('E').and_then(|x| x.split_once('-')).and_then(|(e, _)| e.parse::<u32>().ok());
    let engine = engine.ok_or_else(|| format!("{id} names no engine"))?;
    let pid = victim.child.as_ref().map(Child::id).ok_or("the instance is gone")?;
    let stopped = Command::new("kill").args(["-STOP", &pid.to_string()]).status().map_err(|e| e.to_string())?;
    if !stopped.success() {
        return Err("kill -STOP failed".into());
    }
    let frozen = Instant::now();
    let taken = loop {
        let now = scalar(&d.db.url, &format!("SELECT CAST(pid AS BIGINT) FROM engines WHERE id = {engine}")).await?;
        if now.is_some_and(|p| p != i64::from(pid)) {
            break frozen.elapsed();
        }
        if frozen.elapsed() > Duration::from_secs(120) {
            victim.kill();
            return Err(format!("engine E{engine} of a frozen instance was not taken over within 120 s"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    victim.kill();
    Ok(taken.as_secs_f64())
}

/// Runs every phase on a fresh multi-threaded runtime; the instances and
/// their databases are gone when it returns.
pub fn run(cfg: &DeskBenchConfig) -> Result<DeskBench, String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut submit_runs = Vec::new();
        for n in 1..=cfg.instances {
            let d = desk(cfg, n).await?;
            let run = submit(cfg, &d).await;
            submit_runs.push(DeskSubmit { instances: n, run });
            if n < cfg.instances {
                finish(d).await;
                continue;
            }
            let halt = halts(cfg, &d).await;
            let desk_wide = match &halt {
                Ok(_) => super::desk_wide::run(cfg, &d).await,
                Err(e) => Err(e.clone()),
            };
            let mut d = d;
            let takeover = match &desk_wide {
                Ok(_) => takeover(cfg, &mut d).await,
                Err(e) => Err(e.clone()),
            };
            finish(d).await;
            return Ok(DeskBench { submit: submit_runs, halt: halt?, desk_wide: desk_wide?, takeover: takeover? });
        }
        Err("--instances: at least 2 for a HALT and a takeover".to_string())
    })
}

async fn finish(mut d: Desk) {
    for s in &mut d.servers {
        s.kill();
    }
    d.db.drop_now().await;
}

/// Where the instances' logs go by default.
pub fn log_dir() -> PathBuf {
    std::env::temp_dir().join(format!("blotter-bench-desk-{}", std::process::id()))
}

/// Whether `dir` exists and can take the logs.
pub fn ready(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn another_database_on_the_same_server() {
        assert_eq!(with_database("postgres://u@h:5/db", "x"), "postgres://u@h:5/x");
        assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
