//! The Remote client's circuit breaker against a sidecar that goes away and
//! comes back on the same port.

use crate::support::desk;
use blotter::api::{ApiState, spawn};
use blotter::client::remote::RemoteOptions;
use blotter::client::{BreakerState, Client, Remote};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_sidecar_opens_the_breaker_and_a_live_one_closes_it() {
    let d = desk(61, 1.0).await;
    let addr = d.server.addr;
    let options = RemoteOptions {
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_millis(200),
        breaker_max_cooldown: Duration::from_millis(400),
        ..RemoteOptions::default()
    };
    let r = Remote::with_options(&d.server.url(), Some(d.tokens["alice"].clone()), options).unwrap();
    assert_eq!(r.whoami().await.unwrap().user.as_ref(), "alice");
    // A 4xx is an answer: the sidecar is alive.
    assert_eq!(r.order("P404".parse().unwrap()).await.unwrap_err().code, "not_found");
    assert_eq!(r.breaker().state, BreakerState::Closed);
    let state: ApiState = d.server.state.clone();
    d.server.stop().await.unwrap();
    for _ in 0..2 {
        assert_eq!(r.whoami().await.unwrap_err().code, "unavailable");
    }
    let v = r.breaker();
    assert_eq!((v.state, v.failures), (BreakerState::Open, 2));
    assert!(v.retry_in_ms.is_some_and(|ms| ms <= 200) && v.last_error.is_some());
    assert_eq!(r.whoami().await.unwrap_err().code, "circuit_open", "no request while open");
    tokio::time::sleep(Duration::from_millis(220)).await;
    assert_eq!(r.breaker().state, BreakerState::HalfOpen);
    assert_eq!(r.whoami().await.unwrap_err().code, "unavailable", "the trial call fails");
    let v = r.breaker();
    assert_eq!((v.state, v.failures), (BreakerState::Open, 3));
    assert!(v.retry_in_ms.is_some_and(|ms| ms > 200), "the cool-down doubled: {v:?}");
    // The sidecar comes back on the same address.
    let back = spawn(state, addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(420)).await;
    assert_eq!(r.whoami().await.unwrap().user.as_ref(), "alice");
    let v = r.breaker();
    assert_eq!((v.state, v.failures), (BreakerState::Closed, 0));
    back.stop().await.unwrap();
}
