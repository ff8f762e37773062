//! `hetpaxos-acceptor`: runs one acceptor.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_acceptor::AcceptorLimits;
use hetpaxos_node::{NetConfig, Storage, cli};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing::info;

/// Runs one hetpaxos acceptor: recovers it from its data directory, serves its
/// gRPC endpoint and connects to every other acceptor of the cluster.
/// SIGTERM or SIGINT: finishes the step in progress, syncs the log and exits 0.
/// Exit 2: bad input (an invalid learner graph, or one whose validity is
/// undecided without --accept-unchecked-graph), the data directory is locked by another process or
/// belongs to another key or cluster, the log is damaged, a write or sync of
/// the log failed, or the acceptor halted (another process signs with its key).
#[derive(Parser)]
#[command(name = "hetpaxos-acceptor", version)]
struct Args {
    /// This acceptor's config (`DIR/<name>.json`, with its private key).
    #[arg(long)]
    config: PathBuf,
    /// Listen here instead of the address the cluster config gives.
    #[arg(long)]
    listen: Option<String>,
    /// The data directory (log, lock, identity); created if missing. Default:
    /// beside the config, `DIR/<name>.data` for `DIR/<name>.json`.
    #[arg(long, value_name = "DIR", conflicts_with = "in_memory")]
    data_dir: Option<PathBuf>,
    /// Keep nothing on disk. A restarted acceptor then forgets what it signed
    /// and may equivocate: for throw-away experiments only.
    #[arg(long)]
    in_memory: bool,
    /// Least time between two ballots of one proposer that this acceptor
    /// joins, in milliseconds of ballot timestamps (a proposer's other 1as are
    /// stored and relayed, not joined): so that a faulty proposer cannot
    /// pre-empt every ballot.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    proposal_interval_ms: u64,
    /// Plaintext and unauthenticated, for local experiments only: every node
    /// of the cluster must run with it (a node without it refuses to talk to
    /// one with it, with an error saying so).
    #[arg(long)]
    insecure: bool,
    /// Serve Prometheus metrics (text format, any path) on this address,
    /// e.g. `127.0.0.1:9464`: messages accepted and refused by reason,
    /// pending buffer, fetches, caught acceptors, log sync latency.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Run even if the learner graph's validity could not be decided within
    /// the work budget (its LG-4 check, quorum intersection inside safe sets,
    /// is NP-hard in general), at the operator's risk: learners might then
    /// disagree although their trust assumptions hold. Logged as a warning.
    /// A graph with a violation is refused all the same.
    #[arg(long)]
    accept_unchecked_graph: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run(async move {
        let setup = hetpaxos_config::load_acceptor_with(
            &args.config,
            cli::graph_check(args.accept_unchecked_graph),
        )?;
        cli::warn_if_unchecked(&setup.cluster);
        let storage = if args.in_memory {
            eprintln!(
                "warning: --in-memory: nothing is persisted; restarting this acceptor can make \
                 it equivocate"
            );
            Storage::InMemory
        } else {
            Storage::DataDir(
                args.data_dir
                    .clone()
                    .unwrap_or_else(|| Storage::default_for(&args.config)),
            )
        };
        // The data directory first: a second process on it is refused with
        // the lock holder named, before it could fail on the port.
        let limits = AcceptorLimits {
            min_proposal_interval: args.proposal_interval_ms.saturating_mul(1_000_000),
            ..AcceptorLimits::default()
        };
        let opened = hetpaxos_node::open_acceptor(&setup, &storage, limits)?;
        let addr = args.listen.unwrap_or_else(|| setup.address().to_string());
        let listener = hetpaxos_node::bind(&addr).await?;
        if args.insecure {
            eprintln!("warning: --insecure: plaintext, and anyone who can connect is trusted");
        }
        let net = NetConfig {
            insecure: args.insecure,
            ..NetConfig::default()
        };
        let metrics = hetpaxos_node::metrics::Metrics::new();
        let _metrics_server = match &args.metrics {
            Some(addr) => Some(metrics.serve(hetpaxos_node::bind(addr).await?)),
            None => None,
        };
        let mut node = hetpaxos_node::serve_acceptor_metered(opened, listener, net, metrics)?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = node.wait() => {
                result?;
                anyhow::bail!("acceptor {} stopped", setup.name)
            }
            _ = tokio::signal::ctrl_c() => info!("SIGINT: stopping"),
            _ = term.recv() => info!("SIGTERM: stopping"),
        }
        node.shutdown().await?;
        Ok(ExitCode::SUCCESS)
    })
}
