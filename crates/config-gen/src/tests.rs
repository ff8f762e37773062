#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use hetpaxos_config::{load_acceptor, load_client, parse_graph};

fn red_blue_json() -> serde_json::Value {
    serde_json::json!({
      "acceptors": ["A", {"name": "B", "address": "10.0.0.5:7000"}, "C", "D"],
      "learners": {
        "red":  [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]],
        "blue": [["A","B"], ["A","C"], ["B","C"]]
      },
      "safe_sets": [
        {"between": ["red", "red"],   "sets": [["A","B","C"], ["A","B","D"], ["A","C","D"], ["B","C","D"]]},
        {"between": ["blue", "blue"], "sets": [["A","B","C"]]},
        {"between": ["red", "blue"],  "sets": [["A","B","C"]]}
      ]
    })
}

fn addrs(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("127.0.0.1:{}", 7000 + i)).collect()
}

#[test]
fn graph_file_parses_in_order_with_addresses() {
    let spec = parse_graph(red_blue_json()).unwrap();
    assert_eq!(spec.description.acceptors, ["A", "B", "C", "D"]);
    assert_eq!(spec.description.learners[0].0, "red");
    assert_eq!(spec.description.learners[1].0, "blue");
    assert_eq!(spec.addresses[1].as_deref(), Some("10.0.0.5:7000"));
    let g = LearnerGraph::from_description(&spec.description).unwrap();
    g.validate().unwrap();
}

#[test]
fn generated_configs_load_and_roundtrip_through_json() {
    let desc = parse_graph(red_blue_json()).unwrap().description;
    let g = generate(&desc, &addrs(4)).unwrap();
    let dir = std::env::temp_dir().join(format!("hp-cfg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_configs(&dir, &g, Some("XXX"), false).unwrap();
    let c = load_cluster(&dir.join("cluster.json")).unwrap();
    assert_eq!(c.graph.num_learners(), 2);
    let a = load_acceptor(&dir.join("C.json")).unwrap();
    assert_eq!(a.id.index(), 2);
    assert_eq!(a.cluster.context, c.context);
    assert!(dir.join("XXX_3_config.json").exists());
    let mode = std::fs::metadata(dir.join("C.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // Refuses to overwrite.
    let e = write_configs(&dir, &g, None, false).unwrap_err();
    assert!(e.message.contains("already exists"), "{e}");
    write_configs(&dir, &g, None, true).unwrap();
    let text = std::fs::read_to_string(dir.join("cluster.json")).unwrap();
    assert!(text.contains("\"publicKey\"") && text.contains("\"safeSets\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wrong_key_is_refused_without_echoing_it() {
    let desc = homogeneous(4, 1).unwrap();
    let g = generate(&desc, &addrs(4)).unwrap();
    let mut a = g.acceptors[0].clone();
    a.private_key = g.acceptors[1].private_key.clone();
    let dir = std::env::temp_dir().join(format!("hp-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("A.json");
    std::fs::write(&p, serde_json::to_string(&a).unwrap()).unwrap();
    let e = load_acceptor(&p).unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    assert!(!e.to_string().contains(&a.private_key));
    a.private_key = format!("{}zz", &a.private_key[..62]);
    std::fs::write(&p, serde_json::to_string(&a).unwrap()).unwrap();
    let e = load_acceptor(&p).unwrap_err();
    assert!(e.to_string().contains("not a hex digit"), "{e}");
    assert!(!e.to_string().contains(&a.private_key[..62]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invalid_graph_names_the_condition() {
    let mut v = red_blue_json();
    v["learners"]["blue"] = serde_json::json!([["A"], ["D"]]);
    v["safe_sets"][1]["sets"] = serde_json::json!([["A"], ["D"]]);
    let desc = parse_graph(v).unwrap().description;
    let e = generate(&desc, &addrs(4)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidGraph);
    assert!(e.message.contains("LG-"), "{e}");
}

#[test]
fn unknown_acceptor_name_is_bad_input() {
    let mut v = red_blue_json();
    v["learners"]["blue"] = serde_json::json!([["A", "Z"]]);
    let desc = parse_graph(v).unwrap().description;
    let e = generate(&desc, &addrs(4)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("\"Z\""), "{e}");
}

#[test]
fn homogeneous_sizes() {
    let d = homogeneous(4, 2).unwrap();
    assert!(
        matches!(&d.learners[0].1, FamilyDesc::Threshold { k: 3, of } if of.len() == 4),
        "{:?}",
        d.learners[0].1
    );
    assert_eq!(d.safe_sets.len(), 3);
    // A hundred acceptors are a threshold, not C(100, 67) listed sets.
    let d = homogeneous(100, 1).unwrap();
    let g = LearnerGraph::from_description(&d).unwrap();
    g.validate().unwrap();
    assert_eq!(g.num_acceptors(), 100);
    assert!(homogeneous_with_faults(9, 3, 1).is_err(), "9 < 3·3 + 1");
    assert!(homogeneous(0, 1).is_err());
}

/// The threshold is `n − f` of all `n` for every learner and every edge,
/// `f` defaulting to ⌊(n − 1)/3⌋; the graphs are valid up to 1,024
/// acceptors; impossible sizes are refused with the reason.
#[test]
fn homogeneous_with_faults_sizes_and_errors() {
    let threshold = |d: &GraphDescription| match &d.learners[0].1 {
        FamilyDesc::Threshold { k, of } => (*k, of.len()),
        other => panic!("{other:?}"),
    };
    for (n, f, k) in [
        (1, 0, 1),
        (4, 1, 3),
        (7, 2, 5),
        (7, 0, 7),
        (10, 3, 7),
        (100, 33, 67),
    ] {
        let d = homogeneous_with_faults(n, f, 2).unwrap();
        assert_eq!(threshold(&d), (k, n), "n = {n}, f = {f}");
        assert!(d.safe_sets.iter().all(|(_, s)| *s == d.learners[0].1));
        assert_eq!(d.safe_sets.len(), 3);
        LearnerGraph::from_description(&d)
            .unwrap()
            .validate()
            .unwrap();
    }
    assert_eq!(threshold(&homogeneous(100, 1).unwrap()), (67, 100));
    assert_eq!(threshold(&homogeneous(3, 1).unwrap()), (3, 3));
    let d = homogeneous(1024, 2).unwrap();
    let g = LearnerGraph::from_description(&d).unwrap();
    assert_eq!(g.num_acceptors(), 1024);
    assert_eq!(threshold(&d), (1024 - 341, 1024));
    g.validate().unwrap();
    for (n, f, learners, needle) in [
        (0, 0, 1, "0 acceptors"),
        (1025, 0, 1, "at most 1024"),
        (4, 0, 0, "0 learners"),
        (6, 2, 1, "cannot tolerate 2"),
        (9, 3, 1, "3·3 + 1"),
        (usize::MAX, usize::MAX, 1, "at most"),
        (10, usize::MAX, 1, "cannot tolerate"),
    ] {
        let e = homogeneous_with_faults(n, f, learners).unwrap_err();
        assert!(e.contains(needle), "{n}, {f}: {e}");
    }
}

/// Checks `v` against message `name` of `pool`: every key is a field under
/// its lowerCamelCase JSON name; every field is present except singular
/// message fields (optional families are left out when absent); nested
/// messages are checked in turn. Records the fields seen.
fn check_json(
    pool: &protox::prost_reflect::DescriptorPool,
    name: &str,
    v: &serde_json::Value,
    seen: &mut std::collections::BTreeSet<String>,
) {
    use protox::prost_reflect::Kind;
    let m = pool.get_message_by_name(name).unwrap();
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{name}: not an object: {v}"));
    for key in obj.keys() {
        assert!(
            m.fields().any(|f| f.json_name() == key),
            "{name}: {key:?} is not a field"
        );
    }
    for f in m.fields() {
        let field = format!("{name}.{}", f.json_name());
        let Some(x) = obj.get(f.json_name()) else {
            assert!(
                matches!(f.kind(), Kind::Message(_)) && !f.is_list(),
                "{field} missing from {v}"
            );
            continue;
        };
        seen.insert(field);
        if let Kind::Message(sub) = f.kind() {
            if f.is_list() {
                for item in x.as_array().unwrap() {
                    check_json(pool, sub.full_name(), item, seen);
                }
            } else {
                check_json(pool, sub.full_name(), x, seen);
            }
        }
    }
}

/// The serde types follow `proto/config.proto`: every proto field appears in
/// the JSON under its lowerCamelCase name (optional families only when
/// given), and nothing else does. Configs of three graphs between them use
/// every message and field: listed sets (red/blue), a threshold
/// (homogeneous) and weighted, `all` and `any` families (two chains).
#[test]
fn json_field_names_match_the_proto() {
    let mut compiler =
        protox::Compiler::new([concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto")]).unwrap();
    compiler.open_file("config.proto").unwrap();
    let pool = compiler.descriptor_pool();
    let graphs = [
        parse_graph(red_blue_json()).unwrap().description,
        homogeneous(4, 1).unwrap(),
        chains(&seven_each(&["red", "blue"])).unwrap(),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for desc in &graphs {
        let g = generate(desc, &addrs(desc.acceptors.len())).unwrap();
        let acceptor = serde_json::to_value(&g.acceptors[0]).unwrap();
        check_json(
            &pool,
            "hetpaxos.config.v1.AcceptorConfig",
            &acceptor,
            &mut seen,
        );
        for c in &g.clients {
            let client = serde_json::to_value(c).unwrap();
            check_json(&pool, "hetpaxos.config.v1.ClientConfig", &client, &mut seen);
        }
    }
    let mut all = 0;
    for m in pool.all_messages() {
        for f in m.fields() {
            all += 1;
            let field = format!("{}.{}", m.full_name(), f.json_name());
            assert!(seen.contains(&field), "{field} never appeared");
        }
    }
    assert_eq!(seen.len(), all);
    for message in [
        "Family",
        "Member",
        "Members",
        "Threshold",
        "Weighted",
        "Weight",
    ] {
        let name = format!("hetpaxos.config.v1.{message}");
        assert!(pool.get_message_by_name(&name).is_some(), "{name}");
    }
}

fn write_to(tag: &str, g: &Generated) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hp-cfg-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_configs(&dir, g, None, false).unwrap();
    dir
}

/// The generated client configs load as their role, not as the other one,
/// and cluster.json (no key) is refused naming the file to use.
#[test]
fn client_configs_load_by_role() {
    let g = generate(&homogeneous(4, 1).unwrap(), &addrs(4)).unwrap();
    let dir = write_to("clients", &g);
    let l = load_client(&dir.join("learner.json"), Role::Learner).unwrap();
    assert_eq!(
        (l.role, l.name.as_str(), l.index),
        (Role::Learner, "learner", 0)
    );
    let p = load_client(&dir.join("proposer.json"), Role::Proposer).unwrap();
    assert_eq!(p.cluster.context, l.cluster.context);
    let mode = std::fs::metadata(dir.join("proposer.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let e = load_client(&dir.join("cluster.json"), Role::Learner).unwrap_err();
    assert!(e.message.contains("DIR/learner.json"), "{e}");
    let e = load_client(&dir.join("learner.json"), Role::Proposer).unwrap_err();
    assert!(e.message.contains("DIR/proposer.json"), "{e}");
    let e = load_client(&dir.join("A.json"), Role::Proposer).unwrap_err();
    assert!(e.message.contains("acceptor"), "{e}");
    let e = load_acceptor(&dir.join("learner.json")).unwrap_err();
    assert!(e.message.contains("client"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two members with one public key, or two acceptors with one address, are
/// refused (and the check runs on every load).
#[test]
fn shared_keys_and_addresses_are_refused() {
    let g = generate(&homogeneous(4, 1).unwrap(), &addrs(4)).unwrap();
    let mut c = g.cluster.clone();
    c.acceptors[1].public_key = c.acceptors[0].public_key.clone();
    let (_, m) = Cluster::new(c).unwrap_err();
    assert!(m.contains("same public key"), "{m}");
    let mut c = g.cluster.clone();
    c.proposers[0].public_key = c.acceptors[2].public_key.clone();
    let (_, m) = Cluster::new(c).unwrap_err();
    assert!(
        m.contains("proposer proposer") && m.contains("acceptor C"),
        "{m}"
    );
    let mut c = g.cluster.clone();
    c.acceptors[3].address = c.acceptors[1].address.clone();
    let (_, m) = Cluster::new(c).unwrap_err();
    assert!(m.contains("same address"), "{m}");
    let mut c = g.cluster.clone();
    c.learner_clients[0].name = "A".into();
    let (_, m) = Cluster::new(c).unwrap_err();
    assert!(m.contains("name of an acceptor"), "{m}");
    assert!(Cluster::new(g.cluster).is_ok(), "control");
}

/// A private key pasted into a field where the parser quotes it back never
/// reaches the error message.
#[test]
fn a_key_in_the_wrong_field_is_not_echoed() {
    let g = generate(&homogeneous(4, 1).unwrap(), &addrs(4)).unwrap();
    let dir = write_to("paste", &g);
    let key = g.acceptors[0].private_key.clone();
    let mut v = serde_json::to_value(&g.acceptors[0]).unwrap();
    v["cluster"]["acceptors"][0]["name"] = serde_json::json!(key);
    let p = dir.join("A.json");
    std::fs::write(&p, v.to_string()).unwrap();
    let e = load_acceptor(&p).unwrap_err().to_string();
    assert!(!e.contains(&key), "{e}");
    let mut v = serde_json::to_value(&g.acceptors[0]).unwrap();
    v["cluster"]["learners"] = serde_json::json!(key);
    std::fs::write(&p, v.to_string()).unwrap();
    let e = load_acceptor(&p).unwrap_err().to_string();
    assert!(e.contains("[redacted]") && !e.contains(&key), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Adding a client keeps the cluster context and rewrites every config in
/// the directory, which then all know the new client.
#[test]
fn add_client_keeps_the_context() {
    let g = generate(&homogeneous(4, 1).unwrap(), &addrs(4)).unwrap();
    let dir = write_to("add", &g);
    let before = load_cluster(&dir.join("cluster.json")).unwrap().context;
    add_client(&dir, Role::Proposer, "second").unwrap();
    let p = load_client(&dir.join("second.json"), Role::Proposer).unwrap();
    assert_eq!(p.index, 1);
    assert_eq!(p.cluster.context, before);
    let a = load_acceptor(&dir.join("B.json")).unwrap();
    assert_eq!(a.cluster.proposers.len(), 2);
    assert_eq!(a.cluster.context, before);
    let l = load_client(&dir.join("learner.json"), Role::Learner).unwrap();
    assert_eq!(l.cluster.proposers.len(), 2);
    assert!(
        add_client(&dir, Role::Learner, "second").is_err(),
        "name taken"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `n` chains of 7 validators each with distinct stakes (chain `i`'s
/// validators are `<C>1..<C>7`, stakes `10·i + 1, …` all different).
fn seven_each(names: &[&str]) -> ChainsSpec {
    ChainsSpec {
        chains: names
            .iter()
            .enumerate()
            .map(|(i, n)| Chain {
                name: n.to_string(),
                stakes: (1..=7u64)
                    .map(|v| {
                        let initial = n.chars().next().unwrap().to_ascii_uppercase();
                        (format!("{initial}{v}"), 3 * v * v + 5 * i as u64 + 1)
                    })
                    .collect(),
            })
            .collect(),
        faults: Fraction::ONE_THIRD,
    }
}

/// Two and three chains of seven validators with distinct stakes: the
/// graph is valid, decided (no "undecided"), within a few seconds.
#[test]
fn chains_of_seven_are_valid_and_checked_quickly() {
    for names in [&["red", "blue"][..], &["red", "blue", "green"][..]] {
        let spec = seven_each(names);
        let stakes: Vec<u64> = spec
            .chains
            .iter()
            .flat_map(|c| c.stakes.iter().map(|&(_, s)| s))
            .collect();
        let distinct: std::collections::BTreeSet<u64> = stakes.iter().copied().collect();
        assert_eq!(distinct.len(), stakes.len(), "stakes are distinct");
        let desc = chains(&spec).unwrap();
        assert_eq!(desc.acceptors.len(), 7 * names.len());
        let g = LearnerGraph::from_description(&desc).unwrap();
        let start = std::time::Instant::now();
        let v = g.violations();
        let took = start.elapsed();
        eprintln!("{} chains of 7: validity checked in {took:?}", names.len());
        assert!(v.is_empty(), "{v:?}");
        assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    }
}

fn stakes(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|&(n, s)| (n.to_string(), s)).collect()
}

fn weighted(threshold: u64, list: &[(&str, u64)]) -> FamilyDesc {
    FamilyDesc::Weighted {
        threshold,
        weights: stakes(list),
    }
}

/// The construction, with a validator on both chains and one of stake 0:
/// `T − F` of every chain's stake in every quorum, `T_c − F_c` of `c`'s in
/// its self-edge, either chain for the cross edge; and what that means for
/// concrete sets.
#[test]
fn chains_structure_with_a_shared_validator_and_a_zero_stake() {
    let red = [("R1", 5), ("R2", 3), ("S", 2), ("Z", 0)];
    let blue = [("B1", 4), ("B2", 4), ("S", 4)];
    let spec = ChainsSpec {
        chains: vec![
            Chain {
                name: "red".into(),
                stakes: stakes(&red),
            },
            Chain {
                name: "blue".into(),
                stakes: stakes(&blue),
            },
        ],
        faults: Fraction::ONE_THIRD,
    };
    // red: T = 10, F = 3 (< 10/3), W = 7; blue: T = 12, F = 3 (< 4), W = 9.
    let bounds = chain_bounds(&spec).unwrap();
    let tfw: Vec<(u64, u64, u64)> = bounds
        .iter()
        .map(|b| (b.total, b.faulty, b.quorum))
        .collect();
    assert_eq!(tfw, [(10, 3, 7), (12, 3, 9)]);
    let d = chains(&spec).unwrap();
    assert_eq!(d.acceptors, ["R1", "R2", "S", "Z", "B1", "B2"]);
    let both = FamilyDesc::All(vec![
        MemberDesc::Family(weighted(7, &red)),
        MemberDesc::Family(weighted(9, &blue)),
    ]);
    assert_eq!(
        d.learners,
        [
            ("red".to_string(), both.clone()),
            ("blue".to_string(), both)
        ]
    );
    let edge = |a: &str, b: &str| {
        d.safe_sets
            .iter()
            .find(|((x, y), _)| x == a && y == b)
            .map(|(_, f)| f.clone())
            .unwrap()
    };
    assert_eq!(d.safe_sets.len(), 3);
    assert_eq!(edge("red", "red"), weighted(7, &red));
    assert_eq!(edge("blue", "blue"), weighted(9, &blue));
    assert_eq!(
        edge("red", "blue"),
        FamilyDesc::Any(vec![
            MemberDesc::Family(weighted(7, &red)),
            MemberDesc::Family(weighted(9, &blue)),
        ])
    );
    let g = LearnerGraph::from_description(&d).unwrap();
    g.validate().unwrap();
    let set = |names: &[&str]| -> hetpaxos_quorums::AcceptorSet {
        names
            .iter()
            .map(|n| g.acceptor_by_name(n).unwrap())
            .collect()
    };
    let (r, b) = (
        g.learner_by_name("red").unwrap(),
        g.learner_by_name("blue").unwrap(),
    );
    // S counts for both chains: red 5 + 2 = 7, blue 4 + 4 + 4 = 12.
    assert!(g.is_quorum(r, set(&["R1", "S", "B1", "B2"])));
    assert!(g.is_quorum(b, set(&["R1", "S", "B1", "B2"])));
    // Without S: red 5, blue 8: short on both; Z (stake 0) adds nothing.
    assert!(!g.is_quorum(r, set(&["R1", "Z", "B1", "B2"])));
    // A quorum of one chain alone is no quorum.
    assert!(!g.is_quorum(r, set(&["R1", "R2", "S", "Z"])));
    // Red and blue agree while either chain is honest, not otherwise.
    assert!(g.entangled(r, b, set(&["R1", "R2"])));
    assert!(g.entangled(r, b, set(&["B1", "B2", "S"])));
    assert!(!g.entangled(r, b, set(&["R1", "B1", "B2", "Z"])));
}

/// Why every quorum needs every chain: with quorums of its own chain only
/// the graph is invalid. Already red alone fails: through the cross edge, a
/// set with an honest blue chain is in red's condensed self-edge, and two
/// red quorums need not meet inside blue (nor red and blue quorums).
#[test]
fn own_chain_quorums_would_be_invalid() {
    let mut d = chains(&seven_each(&["red", "blue"])).unwrap();
    for (i, (_, q)) in d.learners.iter_mut().enumerate() {
        let FamilyDesc::All(members) = q.clone() else {
            panic!("{q:?}")
        };
        let MemberDesc::Family(own) = members[i].clone() else {
            panic!("{members:?}")
        };
        *q = own;
    }
    let g = LearnerGraph::from_description(&d).unwrap();
    let v = g.validate().unwrap_err();
    assert!(v.to_string().contains("LG-4 quorum intersection"), "{v}");
    let all = g.violations();
    let cross = all.iter().any(|v| {
        matches!(v, hetpaxos_quorums::Violation::QuorumsMissSafeSet { a, b, .. }
            if (a, b) == (&"red".to_string(), &"blue".to_string()) || (a, b) == (&"blue".to_string(), &"red".to_string()))
    });
    assert!(cross, "{all:?}");
}

#[test]
fn fractions_parse_and_bound() {
    for (text, num, den) in [("1/3", 1, 3), ("2/5", 2, 5), (" 1 / 4 ", 1, 4)] {
        assert_eq!(
            text.parse::<Fraction>().unwrap(),
            Fraction { num, den },
            "{text}"
        );
    }
    for bad in [
        "0.33", "1/0", "0/3", "3/2", "1/1", "a/b", "", "-1/3", "1/3/4", "1/",
    ] {
        let e = bad.parse::<Fraction>().unwrap_err();
        assert!(matches!(e, ChainsError::BadFraction { .. }), "{bad}: {e}");
    }
    let third = Fraction::ONE_THIRD;
    for (total, f) in [
        (1, 0),
        (3, 0),
        (4, 1),
        (6, 1),
        (7, 2),
        (9, 2),
        (10, 3),
        (70, 23),
    ] {
        assert_eq!(third.largest_below(total), f, "T = {total}");
    }
    // 2^64 − 1 is a multiple of 3: strictly less than a third is one less.
    assert_eq!(third.largest_below(u64::MAX), u64::MAX / 3 - 1);
}

fn from_json(v: serde_json::Value) -> Result<GraphDescription, ChainsError> {
    chains(&ChainsSpec::from_json(&v)?)
}

/// Bad chains files are refused with the reason, never a panic.
#[test]
fn chains_bad_input_is_refused() {
    use serde_json::json;
    let ok = json!({"chains": {"red": {"R1": 1, "R2": 2, "R3": 3, "R4": 4}}, "faults": "1/4"});
    let spec = ChainsSpec::from_json(&ok).unwrap();
    assert_eq!(spec.faults, Fraction { num: 1, den: 4 });
    assert_eq!(spec.chains[0].stakes[3], ("R4".to_string(), 4));
    from_json(ok).unwrap();
    let cases = [
        (json!({"chains": {"red": {}}}), "has no validators"),
        (
            json!({"chains": {"red": {"R1": 0, "R2": 0}}}),
            "has no stake",
        ),
        (
            json!({"chains": {"red": {"R1": 1}}, "faults": "one third"}),
            "\"p/q\"",
        ),
        (
            json!({"chains": {"red": {"R1": 1}}, "faults": 0.33}),
            "\"p/q\"",
        ),
        (
            json!({"chains": {"red": {"R1": 1}}, "faults": "1/2/3"}),
            "integers",
        ),
        (json!({"chains": {}}), "no chains"),
        (
            json!({"chains": {"red": {"R1": -1}}}),
            "non-negative integer",
        ),
        (
            json!({"chains": {"red": {"R1": 1.5}}}),
            "non-negative integer",
        ),
        (
            json!({"chains": {"red": ["R1"]}}),
            "validator names to stakes",
        ),
        (
            json!({"chains": {"red": {"R1": 1}}, "fault": "1/3"}),
            "unknown field",
        ),
        (json!([1, 2]), "is an object"),
        (
            json!({"chains": {"red": {"R1": u64::MAX, "R2": 1}}}),
            "exceeds",
        ),
        // 1/2 of 7: up to 3 Byzantine, and 3·3 ≥ 7.
        (
            json!({"chains": {"red": {"R1": 3, "R2": 4}}, "faults": "1/2"}),
            "3·3 < 7",
        ),
        (json!({"chains": {"red": {"": 1}}}), "empty name"),
    ];
    for (v, needle) in cases {
        let e = from_json(v.clone()).unwrap_err().to_string();
        assert!(e.contains(needle), "{v}: {e}");
    }
    // A larger fraction where it still leaves an honest overlap: 2/5 of
    // 10 is up to 3 Byzantine, 3·3 < 10.
    from_json(json!({"chains": {"red": {"R1": 5, "R2": 5}}, "faults": "2/5"})).unwrap();
}

/// Configs generated from a chains graph load back, with the same graph.
#[test]
fn chains_configs_load() {
    let desc = chains(&seven_each(&["red", "blue"])).unwrap();
    let g = generate(&desc, &addrs(14)).unwrap();
    let dir = write_to("chains", &g);
    let c = load_cluster(&dir.join("cluster.json")).unwrap();
    assert_eq!(*c.graph, LearnerGraph::from_description(&desc).unwrap());
    let text = std::fs::read_to_string(dir.join("cluster.json")).unwrap();
    assert!(text.contains("\"quorumFamily\"") && text.contains("\"weighted\""));
    // The graph file form reads back to the same description.
    let back = parse_graph(graph_file(&desc, &[])).unwrap().description;
    assert_eq!(back.acceptors, desc.acceptors);
    assert_eq!(
        LearnerGraph::from_description(&back).unwrap(),
        LearnerGraph::from_description(&desc).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Brute force LG-4 on the condensed graph: every split of the acceptors
/// into `A`, `B`, `C`; a violation is `A ∪ B` in the CLG edge `a–b` with
/// `A ∪ C` a quorum of `a` and `B ∪ C` one of `b`. Returns the first found.
fn brute_force_violation(g: &LearnerGraph) -> Option<(String, String)> {
    let ids: Vec<_> = g.acceptor_ids().collect();
    let splits = 3usize.pow(ids.len() as u32);
    for code in 0..splits {
        let (mut a_side, mut b_side, mut common) = (
            hetpaxos_quorums::AcceptorSet::EMPTY,
            hetpaxos_quorums::AcceptorSet::EMPTY,
            hetpaxos_quorums::AcceptorSet::EMPTY,
        );
        let mut rest = code;
        for &id in &ids {
            match rest % 3 {
                0 => a_side.insert(id),
                1 => b_side.insert(id),
                _ => common.insert(id),
            }
            rest /= 3;
        }
        for a in g.learner_ids() {
            for b in g.learner_ids().filter(|b| *b >= a) {
                if g.condensed_holds(a, b, a_side.union(b_side))
                    && g.is_quorum(a, a_side.union(common))
                    && g.is_quorum(b, b_side.union(common))
                {
                    return Some((g.learner_name(a).into(), g.learner_name(b).into()));
                }
            }
        }
    }
    None
}

/// The construction checked without the search: three chains of four
/// validators, one of them on all three chains, one with stake 0, every
/// split of the 10 acceptors tried (3^10). The control (quorums of one's own chain
/// only) is caught by the same brute force.
#[test]
fn chains_are_valid_by_brute_force() {
    let spec = ChainsSpec {
        chains: vec![
            Chain {
                name: "red".into(),
                stakes: stakes(&[("R1", 7), ("R2", 2), ("R3", 5), ("S", 3)]),
            },
            Chain {
                name: "blue".into(),
                stakes: stakes(&[("B1", 1), ("B2", 9), ("S", 4), ("B3", 6)]),
            },
            Chain {
                name: "green".into(),
                stakes: stakes(&[("G1", 8), ("S", 10), ("G2", 0), ("G3", 11)]),
            },
        ],
        faults: Fraction::ONE_THIRD,
    };
    let d = chains_unchecked(&spec).unwrap();
    assert_eq!(d.acceptors.len(), 10);
    let g = LearnerGraph::from_description(&d).unwrap();
    assert_eq!(brute_force_violation(&g), None);
    assert!(g.violations().is_empty(), "{:?}", g.violations());
    let mut own = d.clone();
    for (i, (_, q)) in own.learners.iter_mut().enumerate() {
        if let FamilyDesc::All(members) = q.clone()
            && let MemberDesc::Family(f) = &members[i]
        {
            *q = f.clone();
        }
    }
    let g = LearnerGraph::from_description(&own).unwrap();
    assert!(brute_force_violation(&g).is_some());
}

/// Three chains of seven with these (distinct) stakes: valid by
/// construction, and decided by the exact check (it places chain after
/// chain and merges placements whose thresholds come out the same; it used
/// to run out of its budget here).
#[test]
fn three_chains_of_seven_any_stakes_are_decided() {
    let chain = |name: &str, initial: char, s: [u64; 7]| Chain {
        name: name.into(),
        stakes: s
            .iter()
            .enumerate()
            .map(|(i, &w)| (format!("{initial}{}", i + 1), w))
            .collect(),
    };
    let spec = ChainsSpec {
        chains: vec![
            chain("red", 'R', [145, 16, 159, 53, 128, 175, 137]),
            chain("blue", 'B', [110, 199, 81, 120, 150, 117, 93]),
            chain("green", 'G', [77, 64, 47, 179, 63, 21, 148]),
        ],
        faults: Fraction::ONE_THIRD,
    };
    chains(&spec).unwrap();
}
