//! Builds an xv6 file-system image: the same layout, block order and bytes as
//! xv6's own `mkfs`, so either kernel can boot from the result.
//!
//! The whole image is built in memory and only written out once everything
//! has succeeded, so a bad input never leaves a half-written `fs.img` behind.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use abi::fs::{
    bblock, iblock, Dinode, Dirent, Superblock, BPB, BSIZE, DIRSIZ, FSMAGIC, IPB, MAXFILE, NDIRECT,
    NINDIRECT, ROOTINO,
};
use abi::param::{FSSIZE, LOGSIZE};
use abi::stat::{T_DIR, T_FILE};

pub mod fsck;

/// Inodes in the image (xv6's mkfs uses the same count).
pub const NINODES: usize = 200;

/// Where each region of the disk starts and how big it is.
///
/// `[ boot | super | log | inodes | bitmap | data ]`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Log blocks, header included. xv6-riscv's mkfs stores LOGSIZE here and
    /// its kernel keeps one of them for the header.
    pub nlog: usize,
    pub ninodeblocks: usize,
    pub nbitmap: usize,
    /// Blocks before the first data block.
    pub nmeta: usize,
    /// Data blocks.
    pub nblocks: usize,
    pub size: usize,
}

/// The layout xv6 uses; fixed by the parameters in the kernel's ABI.
pub const LAYOUT: Layout = {
    let nlog = LOGSIZE;
    let ninodeblocks = NINODES / IPB + 1;
    let nbitmap = FSSIZE / BPB + 1;
    let nmeta = 2 + nlog + ninodeblocks + nbitmap;
    Layout {
        nlog,
        ninodeblocks,
        nbitmap,
        nmeta,
        nblocks: FSSIZE - nmeta,
        size: FSSIZE,
    }
};

impl Layout {
    pub fn superblock(&self) -> Superblock {
        Superblock {
            magic: FSMAGIC,
            size: self.size as u32,
            nblocks: self.nblocks as u32,
            ninodes: NINODES as u32,
            nlog: self.nlog as u32,
            logstart: 2,
            inodestart: (2 + self.nlog) as u32,
            bmapstart: (2 + self.nlog + self.ninodeblocks) as u32,
        }
    }

    /// The line xv6's mkfs prints first.
    pub fn summary(&self) -> String {
        format!(
            "nmeta {} (boot, super, log blocks {} inode blocks {}, bitmap blocks {}) blocks {} total {}",
            self.nmeta, self.nlog, self.ninodeblocks, self.nbitmap, self.nblocks, self.size
        )
    }
}

/// Everything that can go wrong; each one names the offending input.
#[derive(Debug)]
pub enum Error {
    Usage,
    /// The path has no final component to use as a name (e.g. `..` or `/`).
    NoName(PathBuf),
    EmptyName(PathBuf),
    NameTooLong {
        path: PathBuf,
        name: String,
    },
    DuplicateName {
        path: PathBuf,
        name: String,
    },
    Read {
        path: PathBuf,
        err: std::io::Error,
    },
    Write {
        path: PathBuf,
        err: std::io::Error,
    },
    TooLarge {
        path: PathBuf,
        size: usize,
    },
    /// An append would go past the largest file an inode can map.
    InodeTooLarge(u32),
    OutOfInodes,
    OutOfBlocks,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage => write!(f, "Usage: mkfs fs.img files..."),
            Error::NoName(p) => {
                write!(f, "{}: cannot take a file name from this path", p.display())
            }
            Error::EmptyName(p) => write!(f, "{}: stored name would be empty", p.display()),
            Error::NameTooLong { path, name } => write!(
                f,
                "{}: name \"{}\" is {} bytes; xv6 names hold at most {} (DIRSIZ)",
                path.display(),
                name,
                name.len(),
                DIRSIZ
            ),
            Error::DuplicateName { path, name } => write!(
                f,
                "{}: name \"{}\" is already in the root directory",
                path.display(),
                name
            ),
            Error::Read { path, err } => write!(f, "{}: {}", path.display(), err),
            Error::Write { path, err } => write!(f, "{}: {}", path.display(), err),
            Error::TooLarge { path, size } => write!(
                f,
                "{}: {} bytes is more than the largest xv6 file ({} bytes)",
                path.display(),
                size,
                MAXFILE * BSIZE
            ),
            Error::InodeTooLarge(inum) => {
                write!(f, "inode {inum} would grow past {MAXFILE} blocks")
            }
            Error::OutOfInodes => write!(f, "too many files: only {NINODES} inodes"),
            Error::OutOfBlocks => write!(f, "file system full: only {FSSIZE} blocks"),
        }
    }
}

impl std::error::Error for Error {}

/// The name a host file gets in the root directory: its last path component,
/// minus one leading `_` (the xv6 Makefile prefixes user programs with `_` so
/// the host never runs them by mistake).
pub fn stored_name(path: &Path) -> Result<Vec<u8>, Error> {
    let base = path
        .file_name()
        .ok_or_else(|| Error::NoName(path.to_path_buf()))?
        .as_encoded_bytes();
    let name = base.strip_prefix(b"_").unwrap_or(base);
    if name.is_empty() {
        return Err(Error::EmptyName(path.to_path_buf()));
    }
    if name.len() > DIRSIZ {
        return Err(Error::NameTooLong {
            path: path.to_path_buf(),
            name: String::from_utf8_lossy(name).into_owned(),
        });
    }
    Ok(name.to_vec())
}

/// A disk image under construction, with xv6 mkfs's two allocation cursors.
pub struct Image {
    data: Vec<u8>,
    sb: Superblock,
    freeinode: u32,
    freeblock: u32,
}

impl Image {
    /// A zeroed disk with only the superblock written.
    pub fn new(layout: &Layout) -> Self {
        let sb = layout.superblock();
        let mut img = Image {
            data: vec![0; layout.size * BSIZE],
            sb,
            freeinode: 1,
            freeblock: layout.nmeta as u32,
        };
        img.block_mut(1)[..32].copy_from_slice(&sb.to_bytes());
        img
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// First block not yet handed out; everything below it is in use.
    pub fn freeblock(&self) -> u32 {
        self.freeblock
    }

    fn block(&self, b: u32) -> &[u8] {
        let off = b as usize * BSIZE;
        &self.data[off..off + BSIZE]
    }

    fn block_mut(&mut self, b: u32) -> &mut [u8] {
        let off = b as usize * BSIZE;
        &mut self.data[off..off + BSIZE]
    }

    fn inode_range(&self, inum: u32) -> std::ops::Range<usize> {
        let off = iblock(inum, &self.sb) as usize * BSIZE + (inum as usize % IPB) * 64;
        off..off + 64
    }

    pub fn rinode(&self, inum: u32) -> Dinode {
        Dinode::from_bytes(&self.data[self.inode_range(inum)])
    }

    pub fn winode(&mut self, inum: u32, din: &Dinode) {
        let r = self.inode_range(inum);
        self.data[r].copy_from_slice(&din.to_bytes());
    }

    /// Hands out the next inode number, like xv6: one link, empty.
    pub fn ialloc(&mut self, typ: i16) -> Result<u32, Error> {
        let inum = self.freeinode;
        if inum as usize >= self.sb.ninodes as usize {
            return Err(Error::OutOfInodes);
        }
        self.freeinode += 1;
        let din = Dinode {
            typ,
            nlink: 1,
            ..Dinode::default()
        };
        self.winode(inum, &din);
        Ok(inum)
    }

    fn alloc_block(&mut self) -> Result<u32, Error> {
        let b = self.freeblock;
        if b >= self.sb.size {
            return Err(Error::OutOfBlocks);
        }
        self.freeblock += 1;
        Ok(b)
    }

    /// Block number of the indirect block's slot `i`, allocating on demand.
    fn indirect_slot(&mut self, ind: u32, i: usize) -> Result<u32, Error> {
        let off = i * 4;
        let slot = &self.block(ind)[off..off + 4];
        let cur = u32::from_le_bytes([slot[0], slot[1], slot[2], slot[3]]);
        if cur != 0 {
            return Ok(cur);
        }
        let b = self.alloc_block()?;
        self.block_mut(ind)[off..off + 4].copy_from_slice(&b.to_le_bytes());
        Ok(b)
    }

    /// Appends `bytes` to inode `inum`, allocating blocks in the same order as
    /// xv6's mkfs (so images match block for block): direct blocks first, and
    /// the indirect block just before the first block that needs it.
    pub fn iappend(&mut self, inum: u32, mut bytes: &[u8]) -> Result<(), Error> {
        let mut din = self.rinode(inum);
        let mut off = din.size as usize;
        while !bytes.is_empty() {
            let fbn = off / BSIZE;
            if fbn >= MAXFILE {
                return Err(Error::InodeTooLarge(inum));
            }
            let b = if fbn < NDIRECT {
                if din.addrs[fbn] == 0 {
                    din.addrs[fbn] = self.alloc_block()?;
                }
                din.addrs[fbn]
            } else {
                if din.addrs[NDIRECT] == 0 {
                    din.addrs[NDIRECT] = self.alloc_block()?;
                }
                debug_assert!(fbn - NDIRECT < NINDIRECT);
                self.indirect_slot(din.addrs[NDIRECT], fbn - NDIRECT)?
            };
            let start = off - fbn * BSIZE;
            let n = bytes.len().min(BSIZE - start);
            self.block_mut(b)[start..start + n].copy_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            off += n;
        }
        din.size = off as u32;
        self.winode(inum, &din);
        Ok(())
    }

    /// Adds an entry `name -> inum` at the end of directory `dir`.
    pub fn dirlink(&mut self, dir: u32, name: &[u8], inum: u32) -> Result<(), Error> {
        let de = dirent(inum, name, Path::new(""))?;
        self.iappend(dir, &de.to_bytes())
    }

    /// Makes directory `name` in `parent`, with the link counts the kernel
    /// keeps: one for the parent's entry, and one more on the parent for
    /// the child's `..`.
    pub fn mkdir(&mut self, parent: u32, name: &[u8]) -> Result<u32, Error> {
        let inum = self.ialloc(T_DIR)?;
        self.dirlink(inum, b".", inum)?;
        self.dirlink(inum, b"..", parent)?;
        self.dirlink(parent, name, inum)?;
        let mut p = self.rinode(parent);
        p.nlink += 1;
        self.winode(parent, &p);
        Ok(inum)
    }

    /// Marks blocks `[0, used)` allocated in the free bitmap.
    pub fn balloc(&mut self, used: u32) {
        for b in 0..used {
            let blk = bblock(b, &self.sb);
            let bit = b as usize % BPB;
            self.block_mut(blk)[bit / 8] |= 1 << (bit % 8);
        }
    }
}

/// One file to place in the root directory.
pub struct Entry {
    pub path: PathBuf,
    pub name: Vec<u8>,
    pub contents: Vec<u8>,
}

/// Reads and checks every input up front, before any image is built.
pub fn load_entries(paths: &[PathBuf]) -> Result<Vec<Entry>, Error> {
    // `.` and `..` are taken by the root directory itself.
    let mut seen: HashSet<Vec<u8>> = [b".".to_vec(), b"..".to_vec()].into();
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let name = stored_name(path)?;
        if !seen.insert(name.clone()) {
            return Err(Error::DuplicateName {
                path: path.clone(),
                name: String::from_utf8_lossy(&name).into_owned(),
            });
        }
        let contents = fs::read(path).map_err(|err| Error::Read {
            path: path.clone(),
            err,
        })?;
        if contents.len() > MAXFILE * BSIZE {
            return Err(Error::TooLarge {
                path: path.clone(),
                size: contents.len(),
            });
        }
        out.push(Entry {
            path: path.clone(),
            name,
            contents,
        });
    }
    Ok(out)
}

/// Lays out the root directory and the files in order, as xv6's mkfs does.
pub fn build(layout: &Layout, entries: &[Entry]) -> Result<Image, Error> {
    let mut img = Image::new(layout);
    let root = img.ialloc(T_DIR)?;
    debug_assert_eq!(root, ROOTINO);
    for name in [&b"."[..], b".."] {
        let de = dirent(root, name, Path::new(""))?;
        img.iappend(root, &de.to_bytes())?;
    }
    for e in entries {
        let inum = img.ialloc(T_FILE)?;
        let de = dirent(inum, &e.name, &e.path)?;
        img.iappend(root, &de.to_bytes())?;
        img.iappend(inum, &e.contents)?;
    }
    // Directories are read in whole blocks, so pad the size to one.
    let mut din = img.rinode(root);
    din.size = (din.size as usize).div_ceil(BSIZE).saturating_mul(BSIZE) as u32;
    img.winode(root, &din);
    img.balloc(img.freeblock);
    Ok(img)
}

/// A directory entry; `path` is only for the error message.
fn dirent(inum: u32, name: &[u8], path: &Path) -> Result<Dirent, Error> {
    let inum = u16::try_from(inum).map_err(|_| Error::OutOfInodes)?;
    Dirent::new(inum, name).ok_or_else(|| Error::NameTooLong {
        path: path.to_path_buf(),
        name: String::from_utf8_lossy(name).into_owned(),
    })
}

/// What `mkfs` did, for its report lines.
pub struct Report {
    pub layout: Layout,
    /// Blocks marked used in the bitmap (`[0, used)`).
    pub used: u32,
    pub bmapstart: u32,
}

/// Reads `files`, builds the image and writes it to `out`.
pub fn make_fs(out: &Path, files: &[PathBuf]) -> Result<Report, Error> {
    let entries = load_entries(files)?;
    let img = build(&LAYOUT, &entries)?;
    fs::write(out, img.bytes()).map_err(|err| Error::Write {
        path: out.to_path_buf(),
        err,
    })?;
    Ok(Report {
        layout: LAYOUT,
        used: img.freeblock(),
        bmapstart: img.sb.bmapstart,
    })
}

/// The command line: `mkfs fs.img file...`.
pub fn run(args: &[PathBuf]) -> Result<Report, Error> {
    let (out, files) = args.split_first().ok_or(Error::Usage)?;
    make_fs(out, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_xv6() {
        assert_eq!(LAYOUT.nlog, 30);
        assert_eq!(LAYOUT.ninodeblocks, 13);
        assert_eq!(LAYOUT.nbitmap, 1);
        assert_eq!(LAYOUT.nmeta, 46);
        assert_eq!(LAYOUT.nblocks, 1954);
        assert_eq!(
            LAYOUT.summary(),
            "nmeta 46 (boot, super, log blocks 30 inode blocks 13, bitmap blocks 1) blocks 1954 total 2000"
        );
    }

    #[test]
    fn names() {
        assert_eq!(stored_name(Path::new("user/_cat")).unwrap(), b"cat");
        assert_eq!(stored_name(Path::new("README")).unwrap(), b"README");
        assert_eq!(stored_name(Path::new("/a/b/__x")).unwrap(), b"_x");
        assert_eq!(
            stored_name(Path::new("_abcdefghijklmn")).unwrap(),
            b"abcdefghijklmn"
        );
        assert!(matches!(
            stored_name(Path::new("abcdefghijklmno")),
            Err(Error::NameTooLong { .. })
        ));
        assert!(matches!(
            stored_name(Path::new("x/_")),
            Err(Error::EmptyName(_))
        ));
        assert!(matches!(
            stored_name(Path::new("..")),
            Err(Error::NoName(_))
        ));
    }

    #[test]
    fn duplicate_names_refused() {
        let e = load_entries(&[PathBuf::from("_."), PathBuf::from("x")]);
        assert!(matches!(e, Err(Error::DuplicateName { .. })));
    }

    #[test]
    fn too_many_files_refused() {
        let entries: Vec<Entry> = (0..NINODES)
            .map(|i| Entry {
                path: PathBuf::from(format!("f{i}")),
                name: format!("f{i}").into_bytes(),
                contents: Vec::new(),
            })
            .collect();
        // Inode 0 is never used and inode 1 is the root, leaving 198.
        assert!(build(&LAYOUT, &entries[..NINODES - 2]).is_ok());
        assert!(matches!(
            build(&LAYOUT, &entries[..NINODES - 1]),
            Err(Error::OutOfInodes)
        ));
    }

    #[test]
    fn full_disk_refused() {
        let big = vec![7u8; MAXFILE * BSIZE];
        let entries: Vec<Entry> = (0..8)
            .map(|i| Entry {
                path: PathBuf::from(format!("f{i}")),
                name: format!("f{i}").into_bytes(),
                contents: big.clone(),
            })
            .collect();
        assert!(matches!(build(&LAYOUT, &entries), Err(Error::OutOfBlocks)));
    }
}
