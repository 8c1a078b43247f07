//! Tokens that expire: refused from their expiry on with their own code
//! (`token_expired`, not an unknown token's `unauthorized`), audited under
//! the user they were for; an open event stream ends when its token expires;
//! `token create --expires` refuses what it cannot read, naming the flag.

use crate::support::desk;
use assert_cmd::Command;
use blotter::api::tokens::{self, TokenStore};
use blotter::model::Role;
use chrono::{TimeDelta, Utc};
use predicates::prelude::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A token for `user` (advisor on ws) expiring `in_ms` from now (negative: in the past).
async fn token_expiring(store: &dyn TokenStore, user: &str, in_ms: i64) -> String {
    let (token, mut record) = tokens::generate(user, "ws", Role::Advisor).unwrap();
    record.expires_at = Some(Utc::now() + TimeDelta::milliseconds(in_ms));
    store.insert(record).await.unwrap();
    token
}

#[tokio::test]
async fn an_expired_token_is_refused_with_its_own_code_and_audited() {
    let d = desk(5, 0.0).await;
    let store = d.server.state.tokens();
    let expired = token_expiring(store, "olga", -60_000).await;
    let later = token_expiring(store, "lena", 3_600_000).await;
    let whoami = |t: String| {
        let req = d.http.get(format!("{}/v1/whoami", d.server.url())).bearer_auth(t);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, v) = whoami(expired.clone()).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("token_expired")), "{v}");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("expired at") && msg.contains("Z (UTC)"), "says when, with its zone: {msg}");
    // An unknown token keeps its own code.
    let (status, v) = whoami("blt_not_a_token".into()).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("unauthorized")), "{v}");
    // One that expires later, and one without expiry (as every older token), work.
    let (status, v) = whoami(later).await;
    assert_eq!((status, v["user"].as_str()), (200, Some("lena")), "{v}");
    let (status, _) = d.send(Some("alice"), "GET", "/v1/whoami", None).await;
    assert_eq!(status, 200);
    // Audited like other refusals, naming whom the token was for.
    let refusals: Vec<_> = d.audit.entries().into_iter().filter(|e| e.code == "token_expired").collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let e = &refusals[0];
    assert_eq!((e.status, e.user.as_deref(), e.path.as_str()), (401, Some("olga"), "/v1/whoami"), "{e:?}");
}

#[tokio::test]
async fn an_open_stream_ends_when_its_token_expires() {
    let d = desk(6, 0.0).await;
    // Two seconds: the stream opens well before, and the watcher checks four times a second.
    let token = token_expiring(d.server.state.tokens(), "olga", 2_000).await;
    let mut stream = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&token).send().await.unwrap();
    assert_eq!(stream.status().as_u16(), 200, "the stream opens while the token is valid");
    let t0 = Instant::now();
    let mut text = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream was not ended after {:?}: {text}", t0.elapsed());
    assert!(text.contains("event: expired") && text.contains("token_expired"), "told why: {text}");
    // Anything more with it is refused as expired.
    let (status, v) = {
        let r = d.http.get(format!("{}/v1/events", d.server.url())).bearer_auth(&token).send().await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!((status, v["code"].as_str()), (401, Some("token_expired")), "{v}");
    assert!(d.server.state.token_streams().is_empty(), "its registration went with the stream");
}

fn blotter() -> Command {
    let mut c = Command::cargo_bin("blotter").unwrap();
    c.env_remove("BLOTTER_TOKENS").env_remove("BLOTTER_DB");
    c
}

#[test]
fn token_create_expires_takes_a_duration_or_a_zoned_time_and_list_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let f = file.to_str().unwrap();
    let create = |expires: &str| {
        let mut c = blotter();
        c.args(["token", "create", "--tokens", f, "--user", "u", "--tenant", "ws", "--role", "ADVISOR"]);
        c.args(["--expires", expires]);
        c
    };
    for bad in ["8x", "soon", "-1h", "2027-01-31", "2027-01-31T00:00:00"] {
        create(bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--expires").and(predicate::str::contains("90m, 8h, 30d")))
            .stderr(predicate::str::contains("RFC 3339").and(predicate::str::contains(bad)));
    }
    create("0h").assert().code(2).stderr(predicate::str::contains("--expires").and(predicate::str::contains("zero")));
    create("2020-01-01T00:00:00Z").assert().code(2).stderr(predicate::str::contains("not in the future"));
    assert!(!file.exists(), "a refused create writes nothing");
    create("8h").assert().success();
    create("2099-01-31T09:30:00-05:00").assert().success();
    blotter()
        .args(["token", "create", "--tokens", f, "--user", "n", "--tenant", "ws", "--role", "ADVISOR"])
        .assert()
        .success();
    let out = blotter().args(["token", "list", "--tokens", f, "--json"]).output().unwrap();
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let expiries: Vec<&str> = list.iter().filter_map(|r| r["expires_at"].as_str()).collect();
    // 09:30 at -05:00 is 14:30 UTC.
    assert!(expiries.contains(&"2099-01-31T14:30:00Z"), "{list:?}");
    assert_eq!(expiries.len(), 2, "the token without --expires has none: {list:?}");
    assert!(list.iter().all(|r| r["state"] == "live" && r["expired"] == false), "{list:?}");
    let text = blotter().args(["token", "list", "--tokens", f]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("EXPIRES (UTC)") && text.contains("2099-01-31T14:30:00Z") && text.contains("never"),
        "{text}"
    );
}

#[test]
fn token_list_says_which_tokens_expired() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let store = tokens::FileTokens::new(&file);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(token_expiring(&store, "olga", -1_000));
    let out = blotter().args(["token", "list", "--tokens", file.to_str().unwrap(), "--json"]).output().unwrap();
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((list[0]["state"].as_str(), list[0]["expired"].as_bool()), (Some("expired"), Some(true)), "{list:?}");
    let text = blotter().args(["token", "list", "--tokens", file.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8(text.stdout).unwrap().contains(" expired"));
}

/// `blotter token expire` on the ledger a running `serve` shares: an open
/// event stream of the token ends at the new expiry (moved to about a second
/// from now), new requests are refused `token_expired`, and a later expiry
/// given to the same token lets it in again (nothing new to hand out).
#[test]
fn an_expiry_changed_in_the_ledger_ends_open_streams_and_applies_to_new_requests() {
    use crate::served::Served;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let create = blotter()
        .args(["token", "create", "--db", &db, "--user", "olga", "--tenant", "ws", "--role", "ADVISOR"])
        .output()
        .unwrap();
    assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
    let token = String::from_utf8(create.stdout).unwrap().trim().to_string();
    let logs = tempfile::tempdir().unwrap();
    let args = ["--db", &db, "--date", "2026-11-25", "--symbols", "AAPL", "--speed", "0", "--enable-tenants", "ws"];
    let s = Served::start(logs.path(), &args);
    assert_eq!(s.get("/v1/whoami", Some(&token)).0, 200);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/v1/events", s.port);
    let mut stream = rt.block_on(http.get(&url).bearer_auth(&token).send()).unwrap();
    assert_eq!(stream.status().as_u16(), 200);

    let at = (Utc::now() + TimeDelta::milliseconds(1_500)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    blotter().args(["token", "expire", &token, "--db", &db, "--at", &at]).assert().success();
    let t0 = Instant::now();
    let mut text = String::new();
    let ended = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = stream.chunk().await.unwrap() {
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
    });
    assert!(ended.is_ok(), "the stream was not ended after {:?}: {text}", t0.elapsed());
    assert!(text.contains("event: expired") && text.contains("token_expired"), "told why: {text}");
    let (st, v) = s.get("/v1/whoami", Some(&token));
    assert_eq!((st, v["code"].as_str()), (401, Some("token_expired")), "{v}");

    // The same token, given a later expiry, works again (within the servers' one-second cache).
    blotter().args(["token", "expire", &token, "--db", &db, "--at", "8h"]).assert().success();
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!(s.get("/v1/whoami", Some(&token)).0, 200);
    let list = blotter().args(["token", "list", "--db", &db, "--json"]).output().unwrap();
    let list: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["state"], "live", "{list:?}");
}

#[test]
fn token_expire_refuses_an_unknown_token_a_past_time_and_a_bad_value_changing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let f = file.to_str().unwrap();
    blotter()
        .args([
            "token",
            "create",
            "--tokens",
            f,
            "--user",
            "u",
            "--tenant",
            "ws",
            "--role",
            "ADVISOR",
            "--expires",
            "8h",
        ])
        .assert()
        .success();
    let list = || -> Vec<Value> {
        serde_json::from_slice(&blotter().args(["token", "list", "--tokens", f, "--json"]).output().unwrap().stdout)
            .unwrap()
    };
    let before = list();
    let id = before[0]["id"].as_str().unwrap().to_string();
    let expire = |key: &str, at: &str| {
        let mut c = blotter();
        c.args(["token", "expire", key, "--tokens", f, "--at", at]);
        c
    };
    expire("0123456789ab", "8h")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no live token matches '0123456789ab'"));
    expire(&id, "2020-01-01T00:00:00Z")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--at").and(predicate::str::contains("not in the future")));
    for bad in ["soon", "8x", "2027-01-31"] {
        expire(&id, bad).assert().code(2).stderr(
            predicate::str::contains("--at").and(predicate::str::contains(bad)).and(predicate::str::contains("never")),
        );
    }
    assert_eq!(list(), before, "nothing changed");
    expire(&id, "never").assert().success().stderr(predicate::str::contains("never expires"));
    assert!(list()[0].get("expires_at").is_none_or(Value::is_null), "{:?}", list());
    blotter().args(["token", "revoke", &id, "--tokens", f]).assert().success();
    expire(&id, "8h").assert().code(2).stderr(predicate::str::contains("no live token"));
}
