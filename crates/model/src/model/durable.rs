//! The acceptor as both engines run it, its network side, and its durable
//! log with recovery from it.

use super::*;

/// The real acceptor state machine as both engines run it: signatures
/// abstracted to the signer id, default limits, and a clock far ahead of
/// every ballot timestamp, so 1as are never held.
pub fn model_acceptor(
    graph: &Arc<LearnerGraph>,
    a: AcceptorId,
    verifier: &Arc<dyn Verifier>,
) -> Acceptor {
    model_acceptor_at(graph, a, verifier, u64::MAX / 2)
}

/// [`model_acceptor`] with its clock at `now` ([`ModelConfig::acceptor_clock`]
/// starts it at 0).
pub fn model_acceptor_at(
    graph: &Arc<LearnerGraph>,
    a: AcceptorId,
    verifier: &Arc<dyn Verifier>,
    now: u64,
) -> Acceptor {
    let mut acceptor = Acceptor::new(
        graph.clone(),
        Arc::new(AbstractSigner(a)),
        verifier.clone(),
        AcceptorLimits::default(),
    );
    let _ = acceptor.handle(Input::Tick { now });
    acceptor
}

/// The network side of the one acceptor driver ([`driver`]) in the model:
/// what the step relays and sends. The log lives in stateright's storage,
/// saved by the caller when the step synced ([`DurableLog`]).
#[derive(Default)]
pub struct ModelIo {
    /// Relayed messages, in order.
    pub relayed: Vec<Message>,
    /// Own messages sent, in order.
    pub sent: Vec<Message>,
}

impl Io for ModelIo {
    type Error = std::convert::Infallible;

    fn append(&mut self, _: &[Record], _: LogPosition) -> Result<(), Self::Error> {
        Ok(())
    }

    fn sync(&mut self, _: LogPosition) -> Result<(), Self::Error> {
        Ok(())
    }

    fn relay(&mut self, message: &Message) {
        self.relayed.push(message.clone());
    }

    fn send(&mut self, message: &Message) {
        self.sent.push(message.clone());
    }
}

/// An acceptor's durable log (stateright's crash-surviving storage): after a
/// step that synced, every record appended so far, i.e. the acceptor's log
/// image, in order (recovery depends on the order: a 1a is stale or not
/// depending on which 1as came before it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DurableLog(pub Arc<Vec<Record>>);

impl DurableLog {
    /// The log rolled back by one emitting step of acceptor `a`: without
    /// its last own message and the records accepted since its previous own
    /// message (what a recovery that forgets its last own message reads,
    /// [`Mutant::ForgetLastOwnOnRecovery`]). Dropping the own message alone
    /// would be harmless: recovery re-derives and re-signs the very same
    /// message from the records before it.
    pub fn without_last_own(&self, a: AcceptorId) -> Self {
        let own = |r: &Record| r.message().signer() == Some(a);
        let mut records = (*self.0).clone();
        if let Some(last) = records.iter().rposition(own) {
            let from = records[..last].iter().rposition(own).map_or(0, |p| p + 1);
            records.drain(from..=last);
        }
        Self(Arc::new(records))
    }

    /// The log image of `acceptor` ([`Acceptor::log_image`]).
    pub fn of(acceptor: &Acceptor) -> Self {
        Self(Arc::new(acceptor.log_image()))
    }
}

/// A crashed instance of acceptor `a` recovered from `log` as the model runs
/// it (its clock back at the initial instance's, `init`: far ahead, or 0
/// when clocks are modelled), with the own messages it re-sends.
pub fn model_recover(init: &Acceptor, a: AcceptorId, log: &DurableLog) -> (Acceptor, Vec<Message>) {
    let graph = init.store().graph().clone();
    let verifier: Arc<dyn Verifier> = Arc::new(AbstractSignatures {
        acceptors: graph.num_acceptors(),
    });
    let recovered = Acceptor::recover(
        graph,
        Arc::new(AbstractSigner(a)),
        verifier,
        AcceptorLimits::default(),
        log.0.iter().cloned(),
    );
    let Ok((mut acceptor, effects)) = recovered else {
        // A log the acceptor wrote always recovers; the never-caught and
        // store properties would flag the damage a refusal stands for.
        return (init.clone(), Vec::new());
    };
    let mut io = ModelIo::default();
    let Ok(()) = driver::apply(effects, &mut io);
    let Ok(_) = driver::step(&mut acceptor, Input::Tick { now: init.now() }, &mut io);
    (acceptor, io.sent)
}
