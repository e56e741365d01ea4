//! [`Stdin`]: the host's stdin as guests with inherited stdio read it, each read waiting no longer than the
//! call's [`WaitLimit`].
//!
//! A read of the host's stdin blocks in the kernel, where nothing can end it. So guests never read it
//! themselves: a thread of ours reads it, one read at a time and only while a guest waits for data, and
//! writes what it read into a pipe whose read end never blocks. Guests read and poll that end, with a timeout.
//! As with wasmtime-wasi's stdin, what that thread read and no guest has read yet stays in the pipe for the
//! next guest, not for the host.

use std::any::Any;
use std::io::{self, IoSliceMut, IsTerminal, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

use rustix::event::{PollFd, PollFlags, Timespec};
use wasmi_wasi::wasi_common::ErrorExt;
use wasmi_wasi::wasi_common::file::FileType;
use wasmi_wasi::{Error, WasiFile};

use super::waiting::WaitLimit;

/// The most the forwarding thread reads from the host's stdin at once.
const CHUNK: usize = 16 * 1024;

/// The host's stdin, read through the [`Forwarder`], within `limit`.
pub(crate) struct Stdin(pub(crate) WaitLimit);

/// The thread that reads the host's stdin for guests, and the pipe it writes into.
struct Forwarder {
    /// The pipe's read end, non-blocking, shared by every guest.
    reader: PipeReader,
    /// The pipe's write end until the thread takes it.
    writer: Mutex<Option<PipeWriter>>,
    /// Whether a guest waits for data the pipe does not hold yet.
    wanted: Mutex<bool>,
    wake: Condvar,
}

impl Forwarder {
    /// The process's forwarder, started by the first guest that reads; `None` if it cannot be made.
    fn get() -> Option<&'static Forwarder> {
        static FORWARDER: OnceLock<Option<Forwarder>> = OnceLock::new();
        let forwarder = FORWARDER.get_or_init(|| Forwarder::new().map_err(cannot_forward).ok()).as_ref()?;
        forwarder.start();
        Some(forwarder)
    }

    fn new() -> io::Result<Forwarder> {
        let (reader, writer) = io::pipe()?;
        rustix::io::ioctl_fionbio(&reader, true)?;
        Ok(Forwarder { reader, writer: Mutex::new(Some(writer)), wanted: Mutex::new(false), wake: Condvar::new() })
    }

    /// Starts the thread, unless it is running (or could not be started).
    fn start(&'static self) {
        let Some(writer) = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take() else { return };
        let thread = std::thread::Builder::new().name("wapc-stdin".into()).spawn(move || self.run(writer));
        thread.map_or_else(cannot_forward, drop);
    }

    /// Asks the thread for more of the host's stdin.
    fn want(&self) {
        *self.wanted.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_one();
    }

    /// Reads the host's stdin into `writer` whenever a guest wants data, until stdin ends (then the pipe
    /// does too).
    fn run(&self, mut writer: PipeWriter) {
        let mut chunk = vec![0; CHUNK];
        loop {
            let mut wanted = self.wanted.lock().unwrap_or_else(PoisonError::into_inner);
            while !*wanted {
                wanted = self.wake.wait(wanted).unwrap_or_else(PoisonError::into_inner);
            }
            *wanted = false;
            drop(wanted);
            let read = match io::stdin().read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            if chunk.get(..read).is_none_or(|data| writer.write_all(data).is_err()) {
                return;
            }
        }
    }

    /// Waits until the pipe has data (or has ended), for at most what `limit` leaves.
    fn wait(&self, limit: &WaitLimit) -> Result<(), Error> {
        loop {
            let timeout = limit.remaining().map(Timespec::try_from).transpose().map_err(|_| Error::overflow())?;
            let mut fds = [PollFd::new(&self.reader, PollFlags::IN)];
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(0) => return Err(limit.reached()),
                Ok(_) => return Ok(()),
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(io::Error::from(error).into()),
            }
        }
    }
}

fn cannot_forward(error: io::Error) {
    wapc::__event!(error, "cannot forward the host's stdin to guests: {error}");
}

#[wiggle::async_trait]
impl WasiFile for Stdin {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn pollable(&self) -> Option<BorrowedFd<'_>> {
        let forwarder = Forwarder::get()?;
        forwarder.want();
        Some(forwarder.reader.as_fd())
    }

    fn isatty(&self) -> bool {
        io::stdin().is_terminal()
    }

    async fn get_filetype(&self) -> Result<FileType, Error> {
        Ok(if self.isatty() { FileType::CharacterDevice } else { FileType::Unknown })
    }

    async fn read_vectored<'a>(&self, buffers: &mut [IoSliceMut<'a>]) -> Result<u64, Error> {
        let forwarder = Forwarder::get().ok_or_else(Error::io)?;
        loop {
            match (&forwarder.reader).read_vectored(buffers) {
                Ok(read) => return u64::try_from(read).map_err(|_| Error::range()),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    forwarder.want();
                    forwarder.wait(&self.0)?;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn read_vectored_at<'a>(&self, _buffers: &mut [IoSliceMut<'a>], _offset: u64) -> Result<u64, Error> {
        Err(Error::seek_pipe())
    }

    async fn seek(&self, _position: io::SeekFrom) -> Result<u64, Error> {
        Err(Error::seek_pipe())
    }

    async fn peek(&self, _buffer: &mut [u8]) -> Result<u64, Error> {
        Err(Error::seek_pipe())
    }
}
