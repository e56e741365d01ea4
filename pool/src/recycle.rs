//! [`Recycle`]: when a pool retires a healthy instance and makes a fresh one.

use crate::lease::Instance;

/// The recycling rules of a pool; by default instances live until they are idle too long.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Recycle {
    /// Retire an instance after it has served this many calls.
    pub(crate) after_calls: Option<u64>,
    /// Retire an instance once its linear memory has grown past this many bytes.
    pub(crate) above_memory: Option<usize>,
}

impl Recycle {
    /// Whether `instance` may serve another call.
    pub(crate) fn keeps(&self, instance: &Instance) -> bool {
        if self.after_calls.is_some_and(|limit| instance.calls >= limit) {
            return false;
        }
        match self.above_memory {
            Some(mark) => instance.host.memory_bytes().is_none_or(|bytes| bytes <= mark),
            None => true,
        }
    }
}
