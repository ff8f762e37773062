//! The data directory: private, locked, and bound to one key in one cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use hetpaxos_wal::{DataDir, DataDirError, Identity, Wal};

fn alice() -> Identity {
    Identity {
        acceptor: "alice".into(),
        public_key: "3b6a27bcceb6a42d62a3a8d02a6f0d73".into(),
        cluster: "9f86d081884c7d659a2feaa0c55ad015".into(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn first_open_records_the_identity_and_later_opens_accept_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nested").join("data");
    let dir = DataDir::open(&path, &alice()).unwrap();
    assert_eq!(dir.path(), path);
    assert_eq!(dir.wal_path(), path.join("acceptor.wal"));
    let identity = read(&path.join("IDENTITY"));
    assert!(
        identity.contains("\npublic_key = 3b6a27bcceb6a42d62a3a8d02a6f0d73\n"),
        "{identity}"
    );
    assert!(
        identity.contains("\ncluster = 9f86d081884c7d659a2feaa0c55ad015\n"),
        "{identity}"
    );
    assert!(identity.contains("\nacceptor = alice\n"), "{identity}");
    assert!(!path.join("IDENTITY.tmp").exists());
    assert_eq!(
        read(&path.join("LOCK")).trim(),
        std::process::id().to_string()
    );
    drop(dir);

    DataDir::open(&path, &alice()).unwrap();
    // Renaming the acceptor is harmless, and the recorded name is kept.
    let renamed = Identity {
        acceptor: "alice-2".into(),
        ..alice()
    };
    DataDir::open(&path, &renamed).unwrap();
    assert_eq!(read(&path.join("IDENTITY")), identity);
    // Hex is compared ignoring case.
    let upper = Identity {
        public_key: alice().public_key.to_uppercase(),
        ..alice()
    };
    DataDir::open(&path, &upper).unwrap();
}

#[test]
fn another_key_or_cluster_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    drop(DataDir::open(&path, &alice()).unwrap());
    let other_key = Identity {
        public_key: "00".into(),
        ..alice()
    };
    let other_cluster = Identity {
        cluster: "11".into(),
        ..alice()
    };
    for (identity, field, expected, found) in [
        (other_key, "public_key", "00", alice().public_key),
        (other_cluster, "cluster", "11", alice().cluster),
    ] {
        match DataDir::open(&path, &identity) {
            Err(err @ DataDirError::IdentityMismatch { .. }) => {
                let DataDirError::IdentityMismatch {
                    path: p,
                    field: f,
                    expected: e,
                    found: x,
                } = &err
                else {
                    unreachable!()
                };
                assert_eq!((p, *f, e.as_str(), x), (&path, field, expected, &found));
                let msg = err.to_string();
                assert!(
                    msg.contains(field) && msg.contains(&path.display().to_string()),
                    "{msg}"
                );
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_second_open_while_the_first_lives_is_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    let first = DataDir::open(&path, &alice()).unwrap();
    let err = DataDir::open(&path, &alice()).unwrap_err();
    let pid = std::process::id();
    assert!(
        matches!(&err, DataDirError::Locked { path: p, pid: Some(found) } if p == &path && *found == pid),
        "{err:?}"
    );
    assert!(err.to_string().contains(&format!("(pid {pid})")), "{err}");
    drop(first);
    DataDir::open(&path, &alice()).unwrap();
}

#[test]
fn a_garbled_identity_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    drop(DataDir::open(&path, &alice()).unwrap());
    let file = path.join("IDENTITY");
    for garbage in [
        &b"this is not an identity"[..],
        b"format = 1\nacceptor = alice\npublic_key = 00\n",
        b"format = 1\nacceptor = alice\npublic_key = 00\ncluster = 11\nextra = 1\n",
        b"\xff\xfe\x00",
    ] {
        std::fs::write(&file, garbage).unwrap();
        let err = DataDir::open(&path, &alice()).unwrap_err();
        assert!(
            matches!(&err, DataDirError::BadIdentity { path: p, .. } if p == &file),
            "{err:?}"
        );
    }
}

#[test]
fn an_unrecordable_identity_is_refused_before_touching_the_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    let bad = Identity {
        acceptor: "two\nlines".into(),
        ..alice()
    };
    let err = DataDir::open(&path, &bad).unwrap_err();
    assert!(
        matches!(
            err,
            DataDirError::InvalidIdentity {
                field: "acceptor",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!path.exists());
}

#[cfg(unix)]
#[test]
fn a_new_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data");
    let _dir = DataDir::open(&path, &alice()).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn the_log_lives_in_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::open(&tmp.path().join("data"), &alice()).unwrap();
    let (mut wal, _, _) = Wal::open(&dir.wal_path()).unwrap();
    wal.append(b"promise").unwrap();
    wal.sync().unwrap();
    drop(wal);
    let (_, records, _) = Wal::open(&dir.wal_path()).unwrap();
    assert_eq!(records, vec![b"promise".to_vec()]);
}
