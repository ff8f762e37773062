//! The on-disk framing: the file header, the record header, and the scan of a
//! whole file into records under the reading rules of the crate docs.

use crate::error::CorruptReason;

/// The format version, the last byte of [`MAGIC`].
pub const FORMAT_VERSION: u8 = 1;

/// The first 8 bytes of every log file; the last byte is [`FORMAT_VERSION`].
pub const MAGIC: [u8; 8] = *b"HPXWAL\0\x01";

/// Length of a record header: `len`, `payload_crc`, `header_crc`, each a
/// little-endian `u32`.
pub const HEADER_BYTES: usize = 12;

/// The largest payload a record may carry: 64 MiB.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// The header of a record carrying `payload`, or `None` if the payload is
/// longer than [`MAX_RECORD_BYTES`].
pub(crate) fn header(payload: &[u8]) -> Option<[u8; HEADER_BYTES]> {
    if payload.len() > MAX_RECORD_BYTES {
        return None;
    }
    let len = u32::try_from(payload.len()).ok()?;
    let mut h = [0u8; HEADER_BYTES];
    h[0..4].copy_from_slice(&len.to_le_bytes());
    h[4..8].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    let header_crc = crc32fast::hash(&h[0..8]);
    h[8..12].copy_from_slice(&header_crc.to_le_bytes());
    Some(h)
}

/// What the bytes of a file start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// The full magic.
    Magic,
    /// Fewer than 8 bytes, all a prefix of the magic (a torn creation).
    TornMagic,
    /// Anything else.
    Bad,
}

/// Classifies the start of a file.
pub(crate) fn start(bytes: &[u8]) -> Start {
    if bytes.starts_with(&MAGIC) {
        Start::Magic
    } else if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
        Start::TornMagic
    } else {
        Start::Bad
    }
}

/// The records of a file whose magic has been checked.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// The payloads, in order.
    pub records: Vec<Vec<u8>>,
    /// End of the last good record: the file's length, or the offset of the
    /// torn tail.
    pub end: usize,
    /// Whether bytes after `end` are a torn tail to cut off.
    pub torn: bool,
}

/// A damaged record before the tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Offset of the record's header.
    pub offset: usize,
    /// What is wrong with it.
    pub reason: CorruptReason,
}

/// Parses the records of `bytes` (a whole file, magic included) by the reading
/// rules of the crate docs. Allocates only copies of payloads whose bytes are
/// present and checked.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scanned, Damage> {
    let mut records = Vec::new();
    let mut o = MAGIC.len();
    loop {
        let rest = bytes.get(o..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(Scanned {
                records,
                end: o,
                torn: false,
            });
        }
        let torn = |records| {
            Ok(Scanned {
                records,
                end: o,
                torn: true,
            })
        };
        let damage = |reason| Err(Damage { offset: o, reason });
        let Some((h, after)) = rest.split_first_chunk::<HEADER_BYTES>() else {
            return torn(records);
        };
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let payload_crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let header_crc = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        if crc32fast::hash(&h[0..8]) != header_crc {
            if rest.iter().all(|&b| b == 0) {
                return torn(records);
            }
            return damage(CorruptReason::HeaderChecksum);
        }
        if u64::from(len) > MAX_RECORD_BYTES as u64 {
            return damage(CorruptReason::TooLong { len });
        }
        let Some(payload) = usize::try_from(len).ok().and_then(|n| after.get(..n)) else {
            return torn(records);
        };
        if crc32fast::hash(payload) != payload_crc {
            if payload.len() == after.len() {
                return torn(records);
            }
            return damage(CorruptReason::PayloadChecksum);
        }
        records.push(payload.to_vec());
        o += HEADER_BYTES + payload.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(payloads: &[&[u8]]) -> Vec<u8> {
        let mut f = MAGIC.to_vec();
        for p in payloads {
            f.extend_from_slice(&header(p).unwrap_or_default());
            f.extend_from_slice(p);
        }
        f
    }

    #[test]
    fn scans_what_it_frames() {
        let f = file(&[b"", b"a", b"hello world"]);
        let s = scan(&f).map_err(|d| d.offset);
        let s = s.as_ref().ok();
        assert_eq!(
            s.map(|s| s.records.clone()),
            Some(vec![b"".to_vec(), b"a".to_vec(), b"hello world".to_vec()])
        );
        assert_eq!(s.map(|s| (s.end, s.torn)), Some((f.len(), false)));
    }

    #[test]
    fn refuses_oversized_payloads() {
        assert!(header(&vec![0u8; MAX_RECORD_BYTES + 1]).is_none());
        assert!(header(&[0u8; 3]).is_some());
    }

    #[test]
    fn an_intact_header_naming_a_huge_length_is_damage() {
        let len = u32::MAX.to_le_bytes();
        let mut h = [0u8; HEADER_BYTES];
        h[0..4].copy_from_slice(&len);
        let crc = crc32fast::hash(&h[0..8]);
        h[8..12].copy_from_slice(&crc.to_le_bytes());
        let mut f = MAGIC.to_vec();
        f.extend_from_slice(&h);
        let d = scan(&f).err();
        assert_eq!(
            d,
            Some(Damage {
                offset: MAGIC.len(),
                reason: CorruptReason::TooLong { len: u32::MAX }
            })
        );
    }

    #[test]
    fn classifies_the_start() {
        assert_eq!(start(b""), Start::TornMagic);
        assert_eq!(start(b"HPXW"), Start::TornMagic);
        assert_eq!(start(b"HPXWAL\0\x01"), Start::Magic);
        assert_eq!(start(b"HPXWAL\0\x02"), Start::Bad);
        assert_eq!(start(b"HPX"), Start::TornMagic);
        assert_eq!(start(b"XPX"), Start::Bad);
    }
}
