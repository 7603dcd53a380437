//! Zeroed host buffers that fail with [`Error::OutOfMemory`] instead of
//! getting the process killed.
//!
//! Filling a fresh `Vec` with zeros writes every page of it, so a request
//! that the allocator grants lazily (Linux overcommits) but the machine
//! cannot back gets the process OOM-killed during the fill, before any error
//! could be returned. Two things keep such a request on the error path:
//!
//! - the memory comes from the allocator's zeroed allocation (`calloc`:
//!   fresh pages from the OS are already zero and are not touched), so
//!   allocating writes nothing, and a refusal by the OS is a null pointer,
//!   which becomes the typed error;
//! - a request larger than the machine's whole memory (RAM plus swap, where
//!   the platform tells it: `/proc/meminfo` on Linux) is refused up front,
//!   whatever the kernel's overcommit setting would grant, since such a
//!   buffer could never be written whole.
//!
//! What this cannot promise: a request that fits the machine but not the
//! memory free at the time is granted lazily, and writing it later may still
//! exhaust memory; no allocator can report that in advance.

use crate::error::{Error, Result};

/// Requests below this size skip the look at the machine's memory (the
/// allocator's own refusal covers them; reading `/proc/meminfo` on every
/// small allocation would cost more than the allocation).
const CHECKED_BYTES: usize = 1 << 30;

/// `len` zeroed elements, or [`Error::OutOfMemory`] with the request's size
/// in bytes when the size overflows, exceeds the machine's memory or the
/// allocator refuses it.
pub(crate) fn zeroed_vec<T: bytemuck::Zeroable>(len: usize) -> Result<Vec<T>> {
    let out_of_memory = || Error::OutOfMemory {
        bytes: len.saturating_mul(std::mem::size_of::<T>()),
    };
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| out_of_memory())?;
    if layout.size() == 0 {
        // Nothing to allocate (len 0, or a zero-sized T): `Vec` needs no
        // memory, and the global allocator must not be asked for 0 bytes.
        return Ok(std::iter::repeat_with(T::zeroed).take(len).collect());
    }
    if layout.size() >= CHECKED_BYTES && machine_memory().is_some_and(|m| layout.size() as u64 > m)
    {
        return Err(out_of_memory());
    }
    // SAFETY: `layout` has a nonzero size (checked above), as
    // `alloc_zeroed` requires.
    let memory = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if memory.is_null() {
        return Err(out_of_memory());
    }
    // SAFETY: `memory` was allocated by the global allocator (the one `Vec`
    // uses) with `Layout::array::<T>(len)`, the layout of a `Vec<T>` of
    // capacity `len`; all `len` elements are initialised, because the
    // memory is zeroed and all-zero bits are a valid `T` (`Zeroable`); the
    // pointer is owned by nothing else, and the `Vec` frees it.
    Ok(unsafe { Vec::from_raw_parts(memory, len, len) })
}

/// The machine's RAM plus swap in bytes, where the platform tells it.
pub(crate) fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|line| line.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        kib.checked_mul(1024)
    };
    field("MemTotal:")?.checked_add(field("SwapTotal:").unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_vectors_are_zero_and_of_their_length() {
        for len in [0, 1, 7, 4096, 1 << 20] {
            let values = zeroed_vec::<f32>(len).unwrap();
            assert_eq!(values.len(), len);
            assert!(values.iter().all(|v| v.to_bits() == 0));
            let words = zeroed_vec::<u32>(len).unwrap();
            assert_eq!(words.len(), len);
            assert!(words.iter().all(|&w| w == 0));
        }
        assert_eq!(zeroed_vec::<()>(5).unwrap().len(), 5);
    }

    #[test]
    fn a_request_larger_than_any_machine_is_refused() {
        // 1 PiB fits a 64-bit address-space layout, but no machine this
        // runs on has that much memory: refused by the memory check (or by
        // the allocator), never filled, never killed.
        let len = 1usize << 47;
        match zeroed_vec::<f64>(len) {
            Err(Error::OutOfMemory { bytes }) => assert_eq!(bytes, 1 << 50),
            other => panic!("1 PiB: {:?}", other.map(|v| v.len())),
        }
        // A size that overflows the layout.
        assert!(matches!(
            zeroed_vec::<f64>(usize::MAX / 4),
            Err(Error::OutOfMemory { .. })
        ));
    }

    #[test]
    fn the_machine_memory_is_read_where_the_platform_tells_it() {
        if cfg!(target_os = "linux") {
            let bytes = machine_memory().expect("/proc/meminfo has MemTotal");
            assert!(bytes >= 64 << 20, "{bytes} bytes of memory");
        }
    }
}
