//! `hetpaxos-proposer`: proposes a value.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_config::Role;
use hetpaxos_proposer::{ProposerConfig, StopRule};
use std::path::PathBuf;
use std::process::ExitCode;

/// Proposes a value to every acceptor with randomised exponential backoff and
/// exits 0 once every learner of the configuration has decided (or, with
/// `--any-decision`, once it observes the first decision).
#[derive(Parser)]
#[command(name = "hetpaxos-proposer", version)]
struct Args {
    /// The proposer's client config (DIR/proposer.json, with its private key;
    /// several proposer processes may share one).
    #[arg(long)]
    config: PathBuf,
    /// The value to propose.
    #[arg(
        long,
        required_unless_present = "value_file",
        conflicts_with = "value_file"
    )]
    value: Option<String>,
    /// Propose the contents of this file.
    #[arg(long)]
    value_file: Option<PathBuf>,
    /// Keep proposing forever (as the earlier implementation did).
    #[arg(long, conflicts_with = "any_decision")]
    forever: bool,
    /// Stop at the first decision of any learner, not once all decided.
    #[arg(long)]
    any_decision: bool,
    /// Plaintext and unauthenticated, for local experiments only: every node
    /// of the cluster must run with it (a node without it refuses to talk to
    /// one with it, with an error saying so).
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

fn main() -> ExitCode {
    let args = Args::parse();
    hetpaxos_node::cli::run(async move {
        let setup = hetpaxos_config::load_client_with(
            &args.config,
            Role::Proposer,
            hetpaxos_node::cli::graph_check(args.accept_unchecked_graph),
        )?;
        hetpaxos_node::cli::warn_if_unchecked(&setup.cluster);
        let cluster = setup.cluster.clone();
        let value = match (&args.value, &args.value_file) {
            (Some(v), _) => v.clone().into_bytes(),
            (None, Some(p)) => std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?,
            (None, None) => anyhow::bail!("give --value or --value-file"),
        };
        let config = ProposerConfig {
            stop: if args.forever {
                StopRule::Never
            } else if args.any_decision {
                StopRule::AnyDecision
            } else {
                StopRule::AllDecided
            },
            ..ProposerConfig::default()
        };
        let (_node, mut decisions) = hetpaxos_node::spawn_proposer(
            &setup,
            value,
            config,
            hetpaxos_node::NetConfig {
                insecure: args.insecure,
                ..Default::default()
            },
        )?;
        let mut any = false;
        while let Some(d) = decisions.recv().await {
            any = true;
            println!("{}", hetpaxos_node::cli::decision_line(&cluster, &d));
        }
        if any {
            Ok(ExitCode::SUCCESS)
        } else {
            anyhow::bail!("proposer stopped without observing a decision")
        }
    })
}
