//! [`ReadOnlyDir`]: a preopened directory the guest may read and not change.
//!
//! wasi-common has no read-only preopen, so this wraps a directory and refuses, with `EPERM`, every operation
//! that would change it: opening a file for writing (or to create or truncate it), creating, removing,
//! renaming and linking entries, and setting times. Subdirectories opened through it are wrapped too, and so
//! are files ([`ReadOnlyFile`]): the system lets a file opened for reading have its times set.

use std::any::Any;
use std::io::{IoSlice, IoSliceMut, SeekFrom};
use std::path::PathBuf;

use wasmi_wasi::wasi_common::dir::{OpenResult, ReaddirCursor, ReaddirEntity};
use wasmi_wasi::wasi_common::file::{Advice, FdFlags, FileType, Filestat, OFlags};
use wasmi_wasi::wasi_common::{Error, ErrorExt, SystemTimeSpec};
use wasmi_wasi::{WasiDir, WasiFile};

/// A directory the guest may only read.
pub(crate) struct ReadOnlyDir(pub(crate) Box<dyn WasiDir>);

/// A file opened through a [`ReadOnlyDir`]: opened for reading only, and refusing what would change it
/// without writing to it (setting its times).
pub(crate) struct ReadOnlyFile(Box<dyn WasiFile>);

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
            OpenResult::File(file) => Ok(OpenResult::File(Box::new(ReadOnlyFile(file)))),
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

#[wiggle::async_trait]
impl WasiFile for ReadOnlyFile {
    fn as_any(&self) -> &dyn Any {
        self
    }

    async fn get_filetype(&self) -> Result<FileType, Error> {
        self.0.get_filetype().await
    }

    #[cfg(unix)]
    fn pollable(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.0.pollable()
    }

    fn isatty(&self) -> bool {
        self.0.isatty()
    }

    async fn datasync(&self) -> Result<(), Error> {
        self.0.datasync().await
    }

    async fn sync(&self) -> Result<(), Error> {
        self.0.sync().await
    }

    async fn get_fdflags(&self) -> Result<FdFlags, Error> {
        self.0.get_fdflags().await
    }

    async fn set_fdflags(&mut self, flags: FdFlags) -> Result<(), Error> {
        self.0.set_fdflags(flags).await
    }

    async fn get_filestat(&self) -> Result<Filestat, Error> {
        self.0.get_filestat().await
    }

    async fn set_filestat_size(&self, _size: u64) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), Error> {
        self.0.advise(offset, len, advice).await
    }

    async fn set_times(&self, _atime: Option<SystemTimeSpec>, _mtime: Option<SystemTimeSpec>) -> Result<(), Error> {
        Err(Error::perm())
    }

    async fn read_vectored<'a>(&self, buffers: &mut [IoSliceMut<'a>]) -> Result<u64, Error> {
        self.0.read_vectored(buffers).await
    }

    async fn read_vectored_at<'a>(&self, buffers: &mut [IoSliceMut<'a>], offset: u64) -> Result<u64, Error> {
        self.0.read_vectored_at(buffers, offset).await
    }

    async fn write_vectored<'a>(&self, _buffers: &[IoSlice<'a>]) -> Result<u64, Error> {
        Err(Error::perm())
    }

    async fn write_vectored_at<'a>(&self, _buffers: &[IoSlice<'a>], _offset: u64) -> Result<u64, Error> {
        Err(Error::perm())
    }

    async fn seek(&self, position: SeekFrom) -> Result<u64, Error> {
        self.0.seek(position).await
    }

    async fn peek(&self, buffer: &mut [u8]) -> Result<u64, Error> {
        self.0.peek(buffer).await
    }

    fn num_ready_bytes(&self) -> Result<u64, Error> {
        self.0.num_ready_bytes()
    }

    async fn readable(&self) -> Result<(), Error> {
        self.0.readable().await
    }
}
