//! Loading a cluster configuration: reading `cluster.json` (the protobuf
//! JSON mapping of `proto/config.proto`) as written by `hetpaxos-config-gen`
//! and building the `Cluster` the node runs on, validation of the learner
//! graph included; and an acceptor's config (the same plus its key).
//!
//! `cargo bench -p hetpaxos-benches --bench config`
//!
//! Ids `config_load/cluster/N` and `config_load/acceptor/N` for homogeneous
//! clusters of N = 4 and N = 100 acceptors (one learner), generated in the
//! set-up into a temporary directory through `hetpaxos-config-gen`'s
//! functions, with fresh keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hetpaxos_config::{load_acceptor, load_cluster};
use std::hint::black_box;
use std::path::PathBuf;

/// Writes the configs of a homogeneous cluster of `n` into a fresh
/// directory; returns it (deleted when dropped) and the path of the first
/// acceptor's config.
fn generate(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let desc = hetpaxos_config_gen::homogeneous(n, 1).unwrap();
    let addresses: Vec<String> = (0..n).map(|i| format!("127.0.0.1:{}", 7000 + i)).collect();
    let generated = hetpaxos_config_gen::generate(&desc, &addresses).unwrap();
    hetpaxos_config_gen::write_configs(dir.path(), &generated, None, false).unwrap();
    let first = dir.path().join(format!("{}.json", desc.acceptors[0]));
    (dir, first)
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("config_load");
    for n in [4usize, 100] {
        let (dir, acceptor) = generate(n);
        let cluster = dir.path().join("cluster.json");
        let bytes = std::fs::metadata(&cluster).unwrap().len();
        eprintln!("config_load/{n}: cluster.json is {bytes} bytes");
        group.bench_with_input(BenchmarkId::new("cluster", n), &cluster, |b, path| {
            b.iter(|| black_box(load_cluster(black_box(path)).unwrap()))
        });
        group.bench_with_input(BenchmarkId::new("acceptor", n), &acceptor, |b, path| {
            b.iter(|| black_box(load_acceptor(black_box(path)).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
