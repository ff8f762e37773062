//! The file under a log, as a trait so that tests can inject failures.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// The operations a [`Wal`](crate::Wal) needs from its file.
///
/// [`std::fs::File`] implements it; tests implement it to inject failures.
pub trait LogFile: Send {
    /// Reads the whole file, from its first byte to its end.
    fn read_all(&mut self) -> io::Result<Vec<u8>>;

    /// Writes all of `buf` starting at byte `offset`.
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()>;

    /// Cuts (or extends) the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> io::Result<()>;

    /// Makes the file's data, and the metadata needed to read it back (its
    /// length), durable: `fdatasync`.
    fn sync_data(&mut self) -> io::Result<()>;
}

impl LogFile for File {
    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let hint = self.metadata().map(|m| m.len()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        self.seek(SeekFrom::Start(0))?;
        self.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        self.seek(SeekFrom::Start(offset))?;
        self.write_all(buf)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        // The inherent method, not this trait method.
        File::set_len(self, len)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }
}
