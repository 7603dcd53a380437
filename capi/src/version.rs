//! The library's version, for a caller to log or check.

use std::ffi::c_char;

/// The version of the library, `"major.minor.patch"` (a static string,
/// never NULL).
#[no_mangle]
pub extern "C" fn en_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}
