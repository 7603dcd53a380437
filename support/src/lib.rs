//! Support shared by the integration tests: golden cases, random data with
//! special values, and the GPU skip rule. Each test binary uses a part.

pub mod cases;
pub mod golden;
pub mod ptx;
pub mod random;
pub mod skip;
