//! Small helpers shared by user programs: the parts of C xv6's `ulib.c`
//! that Rust's core library does not already cover, and a byte-oriented
//! output buffer for messages that contain file names (which need not be
//! UTF-8, so they cannot go through `print!`).

use core::ffi::CStr;
use core::fmt;

use crate::{close, fstat, open, read, write, Stat, O_RDONLY};

/// Length of the C string at the start of `buf`: the bytes before the
/// first NUL, or all of `buf` if it holds none.
pub fn strlen(buf: &[u8]) -> usize {
    buf.iter().position(|&c| c == 0).unwrap_or(buf.len())
}

/// Parses the leading decimal digits of `s`, as xv6's `atoi` does: no sign,
/// no leading blanks, stops at the first non-digit (or NUL), and wraps
/// around on overflow instead of failing.
pub fn atoi(s: &[u8]) -> i32 {
    let mut n: i32 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(i32::from(c - b'0'));
    }
    n
}

/// Fills `st` with the status of the file at `path`; 0 on success, -1 if
/// the file cannot be opened. Opening is how xv6 gets at an inode by name,
/// so this costs a file descriptor for a moment.
pub fn stat(path: &CStr, st: &mut Stat) -> i32 {
    let fd = open(path, O_RDONLY);
    if fd < 0 {
        return -1;
    }
    let r = fstat(fd, st);
    close(fd);
    r
}

/// Reads one line from fd 0 into `buf`, one byte per `read` so nothing past
/// the line is consumed (a child may read the rest). Stops after a `'\n'`
/// or `'\r'`, at end of file or error, or when `buf` has room only for the
/// terminating NUL, which is always stored. Returns the bytes read.
pub fn gets(buf: &mut [u8]) -> usize {
    let mut i = 0;
    while i + 1 < buf.len() {
        let mut c = [0u8; 1];
        if read(0, &mut c) < 1 {
            break;
        }
        buf[i] = c[0];
        i += 1;
        if c[0] == b'\n' || c[0] == b'\r' {
            break;
        }
    }
    if let Some(end) = buf.get_mut(i) {
        *end = 0;
    }
    i
}

const OUT_BUF: usize = 256;

/// Output built from text and raw bytes, sent to `fd` in one `write` when
/// dropped (or earlier, if it fills up). A message that C xv6 printf-ed
/// with `%s` of a path goes out whole, with the path's bytes unchanged.
///
/// ```ignore
/// Out::new(2).str("cat: cannot open ").bytes(name).str("\n");
/// ```
pub struct Out {
    fd: i32,
    len: usize,
    buf: [u8; OUT_BUF],
}

impl Out {
    pub fn new(fd: i32) -> Self {
        Out {
            fd,
            len: 0,
            buf: [0; OUT_BUF],
        }
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        for &c in b {
            if self.len == OUT_BUF {
                self.flush();
            }
            self.buf[self.len] = c;
            self.len += 1;
        }
        self
    }

    /// Appends text.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Appends formatted text (`format_args!`).
    pub fn fmt(&mut self, args: fmt::Arguments) -> &mut Self {
        let _ = fmt::Write::write_fmt(self, args);
        self
    }

    /// Writes out whatever has been gathered so far.
    pub fn flush(&mut self) {
        if self.len > 0 {
            write(self.fd, &self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        self.flush();
    }
}
