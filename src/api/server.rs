//! Running the server: the bind check, a listener on a background task, and
//! a graceful stop that first closes the event streams (which would
//! otherwise keep connections open for ever).

use super::{ApiState, router};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the server did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A refused configuration (exit code 2).
    #[error("{0}")]
    Config(String),
    /// Binding or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Refuses to serve on a non-loopback address when no token is configured:
/// anyone on the network could otherwise trade.
pub fn check_bind(addr: &SocketAddr, tokens_configured: bool) -> Result<(), ServeError> {
    if addr.ip().is_loopback() || tokens_configured {
        return Ok(());
    }
    Err(ServeError::Config(format!(
        "refusing to listen on {addr} without tokens: create one with `blotter token create --user U --tenant T --role R` \
         (or bind to 127.0.0.1)"
    )))
}

/// Bytes of responses queued for one connection before the server stops
/// polling its body. hyper's default (~400 KB) let each event stream whose
/// client stopped reading hold that much until the write-stall guard closed
/// it: 300 such streams were 144 MB of a soak's peak (BENCHMARKS.md).
const MAX_QUEUED: usize = 64 * 1024;

/// Serves `state` on `listener` until `shutdown` resolves, then closes the
/// event streams and lets in-flight requests finish.
pub async fn serve_until(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::Listener;
    let app = router(state.clone());
    let mut listener =
        super::conn::GuardedListener::new(listener, state.write_stall(), state.0.options.connections_per_network);
    // Ends the streams of revoked tokens while the server runs.
    let watcher =
        tokio::spawn(super::revoke::watch_tokens(state.tokens_arc(), std::sync::Arc::downgrade(state.token_streams())));
    // Connections are served with hyper's own builder (axum's `serve` does
    // not bound the write queue), each watched for the graceful stop.
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_QUEUED);
    // A request's head must arrive within the request timeout, on a new
    // connection and between requests on a kept-alive one. Without a timer
    // hyper enforces no such bound: a peer that sent half a head, or
    // nothing, held its connection (and a descriptor) for good, no token
    // needed, until the server could accept no one.
    http.timer(hyper_util::rt::TokioTimer::new());
    http.header_read_timeout(state.0.options.timeout);
    tokio::pin!(shutdown);
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        // The peer address bounds failed authentication per address (`auth::gate`).
        let app = app.clone().layer(axum::Extension(axum::extract::ConnectInfo(super::conn::Peer(addr))));
        let service = hyper_util::service::TowerToHyperService::new(app);
        let conn = graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(io), service));
        tokio::spawn(async move {
            // A peer that goes away mid-request is that connection's business only.
            let _ = conn.await;
        });
    }
    state.drop_streams();
    graceful.shutdown().await;
    watcher.abort();
    Ok(())
}

/// A server on a background task.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its state (engine, tokens, audit).
    pub state: ApiState,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it gracefully and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        (&mut self.task).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Binds `addr` (port 0 = any free port) and serves `state` in the background.
pub async fn spawn(state: ApiState, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_until(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Ok(Running { addr, state, stop: Some(tx), task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_loopback_needs_tokens() {
        let any: SocketAddr = "0.0.0.0:8898".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:8898".parse().unwrap();
        let lo6: SocketAddr = "[::1]:8898".parse().unwrap();
        assert!(check_bind(&any, false).unwrap_err().to_string().contains("without tokens"));
        assert!(check_bind(&any, true).is_ok());
        assert!(check_bind(&lo, false).is_ok() && check_bind(&lo6, false).is_ok());
    }
}
