//! [`ReadOnlyDir`]: a preopened directory the guest may read and not change.
//!
//! wasi-common has no read-only preopen, so this wraps a directory and refuses, with `EPERM`, every operation
//! that would change it: opening a file for writing (or to create or truncate it), creating, removing,
//! renaming and linking entries, and setting times. Subdirectories opened through it are wrapped too.

use std::any::Any;
use std::path::PathBuf;

use wasmi_wasi::WasiDir;
use wasmi_wasi::wasi_common::dir::{OpenResult, ReaddirCursor, ReaddirEntity};
use wasmi_wasi::wasi_common::file::{FdFlags, Filestat, OFlags};
use wasmi_wasi::wasi_common::{Error, ErrorExt, SystemTimeSpec};

/// A directory the guest may only read.
pub(crate) struct ReadOnlyDir(pub(crate) Box<dyn WasiDir>);

/// The flags that make an open change the file system.
fn writes(oflags: OFlags, write: bool, fdflags: FdFlags) -> bool {
    write
        || oflags.intersects(OFlags::CREATE | OFlags::TRUNCATE | OFlags::EXCLUSIVE)
        || fdflags.contains(FdFlags::APPEND)
}

#[wiggle::async_trait]
impl WasiDir for ReadOnlyDir {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn open_file(
        &self,
        symlink_follow: bool,
        path: &str,
        oflags: OFlags,
        read: bool,
        write: bool,
        fdflags: FdFlags,
    ) -> Result<OpenResult, Error> {
        if writes(oflags, write, fdflags) {
            return Err(Error::perm());
        }
        match self.0.open_file(symlink_follow, path, oflags, read, false, fdflags).await? {
            OpenResult::Dir(dir) => Ok(OpenResult::Dir(Box::new(ReadOnlyDir(dir)))),
            file => Ok(file),
        }
    }

    async fn create_dir(&self, _path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn readdir(
        &self,
        cursor: ReaddirCursor,
    ) -> Result<Box<dyn Iterator<Item = Result<ReaddirEntity, Error>> + Send>, Error> {
        self.0.readdir(cursor).await
    }

    async fn symlink(&self, _old_path: &str, _new_path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn remove_dir(&self, _path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn unlink_file(&self, _path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn read_link(&self, path: &str) -> Result<PathBuf, Error> {
        self.0.read_link(path).await
    }

    async fn get_filestat(&self) -> Result<Filestat, Error> {
        self.0.get_filestat().await
    }

    async fn get_path_filestat(&self, path: &str, follow_symlinks: bool) -> Result<Filestat, Error> {
        self.0.get_path_filestat(path, follow_symlinks).await
    }

    async fn rename(&self, _path: &str, _dest_dir: &dyn WasiDir, _dest_path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn hard_link(&self, _path: &str, _target_dir: &dyn WasiDir, _target_path: &str) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn set_times(
        &self,
        _path: &str,
        _atime: Option<SystemTimeSpec>,
        _mtime: Option<SystemTimeSpec>,
        _follow_symlinks: bool,
    ) -> Result<(), Error> {
        Err(Error::perm())
    }
}
