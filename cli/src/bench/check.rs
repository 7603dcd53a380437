//! The check of every timed output: the output buffers are poisoned before
//! the first call, and afterwards a sample of what the last call wrote is
//! compared, bit for bit, with the value the host computes from the same
//! test data. A kernel that wrote nothing, or wrote wrong bits, fails the
//! row.

use exact_neuron::{Element, HostValues};

use super::backend::BenchDevice;

/// Elements compared per output, spread evenly, plus the last one.
const SAMPLE: usize = 4096;

/// A value that no kernel writes into a spike byte.
pub trait Poison {
    const POISON: Self;
}

impl Poison for u8 {
    const POISON: u8 = 0xAA;
}

/// The indices compared in an output of `len` elements: all of a short
/// one, else an even spread and the last; `also` is added (the tests'
/// corrupted element).
fn sample(len: usize, also: Option<usize>) -> Vec<usize> {
    let mut indices: Vec<usize> = if len <= SAMPLE {
        (0..len).collect()
    } else {
        (0..SAMPLE)
            .map(|k| k * (len / SAMPLE))
            .chain([len - 1])
            .collect()
    };
    indices.extend(also);
    indices
}

/// Compares a sample of `buffer` with `expect(i)`, bit for bit. `corrupt`
/// flips a bit of element `at % len` of the host copy first (the tests'
/// way to see that a wrong output is caught).
pub fn check_values<D: BenchDevice, T: Element>(
    device: &D,
    buffer: &D::Buffer<T>,
    corrupt: Option<usize>,
    expect: impl Fn(u64) -> T,
) -> Result<(), String> {
    let host = HostValues::new(device.to_host(buffer).map_err(|err| err.to_string())?);
    let all = host.as_bytes();
    let size = T::DTYPE.size();
    let len = all.len() / size;
    let corrupt = corrupt.filter(|_| len > 0).map(|at| at % len);
    for i in sample(len, corrupt) {
        // a copy of the one element, so that the tests' corruption needs no
        // copy of the whole output
        let mut got = all[i * size..(i + 1) * size].to_vec();
        if corrupt == Some(i) {
            got[0] ^= 0x10;
        }
        let want = HostValues::new(vec![expect(i as u64)]);
        if got != *want.as_bytes() {
            return Err(format!(
                "sample check: {} element {i} of {len} is {got:02x?}, expected {:02x?}",
                T::DTYPE,
                want.as_bytes()
            ));
        }
    }
    Ok(())
}

/// Compares a sample of the bits of one row of `n` neurons in `words`
/// with `spike(i)`, and the padding bits of the last word (0).
pub fn check_bits<D: BenchDevice>(
    device: &D,
    words: &D::Words,
    n: usize,
    corrupt: Option<usize>,
    spike: impl Fn(u64) -> bool,
) -> Result<(), String> {
    let mut host = vec![0u32; D::words_len(words)];
    device
        .download_words(words, &mut host)
        .map_err(|err| err.to_string())?;
    if host.len() != n.div_ceil(32) {
        return Err(format!(
            "sample check: {} words for {n} neurons, expected {}",
            host.len(),
            n.div_ceil(32)
        ));
    }
    let corrupt = corrupt.filter(|_| n > 0).map(|at| at % n);
    if let Some(at) = corrupt {
        host[at / 32] ^= 1 << (at % 32);
    }
    let bit = |i: usize| host[i / 32] >> (i % 32) & 1 == 1;
    for i in sample(n, corrupt) {
        if bit(i) != spike(i as u64) {
            return Err(format!(
                "sample check: bit {i} of {n} is {}, expected {}",
                u8::from(bit(i)),
                u8::from(spike(i as u64))
            ));
        }
    }
    if n % 32 != 0 {
        let padding = host[n / 32] >> (n % 32);
        if padding != 0 {
            return Err(format!("sample check: padding bits {padding:#x} are not 0"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_short_outputs_and_the_ends_of_long_ones() {
        assert_eq!(sample(3, None), vec![0, 1, 2]);
        let long = sample(100_000, Some(7));
        assert_eq!(long[0], 0);
        assert!(long.contains(&99_999) && long.contains(&7));
        assert!(long.len() <= SAMPLE + 2);
    }
}
