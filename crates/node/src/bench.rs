//! End-to-end benchmark (`hetpaxos-bench`): single-decree instances on
//! loopback, everything in this process.
//!
//! Each round is one instance on a fresh cluster of `n` acceptors
//! (homogeneous, threshold quorums, fresh keys and data directories, TLS
//! unless `insecure`) and one learner process: it measures the time until
//! every stream is up (connection set-up), then starts a proposer and
//! measures the time from its start to the learner's decision, the
//! consensus messages and bytes sent on streams by every node, and the CPU
//! time this process used, from proposal to decision.

use crate::local::LocalCluster;
use crate::metrics::Metrics;
use crate::{NetConfig, spawn_learner_metered, spawn_proposer_metered};
use anyhow::Context as _;
use hetpaxos_learner::LearnerEvent;
use hetpaxos_proposer::ProposerConfig;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct BenchConfig {
    /// Acceptors per cluster.
    pub acceptors: usize,
    /// Instances, each on a fresh cluster.
    pub rounds: usize,
    /// Plaintext streams instead of mutual TLS.
    pub insecure: bool,
    /// Longest wait for set-up, and for a decision, per round.
    pub timeout: Duration,
}

/// One instance.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Round {
    /// Milliseconds until every stream was up.
    pub setup_ms: f64,
    /// Milliseconds from starting the proposer to the learner's decision.
    pub decision_ms: f64,
    /// Consensus messages sent on streams, by every node.
    pub messages: u64,
    /// Their encoded bytes.
    pub bytes: u64,
    /// CPU milliseconds this process used meanwhile (user and system).
    pub cpu_ms: f64,
    /// 1as the proposer sent (1 unless it pre-empted its own ballot).
    pub ballots: u64,
}

/// Results of all rounds.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Acceptors per cluster.
    pub acceptors: usize,
    /// Median decision latency.
    pub p50_ms: f64,
    /// 99th percentile of decision latency (the maximum below 100 rounds).
    pub p99_ms: f64,
    /// Median connection set-up.
    pub setup_p50_ms: f64,
    /// Mean consensus messages per decision.
    pub msgs_per_decision: f64,
    /// Mean bytes per decision.
    pub bytes_per_decision: f64,
    /// Mean CPU milliseconds per decision.
    pub cpu_ms_per_decision: f64,
    /// Every round, in order.
    pub rounds: Vec<Round>,
}

/// The `q`-quantile of `xs` (nearest rank).
fn quantile(xs: &[f64], q: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

impl Report {
    fn new(acceptors: usize, rounds: Vec<Round>) -> Self {
        let n = rounds.len().max(1) as f64;
        let decisions: Vec<f64> = rounds.iter().map(|r| r.decision_ms).collect();
        let setups: Vec<f64> = rounds.iter().map(|r| r.setup_ms).collect();
        Self {
            acceptors,
            p50_ms: quantile(&decisions, 0.5),
            p99_ms: quantile(&decisions, 0.99),
            setup_p50_ms: quantile(&setups, 0.5),
            msgs_per_decision: rounds.iter().map(|r| r.messages as f64).sum::<f64>() / n,
            bytes_per_decision: rounds.iter().map(|r| r.bytes as f64).sum::<f64>() / n,
            cpu_ms_per_decision: rounds.iter().map(|r| r.cpu_ms).sum::<f64>() / n,
            rounds,
        }
    }
}

/// CPU time of this process's threads: the sum of the nanoseconds on CPU
/// in `/proc/self/task/*/schedstat` (Linux; zero where it cannot be read).
/// Threads that ended are not counted; the runtime's workers persist.
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

fn sent(metrics: &[Metrics]) -> (u64, u64) {
    metrics.iter().fold((0, 0), |(m, b), x| {
        (m + x.sent_messages.get(), b + x.sent_bytes.get())
    })
}

/// Runs the benchmark.
pub async fn run(config: BenchConfig) -> anyhow::Result<Report> {
    if config.acceptors == 0 || config.rounds == 0 {
        anyhow::bail!("need at least one acceptor and one round");
    }
    let mut rounds = Vec::with_capacity(config.rounds);
    for _ in 0..config.rounds {
        rounds.push(round(config).await?);
    }
    Ok(Report::new(config.acceptors, rounds))
}

async fn round(config: BenchConfig) -> anyhow::Result<Round> {
    let n = config.acceptors;
    let net = NetConfig {
        insecure: config.insecure,
        ..NetConfig::default()
    };
    let desc = hetpaxos_config_gen::homogeneous(n, 1).map_err(anyhow::Error::msg)?;
    let mut local = LocalCluster::bind(&desc).await?;
    let began = Instant::now();
    let acceptors: Vec<Metrics> = (0..n).map(|_| Metrics::new()).collect();
    for (i, m) in acceptors.iter().enumerate() {
        local.start_metered(i, net, m.clone()).await?;
    }
    let learner_metrics = Metrics::new();
    let (_learner, mut events) =
        spawn_learner_metered(&local.learner, net, learner_metrics.clone())?;
    // Up: every acceptor has a stream with each other acceptor, the
    // learner and the proposer (n + 1 in all), and the learner one with
    // every acceptor.
    let streams = i64::try_from(n).unwrap_or(i64::MAX);
    let up = || {
        acceptors.iter().all(|m| m.streams.get() > streams)
            && learner_metrics.streams.get() >= streams
    };

    // The proposer connects first and proposes when told to.
    let proposer_metrics = Metrics::new();
    let (go, start) = tokio::sync::oneshot::channel();
    let (_proposer, _) = spawn_proposer_metered(
        local.proposer(0),
        b"bench".to_vec(),
        ProposerConfig::default(),
        net,
        &proposer_metrics,
        Some(start),
    )?;
    while !(up() && proposer_metrics.streams.get() >= streams) {
        if began.elapsed() > config.timeout {
            anyhow::bail!("streams not up after {:?}", config.timeout);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let setup = began.elapsed();

    let mut all = acceptors.clone();
    all.push(learner_metrics);
    all.push(proposer_metrics.clone());
    let (sent_before, cpu_before) = (sent(&all), cpu_time());
    let proposed = Instant::now();
    let _ = go.send(());
    let decided = tokio::time::timeout(config.timeout, async {
        loop {
            match events.recv().await {
                Some(LearnerEvent::Decided(_)) => return Ok(()),
                Some(_) => {}
                None => anyhow::bail!("the learner stopped"),
            }
        }
    })
    .await
    .with_context(|| format!("no decision within {:?}", config.timeout))?;
    decided?;
    let latency = proposed.elapsed();
    let (sent_after, cpu_after) = (sent(&all), cpu_time());
    for i in 0..n {
        local.kill(i).await;
    }
    Ok(Round {
        setup_ms: setup.as_secs_f64() * 1e3,
        decision_ms: latency.as_secs_f64() * 1e3,
        messages: sent_after.0 - sent_before.0,
        bytes: sent_after.1 - sent_before.1,
        cpu_ms: cpu_after.saturating_sub(cpu_before).as_secs_f64() * 1e3,
        ballots: proposer_metrics.sent_messages.get() / n as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let xs = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&xs, 0.5), 3.0);
        assert_eq!(quantile(&xs, 0.99), 5.0);
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
