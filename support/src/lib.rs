//! Support shared by the integration tests of the workspace: golden cases,
//! random data with special values, the GPU skip rule and the PTX
//! interpreter for the library's tests; running the binary, `.npy` files
//! and hostile inputs for the CLI's. Each test binary uses a part.

pub mod binary;
pub mod cases;
pub mod golden;
pub mod hostile;
pub mod ptx;
pub mod random;
pub mod skip;
pub mod unrolled;
