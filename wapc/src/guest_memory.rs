//! How the ABI functions see a guest's linear memory.

/// A guest's linear memory, as the [`abi`](crate::abi) functions read and write it.
///
/// Every engine that hands out its memory as a byte slice needs nothing more: `[u8]` implements this trait
/// with overflow-checked bounds. An engine whose memory is not one contiguous slice implements the two
/// methods itself.
///
/// ```
/// use wapc::GuestMemory;
///
/// let mut memory = vec![0u8; 16];
/// memory.as_mut_slice().region_mut(4, 2).unwrap().copy_from_slice(b"hi");
/// assert_eq!(memory.as_slice().region(4, 2), Some(&b"hi"[..]));
/// assert_eq!(memory.as_slice().region(15, 2), None); // runs past the end
/// assert_eq!(memory.as_slice().region(u32::MAX, 2), None); // overflows
/// ```
pub trait GuestMemory {
    /// The size of the memory in bytes.
    fn size(&self) -> usize;
    /// The `len` bytes at `ptr`, or `None` if any of them lies outside the memory.
    fn region(&self, ptr: u32, len: u32) -> Option<&[u8]>;
    /// The `len` bytes at `ptr`, writable, or `None` if any of them lies outside the memory.
    fn region_mut(&mut self, ptr: u32, len: u32) -> Option<&mut [u8]>;
}

impl GuestMemory for [u8] {
    fn size(&self) -> usize {
        self.len()
    }

    fn region(&self, ptr: u32, len: u32) -> Option<&[u8]> {
        self.get(span(ptr, len)?)
    }

    fn region_mut(&mut self, ptr: u32, len: u32) -> Option<&mut [u8]> {
        self.get_mut(span(ptr, len)?)
    }
}

/// The index range `ptr..ptr + len`, or `None` if its end does not fit in `usize`.
fn span(ptr: u32, len: u32) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(ptr).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    Some(start..end)
}

#[cfg(test)]
mod tests {
    use super::GuestMemory;

    #[test]
    fn regions_at_the_very_end_are_in_bounds() {
        let memory = [7u8; 8];
        assert_eq!(memory.region(6, 2), Some(&[7u8, 7][..]));
        assert_eq!(memory.region(8, 0), Some(&[][..]));
        assert_eq!(memory.region(9, 0), None);
        assert_eq!(memory.region(7, 2), None);
    }

    #[test]
    fn lengths_that_wrap_are_refused() {
        let mut memory = [0u8; 8];
        assert_eq!(memory.region(1, u32::MAX), None);
        assert!(memory.region_mut(u32::MAX, u32::MAX).is_none());
    }
}
