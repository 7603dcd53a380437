//! The message of this thread's last failed call.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

thread_local! {
    /// Empty after a success. Owned here, so that the pointer handed out
    /// stays valid until this thread's next call into the library.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error (an empty one after a
/// success). A NUL inside the message ends it there.
pub(crate) fn set(message: &str) {
    let bytes = message.split('\0').next().unwrap_or_default();
    let text = CString::new(bytes).unwrap_or_default();
    // `try_with` fails only while the thread is being torn down; the
    // message is then lost, which is all that can be done.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = text);
}

/// The message of this thread's last failed call into the library, or `""`
/// when its last call succeeded (or there was none). Never NULL. The string
/// belongs to the library and stays valid until this thread's next call
/// into it; copy it to keep it.
#[no_mangle]
pub extern "C" fn en_last_error() -> *const c_char {
    LAST_ERROR
        .try_with(|last| last.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}
