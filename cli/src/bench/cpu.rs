//! The CPU as a bench device: a monotonic clock, `memcpy`, and buffers
//! with transparent huge pages advised.

use std::hint::black_box;
use std::time::Instant;

use exact_neuron::{Cpu, Element};

use super::backend::BenchDevice;
use super::data::mix;
use super::rotation::{make_sets, time_rotating, TimingPlan};
use super::timing::Timing;

/// Bytes of memory needed per element at most (inputs, outputs).
const PEAK_BYTES_PER_ELEMENT: u64 = 8;

impl BenchDevice for Cpu {
    fn max_elements(&self) -> Option<u64> {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kib: u64 = text
            .lines()
            .find(|line| line.starts_with("MemAvailable:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kib * 1024 / 10 * 7 / PEAK_BYTES_PER_ELEMENT)
    }

    /// Like numpy, which advises transparent huge pages for every array of
    /// at least 4 MiB on Linux, the bench does so for its buffers: the
    /// comparison with numpy then differs in the loops alone, not in how
    /// the memory is mapped.
    fn filled<T: Element>(&self, n: usize, f: impl Fn(u64) -> T) -> Result<Vec<T>, String> {
        let mut buffer = Vec::new();
        buffer
            .try_reserve_exact(n)
            .map_err(|_| format!("{n} elements do not fit in memory"))?;
        advise_huge_pages(buffer.spare_capacity_mut());
        buffer.extend((0..n as u64).map(f));
        Ok(buffer)
    }

    /// None: CPU rows are labelled `cpu`, not `l2`/`hbm`.
    fn l2_bytes(&self) -> Option<u64> {
        None
    }

    fn time(&self, k: u64, f: &mut dyn FnMut() -> Result<(), String>) -> Result<f64, String> {
        let start = Instant::now();
        for _ in 0..k {
            f()?;
        }
        Ok(start.elapsed().as_secs_f64())
    }

    /// `copy_from_slice` (glibc's `memcpy`), with the destination placed
    /// half a page away from the source modulo the 4 KiB page. glibc's `memcpy` copies
    /// mid-sized buffers with `rep movsb`, which on the AMD EPYC of our
    /// development VM ran at about 3.5 GB/s instead of 60 and more when
    /// `(dst - src) mod 4096` was small, as two equal allocations next to
    /// each other often are: the baseline then measured the allocator's
    /// luck, not the copy. The kernels' loops take no such path.
    fn time_copy(&self, bytes: usize, plan: TimingPlan) -> Result<Timing, String> {
        const PAGE: usize = 4096;
        let mut sets = make_sets(plan.sets, || {
            let src = self.filled(bytes, |i| mix(i) as u8)?;
            let dst = self.filled(bytes + PAGE, |_| 0u8)?;
            // the offset into dst that makes (dst + offset - src) mod PAGE
            // = PAGE / 2
            let want = (src.as_ptr() as usize).wrapping_add(PAGE / 2);
            let offset = want.wrapping_sub(dst.as_ptr() as usize) % PAGE;
            Ok((src, dst, offset))
        })?;
        time_rotating(self, plan, &mut sets, |(src, dst, offset)| {
            let dst = &mut dst[*offset..*offset + src.len()];
            black_box(dst).copy_from_slice(black_box(&src[..]));
            Ok(())
        })
    }

    /// `bench` refuses `--graph` on the CPU before timing anything; this
    /// is the same answer for any other caller.
    fn time_graph(
        &self,
        _calls: u64,
        _reps: u32,
        _f: &mut dyn FnMut() -> Result<(), String>,
    ) -> Result<Timing, String> {
        Err("CUDA graphs need a CUDA device; the CPU has none".into())
    }
}

/// numpy's threshold for the advice (`npy_alloc_cache`'s 4 MiB).
const HUGE_PAGE_MIN_BYTES: usize = 1 << 22;

#[cfg(target_os = "linux")]
fn advise_huge_pages<T>(region: &mut [std::mem::MaybeUninit<T>]) {
    const PAGE: usize = 4096;
    let bytes = std::mem::size_of_val(region);
    if bytes < HUGE_PAGE_MIN_BYTES {
        return;
    }
    let start = region.as_mut_ptr() as usize;
    let begin = start.next_multiple_of(PAGE);
    let end = (start + bytes) / PAGE * PAGE;
    if end > begin {
        // SAFETY: [begin, end) lies inside `region`, memory that the
        // caller's Vec owns and has not initialised yet. MADV_HUGEPAGE only
        // changes how the kernel backs these pages, never their contents or
        // validity; a failure (say, THP disabled) is harmless and ignored.
        unsafe {
            libc::madvise(begin as *mut libc::c_void, end - begin, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_region: &mut [std::mem::MaybeUninit<T>]) {}
