//! Formatted output to a file descriptor. Output is gathered in a small
//! buffer so a line normally leaves in one `write` (interleaving between
//! processes then happens at line granularity, as tests expect).

use core::fmt::{self, Write};

const BUF: usize = 256;

/// A buffered writer on one fd; flushes when full and when dropped.
pub struct FdWriter {
    fd: i32,
    len: usize,
    buf: [u8; BUF],
}

impl FdWriter {
    pub fn new(fd: i32) -> Self {
        FdWriter {
            fd,
            len: 0,
            buf: [0; BUF],
        }
    }

    pub fn flush(&mut self) {
        if self.len > 0 {
            crate::write(self.fd, &self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for FdWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == BUF {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl Drop for FdWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

#[doc(hidden)]
pub fn _fprint(fd: i32, args: fmt::Arguments) {
    let mut w = FdWriter::new(fd);
    let _ = w.write_fmt(args);
}

/// `fprint!(fd, "fmt", ...)`: like C xv6's `fprintf`.
#[macro_export]
macro_rules! fprint {
    ($fd:expr, $($arg:tt)*) => { $crate::print::_fprint($fd, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! fprintln {
    ($fd:expr) => { $crate::fprint!($fd, "\n") };
    ($fd:expr, $($arg:tt)*) => { $crate::print::_fprint($fd, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to standard output (fd 1).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::fprint!(1, $($arg)*) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::fprint!(1, "\n") };
    ($($arg:tt)*) => { $crate::fprintln!(1, $($arg)*) };
}

/// Prints to standard error (fd 2).
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::fprint!(2, $($arg)*) };
}

#[macro_export]
macro_rules! eprintln {
    () => { $crate::fprint!(2, "\n") };
    ($($arg:tt)*) => { $crate::fprintln!(2, $($arg)*) };
}
