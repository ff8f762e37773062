//! `hetpaxos-bench`: end-to-end latency, messages, bytes and CPU per decision.
#![forbid(unsafe_code)]

use clap::Parser;
use hetpaxos_node::bench::{BenchConfig, run};
use hetpaxos_node::cli;
use std::process::ExitCode;
use std::time::Duration;

/// Runs R single-decree instances, each on a fresh homogeneous cluster of N
/// acceptors (threshold quorums) on loopback, everything in this process, and
/// reports the time from proposal to decision (p50, p99), connection set-up
/// apart, and the messages, bytes and CPU time per decision.
#[derive(Parser)]
#[command(name = "hetpaxos-bench", version)]
struct Args {
    /// Acceptors per cluster (1 to 1,024).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    acceptors: u16,
    /// Instances to run, each on a fresh cluster (1 to 100,000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    rounds: u32,
    /// One JSON object on stdout (keys include p50_ms, p99_ms,
    /// msgs_per_decision, bytes_per_decision), instead of a table.
    #[arg(long)]
    json: bool,
    /// Plaintext streams instead of mutual TLS.
    #[arg(long)]
    insecure: bool,
    /// Longest wait, per round, for set-up and for the decision (seconds).
    #[arg(long, default_value_t = 120)]
    timeout: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::run_with_filter("error", async move {
        let report = run(BenchConfig {
            acceptors: usize::from(args.acceptors),
            rounds: args.rounds as usize,
            insecure: args.insecure,
            timeout: Duration::from_secs(u64::from(args.timeout.max(1))),
        })
        .await?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!("round  setup ms  decision ms  ballots  messages      bytes  cpu ms");
            for (i, r) in report.rounds.iter().enumerate() {
                println!(
                    "{:>5}  {:>8.1}  {:>11.2}  {:>7}  {:>8}  {:>9}  {:>6.0}",
                    i + 1,
                    r.setup_ms,
                    r.decision_ms,
                    r.ballots,
                    r.messages,
                    r.bytes,
                    r.cpu_ms
                );
            }
            println!(
                "n = {}: decision p50 {:.2} ms, p99 {:.2} ms; set-up p50 {:.1} ms; per decision {:.0} messages, {:.0} bytes, {:.0} ms CPU",
                report.acceptors,
                report.p50_ms,
                report.p99_ms,
                report.setup_p50_ms,
                report.msgs_per_decision,
                report.bytes_per_decision,
                report.cpu_ms_per_decision
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}
