//! The data directory of an acceptor: created private, locked against a second
//! process, and bound to one acceptor key in one cluster by its `IDENTITY` file.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use tracing::info;

use crate::error::DataDirError;
use crate::fsutil;
use crate::identity::Identity;

/// Name of the lock file; it holds the pid of the process holding the lock.
const LOCK: &str = "LOCK";
/// Name of the identity file (its format is described on [`Identity`]).
const IDENTITY: &str = "IDENTITY";
/// Name of the file an identity is written to before it is renamed into place.
const IDENTITY_TMP: &str = "IDENTITY.tmp";
/// Name of the write-ahead log.
const WAL: &str = "acceptor.wal";
/// An `IDENTITY` file longer than this is refused unread.
const MAX_IDENTITY_BYTES: u64 = 64 << 10;

/// An open data directory. It holds an exclusive lock on `DIR/LOCK` for as
/// long as it lives; dropping it releases the lock.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// The locked `LOCK` file: the lock lasts as long as this handle.
    _lock: File,
}

impl DataDir {
    /// Opens the data directory at `path` for the acceptor `identity`.
    ///
    /// 1. Creates the directory if it is missing (mode 0700 on Unix, with any
    ///    missing ancestors) and syncs its parent.
    /// 2. Takes an exclusive lock on `DIR/LOCK` (`File::try_lock`) and writes
    ///    this process's pid into it; if another process (or another live
    ///    `DataDir` of this process) holds the lock, fails with
    ///    [`DataDirError::Locked`] naming the pid found in the file.
    /// 3. Checks `DIR/IDENTITY` against `identity`, creating it atomically if
    ///    it is missing (write `IDENTITY.tmp`, sync, rename, sync the
    ///    directory). The `public_key` and `cluster` must match
    ///    ([`DataDirError::IdentityMismatch`]): the state in the directory is
    ///    promises and votes made under that key in that cluster, and reusing
    ///    it under another key or in another cluster would break the
    ///    protocol's safety. The `acceptor` name is only logged when it
    ///    differs: renaming an acceptor in the configuration changes nothing
    ///    that the state means.
    pub fn open(path: &Path, identity: &Identity) -> Result<DataDir, DataDirError> {
        if let Some((field, reason)) = identity.invalid_field() {
            return Err(DataDirError::InvalidIdentity {
                path: path.to_path_buf(),
                field,
                reason,
            });
        }
        create_dir(path)?;
        let lock = lock(path)?;
        check_identity(path, identity)?;
        Ok(DataDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the write-ahead log lives: `DIR/acceptor.wal`.
    pub fn wal_path(&self) -> PathBuf {
        self.path.join(WAL)
    }
}

/// Builds the `map_err` closure for a failed file-system call on `path`.
fn io(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> DataDirError {
    let path = path.to_path_buf();
    move |source| DataDirError::Io { path, op, source }
}

/// Creates `path` (private) if it does not exist, and makes its name durable.
fn create_dir(path: &Path) -> Result<(), DataDirError> {
    match fs::metadata(path) {
        Ok(_) => return Ok(()), // Not a directory? Locking inside it will say so.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("inspect", path)(e)),
    }
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(io("create directory", path))?;
    let parent = fsutil::parent_of(path);
    fsutil::sync_dir(parent).map_err(io("sync directory", parent))?;
    info!(dir = %path.display(), "created data directory");
    Ok(())
}

/// Locks `DIR/LOCK` and writes this process's pid into it.
fn lock(dir: &Path) -> Result<File, DataDirError> {
    let path = dir.join(LOCK);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io("open", &path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let pid = fs::read_to_string(&path)
                .ok()
                .and_then(|s| s.trim().parse().ok());
            return Err(DataDirError::Locked {
                path: dir.to_path_buf(),
                pid,
            });
        }
        Err(fs::TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
    }
    file.set_len(0).map_err(io("truncate", &path))?;
    writeln!(file, "{}", std::process::id()).map_err(io("write to", &path))?;
    Ok(file)
}

/// Checks `DIR/IDENTITY` against `identity`, or records `identity` there.
fn check_identity(dir: &Path, identity: &Identity) -> Result<(), DataDirError> {
    let path = dir.join(IDENTITY);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return write_identity(dir, identity),
        Err(e) => return Err(io("open", &path)(e)),
    };
    let bad = |reason: String| DataDirError::BadIdentity {
        path: path.clone(),
        reason,
    };
    let mut bytes = Vec::new();
    file.take(MAX_IDENTITY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io("read", &path))?;
    if bytes.len() as u64 > MAX_IDENTITY_BYTES {
        return Err(bad(format!("it is longer than {MAX_IDENTITY_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text".into()))?;
    let found = Identity::parse(&text).map_err(bad)?;
    for (field, expected, found) in [
        ("public_key", &identity.public_key, &found.public_key),
        ("cluster", &identity.cluster, &found.cluster),
    ] {
        if !expected.eq_ignore_ascii_case(found) {
            return Err(DataDirError::IdentityMismatch {
                path: dir.to_path_buf(),
                field,
                expected: expected.clone(),
                found: found.clone(),
            });
        }
    }
    if found.acceptor != identity.acceptor {
        info!(
            dir = %dir.display(),
            recorded = %found.acceptor,
            now = %identity.acceptor,
            "the acceptor of this data directory was renamed (same key and cluster)"
        );
    }
    Ok(())
}

/// Records `identity` in `DIR/IDENTITY` atomically and durably.
fn write_identity(dir: &Path, identity: &Identity) -> Result<(), DataDirError> {
    let tmp = dir.join(IDENTITY_TMP);
    let path = dir.join(IDENTITY);
    let mut file = File::create(&tmp).map_err(io("create", &tmp))?;
    file.write_all(identity.render().as_bytes())
        .map_err(io("write to", &tmp))?;
    file.sync_all().map_err(io("sync", &tmp))?;
    drop(file);
    fs::rename(&tmp, &path).map_err(io("rename into place", &path))?;
    fsutil::sync_dir(dir).map_err(io("sync directory", dir))?;
    info!(dir = %dir.display(), acceptor = %identity.acceptor, "recorded the identity of the data directory");
    Ok(())
}
