//! `hetpaxos-learner`: prints learner decisions.
#![forbid(unsafe_code)]

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Connects to every acceptor and prints one line per learner decision (for
/// every learner of the config).
#[derive(Parser)]
#[command(name = "hetpaxos-learner", version, about)]
struct Args {
    /// The cluster config (DIR/cluster.json; an acceptor config works too).
    #[arg(long)]
    config: PathBuf,
    /// One JSON object per line on stdout.
    #[arg(long)]
    json: bool,
    /// Exit 0 once every learner of the config has decided.
    #[arg(long)]
    until_decided: bool,
    /// Exit 3 if not every learner decided within SECS.
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    hetpaxos_node::cli::run(async move {
        let cluster = hetpaxos_config_gen::load_cluster(&args.config)?;
        let timeout = match args.timeout {
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => anyhow::bail!("--timeout must be a non-negative number of seconds"),
            None => None,
        };
        let (_node, mut decisions) = hetpaxos_node::spawn_learner(&cluster, Default::default());
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut decided = 0;
        loop {
            let next = match deadline {
                Some(d) => match tokio::time::timeout_at(d, decisions.recv()).await {
                    Ok(n) => n,
                    Err(_) => {
                        eprintln!(
                            "error: not every learner decided within the timeout ({decided} of {} did)",
                            cluster.graph.num_learners()
                        );
                        return Ok(ExitCode::from(3));
                    }
                },
                None => decisions.recv().await,
            };
            let Some(d) = next else {
                anyhow::bail!("learner stopped unexpectedly");
            };
            decided += 1;
            if args.json {
                println!("{}", hetpaxos_node::cli::decision_json(&cluster, &d));
            } else {
                println!("{}", hetpaxos_node::cli::decision_line(&cluster, &d));
            }
            if args.until_decided && decided >= cluster.graph.num_learners() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    })
}
