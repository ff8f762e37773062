//! What authentication costs per connection: a client connects to an
//! acceptor on loopback and opens its exchange stream, with mutual TLS
//! (handshake, certificate checks, the acceptor mapping the key to a member)
//! and with `--insecure` plaintext.
//!
//! `cargo bench -p hetpaxos-node --bench connect`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use hetpaxos_config_gen::homogeneous;
use hetpaxos_node::NetConfig;
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::rpc::acceptor_client::AcceptorClient;
use hetpaxos_node::tls::{PinnedServer, TlsIdentity};
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{ClientTlsConfig, Endpoint};

/// One connection and one stream; returns when the acceptor has answered.
async fn connect(endpoint: &Endpoint) {
    let mut client = AcceptorClient::new(endpoint.connect().await.unwrap());
    let _stream = client
        .exchange(futures_util::stream::pending())
        .await
        .unwrap();
}

fn setup_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("connect_and_open_stream");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    for insecure in [true, false] {
        let net = NetConfig {
            insecure,
            ..NetConfig::default()
        };
        let (local, endpoint) = rt.block_on(async {
            let mut local = LocalCluster::bind(&homogeneous(1, 1).unwrap())
                .await
                .unwrap();
            local.start_all_but(&[], net).await.unwrap();
            let address = local.cluster.config.acceptors[0].address.clone();
            let endpoint = if insecure {
                Endpoint::from_shared(format!("http://{address}")).unwrap()
            } else {
                let identity = TlsIdentity::new(local.learner.key()).unwrap();
                Endpoint::from_shared(format!("https://{address}"))
                    .unwrap()
                    .tls_config_with_verifier(
                        ClientTlsConfig::new()
                            .identity(identity.tonic())
                            .assume_http2(true),
                        Arc::new(PinnedServer::new(local.cluster.keys[0].to_bytes())),
                    )
                    .unwrap()
            };
            // Let the acceptor settle.
            tokio::time::sleep(Duration::from_millis(200)).await;
            (local, endpoint)
        });
        let name = if insecure { "plaintext" } else { "mutual_tls" };
        // Timed: the connection and the stream. Not timed: letting both ends
        // close it (so that descriptors do not pile up).
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = std::time::Instant::now();
                    rt.block_on(connect(&endpoint));
                    total += start.elapsed();
                    rt.block_on(async { tokio::time::sleep(Duration::from_millis(2)).await });
                }
                total
            })
        });
        drop(local);
    }
    group.finish();
}

criterion_group!(benches, setup_cost);
criterion_main!(benches);
