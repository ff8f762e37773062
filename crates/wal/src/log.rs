//! The write-ahead log: open (read back and repair the tail), append, write,
//! sync.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing::warn;

use crate::error::WalError;
use crate::file::LogFile;
use crate::frame::{self, MAGIC, MAX_RECORD_BYTES, Start};
use crate::fsutil;

/// What [`Wal::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenReport {
    /// How many records were read back.
    pub records: u64,
    /// The torn tail that was cut off, if there was one.
    pub torn_tail: Option<TornTail>,
}

/// A torn tail cut off on open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Where the tail started, and so the file's length after the cut.
    pub offset: u64,
    /// How many bytes were cut off.
    pub discarded_bytes: u64,
}

/// An append-only log of byte records in one file (format and reading rules in
/// the crate docs).
pub struct Wal {
    file: Box<dyn LogFile>,
    path: PathBuf,
    /// Bytes written to the file, magic included.
    len: u64,
    /// Records in the log, buffered ones included.
    records: u64,
    /// Framed records not yet written to the file.
    buffer: Vec<u8>,
    /// Whether bytes were written since the last successful sync.
    dirty: bool,
    /// Whether a write or sync failed.
    poisoned: bool,
}

impl fmt::Debug for Wal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wal")
            .field("path", &self.path)
            .field("len", &self.len)
            .field("records", &self.records)
            .field("buffered_bytes", &self.buffer.len())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl Wal {
    /// Opens the log at `path` and reads every record back, cutting off a torn
    /// tail. A missing file is created, holding only the magic, and synced.
    /// The parent directory is synced on every open, so that the file's name is
    /// durable even if an earlier creation was interrupted before that sync.
    pub fn open(path: &Path) -> Result<(Wal, Vec<Vec<u8>>, OpenReport), WalError> {
        let io = |op| {
            move |source| WalError::Io {
                path: path.to_path_buf(),
                op,
                source,
            }
        };
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => match create(path) {
                Ok(file) => file,
                // Created meanwhile by someone else: open theirs.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(io("open"))?,
                Err(e) => return Err(io("create")(e)),
            },
            Err(e) => return Err(io("open")(e)),
        };
        let opened = Self::open_with(Box::new(file), path.to_path_buf())?;
        let dir = fsutil::parent_of(path);
        fsutil::sync_dir(dir).map_err(|source| WalError::Io {
            path: dir.to_path_buf(),
            op: "sync directory",
            source,
        })?;
        Ok(opened)
    }

    /// Like [`Wal::open`] on a file that is already open (for fault-injection
    /// tests); `path` only names the file in errors and logs.
    pub fn open_with(
        mut file: Box<dyn LogFile>,
        path: PathBuf,
    ) -> Result<(Wal, Vec<Vec<u8>>, OpenReport), WalError> {
        let io = |op, path: &Path| {
            let path = path.to_path_buf();
            move |source| WalError::Io { path, op, source }
        };
        let bytes = file.read_all().map_err(io("read", &path))?;
        match frame::start(&bytes) {
            Start::Magic => {}
            Start::TornMagic => {
                warn!(file = %path.display(), bytes = bytes.len(), "write-ahead log has a torn header (its creation was interrupted); rewriting it");
                file.write_all_at(0, &MAGIC)
                    .map_err(io("write to", &path))?;
                file.sync_data().map_err(io("sync", &path))?;
                let wal = Wal::new(file, path, MAGIC.len() as u64, 0);
                let report = OpenReport {
                    records: 0,
                    torn_tail: None,
                };
                return Ok((wal, Vec::new(), report));
            }
            Start::Bad => return Err(WalError::BadMagic { path }),
        }
        let scanned = frame::scan(&bytes).map_err(|d| WalError::Corrupt {
            path: path.clone(),
            offset: d.offset as u64,
            reason: d.reason,
        })?;
        let end = scanned.end as u64;
        let torn_tail = if scanned.torn {
            let discarded_bytes = (bytes.len() - scanned.end) as u64;
            warn!(
                file = %path.display(),
                offset = end,
                discarded_bytes,
                "write-ahead log has a torn tail at byte {end} (an interrupted write); cutting off {discarded_bytes} bytes"
            );
            file.set_len(end).map_err(io("truncate", &path))?;
            file.sync_data().map_err(io("sync", &path))?;
            Some(TornTail {
                offset: end,
                discarded_bytes,
            })
        } else {
            None
        };
        let records = scanned.records.len() as u64;
        let mut wal = Wal::new(file, path, end, records);
        // What was read may be only in the page cache (written by a process
        // that was killed before it synced): the first sync makes it durable
        // before anything that depends on it leaves the process.
        wal.dirty = records > 0 && torn_tail.is_none();
        Ok((wal, scanned.records, OpenReport { records, torn_tail }))
    }

    fn new(file: Box<dyn LogFile>, path: PathBuf, len: u64, records: u64) -> Wal {
        Wal {
            file,
            path,
            len,
            records,
            buffer: Vec::new(),
            dirty: false,
            poisoned: false,
        }
    }

    /// Adds a record to the in-memory buffer; nothing reaches the file until
    /// [`Wal::write`] or [`Wal::sync`].
    pub fn append(&mut self, payload: &[u8]) -> Result<(), WalError> {
        self.check()?;
        let header = frame::header(payload).ok_or(WalError::TooLarge {
            len: payload.len(),
            max: MAX_RECORD_BYTES,
        })?;
        self.buffer.extend_from_slice(&header);
        self.buffer.extend_from_slice(payload);
        self.records += 1;
        Ok(())
    }

    /// Writes the buffered records to the file without syncing: they survive a
    /// crash of the process, not a power loss. A failure poisons the log.
    pub fn write(&mut self) -> Result<(), WalError> {
        self.check()?;
        if self.buffer.is_empty() {
            return Ok(());
        }
        if let Err(source) = self.file.write_all_at(self.len, &self.buffer) {
            return Err(self.poison("write to", source));
        }
        self.len += self.buffer.len() as u64;
        self.buffer.clear();
        self.dirty = true;
        Ok(())
    }

    /// Writes the buffered records and makes everything written durable
    /// (`fdatasync`), including the records read at open (they may have been
    /// only in the page cache); skips the `fdatasync` when nothing changed
    /// since the last one. A failure poisons the log: after a failed sync the
    /// state of the page cache is unknown, so nothing is retried.
    pub fn sync(&mut self) -> Result<(), WalError> {
        self.write()?;
        if !self.dirty {
            return Ok(());
        }
        if let Err(source) = self.file.sync_data() {
            return Err(self.poison("sync", source));
        }
        self.dirty = false;
        Ok(())
    }

    /// Records in the log: those read on open plus those appended since,
    /// buffered ones included.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes appended but not yet written to the file (record headers
    /// included).
    pub fn buffered_bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Whether an earlier write or sync failed, so that every call fails.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    fn check(&self) -> Result<(), WalError> {
        if self.poisoned {
            return Err(WalError::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn poison(&mut self, op: &'static str, source: io::Error) -> WalError {
        self.poisoned = true;
        warn!(file = %self.path.display(), error = %source, "write-ahead log {op} failed; the log is now unusable");
        WalError::Io {
            path: self.path.clone(),
            op,
            source,
        }
    }
}

/// Creates a new log file holding only the magic, and syncs it (its name is
/// synced by the caller).
fn create(path: &Path) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(&MAGIC)?;
    file.sync_all()?;
    Ok(file)
}
