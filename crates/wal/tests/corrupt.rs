//! Damage before the tail is an error naming the file and the offset, and the
//! file is left as it was.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{log_bytes, offsets, open_bytes};
use hetpaxos_wal::{CorruptReason, HEADER_BYTES, MAGIC, MAX_RECORD_BYTES, TornTail, WalError};

fn payloads() -> Vec<Vec<u8>> {
    vec![
        b"first".to_vec(),
        Vec::new(),
        (0..30u8).collect(),
        b"third".to_vec(),
        b"last".to_vec(),
    ]
}

#[test]
fn a_flipped_byte_in_any_record_but_the_last_is_corruption_at_that_record() {
    let payloads = payloads();
    let full = log_bytes(&payloads);
    let (starts, _) = offsets(&payloads);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.wal");
    for (k, window) in starts.windows(2).enumerate() {
        let (start, next) = (window[0], window[1]);
        for at in start..next {
            let mut bytes = full.clone();
            bytes[at as usize] ^= 0xFF;
            let err = open_bytes(&path, &bytes).unwrap_err();
            let expected = if at < start + HEADER_BYTES as u64 {
                CorruptReason::HeaderChecksum
            } else {
                CorruptReason::PayloadChecksum
            };
            match &err {
                WalError::Corrupt {
                    path: p,
                    offset,
                    reason,
                } => {
                    assert_eq!(
                        (*offset, *reason),
                        (start, expected),
                        "record {k}, byte {at}"
                    );
                    assert_eq!(p, &path);
                }
                other => panic!("record {k}, byte {at}: {other:?}"),
            }
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes,
                "open changed a corrupt file"
            );
        }
    }
}

#[test]
fn corruption_message_names_the_file_and_the_offset() {
    let payloads = payloads();
    let mut bytes = log_bytes(&payloads);
    let (starts, _) = offsets(&payloads);
    bytes[starts[2] as usize + HEADER_BYTES + 3] ^= 0xFF;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acceptor.wal");
    let msg = open_bytes(&path, &bytes).unwrap_err().to_string();
    let expected = format!(
        "corrupt record at byte {} of {}: payload checksum mismatch (the log is damaged before its tail; refusing to start)",
        starts[2],
        path.display()
    );
    assert_eq!(msg, expected);
}

#[test]
fn a_flipped_byte_in_the_magic_is_bad_magic() {
    let full = log_bytes(&payloads());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wal");
    for at in 0..MAGIC.len() {
        let mut bytes = full.clone();
        bytes[at] ^= 0xFF;
        let err = open_bytes(&path, &bytes).unwrap_err();
        assert!(
            matches!(&err, WalError::BadMagic { path: p } if p == &path),
            "byte {at}: {err:?}"
        );
        assert!(err.to_string().contains(&path.display().to_string()));
    }
    for other in [&b"hello, world"[..], b"HPXWAL\0\x02", b"X"] {
        let err = open_bytes(&path, other).unwrap_err();
        assert!(
            matches!(err, WalError::BadMagic { .. }),
            "{other:?}: {err:?}"
        );
    }
}

#[test]
fn a_damaged_last_payload_is_a_torn_tail() {
    let payloads = payloads();
    let full = log_bytes(&payloads);
    let (starts, end) = offsets(&payloads);
    let last = *starts.last().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wal");
    for at in last + HEADER_BYTES as u64..end {
        let mut bytes = full.clone();
        bytes[at as usize] ^= 0xFF;
        let (_, records, report) = open_bytes(&path, &bytes).unwrap();
        assert_eq!(records, payloads[..payloads.len() - 1], "byte {at}");
        let torn = TornTail {
            offset: last,
            discarded_bytes: end - last,
        };
        assert_eq!(report.torn_tail, Some(torn), "byte {at}");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), last);
    }
}

#[test]
fn a_damaged_last_header_is_corruption() {
    let payloads = payloads();
    let full = log_bytes(&payloads);
    let (starts, _) = offsets(&payloads);
    let last = *starts.last().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.wal");
    for at in last..last + HEADER_BYTES as u64 {
        let mut bytes = full.clone();
        bytes[at as usize] ^= 0xFF;
        let err = open_bytes(&path, &bytes).unwrap_err();
        assert!(
            matches!(err, WalError::Corrupt { offset, reason: CorruptReason::HeaderChecksum, .. } if offset == last),
            "byte {at}: {err:?}"
        );
    }
}

/// A header with a valid checksum naming payload length `len`.
fn header_naming(len: u32) -> Vec<u8> {
    let mut h = len.to_le_bytes().to_vec();
    h.extend_from_slice(&0u32.to_le_bytes());
    let crc = crc32fast::hash(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    h
}

#[test]
fn an_intact_header_naming_an_oversized_length_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.wal");
    for len in [MAX_RECORD_BYTES as u32 + 1, u32::MAX] {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&header_naming(len));
        let err = open_bytes(&path, &bytes).unwrap_err();
        assert!(
            matches!(err, WalError::Corrupt { offset: 8, reason: CorruptReason::TooLong { len: l }, .. } if l == len),
            "{err:?}"
        );
    }
}

#[test]
fn an_intact_header_naming_more_bytes_than_remain_is_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.wal");
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&header_naming(MAX_RECORD_BYTES as u32));
    bytes.extend_from_slice(b"only a little");
    let (_, records, report) = open_bytes(&path, &bytes).unwrap();
    assert!(records.is_empty());
    assert_eq!(
        report.torn_tail,
        Some(TornTail {
            offset: 8,
            discarded_bytes: 25
        })
    );
}
