//! `blotter serve` processes for the desk tests: started on a free port
//! with their standard error in a file, waited for until they answer, asked
//! over HTTP, and stopped (SIGTERM) or killed (SIGKILL).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The flags every desk test serves with: one market, tokens from the
/// ledger, a short lease so that takeovers happen within a test.
pub fn market() -> Vec<String> {
    ["--date", "2026-11-25", "--symbols", "AAPL,MSFT", "--at", "10:00", "--seed", "42"].map(String::from).to_vec()
}

/// A running `blotter serve`.
pub struct Instance {
    /// The process.
    pub child: Option<Child>,
    /// Its port.
    pub port: u16,
    /// Where its standard error goes.
    pub log: PathBuf,
}

/// How a start ended: serving, or refused (exit code and standard error).
pub enum Started {
    /// It answers.
    Up(Instance),
    /// It exited.
    Refused(i32, String),
}

/// `blotter serve --db db --bind 127.0.0.1:port flags`, its standard error in `log`.
fn spawn(dir: &Path, db: &str, port: u16, flags: &[String], log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["serve", "--db", db, "--bind", &format!("127.0.0.1:{port}")])
        .args(flags)
        .env_remove("EXECUTION_LIVE_ENABLED")
        .env_remove("BLOTTER_TOKENS")
        .env_remove("BLOTTER_DB")
        .env("BLOTTER_DATA_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap()
}

/// Starts `blotter serve --db db --bind 127.0.0.1:port` with `flags` and waits
/// until it answers `/healthz` or exits.
pub fn start(dir: &Path, name: &str, db: &str, port: u16, flags: &[String]) -> Started {
    let log = dir.join(format!("{name}.log"));
    let child = spawn(dir, db, port, flags, &log);
    let mut inst = Instance { child: Some(child), port, log };
    // A debug build rebuilding a market from the open can take a while on a
    // loaded machine: a minute before giving up.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = inst.child.as_mut().unwrap().try_wait().unwrap() {
            inst.child = None;
            return Started::Refused(status.code().unwrap_or(-1), inst.stderr());
        }
        if healthy(port) {
            return Started::Up(inst);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("blotter serve did not come up on port {port}: {}", inst.stderr());
}

/// Starts an instance that must not come up; its exit code and standard error.
pub fn refused(dir: &Path, name: &str, db: &str, port: u16, flags: &[String]) -> (i32, String) {
    let log = dir.join(format!("{name}.log"));
    let mut child = spawn(dir, db, port, flags, &log);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), std::fs::read_to_string(&log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{name} was expected to refuse to start: {}", std::fs::read_to_string(&log).unwrap_or_default());
}

/// Starts an instance that must come up.
pub fn up(dir: &Path, name: &str, db: &str, port: u16, flags: &[String]) -> Instance {
    match start(dir, name, db, port, flags) {
        Started::Up(i) => i,
        Started::Refused(code, err) => panic!("{name} refused to start ({code}): {err}"),
    }
}

fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(s, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

impl Instance {
    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops it as a service manager does (SIGTERM) and waits for a clean exit.
    pub fn stop(mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let sent = Command::new("kill").args(["-TERM", &c.id().to_string()]).status().unwrap();
            assert!(sent.success());
            let status = c.wait().unwrap();
            assert!(status.success(), "a clean stop: {status:?}\n{}", self.stderr());
        }
        self.stderr()
    }

    /// Kills it outright (SIGKILL): no clean-up of any kind.
    pub fn kill(mut self) -> String {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.stderr()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A token for `user@tenant` with `role`, created in the ledger `db`.
pub fn token(db: &str, user: &str, tenant: &str, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["token", "create", "--db", db, "--user", user, "--tenant", tenant, "--role", role])
        .env_remove("BLOTTER_TOKENS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// An HTTP client for the tests (no proxy, a generous time-out for a loaded
/// machine, no kept connections: a restarted server reuses the port).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(0).no_proxy().build().unwrap()
}

/// A request with `token`; the status and the JSON body.
pub async fn call(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = c.request(m, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let res = match r.send().await {
        Ok(res) => res,
        // A connection the server dropped: status 0 and why, for the test to report.
        Err(e) => return (0, serde_json::Value::String(format!("{method} {path}: {e:?}"))),
    };
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}
