//! `struct stat` as `fstat` fills it in, and the inode types.

/// A directory.
pub const T_DIR: i16 = 1;
/// A regular file.
pub const T_FILE: i16 = 2;
/// A device node (major/minor select the driver).
pub const T_DEVICE: i16 = 3;

/// File status, laid out exactly like C xv6's `struct stat` (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Disk device number.
    pub dev: i32,
    /// Inode number.
    pub ino: u32,
    /// One of `T_DIR`, `T_FILE`, `T_DEVICE`.
    pub typ: i16,
    /// Number of directory entries naming this inode.
    pub nlink: i16,
    /// Size in bytes.
    pub size: u64,
}

static_assertions::assert_eq_size!(Stat, [u8; 24]);
static_assertions::const_assert_eq!(core::mem::offset_of!(Stat, typ), 8);
static_assertions::const_assert_eq!(core::mem::offset_of!(Stat, size), 16);
