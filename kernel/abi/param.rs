//! System-wide limits (xv6's `param.h`).

/// Maximum number of processes.
pub const NPROC: usize = 64;
/// Maximum number of CPUs (harts).
pub const NCPU: usize = 8;
/// Open files per process.
pub const NOFILE: usize = 16;
/// Open files in the whole system.
pub const NFILE: usize = 100;
/// Maximum number of in-memory inodes.
pub const NINODE: usize = 50;
/// Maximum device major number.
pub const NDEV: usize = 10;
/// Device number of the disk holding the root file system.
pub const ROOTDEV: u32 = 1;
/// Maximum number of exec arguments.
pub const MAXARG: usize = 32;
/// Maximum number of blocks one file-system operation may write.
pub const MAXOPBLOCKS: usize = 10;
/// Data blocks in the on-disk log.
pub const LOGSIZE: usize = MAXOPBLOCKS * 3;
/// Blocks in the buffer cache.
pub const NBUF: usize = MAXOPBLOCKS * 3;
/// Size of the file system, in blocks.
pub const FSSIZE: usize = 2000;
/// Maximum length of a path name, including the terminating NUL.
pub const MAXPATH: usize = 128;
