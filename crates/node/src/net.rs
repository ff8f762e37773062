//! Connections: the acceptor service, connectors to acceptors, and the hub
//! of outbound queues owned by a role task.

use crate::rpc::acceptor_client::AcceptorClient;
use crate::rpc::acceptor_server;
use futures_util::StreamExt as _;
use hetpaxos_messages::{Limits, Message, wire};
use hetpaxos_proto::v1 as pb;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
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
}

impl Default for NetConfig {
    /// 100 ms doubling up to 5 s; 4,096-message queues.
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            peer_queue: 4096,
            inbox: 4096,
            limits: Limits::default(),
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

/// Reads a stream into the inbox until it ends, fails, or is killed.
/// Returns `Err` with a description when the stream failed.
async fn pump(
    mut inbound: Streaming<pb::ConsensusMessage>,
    mut kill: oneshot::Receiver<()>,
    events: &mpsc::Sender<Event>,
    limits: &Limits,
    label: &str,
) -> Result<(), String> {
    loop {
        tokio::select! {
            _ = &mut kill => return Ok(()),
            next = inbound.message() => match next {
                Ok(Some(pb)) => match wire::from_proto(pb, limits) {
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

/// The acceptor gRPC service: every stream feeds the role task's inbox.
pub(crate) struct Service {
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) net: NetConfig,
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
        let label = request
            .remote_addr()
            .map_or_else(|| "inbound".to_string(), |a| format!("inbound {a}"));
        let inbound = request.into_inner();
        let (rx, kill, replay) = register(&self.events, &self.net, label.clone())
            .await
            .ok_or_else(|| Status::unavailable("node is shutting down"))?;
        debug!(peer = %label, replay = replay.len(), "stream opened");
        let events = self.events.clone();
        let limits = self.net.limits;
        tokio::spawn(async move {
            if let Err(e) = pump(inbound, kill, &events, &limits, &label).await {
                debug!(peer = %label, error = %e, "stream failed");
            }
        });
        Ok(Response::new(Box::pin(outbound(replay, rx).map(Ok))))
    }
}

/// Keeps a stream open to the acceptor at `addr`, reconnecting with capped,
/// jittered exponential backoff, until the role task ends.
pub(crate) async fn connector(addr: String, events: mpsc::Sender<Event>, net: NetConfig) {
    let endpoint = match tonic::transport::Endpoint::from_shared(format!("http://{addr}")) {
        Ok(e) => e.connect_timeout(Duration::from_secs(5)).tcp_nodelay(true),
        Err(e) => {
            warn!(peer = %addr, error = %e, "not a valid address; not connecting");
            return;
        }
    };
    let mut backoff = net.backoff_initial;
    let mut failures = 0u32;
    loop {
        let connected = async {
            let channel = endpoint.connect().await.map_err(|e| {
                let mut s = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(inner) = src {
                    s = format!("{s}: {inner}");
                    src = inner.source();
                }
                s
            })?;
            let mut client = AcceptorClient::new(channel)
                .max_decoding_message_size(net.limits.max_encoded_bytes)
                .max_encoding_message_size(net.limits.max_encoded_bytes);
            let Some((rx, kill, replay)) = register(&events, &net, addr.clone()).await else {
                return Ok(None);
            };
            let response = client
                .exchange(outbound(replay, rx))
                .await
                .map_err(|s| s.message().to_string())?;
            info!(peer = %addr, "connected");
            Ok::<_, String>(Some((response.into_inner(), kill)))
        }
        .await;
        match connected {
            Ok(Some((inbound, kill))) => {
                failures = 0;
                backoff = net.backoff_initial;
                match pump(inbound, kill, &events, &net.limits, &addr).await {
                    Ok(()) => info!(peer = %addr, "disconnected"),
                    Err(e) => info!(peer = %addr, error = %e, "disconnected"),
                }
            }
            Ok(None) => {}
            Err(e) => {
                if failures == 0 {
                    warn!(peer = %addr, error = %e, "cannot connect; retrying with backoff");
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
