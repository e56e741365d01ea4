//! The state of the waPC call that is running on this thread.
//!
//! Engines keep their per-instance data behind `'static` bounds, but a call's request borrows the caller's
//! operation name and payload. Rather than copy them into the instance, [`WapcHost`](crate::WapcHost) makes an
//! [`ActiveCall`] on its stack and [`runs`](ActiveCall::run) the provider inside it; the [`abi`](crate::abi)
//! functions, called by the provider's imports on the same thread, find it again with
//! [`ActiveCall::with_current`]. Calls nest (a host callback may call another host): each `run` remembers
//! the call it hides and restores it when it ends, even by unwinding.
//!
//! This module holds the crate's only `unsafe` code: one raw pointer, valid exactly while `run` is on the
//! stack.

use std::cell::Cell;
use std::ptr;

use crate::ModuleState;

thread_local! {
    /// The innermost running call on this thread, or null.
    static CURRENT: Cell<*const ActiveCall<'static>> = const { Cell::new(ptr::null()) };
}

/// What the caller asked for: the operation and payload `__guest_request` copies into the guest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) operation: &'a str,
    pub(crate) payload: &'a [u8],
}

/// One call into a guest (or one run of its start functions) and everything the imports exchange during it.
pub(crate) struct ActiveCall<'a> {
    pub(crate) state: &'a ModuleState,
    /// `None` while start functions run.
    pub(crate) request: Option<Request<'a>>,
    pub(crate) guest_response: Cell<Option<Vec<u8>>>,
    pub(crate) guest_error: Cell<Option<String>>,
    pub(crate) host_response: Cell<Option<Vec<u8>>>,
    pub(crate) host_error: Cell<Option<String>>,
    /// The call this one hides while it runs.
    outer: Cell<*const ActiveCall<'static>>,
}

// SAFETY: every field but `outer` is `Send` (`ModuleState` is `Sync`, the request borrows `Send` data, the cells
// hold owned values). `outer` is non-null only while `run` borrows the call, and `run` nulls it again before it
// returns or unwinds; a call can only be moved to another thread while it is not borrowed, so it never carries a
// pointer into another thread's stack. (It stays `!Sync`: its cells are not for sharing.) An async host keeps
// its call in a `Send` future between the polls that `run` it.
#[cfg(feature = "async")]
unsafe impl Send for ActiveCall<'_> {}

impl<'a> ActiveCall<'a> {
    /// A call of `request`, or a run of start functions when `request` is `None`.
    pub(crate) fn new(state: &'a ModuleState, request: Option<Request<'a>>) -> Self {
        ActiveCall {
            state,
            request,
            guest_response: Cell::new(None),
            guest_error: Cell::new(None),
            host_response: Cell::new(None),
            host_error: Cell::new(None),
            outer: Cell::new(ptr::null()),
        }
    }

    /// Runs `f` with this call as the current one on this thread.
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        /// Puts the outer call back when `run` ends, also when `f` unwinds.
        struct Restore<'c, 'a>(&'c ActiveCall<'a>, *const ActiveCall<'static>);
        impl Drop for Restore<'_, '_> {
            fn drop(&mut self) {
                CURRENT.with(|current| current.set(self.1));
                self.0.outer.set(ptr::null());
            }
        }

        let this: *const ActiveCall<'a> = self;
        let outer = CURRENT.with(|current| current.replace(this.cast()));
        self.outer.set(outer);
        let _restore = Restore(self, outer);
        f()
    }

    /// Runs `f` with the innermost call running on this thread, if any.
    pub(crate) fn with_current<R>(f: impl for<'s> FnOnce(Option<&'s ActiveCall<'s>>) -> R) -> R {
        let current = CURRENT.with(Cell::get);
        // SAFETY: `CURRENT` is non-null only inside `run`, which borrows the call it points to for as long as it
        // is set and resets it before returning or unwinding. `f` is called within that time and, being generic
        // over `'s`, cannot keep the reference beyond it. `ActiveCall` is covariant in its lifetime, so viewing
        // it as `ActiveCall<'s>` for the shorter `'s` is sound; it is `!Sync` and only reached from this thread.
        let call = unsafe { current.as_ref() };
        f(call)
    }

    /// Whether a call of the host owning `state` is running on this thread (at any depth).
    pub(crate) fn is_running(state: &ModuleState) -> bool {
        Self::with_current(|call| {
            let mut call = call;
            while let Some(active) = call {
                if ptr::eq(active.state, state) {
                    return true;
                }
                // SAFETY: an outer call's `run` is further down this thread's stack than the inner one's, so it is
                // alive while the inner one is (the same reasoning as in `with_current`).
                call = unsafe { active.outer.get().as_ref() };
            }
            false
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module_state::Callback;

    #[test]
    fn no_call_is_current_outside_run() {
        assert!(ActiveCall::with_current(|call| call.is_none()));
    }

    #[test]
    fn nested_runs_restore_the_outer_call() {
        let outer_state = ModuleState::new(1, Callback::None, None);
        let inner_state = ModuleState::new(2, Callback::None, None);
        let outer = ActiveCall::new(&outer_state, None);
        outer.run(|| {
            let inner = ActiveCall::new(&inner_state, Some(Request { operation: "op", payload: b"x" }));
            inner.run(|| {
                ActiveCall::with_current(|call| assert_eq!(call.map(|c| c.state.id()), Some(2)));
                assert!(ActiveCall::is_running(&outer_state));
                assert!(ActiveCall::is_running(&inner_state));
            });
            ActiveCall::with_current(|call| assert_eq!(call.map(|c| c.state.id()), Some(1)));
            assert!(!ActiveCall::is_running(&inner_state));
        });
        assert!(!ActiveCall::is_running(&outer_state));
    }

    #[test]
    fn unwinding_out_of_run_restores_the_outer_call() {
        let state = ModuleState::new(3, Callback::None, None);
        let call = ActiveCall::new(&state, None);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call.run(|| panic!("boom"))));
        assert!(unwound.is_err());
        assert!(ActiveCall::with_current(|call| call.is_none()));
    }
}
