//! Differential tests of `kernels/bits.ptx` (spikes as bits, warp
//! collectives) and `kernels/fused.ptx` (a step, or many, in one launch),
//! run by the PTX interpreter before the library launches them: each entry
//! over several grids, on fresh random data with special values, against a
//! naive reference written here, bit for bit. Outputs are poisoned first,
//! and nothing but the output may change (guards, inputs). Broken copies of
//! the kernels (a partial mask, a collective in a divergent branch, a block
//! that is not whole warps) must trap.

use exact_neuron_support::ptx;
use exact_neuron_support::unrolled::counts_around_4s;

use exact_neuron::device::StepVoltage;
use exact_neuron::kernel::{Kernel, Op, SpikeRule};
use exact_neuron::launch::{ArgValue, GridLimits, LaunchPlan, VoltageTarget};
use exact_neuron::{Cpu, DType, KernelDevice, OverrideValue, VoltageElement};
use half::{bf16, f16};
use ptx::exec::{launch, ExecOptions, LaunchError, LaunchStats, TrapKind};
use ptx::ir::Module;
use ptx::memory::Memory;
use ptx::parser::parse_module;

/// The PTX text of the module that holds `entry`: the library's embedded
/// kernels, through the generated table.
fn src_of(entry: &str) -> &'static str {
    Kernel::named(entry)
        .unwrap_or_else(|| panic!("{entry} is not in the entry table"))
        .ptx()
}

/// The parsed modules of the table's operations, parsed once per test.
struct Modules(Vec<Module>);

impl Modules {
    fn new() -> Modules {
        Modules(Op::ALL.iter().map(|op| parsed(op.ptx())).collect())
    }

    fn of(&self, entry: &str) -> &Module {
        let kernel = Kernel::named(entry).expect("an entry of the table");
        &self.0[kernel.op().index()]
    }
}

const BITS_ENTRIES: &[&str] = &[
    "threshold_bits_f32",
    "threshold_bits_f64",
    "threshold_bits_f16",
    "threshold_bits_bf16",
    "pack_bits_u8",
    "override_bits_f32",
    "override_bits_f64",
    "override_bits_b16",
    "voltage_bits_f32",
    "voltage_bits_f64",
    "voltage_bits_b16",
    "unpack_bits_u8",
];

const FUSED_ENTRIES: &[&str] = &[
    "step_f32",
    "step_f64",
    "step_f16",
    "step_bf16",
    "step_override_u8",
    "step_override_f32",
    "step_override_f64",
    "step_override_b16",
    "step_bits_f32",
    "step_bits_f64",
    "step_bits_f16",
    "step_bits_bf16",
    "step_bits_override_u8",
    "step_bits_override_f32",
    "step_bits_override_f64",
    "step_bits_override_b16",
];

/// Neurons per row: around one, two and many words, and none.
const COUNTS: &[usize] = &[0, 1, 31, 32, 33, 63, 64, 65, 1000];
/// Rows (batch sizes, or steps times batch size).
const ROWS: &[usize] = &[1, 2, 3, 7];
/// Grids (blocks, threads per block) of whole warps: one warp for all the
/// work, a few, and more warps than words.
const GRIDS: &[(u32, u32)] = &[(1, 32), (1, 64), (3, 32), (2, 96), (5, 256)];

/// Bytes around every buffer that no kernel may touch.
const GUARD: usize = 64;

// ---------------------------------------------------------------------------
// Random data
// ---------------------------------------------------------------------------

/// SplitMix64, seeded from the clock; the seed is printed so that a failure
/// can be replayed with `BITS_SEED`.
struct Rng(u64);

impl Rng {
    fn fresh(what: &str) -> Rng {
        let seed = match std::env::var("BITS_SEED") {
            Ok(text) => text.parse().expect("BITS_SEED is a u64"),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("the clock is past 1970")
                .as_nanos() as u64,
        };
        eprintln!("{what}: seed {seed} (BITS_SEED={seed} replays it)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// An element type as the kernels see it: a width and the special values
/// to draw often.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    U8,
    F16,
    BF16,
    F32,
    F64,
}

impl Ty {
    fn size(self) -> usize {
        match self {
            Ty::U8 => 1,
            Ty::F16 | Ty::BF16 => 2,
            Ty::F32 => 4,
            Ty::F64 => 8,
        }
    }

    /// ±0, ±inf, NaNs of both signs, the smallest and largest subnormals,
    /// ±1 and the largest finite numbers.
    fn specials(self) -> Vec<u64> {
        match self {
            Ty::U8 => vec![0, 1, 2, 0x80, 0xFF],
            Ty::F16 => vec![
                0, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x0001, 0x03FF, 0x8001, 0x3C00, 0xBC00,
                0x7BFF,
            ],
            Ty::BF16 => vec![
                0, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0xFFC1, 0x0001, 0x007F, 0x8001, 0x3F80, 0xBF80,
                0x7F7F,
            ],
            Ty::F32 => vec![
                0,
                0x8000_0000,
                0x7F80_0000,
                0xFF80_0000,
                0x7FC0_0000,
                0xFFC0_0001,
                0x0000_0001,
                0x007F_FFFF,
                0x8000_0001,
                0x3F80_0000,
                0xBF80_0000,
                0x7F7F_FFFF,
            ],
            Ty::F64 => vec![
                0,
                0x8000_0000_0000_0000,
                0x7FF0_0000_0000_0000,
                0xFFF0_0000_0000_0000,
                0x7FF8_0000_0000_0000,
                0xFFF8_0000_0000_0001,
                1,
                0x000F_FFFF_FFFF_FFFF,
                0x8000_0000_0000_0001,
                0x3FF0_0000_0000_0000,
                0xBFF0_0000_0000_0000,
                0x7FEF_FFFF_FFFF_FFFF,
            ],
        }
    }

    fn mask(self) -> u64 {
        if self.size() == 8 {
            u64::MAX
        } else {
            (1 << (8 * self.size())) - 1
        }
    }

    /// `n` bit patterns: half special values, half random bits.
    fn draw(self, rng: &mut Rng, n: usize) -> Vec<u64> {
        let specials = self.specials();
        (0..n)
            .map(|_| {
                if rng.next() & 1 == 0 {
                    specials[rng.below(specials.len())]
                } else {
                    rng.next() & self.mask()
                }
            })
            .collect()
    }

    /// `x > 0` by the IEEE-754 value (the naive reference).
    fn positive(self, bits: u64) -> bool {
        match self {
            Ty::U8 => bits > 0,
            Ty::F16 => f16::from_bits(bits as u16).to_f32() > 0.0,
            Ty::BF16 => bf16::from_bits(bits as u16).to_f32() > 0.0,
            Ty::F32 => f32::from_bits(bits as u32) > 0.0,
            Ty::F64 => f64::from_bits(bits) > 0.0,
        }
    }

    /// `x != 0` by the IEEE-754 value (NaN is not 0, -0 is).
    fn nonzero(self, bits: u64) -> bool {
        match self {
            Ty::U8 => bits != 0,
            Ty::F16 => f16::from_bits(bits as u16).to_f32() != 0.0,
            Ty::BF16 => bf16::from_bits(bits as u16).to_f32() != 0.0,
            Ty::F32 => f32::from_bits(bits as u32) != 0.0,
            Ty::F64 => f64::from_bits(bits) != 0.0,
        }
    }

    fn to_bytes(self, values: &[u64]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|v| v.to_le_bytes()[..self.size()].to_vec())
            .collect()
    }
}

// ---------------------------------------------------------------------------
// The naive reference
// ---------------------------------------------------------------------------

fn words_per_row(count: usize) -> usize {
    count.div_ceil(32)
}

/// GeNN's layout, one bit at a time.
fn pack(rows: usize, count: usize, spike: impl Fn(usize) -> bool) -> Vec<u32> {
    let wpr = words_per_row(count);
    let mut words = vec![0u32; rows * wpr];
    for r in 0..rows {
        for c in 0..count {
            if spike(r * count + c) {
                words[r * wpr + c / 32] |= 1 << (c % 32);
            }
        }
    }
    words
}

fn bit(words: &[u32], count: usize, index: usize) -> bool {
    let (r, c) = (index / count, index % count);
    words[r * words_per_row(count) + c / 32] >> (c % 32) & 1 == 1
}

fn words_to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

// ---------------------------------------------------------------------------
// Launching
// ---------------------------------------------------------------------------

/// A buffer between guards in a fresh memory.
struct Buf {
    addr: u64,
    len: usize,
}

struct Run {
    memory: Memory,
}

const GUARD_BYTE: u8 = 0x5A;
const POISON: u8 = 0xA7;

impl Run {
    fn new() -> Run {
        Run {
            memory: Memory::new(),
        }
    }

    /// `data` after `GUARD` guard bytes plus `skew` bytes, and `GUARD`
    /// after it.
    fn buffer(&mut self, data: &[u8], skew: usize) -> Buf {
        let base = self.memory.alloc(2 * GUARD + skew + data.len());
        self.memory
            .fill(base, 2 * GUARD + skew + data.len(), &[GUARD_BYTE])
            .expect("fits");
        let addr = base + (GUARD + skew) as u64;
        self.memory.write(addr, data).expect("fits");
        Buf {
            addr,
            len: data.len(),
        }
    }

    fn poisoned(&mut self, len: usize) -> Buf {
        self.buffer(&vec![POISON; len], 0)
    }

    /// Launches and checks that nothing outside `outputs` changed.
    fn launch(
        &mut self,
        module: &Module,
        entry: &str,
        grid: (u32, u32),
        args: &[ArgValue],
        outputs: &[&Buf],
    ) -> Result<LaunchStats, LaunchError> {
        let before = self.memory.snapshot();
        let stats = launch(
            module,
            entry,
            grid.0,
            grid.1,
            args,
            &mut self.memory,
            &ExecOptions::default(),
        )?;
        // The outputs may change: compare everything with the snapshot
        // after copying the outputs' new contents into it.
        let mut expected = before;
        for out in outputs.iter().filter(|out| out.len > 0) {
            let now = self.read(out);
            expected = self.memory.with_bytes(expected, out.addr, &now);
        }
        if let Some(addr) = self.memory.first_change(&expected, 0..0) {
            panic!("{entry} on grid {grid:?} changed memory outside its outputs at {addr:#x}");
        }
        Ok(stats)
    }

    fn read(&self, buf: &Buf) -> Vec<u8> {
        self.memory.read(buf.addr, buf.len).expect("live").to_vec()
    }
}

fn parsed(src: &str) -> Module {
    parse_module(src).unwrap_or_else(|err| panic!("{err}"))
}

/// Every shape and grid, `case` given (rows, count, grid, rng).
fn sweep(what: &str, mut case: impl FnMut(usize, usize, (u32, u32), &mut Rng)) {
    let mut rng = Rng::fresh(what);
    for &rows in ROWS {
        for &count in COUNTS {
            for &grid in GRIDS {
                case(rows, count, grid, &mut rng);
            }
        }
    }
}

fn u64s(values: &[u64]) -> Vec<ArgValue> {
    values.iter().map(|&v| ArgValue::U64(v)).collect()
}

// ---------------------------------------------------------------------------
// bits.ptx
// ---------------------------------------------------------------------------

/// The reference test of an element's spike: `Ty::positive` or `Ty::nonzero`.
type SpikeTest = fn(Ty, u64) -> bool;

/// One launch of a packing entry (`out` words from `rows * count` elements
/// of `ty`, drawn fresh, the output poisoned) compared with `pack` of
/// `spike`.
#[allow(clippy::too_many_arguments)]
fn packing_case(
    module: &Module,
    entry: &str,
    ty: Ty,
    spike: SpikeTest,
    rows: usize,
    count: usize,
    grid: (u32, u32),
    rng: &mut Rng,
) {
    let n = rows * count;
    let values = ty.draw(rng, n);
    let mut run = Run::new();
    // the input at an element offset of 0..3 from a 16-byte boundary
    let input = run.buffer(&ty.to_bytes(&values), ty.size() * rng.below(4));
    let nwords = rows * words_per_row(count);
    let out = run.poisoned(4 * nwords);
    let args = u64s(&[out.addr, input.addr, rows as u64, count as u64]);
    run.launch(module, entry, grid, &args, &[&out])
        .unwrap_or_else(|err| panic!("{entry} rows {rows} count {count} grid {grid:?}: {err}"));
    let expected = pack(rows, count, |i| spike(ty, values[i]));
    assert_eq!(
        run.read(&out),
        words_to_bytes(&expected),
        "{entry} rows {rows} count {count} grid {grid:?}"
    );
}

/// Runs a packing entry over every shape and grid of `sweep`.
fn check_packing(src: &str, entry: &str, ty: Ty, spike: SpikeTest) {
    let module = parsed(src);
    let mut launched = 0;
    sweep(entry, |rows, count, grid, rng| {
        packing_case(&module, entry, ty, spike, rows, count, grid, rng);
        launched += 1;
    });
    assert_eq!(launched, ROWS.len() * COUNTS.len() * GRIDS.len());
}

/// Shapes (rows, count) for the packing entries' tiles of 8 words (Part 1
/// of their loop, with the one-word loop taking the fewer than 8 words
/// left): one tile exactly, a tile ending in a partial word, rows of one,
/// two, three or seven words so that tiles cross row boundaries (at partial
/// words, or at full ones), rows * wpr just below, at and above multiples
/// of 8 and of 8 times the warps of `TILE_GRIDS` (9 and 80 warps: 72 and
/// 640 words), and rows long enough for several tiles per warp.
const TILE_SHAPES: &[(usize, usize)] = &[
    (1, 256),
    (1, 255),
    (1, 257),
    (3, 96),
    (8, 33),
    (33, 31),
    (12, 200),
    (5, 513),
    (7, 1000),
    (2, 2048),
    (1, 72 * 32),
    (1, 72 * 32 - 1),
    (1, 72 * 32 + 33),
    (9, 8 * 32),
    (71, 32),
    (73, 32),
    (1, 640 * 32 + 7),
    (20, 32 * 32 - 5),
];
/// Grids for the tiles: one warp, one block of 4, 3 blocks of 3 warps, and
/// many blocks (80 warps).
const TILE_GRIDS: &[(u32, u32)] = &[(1, 32), (1, 128), (3, 96), (40, 64)];

/// Runs a packing entry over `TILE_SHAPES` and `TILE_GRIDS`.
fn check_packing_tiles(src: &str, entry: &str, ty: Ty, spike: SpikeTest) {
    let module = parsed(src);
    let mut rng = Rng::fresh(&format!("{entry} tiles"));
    for &(rows, count) in TILE_SHAPES {
        for &grid in TILE_GRIDS {
            packing_case(&module, entry, ty, spike, rows, count, grid, &mut rng);
        }
    }
}

/// The packing entries with their element types and spike tests.
const PACKING: &[(&str, Ty, SpikeTest)] = &[
    ("threshold_bits_f32", Ty::F32, Ty::positive),
    ("threshold_bits_f64", Ty::F64, Ty::positive),
    ("threshold_bits_f16", Ty::F16, Ty::positive),
    ("threshold_bits_bf16", Ty::BF16, Ty::positive),
    ("pack_bits_u8", Ty::U8, Ty::nonzero),
    ("override_bits_f32", Ty::F32, Ty::nonzero),
    ("override_bits_f64", Ty::F64, Ty::nonzero),
    ("override_bits_b16", Ty::F16, Ty::nonzero),
    ("override_bits_b16", Ty::BF16, Ty::nonzero),
];

#[test]
fn packing_tiles_match_the_reference() {
    for &(entry, ty, spike) in PACKING {
        check_packing_tiles(src_of(entry), entry, ty, spike);
    }
}

#[test]
fn wrong_tile_loops_fail_the_comparison() {
    // Broken copies of the tile loop of threshold_bits_f32 must fail the
    // tile sweep: every lane storing (not lanes 0..7), a row's end stepped
    // over as if its last word were full, the straight path taken by a
    // tile whose last word is partial, word 3 kept by lane 4, the carry
    // from w into the next row dropped between tiles, and a tile loop
    // that stops one tile early.
    let src = src_of("threshold_bits_f32");
    let broken = [
        (
            "every lane stores",
            mutate(
                src,
                "@%keep st.global.cs.u32 [%a], %mine;",
                "st.global.cs.u32 [%a], %mine;",
            ),
        ),
        (
            "row end stepped as a full word",
            mutate(
                src,
                "@!%inside add.u64       %p, %p, %remb;",
                "@!%inside add.u64       %p, %p, 128;",
            ),
        ),
        (
            "straight path for a partial last word",
            mutate(
                src,
                "setp.lt.u64         %slow, %remb, 1024;",
                "setp.lt.u64         %slow, %remb, 993;",
            ),
        ),
        (
            "word 3 kept by lane 4",
            mutate(
                src,
                "setp.eq.u32         %own, %lane, 3;",
                "setp.eq.u32         %own, %lane, 4;",
            ),
        ),
        (
            "no carry into the next row",
            mutate(src, "@%carry add.u64         %prow, %prow, %countb;", ""),
        ),
        (
            "one tile short",
            mutate(
                src,
                "setp.lt.u64         %more, %pout, %pend;",
                "sub.u64 %a, %pend, %ostride;\n    setp.lt.u64 %more, %pout, %a;",
            ),
        ),
    ];
    for (what, src) in broken {
        parsed(&src); // a copy the interpreter rejects would prove nothing
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_packing_tiles(&src, "threshold_bits_f32", Ty::F32, Ty::positive)
        }));
        assert!(caught.is_err(), "{what}: the broken kernel passed");
    }
}

#[test]
fn a_divergent_tile_ballot_traps() {
    // Lanes 8..31 leave before the tile loop's first ballot, so that only
    // lanes 0..7 reach it: the full mask names lanes that never arrive.
    // One row of 256 neurons is one tile, on the straight path.
    let ballot = "vote.sync.ballot.b32 %ballot, %bit, 0xFFFFFFFF;";
    let src = mutate(
        src_of("threshold_bits_f32"),
        ballot,
        &format!("@!%keep bra DONE;\n    {ballot}"),
    );
    let module = parsed(&src);
    let (rows, count) = (1usize, 256usize);
    let mut run = Run::new();
    let input = run.buffer(&vec![0x11u8; 4 * rows * count], 0);
    let out = run.poisoned(4 * rows * words_per_row(count));
    let args = u64s(&[out.addr, input.addr, rows as u64, count as u64]);
    member_mask_trap(
        run.launch(&module, "threshold_bits_f32", (1, 32), &args, &[&out])
            .map(drop),
        "a tile ballot by lanes 0..7",
    );
}

#[test]
fn threshold_bits_match_the_reference() {
    for (entry, ty) in [
        ("threshold_bits_f32", Ty::F32),
        ("threshold_bits_f64", Ty::F64),
        ("threshold_bits_f16", Ty::F16),
        ("threshold_bits_bf16", Ty::BF16),
    ] {
        check_packing(src_of(entry), entry, ty, Ty::positive);
    }
}

#[test]
fn pack_and_override_bits_match_the_reference() {
    for (entry, ty) in [
        ("pack_bits_u8", Ty::U8),
        ("override_bits_f32", Ty::F32),
        ("override_bits_f64", Ty::F64),
        ("override_bits_b16", Ty::F16),
        ("override_bits_b16", Ty::BF16),
    ] {
        check_packing(src_of(entry), entry, ty, Ty::nonzero);
    }
}

/// The unpacking entries, each with the element type whose patterns it
/// writes (`voltage_bits_b16` with f16's specials; `unpack_bits_u8` writes
/// the bit itself).
const UNPACKING: &[(&str, Ty)] = &[
    ("voltage_bits_f32", Ty::F32),
    ("voltage_bits_f64", Ty::F64),
    ("voltage_bits_b16", Ty::F16),
    ("unpack_bits_u8", Ty::U8),
];

/// E: elements per 16-byte chunk of an unpacking entry's Part 1.
fn chunk_width(ty: Ty) -> usize {
    16 / ty.size()
}

/// rest and thresh for an unpacking entry: special values or random bits
/// of `ty` (NaNs, ±0, ±inf, subnormals), with garbage in the high half of
/// the b16 entry's 32-bit parameters, which it must ignore.
fn unpacking_patterns(ty: Ty, rng: &mut Rng) -> (u64, u64) {
    let mut one = || {
        let bits = ty.draw(rng, 1)[0];
        match ty {
            Ty::F16 | Ty::BF16 => bits | (rng.next() & 0xFFFF_0000),
            _ => bits,
        }
    };
    (one(), one())
}

/// The arguments of an unpacking entry as the library's plan builds them:
/// `p_groups` from out's alignment and the row length (the grid is the
/// test's own).
fn unpacking_args(
    entry: &str,
    (rows, count): (usize, usize),
    out: &Buf,
    words: &Buf,
    (rest, thresh): (u64, u64),
) -> Vec<ArgValue> {
    let kernel = Kernel::named(entry).expect("an entry of the table");
    let limits = GridLimits::for_multiprocessors(1);
    let plan = match kernel.op() {
        Op::UnpackBits => LaunchPlan::unpack_bits(rows, count, out.addr, words.addr, limits),
        _ => LaunchPlan::voltage_bits_dyn(
            kernel.dtypes()[0],
            rows,
            count,
            out.addr,
            words.addr,
            rest,
            thresh,
            limits,
        ),
    };
    plan.unwrap_or_else(|err| panic!("{entry}: {err}"))
        .args()
        .to_vec()
}

/// One launch of an unpacking entry over random words (padding bits random
/// too: the kernel must ignore them) into a poisoned output `skew` bytes
/// past a 16-byte boundary, compared with the patterns' low bytes (the bit
/// itself for u8). Panics on a difference; returns the launch's statistics.
#[allow(clippy::too_many_arguments)]
fn unpacking_case(
    module: &Module,
    entry: &str,
    ty: Ty,
    (rows, count): (usize, usize),
    grid: (u32, u32),
    skew: usize,
    patterns: (u64, u64),
    rng: &mut Rng,
) -> LaunchStats {
    let size = ty.size();
    let n = rows * count;
    let nwords = rows * words_per_row(count);
    let words: Vec<u32> = (0..nwords).map(|_| rng.next() as u32).collect();
    let mut run = Run::new();
    let input = run.buffer(&words_to_bytes(&words), 4 * rng.below(4));
    let out = run.buffer(&vec![POISON; size * n], skew);
    let args = unpacking_args(entry, (rows, count), &out, &input, patterns);
    let what = format!(
        "{entry} rows {rows} count {count} grid {grid:?} out at {:#x} patterns {patterns:x?}",
        out.addr
    );
    let stats = run
        .launch(module, entry, grid, &args, &[&out])
        .unwrap_or_else(|err| panic!("{what}: {err}"));
    let (rest, thresh) = patterns;
    let expected: Vec<u8> = (0..n)
        .flat_map(|i| {
            let set = bit(&words, count, i);
            let value = match ty {
                Ty::U8 => u64::from(set),
                _ if set => thresh,
                _ => rest,
            };
            value.to_le_bytes()[..size].to_vec()
        })
        .collect();
    let got = run.read(&out);
    if let Some(i) = (0..expected.len()).find(|&i| got[i] != expected[i]) {
        panic!(
            "{what}: byte {i} is {:#x}, not {:#x} (element {})",
            got[i],
            expected[i],
            i / size
        );
    }
    // Part 1 (16-byte stores) exactly where the plan allows it
    let chunks = out.addr % 16 == 0 && count % chunk_width(ty) == 0 && n > 0;
    assert_eq!(stats.vector_accesses > 0, chunks, "{what}: the wrong path");
    stats
}

/// Runs an unpacking entry of `src` over every shape and grid of `sweep`,
/// twice: its output 16-byte aligned (Part 1 where E divides count) and
/// a random number of elements past that (the one-word loop), with
/// patterns drawn fresh.
fn check_unpacking(src: &str, entry: &str, ty: Ty) {
    let module = parsed(src);
    let (mut chunked, mut by_word) = (0, 0);
    sweep(entry, |rows, count, grid, rng| {
        let odd = ty.size() * (1 + rng.below(16 / ty.size() - 1));
        for skew in [0, odd] {
            let patterns = unpacking_patterns(ty, rng);
            let stats =
                unpacking_case(&module, entry, ty, (rows, count), grid, skew, patterns, rng);
            match stats.vector_accesses {
                0 => by_word += 1,
                _ => chunked += 1,
            }
        }
    });
    assert!(
        chunked > 0 && by_word > 0,
        "{entry}: {chunked} runs in chunks, {by_word} by word"
    );
}

#[test]
fn voltage_and_unpack_bits_match_the_reference() {
    for &(entry, ty) in UNPACKING {
        check_unpacking(src_of(entry), entry, ty);
    }
}

/// Grids for Part 1 of the unpacking entries, which has no collective: a
/// single thread, one block of 128 and 3 blocks of 96.
const CHUNK_GRIDS: &[(u32, u32)] = &[(1, 1), (1, 128), (3, 96)];

/// Chunk counts G for a grid of S threads: every class of Part 1's
/// unrolled and single loops (`counts_around_4s`), and G below S (idle
/// threads).
fn chunk_counts(threads: usize) -> Vec<usize> {
    let mut counts = counts_around_4s(threads);
    counts.push(threads.div_ceil(2));
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// A shape (rows, count) of `g` chunks of `e` elements, the `i`th of three
/// kinds: one long row; g rows of one chunk (each a partial word); rows of
/// k chunks for the smallest k in 3..=9 that divides g (words crossed at
/// every offset), else one row.
fn chunk_shape(g: usize, e: usize, i: usize) -> (usize, usize) {
    match i % 3 {
        0 => (1, g * e),
        1 => (g, e),
        _ => match (3..=9).find(|k| g % k == 0) {
            Some(k) => (g / k, k * e),
            None => (1, g * e),
        },
    }
}

/// One run of Part 1: the grid, the number of chunks and the shape.
type ChunkCase = ((u32, u32), usize, (usize, usize));

/// Part 1 of an unpacking entry of `src` on `CHUNK_GRIDS` at every
/// remainder of `chunk_counts`, and on 40 blocks of 64 once, with the
/// output aligned (the plan's groups = rows * count / E).
fn check_unpacking_chunks(src: &str, entry: &str, ty: Ty, rng: &mut Rng) {
    let module = parsed(src);
    let e = chunk_width(ty);
    let mut cases: Vec<ChunkCase> = Vec::new();
    for &grid in CHUNK_GRIDS {
        let threads = (grid.0 * grid.1) as usize;
        for (i, g) in chunk_counts(threads).into_iter().enumerate() {
            cases.push((grid, g, chunk_shape(g, e, i)));
        }
    }
    let g = 5 * 2560 + 1; // 4S + S + 1 chunks on 2560 threads
    cases.push(((40, 64), g, chunk_shape(g, e, 2)));
    for (grid, g, shape) in cases {
        let patterns = unpacking_patterns(ty, rng);
        let stats = unpacking_case(&module, entry, ty, shape, grid, 0, patterns, rng);
        // every chunk one 16-byte store
        assert_eq!(stats.vector_accesses, g as u64, "{entry} {shape:?}");
    }
}

#[test]
fn unpacking_chunks_cover_every_remainder_of_the_grid() {
    let mut rng = Rng::fresh("unpacking chunks");
    for &(entry, ty) in UNPACKING {
        check_unpacking_chunks(src_of(entry), entry, ty, &mut rng);
    }
}

#[test]
fn wrong_chunk_loops_fail_the_comparison() {
    // Broken copies of Part 1 of voltage_bits_f32 (its first entry, so the
    // first match is in its Part 1): each must fail the chunk sweep or the
    // reference sweep.
    let src = src_of("voltage_bits_f32");
    let chunk_sweep = [
        (
            "no row carry for the word address",
            mutate(src, "@%carry add.u64         %pw, %pw, %wrow;", ""),
        ),
        (
            "bit offsets taken mod 16",
            mutate(
                src,
                "and.b32             %off0, %col32, 31;",
                "and.b32             %off0, %col32, 15;",
            ),
        ),
        (
            "the unrolled loop runs with chunk c + 3S at groups",
            mutate(
                src,
                "setp.ge.u64         %end, %a, %pend;",
                "setp.gt.u64         %end, %a, %pend;",
            ),
        ),
        (
            "the single loop skipped",
            mutate(
                src,
                "@%end bra               SINGLE;",
                "@%end bra               DONE;",
            ),
        ),
        (
            "a chunk's values swapped",
            mutate(
                src,
                "selp.b32            %e0, %thresh, %rest, %spk;",
                "selp.b32            %e0, %rest, %thresh, %spk;",
            ),
        ),
        (
            "an output stride of 4S bytes",
            mutate(
                src,
                "shl.b64             %ostride, %a, 4;",
                "shl.b64             %ostride, %a, 2;",
            ),
        ),
    ];
    let mut rng = Rng::fresh("broken chunk loops");
    for (what, src) in chunk_sweep {
        parsed(&src); // a copy the interpreter rejects would prove nothing
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_unpacking_chunks(&src, "voltage_bits_f32", Ty::F32, &mut rng)
        }));
        assert!(caught.is_err(), "{what}: the broken kernel passed");
    }
    // Part 1 although the plan passed 0 (out misaligned): a misaligned
    // 16-byte store, which the reference sweep meets half the time.
    let ignores_plan = mutate(
        src,
        "@%end bra               WORDS;                  // the plan chose Part 2",
        "",
    );
    let caught =
        std::panic::catch_unwind(|| check_unpacking(&ignores_plan, "voltage_bits_f32", Ty::F32));
    assert!(caught.is_err(), "Part 1 on a misaligned output passed");
}

#[test]
fn pack_then_unpack_is_the_identity_on_spike_bytes() {
    let modules = Modules::new();
    sweep("pack/unpack round trip", |rows, count, grid, rng| {
        let n = rows * count;
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 1) as u8).collect();
        let nwords = rows * words_per_row(count);
        let mut run = Run::new();
        let input = run.buffer(&bytes, rng.below(16));
        let words = run.poisoned(4 * nwords);
        let shape = [rows as u64, count as u64];
        let args = u64s(&[words.addr, input.addr, shape[0], shape[1]]);
        run.launch(
            modules.of("pack_bits_u8"),
            "pack_bits_u8",
            grid,
            &args,
            &[&words],
        )
        .expect("pack");
        let back = run.poisoned(n);
        let args = unpacking_args("unpack_bits_u8", (rows, count), &back, &words, (0, 0));
        run.launch(
            modules.of("unpack_bits_u8"),
            "unpack_bits_u8",
            grid,
            &args,
            &[&back],
        )
        .expect("unpack");
        assert_eq!(run.read(&back), bytes, "rows {rows} count {count}");
    });
}

#[test]
fn wrong_kernels_fail_the_comparison() {
    // The comparisons above can fail: a threshold that sets the padding
    // bits, a test off by one pattern (+0 counted as positive), and a
    // voltage with its two patterns swapped.
    let padding = mutate(
        src_of("threshold_bits_f32"),
        "mov.b32             %x, 0;",
        "mov.b32             %x, 1;",
    );
    let zero = mutate(
        src_of("threshold_bits_f32"),
        "sub.u32             %x, %x, 1;",
        "mov.b32 %x, %x;",
    );
    let swapped = mutate(
        src_of("voltage_bits_f32"),
        "selp.b32            %v, %thresh, %rest, %spk;",
        "selp.b32            %v, %rest, %thresh, %spk;",
    );
    let fails = |what: &str, f: &dyn Fn()| {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        assert!(caught.is_err(), "{what}: the broken kernel passed");
    };
    fails("padding", &|| {
        check_packing(&padding, "threshold_bits_f32", Ty::F32, Ty::positive)
    });
    fails("+0", &|| {
        check_packing(&zero, "threshold_bits_f32", Ty::F32, Ty::positive)
    });
    fails("swapped", &|| {
        check_unpacking(&swapped, "voltage_bits_f32", Ty::F32)
    });
}

// ---------------------------------------------------------------------------
// Whole warps and misuse
// ---------------------------------------------------------------------------

/// Runs `entry` of `src` on 3 rows of 33 neurons (a partial word in every
/// row) over `grid`, returning the trap if any.
fn run_small(src: &str, entry: &str, grid: (u32, u32)) -> Result<(), LaunchError> {
    let module = parsed(src);
    let (rows, count) = (3usize, 33usize);
    let mut run = Run::new();
    let words = vec![0xFFFF_FFFFu32; rows * words_per_row(count)];
    let input_words = run.buffer(&words_to_bytes(&words), 0);
    let input_bytes = run.buffer(&vec![1u8; rows * count], 0);
    let (out, input) = if entry.starts_with("unpack") {
        (run.poisoned(rows * count), input_words)
    } else {
        (run.poisoned(4 * words.len()), input_bytes)
    };
    let mut args = u64s(&[out.addr, input.addr, rows as u64, count as u64]);
    if entry.starts_with("unpack") {
        // groups: 0, the one-word loop (as the plan gives for 33 neurons)
        args.push(ArgValue::U64(0));
    }
    run.launch(&module, entry, grid, &args, &[&out]).map(drop)
}

fn member_mask_trap(result: Result<(), LaunchError>, what: &str) {
    match result {
        Err(LaunchError::Trap(trap)) => {
            eprintln!("{what}: {trap}");
            assert!(
                matches!(
                    trap.kind,
                    TrapKind::MemberMask { .. } | TrapKind::InactiveSource { .. }
                ),
                "{what}: {trap}"
            );
        }
        other => panic!("{what}: expected a collective trap, got {other:?}"),
    }
}

#[test]
fn blocks_must_be_whole_warps() {
    for entry in ["pack_bits_u8", "unpack_bits_u8"] {
        run_small(src_of(entry), entry, (2, 64)).expect("whole warps run");
        // 48 threads: the second warp has 16 lanes, but the full mask names 32
        for block in [48, 16, 33] {
            member_mask_trap(
                run_small(src_of(entry), entry, (2, block)),
                &format!("{entry} block {block}"),
            );
        }
    }
}

/// `src` with `from` replaced once; `from` must be there.
fn mutate(src: &str, from: &str, to: &str) -> String {
    assert!(src.contains(from), "{from:?} is not in the kernel");
    src.replacen(from, to, 1)
}

#[test]
fn misused_collectives_trap() {
    let ballot = "vote.sync.ballot.b32 %word, %pos, 0xFFFFFFFF;";
    let shfl = "shfl.sync.idx.b32   %word, %word, 0, 0x1F, 0xFFFFFFFF;";
    // pack_bits_u8 is the first entry with a ballot after the threshold
    // ones: mutate the first ballot (threshold_bits_f32) and run that one.
    let cases = [
        (
            "a partial mask on a full warp",
            mutate(
                src_of("threshold_bits_f32"),
                ballot,
                "vote.sync.ballot.b32 %word, %pos, 0x0000FFFF;",
            ),
            "threshold_bits_f32",
        ),
        (
            "the ballot in a divergent branch (only lanes with a neuron)",
            mutate(
                src_of("threshold_bits_f32"),
                ballot,
                "mov.b32 %word, 0;\n@%valid vote.sync.ballot.b32 %word, %pos, 0xFFFFFFFF;",
            ),
            "threshold_bits_f32",
        ),
        (
            "lanes past the row's end leave before the ballot",
            mutate(
                src_of("threshold_bits_f32"),
                ballot,
                &format!("@!%valid bra DONE;\n    {ballot}"),
            ),
            "threshold_bits_f32",
        ),
        (
            "a shuffle mask without lane 31",
            mutate(
                src_of("voltage_bits_f32"),
                shfl,
                "shfl.sync.idx.b32   %word, %word, 0, 0x1F, 0x7FFFFFFF;",
            ),
            "voltage_bits_f32",
        ),
        (
            "a shuffle from a lane that left",
            mutate(
                src_of("voltage_bits_f32"),
                shfl,
                &format!("@%lead bra DONE;\n    {shfl}"),
            ),
            "voltage_bits_f32",
        ),
    ];
    for (what, src, entry) in cases {
        let module = parsed(&src);
        let (rows, count) = (3usize, 33usize);
        let mut run = Run::new();
        let input = run.buffer(&vec![0x11u8; 8 * rows * count], 0);
        let out = run.poisoned(8 * rows * count);
        let mut args = u64s(&[out.addr, input.addr, rows as u64, count as u64]);
        if entry.starts_with("voltage") {
            // groups 0 (the word loop, as for 33 neurons), rest, thresh
            args.extend([ArgValue::U64(0), ArgValue::B32(1), ArgValue::B32(2)]);
        }
        member_mask_trap(
            run.launch(&module, entry, (2, 64), &args, &[&out])
                .map(drop),
            what,
        );
    }
}

// ---------------------------------------------------------------------------
// fused.ptx
// ---------------------------------------------------------------------------

/// Grids for the element-wise fused entries: any block size works.
const FUSED_GRIDS: &[(u32, u32)] = &[(1, 1), (1, 32), (3, 7), (2, 96), (5, 256)];

/// The arguments of a fused byte step as the library's plan builds them
/// (`LaunchPlan::step_dyn`: head and groups from the buffers' addresses),
/// for `n` elements of `ty` at `input`, spikes at `spikes`, `vbytes`-byte
/// voltages at `volt` (none for 0) and the state from element `last` if
/// given.
fn step_args(
    entry: &str,
    ty: Ty,
    n: usize,
    (spikes, input): (&Buf, &Buf),
    (vbytes, volt, rest, thresh): (usize, &Buf, u64, u64),
    state: Option<(&Buf, usize)>,
) -> Vec<ArgValue> {
    let rule = if entry.starts_with("step_override") {
        SpikeRule::Override
    } else {
        SpikeRule::Threshold
    };
    let dtype = match ty {
        Ty::U8 => DType::U8,
        Ty::F16 => DType::F16,
        Ty::BF16 => DType::BF16,
        Ty::F32 => DType::F32,
        Ty::F64 => DType::F64,
    };
    let vdtype = match vbytes {
        2 => Some(DType::F16),
        4 => Some(DType::F32),
        8 => Some(DType::F64),
        _ => None,
    };
    let voltage = vdtype.map(|dtype| VoltageTarget {
        addr: volt.addr,
        dtype,
        rest,
        thresh,
    });
    let plan = LaunchPlan::step_dyn(
        rule,
        dtype,
        n,
        spikes.addr,
        input.addr,
        voltage,
        state.map(|(buf, last)| (buf.addr, last)),
        GridLimits::for_multiprocessors(1),
    )
    .unwrap_or_else(|err| panic!("{entry}: {err}"));
    assert_eq!(plan.kernel().name(), entry);
    let mut args = plan.args().to_vec();
    // rest and thresh as the test drew them, all 64 bits (the kernel must
    // use the low vbytes bytes only)
    args[7] = ArgValue::B64(rest);
    args[8] = ArgValue::B64(thresh);
    args
}

#[test]
fn fused_steps_match_the_reference() {
    let modules = Modules::new();
    let mut rng = Rng::fresh("fused");
    let entries: [(&str, Ty, SpikeTest); 9] = [
        ("step_f32", Ty::F32, Ty::positive),
        ("step_f64", Ty::F64, Ty::positive),
        ("step_f16", Ty::F16, Ty::positive),
        ("step_bf16", Ty::BF16, Ty::positive),
        ("step_override_u8", Ty::U8, Ty::nonzero),
        ("step_override_f32", Ty::F32, Ty::nonzero),
        ("step_override_f64", Ty::F64, Ty::nonzero),
        ("step_override_b16", Ty::F16, Ty::nonzero),
        ("step_override_b16", Ty::BF16, Ty::nonzero),
    ];
    let mut launched = 0;
    for (entry, ty, spike) in entries {
        for &steps in &[1usize, 3] {
            for &count in COUNTS {
                for &grid in FUSED_GRIDS {
                    // the voltage's width: none (null), 2, 4 or 8 bytes
                    let vbytes = [0usize, 2, 4, 8][rng.below(4)];
                    let with_state = rng.next() & 1 == 1;
                    let batch = 1 + rng.below(3);
                    let step = batch * count;
                    let n = steps * step;
                    let last = (steps - 1) * step;
                    let values = ty.draw(&mut rng, n);
                    let (rest, thresh) = (rng.next(), rng.next());
                    let mut run = Run::new();
                    let input = run.buffer(&ty.to_bytes(&values), ty.size() * rng.below(4));
                    let spikes = run.poisoned(n);
                    let volt = run.poisoned(vbytes * n);
                    let state = run.poisoned(if with_state { n - last } else { 0 });
                    let mut args = step_args(
                        entry,
                        ty,
                        n,
                        (&spikes, &input),
                        (vbytes, &volt, rest, thresh),
                        with_state.then_some((&state, last)),
                    );
                    // a null voltage with a width must still write none, and
                    // a null state with a last none either
                    args[5] = ArgValue::U64(last as u64);
                    if vbytes == 0 {
                        args[6] = ArgValue::U64(4);
                    }
                    let outs: Vec<&Buf> = [&spikes, &volt, &state].into_iter().collect();
                    run.launch(modules.of(entry), entry, grid, &args, &outs)
                        .unwrap_or_else(|err| panic!("{entry} n {n} grid {grid:?}: {err}"));
                    let expected: Vec<u8> =
                        values.iter().map(|&v| u8::from(spike(ty, v))).collect();
                    let what = format!(
                        "{entry} steps {steps} batch {batch} count {count} vbytes {vbytes} \
                         grid {grid:?}"
                    );
                    assert_eq!(run.read(&spikes), expected, "{what}");
                    let volts: Vec<u8> = expected
                        .iter()
                        .flat_map(|&s| {
                            (if s == 1 { thresh } else { rest }).to_le_bytes()[..vbytes].to_vec()
                        })
                        .collect();
                    assert_eq!(run.read(&volt), volts, "{what}");
                    if with_state {
                        assert_eq!(run.read(&state), expected[last..].to_vec(), "{what}");
                    }
                    launched += 1;
                }
            }
        }
    }
    assert_eq!(launched, 9 * 2 * COUNTS.len() * FUSED_GRIDS.len());
}

/// The threshold byte steps and their vector path (the three loops of
/// threshold.ptx), with their input type, spike test and W.
const VECTOR_STEPS: &[(&str, Ty, SpikeTest, usize)] = &[
    ("step_f32", Ty::F32, Ty::positive, 4),
    ("step_f64", Ty::F64, Ty::positive, 4),
    ("step_f16", Ty::F16, Ty::positive, 8),
    ("step_bf16", Ty::BF16, Ty::positive, 8),
];

/// The override byte steps, which take the same loops (override.ptx's
/// group widths: 16 bytes, 8 halves, 4 words or doubles).
const OVERRIDE_VECTOR_STEPS: &[(&str, Ty, SpikeTest, usize)] = &[
    ("step_override_u8", Ty::U8, Ty::nonzero, 16),
    ("step_override_f32", Ty::F32, Ty::nonzero, 4),
    ("step_override_f64", Ty::F64, Ty::nonzero, 4),
    ("step_override_b16", Ty::F16, Ty::nonzero, 8),
    ("step_override_b16", Ty::BF16, Ty::nonzero, 8),
];

/// Grids for the vector-path sweep: one thread, one block, 3 x 96 (S not a
/// power of two) and many small blocks.
const VECTOR_STEP_GRIDS: &[(u32, u32)] = &[(1, 1), (1, 128), (3, 96), (24, 32)];

/// How the sweep lays its buffers out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Every buffer 16-byte aligned at element 0 (the state at element
    /// `last`): head 0.
    Aligned,
    /// Every buffer 16-byte aligned at the given element below 16 (and
    /// not before): that head, then the vector path.
    Head(usize),
    /// Each buffer at a random offset: mostly never aligned together, so
    /// every element goes the scalar way.
    Skewed,
}

/// The bytes to put before a buffer of `size`-byte elements (its element
/// 0 16-byte aligned with none) whose element `at` (which may be
/// negative) must be 16-byte aligned.
fn skew_aligning(at: isize, size: usize) -> usize {
    (-(at * size as isize)).rem_euclid(16) as usize
}

/// Each entry of `steps` on fresh data over lengths around a group and
/// around whole unrolled iterations of the grid, every voltage width and
/// none, with and without the state (its first element `last` at every
/// offset in a group, or a few for W = 16), every buffer aligned, aligned
/// after a head of 1 to 15 elements, or skewed at random; outputs
/// poisoned, guards checked, and compared with the naive reference bit for
/// bit (and, for the override steps, with the CPU backend). Each entry
/// must have taken the vector path, with and without a head, and the
/// all-scalar way where its buffers could not be aligned together.
fn sweep_vector_steps(steps: &[(&str, Ty, SpikeTest, usize)], what: &str, cpu: bool) {
    let modules = Modules::new();
    let mut rng = Rng::fresh(what);
    let mut launched = 0;
    let mut vectored = 0;
    for &(entry, ty, spike, width) in steps {
        // launches that took the unrolled vector path; that did so after a
        // head; that went all scalar though long enough for groups
        let (mut unrolled, mut headed, mut scalar) = (0, 0, 0);
        for &grid in VECTOR_STEP_GRIDS {
            let threads = grid.0 as usize * grid.1 as usize;
            // Lengths around a group and around 4S groups (one unrolled
            // iteration of the whole grid), past a head of up to 15.
            let quad = 4 * threads * width;
            let mut lengths = vec![0, 1, width - 1, width, width + 1, 3 * width + 2];
            for base in [quad, 2 * quad] {
                for delta in [0, 1, width - 1, width, 16 + width + 1] {
                    lengths.push(base + delta);
                    lengths.push(base - delta.min(base));
                }
            }
            lengths.push(quad - 3 * width * threads + 5); // k + 3S just past
            for &n in &lengths {
                for vbytes in [0usize, 2, 4, 8] {
                    for with_state in [false, true] {
                        // last at a random group, then every offset in it
                        // (W = 16: the first two, one between, the last)
                        let base = if n == 0 { 0 } else { rng.below(n) } / width * width;
                        let offsets: Vec<usize> = match (with_state, width) {
                            (false, _) => vec![0],
                            (true, 16) => vec![0, 1, 2 + rng.below(13), 15],
                            (true, _) => (0..width).collect(),
                        };
                        for offset in offsets {
                            let last = (base + offset).min(n);
                            let layout = match rng.below(3) {
                                0 => Layout::Aligned,
                                1 => Layout::Head(1 + rng.below(15)),
                                _ => Layout::Skewed,
                            };
                            // the bytes before each buffer's element 0
                            let mut skew = |size: usize, origin: usize| match layout {
                                Layout::Aligned => skew_aligning(-(origin as isize), size),
                                Layout::Head(h) => {
                                    skew_aligning(h as isize - origin as isize, size)
                                }
                                Layout::Skewed => size * rng.below(16),
                            };
                            let (in_skew, sp_skew) = (skew(ty.size(), 0), skew(1, 0));
                            let v_skew = skew(vbytes.max(1), 0);
                            // the state's element i is the plan's last + i
                            let st_skew = skew(1, last);
                            let values = ty.draw(&mut rng, n);
                            let (rest, thresh) = (rng.next(), rng.next());
                            let mut run = Run::new();
                            let input = run.buffer(&ty.to_bytes(&values), in_skew);
                            let spikes = run.buffer(&vec![POISON; n], sp_skew);
                            let volt = run.buffer(&vec![POISON; vbytes * n], v_skew);
                            let state_len = if with_state { n - last } else { 0 };
                            let state = run.buffer(&vec![POISON; state_len], st_skew);
                            let args = step_args(
                                entry,
                                ty,
                                n,
                                (&spikes, &input),
                                (vbytes, &volt, rest, thresh),
                                with_state.then_some((&state, last)),
                            );
                            let u64_arg = |i: usize| match args[i] {
                                ArgValue::U64(value) => value as usize,
                                _ => unreachable!("p_head and p_groups are .u64"),
                            };
                            let (head, groups) = (u64_arg(9), u64_arg(10));
                            let what = format!(
                                "{entry} n {n} vbytes {vbytes} state {with_state} last {last} \
                                 grid {grid:?} {layout:?} skews \
                                 {in_skew}/{sp_skew}/{v_skew}/{st_skew} (addresses \
                                 {:#x}/{:#x}/{:#x}/{:#x}) head {head} groups {groups}",
                                input.addr, spikes.addr, volt.addr, state.addr
                            );
                            let stats = run
                                .launch(
                                    modules.of(entry),
                                    entry,
                                    grid,
                                    &args,
                                    &[&spikes, &volt, &state],
                                )
                                .unwrap_or_else(|err| panic!("{what}: {err}"));
                            let expected: Vec<u8> =
                                values.iter().map(|&v| u8::from(spike(ty, v))).collect();
                            assert_eq!(run.read(&spikes), expected, "{what}");
                            let volts: Vec<u8> = expected
                                .iter()
                                .flat_map(|&s| {
                                    (if s == 1 { thresh } else { rest }).to_le_bytes()[..vbytes]
                                        .to_vec()
                                })
                                .collect();
                            assert_eq!(run.read(&volt), volts, "{what}");
                            assert_eq!(run.read(&state), expected[n - state_len..], "{what}");
                            if cpu {
                                let state_from = with_state.then_some(last);
                                let (c_spikes, c_volts, c_state) = cpu_override_step(
                                    ty,
                                    &values,
                                    vbytes,
                                    (rest, thresh),
                                    state_from,
                                );
                                assert_eq!(c_spikes, expected, "CPU, {what}");
                                assert_eq!(c_volts, volts, "CPU, {what}");
                                assert_eq!(c_state, run.read(&state), "CPU, {what}");
                            }
                            // The plan's head and groups are the layout's.
                            match layout {
                                Layout::Aligned => assert_eq!(head, 0, "{what}"),
                                Layout::Head(h) => assert_eq!(head, h.min(n), "{what}"),
                                Layout::Skewed => {}
                            }
                            if layout != Layout::Skewed {
                                assert_eq!(groups, (n - head) / width, "{what}");
                            }
                            if groups >= 4 * threads {
                                assert!(stats.vector_accesses > 0, "{what}: no vector access");
                                unrolled += 1;
                                if head > 0 {
                                    headed += 1;
                                }
                            }
                            if groups == 0 && n >= 32 {
                                scalar += 1;
                            }
                            launched += 1;
                        }
                    }
                }
            }
        }
        assert!(
            unrolled > 0 && headed > 0 && scalar > 0,
            "{entry} ({ty:?}): {unrolled} unrolled launches, {headed} of them after a head, \
             {scalar} all scalar"
        );
        vectored += unrolled;
    }
    eprintln!("{launched} launches, {vectored} checked to take the vector path");
}

#[test]
fn fused_step_vector_paths_match_the_reference() {
    sweep_vector_steps(VECTOR_STEPS, "fused vector steps", false);
}

#[test]
fn fused_override_step_vector_paths_match_the_reference_and_the_cpu() {
    sweep_vector_steps(OVERRIDE_VECTOR_STEPS, "fused override vector steps", true);
}

/// A voltage type as the CPU backend takes it, from and to the test's bits.
trait VoltageBits: VoltageElement {
    fn of_bits(bits: u64) -> Self;
    fn le_bytes(self) -> Vec<u8>;
}

impl VoltageBits for f16 {
    fn of_bits(bits: u64) -> Self {
        f16::from_bits(bits as u16)
    }
    fn le_bytes(self) -> Vec<u8> {
        self.to_bits().to_le_bytes().to_vec()
    }
}

impl VoltageBits for f32 {
    fn of_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn le_bytes(self) -> Vec<u8> {
        self.to_bits().to_le_bytes().to_vec()
    }
}

impl VoltageBits for f64 {
    fn of_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn le_bytes(self) -> Vec<u8> {
        self.to_bits().to_le_bytes().to_vec()
    }
}

/// The CPU backend's override step over `values` (bits of `ty`): spike
/// bytes, the voltages as bytes (`vbytes` wide, none for 0) and the state
/// from element `state_from` if given.
fn cpu_override_step(
    ty: Ty,
    values: &[u64],
    vbytes: usize,
    (rest, thresh): (u64, u64),
    state_from: Option<usize>,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    fn with_voltage<T: OverrideValue, V: VoltageBits>(
        values: &[T],
        volt: Option<(u64, u64)>,
        state_from: Option<usize>,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let n = values.len();
        let mut spikes = vec![POISON; n];
        let mut out = vec![V::of_bits(0); if volt.is_some() { n } else { 0 }];
        let mut state = state_from.map(|last| vec![POISON; n - last]);
        let voltage = volt.map(|(rest, thresh)| StepVoltage {
            out: &mut out,
            rest: V::of_bits(rest),
            thresh: V::of_bits(thresh),
        });
        Cpu.step_override::<T, V>(values, &mut spikes, voltage, state.as_mut())
            .expect("the CPU step runs");
        let volts = out.into_iter().flat_map(V::le_bytes).collect();
        (spikes, volts, state.unwrap_or_default())
    }
    fn typed<T: OverrideValue>(
        values: &[T],
        vbytes: usize,
        patterns: (u64, u64),
        state_from: Option<usize>,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        match vbytes {
            2 => with_voltage::<T, f16>(values, Some(patterns), state_from),
            4 => with_voltage::<T, f32>(values, Some(patterns), state_from),
            8 => with_voltage::<T, f64>(values, Some(patterns), state_from),
            _ => with_voltage::<T, f32>(values, None, state_from),
        }
    }
    let patterns = (rest, thresh);
    match ty {
        Ty::U8 => {
            let values: Vec<u8> = values.iter().map(|&v| v as u8).collect();
            typed(&values, vbytes, patterns, state_from)
        }
        Ty::F16 => {
            let values: Vec<f16> = values.iter().map(|&v| f16::from_bits(v as u16)).collect();
            typed(&values, vbytes, patterns, state_from)
        }
        Ty::BF16 => {
            let values: Vec<bf16> = values.iter().map(|&v| bf16::from_bits(v as u16)).collect();
            typed(&values, vbytes, patterns, state_from)
        }
        Ty::F32 => {
            let values: Vec<f32> = values.iter().map(|&v| f32::from_bits(v as u32)).collect();
            typed(&values, vbytes, patterns, state_from)
        }
        Ty::F64 => {
            let values: Vec<f64> = values.iter().map(|&v| f64::from_bits(v)).collect();
            typed(&values, vbytes, patterns, state_from)
        }
    }
}

/// Runs `entry` of the PTX text `src` as a byte step over `values` (bits
/// of `ty`, spikes by `spike`) on `grid`, every buffer 16-byte aligned but
/// the state, which starts at element `last`, with 4-byte voltages; `Err`
/// names the first launch error or wrong output.
fn run_byte_step(
    (entry, ty, spike): (&str, Ty, SpikeTest),
    src: &str,
    values: &[u64],
    grid: (u32, u32),
    last: usize,
) -> Result<(), String> {
    let (n, vbytes) = (values.len(), 4);
    let module = parse_module(src).map_err(|err| err.to_string())?;
    let mut run = Run::new();
    let input = run.buffer(&ty.to_bytes(values), 0);
    let spikes = run.poisoned(n);
    let volt = run.poisoned(vbytes * n);
    // the state's element -last 16-byte aligned, so the vector path runs
    let state = run.buffer(&vec![POISON; n - last], last % 16);
    let (rest, thresh) = (0x1111_2222, 0x3333_4444);
    let args = step_args(
        entry,
        ty,
        n,
        (&spikes, &input),
        (vbytes, &volt, rest, thresh),
        Some((&state, last)),
    );
    let stats = run
        .launch(&module, entry, grid, &args, &[&spikes, &volt, &state])
        .map_err(|err| err.to_string())?;
    if stats.vector_accesses == 0 {
        return Err("the vector path did not run".into());
    }
    let expected: Vec<u8> = values.iter().map(|&v| u8::from(spike(ty, v))).collect();
    let volts: Vec<u8> = expected
        .iter()
        .flat_map(|&s| (if s == 1 { thresh } else { rest } as u32).to_le_bytes())
        .collect();
    for (name, got, want) in [
        ("spikes", run.read(&spikes), expected.clone()),
        ("voltages", run.read(&volt), volts),
        ("state", run.read(&state), expected[last..].to_vec()),
    ] {
        if let Some(i) = (0..want.len()).find(|&i| got[i] != want[i]) {
            return Err(format!(
                "{name} byte {i}: {:#x}, not {:#x}",
                got[i], want[i]
            ));
        }
    }
    Ok(())
}

/// `run_byte_step` of step_f32 (threshold) on f32 bits.
fn run_f32_step(src: &str, values: &[u64], grid: (u32, u32), last: usize) -> Result<(), String> {
    run_byte_step(("step_f32", Ty::F32, Ty::positive), src, values, grid, last)
}

/// `run_byte_step` of step_override_u8 on bytes.
fn run_u8_override_step(
    src: &str,
    values: &[u64],
    grid: (u32, u32),
    last: usize,
) -> Result<(), String> {
    let entry = ("step_override_u8", Ty::U8, Ty::nonzero as SpikeTest);
    run_byte_step(entry, src, values, grid, last)
}

/// Bytes 0x80, 0, 1, 0xFF, 0, ... (`n` of them): 0x80 tests the byte's
/// top bit alone, 0x01 its low bits, 0xFF both.
fn cycling_bytes(n: usize) -> Vec<u64> {
    (0..n).map(|i| [0x80, 0, 1, 0xFF, 0][i % 5]).collect()
}

/// Alternating positive and negative f32 inputs, `n` of them.
fn alternating_f32(n: usize) -> Vec<u64> {
    (0..n)
        .map(|i| u64::from(if i % 3 == 0 { 1.5f32 } else { -2.0f32 }.to_bits()))
        .collect()
}

#[test]
fn the_unmutated_f32_step_passes_the_mutation_cases() {
    let src = Op::Step.ptx();
    run_f32_step(src, &alternating_f32(4 * 4 * 32 + 8), (1, 32), 20).expect("unrolled");
    run_f32_step(
        src,
        &alternating_f32(3 * 4 * 32 + 7),
        (1, 32),
        3 * 4 * 32 + 2,
    )
    .expect("straddle");
    run_f32_step(src, &alternating_f32(40 * 16), (3, 4), 4).expect("4 groups");
}

#[test]
fn a_state_bound_off_by_one_is_caught() {
    // The unrolled loop's first state test `o >= d` made `o > d`: the group
    // that starts exactly at last stores no state word, so 4 state bytes
    // keep their poison.
    let src = mutate(
        Op::Step.ptx(),
        "setp.ge.u64         %p, %o, %d;",
        "setp.gt.u64         %p, %o, %d;",
    );
    // last = 20: group 5, the first group of thread 5's unrolled iteration
    let err = run_f32_step(&src, &alternating_f32(4 * 4 * 32 + 8), (1, 32), 20)
        .expect_err("the state word of the group at last must be missing");
    assert!(err.starts_with("state byte 0"), "{err}");
}

#[test]
fn a_dropped_straddling_group_is_caught() {
    // The scalar loop no longer running past the tail over the straddling
    // group's state-only elements: last mid-group leaves them unwritten.
    let src = mutate(
        Op::Step.ptx(),
        "add.u64             %slim, %lim, %o;",
        "mov.u64             %slim, %lim;",
    );
    let err = run_f32_step(
        &src,
        &alternating_f32(3 * 4 * 32 + 7),
        (1, 32),
        3 * 4 * 32 + 2,
    )
    .expect_err("the straddler's state bytes must be missing");
    assert!(err.starts_with("state byte 0"), "{err}");
}

#[test]
fn a_voltage_stride_of_the_wrong_width_is_caught() {
    // S groups of voltages counted as S voltages (vshift instead of
    // vshift + 2): the groups k + S, k + 2S, k + 3S of an unrolled
    // iteration store their voltages at other threads' places, a race or
    // a group never written.
    let src = mutate(
        Op::Step.ptx(),
        "shl.b64             %svolt, %stride, %vg;",
        "shl.b64             %svolt, %stride, %vshift;",
    );
    let err = run_f32_step(&src, &alternating_f32(40 * 16), (3, 4), 4)
        .expect_err("misplaced voltages must be caught");
    assert!(err.contains("race") || err.starts_with("voltages"), "{err}");
}

#[test]
fn the_unmutated_u8_override_step_passes_the_mutation_cases() {
    let src = Op::StepOverride.ptx();
    // (1, 32): 129 groups of 16, every thread one unrolled iteration
    run_u8_override_step(src, &cycling_bytes(129 * 16), (1, 32), 32).expect("unrolled");
    run_u8_override_step(src, &cycling_bytes(128 * 16 + 7), (1, 32), 127 * 16 + 2)
        .expect("straddle");
    run_u8_override_step(src, &cycling_bytes(64 * 16), (3, 4), 16).expect("4 groups");
}

// The mutations below hit step_override_u8, the first entry of
// step_override.ptx (`mutate` replaces the first occurrence).

#[test]
fn a_u8_override_state_bound_off_by_one_is_caught() {
    // `o >= d` made `o > d`: group 2, at last = 32 exactly (the first group
    // of thread 2's unrolled iteration), stores no state word.
    let src = mutate(
        Op::StepOverride.ptx(),
        "setp.ge.u64         %p, %o, %d;",
        "setp.gt.u64         %p, %o, %d;",
    );
    let err = run_u8_override_step(&src, &cycling_bytes(129 * 16), (1, 32), 32)
        .expect_err("the state word of the group at last must be missing");
    assert!(err.starts_with("state byte 0"), "{err}");
}

#[test]
fn a_dropped_u8_override_straddler_is_caught() {
    // The scalar loop no longer running over the state-only elements of
    // the group straddling last (group 127, last 2 elements into it).
    let src = mutate(
        Op::StepOverride.ptx(),
        "add.u64             %slim, %lim, %o;",
        "mov.u64             %slim, %lim;",
    );
    let err = run_u8_override_step(&src, &cycling_bytes(128 * 16 + 7), (1, 32), 127 * 16 + 2)
        .expect_err("the straddler's state bytes must be missing");
    assert!(err.starts_with("state byte 0"), "{err}");
}

#[test]
fn a_u8_override_voltage_stride_of_the_wrong_width_is_caught() {
    // S groups of voltages counted as S voltages (vshift, not vshift + 4):
    // the groups k + S, k + 2S, k + 3S store their voltages elsewhere.
    let src = mutate(
        Op::StepOverride.ptx(),
        "shl.b64             %svolt, %stride, %vg;",
        "shl.b64             %svolt, %stride, %vshift;",
    );
    let err = run_u8_override_step(&src, &cycling_bytes(64 * 16), (3, 4), 16)
        .expect_err("misplaced voltages must be caught");
    assert!(err.contains("race") || err.starts_with("voltages"), "{err}");
}

#[test]
fn a_u8_override_test_blind_to_the_top_bit_is_caught() {
    // The SWAR test without its `| x`: a byte with only its top bit set
    // (0x80, element 0 of group k) reads as 0.
    let src = mutate(
        Op::StepOverride.ptx(),
        "    or.b32              %x0, %t, %x0;\n",
        "    mov.b32             %x0, %t;\n",
    );
    let err = run_u8_override_step(&src, &cycling_bytes(129 * 16), (1, 32), 32)
        .expect_err("0x80 must spike");
    assert!(err.starts_with("spikes byte 0: 0x0, not 0x1"), "{err}");
}

#[test]
fn fused_bit_steps_match_the_reference() {
    let modules = Modules::new();
    let mut rng = Rng::fresh("fused bits");
    let mut launched = 0;
    for &(entry, ty, spike) in BIT_STEPS {
        sweep(entry, |rows, count, grid, _| {
            // rows = T * batch: the state is the last `batch` rows
            let batch = [1, 1, rows, 1 + rng.below(rows)][rng.below(4)];
            let last_row = rows - batch;
            let vbytes = [0usize, 2, 4, 8][rng.below(4)];
            let with_state = rng.next() & 1 == 1;
            let n = rows * count;
            let wpr = words_per_row(count);
            let values = ty.draw(&mut rng, n);
            let (rest, thresh) = (rng.next(), rng.next());
            let mut run = Run::new();
            let input = run.buffer(&ty.to_bytes(&values), ty.size() * rng.below(4));
            let words = run.poisoned(4 * rows * wpr);
            let volt = run.poisoned(vbytes * n);
            let state = run.poisoned(if with_state { 4 * batch * wpr } else { 0 });
            let mut args = u64s(&[
                words.addr,
                if vbytes == 0 { 0 } else { volt.addr },
                if with_state { state.addr } else { 0 },
                input.addr,
                rows as u64,
                count as u64,
                last_row as u64,
                if vbytes == 0 { 8 } else { vbytes as u64 },
            ]);
            args.extend([ArgValue::B64(rest), ArgValue::B64(thresh)]);
            run.launch(
                modules.of(entry),
                entry,
                grid,
                &args,
                &[&words, &volt, &state],
            )
            .unwrap_or_else(|err| panic!("{entry} rows {rows} count {count} grid {grid:?}: {err}"));
            let what = format!(
                "{entry} rows {rows} count {count} last_row {last_row} vbytes {vbytes} grid {grid:?}"
            );
            let expected = pack(rows, count, |i| spike(ty, values[i]));
            assert_eq!(run.read(&words), words_to_bytes(&expected), "{what}");
            let volts: Vec<u8> = values
                .iter()
                .flat_map(|&x| {
                    (if spike(ty, x) { thresh } else { rest }).to_le_bytes()[..vbytes].to_vec()
                })
                .collect();
            assert_eq!(run.read(&volt), volts, "{what}");
            if with_state {
                assert_eq!(
                    run.read(&state),
                    words_to_bytes(&expected[last_row * wpr..]),
                    "{what}"
                );
            }
            launched += 1;
        });
    }
    assert_eq!(
        launched,
        BIT_STEPS.len() * ROWS.len() * COUNTS.len() * GRIDS.len()
    );
}

/// The fused bit steps with their element types and spike tests (b16 twice:
/// f16 and bf16 bits).
const BIT_STEPS: &[(&str, Ty, SpikeTest)] = &[
    ("step_bits_f32", Ty::F32, Ty::positive),
    ("step_bits_f64", Ty::F64, Ty::positive),
    ("step_bits_f16", Ty::F16, Ty::positive),
    ("step_bits_bf16", Ty::BF16, Ty::positive),
    ("step_bits_override_u8", Ty::U8, Ty::nonzero),
    ("step_bits_override_f32", Ty::F32, Ty::nonzero),
    ("step_bits_override_f64", Ty::F64, Ty::nonzero),
    ("step_bits_override_b16", Ty::F16, Ty::nonzero),
    ("step_bits_override_b16", Ty::BF16, Ty::nonzero),
];

/// The CPU backend's fused bit step (`step_bits` for a threshold entry,
/// `step_bits_override` else) over `values` (bits of `ty`) of `rows` rows
/// of `count`: the words, the voltages (`vbytes` wide; none unless 2, 4 or
/// 8) and the state of `state_rows` rows if given, all as bytes.
fn cpu_bit_step(
    threshold: bool,
    ty: Ty,
    values: &[u64],
    (rows, count): (usize, usize),
    (vbytes, rest, thresh): (usize, u64, u64),
    state_rows: Option<usize>,
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    type Stepper<'s, T, V> = &'s dyn Fn(
        &[T],
        &mut Vec<u32>,
        Option<StepVoltage<'_, Vec<V>, V>>,
        Option<&mut Vec<u32>>,
    ) -> exact_neuron::Result<()>;
    fn run<T, V: VoltageBits>(
        step: Stepper<'_, T, V>,
        values: &[T],
        words: usize,
        volt: Option<(u64, u64)>,
        state_words: Option<usize>,
    ) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let mut out_words = vec![0xA7A7_A7A7; words];
        let mut out = vec![V::of_bits(0); if volt.is_some() { values.len() } else { 0 }];
        let mut state = state_words.map(|len| vec![0xA7A7_A7A7; len]);
        let voltage = volt.map(|(rest, thresh)| StepVoltage {
            out: &mut out,
            rest: V::of_bits(rest),
            thresh: V::of_bits(thresh),
        });
        step(values, &mut out_words, voltage, state.as_mut()).expect("the CPU step runs");
        (
            words_to_bytes(&out_words),
            out.into_iter().flat_map(V::le_bytes).collect(),
            words_to_bytes(&state.unwrap_or_default()),
        )
    }
    let wpr = words_per_row(count);
    let state_words = state_rows.map(|k| k * wpr);
    macro_rules! typed {
        ($t:ty, $of:expr, $method:ident) => {{
            let values: Vec<$t> = values.iter().map(|&v| $of(v)).collect();
            let volt = Some((rest, thresh));
            match vbytes {
                2 => run::<$t, f16>(
                    &|v, w, volt, st| Cpu.$method(v, rows, count, w, volt, st),
                    &values,
                    rows * wpr,
                    volt,
                    state_words,
                ),
                4 => run::<$t, f32>(
                    &|v, w, volt, st| Cpu.$method(v, rows, count, w, volt, st),
                    &values,
                    rows * wpr,
                    volt,
                    state_words,
                ),
                8 => run::<$t, f64>(
                    &|v, w, volt, st| Cpu.$method(v, rows, count, w, volt, st),
                    &values,
                    rows * wpr,
                    volt,
                    state_words,
                ),
                _ => run::<$t, f32>(
                    &|v, w, volt, st| Cpu.$method(v, rows, count, w, volt, st),
                    &values,
                    rows * wpr,
                    None,
                    state_words,
                ),
            }
        }};
    }
    let f16_of = |v: u64| f16::from_bits(v as u16);
    let bf16_of = |v: u64| bf16::from_bits(v as u16);
    let f32_of = |v: u64| f32::from_bits(v as u32);
    match (threshold, ty) {
        (true, Ty::F32) => typed!(f32, f32_of, step_bits),
        (true, Ty::F64) => typed!(f64, f64::from_bits, step_bits),
        (true, Ty::F16) => typed!(f16, f16_of, step_bits),
        (true, Ty::BF16) => typed!(bf16, bf16_of, step_bits),
        (true, Ty::U8) => unreachable!("no threshold step takes u8"),
        (false, Ty::U8) => typed!(u8, |v: u64| v as u8, step_bits_override),
        (false, Ty::F32) => typed!(f32, f32_of, step_bits_override),
        (false, Ty::F64) => typed!(f64, f64::from_bits, step_bits_override),
        (false, Ty::F16) => typed!(f16, f16_of, step_bits_override),
        (false, Ty::BF16) => typed!(bf16, bf16_of, step_bits_override),
    }
}

/// One fused bit step's launch options: the voltage (`None`: a null
/// address; else vbytes, where 3 names a buffer that must stay untouched)
/// and the state (`None`: a null address; else last_row, clamped by the
/// kernel to rows).
#[derive(Clone, Copy, Debug)]
struct BitStepCase {
    vbytes: Option<usize>,
    last_row: Option<usize>,
}

/// One launch of the fused bit step `entry` of `module` on fresh values of
/// `ty` (half special values), every output poisoned, compared bit for bit
/// with the CPU backend; `Err` names the first difference or launch error
/// (a store outside the outputs panics in `Run::launch`).
#[allow(clippy::too_many_arguments)]
fn bit_step_case(
    module: &Module,
    (entry, ty): (&str, Ty),
    (rows, count): (usize, usize),
    grid: (u32, u32),
    case: BitStepCase,
    rng: &mut Rng,
) -> Result<(), String> {
    let n = rows * count;
    let wpr = words_per_row(count);
    let values = ty.draw(rng, n);
    let (rest, thresh) = (rng.next(), rng.next());
    let mut run = Run::new();
    let input = run.buffer(&ty.to_bytes(&values), ty.size() * rng.below(4));
    let words = run.poisoned(4 * rows * wpr);
    let vbytes = case.vbytes.unwrap_or(0);
    let volt = run.poisoned(vbytes.max(1) * n);
    let state_rows = case.last_row.map(|last| rows - last.min(rows));
    let state = run.poisoned(4 * wpr * state_rows.unwrap_or(0));
    let mut args = u64s(&[
        words.addr,
        if case.vbytes.is_some() { volt.addr } else { 0 },
        if case.last_row.is_some() {
            state.addr
        } else {
            0
        },
        input.addr,
        rows as u64,
        count as u64,
        case.last_row.unwrap_or(rng.below(rows + 2)) as u64,
        if case.vbytes.is_some() {
            vbytes
        } else {
            [2, 4, 8][rng.below(3)]
        } as u64,
    ]);
    args.extend([ArgValue::B64(rest), ArgValue::B64(thresh)]);
    run.launch(module, entry, grid, &args, &[&words, &volt, &state])
        .map_err(|err| err.to_string())?;
    let threshold = !entry.starts_with("step_bits_override");
    let (want_words, want_volts, want_state) = cpu_bit_step(
        threshold,
        ty,
        &values,
        (rows, count),
        (vbytes, rest, thresh),
        state_rows,
    );
    let untouched = vec![POISON; volt.len];
    let want_volts = if matches!(vbytes, 2 | 4 | 8) {
        want_volts
    } else {
        untouched
    };
    for (name, got, want) in [
        ("words", run.read(&words), want_words),
        ("voltages", run.read(&volt), want_volts),
        ("state", run.read(&state), want_state),
    ] {
        if let Some(i) = (0..want.len()).find(|&i| got[i] != want[i]) {
            return Err(format!(
                "{name} byte {i}: {:#x}, not {:#x}",
                got[i], want[i]
            ));
        }
    }
    Ok(())
}

/// Shapes (rows, count) for the fused bit steps' tiles: those of the
/// packing entries (`TILE_SHAPES`), plus counts of 1, 31, 32, 33, 64, 100,
/// 256 and 257 over rows that make totals of words below, at and past
/// multiples of 8, so that tiles straddle the state's first word.
const BIT_STEP_SHAPES: &[(usize, usize)] = &[
    (9, 1),
    (17, 31),
    (16, 32),
    (5, 33),
    (6, 64),
    (4, 100),
    (3, 256),
    (2, 257),
];

/// The voltage choices the tile sweep cycles through: none (null), each
/// width, and a width the kernel must ignore.
const VOLTAGES: &[Option<usize>] = &[None, Some(2), Some(4), Some(8), Some(3)];

/// Runs a fused bit step over `TILE_SHAPES` and `BIT_STEP_SHAPES` on
/// `TILE_GRIDS`, cycling through the voltages and the state (null, last_row
/// 0, in the middle, at rows and past it) so that each shape meets several.
fn check_bit_step_tiles(src: &str, entry: &str, ty: Ty, what: &str) -> Result<(), String> {
    let module = parse_module(src).map_err(|err| err.to_string())?;
    let mut rng = Rng::fresh(&format!("{entry} {what}"));
    let mut i = 0usize;
    for &(rows, count) in TILE_SHAPES.iter().chain(BIT_STEP_SHAPES) {
        for &grid in TILE_GRIDS {
            let last_row = match (i / VOLTAGES.len()) % 5 {
                0 => Some(1 + rng.below(rows.max(2) - 1).min(rows)),
                1 => Some(0),
                2 => None,
                3 => Some(rows),
                _ => Some(rows + 3),
            };
            let case = BitStepCase {
                vbytes: VOLTAGES[i % VOLTAGES.len()],
                last_row,
            };
            bit_step_case(&module, (entry, ty), (rows, count), grid, case, &mut rng).map_err(
                |err| format!("{entry} rows {rows} count {count} grid {grid:?} {case:?}: {err}"),
            )?;
            i += 1;
        }
    }
    Ok(())
}

#[test]
fn fused_bit_step_tiles_match_the_cpu_backend() {
    for &(entry, ty, _) in BIT_STEPS {
        check_bit_step_tiles(src_of(entry), entry, ty, "tiles")
            .unwrap_or_else(|err| panic!("{err}"));
    }
}

#[test]
fn wrong_bit_step_tiles_fail_the_comparison() {
    // Broken copies of step_bits_f32 (the first entry of step_bits.ptx:
    // `mutate` changes the first occurrence) must fail the tile sweep, by
    // a wrong output, a race or a store outside the outputs: the tile's
    // words stored one word on, the state stored from the word before
    // first or by lanes 8..31, the voltages of word u + 1 half a word
    // after word u's, word 3's spikes kept as bit 4 (straight path), the
    // straight path taken by a tile with a partial word, Part 2 (the tail)
    // storing no word, and the word-by-word path storing voltages past a
    // row's end.
    let src = src_of("step_bits_f32");
    let broken = [
        (
            "words stored one word on",
            mutate(
                src,
                "@%keep st.global.cs.u32 [%a], %mine;",
                "@%keep st.global.cs.u32 [%a+4], %mine;",
            ),
        ),
        (
            "the state from the word before first",
            mutate(
                src,
                "setp.ge.u64         %q, %a, %first;",
                "sub.u64 %remb, %first, 1;\n    setp.ge.u64 %q, %a, %remb;",
            ),
        ),
        (
            "the state stored by every lane",
            mutate(src, "@!%keep setp.ne.u64     %q, %a, %a;", ""),
        ),
        (
            "voltages 16 elements apart",
            mutate(
                src,
                "mov.u64             %vstep, 32;",
                "mov.u64             %vstep, 16;",
            ),
        ),
        (
            "word 3's spikes as bit 4",
            mutate(
                src,
                "@%bit or.b32            %mybits, %mybits, 8;",
                "@%bit or.b32            %mybits, %mybits, 16;",
            ),
        ),
        (
            "straight path for a partial last word",
            mutate(
                src,
                "setp.lt.u64         %slow, %remb, 1024;",
                "setp.lt.u64         %slow, %remb, 993;",
            ),
        ),
        (
            "the tail's words not stored",
            mutate(src, "@%lead st.global.u32    [%a], %word;", ""),
        ),
        (
            "voltages past a row's end",
            mutate(
                src,
                "selp.b32            %t32, %vshift, 0, %in_row;",
                "mov.b32             %t32, %vshift;",
            ),
        ),
    ];
    for (what, src) in broken {
        parsed(&src); // a copy the interpreter rejects would prove nothing
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_bit_step_tiles(&src, "step_bits_f32", Ty::F32, what)
        }));
        match caught {
            Ok(Ok(())) => panic!("{what}: the broken kernel passed"),
            Ok(Err(err)) => eprintln!("{what}: caught: {err}"),
            Err(_) => eprintln!("{what}: caught by a panic"),
        }
    }
}

#[test]
fn multi_step_bits_are_threshold_bits_over_steps_times_rows() {
    // T steps of `batch` rows: one threshold_bits launch over T * batch rows
    // gives the same words as T launches of one step each.
    let modules = Modules::new();
    let mut rng = Rng::fresh("multi-step bits");
    for &count in COUNTS {
        let (steps, batch) = (1 + rng.below(5), 1 + rng.below(3));
        let per_step = batch * count;
        let values = Ty::F32.draw(&mut rng, steps * per_step);
        let wpr = words_per_row(count);
        let mut run = Run::new();
        let input = run.buffer(&Ty::F32.to_bytes(&values), 0);
        let trace = run.poisoned(4 * steps * batch * wpr);
        let args = u64s(&[trace.addr, input.addr, (steps * batch) as u64, count as u64]);
        run.launch(
            modules.of("threshold_bits_f32"),
            "threshold_bits_f32",
            (2, 64),
            &args,
            &[&trace],
        )
        .expect("one launch");
        let mut one_by_one = Vec::new();
        for t in 0..steps {
            let out = run.poisoned(4 * batch * wpr);
            let args = u64s(&[
                out.addr,
                input.addr + (4 * t * per_step) as u64,
                batch as u64,
                count as u64,
            ]);
            run.launch(
                modules.of("threshold_bits_f32"),
                "threshold_bits_f32",
                (1, 32),
                &args,
                &[&out],
            )
            .expect("a step");
            one_by_one.extend(run.read(&out));
        }
        assert_eq!(run.read(&trace), one_by_one, "count {count} steps {steps}");
    }
}

// ---------------------------------------------------------------------------
// The modules themselves
// ---------------------------------------------------------------------------

#[test]
fn the_table_registers_exactly_the_documented_entries() {
    let registered: Vec<&str> = Kernel::ALL
        .iter()
        .filter(|k| !matches!(k.op(), Op::Threshold | Op::Override | Op::Voltage))
        .map(|k| k.name())
        .collect();
    let mut documented: Vec<&str> = BITS_ENTRIES.iter().chain(FUSED_ENTRIES).copied().collect();
    let mut sorted = registered.clone();
    sorted.sort_unstable();
    documented.sort_unstable();
    assert_eq!(sorted, documented);
    for op in Op::ALL {
        let module = parsed(op.ptx());
        assert_eq!(module.version, (7, 0));
        assert_eq!(module.targets, ["sm_70"]);
    }
}

/// The files that share a header share it word for word (after each
/// file's own first lines, up to the header's first line).
#[test]
fn shared_headers_are_the_same_in_every_file() {
    let header = |op: Op, first: &str| -> String {
        let text = op.ptx();
        let start = text
            .find(first)
            .unwrap_or_else(|| panic!("{op}: no {first:?}"));
        let end = text[start..].find("\n.version").expect("a .version line") + start;
        text[start..end].to_owned()
    };
    for (group, first) in [
        (
            &[
                Op::ThresholdBits,
                Op::PackBits,
                Op::OverrideBits,
                Op::VoltageBits,
                Op::UnpackBits,
            ][..],
            "// Bit files:",
        ),
        (&[Op::Step, Op::StepOverride][..], "// Step files:"),
        (
            &[Op::StepBits, Op::StepBitsOverride][..],
            "// The fused step with spikes as bits",
        ),
    ] {
        let reference = header(group[0], first);
        for &op in &group[1..] {
            assert_eq!(header(op, first), reference, "{op}");
        }
    }
}
