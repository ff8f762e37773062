//! Records written are the records read back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{offsets, varied_payloads};
use hetpaxos_wal::{MAGIC, MAX_RECORD_BYTES, Wal, WalError};

#[test]
fn open_creates_a_log_holding_only_the_magic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.wal");
    let (wal, records, report) = Wal::open(&path).unwrap();
    assert!(records.is_empty());
    assert_eq!((report.records, report.torn_tail), (0, None));
    assert_eq!((wal.records(), wal.buffered_bytes()), (0, 0));
    assert_eq!(wal.path(), path);
    assert_eq!(std::fs::read(&path).unwrap(), MAGIC);
}

#[test]
fn round_trip_of_varied_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wal");
    let payloads = varied_payloads();
    let (mut wal, _, _) = Wal::open(&path).unwrap();
    for p in &payloads {
        wal.append(p).unwrap();
    }
    assert_eq!(wal.records(), payloads.len() as u64);
    let (_, end) = offsets(&payloads);
    assert_eq!(wal.buffered_bytes() as u64, end - MAGIC.len() as u64);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        MAGIC.len() as u64,
        "append only buffers"
    );
    wal.sync().unwrap();
    assert_eq!(wal.buffered_bytes(), 0);
    drop(wal);

    assert_eq!(std::fs::metadata(&path).unwrap().len(), end);
    let (wal, records, report) = Wal::open(&path).unwrap();
    assert_eq!(records, payloads);
    assert_eq!(report.records, payloads.len() as u64);
    assert_eq!(report.torn_tail, None);
    assert_eq!(wal.records(), payloads.len() as u64);
}

#[test]
fn written_but_unsynced_records_are_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wal");
    let (mut wal, _, _) = Wal::open(&path).unwrap();
    wal.append(b"one").unwrap();
    wal.append(b"").unwrap();
    wal.write().unwrap();
    wal.append(b"never written").unwrap();
    drop(wal);
    let (_, records, _) = Wal::open(&path).unwrap();
    assert_eq!(records, vec![b"one".to_vec(), Vec::new()]);
}

#[test]
fn appends_continue_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wal");
    for round in 0..3u8 {
        let (mut wal, records, _) = Wal::open(&path).unwrap();
        let expected: Vec<Vec<u8>> = (0..round).map(|r| vec![r; usize::from(r) * 5]).collect();
        assert_eq!(records, expected);
        wal.append(&vec![round; usize::from(round) * 5]).unwrap();
        wal.sync().unwrap();
        assert_eq!(wal.records(), u64::from(round) + 1);
    }
}

#[test]
fn oversized_records_are_refused_without_poisoning() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _, _) = Wal::open(&dir.path().join("a.wal")).unwrap();
    let huge = vec![0u8; MAX_RECORD_BYTES + 1];
    let err = wal.append(&huge).unwrap_err();
    assert!(
        matches!(err, WalError::TooLarge { len, max } if len == MAX_RECORD_BYTES + 1 && max == MAX_RECORD_BYTES),
        "{err:?}"
    );
    assert_eq!((wal.records(), wal.buffered_bytes()), (0, 0));
    wal.append(b"fine").unwrap();
    wal.sync().unwrap();
    assert!(!wal.is_poisoned());
}

#[test]
fn a_record_of_the_maximum_size_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wal");
    let big: Vec<u8> = (0..MAX_RECORD_BYTES).map(|i| (i % 251) as u8).collect();
    let (mut wal, _, _) = Wal::open(&path).unwrap();
    wal.append(&big).unwrap();
    wal.append(b"after").unwrap();
    wal.sync().unwrap();
    drop(wal);
    let (_, records, _) = Wal::open(&path).unwrap();
    assert_eq!(records.len(), 2);
    assert!(records[0] == big && records[1] == b"after");
}
