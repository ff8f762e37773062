//! Helpers shared by the node's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use hetpaxos_config::parse_graph;
use hetpaxos_config_gen::{generate, write_configs};
use hetpaxos_node::NetConfig;
use hetpaxos_quorums::GraphDescription;
use std::path::Path;
use std::time::Duration;

/// Fast reconnects, for tests.
pub fn net() -> NetConfig {
    NetConfig {
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..NetConfig::default()
    }
}

/// Digest §8 Config 2: red trusts any three of four, blue any two of A, B, C.
pub fn red_blue() -> GraphDescription {
    parse_graph(serde_json::json!({
      "acceptors": ["A", "B", "C", "D"],
      "learners": {
        "red":  [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]],
        "blue": [["A","B"], ["A","C"], ["B","C"]]
      },
      "safe_sets": [
        {"between": ["red", "red"],   "sets": [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]]},
        {"between": ["blue", "blue"], "sets": [["A","B","C"]]},
        {"between": ["red", "blue"],  "sets": [["A","B","C"]]}
      ]
    }))
    .unwrap()
    .description
}

/// `n` free loopback addresses (bound at once, then released).
pub fn free_addresses(n: usize) -> Vec<String> {
    let held: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect()
}

/// Writes the configs of `desc` into `dir`, on free loopback ports.
pub fn write_cluster(dir: &Path, desc: &GraphDescription) {
    let addrs = free_addresses(desc.acceptors.len());
    write_configs(dir, &generate(desc, &addrs).unwrap(), None, false).unwrap();
}

/// A raw gRPC client of acceptor `acceptor` of `cluster`, over mutual TLS
/// with `key`'s certificate (whoever that key is), pinning the acceptor's
/// configured key.
pub async fn tls_client(
    cluster: &hetpaxos_config::Cluster,
    key: &ed25519_dalek::SigningKey,
    acceptor: usize,
) -> Result<
    hetpaxos_node::rpc::acceptor_client::AcceptorClient<tonic::transport::Channel>,
    tonic::transport::Error,
> {
    use hetpaxos_node::tls::{PinnedServer, TlsIdentity};
    let identity = TlsIdentity::new(key).unwrap();
    let address = &cluster.config.acceptors[acceptor].address;
    let endpoint = tonic::transport::Endpoint::from_shared(format!("https://{address}"))
        .unwrap()
        .tls_config_with_verifier(
            tonic::transport::ClientTlsConfig::new()
                .identity(identity.tonic())
                .assume_http2(true),
            std::sync::Arc::new(PinnedServer::new(cluster.keys[acceptor].to_bytes())),
        )
        .unwrap();
    Ok(hetpaxos_node::rpc::acceptor_client::AcceptorClient::new(
        endpoint.connect().await?,
    ))
}

/// A fresh, empty directory for one test: `hp-<kind>-<tag>-<pid>`.
pub fn tmpdir(kind: &str, tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hp-{kind}-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A child process, killed (SIGKILL) when dropped.
pub struct Proc(pub std::process::Child);

impl Proc {
    /// Kills it and reaps it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts the `hetpaxos-acceptor` binary for acceptor `name` of the cluster
/// in `dir` with `extra` arguments and `RUST_LOG=rust_log`, its stderr
/// appended to `DIR/<name>.log` (across restarts).
pub fn acceptor_process(dir: &Path, name: &str, extra: &[&str], rust_log: &str) -> Proc {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.log")))
        .unwrap();
    Proc(
        std::process::Command::new(env!("CARGO_BIN_EXE_hetpaxos-acceptor"))
            .args([
                "--config",
                dir.join(format!("{name}.json")).to_str().unwrap(),
            ])
            .args(extra)
            .env("RUST_LOG", rust_log)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// Starts the `hetpaxos-proposer` binary of the cluster in `dir`
/// (`DIR/proposer.json`) proposing `value`, with `extra` arguments.
pub fn proposer_process(dir: &Path, value: &str, extra: &[&str]) -> Proc {
    proposer_process_as(dir, "proposer", value, extra)
}

/// [`proposer_process`] with the client config `DIR/<name>.json`.
pub fn proposer_process_as(dir: &Path, name: &str, value: &str, extra: &[&str]) -> Proc {
    Proc(
        std::process::Command::new(env!("CARGO_BIN_EXE_hetpaxos-proposer"))
            .args([
                "--config",
                dir.join(format!("{name}.json")).to_str().unwrap(),
            ])
            .args(["--value", value])
            .args(extra)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Everything acceptor `acceptor` holds and may send (its own messages
/// once durable, and what it accepted), seen on a stream of its own opened
/// with `key` (a learner's, say): the messages so far, and the task
/// collecting them (abort it when done).
pub fn watch(
    cluster: &hetpaxos_config::Cluster,
    key: &ed25519_dalek::SigningKey,
    acceptor: usize,
) -> (
    std::sync::Arc<std::sync::Mutex<Vec<hetpaxos_messages::Message>>>,
    tokio::task::JoinHandle<()>,
) {
    use futures_util::StreamExt as _;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let (cluster, key) = (cluster.clone(), key.clone());
    let task = tokio::spawn(async move {
        let mut client = tls_client(&cluster, &key, acceptor).await.unwrap();
        // Saying every 100 ms that it holds nothing, the watcher is sent
        // everything the acceptor holds, each message once.
        let holds_nothing = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let have = hetpaxos_proto::v1::consensus_message::Kind::Have(Default::default());
            Some((
                hetpaxos_proto::v1::ConsensusMessage { kind: Some(have) },
                (),
            ))
        });
        let mut inbound = client.exchange(holds_nothing).await.unwrap().into_inner();
        let limits = hetpaxos_messages::Limits::default();
        while let Some(Ok(pb)) = inbound.next().await {
            // (The acceptor's own summaries are not messages.)
            if let Ok(m) = hetpaxos_messages::wire::from_proto(pb, &limits) {
                sink.lock().unwrap().push(m);
            }
        }
    });
    (seen, task)
}
