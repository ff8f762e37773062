//! Mutual TLS pinned to the cluster configuration: no certificate authority.
//!
//! Every node presents a self-signed Ed25519 certificate (made with rcgen at
//! start-up) whose key is **the node's own key from the cluster config**: an
//! acceptor's message-signing key, or a client's key from its client config.
//! One key per node means nothing new to distribute or rotate, and the cluster
//! config already pins every public key. Reusing the key is safe: a TLS 1.3
//! handshake signature covers a transcript hash behind a fixed 64-space prefix
//! and a TLS context string, and a certificate's self-signature covers a DER
//! structure, while hetpaxos signs only payloads that start with its own
//! domain strings (`hetpaxos/v1/…`), so no signature of one kind is ever a
//! valid signature of the other.
//!
//! A client checks that the acceptor it dialled presents exactly that
//! acceptor's key; an acceptor accepts a client certificate only if its key is
//! one of the cluster's members (an acceptor, a listed learner client or a
//! listed proposer) and then knows which member it talks to. The handshake
//! signatures are verified as usual; validity dates and names are not checked
//! (the pinned key is the identity). TLS 1.3 only, with the ring provider.

use ed25519_dalek::SigningKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::collections::BTreeSet;
use std::sync::Arc;
use thiserror::Error;

/// Why TLS could not be set up.
#[derive(Debug, Error)]
pub enum TlsError {
    /// The certificate could not be made.
    #[error("cannot make the TLS certificate: {0}")]
    Certificate(String),
    /// rustls refused the configuration.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// The ring provider: the only one hetpaxos builds with.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A node's TLS identity: a self-signed certificate of its Ed25519 key.
#[derive(Clone)]
pub struct TlsIdentity {
    cert: CertificateDer<'static>,
    pkcs8: Vec<u8>,
    cert_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

/// The PKCS#8 (RFC 8410, version 1) encoding of an Ed25519 private key.
fn pkcs8_v1(key: &SigningKey) -> Vec<u8> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut out = PREFIX.to_vec();
    out.extend_from_slice(&key.to_bytes());
    out
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo; the key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl TlsIdentity {
    /// A self-signed certificate for `key`.
    pub fn new(key: &SigningKey) -> Result<Self, TlsError> {
        let pkcs8 = pkcs8_v1(key);
        let der = PrivatePkcs8KeyDer::from(pkcs8.clone());
        let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ED25519)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let params = rcgen::CertificateParams::new(vec!["hetpaxos".to_string()])
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let cert = params
            .self_signed(&pair)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        Ok(Self {
            cert: cert.der().clone(),
            pkcs8,
            cert_pem: cert.pem(),
            key_pem: pair.serialize_pem(),
        })
    }

    /// The certificate and key as tonic takes them (PEM).
    pub fn tonic(&self) -> tonic::transport::Identity {
        tonic::transport::Identity::from_pem(&self.cert_pem, &self.key_pem)
    }

    fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8.clone()))
    }
}

/// The Ed25519 public key a certificate carries, if it carries one.
pub fn ed25519_key(cert: &CertificateDer<'_>) -> Option<[u8; 32]> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    let spki = parsed.subject_public_key_info();
    let key = spki.as_ref().strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    key.try_into().ok()
}

fn refused() -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
}

fn schemes() -> Vec<SignatureScheme> {
    vec![SignatureScheme::ED25519]
}

/// A client's check of the acceptor it dialled: exactly `expected`.
#[derive(Debug)]
pub struct PinnedServer {
    expected: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedServer {
    /// Accepts only a server whose certificate carries `expected`.
    pub fn new(expected: [u8; 32]) -> Self {
        Self {
            expected,
            algorithms: provider().signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match ed25519_key(end_entity) {
            Some(k) if k == self.expected => Ok(ServerCertVerified::assertion()),
            _ => Err(refused()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes()
    }
}

/// An acceptor's check of its clients: one of the cluster's member keys.
#[derive(Debug)]
pub struct PinnedClients {
    allowed: BTreeSet<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClients {
    /// Accepts only clients whose certificates carry one of `allowed`.
    pub fn new(allowed: impl IntoIterator<Item = [u8; 32]>) -> Self {
        Self {
            allowed: allowed.into_iter().collect(),
            algorithms: provider().signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClients {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match ed25519_key(end_entity) {
            Some(k) if self.allowed.contains(&k) => Ok(ClientCertVerified::assertion()),
            _ => Err(refused()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        schemes()
    }
}

/// An acceptor's server configuration: its identity, clients pinned to
/// `allowed`, TLS 1.3, HTTP/2.
pub fn server_config(
    identity: &TlsIdentity,
    allowed: impl IntoIterator<Item = [u8; 32]>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(PinnedClients::new(allowed)))
        .with_single_cert(vec![identity.cert.clone()], identity.key_der())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The public key of the peer of a server-side TLS connection.
pub fn peer_key(conn: &rustls::ServerConnection) -> Option<[u8; 32]> {
    conn.peer_certificates()?.first().and_then(ed25519_key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(i: u8) -> SigningKey {
        SigningKey::from_bytes(&[i; 32])
    }

    /// The certificate carries the node's own key, so the pinned check is a
    /// comparison with the config.
    #[test]
    fn the_certificate_carries_the_config_key() {
        let k = key(7);
        let id = TlsIdentity::new(&k).unwrap();
        assert_eq!(ed25519_key(&id.cert), Some(k.verifying_key().to_bytes()));
        let other = TlsIdentity::new(&key(8)).unwrap();
        assert_ne!(ed25519_key(&other.cert), ed25519_key(&id.cert));
        let now = UnixTime::now();
        let pinned = PinnedServer::new(k.verifying_key().to_bytes());
        let name = ServerName::try_from("hetpaxos").unwrap();
        assert!(
            pinned
                .verify_server_cert(&id.cert, &[], &name, &[], now)
                .is_ok()
        );
        assert!(
            pinned
                .verify_server_cert(&other.cert, &[], &name, &[], now)
                .is_err()
        );
        let clients = PinnedClients::new([k.verifying_key().to_bytes()]);
        assert!(clients.verify_client_cert(&id.cert, &[], now).is_ok());
        assert!(clients.verify_client_cert(&other.cert, &[], now).is_err());
    }
}
