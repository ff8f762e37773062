//! `hetpaxos-learner`: prints learner decisions and alerts.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_config::Role;
use hetpaxos_learner::LearnerEvent;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Connects to every acceptor and prints one line per learner decision (for
/// every learner of the config), and an alert line when it holds proof that
/// an acceptor equivocated or when a learner sees a second quorum for another
/// value after deciding.
#[derive(Parser)]
#[command(name = "hetpaxos-learner", version)]
struct Args {
    /// The learner client config (DIR/learner.json, with its private key;
    /// several learner processes may share one).
    #[arg(long)]
    config: PathBuf,
    /// One JSON object per line on stdout, with an "event" field: "decided",
    /// "caught" or "conflict".
    #[arg(long)]
    json: bool,
    /// Exit 0 once every learner of the config has decided.
    #[arg(long)]
    until_decided: bool,
    /// Exit 3 if not every learner decided within SECS.
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// Plaintext and unauthenticated, for local experiments only: every node
    /// of the cluster must run with it (a node without it refuses to talk to
    /// one with it, with an error saying so).
    #[arg(long)]
    insecure: bool,
    /// Serve Prometheus metrics (text format, any path) on this address,
    /// e.g. `127.0.0.1:9464`: messages accepted and refused by reason,
    /// pending buffer, fetches, caught acceptors, decisions.
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
    hetpaxos_node::cli::run(async move {
        let setup = hetpaxos_config::load_client_with(
            &args.config,
            Role::Learner,
            hetpaxos_node::cli::graph_check(args.accept_unchecked_graph),
        )?;
        hetpaxos_node::cli::warn_if_unchecked(&setup.cluster);
        let cluster = setup.cluster.clone();
        let timeout = match args.timeout {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => anyhow::bail!("--timeout must be a non-negative number of seconds"),
            None => None,
        };
        let net = hetpaxos_node::NetConfig {
            insecure: args.insecure,
            ..Default::default()
        };
        let metrics = hetpaxos_node::metrics::Metrics::new();
        let _metrics_server = match &args.metrics {
            Some(addr) => Some(metrics.serve(hetpaxos_node::bind(addr).await?)),
            None => None,
        };
        let (_node, mut events) = hetpaxos_node::spawn_learner_metered(&setup, net, metrics)?;
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut decided = 0;
        loop {
            let next = match deadline {
                Some(d) => match tokio::time::timeout_at(d, events.recv()).await {
                    Ok(n) => n,
                    Err(_) => {
                        eprintln!(
                            "error: not every learner decided within the timeout ({decided} of {} did)",
                            cluster.graph.num_learners()
                        );
                        return Ok(ExitCode::from(3));
                    }
                },
                None => events.recv().await,
            };
            let Some(e) = next else {
                anyhow::bail!("learner stopped unexpectedly");
            };
            if matches!(e, LearnerEvent::Decided(_)) {
                decided += 1;
            }
            let line = if args.json {
                hetpaxos_node::cli::event_json(&cluster, &e).map(|v| v.to_string())
            } else {
                hetpaxos_node::cli::event_line(&cluster, &e)
            };
            if let Some(line) = line {
                println!("{line}");
            }
            if args.until_decided && decided >= cluster.graph.num_learners() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    })
}
