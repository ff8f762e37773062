//! Property: whatever a crash or a flipped byte does to a log, open returns a
//! prefix of the records written or names the damaged record; never a wrong
//! record, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{log_bytes, offsets, open_bytes};
use hetpaxos_wal::{MAGIC, TornTail, Wal, WalError};
use proptest::prelude::*;
use proptest::sample::Index;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn open_returns_a_prefix_or_names_the_damaged_record(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..48), 0..8),
        cut in any::<Index>(),
        damage in prop::option::of((any::<Index>(), 1u8..=255)),
    ) {
        let full = log_bytes(&payloads);
        let (starts, _) = offsets(&payloads);
        let cut = cut.index(full.len() + 1);
        let mut bytes = full[..cut].to_vec();
        // The damaged position, if it lies before the cut.
        let damaged = damage.and_then(|(at, xor)| {
            let at = at.index(full.len());
            (at < cut).then(|| { bytes[at] ^= xor; at })
        });
        let complete = starts.iter().zip(&payloads)
            .take_while(|&(s, p)| *s as usize + 12 + p.len() <= cut)
            .count();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.wal");
        let result = open_bytes(&path, &bytes);
        let accepted = result.as_ref().ok().map(|(_, records, _)| records.clone());

        match damaged {
            Some(at) if at < MAGIC.len() => {
                prop_assert!(matches!(result, Err(WalError::BadMagic { .. })), "{:?}", result);
            }
            Some(at) => {
                // The record holding the damaged byte.
                let k = starts.iter().rposition(|&s| s as usize <= at).unwrap();
                match result {
                    Ok((_, records, report)) => {
                        prop_assert!(k + 1 >= complete, "damage in record {} skipped before complete record {}", k, complete);
                        prop_assert_eq!(&records[..], &payloads[..k]);
                        let torn = TornTail { offset: starts[k], discarded_bytes: (cut as u64) - starts[k] };
                        prop_assert_eq!(report.torn_tail, Some(torn));
                    }
                    Err(WalError::Corrupt { offset, .. }) => {
                        prop_assert_eq!(offset, starts[k]);
                        prop_assert_eq!(std::fs::read(&path).unwrap(), bytes);
                    }
                    Err(other) => prop_assert!(false, "unexpected error {:?}", other),
                }
            }
            None => {
                let (_, records, report) = result.unwrap();
                if cut < MAGIC.len() {
                    prop_assert!(records.is_empty());
                    prop_assert_eq!(report.torn_tail, None);
                } else {
                    prop_assert_eq!(&records[..], &payloads[..complete]);
                    let boundary = starts.get(complete).map_or(cut as u64, |&s| s);
                    let torn = (boundary < cut as u64)
                        .then_some(TornTail { offset: boundary, discarded_bytes: cut as u64 - boundary });
                    prop_assert_eq!(report.torn_tail, torn);
                }
            }
        }

        // Whatever open accepted, it accepts again unchanged, with no torn tail.
        if let Some(first) = accepted {
            let (_, again, report) = Wal::open(&path).unwrap();
            prop_assert_eq!(again, first);
            prop_assert_eq!(report.torn_tail, None);
        }
    }
}
