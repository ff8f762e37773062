//! `hetpaxos-cluster`: the one-command local demo.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::{NetConfig, cli};
use hetpaxos_proposer::ProposerConfig;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Starts a whole cluster on loopback over real gRPC (acceptors, a learner
/// process and proposers, in this process, on free ports), prints each
/// learner's decision and the time to decide, and exits 0 on decision.
#[derive(Parser)]
#[command(name = "hetpaxos-cluster", version, about)]
struct Args {
    /// A homogeneous cluster of N acceptors.
    #[arg(long, default_value_t = 4, conflicts_with = "graph")]
    acceptors: usize,
    /// A cluster from a learner-graph file instead.
    #[arg(long)]
    graph: Option<PathBuf>,
    /// A value to propose (repeat for competing proposers).
    #[arg(long = "value")]
    values: Vec<String>,
    /// Stop the last K acceptors before proposing.
    #[arg(long, default_value_t = 0)]
    crash: usize,
    /// Give up after SECS.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run_with_filter("warn", async move {
        let desc = match &args.graph {
            Some(p) => hetpaxos_config_gen::load_graph(p)?.description,
            None => {
                hetpaxos_config_gen::homogeneous(args.acceptors, 1).map_err(anyhow::Error::msg)?
            }
        };
        let n = desc.acceptors.len();
        if args.crash > n {
            anyhow::bail!("--crash {} exceeds the {n} acceptors", args.crash);
        }
        if !(args.timeout.is_finite() && args.timeout > 0.0) {
            anyhow::bail!("--timeout must be a positive number of seconds");
        }
        let values = if args.values.is_empty() {
            vec!["hello".to_string()]
        } else {
            args.values.clone()
        };
        let net = NetConfig::default();
        let mut local = LocalCluster::bind(&desc).await?;
        let cluster = local.cluster.clone();
        let down: Vec<usize> = (n - args.crash..n).collect();
        println!("cluster: {}", cluster.summary());
        for (i, a) in cluster.config.acceptors.iter().enumerate() {
            let state = if down.contains(&i) { "crashed" } else { "up" };
            println!("acceptor {} at {} ({state})", a.name, a.address);
        }
        local.start_all_but(&down, net);
        let start = Instant::now();
        let (_learner, mut decisions) = hetpaxos_node::spawn_learner(&cluster, net);
        let mut proposers = Vec::new();
        for v in &values {
            println!("proposing {v:?}");
            proposers.push(hetpaxos_node::spawn_proposer(
                &cluster,
                v.clone().into_bytes(),
                ProposerConfig::default(),
                net,
            ));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.timeout);
        let mut decided = 0;
        while decided < cluster.graph.num_learners() {
            match tokio::time::timeout_at(deadline, decisions.recv()).await {
                Ok(Some(d)) => {
                    decided += 1;
                    println!(
                        "{} after {} ms",
                        cli::decision_line(&cluster, &d),
                        start.elapsed().as_millis()
                    );
                }
                Ok(None) => anyhow::bail!("the learner stopped unexpectedly"),
                Err(_) => {
                    eprintln!(
                        "error: no decision within {} s ({decided} of {} learners decided)",
                        args.timeout,
                        cluster.graph.num_learners()
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
