//! The real `blotter serve` binary as a child process: started with a token
//! file and a ledger, asked over plain HTTP, killed with SIGKILL or stopped.
#![allow(dead_code)]

use crate::store_support::Db;
use blotter::store::DbTarget;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `--db` value of a test database.
pub fn db_arg(db: &Db) -> String {
    match &db.target {
        DbTarget::Sqlite(p) => format!("sqlite:{}", p.display()),
        DbTarget::Postgres(url) => url.clone(),
    }
}

/// Creates a token in `file` and returns it.
pub fn token(file: &Path, user: &str, tenant: &str, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["token", "create", "--tokens", file.to_str().unwrap(), "--user", user, "--tenant", tenant])
        .args(["--role", role])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A running `blotter serve`.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

/// One HTTP request over a plain socket: the status and the JSON body (Null when not JSON).
pub fn request(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = text.split_once("\r\n\r\n").map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null));
    (status, json.unwrap_or(Value::Null))
}

impl Served {
    /// Starts `blotter serve` with `args` (plus `--bind` on a free port) and
    /// waits until `/healthz` answers; its stderr goes to `dir/serve-N.log`.
    pub fn start(dir: &Path, args: &[&str]) -> Served {
        let port = free_port();
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("serve-{n}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_blotter"))
            .arg("serve")
            .args(args)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env_remove("EXECUTION_LIVE_ENABLED")
            .env_remove("BLOTTER_TOKENS")
            .env_remove("BLOTTER_DB")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let s = Served { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && s.get("/healthz", None).0 == 200 {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("serve did not come up: {}", std::fs::read_to_string(&s.log).unwrap_or_default());
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        request(self.port, "GET", path, token, None)
    }

    pub fn send(&self, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
        request(self.port, method, path, Some(token), Some(&body))
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no clean stop, nothing flushed by the process itself.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
