//! `hetpaxos-cluster`: the one-command local demo.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_learner::LearnerEvent;
use hetpaxos_node::chaos::{ChaosConfig, run_chaos};
use hetpaxos_node::local::LocalCluster;
use hetpaxos_node::{NetConfig, cli};
use hetpaxos_proposer::ProposerConfig;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Starts a whole cluster on loopback over real gRPC (acceptors, a learner
/// process and proposers, in this process, on free ports), prints each
/// learner's decision and the time to decide, and exits 0 on decision.
/// With --chaos, kills and restarts acceptors at random while proposers
/// compete, then reports decisions, agreement and whether anyone was caught.
#[derive(Parser)]
#[command(name = "hetpaxos-cluster", version)]
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
    #[arg(long, default_value_t = 0, conflicts_with = "chaos")]
    crash: usize,
    /// Give up after SECS (with --chaos: the time allowed to decide after it).
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
    /// Keep the acceptors' data directories under DIR (one per acceptor)
    /// instead of a temporary directory deleted at exit.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// For SECS, kill acceptors (never more at once than leaves every learner
    /// a live quorum) and restart them from their logs, while the proposers
    /// keep competing; then check that every learner decided, entangled
    /// learners agree, nobody was caught, and that after killing and
    /// restarting every acceptor a new learner learns the same. Exit 1 if not.
    #[arg(long, value_name = "SECS")]
    chaos: Option<f64>,
    /// Seed of the chaos (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// Plaintext, unauthenticated connections between the nodes of this demo.
    #[arg(long)]
    insecure: bool,
    /// Run even if the learner graph's validity could not be decided within
    /// the work budget (its LG-4 check, quorum intersection inside safe sets,
    /// is NP-hard in general), at the operator's risk: learners might then
    /// disagree although their trust assumptions hold. Logged as a warning.
    /// A graph with a violation is refused all the same.
    #[arg(long)]
    accept_unchecked_graph: bool,
}

fn seconds(name: &str, s: f64) -> anyhow::Result<Duration> {
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        anyhow::bail!("{name} must be a positive number of seconds")
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run_with_filter("warn,hetpaxos_node::net=error", async move {
        let desc = match &args.graph {
            Some(p) => hetpaxos_config::load_graph(p)?.description,
            None => {
                hetpaxos_config_gen::homogeneous(args.acceptors, 1).map_err(anyhow::Error::msg)?
            }
        };
        let n = desc.acceptors.len();
        if args.crash > n {
            anyhow::bail!("--crash {} exceeds the {n} acceptors", args.crash);
        }
        let timeout = seconds("--timeout", args.timeout)?;
        let chaos = args.chaos.map(|s| seconds("--chaos", s)).transpose()?;
        let values = if args.values.is_empty() {
            if chaos.is_some() {
                vec!["hello".to_string(), "world".to_string()]
            } else {
                vec!["hello".to_string()]
            }
        } else {
            args.values.clone()
        };
        let net = NetConfig {
            insecure: args.insecure,
            ..NetConfig::default()
        };
        let mut local = LocalCluster::bind_with(
            &desc,
            args.data_dir.as_deref(),
            cli::graph_check(args.accept_unchecked_graph),
        )
        .await
        .map_err(|e| match &args.graph {
            Some(p) => e.context(p.display().to_string()),
            None => e,
        })?;
        let cluster = local.cluster.clone();
        cli::warn_if_unchecked(&cluster);
        let down: Vec<usize> = (n - args.crash..n).collect();
        println!("cluster: {}", cluster.summary());
        for (i, a) in cluster.config.acceptors.iter().enumerate() {
            let state = if down.contains(&i) { "crashed" } else { "up" };
            println!("acceptor {} at {} ({state})", a.name, a.address);
        }
        local.start_all_but(&down, net).await?;
        if let Some(duration) = chaos {
            let seed = args.seed.unwrap_or_else(rand::random);
            println!(
                "chaos for {:.1} s (seed {seed}), proposing {values:?}",
                duration.as_secs_f64()
            );
            let report = run_chaos(
                &mut local,
                &ChaosConfig {
                    duration,
                    seed,
                    values: values.iter().map(|v| v.clone().into_bytes()).collect(),
                    settle: timeout,
                    net,
                },
            )
            .await?;
            println!("kills: {}, restarts: {}", report.kills, report.restarts);
            for d in report.decisions.values() {
                println!("{}", cli::decision_line(&cluster, d));
            }
            let learners = cluster.graph.num_learners();
            println!(
                "decided: {} of {learners} learners; agreement: {}; caught: {}; conflicts: {}; \
                 stopped by themselves: {}; relearned after restarting every acceptor: {}",
                report.decisions.len(),
                if report.disagreements.is_empty() {
                    "yes"
                } else {
                    "NO"
                },
                if report.caught.is_empty() {
                    "nobody".to_string()
                } else {
                    report
                        .caught
                        .keys()
                        .map(|a| cluster.graph.acceptor_name(*a).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                report.conflicts.len(),
                report.stopped.len(),
                match report.relearned {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "not checked",
                }
            );
            return Ok(if report.ok(learners) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        let start = Instant::now();
        let (_learner, mut events) = hetpaxos_node::spawn_learner(&local.learner, net)?;
        let mut proposers = Vec::new();
        for (i, v) in values.iter().enumerate() {
            println!("proposing {v:?}");
            proposers.push(hetpaxos_node::spawn_proposer(
                local.proposer(i),
                v.clone().into_bytes(),
                ProposerConfig::default(),
                net,
            )?);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut decided = 0;
        while decided < cluster.graph.num_learners() {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(LearnerEvent::Decided(d))) => {
                    decided += 1;
                    println!(
                        "{} after {} ms",
                        cli::decision_line(&cluster, &d),
                        start.elapsed().as_millis()
                    );
                }
                Ok(Some(e)) => {
                    if let Some(line) = cli::event_line(&cluster, &e) {
                        println!("{line}");
                    }
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
