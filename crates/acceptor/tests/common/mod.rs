//! Helpers shared by the acceptor's integration tests.
#![allow(dead_code)]

use hetpaxos_acceptor::{Effect, Record};
use hetpaxos_messages::Message;
use hetpaxos_quorums::AcceptorId;

/// The messages signed by `me` among the records the step asks to persist.
pub fn own(me: AcceptorId, effects: &[Effect]) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Persist { records, .. } => Some(records),
            _ => None,
        })
        .flatten()
        .filter_map(|r| match r {
            Record::Accepted(m) if m.signer() == Some(me) => Some(m.clone()),
            _ => None,
        })
        .collect()
}
