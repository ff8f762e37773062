//! Connections: the acceptor service, connectors to acceptors, and the hub
//! of outbound queues owned by a role task.

use crate::rpc::acceptor_client::AcceptorClient;
use crate::rpc::acceptor_server;
use crate::tls::{PinnedServer, TlsIdentity};
use crate::transport::PeerInfo;
use futures_util::StreamExt as _;
use hetpaxos_config::{Cluster, Member, Role};
use hetpaxos_messages::{Limits, Message, ProposerId, wire};
use hetpaxos_proto::v1 as pb;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
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
}

impl Default for NetConfig {
    /// 100 ms doubling up to 5 s; 4,096-message queues; TLS; 5 s connect and
    /// handshake timeouts; a ping every 10 s, 20 s to answer.
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
        }
    }
}

/// What a role task receives.
pub(crate) enum Event {
    /// A decoded message from some stream.
    Message(Message),
    /// A new stream: reply with the replay, then keep the peer.
    Peer(Registration),
}

/// A new stream asking to be served.
pub(crate) struct Registration {
    tx: mpsc::Sender<Message>,
    kill: oneshot::Sender<()>,
    replay: oneshot::Sender<Vec<Message>>,
    label: String,
}

struct Peer {
    tx: mpsc::Sender<Message>,
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
    /// Sends the replay and keeps the peer for live messages.
    pub(crate) fn add(&mut self, reg: Registration, replay: Vec<Message>) {
        if reg.replay.send(replay).is_ok() {
            self.peers.push(Peer {
                tx: reg.tx,
                _kill: reg.kill,
                label: reg.label,
            });
        }
    }

    /// Queues `m` on every stream; drops streams that are full or closed.
    pub(crate) fn broadcast(&mut self, m: &Message) {
        self.peers.retain(|p| match p.tx.try_send(m.clone()) {
            Ok(()) => {
                debug!(peer = %p.label, id = %m.id().0, "send");
                true
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                warn!(peer = %p.label, "outbound queue full: dropping the connection (the peer gets a full replay on reconnect)");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                debug!(peer = %p.label, "stream closed");
                false
            }
        });
    }
}

/// Registers a new stream with the role task; returns the live queue, the
/// kill signal and the replay.
async fn register(
    events: &mpsc::Sender<Event>,
    net: &NetConfig,
    label: String,
) -> Option<(mpsc::Receiver<Message>, oneshot::Receiver<()>, Vec<Message>)> {
    let (tx, rx) = mpsc::channel(net.peer_queue);
    let (kill, kill_rx) = oneshot::channel();
    let (replay, replay_rx) = oneshot::channel();
    let reg = Registration {
        tx,
        kill,
        replay,
        label,
    };
    events.send(Event::Peer(reg)).await.ok()?;
    let replay = replay_rx.await.ok()?;
    Some((rx, kill_rx, replay))
}

fn outbound(
    replay: Vec<Message>,
    rx: mpsc::Receiver<Message>,
) -> impl futures_util::Stream<Item = pb::ConsensusMessage> + Send + 'static {
    futures_util::stream::iter(replay)
        .chain(ReceiverStream::new(rx))
        .map(|m| wire::to_proto(&m))
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

/// Reads a stream into the inbox until it ends, fails, or is killed, taking
/// only what `takes` admits. Returns `Err` with a description when the stream
/// failed.
async fn pump(
    mut inbound: Streaming<pb::ConsensusMessage>,
    mut kill: oneshot::Receiver<()>,
    events: &mpsc::Sender<Event>,
    limits: &Limits,
    label: &str,
    takes: Takes,
) -> Result<(), String> {
    let mut refused = 0u64;
    loop {
        tokio::select! {
            _ = &mut kill => return Ok(()),
            next = inbound.message() => match next {
                Ok(Some(pb)) => match wire::from_proto(pb, limits) {
                    Ok(m) if !takes.admits(&m) => {
                        refused += 1;
                        if refused == 1 {
                            warn!(peer = %label, id = %m.id().0, "dropped a message this peer may not send (further ones at debug level)");
                        } else {
                            debug!(peer = %label, id = %m.id().0, refused, "dropped a message this peer may not send");
                        }
                    }
                    Ok(m) => {
                        debug!(peer = %label, id = %m.id().0, "receive");
                        if events.send(Event::Message(m)).await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(e) => debug!(peer = %label, error = %e, "dropped an undecodable message"),
                },
                Ok(None) => return Ok(()),
                Err(status) => return Err(status.message().to_string()),
            },
        }
    }
}

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
            let who = claim.unwrap_or("unauthenticated");
            return Ok((format!("{who} at {addr} (insecure)"), Takes::Everything));
        };
        let label = member_label(&self.cluster, member);
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
        let (rx, kill, replay) = register(&self.events, &self.net, label.clone())
            .await
            .ok_or_else(|| Status::unavailable("node is shutting down"))?;
        debug!(peer = %label, replay = replay.len(), "stream opened");
        let events = self.events.clone();
        let limits = self.net.limits;
        tokio::spawn(async move {
            if let Err(e) = pump(inbound, kill, &events, &limits, &label, takes).await {
                debug!(peer = %label, error = %e, "stream failed");
            }
        });
        Ok(Response::new(Box::pin(outbound(replay, rx).map(Ok))))
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
            let Some((rx, kill, replay)) = register(&events, &net, addr.clone()).await else {
                return Ok(None);
            };
            let mut request = Request::new(outbound(replay, rx));
            request.metadata_mut().insert(MEMBER_HEADER, claim.clone());
            let response = client.exchange(request).await.map_err(|s| {
                let cause = std::error::Error::source(&s).map(chain);
                let refused = if dial.tls.is_some() {
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
            Ok::<_, String>(Some((response.into_inner(), kill)))
        }
        .await;
        match connected {
            Ok(Some((inbound, kill))) => {
                failures = 0;
                last_warned.clear();
                backoff = net.backoff_initial;
                match pump(
                    inbound,
                    kill,
                    &events,
                    &net.limits,
                    &addr,
                    Takes::Everything,
                )
                .await
                {
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
