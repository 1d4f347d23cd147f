//! Flags for `open` (xv6's `fcntl.h`). Plain integers: they cross the
//! system-call boundary as an `int`.

pub const O_RDONLY: i32 = 0x000;
pub const O_WRONLY: i32 = 0x001;
pub const O_RDWR: i32 = 0x002;
pub const O_CREATE: i32 = 0x200;
pub const O_TRUNC: i32 = 0x400;

/// Major device number of the console (init creates it with `mknod("console", 1, 0)`).
pub const CONSOLE: i16 = 1;
