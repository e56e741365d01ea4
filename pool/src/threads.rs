//! [`Threads`]: the pool's own threads, where the guest code of async calls runs.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

/// A call to run on a pool thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Threads started as calls need them, at most one per instance the pool may have (every job holds an
/// instance, so more could never all be busy). They end when the pool is dropped.
pub(crate) struct Threads {
    inner: Arc<Inner>,
}

struct Inner {
    queue: Mutex<Queue>,
    ready: Condvar,
    name: String,
    max: usize,
}

struct Queue {
    jobs: VecDeque<Job>,
    threads: usize,
    /// Threads waiting for a job and not yet woken for one.
    idle: usize,
    closed: bool,
}

impl Threads {
    pub(crate) fn new(name: &str, max: usize) -> Self {
        let queue = Queue { jobs: VecDeque::new(), threads: 0, idle: 0, closed: false };
        Threads {
            inner: Arc::new(Inner { queue: Mutex::new(queue), ready: Condvar::new(), name: name.to_owned(), max }),
        }
    }

    /// Runs `job` on a pool thread. If no thread can be started and none runs, the job is dropped, which its
    /// owner sees as a dropped channel.
    pub(crate) fn run(&self, job: Job) {
        let mut queue = self.inner.queue.lock();
        queue.jobs.push_back(job);
        if queue.idle > 0 {
            queue.idle -= 1;
            self.inner.ready.notify_one();
            return;
        }
        if queue.threads >= self.inner.max {
            return;
        }
        queue.threads += 1;
        let number = queue.threads;
        drop(queue);
        let inner = Arc::clone(&self.inner);
        let started =
            std::thread::Builder::new().name(format!("{}-{number}", self.inner.name)).spawn(move || inner.work());
        if let Err(error) = started {
            wapc::__event!(error, "pool `{}` could not start a thread: {error}", self.inner.name);
            let mut queue = self.inner.queue.lock();
            queue.threads -= 1;
            if queue.threads == 0 {
                queue.jobs.clear();
            }
        }
    }
}

impl Inner {
    fn work(&self) {
        while let Some(job) = self.next() {
            // A job sends its own result; a panic in it must not end the thread that others count on.
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }

    fn next(&self) -> Option<Job> {
        let mut queue = self.queue.lock();
        loop {
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if queue.closed {
                queue.threads -= 1;
                return None;
            }
            queue.idle += 1;
            self.ready.wait(&mut queue);
        }
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        self.inner.queue.lock().closed = true;
        self.inner.ready.notify_all();
    }
}
