//! `hetpaxos-check GRAPH.json [--byzantine NAMES] …`: model-checks Heterogeneous
//! Paxos on a learner graph with stateright. Exit 0: every Always property
//! holds and a learner decides; 1: a violation (trace printed) or no decision
//! found; 2: bad input, or a graph whose validity is undecided within the
//! work budget without `--accept-unchecked-graph`.

use clap::Parser;
use hetpaxos_model::graph_file::parse_graph;
use hetpaxos_model::reduced::MAX_LOCAL_SEARCH;
use hetpaxos_model::{
    CheckOptions, DEFAULT_MAX_FORGED, DEFAULT_MAX_SIGNED, Engine, LearnerDelivery, ModelConfig,
    Progress, ProgressFn, Strategy, build, build_reduced, check, effective_engine, properties,
};
use hetpaxos_quorums::{AcceptorSet, LearnerGraph, Violation};
use stateright::{Expectation, Model};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The search allocates and frees many small nodes (stores, messages, memo
/// entries): with the system allocator that was a third of the run time
/// (docs/model-checking.md, "Speed").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "hetpaxos-check",
    about = "Model-check Heterogeneous Paxos on a learner graph"
)]
struct Args {
    /// Learner graph JSON file.
    graph: std::path::PathBuf,
    /// Byzantine acceptors that equivocate (run as twins), comma-separated names.
    #[arg(long, value_delimiter = ',')]
    byzantine: Vec<String>,
    /// Byzantine acceptors that stay silent, comma-separated names.
    #[arg(long, value_delimiter = ',')]
    silent: Vec<String>,
    /// Arbitrary Byzantine acceptors, comma-separated names: each may sign any
    /// well-formed message over what was sent (reduced engine; the shape of
    /// a forgery is in docs/model-checking.md).
    #[arg(long, value_delimiter = ',')]
    arbitrary: Vec<String>,
    /// The forgery bound: at most this many messages signed by the
    /// --arbitrary acceptors per run, all together (0 to 16).
    #[arg(long, default_value_t = DEFAULT_MAX_FORGED as u64,
          value_parser = clap::value_parser!(u64).range(0..=16))]
    max_forged: u64,
    /// Number of distinct (ballot, value) proposals (1 to 64).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    proposals: u64,
    /// The search bound (reduced engine): at most this many own messages per
    /// acceptor instance; steps beyond it are not explored, and the result
    /// says "exhaustive up to N own messages per acceptor instance" when the
    /// bound cut anything. 0 (the default): unbounded.
    #[arg(long, default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    max_messages: u64,
    /// The default search bound (reduced engine): at most this many messages
    /// signed by acceptors in a run (own messages of every instance, and
    /// forgeries); every state within it is checked, steps beyond it are not
    /// explored, and the result says "exhaustive up to N signed messages"
    /// when the bound cut anything. 0: unbounded. Default: 12, enough for two
    /// decisions at different ballots (docs/model-checking.md).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    max_signed: Option<u64>,
    /// dfs, bfs or simulation.
    #[arg(long, default_value = "dfs")]
    strategy: String,
    /// Depth bound (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_depth: Option<u64>,
    /// Worker threads (1 to 256). Default: one per core of this machine.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    threads: Option<u64>,
    /// Seed of the simulation strategy.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after about this many states (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_states: Option<u64>,
    /// Stop after this many seconds (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: Option<u64>,
    /// Let the network duplicate messages.
    #[arg(long)]
    duplicating: bool,
    /// Send acceptors' relays of accepted messages (off: a sound reduction).
    #[arg(long)]
    relays: bool,
    /// Deliver to the learner over the network (every interleaving) instead of
    /// letting it observe each message when first sent.
    #[arg(long)]
    network_learner: bool,
    /// reduced (default: the reduced model, docs/model-checking.md) or actor
    /// (stateright's ActorModel; used anyway with --relays, --duplicating or
    /// --network-learner).
    #[arg(long, default_value = "reduced")]
    engine: String,
    /// Turn off optional reductions of the reduced engine, to measure them:
    /// comma-separated r3 (eager stale 1as), r4 (finished acceptors absorb),
    /// r5 (twin symmetry), r6 (blocks of deliveries ending in an emission),
    /// r7 (symmetry among acceptors).
    #[arg(long, value_delimiter = ',')]
    without: Vec<String>,
    /// Let up to N safe acceptors be crashed at once (crash at any point,
    /// losing unsynced log records; recovery from the synced log). Uses the
    /// actor engine.
    #[arg(long, default_value_t = 0)]
    crashes: usize,
    /// Run each proposer as the real proposer state machine (D9 adoption of
    /// the highest 2a it has seen, back-off), sending at most N 1as (1 to 8);
    /// its timer firing is an action of the search, and acceptors send it
    /// their messages. Uses the actor engine. Without it, each proposer
    /// sends one fixed 1a at start.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=8))]
    real_proposers: Option<u32>,
    /// Model the acceptors' clocks: each starts at 0, holds every 1a until
    /// its clock reaches the ballot's timestamp, and ticks one unit at a time
    /// as an action of the search, up to the largest timestamp of the run.
    /// Uses the actor engine.
    #[arg(long)]
    acceptor_clock: bool,
    /// Write each Always violation found as a trace file in this directory
    /// (`<property>.json`): it replays through the simulated cluster with
    /// real signatures (`hetpaxos_model::replay`), e.g. as a regression test
    /// in crates/model/tests/regressions/.
    #[arg(long)]
    save_traces: Option<std::path::PathBuf>,
    /// Serve stateright's web explorer at this address instead of checking.
    #[arg(long)]
    explore: Option<String>,
    /// Model-check even if the graph's validity could not be decided within
    /// the work budget (LG-4 is NP-hard in general). Without it such a graph
    /// is refused (exit 2). A graph with a definite violation is checked
    /// anyway, with a warning: finding what goes wrong on it is the point.
    #[arg(long)]
    accept_unchecked_graph: bool,
}

/// Above this many acceptors an unbounded exhaustive search is refused: the
/// states grow exponentially with the acceptors, and the largest
/// configurations checked exhaustively on the development machine have at
/// 4 (docs/model-checking.md).
const MAX_EXHAUSTIVE_ACCEPTORS: usize = 7;

/// The options that make a run use the actor engine.
const ACTOR_ONLY: &str = "--engine actor, --relays, --duplicating, --network-learner, --crashes, --real-proposers or \
     --acceptor-clock";

fn names_to_set(graph: &LearnerGraph, names: &[String]) -> Result<AcceptorSet, String> {
    let mut set = AcceptorSet::EMPTY;
    for n in names.iter().filter(|n| !n.is_empty()) {
        let id = graph
            .acceptor_by_name(n.trim())
            .ok_or_else(|| format!("unknown acceptor {n:?}"))?;
        set.insert(id);
    }
    Ok(set)
}

/// The bounds of a run that can cut steps (`None`: not set).
struct Bounds {
    /// Own messages per acceptor instance.
    messages: Option<usize>,
    /// Forgeries per run.
    forged: Option<usize>,
    /// Messages signed per run.
    signed: Option<usize>,
}

/// `n` and `noun`, plural unless `n` is 1 ("1 forged message", "12 signed messages").
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What the search covered, in one line: "exhaustive" only when it completed
/// and no bound cut a step.
fn search_summary(
    outcome: &hetpaxos_model::Outcome,
    options: &CheckOptions,
    bounds_set: Bounds,
) -> String {
    if !outcome.exhaustive {
        return "NOT exhaustive (simulation, state or time limit hit, or stopped at a violation)"
            .to_string();
    }
    let mut bounds = Vec::new();
    if let Some(d) = options.max_depth.filter(|d| outcome.max_depth >= *d) {
        bounds.push(format!("depth {d}"));
    }
    if let Some(n) = bounds_set.signed.filter(|_| outcome.signed_bound_hit) {
        bounds.push(counted(n, "signed message"));
    }
    if let Some(k) = bounds_set.messages.filter(|_| outcome.message_bound_hit) {
        bounds.push(format!(
            "{} per acceptor instance",
            counted(k, "own message")
        ));
    }
    if let Some(k) = bounds_set.forged.filter(|_| outcome.forge_bound_hit) {
        bounds.push(counted(k, "forged message"));
    }
    if bounds.is_empty() {
        "exhaustive (no bound was reached)".to_string()
    } else {
        format!("exhaustive up to {} (bound reached)", bounds.join(" and "))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hetpaxos-check: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.graph)
        .map_err(|e| format!("{}: {e}", args.graph.display()))?;
    let desc = parse_graph(&text).map_err(|e| format!("{}: {e}", args.graph.display()))?;
    let graph = LearnerGraph::from_description(&desc).map_err(|e| e.to_string())?;
    let strategy = match args.strategy.as_str() {
        "dfs" => Strategy::Dfs,
        "bfs" => Strategy::Bfs,
        "simulation" => Strategy::Simulation,
        s => return Err(format!("unknown strategy {s:?} (dfs, bfs, simulation)")),
    };
    let engine = match args.engine.as_str() {
        "reduced" => Engine::Reduced,
        "actor" => Engine::Actor,
        s => return Err(format!("unknown engine {s:?} (reduced, actor)")),
    };
    let n = graph.num_acceptors();
    if args.crashes > n {
        return Err(format!(
            "--crashes {} exceeds the {n} acceptors",
            args.crashes
        ));
    }
    if n > MAX_EXHAUSTIVE_ACCEPTORS
        && strategy != Strategy::Simulation
        && args.max_states.is_none()
        && args.timeout.is_none()
        && args.explore.is_none()
    {
        return Err(format!(
            "an exhaustive search over {n} acceptors would not finish (the documented bound \
             is {MAX_EXHAUSTIVE_ACCEPTORS}, docs/model-checking.md): bound it with \
             --max-states or --timeout, or sample with --strategy simulation"
        ));
    }
    let twins = names_to_set(&graph, &args.byzantine)?;
    let silent = names_to_set(&graph, &args.silent)?;
    let arbitrary = names_to_set(&graph, &args.arbitrary)?;
    if n > MAX_EXHAUSTIVE_ACCEPTORS && !arbitrary.is_empty() {
        return Err(format!(
            "--arbitrary over {n} acceptors is refused even when bounded: a forger's choices \
             grow as the product over the signers of their messages, so expanding one state \
             would not finish (at most {MAX_EXHAUSTIVE_ACCEPTORS} acceptors)"
        ));
    }
    if !twins.is_disjoint(silent) || !arbitrary.is_disjoint(twins.union(silent)) {
        return Err("an acceptor can be only one of --byzantine, --silent and --arbitrary".into());
    }
    let violations = graph.violations();
    let undecided_only = violations.iter().all(Violation::is_undecided);
    if violations.is_empty() {
        println!("graph: valid (LG-1..LG-4 on the condensed graph, D5)");
    } else if undecided_only {
        let pairs: Vec<String> = violations
            .iter()
            .filter_map(|v| match v {
                Violation::Undecided { a, b } => Some(format!("{a}–{b}")),
                _ => None,
            })
            .collect();
        if !args.accept_unchecked_graph {
            return Err(format!(
                "{}: learner graph not checked: its LG-4 check for learners {} did not finish \
                 within the work budget, so it may or may not be valid; \
                 --accept-unchecked-graph checks it anyway",
                args.graph.display(),
                pairs.join(", ")
            ));
        }
        println!(
            "WARNING: graph validity undecided within the work budget (LG-4 for {}); checking \
             anyway (--accept-unchecked-graph)",
            pairs.join(", ")
        );
    } else {
        println!("WARNING: graph is NOT valid; checking anyway:");
        for v in &violations {
            println!("  - {v}");
        }
    }
    let graph = Arc::new(graph);
    let mut config = ModelConfig::new(graph.clone());
    config.twins = twins;
    config.silent = silent;
    config.arbitrary = arbitrary;
    config.max_forged = usize::try_from(args.max_forged).unwrap_or(0);
    config.proposals = usize::try_from(args.proposals).unwrap_or(64);
    config.duplicating = args.duplicating;
    config.relays = args.relays;
    config.crashes = args.crashes;
    config.real_proposers = args.real_proposers;
    config.acceptor_clock = args.acceptor_clock;
    config.max_own_messages = usize::try_from(args.max_messages).ok().filter(|k| *k > 0);
    for r in args.without.iter().filter(|r| !r.is_empty()) {
        match r.trim() {
            "r3" => config.reductions.eager_stale_1a = false,
            "r4" => config.reductions.absorb_finished = false,
            "r5" => config.reductions.twin_symmetry = false,
            "r6" => config.reductions.batch_to_emission = false,
            "r7" => config.reductions.acceptor_symmetry = false,
            other => return Err(format!("unknown reduction {other:?} (r3, r4, r5, r6, r7)")),
        }
    }
    if args.network_learner {
        config.learner_delivery = LearnerDelivery::Network;
    }
    println!(
        "byzantine: twins {}, silent {}, arbitrary {}; safe {}",
        graph.format_set(twins),
        graph.format_set(silent),
        graph.format_set(arbitrary),
        graph.format_set(config.safe())
    );
    for a in graph.learner_ids() {
        for b in graph.learner_ids().filter(|b| *b >= a) {
            println!(
                "  {}–{}: {}",
                graph.learner_name(a),
                graph.learner_name(b),
                if graph.entangled(a, b, config.safe()) {
                    "entangled"
                } else {
                    "NOT entangled"
                }
            );
        }
    }
    let threads = match args.threads {
        Some(t) => usize::try_from(t).unwrap_or(1),
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(256)),
    };
    println!("threads: {threads}");
    let options = CheckOptions {
        strategy,
        max_depth: args
            .max_depth
            .map(|d| usize::try_from(d).unwrap_or(usize::MAX)),
        threads,
        seed: args.seed,
        max_states: args
            .max_states
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
        timeout: args.timeout.map(Duration::from_secs),
        engine,
        on_progress: Some(ProgressFn(Arc::new(|p: &Progress| {
            eprintln!(
                "progress: {} states, {} unique, depth {}, {:.0}s",
                p.states,
                p.unique_states,
                p.max_depth,
                p.elapsed.as_secs_f64()
            );
        }))),
    };
    let engine = effective_engine(&config, &options);
    if engine == Engine::Actor && !arbitrary.is_empty() {
        return Err(format!(
            "--arbitrary needs the reduced engine (it cannot be combined with {ACTOR_ONLY})"
        ));
    }
    if engine == Engine::Actor && args.max_signed.is_some() {
        return Err(format!(
            "--max-signed bounds the reduced engine only (it cannot be combined with \
             {ACTOR_ONLY})"
        ));
    }
    if engine == Engine::Reduced {
        let n = args.max_signed.unwrap_or(DEFAULT_MAX_SIGNED as u64);
        config.max_signed = usize::try_from(n).ok().filter(|n| *n > 0);
    }
    if engine == Engine::Actor && config.max_own_messages.is_some() {
        return Err(format!(
            "--max-messages bounds the reduced engine only (it cannot be combined with \
             {ACTOR_ONLY})"
        ));
    }
    println!(
        "engine: {}",
        match engine {
            Engine::Reduced =>
                "reduced (deliver when ready, canonical in-flight set, eager stale 1as)",
            Engine::Actor if config.crashes > 0 =>
                "actor (stateright ActorModel, with crash/recover of safe acceptors)",
            Engine::Actor if config.real_proposers.is_some() =>
                "actor (stateright ActorModel, with the real proposers and their timers)",
            Engine::Actor => "actor (stateright ActorModel)",
        }
    );
    if config.acceptor_clock {
        println!("acceptor clocks: modelled (start at 0, 1as held until due, ticks are actions)");
    }
    if engine == Engine::Reduced {
        let order = build_reduced(config.clone())
            .symmetry
            .as_ref()
            .map_or(1, |s| s.order());
        println!("symmetry (R7): {order} acceptor automorphism(s), identity included");
    }
    if let Some(addr) = args.explore {
        println!("serving the explorer on http://{addr}");
        use std::net::ToSocketAddrs;
        addr.to_socket_addrs()
            .map_err(|e| format!("--explore {addr}: {e}"))?;
        match engine {
            Engine::Reduced => {
                let _checker = build_reduced(config).checker().threads(threads).serve(addr);
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
            Engine::Actor => {
                let _checker = build(config).checker().threads(threads).serve(addr);
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
        }
    }
    let message_bound = config
        .max_own_messages
        .filter(|_| engine == Engine::Reduced);
    match message_bound {
        Some(k) => println!("bound: at most {k} own messages per acceptor instance"),
        None => println!("bound: none on messages per acceptor instance"),
    }
    match config.max_signed {
        Some(n) => println!("bound: at most {n} messages signed by acceptors in all"),
        None => println!("bound: none on the messages signed in all"),
    }
    let signed_bound = config.max_signed;
    let forge_bound = (!arbitrary.is_empty()).then_some(config.max_forged);
    if let Some(k) = forge_bound {
        println!(
            "bound: at most {} by the arbitrary acceptors",
            counted(k, "forged message")
        );
    }
    let outcome = check(config, &options);
    if outcome.expansion_limit_hit {
        return Err(format!(
            "this configuration is too large to check ({n} acceptors): expanding one state \
             took more than {} acceptor states (the reduced engine's local search over which \
             messages an acceptor received before it signs, which grows exponentially with \
             the acceptors); stopped after {:.1}s and {} unique states (docs/model-checking.md)",
            MAX_LOCAL_SEARCH,
            outcome.elapsed.as_secs_f64(),
            outcome.unique_states
        ));
    }
    println!(
        "states generated: {}\nunique states: {}\nmax depth: {}\nelapsed: {:.2}s\nstates/sec: {:.0}\nunique states/sec: {:.0}\nsearch: {}",
        outcome.states,
        outcome.unique_states,
        outcome.max_depth,
        outcome.elapsed.as_secs_f64(),
        outcome.rate(),
        outcome.unique_rate(),
        search_summary(
            &outcome,
            &options,
            Bounds {
                messages: message_bound,
                forged: forge_bound,
                signed: signed_bound,
            }
        )
    );
    if let Some(c) = &outcome.coverage {
        println!(
            "coverage (sampled): {}{} distinct states over all walks; {} of {} protocol events \
             reached",
            if c.capped { "at least " } else { "" },
            c.distinct_states,
            c.reached.len(),
            c.reached.len() + c.missed.len()
        );
        if !c.missed.is_empty() {
            const SHOWN: usize = 12;
            let mut missed: Vec<String> = c
                .missed
                .iter()
                .take(SHOWN)
                .map(|e| e.describe(&graph))
                .collect();
            if c.missed.len() > SHOWN {
                missed.push(format!("and {} more", c.missed.len() - SHOWN));
            }
            println!("  not reached: {}", missed.join("; "));
        }
    }
    let mut failed = false;
    for p in &outcome.properties {
        let status = match (&p.expectation, p.discovery.is_some()) {
            (Expectation::Always, false) => "holds",
            (Expectation::Always, true) => "VIOLATED",
            (_, true) => "example found",
            (_, false) => "no example found",
        };
        println!("  [{status}] {:?} {}", p.expectation, p.name);
        if p.expectation == Expectation::Always && p.discovery.is_some() {
            failed = true;
        }
    }
    if let Some(dir) = &args.save_traces {
        let graph_json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.graph.display()))?;
        for p in &outcome.properties {
            if let Some(file) = &p.trace_file {
                let mut file = file.clone();
                file.graph = graph_json.clone();
                let slug: String = p
                    .name
                    .chars()
                    .take_while(|c| *c != '(')
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                let path = dir.join(format!("{}.json", slug.trim_matches('_')));
                let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(&path, json + "\n"))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                println!("trace file: {}", path.display());
            }
        }
    }
    for p in &outcome.properties {
        if let Some(trace) = &p.discovery {
            let show = p.expectation == Expectation::Always
                || p.name == properties::DISAGREEMENT
                || p.name == properties::PROPOSERS_CONVERGE;
            if show {
                println!("\ntrace for {}:\n{trace}", p.name);
            }
        }
    }
    if failed {
        return Ok(ExitCode::from(1));
    }
    if !outcome.found(properties::SOME_DECISION) {
        println!("FAILURE: no decision was found (the model may be vacuous)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
