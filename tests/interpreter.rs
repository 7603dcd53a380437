//! The real kernels (`kernels/*.ptx`, as the library embeds them), launched
//! by the real host code (`LaunchPlan`), executed by the PTX interpreter of
//! `tests/ptx`, and compared bit for bit with the CPU backend: every entry,
//! on fresh random data rich in special values, at many lengths, buffer
//! offsets and grid shapes; then inferno's golden cases through
//! `ExactNeuron<PtxDevice>`; then deliberately broken kernels, which must
//! fail, so that we know the harness can.

use exact_neuron_support::ptx;

use exact_neuron::half::{bf16, f16};
use exact_neuron::kernel::{Kernel, Op, SpikeRule};
use exact_neuron::launch::{ArgValue, GridLimits, LaunchPlan, VoltageTarget};
use exact_neuron::{
    Cpu, DType, Element, ExactNeuron, HostSlice, KernelDevice, NeuronParams, OverrideValue,
    ThresholdInput, VoltageElement,
};
use exact_neuron_support::golden::{load_cases, replay};
use exact_neuron_support::random::{RandomValue, Rng};
use exact_neuron_support::unrolled::counts_around_4s;
use ptx::device::{poison_bits, Layout, PtxDevice};
use ptx::exec::{launch, launch_plan, ExecOptions, LaunchStats};
use ptx::memory::Memory;
use ptx::parser::parse_module;

fn bytes<T: Element>(values: &[T]) -> &[u8] {
    bytemuck::cast_slice(values)
}

/// The first element where two arrays differ in bits: its index, described.
fn first_difference<T: Element>(got: &[T], expected: &[T]) -> Option<(usize, String)> {
    if got.len() != expected.len() {
        let text = format!("{} elements, expected {}", got.len(), expected.len());
        return Some((0, text));
    }
    let size = std::mem::size_of::<T>();
    bytes(got)
        .chunks_exact(size)
        .zip(bytes(expected).chunks_exact(size))
        .position(|(a, b)| a != b)
        .map(|i| {
            let text = format!(
                "element {i} of {}: interpreter {:?}, CPU {:?}",
                got.len(),
                got[i],
                expected[i]
            );
            (i, text)
        })
}

// ---------------------------------------------------------------------------
// One operation on one device, against the CPU backend.
// ---------------------------------------------------------------------------

fn text(err: exact_neuron::Error) -> String {
    err.to_string()
}

fn check_threshold<T: ThresholdInput>(device: &PtxDevice, values: &[T]) -> Result<(), String> {
    let staged = device.stage_input(values);
    let mut spikes = device.alloc_zeroed::<u8>(values.len()).map_err(text)?;
    device
        .threshold(&staged.as_slice(), &mut spikes)
        .map_err(text)?;
    let mut expected = vec![0u8; values.len()];
    Cpu.threshold(values, &mut expected).map_err(text)?;
    match first_difference(&device.read(&spikes)?, &expected) {
        Some((i, diff)) => Err(format!("{diff} (input {:?})", values.get(i))),
        None => Ok(()),
    }
}

fn check_override<T: OverrideValue>(device: &PtxDevice, values: &[T]) -> Result<(), String> {
    let staged = device.stage_input(values);
    let mut spikes = device.alloc_zeroed::<u8>(values.len()).map_err(text)?;
    device
        .overrides(&staged.as_slice(), &mut spikes)
        .map_err(text)?;
    let mut expected = vec![0u8; values.len()];
    Cpu.overrides(values, &mut expected).map_err(text)?;
    match first_difference(&device.read(&spikes)?, &expected) {
        Some((i, diff)) => Err(format!("{diff} (value {:?})", values.get(i))),
        None => Ok(()),
    }
}

fn check_voltage<T: VoltageElement>(
    device: &PtxDevice,
    spikes: &[u8],
    rest: T,
    thresh: T,
) -> Result<(), String> {
    let mut spike_buffer = device.alloc_zeroed::<u8>(spikes.len()).map_err(text)?;
    device.upload(spikes, &mut spike_buffer).map_err(text)?;
    let mut out = device.alloc_zeroed::<T>(spikes.len()).map_err(text)?;
    device
        .voltage(&spike_buffer, rest, thresh, &mut out)
        .map_err(text)?;
    let mut expected = vec![T::zeroed(); spikes.len()];
    Cpu.voltage(&spikes.to_vec(), rest, thresh, &mut expected)
        .map_err(text)?;
    if device.read(&spike_buffer)? != spikes {
        return Err("the voltage kernel changed the spikes".into());
    }
    match first_difference(&device.read(&out)?, &expected) {
        Some((i, diff)) => Err(format!("{diff} (spike byte {:?})", spikes.get(i))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The sweep: lengths x layouts x grids, for one entry.
// ---------------------------------------------------------------------------

/// One above 65536, and not a multiple of any group width.
const BIG: usize = 65_603;
const LENGTHS: [usize; 10] = [0, 1, 31, 32, 33, 1023, 1024, 1025, 4099, BIG];

/// Whether `kernel` takes a head (`p_head`): elements one by one up to the
/// alignment boundary, then an unrolled vector loop.
fn has_head(kernel: Kernel) -> bool {
    kernel.param_names().contains(&"p_head")
}

/// The lengths to sweep: for an entry with a head and an unrolled loop,
/// every length up to 130 (all head, block, single-group and tail splits
/// for the small widths), 4096 and lengths around it, and one above 65536.
fn lengths(kernel: Kernel) -> Vec<usize> {
    if has_head(kernel) {
        let mut lengths: Vec<usize> = (0..=130).collect();
        lengths.extend([4096 - 17, 4095, 4096, 4097, 4096 + 19, 4099, BIG]);
        lengths
    } else {
        LENGTHS.to_vec()
    }
}

/// Buffer placements. Offsets are in elements; the vector path is taken only
/// where both of a launch's pointers are aligned for it.
const LAYOUTS: [(&str, Layout); 7] = [
    // allocations of exactly the data: one byte too far traps
    ("tight", Layout::TIGHT),
    // aligned data between guards: the vector path
    ("guarded", Layout::GUARDED),
    // odd offsets everywhere: the scalar path only, except where an entry
    // with a head can bring both pointers to alignment together
    (
        "odd",
        Layout {
            guard: 64,
            input_offset: 1,
            byte_offset: 3,
            value_offset: 1,
        },
    ),
    // aligned, but not at the start of the allocation
    (
        "shifted",
        Layout {
            guard: 32,
            input_offset: 16,
            byte_offset: 16,
            value_offset: 16,
        },
    ),
    // input misaligned, outputs aligned: the host must check both pointers
    (
        "input-odd",
        Layout {
            guard: 64,
            input_offset: 1,
            byte_offset: 0,
            value_offset: 0,
        },
    ),
    // spikes 4-byte aligned only, voltages 2 elements in (16-byte aligned
    // for f64 only): each entry takes the vector path exactly when its own
    // alignment table allows
    (
        "out-4",
        Layout {
            guard: 48,
            input_offset: 0,
            byte_offset: 4,
            value_offset: 2,
        },
    ),
    // every buffer 3 elements in: an entry with a head takes 13 elements
    // one by one, then the vector path (both pointers reach 16-byte
    // alignment together); the others go scalar
    (
        "co-odd",
        Layout {
            guard: 64,
            input_offset: 3,
            byte_offset: 3,
            value_offset: 3,
        },
    ),
];

fn limits(block: u32, max_blocks: u32) -> GridLimits {
    GridLimits::new(block, max_blocks).expect("valid test limits")
}

/// Grid shapes: the CUDA backend's for a 2-SM GPU, grids far smaller than
/// the work (so the grid-stride loops go round), a single thread, and
/// uncapped grids with odd and maximal block sizes.
fn grids() -> [(&'static str, GridLimits); 5] {
    [
        ("2-SM", GridLimits::for_multiprocessors(2)),
        ("3x32", limits(32, 3)),
        ("1x1", limits(1, 1)),
        ("uncapped 96", limits(96, i32::MAX as u32)),
        ("5x1024", limits(1024, 5)),
    ]
}

/// Runs `case` on every length, layout and grid for `kernel` on `dtype`,
/// and checks that both the vector and the scalar path ran and no buffer
/// leaked.
fn sweep(
    kernel: Kernel,
    dtype: DType,
    mut case: impl FnMut(&PtxDevice, usize, &mut Rng) -> Result<(), String>,
) {
    let label = format!("{} on {dtype}", kernel.name());
    let mut rng = Rng::fresh(&label);
    let base = PtxDevice::new();
    let mut failures = Vec::new();
    let mut vector_accesses = [0u64; LAYOUTS.len()];
    let mut runs = 0;
    for n in lengths(kernel) {
        for (l, (layout_name, layout)) in LAYOUTS.iter().enumerate() {
            for (grid_name, grid) in grids() {
                let device = base.clone().with_layout(*layout).with_grid_limits(grid);
                let before = device.stats();
                let result = case(&device, n, &mut rng);
                let after = device.stats();
                if let Err(err) = result {
                    failures.push(format!(
                        "{label} n={n} layout={layout_name} grid={grid_name}: {err}"
                    ));
                }
                if n == 0 && after.launches != before.launches {
                    failures.push(format!("{label}: n=0 launched a kernel"));
                }
                vector_accesses[l] += after.vector_accesses - before.vector_accesses;
                runs += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Aligned layouts take the vector path, odd ones never do.
    assert!(vector_accesses[1] > 0, "the vector path never ran");
    assert!(
        vector_accesses[3] > 0,
        "the vector path never ran at an offset"
    );
    if has_head(kernel) {
        assert!(
            vector_accesses[6] > 0,
            "the vector path never ran after a head"
        );
    } else {
        assert_eq!(vector_accesses[2], 0, "the vector path ran at odd offsets");
        assert_eq!(vector_accesses[6], 0, "the vector path ran at odd offsets");
    }
    if kernel.op() != Op::Voltage {
        // (the voltage entries read a spike buffer, not a staged input)
        assert_eq!(
            vector_accesses[4], 0,
            "the vector path ran on a misaligned input"
        );
    }
    assert_eq!(base.live_allocations(), 0, "buffers leaked");
    eprintln!("{label}: {runs} runs agree with the CPU; {}", base.stats());
}

/// The entries of `op` from the table, each with every element type it
/// serves (`override_u8` with u8 and bool, `voltage_b16` with f16 and bf16).
fn served(op: Op) -> Vec<(Kernel, DType)> {
    let pairs: Vec<(Kernel, DType)> = op
        .kernels()
        .flat_map(|kernel| kernel.dtypes().iter().map(move |&dtype| (kernel, dtype)))
        .collect();
    assert!(!pairs.is_empty(), "no {op} entries in the table");
    pairs
}

#[test]
fn every_threshold_entry_matches_the_cpu() {
    for (kernel, dtype) in served(Op::Threshold) {
        macro_rules! run {
            ($t:ty) => {
                sweep(kernel, dtype, |device, n, rng| {
                    check_threshold(device, &rng.values::<$t>(n))
                })
            };
        }
        match dtype {
            DType::F16 => run!(f16),
            DType::BF16 => run!(bf16),
            DType::F32 => run!(f32),
            DType::F64 => run!(f64),
            DType::Bool | DType::U8 => panic!("{kernel} serves {dtype}: not a threshold input"),
        }
    }
}

#[test]
fn every_override_entry_matches_the_cpu() {
    for (kernel, dtype) in served(Op::Override) {
        macro_rules! run {
            ($t:ty) => {
                sweep(kernel, dtype, |device, n, rng| {
                    check_override(device, &rng.values::<$t>(n))
                })
            };
        }
        match dtype {
            DType::Bool => run!(bool),
            DType::U8 => run!(u8),
            DType::F16 => run!(f16),
            DType::BF16 => run!(bf16),
            DType::F32 => run!(f32),
            DType::F64 => run!(f64),
        }
    }
}

/// rest and thresh: random values of `T` (NaN payloads included: the
/// kernel selects bits and must not care), never the poison pattern.
fn voltage_pair<T: VoltageElement + RandomValue>(rng: &mut Rng) -> (T, T) {
    let poison = poison_bits(T::DTYPE);
    let mut pick = || loop {
        let value = rng.values::<T>(1)[0];
        if value.to_bits_u64() != poison {
            return value;
        }
    };
    (pick(), pick())
}

#[test]
fn every_voltage_entry_matches_the_cpu() {
    for (kernel, dtype) in served(Op::Voltage) {
        macro_rules! run {
            ($t:ty) => {
                sweep(kernel, dtype, |device, n, rng| {
                    let (rest, thresh) = voltage_pair::<$t>(rng);
                    check_voltage(device, &rng.values::<u8>(n), rest, thresh)
                })
            };
        }
        match dtype {
            DType::F16 => run!(f16),
            DType::BF16 => run!(bf16),
            DType::F32 => run!(f32),
            DType::F64 => run!(f64),
            DType::Bool | DType::U8 => panic!("{kernel} serves {dtype}: not a voltage type"),
        }
    }
}

#[test]
fn bool_overrides_run_on_the_u8_entry() {
    let mut rng = Rng::fresh("override bool");
    for (name, layout) in LAYOUTS {
        let device = PtxDevice::new()
            .with_layout(layout)
            .with_grid_limits(limits(32, 2));
        for n in [1, 17, 1025] {
            check_override(&device, &rng.values::<bool>(n))
                .unwrap_or_else(|err| panic!("bool n={n} layout={name}: {err}"));
        }
    }
}

/// The vector loops stride by the grid: on grids of one thread, one block
/// and three blocks of 96 threads, at group counts of every remainder class
/// modulo 4S (so the unrolled loop stops with 0 to 3 groups left for each
/// thread's single loop), with and without a head and a tail, every
/// threshold and override entry matches the CPU, writes every output once
/// (poison and the race shadow) and nothing outside it (guards).
#[test]
fn strided_vector_loops_cover_every_remainder_of_the_grid() {
    let grids = [
        ("1x1", 1, limits(1, 1)),
        ("1x128", 128, limits(128, 1)),
        ("3x96", 288, limits(96, 3)),
    ];
    let mut rng = Rng::fresh("strided remainders");
    let mut runs = 0;
    let mut entries = served(Op::Threshold);
    entries.extend(served(Op::Override));
    for (kernel, dtype) in entries {
        let width = kernel.group_width();
        let base = PtxDevice::new();
        for (grid_name, threads, grid) in grids {
            for groups in counts_around_4s(threads) {
                // aligned with no tail, aligned with a tail of W - 1, and
                // every buffer 3 elements in (a head, then the groups)
                for (layout_name, layout, tail) in [
                    ("guarded", Layout::GUARDED, 0),
                    ("guarded", Layout::GUARDED, width - 1),
                    ("co-odd", LAYOUTS[6].1, 2),
                ] {
                    let n = groups * width + tail;
                    let device = base.clone().with_layout(layout).with_grid_limits(grid);
                    macro_rules! values {
                        ($check:ident, $t:ty) => {
                            $check(&device, &rng.values::<$t>(n))
                        };
                    }
                    let result = match (kernel.op(), dtype) {
                        (Op::Threshold, DType::F16) => values!(check_threshold, f16),
                        (Op::Threshold, DType::BF16) => values!(check_threshold, bf16),
                        (Op::Threshold, DType::F32) => values!(check_threshold, f32),
                        (Op::Threshold, DType::F64) => values!(check_threshold, f64),
                        (Op::Override, DType::Bool) => values!(check_override, bool),
                        (Op::Override, DType::U8) => values!(check_override, u8),
                        (Op::Override, DType::F16) => values!(check_override, f16),
                        (Op::Override, DType::BF16) => values!(check_override, bf16),
                        (Op::Override, DType::F32) => values!(check_override, f32),
                        (Op::Override, DType::F64) => values!(check_override, f64),
                        (op, dtype) => panic!("{kernel} serves {op} on {dtype}"),
                    };
                    result.unwrap_or_else(|err| {
                        panic!(
                            "{kernel} on {dtype}, grid {grid_name}, {groups} groups, \
                             n={n}, layout {layout_name}: {err}"
                        )
                    });
                    runs += 1;
                }
            }
        }
        assert!(base.stats().vector_accesses > 0, "{kernel}: no vector path");
        assert_eq!(base.live_allocations(), 0, "buffers leaked");
    }
    eprintln!("{runs} strided runs agree with the CPU");
}

/// `voltage_bits` on the interpreter against the CPU, for `words` of
/// `rows` rows of `count` neurons.
fn check_voltage_bits<T: VoltageElement>(
    device: &PtxDevice,
    (rows, count): (usize, usize),
    words: &[u32],
    rest: T,
    thresh: T,
) -> Result<(), String> {
    let mut staged = device.alloc_words(words.len()).map_err(text)?;
    device.upload_words(words, &mut staged).map_err(text)?;
    let mut out = device.alloc_zeroed::<T>(rows * count).map_err(text)?;
    device
        .voltage_bits(&staged, rows, count, rest, thresh, &mut out)
        .map_err(text)?;
    let mut expected = vec![T::zeroed(); rows * count];
    Cpu.voltage_bits(&words.to_vec(), rows, count, rest, thresh, &mut expected)
        .map_err(text)?;
    match first_difference(&device.read(&out)?, &expected) {
        Some((_, diff)) => Err(diff),
        None => Ok(()),
    }
}

/// `unpack_bits` on the interpreter against the CPU.
fn check_unpack_bits(
    device: &PtxDevice,
    (rows, count): (usize, usize),
    words: &[u32],
) -> Result<(), String> {
    let mut staged = device.alloc_words(words.len()).map_err(text)?;
    device.upload_words(words, &mut staged).map_err(text)?;
    let mut out = device.alloc_zeroed::<u8>(rows * count).map_err(text)?;
    device
        .unpack_bits(&staged, rows, count, &mut out)
        .map_err(text)?;
    let mut expected = vec![0u8; rows * count];
    Cpu.unpack_bits(&words.to_vec(), rows, count, &mut expected)
        .map_err(text)?;
    match first_difference(&device.read(&out)?, &expected) {
        Some((_, diff)) => Err(diff),
        None => Ok(()),
    }
}

/// The unpacking entries on every layout and grid, against the CPU: rows
/// of 1 to 9, row lengths that E (elements per 16 bytes) divides and that
/// it does not, around word boundaries, so that aligned outputs take the
/// 16-byte chunks (Part 1) and the others the one-word loop; random words,
/// padding bits included.
#[test]
fn unpacking_entries_match_the_cpu_on_every_layout_and_grid() {
    let shapes = [
        (1usize, 16usize),
        (3, 48),
        (2, 40),
        (9, 8),
        (4, 33),
        (5, 1000),
        (1, 1),
        (7, 64),
        (2, 100),
    ];
    let mut rng = Rng::fresh("unpacking on every layout");
    let base = PtxDevice::new();
    let mut chunked = [0u64; LAYOUTS.len()];
    let mut runs = 0;
    for (l, (layout_name, layout)) in LAYOUTS.iter().enumerate() {
        for (grid_name, grid) in grids() {
            let device = base.clone().with_layout(*layout).with_grid_limits(grid);
            for &(rows, count) in &shapes {
                let words: Vec<u32> = (0..rows * count.div_ceil(32))
                    .map(|_| rng.next_u64() as u32)
                    .collect();
                let before = device.stats().vector_accesses;
                let results = [
                    ("f32", {
                        let (rest, thresh) = voltage_pair::<f32>(&mut rng);
                        check_voltage_bits(&device, (rows, count), &words, rest, thresh)
                    }),
                    ("f64", {
                        let (rest, thresh) = voltage_pair::<f64>(&mut rng);
                        check_voltage_bits(&device, (rows, count), &words, rest, thresh)
                    }),
                    ("f16", {
                        let (rest, thresh) = voltage_pair::<f16>(&mut rng);
                        check_voltage_bits(&device, (rows, count), &words, rest, thresh)
                    }),
                    ("bf16", {
                        let (rest, thresh) = voltage_pair::<bf16>(&mut rng);
                        check_voltage_bits(&device, (rows, count), &words, rest, thresh)
                    }),
                    ("u8", check_unpack_bits(&device, (rows, count), &words)),
                ];
                for (dtype, result) in results {
                    result.unwrap_or_else(|err| {
                        panic!(
                            "{dtype} rows {rows} count {count} layout {layout_name} \
                             grid {grid_name}: {err}"
                        )
                    });
                    runs += 1;
                }
                chunked[l] += device.stats().vector_accesses - before;
            }
        }
    }
    // 16-byte aligned outputs (guarded, shifted) take chunks; outputs off
    // 16 bytes (odd, co-odd) never do
    assert!(chunked[1] > 0 && chunked[3] > 0, "no chunks: {chunked:?}");
    assert_eq!((chunked[2], chunked[6]), (0, 0), "chunks at odd offsets");
    assert_eq!(base.live_allocations(), 0, "buffers leaked");
    eprintln!("{runs} unpacking runs agree with the CPU; {}", base.stats());
}

/// The unpacking entries take Part 1 only for `p_groups` = rows * count /
/// E with E dividing count: any other value (a host bug) takes the
/// one-word loop and still writes every element once.
#[test]
fn unpacking_kernels_ignore_a_wrong_group_count() {
    let mut rng = Rng::fresh("unpacking group counts");
    let (rows, count) = (3usize, 64usize);
    let words: Vec<u32> = (0..rows * 2).map(|_| rng.next_u64() as u32).collect();
    let mut expected = vec![0u8; rows * count];
    Cpu.unpack_bits(&words, rows, count, &mut expected)
        .expect("cpu");
    let module = parse_module(Op::UnpackBits.ptx()).expect("parses");
    let exact = (rows * count / 16) as u64;
    for groups in [0, 1, exact - 1, exact, exact + 1, 1 << 40, u64::MAX] {
        let mut memory = Memory::new();
        let output = memory.alloc(rows * count);
        let input = memory.alloc(4 * words.len());
        memory
            .write(input, bytemuck::cast_slice(&words))
            .expect("words");
        memory.fill(output, rows * count, &[0xA5]).expect("poison");
        let args = [
            ArgValue::U64(output),
            ArgValue::U64(input),
            ArgValue::U64(rows as u64),
            ArgValue::U64(count as u64),
            ArgValue::U64(groups),
        ];
        let stats = launch(
            &module,
            "unpack_bits_u8",
            2,
            64,
            &args,
            &mut memory,
            &ExecOptions::default(),
        )
        .unwrap_or_else(|err| panic!("groups={groups}: {err}"));
        let got = memory.read(output, rows * count).expect("output");
        assert_eq!(got, &expected[..], "groups={groups}");
        assert_eq!(
            stats.vector_accesses > 0,
            groups == exact,
            "groups={groups}"
        );
    }
}

// ---------------------------------------------------------------------------
// The modules themselves, and the host/kernel contract.
// ---------------------------------------------------------------------------

#[test]
fn the_embedded_modules_are_the_kernel_files_and_parse_whole() {
    for op in Op::ALL {
        let path = format!("{}/kernels/{}.ptx", env!("CARGO_MANIFEST_DIR"), op.name());
        // The test binary may run far from its sources (the GPU bundle);
        // then only the embedded text is there to check.
        match std::fs::read_to_string(&path) {
            Ok(file) => assert_eq!(file, op.ptx(), "{path} differs from the embedded text"),
            Err(_) => exact_neuron_support::skip::note(&format!(
                "{path} is not here: checking the embedded text alone"
            )),
        }
        let module = parse_module(op.ptx()).unwrap_or_else(|err| panic!("{path}: {err}"));
        let mut names: Vec<&str> = module.entries.iter().map(|e| e.name.as_str()).collect();
        let mut expected: Vec<&str> = Kernel::ALL
            .iter()
            .filter(|k| k.op() == op)
            .map(|k| k.name())
            .collect();
        names.sort_unstable();
        expected.sort_unstable();
        assert_eq!(names, expected, "{path}");
        eprintln!(
            "{path}: {} entries, {} instructions",
            module.entries.len(),
            module.entries.iter().map(|e| e.code.len()).sum::<usize>()
        );
    }
}

/// Every plan's argument list matches its entry's `.param` list, in count
/// and type (the interpreter refuses a launch otherwise).
#[test]
fn every_plan_matches_its_entry_s_parameters() {
    let device_limits = GridLimits::for_multiprocessors(2);
    let modules: Vec<_> = Op::ALL
        .iter()
        .map(|op| parse_module(op.ptx()).expect("kernel parses"))
        .collect();
    let mut checked = 0;
    for kernel in Kernel::ALL {
        for &dtype in kernel.dtypes() {
            let plan = match kernel.op() {
                Op::Threshold => LaunchPlan::threshold_dyn(dtype, 9, 0x100, 0x200, device_limits),
                Op::Override => LaunchPlan::overrides_dyn(dtype, 9, 0x100, 0x200, device_limits),
                Op::Voltage => LaunchPlan::voltage_dyn(dtype, 9, 0x100, 0x200, 1, 0, device_limits),
                Op::ThresholdBits => {
                    LaunchPlan::threshold_bits_dyn(dtype, 3, 9, 0x100, 0x200, device_limits)
                }
                Op::OverrideBits | Op::PackBits => {
                    LaunchPlan::overrides_bits_dyn(dtype, 3, 9, 0x100, 0x200, device_limits)
                }
                Op::UnpackBits => LaunchPlan::unpack_bits(3, 9, 0x100, 0x200, device_limits),
                Op::VoltageBits => {
                    LaunchPlan::voltage_bits_dyn(dtype, 3, 9, 0x100, 0x200, 1, 0, device_limits)
                }
                Op::Step | Op::StepOverride => {
                    let rule = if kernel.op() == Op::Step {
                        SpikeRule::Threshold
                    } else {
                        SpikeRule::Override
                    };
                    let volt = VoltageTarget {
                        addr: 0x300,
                        dtype: DType::F32,
                        rest: 1,
                        thresh: 2,
                    };
                    LaunchPlan::step_dyn(
                        rule,
                        dtype,
                        9,
                        0x100,
                        0x200,
                        Some(volt),
                        Some((0x400, 3)),
                        device_limits,
                    )
                }
                Op::StepBits | Op::StepBitsOverride => {
                    let rule = if kernel.op() == Op::StepBits {
                        SpikeRule::Threshold
                    } else {
                        SpikeRule::Override
                    };
                    let volt = VoltageTarget {
                        addr: 0x300,
                        dtype: DType::F64,
                        rest: 1,
                        thresh: 2,
                    };
                    LaunchPlan::step_bits_dyn(
                        rule,
                        dtype,
                        3,
                        9,
                        0x100,
                        0x200,
                        Some(volt),
                        Some((0x400, 2)),
                        device_limits,
                    )
                }
            }
            .unwrap_or_else(|err| panic!("{kernel} on {dtype}: {err}"));
            assert_eq!(plan.kernel(), kernel);
            let entry = modules[kernel.op().index()]
                .entry(kernel.name())
                .expect("entry exists");
            assert_eq!(plan.args().len(), entry.params.len(), "{}", kernel.name());
            for ((arg, param), declared_in_table) in
                plan.args().iter().zip(&entry.params).zip(kernel.params())
            {
                let declared = param.ty.to_string();
                let passed = match arg {
                    ArgValue::U64(_) => ".u64",
                    ArgValue::B64(_) => ".b64",
                    ArgValue::B32(_) => ".b32",
                };
                assert_eq!(declared, passed, "{} {}", kernel.name(), param.name);
                assert_eq!(declared, declared_in_table.ptx_name(), "{}", kernel.name());
            }
            checked += 1;
        }
    }
    // 4 threshold + 6 override + 4 voltage element types; into bits 4
    // threshold + 6 override (2 packing) + 4 voltage + 2 unpack; steps 2 x
    // (4 threshold + 6 override)
    assert_eq!(checked, 14 + 16 + 20);
}

/// A small device memory with one input and one output, for launching by
/// hand.
struct Manual {
    memory: Memory,
    input: u64,
    output: u64,
}

impl Manual {
    fn new(input: &[u8], output_len: usize) -> Manual {
        let mut memory = Memory::new();
        let input_addr = memory.alloc(input.len());
        memory.write(input_addr, input).expect("input fits");
        let output = memory.alloc(output_len);
        Manual {
            memory,
            input: input_addr,
            output,
        }
    }
}

/// The kernels clamp the head to n and the vector-group count to (n - head)
/// / W, so that no value of `p_head` or `p_groups` makes them touch an
/// element at or past n (their headers' promise): launch with absurd counts
/// and compare. (A head of 16 keeps both pointers 16-byte aligned.)
#[test]
fn the_kernels_clamp_any_group_count() {
    let mut rng = Rng::fresh("group clamp");
    let n = 1000;
    let values = rng.values::<f32>(n);
    let mut expected = vec![0u8; n];
    Cpu.threshold(&values, &mut expected).expect("cpu");
    let module = parse_module(Op::Threshold.ptx()).expect("parses");
    let cases = [0, 16, n as u64, n as u64 + 1, u64::MAX]
        .into_iter()
        .flat_map(|head| {
            [n as u64 / 4 + 1, 1 << 40, u64::MAX]
                .into_iter()
                .map(move |groups| (head, groups))
        });
    for (head, groups) in cases {
        let mut manual = Manual::new(bytes(&values), n);
        let args = [
            ArgValue::U64(manual.output),
            ArgValue::U64(manual.input),
            ArgValue::U64(n as u64),
            ArgValue::U64(head),
            ArgValue::U64(groups),
        ];
        launch(
            &module,
            "threshold_f32",
            4,
            64,
            &args,
            &mut manual.memory,
            &ExecOptions::default(),
        )
        .unwrap_or_else(|err| panic!("head={head} groups={groups}: {err}"));
        let got = manual.memory.read(manual.output, n).expect("output");
        assert_eq!(got, &expected[..], "head={head} groups={groups}");
    }
}

/// The driver takes exactly the entry's parameters: a plan for another entry,
/// or one with arguments missing, is refused before anything runs.
#[test]
fn launches_with_the_wrong_arguments_are_refused() {
    let module = parse_module(Op::Voltage.ptx()).expect("parses");
    let mut memory = Memory::new();
    let opts = ExecOptions::default();
    let plan = LaunchPlan::voltage::<f64>(8, 0x100, 0x200, -60.0, -50.0, limits(32, 1)).unwrap();
    // the f64 plan's .b64 patterns against voltage_f32's .b32 parameters
    let err = launch(
        &module,
        "voltage_f32",
        1,
        32,
        plan.args(),
        &mut memory,
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("p_rest"), "{err}");
    let err = launch(
        &module,
        "voltage_f64",
        1,
        32,
        &plan.args()[..4],
        &mut memory,
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("takes 7 arguments"), "{err}");
    let err = launch(
        &module,
        "voltage_f128",
        1,
        32,
        plan.args(),
        &mut memory,
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no entry"), "{err}");
}

// ---------------------------------------------------------------------------
// inferno's golden cases through ExactNeuron<PtxDevice>.
// ---------------------------------------------------------------------------

#[test]
fn golden_cases_replay_bit_for_bit_through_the_interpreter() {
    let cases = load_cases();
    assert!(
        !cases.is_empty(),
        "no golden cases in {}",
        exact_neuron_support::golden::cases_dir().display()
    );
    let devices = [
        ("aligned, 2-SM grid", PtxDevice::new()),
        (
            "odd offsets, 2x32 grid",
            PtxDevice::new()
                .with_layout(LAYOUTS[2].1)
                .with_grid_limits(limits(32, 2)),
        ),
        (
            "tight, one thread",
            PtxDevice::new()
                .with_layout(Layout::TIGHT)
                .with_grid_limits(limits(1, 1)),
        ),
    ];
    for (name, device) in devices {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|case| replay(case, |p| ExactNeuron::with_device(device.clone(), p)).err())
            .collect();
        assert!(
            failures.is_empty(),
            "{name}: {} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
        assert_eq!(device.live_allocations(), 0, "{name}: buffers leaked");
        let stats = device.stats();
        assert!(stats.launches > 0);
        eprintln!(
            "{} golden cases replayed through the interpreter ({name}): {stats}",
            cases.len()
        );
    }
}

/// The neuron's own paths on the interpreter: clear, load, views, errors.
#[test]
fn the_neuron_runs_on_the_interpreter() {
    let params = exact_neuron::NeuronParams::new([5, 7], 1.0, -60.0, -50.0).with_batch_size(3);
    let device = PtxDevice::new().with_layout(LAYOUTS[2].1);
    let mut neuron = ExactNeuron::with_device(device.clone(), &params).expect("neuron");
    let mut cpu = exact_neuron::CpuNeuron::cpu(&params).expect("cpu neuron");
    let mut rng = Rng::fresh("neuron");
    for step in 0..6 {
        let inputs = rng.values::<f32>(neuron.len());
        device
            .with_input(&inputs, |staged| neuron.forward(staged).map(|_| ()))
            .expect("stage")
            .expect("forward");
        cpu.forward(&inputs[..]).expect("cpu forward");
        assert_eq!(
            neuron.spikes_to_host().expect("spikes"),
            cpu.spikes_to_host().expect("cpu spikes"),
            "step {step}"
        );
        let voltage = device
            .to_host(neuron.voltage::<bf16>().expect("voltage"))
            .expect("fetch");
        assert_eq!(
            bytes(&voltage),
            bytes(cpu.voltage::<bf16>().expect("cpu voltage")),
            "step {step}"
        );
    }
    // a wrong length is refused before any launch
    let launches = device.stats().launches;
    let short = vec![1.0f32; neuron.len() - 1];
    let err = device
        .with_input(&short, |staged| neuron.forward(staged).map(|_| ()))
        .expect("stage");
    assert!(err.is_err());
    assert_eq!(device.stats().launches, launches);
    neuron.clear().expect("clear");
    assert!(neuron.spikes_to_host().expect("spikes").iter().all(|s| !s));
    let refrac = device
        .to_host(neuron.refrac::<f64>().expect("refrac"))
        .expect("fetch");
    assert!(refrac.iter().all(|v| v.to_bits() == 0));
}

// ---------------------------------------------------------------------------
// Broken kernels: each mutation must make the harness fail.
// ---------------------------------------------------------------------------

/// `op`'s module text with `from` replaced by `to` inside entry `entry` only;
/// asserts that it occurred exactly `count` times there.
fn mutate(op: Op, entry: &str, from: &str, to: &str, count: usize) -> String {
    let ptx = op.ptx();
    let start = ptx
        .find(&format!(".entry {entry}("))
        .unwrap_or_else(|| panic!("no entry {entry}"));
    let end = ptx[start + 1..]
        .find(".entry ")
        .map_or(ptx.len(), |i| start + 1 + i);
    let body = &ptx[start..end];
    assert_eq!(
        body.matches(from).count(),
        count,
        "`{from}` in {entry}: the mutation does not apply as planned"
    );
    let mutated = format!("{}{}{}", &ptx[..start], body.replace(from, to), &ptx[end..]);
    assert_ne!(mutated, ptx);
    mutated
}

/// Runs `check` on the real kernels (it must pass) and on the mutated ones
/// (it must fail); returns the failure.
fn must_break(
    op: Op,
    mutated: &str,
    configure: impl Fn(PtxDevice) -> PtxDevice,
    check: impl Fn(&PtxDevice) -> Result<(), String>,
) -> String {
    let good = configure(PtxDevice::new());
    check(&good).unwrap_or_else(|err| panic!("the real kernel fails the check: {err}"));
    let broken = configure(PtxDevice::with_source(op, mutated).expect("mutated module parses"));
    let err = check(&broken).expect_err("the broken kernel passed the check");
    eprintln!("broken {}: {err}", op.name());
    err
}

fn f32_bits(bits: &[u32]) -> Vec<f32> {
    bits.iter().map(|&b| f32::from_bits(b)).collect()
}

#[test]
fn an_off_by_one_loop_bound_is_caught() {
    // `j >= lim` ends the scalar loop; `j > lim` also does element n.
    let mutated = mutate(
        Op::Threshold,
        "threshold_f32",
        "setp.ge.u64         %end, %k, %lim;",
        "setp.gt.u64         %end, %k, %lim;",
        1,
    );
    let values = f32_bits(&[0x3F80_0000; 37]);
    // with guard bytes the extra write lands in a guard...
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(Layout::GUARDED),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("outside its output"), "{err}");
    // ...and with none, the extra read is out of bounds
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(Layout::TIGHT),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("out of bounds"), "{err}");
}

#[test]
fn a_wrong_comparison_is_caught() {
    // `<` against +inf's bits turned into `<=` makes the NaN 0x7F800001
    // (b - 1 = +inf's bits) positive, in both paths.
    let mutated = mutate(
        Op::Threshold,
        "threshold_f32",
        "setp.lt.u32         %pos",
        "setp.le.u32         %pos",
        21,
    );
    let mut bits = vec![0x7F80_0001u32; 8];
    bits.extend([0x3F80_0000, 0xBF80_0000, 0, 0x8000_0000, 0x7F80_0000]);
    let values = f32_bits(&bits);
    for layout in [Layout::GUARDED, LAYOUTS[2].1] {
        let err = must_break(
            Op::Threshold,
            &mutated,
            |d| d.with_layout(layout),
            |d| check_threshold(d, &values),
        );
        assert!(
            err.contains("interpreter 1, CPU 0 (input Some(NaN))"),
            "{err}"
        );
    }
}

#[test]
fn a_wrong_swar_constant_is_caught() {
    // 0x7F + 0x7E no longer carries into bit 7 for the byte 0x01.
    let mutated = mutate(
        Op::Override,
        "override_u8",
        "add.u32             %t0, %t0, 0x7F7F7F7F;",
        "add.u32             %t0, %t0, 0x7F7F7F7E;",
        2,
    );
    let mut values = vec![1u8; 32];
    values.extend([0, 2, 0x80, 0xFF]);
    must_break(
        Op::Override,
        &mutated,
        |d| d.with_layout(Layout::GUARDED),
        |d| check_override(d, &values),
    );
}

#[test]
fn a_wrong_lane_split_is_caught() {
    let mutated = mutate(
        Op::Threshold,
        "threshold_f16",
        "shr.u32             %h1, %x0, 16;",
        "shr.u32             %h1, %x0, 15;",
        2,
    );
    // Even lanes -0.0 (0x8000), odd lanes +0.0: shifted by 15, the word
    // 0x0000_8000 gives lane 1 the bits 0x0001, a positive subnormal, where
    // the true lane 1 (+0.0) is not positive.
    let values: Vec<f16> = (0..64)
        .map(|i| f16::from_bits(if i % 2 == 0 { 0x8000 } else { 0x0000 }))
        .collect();
    must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(Layout::GUARDED),
        |d| check_threshold(d, &values),
    );
}

#[test]
fn swapped_select_operands_are_caught() {
    let mutated = mutate(
        Op::Voltage,
        "voltage_f32",
        "selp.b32            %v0, %thresh, %rest, %set0;",
        "selp.b32            %v0, %rest, %thresh, %set0;",
        6,
    );
    let spikes: Vec<u8> = (0..40).map(|i| (i % 3) as u8).collect();
    for layout in [Layout::GUARDED, LAYOUTS[2].1] {
        must_break(
            Op::Voltage,
            &mutated,
            |d| d.with_layout(layout),
            |d| check_voltage(d, &spikes, -60.0f32, -50.0f32),
        );
    }
}

#[test]
fn a_store_of_the_wrong_width_is_caught() {
    // st.b32 of a 2-byte voltage: misaligned at every other element, and
    // past the element everywhere.
    let entry = Kernel::find(Op::Voltage, DType::F16).expect("an f16 voltage entry");
    let mutated = mutate(
        Op::Voltage,
        entry.name(),
        "st.global.cs.b16    [%a], %v0;",
        "st.global.cs.b32    [%a], %v0;",
        1,
    );
    let spikes = vec![1u8; 9];
    let err = must_break(
        Op::Voltage,
        &mutated,
        |d| d.with_layout(LAYOUTS[2].1),
        |d| check_voltage(d, &spikes, f16::ONE, f16::NEG_ONE),
    );
    assert!(err.contains("misaligned"), "{err}");
}

#[test]
fn a_misaligned_vector_load_is_caught() {
    // 8 instead of 16 input bytes per pair of f64 (in the unrolled and the
    // single loop): pair k is read at 8k, misaligned for every odd k.
    let mutated = mutate(
        Op::Threshold,
        "threshold_f64",
        "shl.b64             %a, %k, 4;",
        "shl.b64             %a, %k, 3;",
        2,
    );
    let values = vec![1.0f64; 16];
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(Layout::GUARDED),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("misaligned 16-byte access"), "{err}");
}

#[test]
fn a_head_that_ends_one_element_late_is_caught() {
    // `j >= head` starts the tail part of the scalar loop; with `j > head`
    // index `head` takes element `head` again (the vector path's first)
    // instead of the first tail element, which is left unwritten.
    let mutated = mutate(
        Op::Threshold,
        "threshold_f32",
        "setp.ge.u64         %late, %k, %head;",
        "setp.gt.u64         %late, %k, %head;",
        1,
    );
    let values = vec![1.0f32; 50]; // head 13, 9 groups, 1 tail element
    let co_odd = LAYOUTS[6].1;
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(co_odd).with_grid_limits(limits(1, 1)),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("unwritten"), "{err}");
    // with many threads, two of them write element `head`: a race
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(co_odd).with_grid_limits(limits(32, 2)),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("race") || err.contains("unwritten"), "{err}");
}

#[test]
fn a_vector_path_that_ignores_the_head_is_caught() {
    // The vector path starting at the buffers' first element instead of
    // element `head`: misaligned 16-byte accesses.
    let mutated = mutate(
        Op::Threshold,
        "threshold_f32",
        "add.u64             %vin, %in, %a;",
        "mov.u64             %vin, %in;",
        1,
    );
    let values = vec![1.0f32; 100];
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| d.with_layout(LAYOUTS[6].1),
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("misaligned"), "{err}");
}

#[test]
fn a_voltage_vector_path_that_ignores_the_head_is_caught() {
    // voltage_f32's vector path starting at the first voltage instead of
    // element `head`: misaligned 16-byte stores.
    let mutated = mutate(
        Op::Voltage,
        "voltage_f32",
        "add.u64             %vout, %out, %a;",
        "mov.u64             %vout, %out;",
        1,
    );
    let spikes: Vec<u8> = (0..100).map(|i| (i % 5 == 0) as u8).collect();
    let err = must_break(
        Op::Voltage,
        &mutated,
        |d| d.with_layout(LAYOUTS[6].1),
        |d| check_voltage(d, &spikes, -60.0f32, -50.0f32),
    );
    assert!(err.contains("misaligned"), "{err}");
}

#[test]
fn a_wrong_unrolled_voltage_stride_is_caught() {
    // voltage_f64's unrolled loop stepping S pairs of 8 instead of 16
    // voltage bytes between its four stores: pairs k + S .. k + 3S land on
    // the wrong place and others stay unwritten. One thread, so the
    // unrolled loop runs.
    let mutated = mutate(
        Op::Voltage,
        "voltage_f64",
        "shl.b64             %sout, %stride, 4;",
        "shl.b64             %sout, %stride, 3;",
        1,
    );
    let spikes: Vec<u8> = (0..64).map(|i| (i % 3 == 0) as u8).collect();
    must_break(
        Op::Voltage,
        &mutated,
        |d| {
            d.with_layout(Layout::GUARDED)
                .with_grid_limits(limits(1, 1))
        },
        |d| check_voltage(d, &spikes, -60.0f64, -50.0f64),
    );
}

#[test]
fn a_wrong_grid_stride_is_caught_as_a_race() {
    // A stride of one block instead of the whole grid: blocks overlap and
    // write the same elements with the same values. The results still match
    // the CPU; only the race shadow sees it.
    let mutated = mutate(
        Op::Override,
        "override_f32",
        "mul.wide.u32        %stride, %gdim, %bdim;",
        "cvt.u64.u32         %stride, %bdim;",
        1,
    );
    let values = f32_bits(
        &(0..1000u32)
            .map(|i| i.wrapping_mul(0x0101_0101))
            .collect::<Vec<u32>>(),
    );
    let err = must_break(
        Op::Override,
        &mutated,
        |d| d.with_layout(LAYOUTS[2].1).with_grid_limits(limits(32, 4)),
        |d| check_override(d, &values),
    );
    assert!(err.contains("race"), "{err}");
}

#[test]
fn an_unrolled_loop_bound_one_stride_long_is_caught() {
    // qlim = groups - 2S instead of groups - 3S: a thread whose k + 3S is
    // at or past groups still takes the unrolled loop, and its fourth group
    // lies past the vector path: with 3S + 1 groups and no tail on 3 blocks
    // of 96 threads (S = 288), where only thread 0 may take the loop, the
    // fourth loads of threads 1 and up go past the input and its guard.
    let mutated = mutate(
        Op::Override,
        "override_u8",
        "add.u64             %a, %a, %stride;        // 3S",
        "sub.u64             %a, %a, 0;",
        1,
    );
    let values = vec![1u8; (3 * 288 + 1) * 16];
    let err = must_break(
        Op::Override,
        &mutated,
        |d| {
            d.with_layout(Layout::GUARDED)
                .with_grid_limits(limits(96, 3))
        },
        |d| check_override(d, &values),
    );
    assert!(err.contains("out of bounds"), "{err}");
}

#[test]
fn a_strided_store_step_halved_is_caught() {
    // The unrolled loop's output step halved (4S bytes instead of the 8S of
    // S groups): on one thread the 8-byte store of group k + S lands 4 bytes
    // off (misaligned); on 4 threads the spikes of groups k + S, k + 2S and
    // k + 3S land at those of groups k + S/2, k + S and k + 3S/2, so some
    // outputs are written twice (by two threads: a race) and others never
    // (the poison stays).
    let mutated = mutate(
        Op::Threshold,
        "threshold_f16",
        "shl.b64             %sout, %stride, 3;      // 8 spike bytes per group",
        "shl.b64             %sout, %stride, 2;",
        1,
    );
    let values = vec![f16::ONE; 8 * 16];
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| {
            d.with_layout(Layout::GUARDED)
                .with_grid_limits(limits(1, 1))
        },
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("misaligned 8-byte access"), "{err}");
    let err = must_break(
        Op::Threshold,
        &mutated,
        |d| {
            d.with_layout(Layout::GUARDED)
                .with_grid_limits(limits(4, 1))
        },
        |d| check_threshold(d, &values),
    );
    assert!(err.contains("unwritten") || err.contains("race"), "{err}");
}

#[test]
fn a_skipped_tail_is_caught_by_the_poison() {
    // The scalar loop ending after the head instead of the tail leaves
    // elements unwritten.
    let mutated = mutate(
        Op::Override,
        "override_f64",
        "sub.u64             %lim, %n, %skip;",
        "mov.u64             %lim, %head;",
        1,
    );
    let values = vec![1.0f64; 23];
    let err = must_break(
        Op::Override,
        &mutated,
        |d| d.with_layout(Layout::GUARDED),
        |d| check_override(d, &values),
    );
    assert!(err.contains("unwritten"), "{err}");
}

#[test]
fn a_host_that_swaps_the_pointers_is_caught() {
    // The plan's own argument order works; swapping out and in makes the
    // kernel read the (poisoned, zero-initialised) spikes as inputs and write
    // into the input buffer.
    let module = parse_module(Op::Threshold.ptx()).expect("parses");
    let values = vec![1.0f32; 64];
    let opts = ExecOptions::default();
    let mut manual = Manual::new(bytes(&values), values.len());
    let plan =
        LaunchPlan::threshold::<f32>(64, manual.output, manual.input, limits(32, 2)).unwrap();
    let stats: LaunchStats = launch_plan(&module, &plan, &mut manual.memory, &opts).expect("runs");
    assert!(stats.vector_accesses > 0);
    assert_eq!(
        manual.memory.read(manual.output, 64).expect("read"),
        &[1u8; 64][..]
    );
    let mut swapped = plan.args().to_vec();
    swapped.swap(0, 1);
    let err = launch(
        &module,
        "threshold_f32",
        plan.grid(),
        plan.block(),
        &swapped,
        &mut manual.memory,
        &opts,
    )
    .expect_err("swapped pointers must fail");
    // 64 spike bytes read as 16-byte groups run past the 64-byte buffer
    eprintln!("swapped pointers: {err}");
}

#[test]
fn dtype_sizes_match_the_poison_patterns() {
    for dtype in [DType::U8, DType::F16, DType::BF16, DType::F32, DType::F64] {
        let bits = poison_bits(dtype);
        assert!(dtype.size() == 8 || bits >> (8 * dtype.size()) == 0);
    }
}

/// The packing entries' tiles of 8 words per warp (and the one-word loop
/// for the words after the last whole tile), through the neuron on the
/// interpreter, against the CPU backend: grids of one warp, one block of 4
/// warps, 3 blocks of 3 and 40 blocks of 2; shapes where a tile crosses
/// rows, rows end in partial words, and rows * wpr lies around multiples of
/// 8 and of 8 times the warps (72 and 640 words). Fresh data each run;
/// guarded buffers, the outputs poisoned by the device.
#[test]
fn bit_tiles_match_the_cpu_on_warp_grids() {
    let mut rng = Rng::fresh("bit tiles on warp grids");
    let shapes = [
        (256usize, 1usize),
        (255, 1),
        (257, 3),
        (96, 3),
        (33, 8),
        (1000, 7),
        (31, 33),
        (72 * 32 + 1, 1),
        (32, 71),
        (640 * 32 - 7, 1),
    ];
    let grids = [
        ("1 warp", limits(32, 1)),
        ("1x128", limits(128, 1)),
        ("3x96", limits(96, 3)),
        ("40x64", limits(64, 40)),
    ];
    for (count, batch) in shapes {
        let params = NeuronParams::new([count], 1.0, -60.0, -50.0).with_batch_size(batch);
        let inputs: Vec<f32> = rng.values(count * batch);
        let halves: Vec<f16> = rng.values(count * batch);
        let bytes: Vec<u8> = rng.values(count * batch);
        let doubles: Vec<f64> = rng.values(count * batch);
        let cases = [
            (SpikeRule::Threshold, "f32", HostSlice::new(&inputs[..])),
            (SpikeRule::Threshold, "f16", HostSlice::new(&halves[..])),
            (SpikeRule::Override, "u8", HostSlice::new(&bytes[..])),
            (SpikeRule::Override, "f64", HostSlice::new(&doubles[..])),
        ];
        for (rule, dtype, slice) in cases {
            let want = ExactNeuron::cpu(&params)
                .unwrap()
                .forward_bits_dyn(rule, &slice)
                .unwrap();
            for (name, grid) in grids {
                let device = PtxDevice::new()
                    .with_grid_limits(grid)
                    .with_layout(Layout::GUARDED);
                let got = ExactNeuron::with_device(device, &params)
                    .unwrap()
                    .forward_bits_dyn(rule, &slice)
                    .unwrap();
                assert_eq!(
                    got, want,
                    "{rule:?} {dtype} count {count} batch {batch} grid {name}"
                );
            }
        }
    }
}
