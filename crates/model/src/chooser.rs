//! Random walks whose counterexamples are the walks that found them.
//!
//! stateright 0.31's simulation checker records, for each step of a walk,
//! the index of every action it tried, including one whose `next_state` is
//! `None` (a no-op delivery of the actor engine, a step the reduced
//! engine's bound cuts): it then drops that action from its list (moving
//! the last one into its place) and chooses again. When it rebuilds the
//! path of a discovery, it reads every index against the state's full
//! action list, so after a refused action the rebuilt path leaves the walk:
//! it may end in a state that does not violate the property reported (found
//! by replaying an actor-engine counterexample through the simulated
//! cluster), or panic on an index past the end of the list (seen once on
//! red/blue).
//!
//! [`TakenChooser`] chooses uniformly among the actions the model takes, so
//! no refused action enters a walk before a discovery, and every discovery
//! path is the walk. It asks the model ([`Walkable::takes`]) when the model
//! can tell without taking the action (the actor engine: a duplicate
//! delivery is refused), and otherwise tries `next_state` itself (the
//! reduced engine, whose steps are memoized: the checker's own
//! `next_state` of the chosen action then mostly hits the memo).

use stateright::{Chooser, Model};
use std::sync::Arc;

/// What a model can tell of an action without taking it.
pub trait Walkable: Model {
    /// `Some(true)` when `next_state` takes `action` in `state`,
    /// `Some(false)` when it refuses it, `None` when only `next_state` can
    /// tell (the default).
    fn takes(&self, state: &Self::State, action: &Self::Action) -> Option<bool> {
        let _ = (state, action);
        None
    }
}

/// Chooses uniformly among the actions `model` takes (see the module
/// documentation).
pub struct TakenChooser<M> {
    model: Arc<M>,
}

impl<M> Clone for TakenChooser<M> {
    fn clone(&self) -> Self {
        Self {
            model: self.model.clone(),
        }
    }
}

impl<M> TakenChooser<M> {
    /// A chooser for walks of `model`.
    pub fn new(model: Arc<M>) -> Self {
        Self { model }
    }
}

/// The chooser's state during one walk.
pub struct Walk {
    /// splitmix64 state.
    rng: u64,
    /// Set once the walk reached a state in which the model takes no
    /// action: the walk ends there, whichever indices the checker is given.
    stuck: bool,
}

impl Walk {
    fn below(&mut self, n: usize) -> usize {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z % n.max(1) as u64) as usize
    }
}

impl<M> Chooser<M> for TakenChooser<M>
where
    M: Walkable + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug,
{
    type State = Walk;

    fn new_state(&self, seed: u64) -> Walk {
        Walk {
            rng: seed,
            stuck: false,
        }
    }

    fn choose_initial_state(&self, walk: &mut Walk, initial_states: &[M::State]) -> usize {
        walk.below(initial_states.len())
    }

    fn choose_action(&self, walk: &mut Walk, current: &M::State, actions: &[M::Action]) -> usize {
        // The checker asks again, with one action fewer, after each index
        // whose action the model refuses, until none is left: once no
        // action is taken, every question is about that last state.
        if walk.stuck {
            return 0;
        }
        let mut candidates: Vec<usize> = (0..actions.len()).collect();
        while !candidates.is_empty() {
            let k = walk.below(candidates.len());
            let i = candidates[k];
            let action = &actions[i];
            let tried = || self.model.next_state(current, action.clone()).is_some();
            let taken = match self.model.takes(current, action) {
                Some(taken) => {
                    debug_assert_eq!(taken, tried(), "Walkable::takes is wrong on {action:?}");
                    taken
                }
                None => tried(),
            };
            if taken {
                return i;
            }
            candidates.swap_remove(k);
        }
        walk.stuck = true;
        0
    }
}
