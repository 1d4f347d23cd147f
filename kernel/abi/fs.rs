//! The on-disk file-system layout (xv6's `fs.h`).
//!
//! Disk layout, in blocks of `BSIZE` bytes:
//! `[ boot | super | log header + log | inodes | free bitmap | data ... ]`.
//! `mkfs` computes the boundaries and records them in the superblock.
//!
//! All multi-byte fields are little-endian (RISC-V and x86 hosts agree). The
//! `to_bytes`/`from_bytes` helpers let host tools read and write the structs
//! without any unsafe casting.

use core::mem::size_of;

/// Inode number of the root directory.
pub const ROOTINO: u32 = 1;
/// Block size in bytes.
pub const BSIZE: usize = 1024;
/// Superblock magic number.
pub const FSMAGIC: u32 = 0x1020_3040;

/// Direct block addresses in an inode.
pub const NDIRECT: usize = 12;
/// Block addresses held by the single indirect block.
pub const NINDIRECT: usize = BSIZE / size_of::<u32>();
/// Largest file, in blocks.
pub const MAXFILE: usize = NDIRECT + NINDIRECT;

/// Inodes per block.
pub const IPB: usize = BSIZE / size_of::<Dinode>();
/// Bitmap bits per block.
pub const BPB: usize = BSIZE * 8;
/// Longest directory-entry name (not NUL-terminated when it is this long).
pub const DIRSIZ: usize = 14;

/// Describes where everything is; block 1 of the disk.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Superblock {
    /// `FSMAGIC` marks an xv6 file system.
    pub magic: u32,
    /// Size of the whole image, in blocks.
    pub size: u32,
    /// Number of data blocks.
    pub nblocks: u32,
    /// Number of inodes.
    pub ninodes: u32,
    /// Number of log blocks (header included).
    pub nlog: u32,
    /// First log block (the header).
    pub logstart: u32,
    /// First inode block.
    pub inodestart: u32,
    /// First free-bitmap block.
    pub bmapstart: u32,
}

/// An inode as stored on disk.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dinode {
    /// File type (`stat::T_*`), 0 when the inode is free.
    pub typ: i16,
    /// Major device number (devices only).
    pub major: i16,
    /// Minor device number (devices only).
    pub minor: i16,
    /// Directory entries that name this inode.
    pub nlink: i16,
    /// File size in bytes.
    pub size: u32,
    /// `NDIRECT` direct block numbers, then the indirect block's number.
    pub addrs: [u32; NDIRECT + 1],
}

/// A directory entry; a directory is a file holding an array of these.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dirent {
    /// Inode number, 0 for an unused slot.
    pub inum: u16,
    /// Name, NUL-padded.
    pub name: [u8; DIRSIZ],
}

static_assertions::assert_eq_size!(Superblock, [u8; 32]);
static_assertions::assert_eq_size!(Dinode, [u8; 64]);
static_assertions::assert_eq_size!(Dirent, [u8; 16]);
static_assertions::const_assert_eq!(BSIZE % size_of::<Dinode>(), 0);
static_assertions::const_assert_eq!(BSIZE % size_of::<Dirent>(), 0);

/// Block holding inode `inum`.
pub const fn iblock(inum: u32, sb: &Superblock) -> u32 {
    inum / IPB as u32 + sb.inodestart
}

/// Bitmap block holding the bit for block `b`.
pub const fn bblock(b: u32, sb: &Superblock) -> u32 {
    b / BPB as u32 + sb.bmapstart
}

fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn get_i16(b: &[u8], off: usize) -> i16 {
    i16::from_le_bytes([b[off], b[off + 1]])
}

impl Superblock {
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let fields = [
            self.magic,
            self.size,
            self.nblocks,
            self.ninodes,
            self.nlog,
            self.logstart,
            self.inodestart,
            self.bmapstart,
        ];
        for (i, f) in fields.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&f.to_le_bytes());
        }
        out
    }

    /// Decodes the first 32 bytes of `b`.
    pub fn from_bytes(b: &[u8]) -> Self {
        Superblock {
            magic: get_u32(b, 0),
            size: get_u32(b, 4),
            nblocks: get_u32(b, 8),
            ninodes: get_u32(b, 12),
            nlog: get_u32(b, 16),
            logstart: get_u32(b, 20),
            inodestart: get_u32(b, 24),
            bmapstart: get_u32(b, 28),
        }
    }
}

impl Dinode {
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[0..2].copy_from_slice(&self.typ.to_le_bytes());
        out[2..4].copy_from_slice(&self.major.to_le_bytes());
        out[4..6].copy_from_slice(&self.minor.to_le_bytes());
        out[6..8].copy_from_slice(&self.nlink.to_le_bytes());
        out[8..12].copy_from_slice(&self.size.to_le_bytes());
        for (i, a) in self.addrs.iter().enumerate() {
            out[12 + i * 4..16 + i * 4].copy_from_slice(&a.to_le_bytes());
        }
        out
    }

    /// Decodes the first 64 bytes of `b`.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut addrs = [0u32; NDIRECT + 1];
        for (i, a) in addrs.iter_mut().enumerate() {
            *a = get_u32(b, 12 + i * 4);
        }
        Dinode {
            typ: get_i16(b, 0),
            major: get_i16(b, 2),
            minor: get_i16(b, 4),
            nlink: get_i16(b, 6),
            size: get_u32(b, 8),
            addrs,
        }
    }
}

impl Dirent {
    /// An entry for `name`; `None` if the name does not fit in `DIRSIZ` bytes.
    pub fn new(inum: u16, name: &[u8]) -> Option<Self> {
        if name.len() > DIRSIZ {
            return None;
        }
        let mut d = Dirent {
            inum,
            name: [0; DIRSIZ],
        };
        d.name[..name.len()].copy_from_slice(name);
        Some(d)
    }

    /// The name without its NUL padding.
    pub fn name(&self) -> &[u8] {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(DIRSIZ);
        &self.name[..n]
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..2].copy_from_slice(&self.inum.to_le_bytes());
        out[2..].copy_from_slice(&self.name);
        out
    }

    /// Decodes the first 16 bytes of `b`.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut name = [0u8; DIRSIZ];
        name.copy_from_slice(&b[2..16]);
        Dirent {
            inum: u16::from_le_bytes([b[0], b[1]]),
            name,
        }
    }
}
