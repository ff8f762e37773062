//! A torn tail (a crash in the middle of a write) is cut off, and only that.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{log_bytes, offsets, open_bytes, varied_payloads};
use hetpaxos_wal::{MAGIC, TornTail, Wal};

#[test]
fn torn_tail_at_every_offset_of_the_last_record() {
    let payloads = varied_payloads();
    let full = log_bytes(&payloads);
    let (starts, end) = offsets(&payloads);
    let last = *starts.last().unwrap();
    let earlier = &payloads[..payloads.len() - 1];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torn.wal");
    for cut in last..end {
        let (wal, records, report) = open_bytes(&path, &full[..cut as usize]).unwrap();
        assert_eq!(records, earlier, "cut at {cut}");
        let expected = (cut > last).then_some(TornTail {
            offset: last,
            discarded_bytes: cut - last,
        });
        assert_eq!(report.torn_tail, expected, "cut at {cut}");
        assert_eq!(report.records, earlier.len() as u64);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            last,
            "cut at {cut}"
        );
        drop(wal);

        let (mut wal, _, _) = Wal::open(&path).unwrap();
        wal.append(b"after the cut").unwrap();
        wal.sync().unwrap();
        drop(wal);
        let (_, records, report) = Wal::open(&path).unwrap();
        assert_eq!(report.torn_tail, None, "cut at {cut}");
        assert_eq!(records.len(), payloads.len());
        assert_eq!(&records[..earlier.len()], earlier);
        assert_eq!(records[earlier.len()], b"after the cut");
    }
}

#[test]
fn zero_filled_tail_is_cut_off() {
    let payloads = varied_payloads();
    let full = log_bytes(&payloads);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.wal");
    for zeros in [1usize, 11, 12, 13, 40, 4096] {
        let mut bytes = full.clone();
        bytes.resize(full.len() + zeros, 0);
        let (_, records, report) = open_bytes(&path, &bytes).unwrap();
        assert_eq!(records, payloads, "{zeros} zeros");
        let expected = TornTail {
            offset: full.len() as u64,
            discarded_bytes: zeros as u64,
        };
        assert_eq!(report.torn_tail, Some(expected), "{zeros} zeros");
        assert_eq!(std::fs::read(&path).unwrap(), full, "{zeros} zeros");
    }
}

#[test]
fn zeros_after_the_magic_are_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.wal");
    let mut bytes = MAGIC.to_vec();
    bytes.resize(100, 0);
    let (_, records, report) = open_bytes(&path, &bytes).unwrap();
    assert!(records.is_empty());
    assert_eq!(
        report.torn_tail,
        Some(TornTail {
            offset: 8,
            discarded_bytes: 92
        })
    );
    assert_eq!(std::fs::read(&path).unwrap(), MAGIC);
}

#[test]
fn torn_creation_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.wal");
    for len in 0..MAGIC.len() {
        let (mut wal, records, report) = open_bytes(&path, &MAGIC[..len]).unwrap();
        assert!(records.is_empty(), "{len} bytes of magic");
        assert_eq!(report.records, 0);
        assert_eq!(std::fs::read(&path).unwrap(), MAGIC, "{len} bytes of magic");
        wal.append(b"x").unwrap();
        wal.sync().unwrap();
        drop(wal);
        let (_, records, _) = Wal::open(&path).unwrap();
        assert_eq!(records, vec![b"x".to_vec()]);
    }
}
