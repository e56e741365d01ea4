//! [`BoundedSched`]: wasi-common's synchronous scheduler (what `poll_oneoff` waits with), waiting no longer
//! than the running call's [`WaitLimit`].

use std::thread;
use std::time::Duration;

use wasmi_wasi::Error;
use wasmi_wasi::wasi_common::sched::{Poll, WasiSched};

use super::waiting::WaitLimit;

/// Sleeps and polls, each ending with [`WaitLimit::reached`]'s error where it would outlast the [`WaitLimit`]: a
/// sleep that cannot finish in time fails at once, a poll of files gives up when the limit is reached. In a
/// suspending store, [`sleep`](WasiSched::sleep) (what `poll_oneoff` on one relative clock does) returns at
/// once and leaves the waiting to the provider, and the other waits are refused.
pub(crate) struct BoundedSched(pub(crate) WaitLimit);

#[wiggle::async_trait]
impl WasiSched for BoundedSched {
    async fn poll_oneoff<'a>(&self, poll: &mut Poll<'a>) -> Result<(), Error> {
        if poll.rw_subscriptions().next().is_some() {
            #[cfg(unix)]
            return poll_files(poll, &self.0);
            // Elsewhere, wasi-common's own poll of files, which waits as long as the guest asks.
            #[cfg(not(unix))]
            return wasmi_wasi::wasi_common::sync::sched::poll_oneoff(poll).await;
        }
        // Clocks only: sleep until the first one is due, if the limit lets it come.
        let due = poll.earliest_clock_deadline().map(|clock| clock.duration_until().unwrap_or_default());
        match due {
            Some(due) => self.block(due),
            None => Ok(()),
        }
    }

    async fn sched_yield(&self) -> Result<(), Error> {
        thread::yield_now();
        Ok(())
    }

    async fn sleep(&self, duration: Duration) -> Result<(), Error> {
        if !duration.is_zero() && self.0.defer_sleep(duration) {
            return Ok(());
        }
        self.block(duration)
    }
}

impl BoundedSched {
    /// Sleeps for `duration` on this thread, if the limit lets it end.
    fn block(&self, duration: Duration) -> Result<(), Error> {
        if self.0.remaining().is_some_and(|limit| duration > limit) {
            return Err(self.0.reached());
        }
        thread::sleep(duration);
        Ok(())
    }
}

/// wasi-common's poll of files (and clocks) on Unix, with the limit as one more timeout: reaching it first is
/// [`WaitLimit::reached`].
#[cfg(unix)]
fn poll_files(poll: &mut Poll<'_>, wait_limit: &WaitLimit) -> Result<(), Error> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    use wasmi_wasi::wasi_common::ErrorExt;
    use wasmi_wasi::wasi_common::sched::subscription::{RwEventFlags, Subscription};

    let (started, limit) = (std::time::Instant::now(), wait_limit.remaining());
    let mut fds = Vec::new();
    for subscription in poll.rw_subscriptions() {
        let (file, flags) = match subscription {
            Subscription::Read(read) => (read.file, PollFlags::IN),
            Subscription::Write(write) => (write.file, PollFlags::OUT),
            Subscription::MonotonicClock(_) => continue,
        };
        let fd = file.pollable().ok_or_else(|| Error::invalid_argument().context("file is not pollable"))?;
        fds.push(PollFd::from_borrowed_fd(fd, flags));
    }
    let ready = loop {
        let clock = poll.earliest_clock_deadline().map(|clock| clock.duration_until().unwrap_or_default());
        let limit_left = limit.map(|limit| limit.saturating_sub(started.elapsed()));
        let timeout = match (clock, limit_left) {
            (Some(clock), Some(limit)) => Some(clock.min(limit)),
            (clock, limit) => clock.or(limit),
        };
        let timeout = timeout.map(Timespec::try_from).transpose().map_err(|_| Error::overflow())?;
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(ready) => break ready,
            Err(rustix::io::Errno::INTR) => continue,
            Err(error) => return Err(std::io::Error::from(error).into()),
        }
    };
    if ready == 0 {
        // Timed out: a clock that is due makes the poll's result; otherwise the limit ran out first.
        let clock_due = poll.earliest_clock_deadline().is_some_and(|clock| clock.result().is_some());
        return if clock_due { Ok(()) } else { Err(wait_limit.reached()) };
    }
    for (subscription, fd) in poll.rw_subscriptions().zip(fds) {
        let (subscription, bytes) = match subscription {
            Subscription::Read(read) => {
                let bytes = read.file.num_ready_bytes()?.max(1);
                (read, bytes)
            }
            Subscription::Write(write) => (write, 0),
            Subscription::MonotonicClock(_) => continue,
        };
        let events = fd.revents();
        if events.contains(PollFlags::NVAL) {
            subscription.error(Error::badf());
        } else if events.contains(PollFlags::ERR) {
            subscription.error(Error::io());
        } else if events.contains(PollFlags::HUP) {
            subscription.complete(bytes, RwEventFlags::HANGUP);
        } else if events.intersects(PollFlags::IN | PollFlags::OUT) {
            subscription.complete(bytes, RwEventFlags::empty());
        }
    }
    Ok(())
}
