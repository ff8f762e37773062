//! Injected file failures: a failed write or sync poisons the log for good.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::FakeFile;
use hetpaxos_wal::{MAGIC, Wal, WalError};

/// Calls of `write_all_at` and `sync_data` so far.
fn counts(fake: &FakeFile) -> (usize, usize) {
    let s = fake.state();
    (s.writes, s.syncs)
}

fn open_fake(fake: &FakeFile) -> Wal {
    let (wal, records, _) =
        Wal::open_with(Box::new(fake.clone()), PathBuf::from("/fake/acceptor.wal")).unwrap();
    assert!(records.is_empty());
    wal
}

fn assert_poisoned(result: Result<(), WalError>, what: &str) {
    match result {
        Err(WalError::Poisoned { path }) => assert_eq!(path, PathBuf::from("/fake/acceptor.wal")),
        other => panic!("{what} after a failure gave {other:?}"),
    }
}

#[test]
fn a_failed_sync_poisons_and_is_never_retried() {
    let fake = FakeFile::with(&MAGIC);
    let mut wal = open_fake(&fake);
    wal.append(b"a").unwrap();
    fake.state().fail_sync = true;
    match wal.sync() {
        Err(WalError::Io {
            op: "sync", path, ..
        }) => {
            assert_eq!(path, PathBuf::from("/fake/acceptor.wal"));
        }
        other => panic!("sync gave {other:?}"),
    }
    assert_eq!(fake.state().syncs, 1);
    assert!(wal.is_poisoned());

    // Even once the file would work again, nothing is retried.
    fake.state().fail_sync = false;
    assert_poisoned(wal.append(b"b"), "append");
    assert_poisoned(wal.write(), "write");
    assert_poisoned(wal.sync(), "sync");
    let s = fake.state();
    assert_eq!((s.syncs, s.writes), (1, 1));
}

#[test]
fn a_failed_write_poisons() {
    let fake = FakeFile::with(&MAGIC);
    let mut wal = open_fake(&fake);
    wal.append(b"a").unwrap();
    fake.state().fail_write = true;
    assert!(matches!(
        wal.write(),
        Err(WalError::Io { op: "write to", .. })
    ));
    fake.state().fail_write = false;
    assert_poisoned(wal.append(b"b"), "append");
    assert_poisoned(wal.write(), "write");
    assert_poisoned(wal.sync(), "sync");
    let s = fake.state();
    assert_eq!((s.syncs, s.writes), (0, 1));
    assert_eq!(s.bytes, MAGIC);
}

#[test]
fn a_failed_write_inside_sync_poisons_without_syncing() {
    let fake = FakeFile::with(&MAGIC);
    let mut wal = open_fake(&fake);
    wal.append(b"a").unwrap();
    fake.state().fail_write = true;
    assert!(matches!(
        wal.sync(),
        Err(WalError::Io { op: "write to", .. })
    ));
    assert_poisoned(wal.sync(), "sync");
    assert_eq!(fake.state().syncs, 0);
}

#[test]
fn sync_writes_then_syncs_and_skips_needless_syncs() {
    let fake = FakeFile::with(&MAGIC);
    let mut wal = open_fake(&fake);
    wal.sync().unwrap();
    assert_eq!(counts(&fake), (0, 0), "nothing to sync");
    wal.append(b"a").unwrap();
    wal.append(b"bc").unwrap();
    wal.sync().unwrap();
    assert_eq!(counts(&fake), (1, 1));
    wal.write().unwrap();
    wal.sync().unwrap();
    assert_eq!(counts(&fake), (1, 1), "already durable");
    let bytes = fake.state().bytes.clone();
    let (_, records, _) =
        Wal::open_with(Box::new(FakeFile::with(&bytes)), PathBuf::from("x")).unwrap();
    assert_eq!(records, vec![b"a".to_vec(), b"bc".to_vec()]);
}

/// Records read at open may be only in the page cache: the first sync
/// syncs even with nothing new to write, and only the first.
#[test]
fn the_first_sync_after_open_covers_what_was_read() {
    let bytes = common::log_bytes(&[b"sent".to_vec()]);
    let fake = FakeFile::with(&bytes);
    let (mut wal, records, _) =
        Wal::open_with(Box::new(fake.clone()), PathBuf::from("/fake/acceptor.wal")).unwrap();
    assert_eq!(records, vec![b"sent".to_vec()]);
    assert_eq!(counts(&fake), (0, 0));
    wal.sync().unwrap();
    assert_eq!(counts(&fake), (0, 1), "what was read is synced");
    wal.sync().unwrap();
    assert_eq!(counts(&fake), (0, 1), "once");
}

#[test]
fn a_failed_truncation_of_a_torn_tail_fails_the_open() {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 2, 3]);
    let fake = FakeFile::with(&bytes);
    fake.state().fail_set_len = true;
    let result = Wal::open_with(Box::new(fake.clone()), PathBuf::from("/fake/acceptor.wal"));
    assert!(
        matches!(result, Err(WalError::Io { op: "truncate", .. })),
        "{result:?}"
    );
    assert_eq!(fake.state().bytes, bytes);
}

#[test]
fn a_failed_sync_of_the_truncation_fails_the_open() {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&[0; 20]);
    let fake = FakeFile::with(&bytes);
    fake.state().fail_sync = true;
    let result = Wal::open_with(Box::new(fake.clone()), PathBuf::from("/fake/acceptor.wal"));
    assert!(
        matches!(result, Err(WalError::Io { op: "sync", .. })),
        "{result:?}"
    );
    assert_eq!(fake.state().syncs, 1);
}
