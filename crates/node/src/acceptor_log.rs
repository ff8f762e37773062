//! The acceptor's log on disk: [`Record`]s of the pure acceptor, one per
//! write-ahead-log record of [`hetpaxos_wal`], in a locked data directory that
//! records the acceptor's key and cluster.
//!
//! A record's payload is one byte of kind (1: accepted, 2: held 1a) followed
//! by the message's protobuf encoding (`hetpaxos.v1.ConsensusMessage`, the wire
//! format). See `docs/reliability.md` for the whole format and the durability
//! promise.

use hetpaxos_acceptor::{LogPosition, Record};
use hetpaxos_config::AcceptorSetup;
use hetpaxos_messages::{Limits, wire};
use hetpaxos_wal::{DataDir, Identity, MAX_RECORD_BYTES, Wal, WalError};
use std::path::{Path, PathBuf};
use thiserror::Error;
use tracing::{debug, info, warn};

const ACCEPTED: u8 = 1;
const HELD: u8 = 2;

/// Where an acceptor keeps its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// A data directory (created if missing): durable.
    DataDir(PathBuf),
    /// Nowhere: a restarted acceptor comes back empty and may equivocate. For
    /// throw-away experiments only.
    InMemory,
}

impl Storage {
    /// The default data directory of the acceptor configured by `config`:
    /// beside it, named after it with `.data` (`demo/A.json` → `demo/A.data`).
    pub fn default_for(config: &Path) -> PathBuf {
        config.with_extension("data")
    }
}

/// A failure of the log. Any of them stops the acceptor: a failed write or
/// sync is never retried.
#[derive(Debug, Error)]
pub enum LogError {
    /// The write-ahead log failed.
    #[error(transparent)]
    Wal(#[from] WalError),
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] hetpaxos_wal::DataDirError),
    /// A record passed its checksums but is not a record of this program.
    #[error("record {position} of {path}: {reason}")]
    BadRecord {
        /// The log file.
        path: PathBuf,
        /// The record's position.
        position: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The acceptor and the log disagree on the log's length (a bug).
    #[error("the log holds {found} records where the acceptor expects {expected}")]
    OutOfStep {
        /// The acceptor's count.
        expected: u64,
        /// The log's count.
        found: u64,
    },
    /// A record too large for the log.
    #[error("a record of {0} bytes does not fit in the log")]
    TooLarge(usize),
}

/// The log of a running acceptor.
#[derive(Debug)]
pub struct AcceptorLog {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Disk {
        wal: Wal,
        /// Holds the directory's lock while the log is open (none for a
        /// bare log, [`AcceptorLog::on_wal`]).
        dir: Option<DataDir>,
    },
    Memory {
        records: u64,
    },
}

impl AcceptorLog {
    /// Opens the log of `setup` in `storage` and reads its records: takes the
    /// data directory's lock, checks that it belongs to this acceptor's key and
    /// cluster, cuts off a torn tail (with a warning) and refuses a damaged log.
    pub fn open(setup: &AcceptorSetup, storage: &Storage) -> Result<(Self, Vec<Record>), LogError> {
        let path = match storage {
            Storage::InMemory => {
                warn!(
                    acceptor = %setup.name,
                    "--in-memory: nothing is persisted; if this acceptor restarts it forgets what \
                     it signed and may equivocate (every peer would then hold it as Byzantine)"
                );
                return Ok((
                    Self {
                        inner: Inner::Memory { records: 0 },
                    },
                    Vec::new(),
                ));
            }
            Storage::DataDir(p) => p,
        };
        let identity = Identity {
            acceptor: setup.name.clone(),
            public_key: hex::encode(setup.signer().verifying_key().as_bytes()),
            cluster: setup.cluster.context.0.to_hex(),
        };
        let dir = DataDir::open(path, &identity)?;
        let (wal, payloads, report) = Wal::open(&dir.wal_path())?;
        let (mut log, records) = Self::on_wal(wal, &payloads)?;
        if let Inner::Disk { dir: slot, .. } = &mut log.inner {
            *slot = Some(dir);
        }
        if records.is_empty() {
            debug!(acceptor = %setup.name, data_dir = %path.display(), "empty log opened");
        } else {
            info!(
                acceptor = %setup.name,
                data_dir = %path.display(),
                records = records.len(),
                torn_tail = report.torn_tail.is_some(),
                "log opened"
            );
        }
        Ok((log, records))
    }

    /// A log on a write-ahead log opened by the caller, without a data
    /// directory (no lock, no identity check): for tools and for tests that
    /// inject storage faults ([`Wal::open_with`]). Returns it with its records.
    pub fn on_wal(wal: Wal, payloads: &[Vec<u8>]) -> Result<(Self, Vec<Record>), LogError> {
        let mut records = Vec::with_capacity(payloads.len());
        for (position, payload) in payloads.iter().enumerate() {
            records.push(decode(payload).map_err(|reason| LogError::BadRecord {
                path: wal.path().to_path_buf(),
                position: position as u64,
                reason,
            })?);
        }
        Ok((
            Self {
                inner: Inner::Disk { wal, dir: None },
            },
            records,
        ))
    }

    /// Appends `records` (buffered); the log then holds `up_to` records.
    pub fn append(&mut self, records: &[Record], up_to: LogPosition) -> Result<(), LogError> {
        let count = match &mut self.inner {
            Inner::Disk { wal, .. } => {
                for r in records {
                    let bytes = encode(r);
                    if bytes.len() > MAX_RECORD_BYTES {
                        return Err(LogError::TooLarge(bytes.len()));
                    }
                    wal.append(&bytes)?;
                }
                wal.records()
            }
            Inner::Memory { records: n } => {
                *n += records.len() as u64;
                *n
            }
        };
        if count != up_to.0 {
            return Err(LogError::OutOfStep {
                expected: up_to.0,
                found: count,
            });
        }
        Ok(())
    }

    /// Hands buffered records to the operating system (they then survive a
    /// kill of the process, not a power loss).
    pub fn write(&mut self) -> Result<(), LogError> {
        if let Inner::Disk { wal, .. } = &mut self.inner
            && wal.buffered_bytes() > 0
        {
            wal.write()?;
        }
        Ok(())
    }

    /// Makes every appended record durable (`fdatasync`).
    pub fn sync(&mut self) -> Result<(), LogError> {
        if let Inner::Disk { wal, .. } = &mut self.inner {
            wal.sync()?;
        }
        Ok(())
    }

    /// Whether anything waits in the buffer.
    pub fn has_buffered(&self) -> bool {
        matches!(&self.inner, Inner::Disk { wal, .. } if wal.buffered_bytes() > 0)
    }
}

/// The payload of a log record.
pub fn encode(record: &Record) -> Vec<u8> {
    let (kind, message) = match record {
        Record::Accepted(m) => (ACCEPTED, m),
        Record::Held(m) => (HELD, m),
    };
    let mut out = vec![kind];
    out.extend_from_slice(&wire::encode(message));
    out
}

/// A log record from its payload.
pub fn decode(payload: &[u8]) -> Result<Record, String> {
    let Some((&kind, bytes)) = payload.split_first() else {
        return Err("empty record".into());
    };
    // The record passed its checksums and was written by this program: the
    // network's limits on references and sizes do not apply to it.
    let limits = Limits {
        max_encoded_bytes: MAX_RECORD_BYTES,
        max_value_bytes: MAX_RECORD_BYTES,
        max_refs: MAX_RECORD_BYTES / 32,
    };
    let message = wire::decode(bytes, &limits).map_err(|e| e.to_string())?;
    match kind {
        ACCEPTED => Ok(Record::Accepted(message)),
        HELD if message.as_proposal().is_some() => Ok(Record::Held(message)),
        HELD => Err("a held record that is not a 1a".into()),
        k => Err(format!("unknown record kind {k}")),
    }
}
