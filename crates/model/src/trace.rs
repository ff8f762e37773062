//! Readable counterexample traces: each step says who received what, who sent
//! what (kind, ballot, value, learners it is a 2a for) and who decided what.

use crate::model::{Context, HetModel, HetState, NodeState};
use crate::properties::{self, Observed, learner, value_name};
use crate::replay::{TraceFile, TraceStep, hex};
use hetpaxos_messages::{Facts, Kind, Message, MessageId};
use stateright::Model;
use stateright::actor::ActorModelAction;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The facts of `id` as held by anyone in `s` (the learner first).
fn facts_in<'a, S: Observed>(cx: &Context, s: &'a S, id: &MessageId) -> Option<Facts<'a>> {
    s.all_stores(cx).into_iter().find_map(|st| st.facts(id))
}

/// A one-line description of a message: kind, signer, ballot, value, learners.
pub fn describe<S: Observed>(cx: &Context, s: &S, m: &Message) -> String {
    let graph = &cx.config.graph;
    let short = &m.id().to_string()[..6];
    if let Some(p) = m.as_proposal() {
        return format!(
            "1a(ballot {}, value {})",
            p.ballot().timestamp,
            String::from_utf8_lossy(p.value())
        );
    }
    let signer = m
        .signer()
        .map(|a| graph.acceptor_name(a).to_string())
        .unwrap_or_default();
    match facts_in(cx, s, &m.id()) {
        Some(f) => {
            let kind = match f.kind() {
                Kind::OneA => "1a".to_string(),
                Kind::OneB => "1b".to_string(),
                Kind::TwoA(ls) => format!("2a for {}", graph.format_learners(ls)),
            };
            let caught = if f.caught().is_empty() {
                String::new()
            } else {
                format!(", catches {}", graph.format_set(f.caught()))
            };
            format!(
                "{kind} by {signer} [{short}] (ballot {}, value {}, {} refs{caught})",
                f.ballot().timestamp,
                value_name(cx, f.value_hash()),
                m.refs().len()
            )
        }
        None => format!(
            "message by {signer} [{short}] ({} refs, not yet accepted by anyone)",
            m.refs().len()
        ),
    }
}

fn sent_by(s: &HetState, actor: usize) -> BTreeSet<(MessageId, Message)> {
    s.network
        .iter_all()
        .filter(|e| usize::from(e.src) == actor)
        .map(|e| (e.msg.id(), e.msg.clone()))
        .collect()
}

/// The learner's decisions in `s`, one line each.
pub fn decisions<S: Observed>(cx: &Context, s: &S) -> Vec<String> {
    let graph = &cx.config.graph;
    learner(cx, s)
        .map(|l| {
            l.decisions()
                .map(|d| {
                    format!(
                        "learner {} decided {} at ballot {} (2as signed by {})",
                        graph.learner_name(d.learner),
                        String::from_utf8_lossy(&d.value),
                        d.ballot.timestamp,
                        graph.format_set(d.signers)
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Renders a path of the model as numbered steps.
pub fn render(
    model: &HetModel,
    path: &stateright::Path<HetState, <HetModel as Model>::Action>,
) -> String {
    let cx = &model.cfg;
    let steps = path.clone().into_vec();
    let mut out = String::new();
    let name = |i: usize| cx.names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
    if let Some((first, _)) = steps.first() {
        for (i, actor) in cx.names.iter().enumerate() {
            let sent = sent_by(first, i);
            for (_, m) in sent {
                let _ = writeln!(out, "  init: {actor} sends {}", describe(cx, first, &m));
            }
        }
    }
    for (k, w) in steps.windows(2).enumerate() {
        let (prev, action) = (&w[0].0, &w[0].1);
        let next = &w[1].0;
        match action {
            Some(ActorModelAction::Deliver { src, dst, msg }) => {
                let (src, dst) = (usize::from(*src), usize::from(*dst));
                let _ = writeln!(
                    out,
                    "{:>3}. {} receives {} from {}",
                    k + 1,
                    name(dst),
                    describe(cx, next, msg),
                    name(src)
                );
                for m in sent_new(prev, next, dst) {
                    let _ = writeln!(out, "       {} sends {}", name(dst), describe(cx, next, &m));
                }
            }
            Some(ActorModelAction::Timeout(id, ())) => {
                let i = usize::from(*id);
                let _ = writeln!(out, "{:>3}. {}'s timer fires", k + 1, name(i));
                for m in sent_new(prev, next, i) {
                    let _ = writeln!(out, "       {} sends {}", name(i), describe(cx, next, &m));
                }
            }
            Some(other) => {
                let _ = writeln!(out, "{:>3}. {other:?}", k + 1);
            }
            None => {}
        }
        write_new_decisions(&mut out, cx, prev, next);
    }
    if let Some((last, _)) = steps.last() {
        out.push_str(&render_final(cx, last));
    }
    out
}

/// Appends a `=> …` line for each decision taken between `prev` and `next`
/// (one trace step, in either engine).
pub fn write_new_decisions<S: Observed>(out: &mut String, cx: &Context, prev: &S, next: &S) {
    let (d0, d1) = (decisions(cx, prev), decisions(cx, next));
    for d in d1.iter().filter(|d| !d0.contains(d)) {
        let _ = writeln!(out, "       => {d}");
    }
}

/// What the last state of a trace has chosen, and which Always properties it
/// violates.
pub fn render_final<S: Observed>(cx: &Context, last: &S) -> String {
    let mut out = String::new();
    for c in properties::chosen(cx, last) {
        let _ = writeln!(
            out,
            "  final: learner {} has a quorum of 2as for {} at ballot {} (signers {})",
            cx.config.graph.learner_name(c.learner),
            value_name(cx, c.value),
            c.ballot.timestamp,
            cx.config.graph.format_set(c.signers)
        );
    }
    for what in properties::ALWAYS {
        if let Some(v) = properties::always_violation(what, cx, last) {
            let _ = writeln!(out, "  violated {what}: {v}");
        }
    }
    out
}

/// The messages signed by acceptor instance `after` that `before` did not
/// hold (what one step made it sign), as hex ids.
fn own_new(
    before: &hetpaxos_acceptor::Acceptor,
    after: &hetpaxos_acceptor::Acceptor,
) -> Vec<String> {
    after
        .store()
        .messages()
        .filter(|m| m.signer() == Some(after.id()) && !before.store().contains(&m.id()))
        .map(|m| hex(&m.id()))
        .collect()
}

/// The messages actor `i` put on the network in the step from `prev` to
/// `next`.
fn sent_new(prev: &HetState, next: &HetState, i: usize) -> Vec<Message> {
    let before: BTreeSet<MessageId> = sent_by(prev, i).into_iter().map(|(id, _)| id).collect();
    sent_by(next, i)
        .into_iter()
        .filter(|(id, _)| !before.contains(id))
        .map(|(_, m)| m)
        .collect()
}

/// The ids of [`sent_new`], as a trace file writes them.
fn sent_new_ids(prev: &HetState, next: &HetState, i: usize) -> Vec<String> {
    sent_new(prev, next, i)
        .iter()
        .map(|m| hex(&m.id()))
        .collect()
}

/// The trace file ([`crate::replay`]) of a path of the actor engine that
/// violates `property`; `graph` is the graph file's JSON. Every step of the
/// actor engine has a trace step: a message received (by an acceptor
/// instance, a real proposer or the network learner), a timer (a real
/// proposer's, or an acceptor clock's tick), a crash or a recovery. `None`
/// only for an action the model never takes (a dropped message: the
/// network is loss-free).
pub fn trace_file(
    model: &HetModel,
    path: &stateright::Path<HetState, <HetModel as Model>::Action>,
    graph: serde_json::Value,
    property: &str,
) -> Option<TraceFile> {
    let cx = &model.cfg;
    let name = |i: usize| cx.names.get(i).cloned().unwrap_or_default();
    let mut steps = Vec::new();
    for w in path.clone().into_vec().windows(2) {
        let (prev, action, next) = (&w[0].0, &w[0].1, &w[1].0);
        let states = |i: usize| {
            let (a, b) = (prev.actor_states.get(i), next.actor_states.get(i));
            (a.map(|a| &**a), b.map(|b| &**b))
        };
        match action {
            Some(ActorModelAction::Deliver { dst, msg, .. }) => {
                let i = usize::from(*dst);
                let id = hex(&msg.id());
                steps.push(match states(i) {
                    (Some(NodeState::Acceptor(a)), Some(NodeState::Acceptor(b))) => {
                        TraceStep::Receive {
                            to: name(i),
                            id,
                            signs: own_new(a, b),
                        }
                    }
                    (Some(NodeState::RealProposer(_)), _) => TraceStep::ProposerReceive {
                        proposer: i + 1,
                        id,
                        signs: sent_new_ids(prev, next, i),
                    },
                    (Some(NodeState::Learner(_)), _) => TraceStep::LearnerReceive { id },
                    // A fixed proposer ignores what it receives.
                    _ => continue,
                });
            }
            Some(ActorModelAction::Timeout(id, ())) => {
                let i = usize::from(*id);
                steps.push(match states(i) {
                    (Some(NodeState::Acceptor(a)), Some(NodeState::Acceptor(b))) => {
                        TraceStep::Tick {
                            of: name(i),
                            signs: own_new(a, b),
                        }
                    }
                    (Some(NodeState::RealProposer(_)), _) => TraceStep::Timer {
                        proposer: i + 1,
                        signs: sent_new_ids(prev, next, i),
                    },
                    _ => return None,
                });
            }
            Some(ActorModelAction::Crash(id)) => steps.push(TraceStep::Crash {
                of: name(usize::from(*id)),
            }),
            Some(ActorModelAction::Recover(id)) => steps.push(TraceStep::Recover {
                of: name(usize::from(*id)),
            }),
            Some(_) => return None,
            None => {}
        }
    }
    Some(TraceFile::new(&cx.config, graph, property, steps))
}
