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
    assert_eq!(d.learners[0].1.len(), 4);
    assert_eq!(d.safe_sets.len(), 3);
    assert!(homogeneous(100, 1).is_err());
}

/// The serde types follow `proto/config.proto`: every proto field appears in
/// the JSON under its lowerCamelCase name.
#[test]
fn json_field_names_match_the_proto() {
    let fds = protox::compile(
        ["config.proto"],
        [concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto")],
    )
    .unwrap();
    let g = generate(&homogeneous(4, 1).unwrap(), &addrs(4)).unwrap();
    let acceptor = serde_json::to_value(&g.acceptors[0]).unwrap();
    let cluster = &acceptor["cluster"];
    let client = serde_json::to_value(&g.clients[0]).unwrap();
    let samples: Vec<(&str, &serde_json::Value)> = vec![
        ("AcceptorConfig", &acceptor),
        ("ClusterConfig", cluster),
        ("AcceptorInfo", &cluster["acceptors"][0]),
        ("LearnerInfo", &cluster["learners"][0]),
        ("SafeSets", &cluster["safeSets"][0]),
        ("AcceptorNames", &cluster["learners"][0]["quorums"][0]),
        ("ClientInfo", &cluster["proposers"][0]),
        ("ClientConfig", &client),
    ];
    let file = &fds.file[0];
    assert_eq!(file.message_type.len(), samples.len());
    for (name, v) in samples {
        let m = file.message_type.iter().find(|m| m.name() == name).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), m.field.len(), "{name}");
        for f in &m.field {
            assert!(obj.contains_key(f.json_name()), "{name}.{}", f.json_name());
        }
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
