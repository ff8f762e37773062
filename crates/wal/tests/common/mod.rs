//! Helpers shared by the integration tests: building log files byte by byte,
//! and a `LogFile` that fails on demand.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hetpaxos_wal::{HEADER_BYTES, LogFile, MAGIC, OpenReport, Wal, WalError};

/// Payloads of varied sizes, empty ones included; the last one is short so
/// that tests cutting it at every byte stay fast.
pub fn varied_payloads() -> Vec<Vec<u8>> {
    let sizes = [0usize, 1, 7, 12, 13, 0, 255, 4096, 3, 70_000, 0, 21];
    sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| (0..n).map(|j| (i * 31 + j * 7) as u8).collect())
        .collect()
}

/// The bytes of a log holding `payloads`, framed by the crate itself.
pub fn log_bytes(payloads: &[Vec<u8>]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.wal");
    let (mut wal, _, _) = Wal::open(&path).unwrap();
    for p in payloads {
        wal.append(p).unwrap();
    }
    wal.sync().unwrap();
    drop(wal);
    std::fs::read(&path).unwrap()
}

/// The offset of each record's header in a log of `payloads`, and the end.
pub fn offsets(payloads: &[Vec<u8>]) -> (Vec<u64>, u64) {
    let mut at = MAGIC.len() as u64;
    let mut starts = Vec::new();
    for p in payloads {
        starts.push(at);
        at += (HEADER_BYTES + p.len()) as u64;
    }
    (starts, at)
}

/// Writes `bytes` to `path` and opens the log there.
pub fn open_bytes(path: &Path, bytes: &[u8]) -> Result<(Wal, Vec<Vec<u8>>, OpenReport), WalError> {
    std::fs::write(path, bytes).unwrap();
    Wal::open(path)
}

/// What a [`FakeFile`] holds and counts.
#[derive(Debug, Default)]
pub struct FakeState {
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// Make every `write_all_at` fail.
    pub fail_write: bool,
    /// Make every `sync_data` fail.
    pub fail_sync: bool,
    /// Make every `set_len` fail.
    pub fail_set_len: bool,
    /// Calls of `write_all_at`.
    pub writes: usize,
    /// Calls of `sync_data`.
    pub syncs: usize,
}

/// An in-memory `LogFile` whose calls fail on demand; clones share the state.
#[derive(Debug, Clone, Default)]
pub struct FakeFile(pub Arc<Mutex<FakeState>>);

impl FakeFile {
    /// A fake file holding `bytes`.
    pub fn with(bytes: &[u8]) -> FakeFile {
        let f = FakeFile::default();
        f.state().bytes = bytes.to_vec();
        f
    }

    /// Its state.
    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.0.lock().unwrap()
    }
}

fn injected() -> io::Error {
    io::Error::other("injected failure")
}

impl LogFile for FakeFile {
    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        Ok(self.state().bytes.clone())
    }

    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut s = self.state();
        s.writes += 1;
        if s.fail_write {
            return Err(injected());
        }
        let offset = offset as usize;
        let end = offset + buf.len();
        if s.bytes.len() < end {
            s.bytes.resize(end, 0);
        }
        s.bytes[offset..end].copy_from_slice(buf);
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut s = self.state();
        if s.fail_set_len {
            return Err(injected());
        }
        s.bytes.resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut s = self.state();
        s.syncs += 1;
        if s.fail_sync {
            return Err(injected());
        }
        Ok(())
    }
}
