//! `hetpaxos-acceptor`: runs one acceptor.
#![forbid(unsafe_code)]

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs one hetpaxos acceptor: serves its gRPC endpoint and connects to every
/// other acceptor of the cluster.
#[derive(Parser)]
#[command(name = "hetpaxos-acceptor", version, about)]
struct Args {
    /// This acceptor's config (`DIR/<name>.json`, with its private key).
    #[arg(long)]
    config: PathBuf,
    /// Listen here instead of the address the cluster config gives.
    #[arg(long)]
    listen: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    hetpaxos_node::cli::run(async move {
        let setup = hetpaxos_config_gen::load_acceptor(&args.config)?;
        let addr = args.listen.unwrap_or_else(|| setup.address().to_string());
        let listener = hetpaxos_node::bind(&addr).await?;
        let _node = hetpaxos_node::spawn_acceptor(&setup, listener, Default::default());
        tokio::signal::ctrl_c().await?;
        Ok(ExitCode::SUCCESS)
    })
}
