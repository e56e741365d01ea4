//! [`TempFile`]: a file the tests write for a server to read, removed on drop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file in the system temporary folder, removed on drop.
pub(crate) struct TempFile(PathBuf);

impl TempFile {
    /// Writes `contents` to a new file whose name ends in `name` (and is unique: the process id and a count come
    /// first).
    ///
    /// # Panics
    /// When the file cannot be written.
    pub(crate) fn with_contents(name: &str, contents: &str) -> Self {
        static CREATED: AtomicU64 = AtomicU64::new(0);
        let unique = format!("wrpc-bridge-{}-{}-{name}", std::process::id(), CREATED.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("cannot create {path:?}: {e}"));
        file.write_all(contents.as_bytes()).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        TempFile(path)
    }

    /// Where the file is.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
