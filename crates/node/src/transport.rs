//! The acceptor's side of a connection: TCP accepted, TLS handshake in a
//! task of its own under a timeout, the peer's key mapped to the cluster
//! member it is, and the stream handed to the gRPC server with that member
//! attached. A plaintext connection to a TLS acceptor, or a TLS one to an
//! acceptor running with `--insecure`, is refused with a log line saying so.

use crate::net::NetConfig;
use crate::pace::LogThrottle;
use crate::tls;
use hetpaxos_config::{Cluster, Member};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Who is at the other end of an accepted connection.
#[derive(Clone, Debug)]
pub(crate) struct PeerInfo {
    /// The member its certificate's key is (`None` with `--insecure`:
    /// nobody is authenticated).
    pub(crate) member: Option<Member>,
    /// Its address.
    pub(crate) addr: SocketAddr,
}

/// The byte stream of an accepted connection.
pub(crate) enum Io {
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Plain(TcpStream),
}

/// An accepted, admitted connection.
pub(crate) struct PeerStream {
    io: Io,
    info: PeerInfo,
}

impl tonic::transport::server::Connected for PeerStream {
    type ConnectInfo = PeerInfo;

    fn connect_info(&self) -> PeerInfo {
        self.info.clone()
    }
}

impl AsyncRead for PeerStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for PeerStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// How an acceptor admits connections.
#[derive(Clone)]
pub(crate) enum Admission {
    /// Mutual TLS: only the cluster's members, each known by its key.
    Tls {
        config: Arc<rustls::ServerConfig>,
        cluster: Arc<Cluster>,
    },
    /// `--insecure`: plaintext, nobody authenticated.
    Insecure,
}

/// A TLS alert record: fatal, `protocol_version`. Sent to a TLS client by an
/// acceptor running with `--insecure`, so that the client's error says why.
const PROTOCOL_VERSION_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46];

/// The first byte of every TLS connection (a handshake record).
const TLS_HANDSHAKE: u8 = 0x16;

/// The stream of admitted connections on `listener`: each accepted
/// connection is admitted in a task of its own (under
/// `net.handshake_timeout`), so a slow or silent client holds up nobody. The
/// stream owns the listener: dropping it (the server stopping) closes the
/// port at once.
pub(crate) fn incoming(
    listener: TcpListener,
    admission: Admission,
    net: NetConfig,
    name: String,
) -> impl futures_util::Stream<Item = io::Result<PeerStream>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<PeerStream>(16);
    let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
    let state = (listener, tx, rx, admission, name, handshakes);
    futures_util::stream::unfold(
        state,
        move |(listener, tx, mut rx, admission, name, handshakes)| async move {
            loop {
                tokio::select! {
                    admitted = rx.recv() => {
                        let stream = admitted?;
                        return Some((Ok(stream), (listener, tx, rx, admission, name, handshakes)));
                    }
                    accepted = listener.accept() => {
                        let (tcp, addr) = match accepted {
                            Ok(c) => c,
                            Err(e) => {
                                // Out of descriptors and the like: back off a moment.
                                warn!(acceptor = %name, error = %e, "cannot accept a connection");
                                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                                continue;
                            }
                        };
                        let Ok(permit) = handshakes.clone().try_acquire_owned() else {
                            if let Some(suppressed) = REFUSALS.allow() {
                                warn!(acceptor = %name, peer = %addr, suppressed, "refused: {MAX_HANDSHAKES} connections already in their handshake");
                            }
                            continue;
                        };
                        let _ = tcp.set_nodelay(true);
                        let (admission, name, tx) = (admission.clone(), name.clone(), tx.clone());
                        tokio::spawn(async move {
                            handshake(tcp, addr, admission, net, name, tx).await;
                            drop(permit);
                        });
                    }
                }
            }
        },
    )
}

/// Admits one connection under the handshake timeout and hands it over.
async fn handshake(
    tcp: TcpStream,
    addr: SocketAddr,
    admission: Admission,
    net: NetConfig,
    name: String,
    tx: mpsc::Sender<PeerStream>,
) {
    match tokio::time::timeout(net.handshake_timeout, admit(tcp, addr, &admission)).await {
        Ok(Ok(stream)) => {
            debug!(acceptor = %name, peer = %addr, "connection admitted");
            let _ = tx.send(stream).await;
        }
        Ok(Err(why)) => {
            if let Some(suppressed) = REFUSALS.allow() {
                warn!(acceptor = %name, peer = %addr, suppressed, "refused: {why}");
            }
        }
        Err(_) => {
            if let Some(suppressed) = REFUSALS.allow() {
                warn!(
                    acceptor = %name,
                    peer = %addr,
                    suppressed,
                    "refused: no TLS handshake within {:?}",
                    net.handshake_timeout
                );
            }
        }
    }
}

/// Refused connections are logged at most a few per second (`suppressed`
/// counts those not logged since the last line).
static REFUSALS: LogThrottle = LogThrottle::new();

/// Most connections in their handshake at once; more are closed at once.
pub(crate) const MAX_HANDSHAKES: usize = 256;

/// Admits one connection, or says why not.
async fn admit(
    mut tcp: TcpStream,
    addr: SocketAddr,
    admission: &Admission,
) -> Result<PeerStream, String> {
    let mut first = [0u8; 1];
    let n = tcp
        .peek(&mut first)
        .await
        .map_err(|e| format!("cannot read: {e}"))?;
    if n == 0 {
        return Err("closed before sending anything".into());
    }
    let looks_tls = first[0] == TLS_HANDSHAKE;
    match admission {
        Admission::Tls { config, cluster } => {
            if !looks_tls {
                return Err(
                    "a plaintext connection: this acceptor requires TLS (is the client running \
                     with --insecure? every node must agree)"
                        .into(),
                );
            }
            let stream = tokio_rustls::TlsAcceptor::from(config.clone())
                .accept(tcp)
                .await
                .map_err(|e| {
                    format!(
                        "TLS handshake failed: {e} (a client must present the key of a member \
                         of this cluster's config)"
                    )
                })?;
            let member = tls::peer_key(stream.get_ref().1)
                .and_then(|k| cluster.member(&k))
                .ok_or("the client's key is not a member of the cluster")?;
            Ok(PeerStream {
                io: Io::Tls(Box::new(stream)),
                info: PeerInfo {
                    member: Some(member),
                    addr,
                },
            })
        }
        Admission::Insecure => {
            if looks_tls {
                let _ = tcp.write_all(&PROTOCOL_VERSION_ALERT).await;
                return Err(
                    "a TLS connection: this acceptor runs with --insecure (every node must agree)"
                        .into(),
                );
            }
            Ok(PeerStream {
                io: Io::Plain(tcp),
                info: PeerInfo { member: None, addr },
            })
        }
    }
}
