//! A write-ahead log of byte records ([`Wal`]) and the data directory that
//! holds it ([`DataDir`]).
//!
//! The log knows nothing of what its records mean: it appends checksummed byte
//! strings to one file, makes them durable on request, and on open hands back
//! every record that was written, cutting off a torn tail and refusing to start
//! on damage anywhere else.
//!
//! # File format
//!
//! All integers are little-endian; every checksum is the CRC-32 (IEEE) that
//! `crc32fast` computes.
//!
//! - **File header**: 8 bytes of magic, `b"HPXWAL\0\x01"` ([`MAGIC`]); the last
//!   byte is the format version.
//! - Then zero or more **records**, each a 12-byte header followed by the payload:
//!
//!   | bytes | field         | meaning                                          |
//!   |-------|---------------|--------------------------------------------------|
//!   | 0..4  | `len`         | payload length, `u32`, at most [`MAX_RECORD_BYTES`] (64 MiB) |
//!   | 4..8  | `payload_crc` | CRC-32 of the payload, `u32`                     |
//!   | 8..12 | `header_crc`  | CRC-32 of the 8 bytes `len ‖ payload_crc`, `u32` |
//!   | 12..  | payload       | `len` bytes                                      |
//!
//!   [`Wal::append`] refuses a payload longer than [`MAX_RECORD_BYTES`] with
//!   [`WalError::TooLarge`].
//!
//! # Reading rules on open
//!
//! A crash (of the process or of the machine) can leave the end of the file
//! half-written: that is a *torn tail*, expected, and cut off. Damage anywhere
//! else cannot come from a crash, so it is an error and nothing is skipped.
//!
//! - A file shorter than 8 bytes whose bytes are a prefix of the magic (an
//!   empty file included) is a torn creation: the magic is rewritten and synced.
//!   Any other file that does not start with the magic is refused with
//!   [`WalError::BadMagic`].
//! - Records are parsed in order. For a record starting at byte offset `o`:
//!   - fewer than 12 bytes remain → torn tail at `o`;
//!   - the header checksum does not match → torn tail at `o` if every byte from
//!     `o` to the end of the file is zero (space that the file system extended
//!     but whose data never reached the disk), otherwise
//!     [`WalError::Corrupt`] at `o`;
//!   - the header is intact but `len` exceeds [`MAX_RECORD_BYTES`] →
//!     [`WalError::Corrupt`] at `o`;
//!   - the header is intact but the payload runs past the end of the file →
//!     torn tail at `o`;
//!   - the payload checksum does not match → torn tail at `o` if the record
//!     ends exactly at the end of the file (it is the last record), otherwise
//!     [`WalError::Corrupt`] at `o`.
//! - A torn tail is truncated away (the file is cut to length `o`) and the
//!   truncation is synced *before* open returns, so that new records never
//!   follow garbage; a `tracing` warning names the file, the offset and the
//!   number of discarded bytes, and [`OpenReport::torn_tail`] says the same.
//! - Corruption before the tail is never skipped: open fails with an error that
//!   names the file and the offset, and the caller should exit (with code 2)
//!   rather than run on a log that lost acknowledged records.
//! - No file content makes open panic, and a length field never makes it
//!   allocate: a record's length is checked against the maximum and against the
//!   bytes that remain before its payload is copied.
//!
//! # Durability
//!
//! [`Wal::append`] only buffers; [`Wal::write`] hands the buffer to the
//! operating system (the records survive a crash of the process, not a power
//! loss); [`Wal::sync`] also calls `fdatasync` (they survive a power loss).
//! After any failed write or sync the log is poisoned and refuses every later
//! call with [`WalError::Poisoned`]: after a failed `fsync` the kernel may have
//! dropped the dirty pages and cleared the error, so a retry could report
//! success for data that is not on disk.
//!
//! # Data directory
//!
//! [`DataDir::open`] creates the directory (mode 0700 on Unix), takes an
//! exclusive lock on its `LOCK` file for as long as the [`DataDir`] lives, and
//! checks its `IDENTITY` file against the acceptor that is starting; the log
//! lives at [`DataDir::wal_path`]. See [`DataDir::open`] for the details and
//! [`Identity`] for the format of `IDENTITY`.
#![forbid(unsafe_code)]

mod dir;
mod error;
mod file;
mod frame;
mod fsutil;
mod identity;
mod log;

pub use dir::DataDir;
pub use error::{CorruptReason, DataDirError, WalError};
pub use file::LogFile;
pub use frame::{FORMAT_VERSION, HEADER_BYTES, MAGIC, MAX_RECORD_BYTES};
pub use identity::Identity;
pub use log::{OpenReport, TornTail, Wal};
