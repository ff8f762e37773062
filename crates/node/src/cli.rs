//! Helpers shared by the binaries: logging, error exits, decision output.

use hetpaxos_config::{Cluster, GraphCheck};
use hetpaxos_learner::{Decision, LearnerEvent};
use std::process::ExitCode;

/// Logs to stderr, filtered by `RUST_LOG` (default: `info` for hetpaxos, `warn`
/// for libraries).
pub fn init_tracing() {
    init_tracing_with("warn,hetpaxos_node=info");
}

/// Logs to stderr, filtered by `RUST_LOG`, else by `default`.
pub fn init_tracing_with(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: operators' log files stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Runs `main` on a multi-threaded runtime; an error becomes one line on
/// stderr and exit code 2.
pub fn run<F>(main: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    run_with_filter("warn,hetpaxos_node=info", main)
}

/// [`run`] with a default log filter.
pub fn run_with_filter<F>(default_filter: &str, main: F) -> ExitCode
where
    F: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    init_tracing_with(default_filter);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the runtime: {e}")),
    };
    match rt.block_on(main) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(e: &anyhow::Error) -> ExitCode {
    let msg = format!("{e:#}");
    eprintln!(
        "error: {}",
        msg.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    ExitCode::from(2)
}

/// The [`GraphCheck`] of the binaries' `--accept-unchecked-graph` flag.
pub fn graph_check(accept_unchecked_graph: bool) -> GraphCheck {
    if accept_unchecked_graph {
        GraphCheck::AcceptUnchecked
    } else {
        GraphCheck::Strict
    }
}

/// Logs a warning when `cluster`'s learner graph was accepted without its
/// validity decided (`--accept-unchecked-graph`); nothing otherwise.
pub fn warn_if_unchecked(cluster: &Cluster) {
    if let Some(w) = cluster.unchecked_warning() {
        tracing::warn!("{w}");
    }
}

/// The names of the acceptors in `set`.
pub fn acceptor_names(cluster: &Cluster, set: hetpaxos_quorums::AcceptorSet) -> Vec<String> {
    set.iter()
        .map(|a| cluster.graph.acceptor_name(a).to_string())
        .collect()
}

/// The names of the acceptors in `set`, as `{A, B, C}`.
fn set_text(cluster: &Cluster, set: hetpaxos_quorums::AcceptorSet) -> String {
    format!("{{{}}}", acceptor_names(cluster, set).join(", "))
}

/// The value, ballot and quorum of a decision, as JSON fields.
fn decision_fields(cluster: &Cluster, d: &Decision) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("value".into(), String::from_utf8_lossy(&d.value).into());
    fields.insert("value_hex".into(), hex::encode(&d.value).into());
    fields.insert(
        "ballot".into(),
        serde_json::json!({
            "timestamp_nanos": d.ballot.timestamp,
            "value_hash": d.ballot.value.0.to_hex(),
        }),
    );
    fields.insert("quorum".into(), acceptor_names(cluster, d.signers).into());
    fields
}

/// The JSON line of a decision:
/// `{"event": "decided", "learner", "value", "value_hex", "ballot":
/// {"timestamp_nanos", "value_hash"}, "quorum", "caught"}`.
pub fn decision_json(cluster: &Cluster, d: &Decision) -> serde_json::Value {
    let mut line = serde_json::Map::new();
    line.insert("event".into(), "decided".into());
    line.insert(
        "learner".into(),
        cluster.graph.learner_name(d.learner).into(),
    );
    line.extend(decision_fields(cluster, d));
    line.insert("caught".into(), acceptor_names(cluster, d.caught).into());
    serde_json::Value::Object(line)
}

/// The JSON line of a learner event worth reporting: a decision (see
/// [`decision_json`]); `{"event": "caught", "acceptor", "evidence": [id, id]}`
/// when the learner holds two messages of one acceptor that prove it
/// equivocated; `{"event": "conflict", "learner", "decided": {…}, "other":
/// {…}}` (value, ballot and quorum of each) when a second quorum for another
/// value formed after a decision.
pub fn event_json(cluster: &Cluster, e: &LearnerEvent) -> Option<serde_json::Value> {
    match e {
        LearnerEvent::Decided(d) => Some(decision_json(cluster, d)),
        LearnerEvent::Caught { acceptor, evidence } => Some(serde_json::json!({
            "event": "caught",
            "acceptor": cluster.graph.acceptor_name(*acceptor),
            "evidence": [evidence.0.0.to_hex(), evidence.1.0.to_hex()],
        })),
        LearnerEvent::Conflict { decided, other } => Some(serde_json::json!({
            "event": "conflict",
            "learner": cluster.graph.learner_name(decided.learner),
            "decided": decision_fields(cluster, decided),
            "other": decision_fields(cluster, other),
        })),
        LearnerEvent::Accepted(_) | LearnerEvent::Rejected { .. } => None,
    }
}

/// A human-readable line for a learner event worth reporting.
pub fn event_line(cluster: &Cluster, e: &LearnerEvent) -> Option<String> {
    match e {
        LearnerEvent::Decided(d) => Some(decision_line(cluster, d)),
        LearnerEvent::Caught { acceptor, evidence } => Some(format!(
            "ALERT: acceptor {} equivocated (messages {} and {} fork its chain)",
            cluster.graph.acceptor_name(*acceptor),
            evidence.0,
            evidence.1
        )),
        LearnerEvent::Conflict { decided, other } => Some(format!(
            "ALERT: learner {} decided {:?} but a quorum {} formed for {:?} at ballot {}: \
             its trust assumptions do not hold",
            cluster.graph.learner_name(decided.learner),
            String::from_utf8_lossy(&decided.value),
            set_text(cluster, other.signers),
            String::from_utf8_lossy(&other.value),
            other.ballot.timestamp
        )),
        LearnerEvent::Accepted(_) | LearnerEvent::Rejected { .. } => None,
    }
}

/// A human-readable line for a decision.
pub fn decision_line(cluster: &Cluster, d: &Decision) -> String {
    let caught = acceptor_names(cluster, d.caught);
    format!(
        "learner {} decided {:?} (ballot {}/{}, quorum {}{})",
        cluster.graph.learner_name(d.learner),
        String::from_utf8_lossy(&d.value),
        d.ballot.timestamp,
        &d.ballot.value.0.to_hex()[..12],
        set_text(cluster, d.signers),
        if caught.is_empty() {
            String::new()
        } else {
            format!(", caught {}", caught.join(", "))
        }
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hetpaxos_messages::{Ballot, MessageId, ValueHash};
    use hetpaxos_quorums::{AcceptorId, AcceptorSet, LearnerId};

    fn cluster() -> Cluster {
        let desc = hetpaxos_config_gen::homogeneous(4, 1).unwrap();
        let addrs: Vec<String> = (0..4).map(|i| format!("127.0.0.1:{}", 7000 + i)).collect();
        let g = hetpaxos_config_gen::generate(&desc, &addrs).unwrap();
        Cluster::new(g.cluster).unwrap()
    }

    fn decision(value: &[u8], signers: &[usize]) -> Decision {
        Decision {
            learner: LearnerId::new(0).unwrap(),
            ballot: Ballot::new(7, ValueHash::of(value)),
            value: value.to_vec().into(),
            signers: signers
                .iter()
                .map(|&i| AcceptorId::new(i).unwrap())
                .collect(),
            caught: AcceptorSet::EMPTY,
        }
    }

    /// The JSON lines operators alert on carry the fields documented in
    /// docs/running.md.
    #[test]
    fn event_lines() {
        let c = cluster();
        let d = event_json(&c, &LearnerEvent::Decided(decision(b"one", &[0, 1, 2]))).unwrap();
        assert_eq!(d["event"], "decided");
        assert_eq!(d["learner"], "L0");
        assert_eq!(d["value"], "one");
        assert_eq!(d["quorum"], serde_json::json!(["A", "B", "C"]));
        assert_eq!(d["ballot"]["timestamp_nanos"], 7);
        let ids = (MessageId::default(), MessageId::default());
        let caught = LearnerEvent::Caught {
            acceptor: AcceptorId::new(3).unwrap(),
            evidence: ids,
        };
        let j = event_json(&c, &caught).unwrap();
        assert_eq!(j["event"], "caught");
        assert_eq!(j["acceptor"], "D");
        assert_eq!(j["evidence"].as_array().unwrap().len(), 2);
        assert!(
            event_line(&c, &caught)
                .unwrap()
                .starts_with("ALERT: acceptor D")
        );
        let conflict = LearnerEvent::Conflict {
            decided: decision(b"one", &[0, 1, 2]),
            other: decision(b"two", &[1, 2, 3]),
        };
        let j = event_json(&c, &conflict).unwrap();
        assert_eq!(j["event"], "conflict");
        assert_eq!(j["learner"], "L0");
        assert_eq!(j["decided"]["value"], "one");
        assert_eq!(j["other"]["value"], "two");
        assert_eq!(j["other"]["quorum"], serde_json::json!(["B", "C", "D"]));
        assert!(
            event_line(&c, &conflict)
                .unwrap()
                .starts_with("ALERT: learner L0")
        );
        assert!(event_json(&c, &LearnerEvent::Accepted(MessageId::default())).is_none());
    }
}
