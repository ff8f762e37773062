//! Small file-system helpers shared by the log and the data directory.

use std::fs::File;
use std::io;
use std::path::Path;

/// The directory that holds `path` (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes the entries of directory `dir` (files created, renamed or removed in
/// it) durable. A no-op where directories cannot be opened as files.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}
