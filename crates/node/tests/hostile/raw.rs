//! A hostile peer's own transport, independent of the node's client code:
//! TLS by rustls with a certificate made here by rcgen (it accepts any
//! server certificate: an attacker does not care whom it talks to), HTTP/2
//! by the h2 crate, and gRPC's length-prefixed framing by hand.

#![allow(dead_code)] // shared by tests/hostile.rs and tests/fetch.rs, each using a part

use ed25519_dalek::SigningKey;
use hetpaxos_messages::Bytes;
use hetpaxos_proto::v1 as pb;
use prost::Message as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpStream;

/// Bytes of frames coalesced into one send.
pub const COALESCE: usize = 64 << 10;

/// What the hostile peer received on a stream.
#[derive(Debug, Default)]
pub struct Received {
    /// Consensus messages.
    pub messages: AtomicU64,
    /// Ids asked for in `Want`s.
    pub wanted: AtomicU64,
    /// The gRPC status code, once the server ended the stream (as the
    /// number of `grpc-status`, plus one; zero while open).
    pub status: AtomicU64,
    /// The first [`KEPT`] messages received, decoded.
    pub kept: std::sync::Mutex<Vec<pb::ConsensusMessage>>,
}

/// How many received messages [`Received::kept`] keeps.
pub const KEPT: usize = 10_000;

#[derive(Debug)]
struct AnyServer;

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ED25519,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ]
    }
}

/// A self-signed certificate for `key`, made here.
fn certificate(key: &SigningKey) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    // PKCS#8 v1 of an Ed25519 key (RFC 8410): fixed prefix, then the seed.
    let mut pkcs8 = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    pkcs8.extend_from_slice(&key.to_bytes());
    let der = PrivatePkcs8KeyDer::from(pkcs8);
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ED25519).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["attacker".to_string()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    (cert.der().clone(), PrivateKeyDer::Pkcs8(der))
}

/// A TLS connection to `addr` presenting `key`'s certificate.
pub async fn tls(
    addr: &str,
    key: &SigningKey,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (cert, private) = certificate(key);
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer))
        .with_client_auth_cert(vec![cert], private)
        .map_err(std::io::Error::other)?;
    let mut config = config;
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("hetpaxos").map_err(std::io::Error::other)?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// One gRPC `Exchange` stream, spoken by hand.
pub struct Stream {
    send: h2::SendStream<Bytes>,
    /// Frames not yet handed to h2: small frames are coalesced into DATA
    /// frames of up to [`COALESCE`] bytes, as real clients do (a flood of
    /// tiny DATA frames makes the server's HTTP/2 layer end the connection
    /// with ENHANCE_YOUR_CALM before the node sees anything).
    out: Vec<u8>,
    /// Kept: the connection lives while a handle does.
    _client: h2::client::SendRequest<Bytes>,
    /// What came back.
    pub received: Arc<Received>,
}

/// Opens the `Exchange` stream of the acceptor at `addr`, authenticated
/// with `key`, and counts what comes back.
pub async fn open(addr: &str, key: &SigningKey) -> Result<Stream, String> {
    let io = tls(addr, key).await.map_err(|e| e.to_string())?;
    let (client, connection) = h2::client::handshake(io).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.map_err(|e| e.to_string())?;
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("https://{addr}/hetpaxos.v1.Acceptor/Exchange"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .map_err(|e| e.to_string())?;
    let (response, send) = client
        .send_request(request, false)
        .map_err(|e| e.to_string())?;
    let received = Arc::new(Received::default());
    let sink = received.clone();
    tokio::spawn(async move {
        let Ok(response) = response.await else {
            return;
        };
        // A refusal comes as a trailers-only response: status in the headers.
        let code = |h: &http::HeaderMap| {
            h.get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let Some(c) = code(response.headers()) {
            sink.status.store(c + 1, Ordering::Relaxed);
        }
        let mut body = response.into_body();
        let mut buf: Vec<u8> = Vec::new();
        while let Some(Ok(chunk)) = body.data().await {
            let _ = body.flow_control().release_capacity(chunk.len());
            buf.extend_from_slice(&chunk);
            while buf.len() >= 5 {
                let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
                if buf.len() < 5 + len {
                    break;
                }
                let frame: Vec<u8> = buf.drain(..5 + len).skip(5).collect();
                let Ok(m) = pb::ConsensusMessage::decode(frame.as_slice()) else {
                    continue;
                };
                match &m.kind {
                    Some(pb::consensus_message::Kind::Want(w)) => {
                        sink.wanted.fetch_add(w.ids.len() as u64, Ordering::Relaxed);
                    }
                    Some(_) => {
                        sink.messages.fetch_add(1, Ordering::Relaxed);
                    }
                    None => continue,
                }
                if let Ok(mut kept) = sink.kept.lock()
                    && kept.len() < KEPT
                {
                    kept.push(m);
                }
            }
        }
        if let Ok(Some(trailers)) = body.trailers().await
            && let Some(c) = code(&trailers)
        {
            sink.status.store(c + 1, Ordering::Relaxed);
        }
    });
    Ok(Stream {
        out: Vec::new(),
        send,
        _client: client,
        received,
    })
}

impl Stream {
    /// Sends `payload` in one gRPC frame whose header claims `claimed`
    /// bytes (normally `payload.len()`), at once.
    pub async fn frame(&mut self, payload: &[u8], claimed: u32) -> Result<(), String> {
        self.queue(payload, claimed);
        self.flush().await
    }

    /// Queues a protobuf message in one well-formed frame; sends when
    /// [`COALESCE`] bytes are queued.
    pub async fn message(&mut self, m: &pb::ConsensusMessage) -> Result<(), String> {
        let payload = m.encode_to_vec();
        self.queue(&payload, payload.len() as u32);
        if self.out.len() >= COALESCE {
            self.flush().await?;
        }
        Ok(())
    }

    fn queue(&mut self, payload: &[u8], claimed: u32) {
        self.out.push(0);
        self.out.extend_from_slice(&claimed.to_be_bytes());
        self.out.extend_from_slice(payload);
    }

    /// Sends what is queued.
    pub async fn flush(&mut self) -> Result<(), String> {
        let data = Bytes::from(std::mem::take(&mut self.out));
        self.bytes(data).await
    }

    /// Sends raw bytes on the stream (h2 buffers, in this process, what
    /// flow control does not let out yet); fails once the server has reset
    /// or closed the stream.
    pub async fn bytes(&mut self, data: Bytes) -> Result<(), String> {
        self.send
            .send_data(data, false)
            .map_err(|e| e.to_string())?;
        tokio::task::yield_now().await;
        Ok(())
    }

    /// Waits up to `wait` for the server to end the stream; its gRPC status
    /// code, if it did.
    pub async fn ended(&self, wait: std::time::Duration) -> Option<u64> {
        let end = std::time::Instant::now() + wait;
        loop {
            let s = self.received.status.load(Ordering::Relaxed);
            if s > 0 {
                return Some(s - 1);
            }
            if std::time::Instant::now() > end {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
