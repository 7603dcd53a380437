//! A deterministic mutation fuzzer over `.npy` files.
//!
//! Valid files of every dtype and format version are mutated (bytes
//! flipped in the header and the data, cut short, bytes inserted and
//! removed, length fields and versions edited, extra keys with nested
//! literals, huge and overflowing shapes, control characters, other
//! dtypes) and read. Every case goes through the tool's own reader in this
//! process; one case in [`BINARY_EVERY`] also goes through
//! `exact-neuron run` in a child process. The properties:
//! - the reader returns a value or a one-line error of status 2, with no
//!   control characters and a bounded length, and never panics or hangs;
//! - the binary ends with status 0 or 2 within [`support::TIME_LIMIT`],
//!   with no panic text; on status 2 with exactly one clean stderr line
//!   and no output folder; on status 0 with both outputs and nothing else.
//!
//! The seed is fresh on each run and printed; `EXACT_NEURON_FUZZ_SEED=N`
//! replays a run, and each failure names its seed and case.

use exact_neuron_support::binary as common;
use exact_neuron_support::hostile as support;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;

use common::{bin, scratch};
use exact_neuron_cli::{error, npy};
use support::{line_problem, npy_bytes, run_limited, TIME_LIMIT};

/// Cases per run, all through the reader in this process.
const CASES: u64 = 4000;
/// One case in this many also runs through the binary.
const BINARY_EVERY: u64 = 16;
/// The longest error line allowed (two quotes of 80 characters, the file
/// name and the words around them).
const MAX_MESSAGE: usize = 400;

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

fn seed() -> u64 {
    match std::env::var("EXACT_NEURON_FUZZ_SEED") {
        Ok(text) => {
            let text = text.trim();
            match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            }
            .unwrap_or_else(|_| panic!("EXACT_NEURON_FUZZ_SEED={text} is not a number"))
        }
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |time| time.as_nanos() as u64);
            Rng(nanos ^ u64::from(std::process::id()).rotate_left(32)).next()
        }
    }
}

/// A valid file, in parts, and the `run` flag that reads it (for
/// `--shape=3 --batch-size=2`: 6 values per step).
#[derive(Clone)]
struct Seed {
    version: u8,
    descr: String,
    shape: String,
    extra: String,
    data: Vec<u8>,
    flag: &'static str,
}

fn seeds(rng: &mut Rng) -> Vec<Seed> {
    let mut data = |steps: usize, size: usize| -> Vec<u8> {
        (0..steps * 6 * size).map(|_| rng.next() as u8).collect()
    };
    let seed = |version, descr: &str, shape: &str, data, flag| Seed {
        version,
        descr: descr.into(),
        shape: shape.into(),
        extra: String::new(),
        data,
        flag,
    };
    vec![
        seed(1, "<f4", "(2, 2, 3)", data(2, 4), "--inputs"),
        seed(2, "<f8", "(1, 2, 3)", data(1, 8), "--inputs"),
        seed(3, "<f2", "(3, 2, 3)", data(3, 2), "--inputs"),
        seed(1, ">f4", "(2, 6)", data(2, 4), "--override"),
        seed(1, "|u1", "(2, 6)", data(2, 1), "--override"),
        seed(1, "|b1", "(3, 2, 3)", data(3, 1), "--override"),
        seed(2, "|u1", "(0, 6)", Vec::new(), "--override"),
        seed(1, "<f4", "(0, 2, 3)", Vec::new(), "--inputs"),
    ]
}

const SHAPES: [&str; 14] = [
    "(0, 9223372036854775820, 2)",
    "(0, 4611686018427387904, 4)",
    "(9223372036854775807,)",
    "(18446744073709551615, 1)",
    "(4294967296, 4294967296)",
    "(99999999999999999999999999, 6)",
    "(-1, 6)",
    "(2, -6)",
    "()",
    "(6,)",
    "(1, 2, 3)",
    "(2, 6, 0, 9223372036854775807)",
    "[2, 6]",
    "(2.0, 6)",
];

const DESCRS: [&str; 14] = [
    "<f4",
    ">f8",
    "|b1",
    "|u1",
    "<f2",
    "<i4",
    "|f4",
    "<U3",
    "O",
    "<f",
    "",
    "<f99999999999",
    "=f4",
    "<c16",
];

/// A random string of control characters and quotes and brackets.
fn hostile_text(rng: &mut Rng, len: usize) -> String {
    const PARTS: [&str; 12] = [
        "\x1b[31m", "\x00", "\x07", "\\x00", "\r", "\t", "\u{85}", "'", "\\", "[", "{", "\u{e9}",
    ];
    (0..len).map(|_| *rng.pick(&PARTS)).collect()
}

/// Nested brackets of mixed kinds, `depth` deep, balanced or not.
fn nested(rng: &mut Rng, depth: usize) -> String {
    let kinds = [('[', ']'), ('(', ')'), ('{', '}')];
    let mut open = String::new();
    let mut close = Vec::new();
    for _ in 0..depth {
        let (a, b) = *rng.pick(&kinds);
        if a == '{' {
            open.push_str("{'k': ");
        } else {
            open.push(a);
        }
        close.push(b);
    }
    let mut text = open;
    text.push('1');
    if rng.chance(80) {
        text.extend(close.iter().rev());
    }
    text
}

/// A changed seed: at most one change to its parts, then a few to its
/// bytes.
fn mutate(rng: &mut Rng, seed: &Seed) -> Vec<u8> {
    let mut seed = seed.clone();
    match rng.below(9) {
        0 => {
            let depth = if rng.chance(10) {
                1000 + rng.index(100_000)
            } else {
                rng.index(40)
            };
            seed.extra = format!("'x': {}, ", nested(rng, depth));
        }
        1 => seed.shape = rng.pick(&SHAPES).to_string(),
        2 => {
            let dims: Vec<String> = (0..rng.below(5))
                .map(|_| match rng.below(4) {
                    0 => (rng.next() >> rng.below(64)).to_string(),
                    1 => "0".into(),
                    _ => (1 + rng.below(8)).to_string(),
                })
                .collect();
            seed.shape = format!(
                "({})",
                dims.join(", ") + if dims.len() == 1 { "," } else { "" }
            );
        }
        3 => seed.descr = rng.pick(&DESCRS).to_string(),
        4 => {
            let len = 1 + rng.index(200);
            let text = hostile_text(rng, len);
            if rng.chance(50) {
                seed.descr = text;
            } else {
                seed.extra = format!("'note': '{text}', ");
            }
        }
        5 => seed.version = rng.below(5) as u8,
        6 => seed.extra = "'fortran_order': True, ".into(),
        _ => {}
    }
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, {}}}",
        seed.descr, seed.shape, seed.extra
    );
    let mut bytes = npy_bytes(seed.version.max(1), &dict, &seed.data);
    if seed.version != bytes[6] {
        bytes[6] = seed.version;
    }
    let header_end = bytes.len() - seed.data.len();
    for _ in 0..rng.below(3) {
        let len = bytes.len();
        match rng.below(8) {
            0 if header_end.min(len) > 0 => {
                let at = rng.index(header_end.min(len));
                bytes[at] ^= 1 << rng.below(8);
            }
            1 if len > header_end => {
                let at = header_end + rng.index(len - header_end);
                bytes[at] = rng.next() as u8;
            }
            2 => bytes.truncate(rng.index(len + 1)),
            3 => {
                let at = rng.index(len + 1);
                let insert: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, insert);
            }
            4 if len > 0 => {
                let at = rng.index(len);
                let end = (at + 1 + rng.index(16)).min(len);
                bytes.drain(at..end);
            }
            5 if len >= 12 => {
                let field = if bytes[6] == 1 { 2 } else { 4 };
                let old = if field == 2 {
                    u64::from(u16::from_le_bytes([bytes[8], bytes[9]]))
                } else {
                    u64::from(u32::from_le_bytes([
                        bytes[8], bytes[9], bytes[10], bytes[11],
                    ]))
                };
                let new = match rng.below(6) {
                    0 => 0,
                    1 => old + 1,
                    2 => old.saturating_sub(1),
                    3 => old + 64,
                    4 => u64::from(u32::MAX),
                    _ => rng.next(),
                };
                bytes[8..8 + field].copy_from_slice(&new.to_le_bytes()[..field]);
            }
            6 => bytes.extend((0..1 + rng.below(8)).map(|_| rng.next() as u8)),
            _ => {
                let at = rng.index(header_end.min(len));
                if at < len {
                    bytes[at] = *rng.pick(b"\x00\x07\x1b\x7f\x85\x9b{[(\\'\"");
                }
            }
        }
    }
    bytes
}

/// The reader's verdict on `path`, checked: `Ok(true)` with data of the
/// announced length, or `Ok(false)` for one clean line of status 2.
fn read_in_process(path: &Path) -> Result<bool, String> {
    let read = || -> Result<usize, error::CliError> {
        let reader = npy::open(path, "--override=case.npy")?;
        let expected = reader.header.data_len();
        let data = reader.read_data()?;
        assert_eq!(
            Some(data.len() as u64),
            expected,
            "data of the announced length"
        );
        Ok(data.len())
    };
    match catch_unwind(AssertUnwindSafe(read)) {
        Err(_) => Err("the reader panicked".into()),
        Ok(Ok(_)) => Ok(true),
        Ok(Err(err)) => {
            if err.status != 2 {
                return Err(format!(
                    "status {} for a bad file: {}",
                    err.status, err.message
                ));
            }
            if err.message.chars().any(char::is_control) {
                return Err(format!("control characters in {:?}", err.message));
            }
            if err.message.chars().count() > MAX_MESSAGE {
                return Err(format!(
                    "a message of {} characters",
                    err.message.chars().count()
                ));
            }
            Ok(false)
        }
    }
}

/// `exact-neuron run FLAG=case.npy` in `dir`, checked; its status.
fn run_binary(dir: &Path, flag: &str) -> Result<i32, String> {
    let out = dir.join("out");
    let mut command = Command::new(bin());
    command
        .args([
            "run",
            "--shape=3",
            "--batch-size=2",
            "--step-time=1",
            "--rest-v=-60",
            "--thresh-v=-50",
            "--device=cpu",
            &format!("{flag}=case.npy"),
            "--out=out",
        ])
        .current_dir(dir);
    let outcome = run_limited(command, dir, TIME_LIMIT);
    let result = match outcome.code() {
        _ if outcome.status.is_none() => Err(format!("a hang: killed after {:?}", outcome.elapsed)),
        Some(0) => {
            let mut names: Vec<String> = fs::read_dir(&out)
                .map_err(|err| format!("status 0 and no output folder: {err}"))?
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            if names != ["spikes.npy", "voltage.npy"] {
                Err(format!("status 0 with outputs {names:?}"))
            } else if !outcome.stderr.is_empty() {
                Err(format!("status 0 with stderr {:?}", outcome.stderr))
            } else {
                Ok(0)
            }
        }
        Some(2) => {
            if let Some(problem) = line_problem(&outcome.stderr) {
                Err(problem)
            } else if out.exists() {
                Err("status 2, and an output folder was written".into())
            } else {
                Ok(2)
            }
        }
        other => Err(format!("status {other:?}: {:?}", outcome.stderr)),
    };
    let _ = fs::remove_dir_all(&out);
    result
}

#[test]
fn mutated_npy_files_never_panic_hang_or_get_misread() {
    let seed = seed();
    // printed to the stderr handle, so that it shows even when the test passes
    common::note(&format!(
        "npy fuzz: seed {seed} (replay with EXACT_NEURON_FUZZ_SEED={seed}), {CASES} cases, \
         1 in {BINARY_EVERY} through the binary"
    ));
    let dir = scratch("fuzz");
    let worker_dir = dir.clone();
    // per case: whether the reader took it, and the binary's status
    let (progress, done) = mpsc::channel::<Result<(bool, Option<i32>), String>>();
    // The cases run on a worker thread, so that a hang in the reader shows
    // as a failure here instead of a test that never ends.
    std::thread::spawn(move || {
        let seeds = seeds(&mut Rng(seed));
        let path = worker_dir.join("case.npy");
        for case in 0..CASES {
            let mut rng = Rng(seed ^ case.wrapping_mul(0xD1B5_4A32_D192_ED03));
            let base = rng.pick(&seeds).clone();
            let bytes = mutate(&mut rng, &base);
            // a new file each time: rewriting one in place makes ext4 flush
            // it to disk on close, a hundred times slower
            let _ = fs::remove_file(&path);
            fs::write(&path, &bytes).expect("write the case");
            let verdict = read_in_process(&path).and_then(|accepted| {
                let status = if case % BINARY_EVERY == 0 {
                    Some(run_binary(&worker_dir, base.flag)?)
                } else {
                    None
                };
                if !accepted && status == Some(0) {
                    return Err("the binary took a file its reader refuses".into());
                }
                Ok((accepted, status))
            });
            let message = verdict.map_err(|why| {
                format!(
                    "seed {seed} case {case} ({} bytes, starting {:?}): {why}",
                    bytes.len(),
                    String::from_utf8_lossy(&bytes[..bytes.len().min(160)])
                )
            });
            let failed = message.is_err();
            if progress.send(message).is_err() || failed {
                return;
            }
        }
    });
    let mut finished = 0;
    let (mut accepted, mut statuses) = (0, [0; 3]);
    while finished < CASES {
        match done.recv_timeout(TIME_LIMIT * 2) {
            Ok(Ok((took, status))) => {
                finished += 1;
                accepted += u64::from(took);
                if let Some(status) = status {
                    statuses[status as usize] += 1;
                }
            }
            Ok(Err(why)) => panic!("{why}"),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "seed {seed} case {finished}: no verdict after {:?} (a hang)",
                TIME_LIMIT * 2
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("seed {seed} case {finished}: the fuzzer's thread panicked (see above)")
            }
        }
    }
    let _ = fs::remove_dir_all(&dir);
    common::note(&format!(
        "npy fuzz: the reader took {accepted} of {CASES} files; through the binary, {} ended \
         with status 0 and {} with status 2",
        statuses[0], statuses[2]
    ));
    // the mutations must reach both outcomes, or they test little
    assert!(
        accepted > 0 && accepted < CASES,
        "seed {seed}: {accepted} taken"
    );
    assert!(
        statuses[0] > 0 && statuses[2] > 0,
        "seed {seed}: {statuses:?}"
    );
}
