//! `hetpaxos-config-gen`: writes cluster configurations and checks them.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use hetpaxos_config::{ErrorKind, Role, check_file, load_graph};
use hetpaxos_config_gen::{add_client, generate, homogeneous, write_configs};
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
    /// A homogeneous n = 3f+1 style cluster: every learner has all (n − f)-subsets
    /// as quorums and matching safe sets.
    Homogeneous {
        /// Number of acceptors.
        #[arg(long)]
        acceptors: usize,
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
    /// Checks a graph file, a cluster config, an acceptor's or a client's
    /// config: exit 0 and a summary when valid, 1 with the violated condition
    /// when not, 2 on bad input.
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
            learners,
            out,
            prefix,
        } => match homogeneous(acceptors, learners) {
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

fn check(file: &Path) -> ExitCode {
    match check_file(file) {
        Ok(summary) => {
            println!("{}: {summary}", file.display());
            ExitCode::SUCCESS
        }
        Err(e) if e.kind == ErrorKind::InvalidGraph => fail(1, e),
        Err(e) => fail(2, e),
    }
}
