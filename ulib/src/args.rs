//! Command-line arguments as exec laid them out on the stack.

use core::ffi::CStr;

/// argv, borrowed from the process's stack; valid for the program's life.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    /// # Safety
    /// `argv` must point at `argc` pointers to NUL-terminated strings that
    /// stay valid and unchanged for the rest of the program.
    pub unsafe fn from_raw(argc: usize, argv: *const *const u8) -> Self {
        Args { argc, argv }
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i` as a C string.
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc, and from_raw's contract makes entry i a valid,
        // NUL-terminated string that lives for the whole program.
        unsafe { Some(CStr::from_ptr((*self.argv.add(i)).cast())) }
    }

    /// Argument `i` as text (`""` if missing, invalid UTF-8 shown as `?`).
    pub fn str(&self, i: usize) -> &'static str {
        self.get(i).map(|s| s.to_str().unwrap_or("?")).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static CStr> + '_ {
        (0..self.argc).filter_map(|i| self.get(i))
    }
}
