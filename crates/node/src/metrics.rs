//! Prometheus metrics of a node (`--metrics ADDR`): what it accepted and
//! refused (and why), what its buffers hold and dropped, what it fetched,
//! how long its log syncs take, and what its learners decided.
//!
//! Served as the Prometheus text format by a deliberately small HTTP/1.1
//! responder: one request per connection, a bounded request, a timeout, and
//! a bounded number of connections at once.

use crate::fetch::FetchStats;
use hetpaxos_messages::{MessageStore, Pending};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

/// A label naming a reason or a bound.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The reason (a refusal class, a bound, an outcome).
    pub reason: String,
}

impl Reason {
    fn of(s: &str) -> Self {
        Self {
            reason: s.to_string(),
        }
    }
}

/// The metrics one node reports. Cloning shares them.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Messages accepted into the store.
    pub accepted: Counter,
    /// Messages refused, by reason (`signature`, `ill_formed`,
    /// `resource_limit`, `refers_to_ill_formed`, ...).
    pub refused: Family<Reason, Counter>,
    /// Messages dropped from the pending buffer, by bound (`total`,
    /// `per_signer`).
    pub pending_dropped: Family<Reason, Counter>,
    /// Messages waiting for references.
    pub pending_messages: Gauge,
    /// Bytes they hold.
    pub pending_bytes: Gauge,
    /// Messages in the store.
    pub store_messages: Gauge,
    /// Acceptors proven to have equivocated.
    pub caught_acceptors: Gauge,
    /// Missing references, by outcome (`asked`, `arrived`, `given_up`,
    /// `over_limit`).
    pub fetches: Family<Reason, Counter>,
    /// Seconds per log sync.
    pub fsync_seconds: Histogram,
    /// Learners' decisions.
    pub decisions: Counter,
    /// Consensus messages sent on streams (own, asked for, or by
    /// difference).
    pub sent_messages: Counter,
    /// Their encoded bytes.
    pub sent_bytes: Counter,
    /// Summaries of holdings sent.
    pub summaries: Counter,
    /// Streams open (either direction).
    pub streams: Gauge,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics, registered under `hetpaxos_`.
    pub fn new() -> Self {
        let fsync_seconds = Histogram::new(exponential_buckets(25e-6, 2.0, 16));
        let m = Self {
            accepted: Counter::default(),
            refused: Family::default(),
            pending_dropped: Family::default(),
            pending_messages: Gauge::default(),
            pending_bytes: Gauge::default(),
            store_messages: Gauge::default(),
            caught_acceptors: Gauge::default(),
            fetches: Family::default(),
            fsync_seconds,
            decisions: Counter::default(),
            sent_messages: Counter::default(),
            sent_bytes: Counter::default(),
            summaries: Counter::default(),
            streams: Gauge::default(),
            registry: Arc::new(Registry::default()),
        };
        let mut r = Registry::with_prefix("hetpaxos");
        r.register(
            "messages_accepted",
            "Messages accepted into the store",
            m.accepted.clone(),
        );
        r.register(
            "messages_refused",
            "Messages refused, by reason",
            m.refused.clone(),
        );
        r.register(
            "pending_dropped",
            "Messages dropped from the pending buffer, by bound",
            m.pending_dropped.clone(),
        );
        r.register(
            "pending_messages",
            "Messages waiting for references",
            m.pending_messages.clone(),
        );
        r.register(
            "pending_bytes",
            "Bytes held by messages waiting for references",
            m.pending_bytes.clone(),
        );
        r.register(
            "store_messages",
            "Messages in the store",
            m.store_messages.clone(),
        );
        r.register(
            "caught_acceptors",
            "Acceptors proven to have equivocated",
            m.caught_acceptors.clone(),
        );
        r.register(
            "fetches",
            "Missing references, by outcome",
            m.fetches.clone(),
        );
        r.register(
            "fsync_seconds",
            "Seconds per sync of the acceptor's log",
            m.fsync_seconds.clone(),
        );
        r.register("decisions", "Learners' decisions", m.decisions.clone());
        r.register(
            "sent_messages",
            "Consensus messages sent on streams",
            m.sent_messages.clone(),
        );
        r.register(
            "sent_bytes",
            "Encoded bytes of consensus messages sent on streams",
            m.sent_bytes.clone(),
        );
        r.register(
            "summaries",
            "Summaries of holdings sent on streams",
            m.summaries.clone(),
        );
        r.register("streams", "Streams open", m.streams.clone());
        Self {
            registry: Arc::new(r),
            ..m
        }
    }

    /// Updates the gauges from `store` and `pending`, and the totals kept
    /// by `pending` and the fetcher (`fetches`).
    pub fn report(&self, store: &MessageStore, pending: &Pending, fetches: FetchStats) {
        self.store_messages.set(store.len() as i64);
        self.pending_messages.set(pending.len() as i64);
        self.pending_bytes.set(pending.bytes() as i64);
        let caught = store
            .graph()
            .acceptor_ids()
            .filter(|&a| store.is_forked(a))
            .count();
        self.caught_acceptors.set(caught as i64);
        let drops = pending.drops();
        Self::raise_to(&self.pending_dropped, "total", drops.total);
        Self::raise_to(&self.pending_dropped, "per_signer", drops.per_signer);
        Self::raise_to(&self.fetches, "asked", fetches.asked);
        Self::raise_to(&self.fetches, "arrived", fetches.arrived);
        Self::raise_to(&self.fetches, "given_up", fetches.given_up);
        Self::raise_to(&self.fetches, "over_limit", fetches.over_limit);
    }

    /// Counts a refusal of class `reason`.
    pub fn refuse(&self, reason: &str) {
        self.refused.get_or_create(&Reason::of(reason)).inc();
    }

    /// Raises the counter of `family` labelled `reason` to `total` (for
    /// totals kept elsewhere).
    pub fn raise_to(family: &Family<Reason, Counter>, reason: &str, total: u64) {
        let c = family.get_or_create(&Reason::of(reason));
        let now = c.get();
        if total > now {
            c.inc_by(total - now);
        }
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Serves [`Metrics::encode`] over HTTP on `listener` (any path).
    pub fn serve(&self, listener: TcpListener) -> JoinHandle<()> {
        let metrics = self.clone();
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SCRAPES));
        if let Ok(a) = listener.local_addr() {
            info!(listen = %a, "serving metrics");
        }
        tokio::spawn(async move {
            loop {
                let (mut conn, addr) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        warn!(error = %e, "metrics: cannot accept");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    continue; // Too many at once: closed.
                };
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let answer = tokio::time::timeout(SCRAPE_TIMEOUT, async {
                        let mut buf = vec![0u8; MAX_REQUEST];
                        let mut len = 0;
                        while len < buf.len() {
                            let n = conn.read(&mut buf[len..]).await?;
                            if n == 0 {
                                break;
                            }
                            len += n;
                            if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                        let body = metrics.encode();
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        conn.write_all(head.as_bytes()).await?;
                        conn.write_all(body.as_bytes()).await?;
                        conn.shutdown().await
                    })
                    .await;
                    if !matches!(answer, Ok(Ok(()))) {
                        debug!(peer = %addr, "metrics: scrape failed");
                    }
                    drop(permit);
                });
            }
        })
    }
}

/// Most scrapes served at once.
const MAX_SCRAPES: usize = 16;
/// Longest request read.
const MAX_REQUEST: usize = 8 << 10;
/// Longest scrape.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scrapes_show_the_counters() {
        let m = Metrics::new();
        m.accepted.inc_by(3);
        m.refuse("signature");
        Metrics::raise_to(&m.fetches, "asked", 7);
        Metrics::raise_to(&m.fetches, "asked", 5); // never lowered
        m.fsync_seconds.observe(0.0002);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _server = m.serve(listener);
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        conn.read_to_string(&mut text).await.unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
        assert!(
            text.contains("hetpaxos_messages_accepted_total 3"),
            "{text}"
        );
        assert!(
            text.contains("hetpaxos_messages_refused_total{reason=\"signature\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("hetpaxos_fetches_total{reason=\"asked\"} 7"),
            "{text}"
        );
        assert!(text.contains("hetpaxos_fsync_seconds_count 1"), "{text}");
    }
}
