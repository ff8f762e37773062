//! Connections: the acceptor service, connectors to acceptors, and the hub
//! of outbound queues owned by a role task.

use crate::fetch::{FetchLimits, MAX_WANT_IDS, PeerId};
use crate::history::{Exchange, History};
use crate::metrics::Metrics;
use crate::pace::{Bucket, Rate};
use crate::rpc::acceptor_client::AcceptorClient;
use crate::rpc::acceptor_server;
use crate::tls::{PinnedServer, TlsIdentity};
use crate::transport::PeerInfo;
use futures_util::FutureExt as _;
use futures_util::StreamExt as _;
use hetpaxos_config::{Cluster, Member, Role};
use hetpaxos_messages::{Hash32, Limits, Message, MessageId, ProposerId, Verifier, wire};
use hetpaxos_proto::v1 as pb;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};
use tonic::transport::{ClientTlsConfig, Endpoint};
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, info, warn};

/// Network parameters.
#[derive(Clone, Copy, Debug)]
pub struct NetConfig {
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Outbound queue per stream; a peer whose queue is full is disconnected.
    pub peer_queue: usize,
    /// Inbox of a role task.
    pub inbox: usize,
    /// Hard limits on received messages.
    pub limits: Limits,
    /// Plaintext, nobody authenticated (`--insecure`): for local experiments
    /// only; every node must agree, and nothing falls back to it.
    pub insecure: bool,
    /// Longest TCP connect.
    pub connect_timeout: Duration,
    /// Longest TLS handshake (each end).
    pub handshake_timeout: Duration,
    /// HTTP/2 keep-alive pings on idle connections, so that half-open links
    /// are noticed.
    pub keepalive_interval: Duration,
    /// A connection whose ping is not answered within this is closed.
    pub keepalive_timeout: Duration,
    /// Messages (and ids asked for) one stream may send per second; beyond
    /// it the stream is read more slowly (HTTP/2 flow control pushes back).
    pub peer_messages: Rate,
    /// Bytes one stream may send per second, likewise.
    pub peer_bytes: Rate,
    /// Messages per second on a proposer's stream (it sends only 1as).
    pub proposer_messages: Rate,
    /// New streams one member (or, with `--insecure`, one IP address) may
    /// open per second: each costs this node a summary and the difference.
    pub stream_opens: Rate,
    /// Fetching missing references.
    pub fetch: FetchLimits,
    /// How often a stream may carry this node's summary of what it holds
    /// (sent only when it changed, or the peer's did): the longest a message
    /// one end holds and the other lacks waits, besides the round trip.
    pub summary_interval: Duration,
    /// A message is sent by difference only once this node has held it
    /// this long (younger ones are most likely on their way from their
    /// signer, and a summary saying otherwise is only late).
    pub difference_grace: Duration,
}

impl Default for NetConfig {
    /// 100 ms doubling up to 5 s; 4,096-message queues; TLS; 5 s connect and
    /// handshake timeouts; a ping every 10 s, 20 s to answer; per stream
    /// 20,000 messages and 64 MiB per second (a proposer's: 100 messages);
    /// 8 new streams per member at once, then one per 2 s; fetches as
    /// [`FetchLimits::default`]; a summary at most every 250 ms, and
    /// differences of messages held for 1 s.
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            peer_queue: 4096,
            inbox: 4096,
            limits: Limits::default(),
            insecure: false,
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(5),
            keepalive_interval: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(20),
            peer_messages: Rate::per_second(20_000.0),
            peer_bytes: Rate::per_second(f64::from(64u32 << 20)),
            proposer_messages: Rate::per_second(100.0),
            stream_opens: Rate {
                per_sec: 0.5,
                burst: 8.0,
            },
            fetch: FetchLimits::default(),
            summary_interval: Duration::from_millis(250),
            difference_grace: Duration::from_secs(1),
        }
    }
}

static NEXT_PEER: AtomicU64 = AtomicU64::new(1);

/// Refused signatures are logged at most a few per second.
static SIGNATURES: crate::pace::LogThrottle = crate::pace::LogThrottle::new();

/// What a role task receives.
pub(crate) enum Event {
    /// A decoded message from a stream.
    Message {
        /// The stream.
        from: PeerId,
        /// The message.
        message: Message,
    },
    /// A new stream: reply with what to send first, then keep the peer for
    /// live messages.
    Peer(Registration),
}

/// What a role task sends on a stream.
#[derive(Clone, Debug)]
pub(crate) enum Outbound {
    /// A consensus message.
    Message(Message),
    /// A request for messages by id.
    Want(Vec<MessageId>),
}

impl Outbound {
    fn to_proto(&self) -> pb::ConsensusMessage {
        match self {
            Outbound::Message(m) => wire::to_proto(m),
            Outbound::Want(ids) => pb::ConsensusMessage {
                kind: Some(pb::consensus_message::Kind::Want(pb::Want {
                    ids: ids.iter().map(|i| i.0.as_bytes().to_vec()).collect(),
                })),
            },
        }
    }
}

/// A new stream asking to be served.
pub(crate) struct Registration {
    id: PeerId,
    tx: mpsc::Sender<Outbound>,
    kill: oneshot::Sender<()>,
    initial: oneshot::Sender<Vec<Message>>,
    label: String,
}

struct Peer {
    id: PeerId,
    tx: mpsc::Sender<Outbound>,
    /// Dropping this closes the connection.
    _kill: oneshot::Sender<()>,
    label: String,
}

/// The outbound queues of a role task.
#[derive(Default)]
pub(crate) struct Hub {
    peers: Vec<Peer>,
}

impl Hub {
    /// Sends `initial` first and keeps the peer for live messages.
    pub(crate) fn add(&mut self, reg: Registration, initial: Vec<Message>) {
        if reg.initial.send(initial).is_ok() {
            self.peers.push(Peer {
                id: reg.id,
                tx: reg.tx,
                _kill: reg.kill,
                label: reg.label,
            });
        }
    }

    /// The streams kept, oldest first.
    pub(crate) fn ids(&self) -> Vec<PeerId> {
        self.peers.iter().map(|p| p.id).collect()
    }

    /// Sends the requests for missing references, at most
    /// [`MAX_WANT_IDS`] ids per request.
    pub(crate) fn send_asks(&mut self, asks: &mut crate::fetch::Asks) {
        for (peer, ids) in std::mem::take(asks) {
            for chunk in ids.chunks(MAX_WANT_IDS) {
                self.send_to(peer, Outbound::Want(chunk.to_vec()));
            }
        }
    }

    /// Queues `out` on stream `to`; drops the stream if it is full. Returns
    /// whether it was queued.
    pub(crate) fn send_to(&mut self, to: PeerId, out: Outbound) -> bool {
        let Some(i) = self.peers.iter().position(|p| p.id == to) else {
            return false;
        };
        match self.peers[i].tx.try_send(out) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                warn!(peer = %self.peers[i].label, "outbound queue full: dropping the connection");
                self.peers.remove(i);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.peers.remove(i);
                false
            }
        }
    }

    /// Queues `m` on every stream; drops streams that are full or closed.
    pub(crate) fn broadcast(&mut self, m: &Message) {
        self.peers.retain(|p| match p.tx.try_send(Outbound::Message(m.clone())) {
            Ok(()) => {
                debug!(peer = %p.label, id = %m.id().0, "send");
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                warn!(peer = %p.label, "outbound queue full: dropping the connection (the peer catches up on reconnect)");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                debug!(peer = %p.label, "stream closed");
                false
            }
        });
    }
}

/// What a node shows its peers: its history, and whether it sends from it
/// (acceptors do; learners and proposers serve no one).
#[derive(Clone)]
pub(crate) struct Shows {
    pub(crate) history: Arc<History>,
    pub(crate) serves: bool,
    /// Checks every received message before the role task sees it.
    pub(crate) verifier: Arc<dyn Verifier>,
}

impl std::fmt::Debug for Shows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shows")
            .field("held", &self.history.len())
            .field("serves", &self.serves)
            .finish()
    }
}

/// One stream's exchange of summaries, shared by its two sides.
#[derive(Clone)]
struct Link {
    exchange: Arc<Mutex<Exchange>>,
    /// Wakes the writing side when the reading side planned something.
    wake: Arc<Notify>,
}

impl Link {
    fn new() -> Self {
        Self {
            exchange: Arc::new(Mutex::new(Exchange::default())),
            wake: Arc::new(Notify::new()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Exchange) -> R) -> R {
        let mut e = self
            .exchange
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut e)
    }
}

/// A stream registered with its role task.
struct Registered {
    id: PeerId,
    rx: mpsc::Receiver<Outbound>,
    kill: oneshot::Receiver<()>,
    initial: Vec<Message>,
    link: Link,
}

/// Registers a new stream with the role task; returns its id, the live
/// queue, the kill signal, what to send first and the stream's link.
async fn register(
    events: &mpsc::Sender<Event>,
    net: &NetConfig,
    label: String,
) -> Option<Registered> {
    let (tx, rx) = mpsc::channel(net.peer_queue);
    let (kill, kill_rx) = oneshot::channel();
    let (initial, initial_rx) = oneshot::channel();
    let id = PeerId(NEXT_PEER.fetch_add(1, Ordering::Relaxed));
    let reg = Registration {
        id,
        tx,
        kill,
        initial,
        label,
    };
    events.send(Event::Peer(reg)).await.ok()?;
    let initial = initial_rx.await.ok()?;
    Some(Registered {
        id,
        rx,
        kill: kill_rx,
        initial,
        link: Link::new(),
    })
}

/// Messages taken from the history per batch.
const BATCH: usize = 64;

/// The writing side of a stream: live messages from the role task first,
/// then what the peer lacks (asked for by id, or found by difference), and
/// this node's summary when due.
struct Writer {
    metrics: Metrics,
    queued: std::collections::VecDeque<pb::ConsensusMessage>,
    live: mpsc::Receiver<Outbound>,
    link: Link,
    shows: Shows,
    tick: tokio::time::Interval,
    summary_due: bool,
    grace: Duration,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.metrics.streams.dec();
    }
}

impl Writer {
    /// Counts a consensus message (not a request or summary) as sent.
    fn sent(&self, m: pb::ConsensusMessage) -> pb::ConsensusMessage {
        use prost::Message as _;
        match m.kind {
            Some(
                pb::consensus_message::Kind::Proposal(_) | pb::consensus_message::Kind::Signed(_),
            ) => {
                self.metrics.sent_messages.inc();
                self.metrics.sent_bytes.inc_by(m.encoded_len() as u64);
            }
            Some(pb::consensus_message::Kind::Have(_)) => {
                self.metrics.summaries.inc();
            }
            _ => {}
        }
        m
    }

    async fn next(&mut self) -> Option<pb::ConsensusMessage> {
        let m = self.next_item().await?;
        Some(self.sent(m))
    }

    async fn next_item(&mut self) -> Option<pb::ConsensusMessage> {
        loop {
            if let Some(m) = self.queued.pop_front() {
                return Some(m);
            }
            match self.live.try_recv() {
                Ok(o) => return Some(o.to_proto()),
                Err(mpsc::error::TryRecvError::Disconnected) => return None,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            let history = &self.shows.history;
            let now = tokio::time::Instant::now();
            let (batch, more) = self
                .link
                .with(|e| e.next_batch(history, BATCH, now.into_std(), self.grace));
            let more = more.map(tokio::time::Instant::from_std);
            if !batch.is_empty() || more.is_some_and(|t| t <= now) {
                self.queued.extend(batch.iter().map(wire::to_proto));
                continue;
            }
            if self.summary_due {
                self.summary_due = false;
                // Built only when it is to be sent (most ticks of a quiet
                // stream send nothing).
                if self.link.with(|e| e.summary_due(history.len())) {
                    let (have, len) = history.summary();
                    self.link.with(|e| e.summarised(len));
                    return Some(pb::ConsensusMessage {
                        kind: Some(pb::consensus_message::Kind::Have(have)),
                    });
                }
            }
            tokio::select! {
                o = self.live.recv() => return o.map(|o| o.to_proto()),
                () = self.link.wake.notified() => {}
                _ = self.tick.tick() => self.summary_due = true,
                () = crate::roles::sleep_until(more) => {}
            }
        }
    }
}

fn outbound(
    reg_initial: Vec<Message>,
    live: mpsc::Receiver<Outbound>,
    link: Link,
    shows: Shows,
    net: &NetConfig,
    metrics: Metrics,
) -> impl futures_util::Stream<Item = pb::ConsensusMessage> + Send + 'static {
    let mut tick = tokio::time::interval(net.summary_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    metrics.streams.inc();
    let writer = Writer {
        metrics,
        queued: reg_initial.iter().map(wire::to_proto).collect(),
        live,
        link,
        shows,
        tick,
        // The first summary goes out at once.
        summary_due: true,
        grace: net.difference_grace,
    };
    futures_util::stream::unfold(writer, |mut w| async move {
        let m = w.next().await?;
        Some((m, w))
    })
}

/// What an acceptor takes from a stream, by who authenticated on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Takes {
    /// Everything (an acceptor's relays and own messages; or anyone, with
    /// `--insecure`).
    Everything,
    /// Nothing: a learner only listens.
    Nothing,
    /// Only 1as signed as this proposer.
    ProposalsOf(ProposerId),
}

impl Takes {
    fn admits(self, m: &Message) -> bool {
        match self {
            Takes::Everything => true,
            Takes::Nothing => false,
            Takes::ProposalsOf(p) => m
                .as_proposal()
                .and_then(|x| x.signed())
                .is_some_and(|s| s.proposer == p),
        }
    }
}

/// One stream's reading side: who it is, what it may send, how fast.
pub(crate) struct Inbound<'a> {
    pub(crate) metrics: &'a Metrics,
    pub(crate) from: PeerId,
    pub(crate) label: &'a str,
    pub(crate) takes: Takes,
    pub(crate) events: &'a mpsc::Sender<Event>,
    pub(crate) net: &'a NetConfig,
    shows: &'a Shows,
    link: &'a Link,
}

/// Reads a stream into the inbox until it ends, fails, or is killed, taking
/// only what `takes` admits, at most as fast as the stream's rates (beyond
/// them it is read more slowly). Returns `Err` with a description when the
/// stream failed.
async fn pump(
    mut inbound: Streaming<pb::ConsensusMessage>,
    mut kill: oneshot::Receiver<()>,
    me: Inbound<'_>,
) -> Result<(), String> {
    let Inbound {
        metrics,
        from,
        label,
        takes,
        events,
        net,
        shows,
        link,
    } = me;
    let mut refused = 0u64;
    let mut messages = Bucket::new(match takes {
        Takes::ProposalsOf(_) => net.proposer_messages,
        _ => net.peer_messages,
    });
    let mut bytes = Bucket::new(net.peer_bytes);
    let mut batch: Vec<Message> = Vec::with_capacity(VERIFY_BATCH);
    loop {
        // Wait for one item, then take what else has arrived already (up to
        // a batch), so that signatures are checked together.
        let next = tokio::select! {
            _ = &mut kill => return Ok(()),
            next = inbound.message() => next,
        };
        let mut next = Some(next);
        // How the stream ended, once the batch taken before is handled.
        let mut end: Option<Result<(), String>> = None;
        while let Some(item) = next.take() {
            let pb = match item {
                Ok(Some(pb)) => pb,
                Ok(None) => {
                    end = Some(Ok(()));
                    break;
                }
                Err(status) => {
                    end = Some(Err(status.message().to_string()));
                    break;
                }
            };
            match pb.kind {
                Some(pb::consensus_message::Kind::Want(w)) => {
                    let ids: Vec<MessageId> = w
                        .ids
                        .iter()
                        .take(MAX_WANT_IDS)
                        .filter_map(|b| Hash32::from_slice(b).map(MessageId))
                        .collect();
                    messages.take(ids.len() as f64).await;
                    if shows.serves {
                        link.with(|e| e.on_want(&ids, &shows.history));
                        link.wake.notify_one();
                    }
                }
                Some(pb::consensus_message::Kind::Have(have)) => {
                    // A summary costs work in its number of entries.
                    let entries = have.acceptors.len() + have.proposers.len();
                    messages.take(1.0 + entries as f64 / 64.0).await;
                    link.with(|e| e.on_have(&have, &shows.history, shows.serves));
                    link.wake.notify_one();
                }
                _ => match wire::from_proto(pb, &net.limits) {
                    Ok(m) if !takes.admits(&m) => {
                        refused += 1;
                        metrics.refuse("not_allowed_for_peer");
                        if refused == 1 {
                            warn!(peer = %label, id = %m.id().0, "dropped a message this peer may not send (further ones at debug level)");
                        } else {
                            debug!(peer = %label, id = %m.id().0, refused, "dropped a message this peer may not send");
                        }
                    }
                    Ok(m) => {
                        debug!(peer = %label, id = %m.id().0, "receive");
                        messages.take(1.0).await;
                        bytes.take(m.approx_bytes() as f64).await;
                        // Already held: no need to check or hand it on.
                        if !shows.history.contains(&m.id()) {
                            batch.push(m);
                        }
                    }
                    Err(e) => {
                        metrics.refuse("undecodable");
                        debug!(peer = %label, error = %e, "dropped an undecodable message");
                        messages.take(1.0).await;
                    }
                },
            }
            if batch.len() < VERIFY_BATCH {
                next = inbound.message().now_or_never();
            }
        }
        // Checked here, beside the role task, on this stream's task (the
        // runtime spreads streams over the cores), together (decision D13
        // makes a batch answer as single checks do).
        let results = shows.verifier.verify_many(&batch);
        for (m, r) in batch.drain(..).zip(results) {
            if let Err(e) = r {
                metrics.refuse("signature");
                if let Some(suppressed) = SIGNATURES.allow() {
                    info!(peer = %label, id = %m.id().0, error = %e, suppressed, "refused a message: bad signature");
                }
                continue;
            }
            if events
                .send(Event::Message { from, message: m })
                .await
                .is_err()
            {
                return Ok(());
            }
        }
        if let Some(end) = end {
            return end;
        }
    }
}

/// Most messages checked in one batch.
const VERIFY_BATCH: usize = 64;

/// The gRPC metadata key in which a client says which member it is.
pub(crate) const MEMBER_HEADER: &str = "hetpaxos-member";

/// How a member names itself in [`MEMBER_HEADER`] and in logs:
/// `acceptor/B`, `learner/learner`, `proposer/ops`.
pub(crate) fn member_label(cluster: &Cluster, m: &Member) -> String {
    match m {
        Member::Acceptor(i) => format!(
            "acceptor/{}",
            cluster
                .config
                .acceptors
                .get(*i)
                .map_or("?", |a| a.name.as_str())
        ),
        Member::Client { role, name, .. } => format!("{}/{name}", role.name()),
    }
}

/// The acceptor gRPC service: every stream feeds the role task's inbox,
/// with what the authenticated peer may send.
pub(crate) struct Service {
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) net: NetConfig,
    pub(crate) cluster: Arc<Cluster>,
    pub(crate) metrics: Metrics,
    /// What this node shows its peers.
    pub(crate) shows: Shows,
    /// New-stream allowance per member (or IP address, insecure).
    pub(crate) opens: Mutex<HashMap<String, Bucket>>,
}

/// Most members (or addresses) whose new-stream allowance is tracked; past
/// it the table starts afresh (only reachable with `--insecure`).
const MAX_TRACKED_OPENERS: usize = 4096;

impl Service {
    /// The service of a role task.
    pub(crate) fn new(
        events: mpsc::Sender<Event>,
        net: NetConfig,
        cluster: Arc<Cluster>,
        metrics: Metrics,
        shows: Shows,
    ) -> Self {
        Self {
            events,
            net,
            cluster,
            metrics,
            shows,
            opens: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `who` may open another stream now.
    fn may_open(&self, who: &str) -> bool {
        let Ok(mut opens) = self.opens.lock() else {
            return true;
        };
        if opens.len() >= MAX_TRACKED_OPENERS && !opens.contains_key(who) {
            opens.clear();
        }
        opens
            .entry(who.to_string())
            .or_insert_with(|| Bucket::new(self.net.stream_opens))
            .try_take(1.0)
    }
}

impl Service {
    /// Who the stream's peer is, and what it may send; refuses a stream
    /// that claims to be another member than the one that authenticated.
    fn admit(
        &self,
        info: Option<&PeerInfo>,
        claim: Option<&str>,
    ) -> Result<(String, Takes), Status> {
        let addr = info.map_or_else(|| "?".to_string(), |i| i.addr.to_string());
        let Some(member) = info.and_then(|i| i.member.as_ref()) else {
            // --insecure: nobody is authenticated.
            let ip = info.map_or_else(|| "?".to_string(), |i| i.addr.ip().to_string());
            if !self.may_open(&ip) {
                return Err(too_many_streams(&ip, &self.metrics));
            }
            let who = claim.unwrap_or("unauthenticated");
            return Ok((format!("{who} at {addr} (insecure)"), Takes::Everything));
        };
        let label = member_label(&self.cluster, member);
        if !self.may_open(&label) {
            return Err(too_many_streams(&label, &self.metrics));
        }
        if let Some(claim) = claim
            && claim != label
        {
            warn!(peer = %addr, authenticated = %label, claims = %claim, "refused a stream that claims another member");
            return Err(Status::permission_denied(format!(
                "authenticated as {label}, claims to be {claim}"
            )));
        }
        let takes = match member {
            Member::Acceptor(_) => Takes::Everything,
            Member::Client {
                role: Role::Learner,
                ..
            } => Takes::Nothing,
            Member::Client {
                role: Role::Proposer,
                index,
                ..
            } => Takes::ProposalsOf(ProposerId(u32::try_from(*index).unwrap_or(u32::MAX))),
        };
        Ok((format!("{label} at {addr}"), takes))
    }
}

fn too_many_streams(who: &str, metrics: &Metrics) -> Status {
    metrics.refuse("stream_opened_too_often");
    debug!(peer = %who, "refused a new stream: opened too many recently");
    Status::resource_exhausted("too many new streams recently; retry later")
}

type OutStream =
    Pin<Box<dyn futures_util::Stream<Item = Result<pb::ConsensusMessage, Status>> + Send>>;

#[tonic::async_trait]
impl acceptor_server::Acceptor for Service {
    type ExchangeStream = OutStream;

    async fn exchange(
        &self,
        request: Request<Streaming<pb::ConsensusMessage>>,
    ) -> Result<Response<OutStream>, Status> {
        let claim = request
            .metadata()
            .get(MEMBER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (label, takes) =
            self.admit(request.extensions().get::<PeerInfo>(), claim.as_deref())?;
        let inbound = request.into_inner();
        let reg = register(&self.events, &self.net, label.clone())
            .await
            .ok_or_else(|| Status::unavailable("node is shutting down"))?;
        debug!(peer = %label, "stream opened");
        let events = self.events.clone();
        let net = self.net;
        let from = reg.id;
        let metrics = self.metrics.clone();
        let shows = self.shows.clone();
        let link = reg.link.clone();
        // When the peer's side fails (undecodable or oversized input), this
        // side ends too, with the reason as its status (tonic ends a
        // response at its first error): a stream that no longer reads is
        // not kept fed.
        let (done, ended) = oneshot::channel::<Status>();
        tokio::spawn(async move {
            let me = Inbound {
                metrics: &metrics,
                from,
                label: &label,
                takes,
                events: &events,
                net: &net,
                shows: &shows,
                link: &link,
            };
            let status = match pump(inbound, reg.kill, me).await {
                Ok(()) => Status::ok("stream ended"),
                Err(e) => {
                    metrics.refuse("broken_stream");
                    debug!(peer = %label, error = %e, "stream failed");
                    Status::invalid_argument(e)
                }
            };
            let _ = done.send(status);
        });
        // Only a failure ends the response early (dropping what is still
        // queued for a peer that sent garbage); otherwise it ends when the
        // node drops the stream, after what was queued.
        let end = futures_util::stream::once(ended).filter_map(|s| async move {
            match s {
                Ok(s) if s.code() != tonic::Code::Ok => Some(Err(s)),
                _ => None,
            }
        });
        let out = outbound(
            reg.initial,
            reg.rx,
            reg.link,
            self.shows.clone(),
            &net,
            self.metrics.clone(),
        )
        .map(Ok);
        Ok(Response::new(Box::pin(futures_util::stream::select(
            out, end,
        ))))
    }
}

/// One acceptor to keep a stream open to, and how.
#[derive(Clone, Debug)]
pub(crate) struct Dial {
    /// Its `host:port`.
    pub(crate) address: String,
    /// This node's identity and the acceptor's pinned key (`None`:
    /// `--insecure`).
    pub(crate) tls: Option<(TlsIdentity, [u8; 32])>,
    /// Who this node is ([`MEMBER_HEADER`]).
    pub(crate) claim: String,
    /// Where refusals are counted.
    pub(crate) metrics: Metrics,
    /// What this node shows the acceptor.
    pub(crate) shows: Shows,
}

fn endpoint(dial: &Dial, net: &NetConfig) -> Result<Endpoint, String> {
    let scheme = if dial.tls.is_some() { "https" } else { "http" };
    let endpoint = Endpoint::from_shared(format!("{scheme}://{}", dial.address))
        .map_err(|e| e.to_string())?
        .connect_timeout(net.connect_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(net.keepalive_interval)
        .keep_alive_timeout(net.keepalive_timeout)
        .keep_alive_while_idle(true);
    match &dial.tls {
        None => Ok(endpoint),
        Some((identity, expected)) => endpoint
            .tls_config_with_verifier(
                ClientTlsConfig::new()
                    .identity(identity.tonic())
                    .timeout(net.handshake_timeout)
                    .assume_http2(true),
                Arc::new(PinnedServer::new(*expected)),
            )
            .map_err(|e| e.to_string()),
    }
}

/// An error with its chain of causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let more = inner.to_string();
        if !s.contains(&more) {
            s = format!("{s}: {more}");
        }
        src = inner.source();
    }
    s
}

/// What to add to a connection error so that the operator knows where to
/// look.
fn hint(dial: &Dial, error: &str) -> &'static str {
    let lower = error.to_ascii_lowercase();
    if lower.contains("protocolversion") || lower.contains("protocol version") {
        return " (the acceptor runs with --insecure and this node does not: every node must agree)";
    }
    if dial.tls.is_none() && !lower.contains("refused") {
        return " (if the acceptor requires TLS, run this node without --insecure)";
    }
    if dial.tls.is_some()
        && (lower.contains("certificate") || lower.contains("handshake") || lower.contains("tls"))
    {
        return " (TLS refused: is this node's key in the acceptor's cluster config, and does the acceptor present its configured key?)";
    }
    ""
}

/// Keeps a stream open to the acceptor `dial` names, reconnecting with
/// capped, jittered exponential backoff, until the role task ends.
pub(crate) async fn connector(dial: Dial, events: mpsc::Sender<Event>, net: NetConfig) {
    let addr = dial.address.clone();
    let endpoint = match endpoint(&dial, &net) {
        Ok(e) => e,
        Err(e) => {
            warn!(peer = %addr, error = %e, "not a valid address; not connecting");
            return;
        }
    };
    let Ok(claim) = tonic::metadata::MetadataValue::try_from(dial.claim.as_str()) else {
        warn!(peer = %addr, claim = %dial.claim, "not a valid member name; not connecting");
        return;
    };
    let mut backoff = net.backoff_initial;
    let mut failures = 0u32;
    let mut last_warned = String::new();
    loop {
        let connected = async {
            let channel = endpoint.connect().await.map_err(|e| chain(&e))?;
            let mut client = AcceptorClient::new(channel)
                .max_decoding_message_size(net.limits.max_encoded_bytes)
                .max_encoding_message_size(net.limits.max_encoded_bytes);
            let Some(reg) = register(&events, &net, addr.clone()).await else {
                return Ok(None);
            };
            let out = outbound(
                reg.initial,
                reg.rx,
                reg.link.clone(),
                dial.shows.clone(),
                &net,
                dial.metrics.clone(),
            );
            let mut request = Request::new(out);
            request.metadata_mut().insert(MEMBER_HEADER, claim.clone());
            let response = client.exchange(request).await.map_err(|s| {
                let cause = std::error::Error::source(&s).map(chain);
                let refused = if s.code() == tonic::Code::ResourceExhausted {
                    ""
                } else if dial.tls.is_some() {
                    " (the acceptor closed the connection: is this node's key in its cluster config?)"
                } else {
                    ""
                };
                match cause {
                    Some(c) => format!("{}: {c}{refused}", s.message()),
                    None => format!("{}{refused}", s.message()),
                }
            })?;
            info!(peer = %addr, "connected");
            Ok::<_, String>(Some((response.into_inner(), reg.kill, reg.id, reg.link)))
        }
        .await;
        match connected {
            Ok(Some((inbound, kill, from, link))) => {
                failures = 0;
                last_warned.clear();
                backoff = net.backoff_initial;
                let me = Inbound {
                    metrics: &dial.metrics,
                    from,
                    label: &addr,
                    takes: Takes::Everything,
                    events: &events,
                    net: &net,
                    shows: &dial.shows,
                    link: &link,
                };
                match pump(inbound, kill, me).await {
                    Ok(()) => info!(peer = %addr, "disconnected"),
                    Err(e) => info!(peer = %addr, error = %e, "disconnected"),
                }
            }
            Ok(None) => {}
            Err(e) => {
                // Warn once per kind of failure (a refused TCP connection,
                // then a refused handshake, …), not once per retry.
                if e != last_warned {
                    warn!(peer = %addr, "cannot connect: {e}{}; retrying with backoff", hint(&dial, &e));
                    last_warned = e;
                } else {
                    debug!(peer = %addr, error = %e, failures, "cannot connect");
                }
                failures = failures.saturating_add(1);
            }
        }
        if events.is_closed() {
            return;
        }
        let jitter = rand::random::<f64>() * 0.5 + 0.75;
        tokio::time::sleep(backoff.mul_f64(jitter)).await;
        backoff = (backoff * 2).min(net.backoff_max);
    }
}
