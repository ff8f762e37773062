//! Fuzzing the configuration loaders on the stable toolchain: mutated bytes
//! and structure-aware JSON mutations of valid config and graph files go
//! through every loader, which must answer `Ok` or `Err` — never panic —
//! with one-line errors that quote no key material.
//!
//! Seeds: `fuzz/corpus/config/` (a red/blue cluster config, an acceptor's, a
//! learner's and a proposer's config, two learner-graph files with listed
//! sets, and a two-chain graph file and cluster config whose families are
//! stake-weighted, threshold, `all`, `any` and nested listed sets), written
//! by `write_corpus` (`cargo test -p hetpaxos-config --test fuzz_load --
//! --ignored`). Longer runs: `PROPTEST_CASES=100000 cargo test -p
//! hetpaxos-config --test fuzz_load` (see `fuzz/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../fuzz/mutate.rs"]
mod mutate;

use ed25519_dalek::SigningKey;
use hetpaxos_config::family::{family_from_json, family_to_pb};
use hetpaxos_config::{
    ConfigError, Role, check_file, load_acceptor, load_client, load_cluster, load_graph, pb,
};
use mutate::Mutation;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseResult;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default number of fuzz cases (a few seconds in debug).
const DEFAULT_CASES: u32 = 5000;

const ACCEPTORS: [&str; 4] = ["A", "B", "C", "D"];

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn public_hex(k: &SigningKey) -> String {
    hex::encode(k.verifying_key().as_bytes())
}

fn names(s: &str) -> pb::AcceptorNames {
    pb::AcceptorNames {
        acceptors: s.chars().map(String::from).collect(),
    }
}

/// The red/blue cluster (digest §8 Config 2) with fixed test keys.
fn cluster() -> pb::ClusterConfig {
    let red = ["ABC", "ABD", "ACD", "BCD"];
    pb::ClusterConfig {
        acceptors: ACCEPTORS
            .iter()
            .enumerate()
            .map(|(i, n)| pb::AcceptorInfo {
                name: n.to_string(),
                address: format!("127.0.0.1:{}", 7000 + i),
                public_key: public_hex(&key(0x41 + i as u8)),
            })
            .collect(),
        learners: vec![
            pb::LearnerInfo {
                name: "red".into(),
                quorums: red.iter().map(|s| names(s)).collect(),
                quorum_family: None,
            },
            pb::LearnerInfo {
                name: "blue".into(),
                quorums: ["AB", "AC", "BC"].iter().map(|s| names(s)).collect(),
                quorum_family: None,
            },
        ],
        safe_sets: vec![
            pb::SafeSets {
                learner_a: "red".into(),
                learner_b: "red".into(),
                sets: red.iter().map(|s| names(s)).collect(),
                family: None,
            },
            pb::SafeSets {
                learner_a: "blue".into(),
                learner_b: "blue".into(),
                sets: vec![names("ABC")],
                family: None,
            },
            pb::SafeSets {
                learner_a: "red".into(),
                learner_b: "blue".into(),
                sets: vec![names("ABC")],
                family: None,
            },
        ],
        learner_clients: vec![pb::ClientInfo {
            name: "learner".into(),
            public_key: public_hex(&key(0x60)),
        }],
        proposers: vec![pb::ClientInfo {
            name: "proposer".into(),
            public_key: public_hex(&key(0x70)),
        }],
    }
}

/// Two chains sharing validator `S`: red weighted by stake (total 14, up to
/// 4 Byzantine, so 10 needed), blue one vote each (3 of 4); every quorum
/// needs both chains, each self-edge its own chain, and the cross edge
/// either chain or all acceptors but `S` (listed) — the graph of
/// `hetpaxos-config-gen chains` plus a nested listed set.
fn chains_graph() -> Value {
    let red = json!({"threshold": 10, "weights": {"R1": 3, "R2": 4, "R3": 5, "S": 2}});
    let blue = json!({"threshold": 3, "of": ["B1", "B2", "B3", "S"]});
    let both = json!({"all": [red, blue]});
    json!({
        "acceptors": ["R1", "R2", "R3", "S", {"name": "B1", "address": "127.0.0.1:7104"}, "B2", "B3"],
        "learners": {"red": both, "blue": both},
        "safe_sets": [
            {"between": ["red", "red"], "sets": red},
            {"between": ["blue", "blue"], "sets": blue},
            {"between": ["red", "blue"],
             "sets": {"any": [red, blue, [["R1", "R2", "R3", "B1", "B2", "B3"]]]}},
        ],
    })
}

/// [`chains_graph`] as a cluster config (families in their protobuf form).
fn chains_cluster() -> pb::ClusterConfig {
    let g = chains_graph();
    let family = |v: &Value| family_to_pb(&family_from_json(v).unwrap());
    let acceptors = ["R1", "R2", "R3", "S", "B1", "B2", "B3"];
    pb::ClusterConfig {
        acceptors: acceptors
            .iter()
            .enumerate()
            .map(|(i, n)| pb::AcceptorInfo {
                name: n.to_string(),
                address: format!("127.0.0.1:{}", 7100 + i),
                public_key: public_hex(&key(0x80 + i as u8)),
            })
            .collect(),
        learners: ["red", "blue"]
            .iter()
            .map(|n| pb::LearnerInfo {
                name: n.to_string(),
                quorums: Vec::new(),
                quorum_family: Some(family(&g["learners"][n])),
            })
            .collect(),
        safe_sets: g["safe_sets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| pb::SafeSets {
                learner_a: e["between"][0].as_str().unwrap().into(),
                learner_b: e["between"][1].as_str().unwrap().into(),
                sets: Vec::new(),
                family: Some(family(&e["sets"])),
            })
            .collect(),
        learner_clients: vec![pb::ClientInfo {
            name: "learner".into(),
            public_key: public_hex(&key(0x90)),
        }],
        proposers: vec![pb::ClientInfo {
            name: "proposer".into(),
            public_key: public_hex(&key(0x91)),
        }],
    }
}

fn pretty<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(v).unwrap();
    out.push(b'\n');
    out
}

/// The corpus files, by name.
fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let c = cluster();
    let acceptor = pb::AcceptorConfig {
        cluster: Some(c.clone()),
        name: "A".into(),
        private_key: hex::encode(key(0x41).to_bytes()),
    };
    let client = |role: &str, name: &str, seed: u8| pb::ClientConfig {
        cluster: Some(c.clone()),
        role: role.into(),
        name: name.into(),
        private_key: hex::encode(key(seed).to_bytes()),
    };
    let sets = json!([
        ["A", "B", "C"],
        ["A", "B", "D"],
        ["A", "C", "D"],
        ["B", "C", "D"]
    ]);
    let homogeneous = json!({
        "acceptors": ACCEPTORS,
        "learners": {"L": sets},
        "safe_sets": [{"between": ["L", "L"], "sets": sets}],
    });
    let red_blue = json!({
        "acceptors": [
            {"name": "A", "address": "127.0.0.1:7000"},
            {"name": "B", "address": "127.0.0.1:7001"},
            "C",
            {"name": "D"},
        ],
        "learners": {"red": sets, "blue": [["A", "B"], ["A", "C"], ["B", "C"]]},
        "safe_sets": [
            {"between": ["red", "red"], "sets": sets},
            {"between": ["blue", "blue"], "sets": [["A", "B", "C"]]},
            {"between": ["red", "blue"], "sets": [["A", "B", "C"]]},
        ],
    });
    vec![
        ("A.json".into(), pretty(&acceptor)),
        ("cluster-chains.json".into(), pretty(&chains_cluster())),
        ("cluster.json".into(), pretty(&c)),
        ("graph-chains.json".into(), pretty(&chains_graph())),
        ("graph-homogeneous.json".into(), pretty(&homogeneous)),
        ("graph-red-blue.json".into(), pretty(&red_blue)),
        (
            "learner.json".into(),
            pretty(&client("learner", "learner", 0x60)),
        ),
        (
            "proposer.json".into(),
            pretty(&client("proposer", "proposer", 0x70)),
        ),
    ]
}

/// Writes `fuzz/corpus/config/` (run once after a config format change).
#[test]
#[ignore = "writes fuzz/corpus/config; run by hand after a config format change"]
fn write_corpus() {
    mutate::write_corpus("config", &corpus_files());
}

/// The committed corpus is what the generator makes, and every file loads.
#[test]
fn corpus_is_current_and_valid() {
    let files = mutate::read_corpus("config");
    assert!(
        files == corpus_files(),
        "fuzz/corpus/config is stale: run `cargo test -p hetpaxos-config --test fuzz_load -- --ignored`"
    );
    let dir = mutate::corpus_dir("config");
    let path = |n: &str| dir.join(n);
    load_cluster(&path("cluster.json")).unwrap();
    load_acceptor(&path("A.json")).unwrap();
    load_client(&path("learner.json"), Role::Learner).unwrap();
    load_client(&path("proposer.json"), Role::Proposer).unwrap();
    load_graph(&path("graph-homogeneous.json")).unwrap();
    load_graph(&path("graph-red-blue.json")).unwrap();
    load_graph(&path("graph-chains.json")).unwrap();
    let chains = load_cluster(&path("cluster-chains.json")).unwrap();
    let listed = load_graph(&path("graph-chains.json")).unwrap().description;
    let from_graph = hetpaxos_quorums::LearnerGraph::from_description(&listed).unwrap();
    assert!(
        *chains.graph == from_graph,
        "the two chain seeds are one graph"
    );
    for (name, _) in &files {
        check_file(&path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let words = check_file(&path("graph-chains.json")).unwrap();
    assert!(
        words.contains(
            "  red: quorums: all of (weight at least 10 of 14 in {R1: 3, R2: 4, R3: 5, S: 2}; \
             at least 3 of {S, B1, B2, B3})"
        ),
        "{words}"
    );
}

/// A JSON value to put somewhere.
#[derive(Clone, Debug)]
enum Leaf {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Names(Vec<String>),
    Sets(Vec<Vec<String>>),
    EmptyObject,
    Long(usize),
}

impl Leaf {
    fn value(&self) -> Value {
        match self {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => json!(b),
            Leaf::Int(i) => json!(i),
            Leaf::Float(f) => json!(f),
            Leaf::Str(s) => json!(s),
            Leaf::Names(n) => json!(n),
            Leaf::Sets(s) => json!(s),
            Leaf::EmptyObject => json!({}),
            Leaf::Long(n) => json!("A".repeat(*n)),
        }
    }
}

/// Strings that mean something somewhere in a config.
fn word() -> impl Strategy<Value = String> {
    let words = vec![
        "A",
        "B",
        "C",
        "D",
        "E",
        "red",
        "blue",
        "L",
        "learner",
        "proposer",
        "",
        " ",
        "a/b",
        "..",
        "A\u{0}",
        "é",
        "127.0.0.1:7000",
        "127.0.0.1:7001",
        "localhost:0",
        "[::1]:70000",
        "host",
        "acceptors",
        "cluster",
        "role",
        "learners",
        "safeSets",
        "4141414141414141414141414141414141414141414141414141414141414141",
        "zz",
    ];
    prop_oneof![
        3 => prop::sample::select(words).prop_map(String::from),
        1 => "[a-zA-Z0-9:.]{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        Just(Leaf::Null),
        any::<bool>().prop_map(Leaf::Bool),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(1 << 53),
            Just(70_000),
            any::<i64>()
        ]
        .prop_map(Leaf::Int),
        prop_oneof![Just(0.5f64), Just(1e300), Just(-0.0)].prop_map(Leaf::Float),
        word().prop_map(Leaf::Str),
        prop::collection::vec(word(), 0..6).prop_map(Leaf::Names),
        prop::collection::vec(prop::collection::vec(word(), 0..5), 0..5).prop_map(Leaf::Sets),
        Just(Leaf::EmptyObject),
        prop_oneof![Just(64usize), Just(65), Just(100_000)].prop_map(Leaf::Long),
    ]
}

/// An edit of a parsed JSON document, at the node chosen by `.0` among all
/// nodes (in document order).
#[derive(Clone, Debug)]
enum Edit {
    Replace(Index, Leaf),
    Remove(Index),
    Duplicate(Index),
    AddKey(Index, String, Leaf),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), leaf()).prop_map(|(i, l)| Edit::Replace(i, l)),
        2 => any::<Index>().prop_map(Edit::Remove),
        2 => any::<Index>().prop_map(Edit::Duplicate),
        1 => (any::<Index>(), word(), leaf()).prop_map(|(i, k, l)| Edit::AddKey(i, k, l)),
    ]
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    At(usize),
}

/// Paths to every node of `v`, the root first.
fn paths(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Seg::Key(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Seg::At(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node<'v>(v: &'v mut Value, path: &[Seg]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => v.get_mut(k.as_str()).unwrap(),
        Seg::At(i) => v.get_mut(*i).unwrap(),
    })
}

fn apply_edit(doc: &mut Value, e: &Edit) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match e {
        Edit::Replace(i, leaf) => *node(doc, &pick(i)) = leaf.value(),
        Edit::Remove(i) | Edit::Duplicate(i) => {
            let path = pick(i);
            let Some((last, parent)) = path.split_last() else {
                return;
            };
            let duplicate = matches!(e, Edit::Duplicate(_));
            match (node(doc, parent), last) {
                (Value::Object(m), Seg::Key(k)) if !duplicate => {
                    m.remove(k);
                }
                (Value::Array(a), Seg::At(at)) if duplicate => {
                    let copy = a[*at].clone();
                    a.insert(*at, copy);
                }
                (Value::Array(a), Seg::At(at)) => {
                    a.remove(*at);
                }
                _ => {}
            }
        }
        Edit::AddKey(i, k, leaf) => match node(doc, &pick(i)) {
            Value::Object(m) => {
                m.insert(k.clone(), leaf.value());
            }
            Value::Array(a) => a.push(leaf.value()),
            _ => {}
        },
    }
}

#[derive(Clone, Debug)]
enum Input {
    /// Corpus file `.0`, bytes mutated.
    Bytes(Index, Vec<Mutation>),
    /// Corpus file `.0`, parsed, edited, written back (compact or pretty).
    Json(Index, Vec<Edit>, bool),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        1 => (any::<Index>(), mutate::mutations(4)).prop_map(|(f, m)| Input::Bytes(f, m)),
        2 => (any::<Index>(), prop::collection::vec(edit(), 1..4), any::<bool>())
            .prop_map(|(f, e, p)| Input::Json(f, e, p)),
    ]
}

#[derive(Default)]
struct Counts {
    ok: [AtomicUsize; 6],
    err: [AtomicUsize; 6],
    mutated_ok: AtomicUsize,
    files: AtomicUsize,
}

/// Checks an error: one line, starting with the file, and no run of 24 or
/// more hex digits (key material) anywhere.
fn check_error(path: &Path, e: &ConfigError) -> TestCaseResult {
    let text = e.to_string();
    prop_assert!(!text.contains('\n'), "error on several lines: {}", text);
    prop_assert!(
        text.starts_with(&path.display().to_string()),
        "error does not name the file: {}",
        text
    );
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        prop_assert!(run < 24, "error quotes key material: {}", text);
    }
    Ok(())
}

fn run_case(
    input: &Input,
    corpus: &[(String, Vec<u8>)],
    dir: &Path,
    counts: &Counts,
) -> TestCaseResult {
    // A new file per case: rewriting one file in place (open with
    // truncation) waits for the previous contents' writeback on some file
    // systems, which made the test ten times slower.
    let n = counts.files.fetch_add(1, Ordering::Relaxed);
    let path = &dir.join(format!("fuzzed-{n}.json"));
    let result = load_all(input, corpus, path, counts);
    std::fs::remove_file(path).unwrap();
    result
}

fn load_all(
    input: &Input,
    corpus: &[(String, Vec<u8>)],
    path: &Path,
    counts: &Counts,
) -> TestCaseResult {
    let seeds: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let (original, bytes) = match input {
        Input::Bytes(f, ms) => {
            let seed = &seeds[f.index(seeds.len())];
            (seed, mutate::mutate(seed, ms, &seeds))
        }
        Input::Json(f, edits, pretty) => {
            let seed = &seeds[f.index(seeds.len())];
            let mut doc: Value = serde_json::from_slice(seed).unwrap();
            for e in edits {
                apply_edit(&mut doc, e);
            }
            let bytes = if *pretty {
                serde_json::to_vec_pretty(&doc).unwrap()
            } else {
                serde_json::to_vec(&doc).unwrap()
            };
            (seed, bytes)
        }
    };
    std::fs::write(path, &bytes).unwrap();

    let cluster = load_cluster(path);
    let acceptor = load_acceptor(path);
    let learner = load_client(path, Role::Learner);
    let proposer = load_client(path, Role::Proposer);
    let graph = load_graph(path);
    let checked = check_file(path);
    let errors = [
        cluster.as_ref().err(),
        acceptor.as_ref().err(),
        learner.as_ref().err(),
        proposer.as_ref().err(),
        graph.as_ref().err(),
        checked.as_ref().err(),
    ];
    for (k, e) in errors.iter().enumerate() {
        match e {
            Some(e) => {
                check_error(path, e)?;
                counts.err[k].fetch_add(1, Ordering::Relaxed);
            }
            None => {
                counts.ok[k].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    // What loads is consistent.
    if let Ok(c) = &cluster {
        prop_assert!(c.graph.validate().is_ok());
        prop_assert_eq!(c.keys.len(), c.config.acceptors.len());
        prop_assert_eq!(c.keys.len(), c.graph.num_acceptors());
    }
    if let Ok(a) = &acceptor {
        prop_assert!(cluster.is_ok() && checked.is_ok());
        prop_assert_eq!(a.cluster.graph.acceptor_name(a.id), a.name.as_str());
    }
    for client in [&learner, &proposer] {
        if client.is_ok() {
            prop_assert!(cluster.is_ok() && checked.is_ok());
        }
    }
    prop_assert!(!(learner.is_ok() && proposer.is_ok()));
    if (cluster.is_ok() || graph.is_ok()) && *original != bytes {
        counts.mutated_ok.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Mutated config and graph files never make a loader panic; every error is
/// one line naming the file and quotes no key material; what loads is
/// consistent across loaders.
#[test]
fn mutated_config_files_load_or_fail_cleanly() {
    let corpus = mutate::read_corpus("config");
    let dir = tempfile::tempdir().unwrap();
    let counts = Counts::default();
    let cases = mutate::cases(DEFAULT_CASES);
    let ran = mutate::run(cases, input(), |i| {
        run_case(&i, &corpus, dir.path(), &counts)
    });
    assert!(ran >= cases);
    let get = |c: &AtomicUsize| c.load(Ordering::Relaxed);
    let summary = format!(
        "ok {:?}, err {:?} (cluster, acceptor, learner, proposer, graph, check); mutated but loaded {}",
        counts.ok.iter().map(get).collect::<Vec<_>>(),
        counts.err.iter().map(get).collect::<Vec<_>>(),
        get(&counts.mutated_ok)
    );
    eprintln!("{cases} cases: {summary}");
    if cases >= DEFAULT_CASES / 2 {
        // Not vacuous: every loader both loaded and refused something, and
        // some mutated files still loaded.
        for c in counts.ok.iter().chain(&counts.err) {
            assert!(get(c) > 0, "an outcome was never reached: {summary}");
        }
        assert!(get(&counts.mutated_ok) > 0, "{summary}");
    }
}
