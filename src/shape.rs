//! The batched shape of a neuron group.

use crate::error::{Error, Result};

/// A neuron group's shape and batch size, validated.
///
/// `count = prod(shape)` neurons (the empty shape is 0-d, one neuron), each
/// simulated for `batch_size` samples: the state is laid out row-major as
/// `(batch_size, *shape)`, `len = batch_size * count` elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchShape {
    shape: Vec<usize>,
    count: usize,
    batch_size: usize,
    len: usize,
}

/// Largest element count accepted: an f64 view of it must be addressable.
const MAX_LEN: usize = isize::MAX as usize / 8;

impl BatchShape {
    /// Validates and builds a batched shape. Checks, in inferno's order:
    /// every dimension positive (`'shape[1]' of 0 must be positive`), then
    /// the batch size (`'batch_size' of 0 must be positive`), then that the
    /// element count is addressable.
    pub fn new(shape: &[usize], batch_size: usize) -> Result<BatchShape> {
        check_dimensions(shape)?;
        check_batch_size("batch_size", batch_size)?;
        Self::sized(shape.to_vec(), batch_size)
    }

    /// The same neuron shape with another batch size, validated as
    /// `set_batch_size` does (the error names `'batch_size'`).
    pub fn with_batch_size(&self, batch_size: usize) -> Result<BatchShape> {
        check_batch_size("batch_size", batch_size)?;
        Self::sized(self.shape.clone(), batch_size)
    }

    fn sized(shape: Vec<usize>, batch_size: usize) -> Result<BatchShape> {
        let too_large = || Error::TooLarge {
            shape: shape.clone(),
            batch_size,
        };
        let count = shape
            .iter()
            .try_fold(1usize, |acc, &dim| acc.checked_mul(dim))
            .ok_or_else(too_large)?;
        let len = count
            .checked_mul(batch_size)
            .filter(|&len| len <= MAX_LEN)
            .ok_or_else(too_large)?;
        Ok(BatchShape {
            shape,
            count,
            batch_size,
            len,
        })
    }

    /// The shape of the neuron group (without the batch dimension).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of neurons, `prod(shape)` (1 for the 0-d shape).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Number of samples simulated at once.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// `[batch_size, *shape]`.
    pub fn batched_shape(&self) -> Vec<usize> {
        let mut batched = Vec::with_capacity(self.shape.len() + 1);
        batched.push(self.batch_size);
        batched.extend_from_slice(&self.shape);
        batched
    }

    /// Number of elements of the state, `batch_size * count`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: every dimension and the batch size are positive.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn check_dimensions(shape: &[usize]) -> Result<()> {
    match shape.iter().position(|&dim| dim == 0) {
        Some(index) => Err(Error::InvalidArgument(format!(
            "'shape[{index}]' of 0 must be positive"
        ))),
        None => Ok(()),
    }
}

fn check_batch_size(name: &str, batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        Err(Error::InvalidArgument(format!(
            "'{name}' of 0 must be positive"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_d_shape_has_one_neuron() {
        let shape = BatchShape::new(&[], 8).unwrap();
        assert_eq!((shape.count(), shape.len()), (1, 8));
        assert_eq!(shape.batched_shape(), vec![8]);
    }

    #[test]
    fn sizes_multiply() {
        let shape = BatchShape::new(&[2, 3], 2).unwrap();
        assert_eq!((shape.count(), shape.len()), (6, 12));
        assert_eq!(shape.batched_shape(), vec![2, 2, 3]);
        assert!(!shape.is_empty());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(matches!(
            BatchShape::new(&[usize::MAX, 2], 1),
            Err(Error::TooLarge { .. })
        ));
        assert!(matches!(
            BatchShape::new(&[1 << 40], 1 << 30),
            Err(Error::TooLarge { .. })
        ));
    }
}
