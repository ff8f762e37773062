//! `hetpaxos-config-gen`: writes cluster configurations and checks them.
#![forbid(unsafe_code)]

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hetpaxos_config::{ErrorKind, Role, check_file, load_graph};
use hetpaxos_config_gen::{
    ChainsError, ChainsSpec, add_client, chain_bounds, chains, chains_unchecked, generate,
    graph_file, homogeneous_with_faults, write_configs,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Generates and checks hetpaxos cluster configurations: `cluster.json`, one
/// config per acceptor, and client configs `learner.json` and
/// `proposer.json` (each with a private key of its own, mode 0600).
#[derive(Parser)]
#[command(name = "hetpaxos-config-gen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A homogeneous cluster of N acceptors (up to 1,024) tolerating F
    /// Byzantine ones: every learner's quorums, and its safe sets with every
    /// learner, are "at least N − F of all acceptors" (a threshold, never
    /// enumerated). Needs N ≥ 3F + 1.
    Homogeneous {
        /// Number of acceptors, N.
        #[arg(long)]
        acceptors: usize,
        /// Byzantine acceptors tolerated, F [default: ⌊(N − 1)/3⌋].
        #[arg(long)]
        faults: Option<usize>,
        /// Number of learners (L0, L1, …).
        #[arg(long, default_value_t = 1)]
        learners: usize,
        #[command(flatten)]
        out: Out,
        /// Also write PREFIX_<i>_config.json per acceptor (like the earlier generator).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// A cluster from a hand-written learner graph (JSON).
    FromGraph {
        /// The graph file.
        graph: PathBuf,
        #[command(flatten)]
        out: Out,
    },
    /// Several chains of stake-weighted validators, one learner per chain,
    /// agreeing across chains: each learner's quorums hold T − F of every
    /// chain's stake (T the chain's total stake, F the largest integer below
    /// the fault fraction of T); chain c's safe sets hold T_c − F_c of c's
    /// stake, and two chains agree when either is honest. See
    /// docs/configuration.md.
    Chains {
        /// The chains: {"chains": {"red": {"R1": 10, …}, "blue": {…}},
        /// "faults": "1/3"} (faults optional, default 1/3).
        #[arg(long)]
        chains: PathBuf,
        /// Write the learner graph as a graph file here (check it with
        /// `check`, generate configs from it with `from-graph`).
        #[arg(long)]
        graph_out: Option<PathBuf>,
        /// Write cluster configs (with fresh keys) into this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Host of every acceptor.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Acceptors listen on consecutive ports from here, in graph order.
        #[arg(long, default_value_t = 7000)]
        base_port: u16,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// When the exact validity check is undecided within its work
        /// budget, write the graph file anyway (the construction is valid by
        /// the argument in docs/configuration.md). Configs are never written
        /// for an unchecked graph.
        #[arg(long)]
        accept_unchecked_graph: bool,
    },
    /// Checks a graph file, a cluster config, an acceptor's or a client's
    /// config: exit 0 with a summary and each learner's fault tolerance in
    /// words when valid; 1 with the violated condition (learners, quorums,
    /// safe set) when not, or when validity is undecided within the work
    /// budget; 2 on bad input.
    Check {
        /// The file.
        file: PathBuf,
    },
    /// Adds a learner client or a proposer with a fresh key to the cluster in
    /// DIR: writes DIR/<name>.json and rewrites cluster.json and every
    /// acceptor's and client's config there (restart the acceptors with their
    /// new configs). The cluster context does not change.
    AddClient {
        /// The directory of the cluster (holding cluster.json).
        #[arg(long)]
        dir: PathBuf,
        /// learner or proposer.
        #[arg(long, value_parser = ["learner", "proposer"])]
        role: String,
        /// Its name (becomes DIR/<name>.json).
        #[arg(long)]
        name: String,
    },
}

#[derive(clap::Args)]
struct Out {
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Host of every acceptor without an explicit address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Acceptors listen on consecutive ports from here, in graph order.
    #[arg(long, default_value_t = 7000)]
    base_port: u16,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

fn addresses(out: &Out, given: &[Option<String>]) -> Result<Vec<String>, String> {
    given
        .iter()
        .enumerate()
        .map(|(i, a)| match a {
            Some(a) => Ok(a.clone()),
            None => u16::try_from(i)
                .ok()
                .and_then(|i| out.base_port.checked_add(i))
                .map(|p| format!("{}:{p}", out.host))
                .ok_or_else(|| "ports beyond 65535: lower --base-port".to_string()),
        })
        .collect()
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

fn write(
    out: &Out,
    desc: &hetpaxos_quorums::GraphDescription,
    given: &[Option<String>],
    prefix: Option<&str>,
) -> ExitCode {
    let addrs = match addresses(out, given) {
        Ok(a) => a,
        Err(m) => return fail(2, m),
    };
    let generated = match generate(desc, &addrs) {
        Ok(g) => g,
        Err(e) => return fail(2, e),
    };
    match write_configs(&out.out, &generated, prefix, out.force) {
        Ok(paths) => {
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(2, e),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Homogeneous {
            acceptors,
            faults,
            learners,
            out,
            prefix,
        } => match homogeneous_with_faults(
            acceptors,
            faults.unwrap_or(acceptors.saturating_sub(1) / 3),
            learners,
        ) {
            Ok(desc) => {
                let given = vec![None; desc.acceptors.len()];
                write(&out, &desc, &given, prefix.as_deref())
            }
            Err(m) => fail(2, m),
        },
        Command::FromGraph { graph, out } => match load_graph(&graph) {
            Ok(spec) => write(&out, &spec.description, &spec.addresses, None),
            Err(e) => fail(2, e),
        },
        Command::Chains {
            chains: file,
            graph_out,
            out,
            host,
            base_port,
            force,
            accept_unchecked_graph,
        } => {
            let out = out.map(|out| Out {
                out,
                host,
                base_port,
                force,
            });
            let files = ChainsOutput {
                graph: graph_out.as_deref(),
                configs: out.as_ref(),
                force,
                accept_unchecked_graph,
            };
            match run_chains(&file, &files) {
                Ok(code) => code,
                Err(e) => fail(2, format!("{e:#}")),
            }
        }
        Command::Check { file } => check(&file),
        Command::AddClient { dir, role, name } => {
            let role = Role::parse(&role).unwrap_or(Role::Learner);
            match add_client(&dir, role, &name) {
                Ok(paths) => {
                    for p in paths {
                        println!("wrote {}", p.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(2, e),
            }
        }
    }
}

/// Where `chains` writes, and how.
struct ChainsOutput<'a> {
    graph: Option<&'a Path>,
    configs: Option<&'a Out>,
    force: bool,
    accept_unchecked_graph: bool,
}

/// `chains`: reads the chains file, builds and checks the graph, prints
/// each chain's bounds, and writes the graph file and/or the configs.
/// Exit 1 when validity is undecided (unless accepted), 2 on bad input.
fn run_chains(file: &Path, to: &ChainsOutput<'_>) -> anyhow::Result<ExitCode> {
    if to.graph.is_none() && to.configs.is_none() {
        anyhow::bail!("give --graph-out FILE, --out DIR, or both");
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read", file.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", file.display()))?;
    let at = || file.display().to_string();
    let spec = ChainsSpec::from_json(&json).with_context(at)?;
    let bounds = chain_bounds(&spec).with_context(at)?;
    let desc = match chains(&spec) {
        Ok(desc) => desc,
        Err(ChainsError::Invalid(v)) if v.is_undecided() => {
            let why = format!(
                "{}: {v}; the construction is valid by the argument in docs/configuration.md, \
                 but the hetpaxos binaries refuse a graph whose check is undecided unless given \
                 --accept-unchecked-graph",
                at()
            );
            if to.configs.is_some() {
                return Ok(fail(
                    1,
                    format!("{why}; configs (--out) are never generated from an unchecked graph"),
                ));
            }
            if !to.accept_unchecked_graph {
                return Ok(fail(1, why));
            }
            eprintln!("warning: {why}");
            chains_unchecked(&spec).with_context(at)?
        }
        Err(e) => return Err(anyhow::Error::new(e).context(at())),
    };
    for b in &bounds {
        println!(
            "{}: total stake {}, tolerates Byzantine stake up to {} (less than {} of it), \
             quorums and safe sets need {}",
            b.name, b.total, b.faulty, spec.faults, b.quorum
        );
    }
    if let Some(path) = to.graph {
        if path.exists() && !to.force {
            anyhow::bail!(
                "{}: already exists; not overwriting (use --force to replace)",
                path.display()
            );
        }
        let mut text = serde_json::to_string_pretty(&graph_file(&desc, &[]))?;
        text.push('\n');
        std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))?;
        println!("wrote {}", path.display());
    }
    match to.configs {
        Some(out) => {
            let given = vec![None; desc.acceptors.len()];
            Ok(write(out, &desc, &given, None))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn check(file: &Path) -> ExitCode {
    match check_file(file) {
        Ok(summary) => {
            println!("{}: {summary}", file.display());
            ExitCode::SUCCESS
        }
        // Invalid, or undecided within the work budget.
        Err(e) if e.kind != ErrorKind::BadInput => fail(1, e),
        Err(e) => fail(2, e),
    }
}
