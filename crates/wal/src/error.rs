//! Errors of the log ([`WalError`]) and of the data directory ([`DataDirError`]).
//!
//! Every message is one line and names the file it is about. The underlying
//! I/O error is the error's `source`, not part of its message, so that a
//! printer of the whole chain (`{:#}` with `anyhow`) shows it exactly once.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// What is wrong with a damaged record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorruptReason {
    /// The 12-byte header does not match its checksum, and the bytes after it
    /// are not all zero.
    HeaderChecksum,
    /// The header is intact but names a payload longer than
    /// [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES).
    TooLong {
        /// The length the header names.
        len: u32,
    },
    /// The payload does not match its checksum, and another record follows it.
    PayloadChecksum,
}

impl fmt::Display for CorruptReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeaderChecksum => f.write_str("header checksum mismatch"),
            Self::TooLong { len } => write!(
                f,
                "record length {len} exceeds the maximum {}",
                crate::MAX_RECORD_BYTES
            ),
            Self::PayloadChecksum => f.write_str("payload checksum mismatch"),
        }
    }
}

/// An error of the write-ahead log.
#[derive(Debug, Error)]
pub enum WalError {
    /// A file-system call failed.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// The log file (or, for `sync directory`, the directory).
        path: PathBuf,
        /// What was being done, as a verb phrase ("read", "sync", …).
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A record before the tail is damaged.
    #[error(
        "corrupt record at byte {offset} of {}: {reason} (the log is damaged before its tail; refusing to start)",
        path.display()
    )]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the damaged record's header.
        offset: u64,
        /// What is wrong with it.
        reason: CorruptReason,
    },
    /// The file does not start with [`MAGIC`](crate::MAGIC).
    #[error(
        "{} is not a hetpaxos write-ahead log of format version {} (wrong magic bytes)",
        path.display(),
        crate::FORMAT_VERSION
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
    },
    /// An earlier write or sync failed; the log accepts nothing more.
    #[error(
        "write-ahead log {} is unusable after an earlier failed write or sync (restart to recover from what is on disk)",
        path.display()
    )]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },
    /// A payload longer than [`MAX_RECORD_BYTES`](crate::MAX_RECORD_BYTES).
    #[error("record of {len} bytes is larger than the maximum of {max} bytes")]
    TooLarge {
        /// The payload's length.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

/// An error of the data directory.
#[derive(Debug, Error)]
pub enum DataDirError {
    /// Another process (or another [`DataDir`](crate::DataDir) of this process)
    /// holds the directory's lock.
    #[error(
        "data directory {} is in use by another process{}: refusing to start a second acceptor on it",
        path.display(),
        match pid { Some(pid) => format!(" (pid {pid})"), None => String::new() }
    )]
    Locked {
        /// The directory.
        path: PathBuf,
        /// The pid written in its `LOCK` file, if it could be read.
        pid: Option<u32>,
    },
    /// The directory belongs to another acceptor key or another cluster.
    #[error(
        "data directory {} belongs to {field} {found}, not {expected}: refusing to reuse another acceptor's or another cluster's state",
        path.display()
    )]
    IdentityMismatch {
        /// The directory.
        path: PathBuf,
        /// `"public_key"` or `"cluster"`.
        field: &'static str,
        /// The value of the starting acceptor.
        expected: String,
        /// The value recorded in the directory.
        found: String,
    },
    /// The `IDENTITY` file cannot be parsed.
    #[error("cannot parse {}: {reason}", path.display())]
    BadIdentity {
        /// The `IDENTITY` file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The identity given to [`DataDir::open`](crate::DataDir::open) cannot be
    /// recorded faithfully.
    #[error("cannot record the identity in {}: its {field} {reason}", path.display())]
    InvalidIdentity {
        /// The directory.
        path: PathBuf,
        /// `"acceptor"`, `"public_key"` or `"cluster"`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file-system call failed.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, as a verb phrase ("create", "lock", …).
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}
