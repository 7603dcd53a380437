//! Global memory: byte buffers at fake device addresses, and the checks
//! every kernel access goes through.
//!
//! Allocations start at 0x1_0000_0000, each aligned to 256 bytes (what
//! cudaMalloc guarantees) and followed by an unmapped gap, and addresses are
//! never reused, so a pointer past the end of a buffer, into a freed buffer
//! or anywhere else never lands in live memory by accident. A kernel access
//! must be naturally aligned to its full size (16 bytes for `.v4.u32` and
//! `.v2.u64`, 8 for `.v2.u32`, ...) and lie inside one allocation.
//!
//! Because the interpreter runs threads one after another, a kernel whose
//! threads race would still give one deterministic answer. A shadow word per
//! byte therefore records, for the current launch, which thread wrote the
//! byte and whether it was read through the non-coherent path. Two threads
//! writing one byte, a thread reading a byte another thread wrote, and any
//! write to memory read through `ld.global.nc` (which the ISA requires to be
//! read-only for the whole kernel) or vice versa are faults.

use std::fmt;
use std::ops::Range;

pub const FIRST_ADDRESS: u64 = 0x1_0000_0000;
pub const ALLOCATION_ALIGN: u64 = 256;
/// Unmapped bytes after each allocation (at least).
pub const GAP: u64 = 4096;

/// Shadow bit: the byte was read with `ld.global.nc` in this launch.
const NC_READ: u32 = 1 << 31;
/// Shadow bits: 1 + the linear id of the thread that wrote the byte in this
/// launch, or 0.
const WRITER: u32 = NC_READ - 1;

/// The largest number of threads a launch may have for the race shadow.
pub const MAX_THREADS: u64 = WRITER as u64 - 1;

/// Why a kernel access failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The address is not a multiple of the access size.
    Misaligned { addr: u64, size: usize },
    /// No allocation contains the address.
    Unmapped { addr: u64, size: usize },
    /// The access starts in or just past an allocation but does not fit in it.
    OutOfBounds {
        addr: u64,
        size: usize,
        base: u64,
        len: usize,
    },
    /// Two threads wrote the same byte in one launch.
    WriteRace { addr: u64, other: u64 },
    /// A thread read a byte that another thread wrote in the same launch.
    ReadRace { addr: u64, other: u64 },
    /// A byte was both written and read through `.nc` in one launch.
    NcWritten { addr: u64 },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fault::Misaligned { addr, size } => {
                write!(f, "misaligned {size}-byte access at {addr:#x}")
            }
            Fault::Unmapped { addr, size } => {
                write!(f, "{size}-byte access at {addr:#x} hits no allocation")
            }
            Fault::OutOfBounds {
                addr,
                size,
                base,
                len,
            } => write!(
                f,
                "{size}-byte access at {addr:#x} is out of bounds of the {len}-byte allocation at {base:#x} (offset {})",
                addr.wrapping_sub(base)
            ),
            Fault::WriteRace { addr, other } => write!(
                f,
                "write race at {addr:#x}: thread {other} already wrote this byte in this launch"
            ),
            Fault::ReadRace { addr, other } => write!(
                f,
                "read race at {addr:#x}: thread {other} wrote this byte in this launch"
            ),
            Fault::NcWritten { addr } => write!(
                f,
                "byte at {addr:#x} is both written and read through ld.global.nc in one launch"
            ),
        }
    }
}

struct Allocation {
    base: u64,
    bytes: Vec<u8>,
    /// One word per byte, valid when `shadow_epoch` is the current launch.
    shadow: Vec<u32>,
    shadow_epoch: u64,
}

/// The device's global memory.
pub struct Memory {
    /// Sorted by base address.
    allocations: Vec<Allocation>,
    next_base: u64,
    /// The current launch, for the race shadow.
    epoch: u64,
}

/// A copy of every live allocation's bytes.
pub struct Snapshot(Vec<(u64, Vec<u8>)>);

impl Default for Memory {
    fn default() -> Self {
        Memory::new()
    }
}

impl Memory {
    pub fn new() -> Memory {
        Memory {
            allocations: Vec::new(),
            next_base: FIRST_ADDRESS,
            epoch: 0,
        }
    }

    /// A new zeroed allocation of `len` bytes; its address.
    pub fn alloc(&mut self, len: usize) -> u64 {
        let base = self.next_base;
        let end = base + len as u64 + GAP;
        self.next_base = end.div_ceil(ALLOCATION_ALIGN) * ALLOCATION_ALIGN;
        self.allocations.push(Allocation {
            base,
            bytes: vec![0; len],
            shadow: Vec::new(),
            shadow_epoch: 0,
        });
        base
    }

    /// Frees the allocation at `base`.
    pub fn free(&mut self, base: u64) -> Result<(), String> {
        match self.allocations.binary_search_by_key(&base, |a| a.base) {
            Ok(index) => {
                self.allocations.remove(index);
                Ok(())
            }
            Err(_) => Err(format!("free of {base:#x}, which is not an allocation")),
        }
    }

    /// How many allocations are live.
    pub fn live(&self) -> usize {
        self.allocations.len()
    }

    /// The allocation containing `addr`: its base and length.
    pub fn allocation_of(&self, addr: u64) -> Option<(u64, usize)> {
        let index = self.allocations.partition_point(|a| a.base <= addr);
        let a = self.allocations.get(index.checked_sub(1)?)?;
        (addr - a.base < a.bytes.len() as u64).then_some((a.base, a.bytes.len()))
    }

    fn host_range(&self, addr: u64, len: usize) -> Result<(usize, Range<usize>), String> {
        let index = self.allocations.partition_point(|a| a.base <= addr);
        let fail =
            || format!("host access of {len} bytes at {addr:#x} is outside every allocation");
        let index = index.checked_sub(1).ok_or_else(fail)?;
        let a = &self.allocations[index];
        let start = (addr - a.base) as usize;
        if start as u64 > a.bytes.len() as u64 || a.bytes.len() - start < len {
            return Err(fail());
        }
        Ok((index, start..start + len))
    }

    /// Host read (a copy from the device; no fault checks).
    pub fn read(&self, addr: u64, len: usize) -> Result<&[u8], String> {
        let (index, range) = self.host_range(addr, len)?;
        Ok(&self.allocations[index].bytes[range])
    }

    /// Host write.
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), String> {
        let (index, range) = self.host_range(addr, data.len())?;
        self.allocations[index].bytes[range].copy_from_slice(data);
        Ok(())
    }

    /// Host fill with a repeating pattern.
    pub fn fill(&mut self, addr: u64, len: usize, pattern: &[u8]) -> Result<(), String> {
        let (index, range) = self.host_range(addr, len)?;
        for (byte, value) in self.allocations[index].bytes[range]
            .iter_mut()
            .zip(pattern.iter().cycle())
        {
            *byte = *value;
        }
        Ok(())
    }

    /// Starts a launch: the race shadow forgets the previous one.
    pub fn begin_launch(&mut self) {
        self.epoch += 1;
    }

    /// Finds the allocation for a kernel access, after the alignment check.
    fn locate(&mut self, addr: u64, size: usize) -> Result<(usize, usize), Fault> {
        if addr % size as u64 != 0 {
            return Err(Fault::Misaligned { addr, size });
        }
        let index = self.allocations.partition_point(|a| a.base <= addr);
        let Some(index) = index.checked_sub(1) else {
            return Err(Fault::Unmapped { addr, size });
        };
        let a = &mut self.allocations[index];
        let offset = addr - a.base;
        let len = a.bytes.len() as u64;
        if offset >= len + GAP {
            return Err(Fault::Unmapped { addr, size });
        }
        if offset + size as u64 > len {
            return Err(Fault::OutOfBounds {
                addr,
                size,
                base: a.base,
                len: a.bytes.len(),
            });
        }
        if a.shadow_epoch != self.epoch {
            a.shadow.clear();
            a.shadow.resize(a.bytes.len(), 0);
            a.shadow_epoch = self.epoch;
        }
        Ok((index, offset as usize))
    }

    /// A kernel load of `size` bytes (1 to 16) by thread `thread` (its linear
    /// id), little-endian.
    pub fn load(&mut self, addr: u64, size: usize, nc: bool, thread: u64) -> Result<u128, Fault> {
        let (index, offset) = self.locate(addr, size)?;
        let a = &mut self.allocations[index];
        let me = thread as u32 + 1;
        for (i, shadow) in a.shadow[offset..offset + size].iter_mut().enumerate() {
            let writer = *shadow & WRITER;
            if nc {
                if writer != 0 {
                    return Err(Fault::NcWritten {
                        addr: addr + i as u64,
                    });
                }
                *shadow |= NC_READ;
            } else if writer != 0 && writer != me {
                return Err(Fault::ReadRace {
                    addr: addr + i as u64,
                    other: u64::from(writer - 1),
                });
            }
        }
        let mut value = 0u128;
        for (i, byte) in a.bytes[offset..offset + size].iter().enumerate() {
            value |= u128::from(*byte) << (8 * i);
        }
        Ok(value)
    }

    /// A kernel store of the low `size` bytes of `value`, little-endian.
    pub fn store(&mut self, addr: u64, size: usize, value: u128, thread: u64) -> Result<(), Fault> {
        let (index, offset) = self.locate(addr, size)?;
        let a = &mut self.allocations[index];
        let me = thread as u32 + 1;
        for (i, shadow) in a.shadow[offset..offset + size].iter_mut().enumerate() {
            let writer = *shadow & WRITER;
            if *shadow & NC_READ != 0 {
                return Err(Fault::NcWritten {
                    addr: addr + i as u64,
                });
            }
            if writer != 0 && writer != me {
                return Err(Fault::WriteRace {
                    addr: addr + i as u64,
                    other: u64::from(writer - 1),
                });
            }
            *shadow = me;
        }
        for (i, byte) in a.bytes[offset..offset + size].iter_mut().enumerate() {
            *byte = (value >> (8 * i)) as u8;
        }
        Ok(())
    }

    /// A copy of all live memory.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot(
            self.allocations
                .iter()
                .map(|a| (a.base, a.bytes.clone()))
                .collect(),
        )
    }

    /// A copy of `snapshot` in which the bytes at `addr` are `data` (which
    /// must lie inside one of its allocations): what memory should look like
    /// after a launch that wrote exactly `data` there.
    pub fn with_bytes(&self, mut snapshot: Snapshot, addr: u64, data: &[u8]) -> Snapshot {
        let (base, _) = self.allocation_of(addr).expect("the address is live");
        let (_, bytes) = snapshot
            .0
            .iter_mut()
            .find(|(b, _)| *b == base)
            .expect("the allocation was live at the snapshot");
        let start = (addr - base) as usize;
        bytes[start..start + data.len()].copy_from_slice(data);
        snapshot
    }

    /// The first address outside `allowed` whose byte differs from
    /// `before`, or that was freed or allocated since.
    pub fn first_change(&self, before: &Snapshot, allowed: Range<u64>) -> Option<u64> {
        if before.0.len() != self.allocations.len() {
            return Some(0);
        }
        for ((base, old), a) in before.0.iter().zip(&self.allocations) {
            if *base != a.base || old.len() != a.bytes.len() {
                return Some(a.base);
            }
            // The allowed range as offsets into this allocation (empty when
            // it lies elsewhere); the rest is compared as whole slices.
            let len = old.len() as u64;
            let lo = allowed.start.clamp(*base, base + len) - base;
            let hi = allowed.end.clamp(*base, base + len) - base;
            let (lo, hi) = if lo < hi {
                (lo as usize, hi as usize)
            } else {
                (old.len(), old.len())
            };
            for range in [0..lo, hi..old.len()] {
                if old[range.clone()] != a.bytes[range.clone()] {
                    let i = range
                        .clone()
                        .find(|&i| old[i] != a.bytes[i])
                        .expect("the slices differ somewhere");
                    return Some(base + i as u64);
                }
            }
        }
        None
    }
}
