//! The acceptor role: the pure acceptor driven through the one effect driver
//! ([`hetpaxos_acceptor::driver`]) with its log on disk, its gRPC server and
//! its connectors to the other acceptors.
//!
//! Inputs are taken in batches: every event already queued (up to
//! [`MAX_BATCH`]) is handled, then one flush syncs the log once if own
//! messages wait (group commit) and sends them. Received records are handed
//! to the operating system after every batch, synced only with an own
//! message.

use super::{NodeHandle, connectors, deadline, identity, now_nanos, shows, sleep_until};
use crate::acceptor_log::{AcceptorLog, LogError, Storage};
use crate::fetch::{Asks, Fetcher};
use crate::metrics::Metrics;
use crate::net::{Event, Hub, NetConfig, Service, Shows};
use crate::pace::LogThrottle;
use crate::rpc::acceptor_server::AcceptorServer;
use crate::tls;
use crate::transport::{Admission, incoming};
use anyhow::Context as _;
use hetpaxos_acceptor::driver::{self, Io};
use hetpaxos_acceptor::{Acceptor, AcceptorLimits, Halt, Input, LogPosition, Record};
use hetpaxos_config::AcceptorSetup;
use hetpaxos_config::Member;
use hetpaxos_messages::{Message, MessageId, Refusal};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

/// Refused messages are logged at most a few per second.
static REFUSALS: LogThrottle = LogThrottle::new();

/// Most inputs handled between two flushes of the log.
pub const MAX_BATCH: usize = 256;

/// A running acceptor.
#[derive(Debug)]
pub struct AcceptorHandle {
    role: Option<JoinHandle<anyhow::Result<()>>>,
    shutdown: Option<oneshot::Sender<()>>,
    others: NodeHandle,
}

impl AcceptorHandle {
    /// Waits until the acceptor stops by itself, which it only does on an
    /// error: a failed write or sync of its log, or a halt (a message signed
    /// with its key that its log does not hold).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        match self.role.as_mut() {
            Some(role) => {
                let r = role.await;
                self.role = None;
                r.map_err(|e| anyhow::anyhow!("acceptor task failed: {e}"))?
            }
            None => std::future::pending().await,
        }
    }

    /// Whether the acceptor still runs (it stops by itself only on an error:
    /// see [`AcceptorHandle::wait`]).
    pub fn is_running(&self) -> bool {
        self.role.as_ref().is_some_and(|r| !r.is_finished())
    }

    /// Stops gracefully: finishes the batch in progress, syncs the log and
    /// returns; then stops serving.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = match self.role.take() {
            Some(role) => role
                .await
                .map_err(|e| anyhow::anyhow!("acceptor task failed: {e}"))?,
            None => Ok(()),
        };
        self.others.stop_and_wait().await;
        result
    }

    /// Stops at once, as a crash (records not yet written are lost), and
    /// waits until the log is closed and its directory unlocked.
    pub async fn kill(mut self) {
        if let Some(role) = self.role.take() {
            role.abort();
            let _ = role.await;
        }
        self.others.stop_and_wait().await;
    }
}

impl Drop for AcceptorHandle {
    fn drop(&mut self) {
        if let Some(role) = self.role.take() {
            role.abort();
        }
    }
}

/// An acceptor recovered from its log, not serving yet.
#[derive(Debug)]
pub struct OpenedAcceptor {
    setup: AcceptorSetup,
    acceptor: Acceptor,
    log: AcceptorLog,
    effects: Vec<hetpaxos_acceptor::Effect>,
}

/// Opens the acceptor's log in `storage` and recovers the acceptor from it,
/// with `limits` (e.g. [`AcceptorLimits::min_proposal_interval`]; changing
/// them between restarts is safe: recovery never re-signs a logged message).
/// Fails when the data directory is locked by another process, belongs to
/// another key or cluster, or holds a damaged log.
pub fn open_acceptor(
    setup: &AcceptorSetup,
    storage: &Storage,
    limits: AcceptorLimits,
) -> anyhow::Result<OpenedAcceptor> {
    let (log, records) = AcceptorLog::open(setup, storage)?;
    recover_acceptor(setup, log, records, limits)
}

/// Recovers the acceptor of `setup` from `records`, read from `log`.
pub fn recover_acceptor(
    setup: &AcceptorSetup,
    log: AcceptorLog,
    records: Vec<Record>,
    limits: AcceptorLimits,
) -> anyhow::Result<OpenedAcceptor> {
    let cluster = &setup.cluster;
    let recovered = records.len();
    let (acceptor, effects) = Acceptor::recover(
        cluster.graph.clone(),
        setup.signer(),
        // Signatures are checked in the stream tasks (crate::net).
        Arc::new(hetpaxos_messages::PreVerified),
        limits,
        records,
    )
    .with_context(|| format!("cannot recover acceptor {} from its log", setup.name))?;
    if recovered > 0 {
        info!(
            acceptor = %setup.name,
            records = recovered,
            messages = acceptor.store().len(),
            "recovered from the log"
        );
    }
    Ok(OpenedAcceptor {
        setup: setup.clone(),
        acceptor,
        log,
        effects,
    })
}

/// [`open_acceptor`] with the default limits, then [`serve_acceptor`].
pub fn start_acceptor(
    setup: &AcceptorSetup,
    storage: &Storage,
    listener: TcpListener,
    net: NetConfig,
) -> anyhow::Result<AcceptorHandle> {
    serve_acceptor(
        open_acceptor(setup, storage, AcceptorLimits::default())?,
        listener,
        net,
    )
}

/// Serves a recovered acceptor on `listener` (mutual TLS pinned to the
/// cluster config, unless `net.insecure`), and keeps one stream to every
/// acceptor of higher index (each pair of acceptors shares one stream: the
/// lower index dials).
pub fn serve_acceptor(
    opened: OpenedAcceptor,
    listener: TcpListener,
    net: NetConfig,
) -> anyhow::Result<AcceptorHandle> {
    serve_acceptor_metered(opened, listener, net, Metrics::new())
}

/// [`serve_acceptor`], reporting into `metrics` (serve them with
/// [`Metrics::serve`]).
pub fn serve_acceptor_metered(
    opened: OpenedAcceptor,
    listener: TcpListener,
    net: NetConfig,
    metrics: Metrics,
) -> anyhow::Result<AcceptorHandle> {
    let OpenedAcceptor {
        setup,
        acceptor,
        log,
        effects,
    } = opened;
    let cluster = &setup.cluster;
    let identity = identity(setup.key(), &net)?;
    let admission = match &identity {
        None => Admission::Insecure,
        Some(id) => {
            let members = cluster
                .keys
                .iter()
                .chain(cluster.learner_clients.iter().map(|(_, k)| k))
                .chain(cluster.proposers.iter().map(|(_, k)| k))
                .map(|k| k.to_bytes());
            Admission::Tls {
                config: tls::server_config(id, members)?,
                cluster: Arc::new(cluster.clone()),
            }
        }
    };
    let (events, inbox) = mpsc::channel(net.inbox);
    let (shutdown, shutdown_rx) = oneshot::channel();
    let shows = shows(cluster, true);
    let role = tokio::spawn(run(
        Role {
            name: setup.name.clone(),
            acceptor,
            log,
            hub: Hub::default(),
            shows: shows.clone(),
            shown: 0,
            fetcher: Fetcher::new(net.fetch),
            metrics: metrics.clone(),
            asks: Asks::new(),
            refused: BTreeMap::new(),
            halt: None,
        },
        effects,
        inbox,
        shutdown_rx,
    ));
    let service = AcceptorServer::new(Service::new(
        events.clone(),
        net,
        Arc::new(cluster.clone()),
        metrics.clone(),
        shows.clone(),
    ))
    .max_decoding_message_size(net.limits.max_encoded_bytes)
    .max_encoding_message_size(net.limits.max_encoded_bytes);
    let local = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let name = setup.name.clone();
    let tls_on = !net.insecure;
    let server = tokio::spawn(async move {
        info!(acceptor = %name, listen = %local, tls = tls_on, "serving");
        let incoming = incoming(listener, admission, net, name.clone());
        if let Err(e) = tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(net.keepalive_interval))
            .http2_keepalive_timeout(Some(net.keepalive_timeout))
            .add_service(service)
            .serve_with_incoming(incoming)
            .await
        {
            warn!(acceptor = %name, error = %e, "server stopped");
        }
    });
    let mut tasks = vec![server];
    let me = setup.id.index();
    tasks.extend(connectors(
        cluster,
        &Member::Acceptor(me),
        identity.as_ref(),
        |j| j > me,
        &events,
        net,
        &metrics,
        &shows,
    ));
    Ok(AcceptorHandle {
        role: Some(role),
        shutdown: Some(shutdown),
        others: NodeHandle { tasks },
    })
}

/// What the role task owns.
struct Role {
    name: String,
    acceptor: Acceptor,
    log: AcceptorLog,
    hub: Hub,
    /// What peers are shown, and how many of the store's messages it holds.
    shows: Shows,
    shown: usize,
    /// Missing references being fetched, and the requests to send next.
    fetcher: Fetcher,
    asks: Asks,
    metrics: Metrics,
    /// Refused messages, by class.
    refused: BTreeMap<&'static str, u64>,
    halt: Option<Halt>,
}

/// The acceptor's outside world for the driver: its log and its peers.
struct NodeIo<'a> {
    name: &'a str,
    metrics: &'a Metrics,
    log: &'a mut AcceptorLog,
    hub: &'a mut Hub,
    refused: &'a mut BTreeMap<&'static str, u64>,
    halt: &'a mut Option<Halt>,
}

impl Io for NodeIo<'_> {
    type Error = LogError;

    fn append(&mut self, records: &[Record], up_to: LogPosition) -> Result<(), LogError> {
        self.log.append(records, up_to)
    }

    fn sync(&mut self, _up_to: LogPosition) -> Result<(), LogError> {
        let start = std::time::Instant::now();
        let r = blocking(|| self.log.sync());
        self.metrics
            .fsync_seconds
            .observe(start.elapsed().as_secs_f64());
        r
    }

    fn relay(&mut self, _message: &Message) {
        // Others' messages reach peers by difference (crate::history), not
        // on every stream.
        self.metrics.accepted.inc();
    }

    fn send(&mut self, message: &Message) {
        debug!(acceptor = %self.name, id = %message.id().0, "send own");
        self.hub.broadcast(message);
    }

    fn refused(&mut self, id: MessageId, reason: &Refusal) {
        *self.refused.entry(reason.class()).or_default() += 1;
        self.metrics.refuse(reason.class());
        if let Some(suppressed) = REFUSALS.allow() {
            info!(acceptor = %self.name, id = %id.0, %reason, suppressed, "refused a message");
        }
    }

    fn halted(&mut self, why: &Halt) {
        *self.halt = Some(why.clone());
    }
}

impl Role {
    fn io(&mut self) -> (&mut Acceptor, NodeIo<'_>) {
        (
            &mut self.acceptor,
            NodeIo {
                name: &self.name,
                metrics: &self.metrics,
                log: &mut self.log,
                hub: &mut self.hub,
                refused: &mut self.refused,
                halt: &mut self.halt,
            },
        )
    }

    fn input(&mut self, input: Input) -> Result<(), LogError> {
        let (acceptor, mut io) = self.io();
        driver::input(acceptor, input, &mut io)
    }

    /// Syncs and sends if own messages wait; otherwise hands received
    /// records to the operating system. Then fails if the acceptor halted.
    fn flush(&mut self) -> anyhow::Result<()> {
        // What was received is shown before the sync; own messages after.
        self.show();
        let (acceptor, mut io) = self.io();
        let synced = driver::flush(acceptor, &mut io)?;
        if !synced && self.log.has_buffered() {
            blocking(|| self.log.write())?;
        }
        if let Some(halt) = &self.halt {
            error!(acceptor = %self.name, "{halt}");
            anyhow::bail!("acceptor {} halted: {halt}", self.name);
        }
        self.show();
        Ok(())
    }

    /// Shows peers what was accepted since the last call, up to the first
    /// own message still waiting for durability (after a flush, none does).
    fn show(&mut self) {
        let acceptor = &self.acceptor;
        let new: Vec<&Message> = acceptor
            .store()
            .messages_from(self.shown)
            .take_while(|m| acceptor.sendable_message(&m.id()).is_some())
            .collect();
        self.shown += new.len();
        self.shows.history.extend(new);
    }

    fn event(&mut self, ev: Event) -> Result<(), LogError> {
        match ev {
            Event::Peer(reg) => {
                self.hub.add(reg, Vec::new());
                Ok(())
            }
            Event::Message { from, message } => {
                self.input(Input::Tick { now: now_nanos() })?;
                self.input(Input::Receive(message.clone()))?;
                let (store, pending) = (self.acceptor.store(), self.acceptor.pending());
                self.fetcher
                    .received(&message, from, store, pending, &mut self.asks);
                Ok(())
            }
        }
    }

    /// Updates the metrics.
    fn report(&self) {
        let (store, pending) = (self.acceptor.store(), self.acceptor.pending());
        self.metrics.report(store, pending, self.fetcher.stats());
    }

    /// Re-asks for references still missing, and sends the requests.
    fn fetch(&mut self) {
        let peers = self.hub.ids();
        self.fetcher
            .retry(&peers, self.acceptor.pending(), &mut self.asks);
        self.hub.send_asks(&mut self.asks);
    }
}

/// The role task. Returns `Ok` on a graceful shutdown (or when every sender
/// is gone), an error when the log failed or the acceptor halted.
async fn run(
    mut role: Role,
    initial: Vec<hetpaxos_acceptor::Effect>,
    mut inbox: mpsc::Receiver<Event>,
    mut shutdown: oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    let result = async {
        {
            let (_, mut io) = role.io();
            driver::apply(initial, &mut io)?;
        }
        role.input(Input::Tick { now: now_nanos() })?;
        role.flush()?;
        let mut retry = tokio::time::interval(role.fetcher.limits().retry / 2);
        retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wake = role.acceptor.next_wakeup().map(deadline);
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                ev = inbox.recv() => {
                    let Some(ev) = ev else { break };
                    role.event(ev)?;
                    for _ in 1..MAX_BATCH {
                        match inbox.try_recv() {
                            Ok(ev) => role.event(ev)?,
                            Err(_) => break,
                        }
                    }
                    role.flush()?;
                    role.fetch();
                }
                _ = retry.tick() => {
                    role.fetch();
                    role.report();
                }
                () = sleep_until(wake) => {
                    role.input(Input::Tick { now: now_nanos() })?;
                    role.flush()?;
                }
            }
        }
        // Graceful stop: everything received so far becomes durable too.
        role.flush()?;
        blocking(|| role.log.sync())?;
        anyhow::Ok(())
    }
    .await;
    if !role.refused.is_empty() {
        info!(acceptor = %role.name, refused = ?role.refused, "refused messages");
    }
    if let Err(e) = &result {
        error!(acceptor = %role.name, error = %format!("{e:#}"), "acceptor stopped");
    }
    result
}

/// Runs blocking file I/O without stalling the runtime's other tasks (on a
/// multi-threaded runtime; on a current-thread one there is nothing else to
/// stall that could run meanwhile anyway).
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
