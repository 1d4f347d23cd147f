//! Flags for `open` (xv6's `fcntl.h`). Plain integers: they cross the
//! system-call boundary as an `int`.

pub const O_RDONLY: i32 = 0x000;
pub const O_WRONLY: i32 = 0x001;
pub const O_RDWR: i32 = 0x002;
pub const O_CREATE: i32 = 0x200;
pub const O_TRUNC: i32 = 0x400;

/// Major device number of the console (init creates it with `mknod("console", 1, 0)`).
pub const CONSOLE: i16 = 1;

// mmap's protection and flags (the course's mmap lab; kernel feature `mmap`).
pub const PROT_NONE: i32 = 0x0;
pub const PROT_READ: i32 = 0x1;
pub const PROT_WRITE: i32 = 0x2;
pub const PROT_EXEC: i32 = 0x4;
pub const MAP_SHARED: i32 = 0x01;
pub const MAP_PRIVATE: i32 = 0x02;
