//! Model checking [Heterogeneous Paxos](https://arxiv.org/abs/2011.08253) with
//! [stateright](https://docs.rs/stateright) over the **real** state machines.
//!
//! The acceptor and learner actors of the model are thin adapters around
//! `hetpaxos_acceptor::Acceptor::handle` and `hetpaxos_learner::Learner::receive`
//! ([`model::Node`]): no protocol logic is duplicated here. Signatures are
//! abstracted to the signer id ([`hetpaxos_messages::AbstractSignatures`]);
//! the message store and its derived facts are the real ones, and they are
//! compared with the executable specification `hetpaxos-spec`
//! ([`properties::store_spec_violation`]).
//!
//! Byzantine acceptors are modelled as **twins** (two independent honest
//! instances signing as the same acceptor, each with its own state, which
//! equivocate whenever their views differ), as **silent**, or as
//! **arbitrary** (signing any well-formed message over what was sent, within
//! a bound: [`forge`], reduced engine only). The network is
//! unordered and loss-free (loss is unbounded delay for safety), optionally
//! duplicating.
//!
//! Two engines explore the same behaviours: the reduced model ([`reduced`],
//! the default: sound reductions R1–R7, each argued there or in [`symmetry`]) and stateright's
//! `ActorModel` ([`model`], every option).
//!
//! Properties and the digest §7 item each implements are in [`properties`];
//! the mapping from definitions to properties is in `docs/model-checking.md`.
#![forbid(unsafe_code)]

pub mod chooser;
pub mod coverage;
pub mod forge;
pub mod graph_file;
mod memo;
pub mod model;
pub mod properties;
pub mod reduced;
pub mod replay;
pub mod symmetry;
pub mod trace;

pub use model::{
    DEFAULT_MAX_FORGED, DEFAULT_MAX_SIGNED, HetModel, HetState, LearnerDelivery, ModelConfig,
    Mutant, Reductions, build,
};
pub use reduced::{ReducedModel, build_reduced};

use chooser::TakenChooser;
use stateright::{Checker, Expectation, HasDiscoveries, Model, Path};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which model to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// The reduced model ([`reduced`]): same behaviours and properties, far
    /// fewer states. Used when the configuration allows it
    /// ([`reduced::supports`]: relays off, no duplication, instant learner);
    /// otherwise the actor model is used.
    #[default]
    Reduced,
    /// stateright's `ActorModel` ([`model`]): supports every option.
    Actor,
}

/// Search strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Depth-first (least memory).
    #[default]
    Dfs,
    /// Breadth-first (shortest counterexamples when single-threaded).
    Bfs,
    /// Random walks (never exhaustive).
    Simulation,
}

/// How to search.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Strategy.
    pub strategy: Strategy,
    /// Depth bound (`None`: unbounded).
    pub max_depth: Option<usize>,
    /// Worker threads.
    pub threads: usize,
    /// Seed of the simulation strategy.
    pub seed: u64,
    /// Stop after about this many states (`None`: no bound).
    pub max_states: Option<usize>,
    /// Stop after this long (`None`: no bound).
    pub timeout: Option<Duration>,
    /// Which model to search.
    pub engine: Engine,
    /// Called about every [`Progress::EVERY`] while the search runs (the
    /// binary prints a line; a library user may log it).
    pub on_progress: Option<ProgressFn>,
}

/// A progress callback (see [`CheckOptions::on_progress`]).
#[derive(Clone)]
pub struct ProgressFn(pub std::sync::Arc<dyn Fn(&Progress) + Send + Sync>);

impl std::fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressFn")
    }
}

/// Figures of a search still running.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// States generated so far.
    pub states: usize,
    /// Distinct states so far.
    pub unique_states: usize,
    /// Greatest depth so far.
    pub max_depth: usize,
    /// Time since the start.
    pub elapsed: Duration,
}

impl Progress {
    /// How often [`CheckOptions::on_progress`] is called.
    pub const EVERY: Duration = Duration::from_secs(10);
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            strategy: Strategy::Dfs,
            max_depth: None,
            threads: 1,
            seed: 0,
            max_states: None,
            timeout: None,
            engine: Engine::Reduced,
            on_progress: None,
        }
    }
}

/// The result of one property.
pub struct PropertyResult {
    /// Its name.
    pub name: &'static str,
    /// Always or Sometimes.
    pub expectation: Expectation,
    /// For Always: a violating path; for Sometimes: a witnessing path,
    /// rendered readably as numbered steps (see [`trace`]).
    pub discovery: Option<String>,
    /// For an Always violation: the path as a trace file that replays
    /// through the simulated cluster ([`replay::replay`]); its `graph` is
    /// left `null` for the caller to fill in with the graph file's JSON.
    /// `None` only for a path with an action the actor engine never takes
    /// ([`trace::trace_file`]).
    pub trace_file: Option<replay::TraceFile>,
}

/// The result of a search.
pub struct Outcome {
    /// States generated (visited, with repeats).
    pub states: usize,
    /// Distinct states.
    pub unique_states: usize,
    /// Greatest depth reached.
    pub max_depth: usize,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Whether the search covered the whole (depth-bounded) space: not a
    /// simulation, no state or time bound hit, and not stopped at a violation.
    pub exhaustive: bool,
    /// Per property.
    pub properties: Vec<PropertyResult>,
    /// The engine that was used.
    pub engine: Engine,
    /// Whether a step was left out because of
    /// [`ModelConfig::max_own_messages`]: an exhaustive search then covered
    /// the executions within that bound only.
    pub message_bound_hit: bool,
    /// Whether [`ModelConfig::max_forged`] stopped a forgery that was
    /// possible: an exhaustive search then covered the executions within
    /// that bound only.
    pub forge_bound_hit: bool,
    /// Whether [`ModelConfig::max_signed`] cut a step that was possible: an
    /// exhaustive search then covered the executions within that bound only.
    pub signed_bound_hit: bool,
    /// Whether the reduced engine gave up because expanding one state took
    /// more than [`reduced::MAX_LOCAL_SEARCH`] acceptor states
    /// ([`ReducedModel::expansion_limit_hit`]): the configuration is too
    /// large to check, and the search is not exhaustive.
    pub expansion_limit_hit: bool,
    /// For a sampled search (reduced engine): what the walks covered.
    pub coverage: Option<coverage::CoverageReport>,
}

impl Outcome {
    /// The result of property `name`.
    pub fn property(&self, name: &str) -> Option<&PropertyResult> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Whether `name` has a discovery (violation or example).
    pub fn found(&self, name: &str) -> bool {
        self.property(name).is_some_and(|p| p.discovery.is_some())
    }

    /// Whether every Always property holds.
    pub fn all_always_hold(&self) -> bool {
        self.properties
            .iter()
            .all(|p| p.expectation != Expectation::Always || p.discovery.is_none())
    }

    /// States generated per second.
    pub fn rate(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Unique states per second.
    pub fn unique_rate(&self) -> f64 {
        self.unique_states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The engine [`check`] uses for `config`: the requested one, except that
/// the reduced model falls back to the actor model where it does not apply.
pub fn effective_engine(config: &ModelConfig, options: &CheckOptions) -> Engine {
    match options.engine {
        Engine::Reduced if reduced::supports(config) => Engine::Reduced,
        _ => Engine::Actor,
    }
}

/// Checks `config` with `options`; stops at the first Always violation.
///
/// With crashes and a depth bound, a depth-first search is run breadth-first
/// instead: crash and recovery reach some states on paths of different
/// lengths, and a depth-first search that meets a state first on a long path
/// does not expand it again when it meets it on a short one, so it would not
/// cover everything up to the bound.
pub fn check(config: ModelConfig, options: &CheckOptions) -> Outcome {
    let mut bfs;
    let options =
        if config.crashes > 0 && options.max_depth.is_some() && options.strategy == Strategy::Dfs {
            bfs = options.clone();
            bfs.strategy = Strategy::Bfs;
            &bfs
        } else {
            options
        };
    match effective_engine(&config, options) {
        Engine::Reduced => {
            let mut render = build_reduced(config.clone());
            let mut model = build_reduced(config);
            if options.strategy == Strategy::Simulation {
                model.coverage = Some(std::sync::Arc::default());
                render.coverage = model.coverage.clone();
            }
            let hit = model.bound_hit.clone();
            let forge_hit = model.forge_bound_hit.clone();
            let signed_hit = model.signed_bound_hit.clone();
            let too_large = model.expansion_limit_hit.clone();
            let mut outcome = run(model, options, Engine::Reduced, |p, name| {
                let always = properties::ALWAYS.contains(&name);
                let file =
                    always.then(|| replay::trace_file(&render, p, serde_json::Value::Null, name));
                (render.render(p), file)
            });
            outcome.message_bound_hit = hit.load(std::sync::atomic::Ordering::Relaxed);
            outcome.forge_bound_hit = forge_hit.load(std::sync::atomic::Ordering::Relaxed);
            outcome.signed_bound_hit = signed_hit.load(std::sync::atomic::Ordering::Relaxed);
            outcome.expansion_limit_hit = too_large.load(std::sync::atomic::Ordering::Relaxed);
            outcome.exhaustive &= !outcome.expansion_limit_hit;
            outcome.coverage = render.coverage_report();
            outcome
        }
        Engine::Actor => {
            let render = build(config.clone());
            run(build(config), options, Engine::Actor, |p, name| {
                let file = properties::ALWAYS
                    .contains(&name)
                    .then(|| trace::trace_file(&render, p, serde_json::Value::Null, name))
                    .flatten();
                (trace::render(&render, p), file)
            })
        }
    }
}

/// Renders a discovery of the named property: the readable trace, and for
/// an Always violation a trace file where the engine can write one.
type Render<'a, M> = &'a dyn Fn(
    &Path<<M as Model>::State, <M as Model>::Action>,
    &'static str,
) -> (String, Option<replay::TraceFile>);

/// Runs the search of `options` on `model`.
fn run<M>(
    model: M,
    options: &CheckOptions,
    engine: Engine,
    render: impl Fn(&Path<M::State, M::Action>, &'static str) -> (String, Option<replay::TraceFile>),
) -> Outcome
where
    M: chooser::Walkable + Clone + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    // The random walks' chooser reads the model too: a clone, which shares
    // the reduced engine's caches, so its trial steps warm them for the
    // checker's own.
    let walker = Arc::new(model.clone());
    let mut builder = model
        .checker()
        .threads(options.threads.max(1))
        .finish_when(HasDiscoveries::AnyFailures);
    if let Some(d) = options.max_depth {
        builder = builder.target_max_depth(d);
    }
    if let Some(n) = options.max_states {
        builder = builder.target_state_count(n);
    }
    let start = Instant::now();
    let r: Render<'_, M> = &render;
    match options.strategy {
        Strategy::Dfs => finish(builder.spawn_dfs(), start, options, engine, r),
        Strategy::Bfs => finish(builder.spawn_bfs(), start, options, engine, r),
        Strategy::Simulation => finish(
            builder.spawn_simulation(options.seed, TakenChooser::new(walker)),
            start,
            options,
            engine,
            r,
        ),
    }
}

/// Waits for the checker (reporting progress to [`CheckOptions::on_progress`])
/// or for the timeout: stateright's own timeout is only consulted when a
/// worker runs out of work, so it is enforced here by polling. On a timeout
/// the workers are left running (detached) and the figures are read at that
/// moment; the binary exits right after.
fn finish<M: Model>(
    checker: impl Checker<M>,
    start: Instant,
    options: &CheckOptions,
    engine: Engine,
    render: Render<'_, M>,
) -> Outcome
where
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let mut last = Instant::now();
    while !checker.is_done() && options.timeout.is_none_or(|t| start.elapsed() < t) {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(f) = &options.on_progress
            && last.elapsed() >= Progress::EVERY
        {
            last = Instant::now();
            (f.0)(&Progress {
                states: checker.state_count(),
                unique_states: checker.unique_state_count(),
                max_depth: checker.max_depth(),
                elapsed: start.elapsed(),
            });
        }
    }
    if checker.is_done() {
        summarize(checker.join(), start, options, engine, render)
    } else {
        summarize(checker, start, options, engine, render)
    }
}

fn summarize<M: Model>(
    checker: impl Checker<M>,
    start: Instant,
    options: &CheckOptions,
    engine: Engine,
    render: Render<'_, M>,
) -> Outcome
where
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let elapsed = start.elapsed();
    let states = checker.state_count();
    let mut discoveries = checker.discoveries();
    let properties: Vec<PropertyResult> = checker
        .model()
        .properties()
        .into_iter()
        .map(|p| {
            let (discovery, trace_file) = match discoveries.remove(p.name) {
                Some(path) => {
                    let (text, file) = render(&path, p.name);
                    (Some(text), file)
                }
                None => (None, None),
            };
            PropertyResult {
                name: p.name,
                expectation: p.expectation,
                discovery,
                trace_file,
            }
        })
        .collect();
    let violated = properties
        .iter()
        .any(|p| p.expectation == Expectation::Always && p.discovery.is_some());
    let bounded = options.max_states.is_some_and(|n| states >= n)
        || options.timeout.is_some_and(|t| elapsed >= t);
    Outcome {
        states,
        unique_states: checker.unique_state_count(),
        max_depth: checker.max_depth(),
        elapsed,
        exhaustive: options.strategy != Strategy::Simulation && !bounded && !violated,
        properties,
        engine,
        message_bound_hit: false,
        forge_bound_hit: false,
        signed_bound_hit: false,
        expansion_limit_hit: false,
        coverage: None,
    }
}
