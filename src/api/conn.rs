//! Connections whose peer stops reading are closed. A subscriber that never
//! reads its event stream would otherwise keep its connection, and what is
//! queued for it, for ever: the server only notices a lagging stream when it
//! can write to it. Every connection's writes are guarded: a write that has
//! made no progress for the stall limit fails, and the server drops the
//! connection with everything it held for it.
//!
//! And one peer network (an IPv4 address, an IPv6 /64) holds a bounded
//! number of connections: past it a new one is closed at once, before a
//! byte is read, so no one machine can take the server's descriptors and
//! lock everybody out (the supervisor with the kill switch included).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// The peer of a connection (the request extension `ConnectInfo<Peer>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// A stream whose writes fail once they have been stuck for `stall`.
pub struct Guarded<S> {
    inner: S,
    stall: Duration,
    stuck: Option<Pin<Box<Sleep>>>,
    /// Its place among its network's connections, given back when it closes.
    _place: Option<Place>,
}

impl<S> Guarded<S> {
    /// Guards `inner`'s writes with `stall`.
    pub fn new(inner: S, stall: Duration) -> Guarded<S> {
        Guarded { inner, stall, stuck: None, _place: None }
    }

    /// The outcome of a write attempt: progress clears the clock, `Pending`
    /// starts it (and registers for its end), and past the limit it fails.
    fn watch<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(v) => {
                self.stuck = None;
                Poll::Ready(v)
            }
            Poll::Pending => {
                let stall = self.stall;
                let timer = self.stuck.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                ready!(timer.as_mut().poll(cx));
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the peer read nothing for {} s", stall.as_secs_f64()),
                )))
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, r)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Open connections per peer network.
type Open = Arc<Mutex<HashMap<String, usize>>>;

/// One connection's place among its network's, given back when dropped.
struct Place {
    open: Open,
    network: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.network) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.network);
            }
        }
    }
}

/// A TCP listener whose connections are `Guarded`, at most `per_network`
/// at once from one peer network.
pub struct GuardedListener {
    inner: TcpListener,
    stall: Duration,
    per_network: usize,
    open: Open,
}

impl GuardedListener {
    /// Guards every connection `inner` accepts with `stall`, and holds at
    /// most `per_network` of one peer network's.
    pub fn new(inner: TcpListener, stall: Duration, per_network: usize) -> GuardedListener {
        GuardedListener { inner, stall, per_network, open: Open::default() }
    }

    /// A place for a connection from `addr`, or `None` when its network holds its share.
    fn place(&self, addr: SocketAddr) -> Option<Place> {
        let network = super::auth::network_of(addr.ip());
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(network.clone()).or_insert(0);
        if *n >= self.per_network {
            return None;
        }
        *n += 1;
        Some(Place { open: Arc::clone(&self.open), network })
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Guarded<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            // Over its network's share: closed at once (dropped), nothing read.
            if let Some(place) = self.place(addr) {
                let mut g = Guarded::new(io, self.stall);
                g._place = Some(place);
                return (g, addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_stuck_past_the_limit_fails_and_progress_resets_the_clock() {
        // A pipe with a 64-byte buffer that nobody reads: the second write blocks.
        let (a, mut b) = tokio::io::duplex(64);
        let mut g = Guarded::new(a, Duration::from_millis(200));
        g.write_all(&[1; 64]).await.unwrap();
        let t0 = std::time::Instant::now();
        let e = g.write_all(&[2; 64]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(t0.elapsed() >= Duration::from_millis(190), "{:?}", t0.elapsed());
        // A reader that keeps up is never cut off, however long it takes overall.
        let (a, mut b2) = tokio::io::duplex(64);
        let mut g = Guarded::new(a, Duration::from_millis(200));
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let mut buf = [0u8; 64];
                let n = tokio::io::AsyncReadExt::read(&mut b2, &mut buf).await.unwrap();
                sink.extend_from_slice(&buf[..n]);
            }
            sink.len()
        });
        g.write_all(&[3; 640]).await.unwrap();
        assert_eq!(reader.await.unwrap(), 640);
        let _ = tokio::io::AsyncReadExt::read(&mut b, &mut [0u8; 1]).await;
    }
}
