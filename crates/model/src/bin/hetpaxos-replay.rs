//! `hetpaxos-replay TRACE.json …`: replays trace files written by
//! `hetpaxos-check --save-traces DIR` through the simulated cluster (real
//! acceptors, proposers and learner, real Ed25519 signatures;
//! `hetpaxos_model::replay`). Exit 0: every file reproduced its violation;
//! 1: a file did not (the step where it left the model's run is printed);
//! 2: a file could not be read or is not a trace file.

use anyhow::Context as _;
use clap::Parser;
use hetpaxos_model::replay::{ReplayError, TraceFile, replay};
use std::path::PathBuf;
use std::process::ExitCode;

/// Larger files are refused: the largest counterexample kept in the
/// repository is a few tens of kilobytes.
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Parser, Debug)]
#[command(
    name = "hetpaxos-replay",
    about = "Replay model-checker counterexamples (trace files) through the simulated cluster"
)]
struct Args {
    /// Trace files (`hetpaxos-check --save-traces DIR` writes `DIR/<property>.json`).
    #[arg(required = true)]
    traces: Vec<PathBuf>,
}

/// Reads and parses one trace file.
fn load(path: &PathBuf) -> anyhow::Result<TraceFile> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= MAX_FILE_BYTES,
        "{}: {len} bytes, more than the {MAX_FILE_BYTES} a trace file may have",
        path.display()
    );
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a trace file", path.display()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut code = ExitCode::SUCCESS;
    for path in &args.traces {
        let file = match load(path) {
            Ok(file) => file,
            Err(e) => {
                eprintln!("hetpaxos-replay: {e:#}");
                return ExitCode::from(2);
            }
        };
        match replay(&file) {
            Ok(violation) => println!(
                "{}: reproduced in {} steps, {} violated: {violation}",
                path.display(),
                file.steps.len(),
                file.property
            ),
            Err(ReplayError::Invalid(why)) => {
                eprintln!("hetpaxos-replay: {}: {why}", path.display());
                return ExitCode::from(2);
            }
            Err(e) => {
                println!("{}: NOT reproduced: {e}", path.display());
                code = ExitCode::from(1);
            }
        }
    }
    code
}
