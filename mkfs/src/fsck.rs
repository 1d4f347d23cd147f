//! Checks an xv6 file-system image for the damage a crash or a kernel bug
//! leaves: the superblock, the log, the directory tree, every inode's
//! blocks and link count, and the free bitmap.
//!
//! The image is read with the ABI's layout types (`abi::fs`), so the
//! checker sees the bytes exactly as the kernel does. It never writes the
//! image: `replay` installs a committed log in a private copy.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

use abi::fs::{
    bblock, iblock, Dinode, Dirent, Superblock, BPB, BSIZE, FSMAGIC, IPB, MAXFILE, NDIRECT,
    NINDIRECT, ROOTINO,
};
use abi::param::LOGSIZE;
use abi::stat::{T_DEVICE, T_DIR, T_FILE};

const DIRENT_SIZE: usize = 16;

/// What `check` found. Only `problems` make an image unclean.
#[derive(Debug, Default)]
pub struct Report {
    /// One line each: a state the kernel would trip over or lose data by.
    pub problems: Vec<String>,
    /// States xv6 itself leaves and that harm nothing (e.g. a block past
    /// the end of a file after a write whose copy from user memory failed).
    pub warnings: Vec<String>,
    /// What was done to the private copy (a replayed log).
    pub notes: Vec<String>,
    /// Allocated inodes.
    pub inodes: usize,
    /// Data blocks that some inode uses.
    pub blocks: usize,
    /// Blocks of a committed transaction found in the log (0 if empty).
    pub logged: usize,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn block(img: &[u8], b: u32) -> &[u8] {
    let off = b as usize * BSIZE;
    &img[off..off + BSIZE]
}

/// The superblock, if it is sane enough to find everything else by.
fn superblock(img: &[u8]) -> Result<Superblock, String> {
    if img.len() < 2 * BSIZE {
        return Err(format!(
            "image is {} bytes, too small to hold a superblock",
            img.len()
        ));
    }
    let sb = Superblock::from_bytes(block(img, 1));
    if sb.magic != FSMAGIC {
        return Err(format!(
            "superblock: magic is {:#x}, not {FSMAGIC:#x}: not an xv6 file system",
            sb.magic
        ));
    }
    let have = img.len() / BSIZE;
    if sb.size as usize > have {
        return Err(format!(
            "superblock: size is {} blocks, but the image holds only {have}",
            sb.size
        ));
    }
    // The regions must follow each other in the order the kernel assumes.
    let inode_blocks = (sb.ninodes as usize).div_ceil(IPB) as u64;
    let bitmap_blocks = (sb.size as usize).div_ceil(BPB) as u64;
    let datastart = u64::from(sb.size).saturating_sub(u64::from(sb.nblocks));
    let checks = [
        (sb.logstart >= 2, "the log must start after the superblock"),
        (
            sb.nlog >= 2,
            "the log needs a header and at least one block",
        ),
        (
            u64::from(sb.logstart) + u64::from(sb.nlog) <= u64::from(sb.inodestart),
            "the log runs into the inode blocks",
        ),
        (sb.ninodes > ROOTINO, "there is no room for the root inode"),
        (
            u64::from(sb.inodestart) + inode_blocks <= u64::from(sb.bmapstart),
            "the inode blocks run into the bitmap",
        ),
        (
            u64::from(sb.bmapstart) + bitmap_blocks <= datastart,
            "the bitmap runs into the data blocks",
        ),
        (sb.nblocks > 0 && sb.nblocks < sb.size, "no data blocks"),
    ];
    if let Some((_, why)) = checks.iter().find(|(ok, _)| !ok) {
        return Err(format!("superblock: {why} ({sb:?})"));
    }
    Ok(sb)
}

/// Installs a committed transaction from the log into `img` and empties
/// the log, as the kernel's recovery does at boot. Returns how many blocks
/// it installed.
pub fn replay(img: &mut [u8]) -> Result<usize, String> {
    let sb = superblock(img)?;
    let blocks = logged_blocks(img, &sb)?;
    for (i, &home) in blocks.iter().enumerate() {
        let from = (sb.logstart as usize + 1 + i) * BSIZE;
        let to = home as usize * BSIZE;
        img.copy_within(from..from + BSIZE, to);
    }
    let head = sb.logstart as usize * BSIZE;
    img[head..head + 4].fill(0);
    Ok(blocks.len())
}

/// The home block numbers the log header lists; empty when nothing is committed.
fn logged_blocks(img: &[u8], sb: &Superblock) -> Result<Vec<u32>, String> {
    let head = block(img, sb.logstart);
    let n = u32_at(head, 0) as usize;
    let room = LOGSIZE.min(sb.nlog as usize - 1);
    if n > room {
        return Err(format!(
            "log: header counts {n} blocks, more than the log holds ({room})"
        ));
    }
    let blocks: Vec<u32> = (0..n).map(|i| u32_at(head, 4 + 4 * i)).collect();
    // Only inode, bitmap and data blocks are ever written through the log.
    if let Some(b) = blocks.iter().find(|&&b| b < sb.inodestart || b >= sb.size) {
        return Err(format!(
            "log: header names block {b}, outside the inode, bitmap and data blocks [{}, {})",
            sb.inodestart, sb.size
        ));
    }
    Ok(blocks)
}

/// Where a block number points inside a file.
#[derive(Clone, Copy)]
enum Slot {
    /// File block `n` (direct or through the indirect block).
    File(usize),
    Indirect,
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Slot::File(n) => write!(f, "block {n}"),
            Slot::Indirect => write!(f, "indirect block"),
        }
    }
}

fn kind(typ: i16) -> &'static str {
    match typ {
        T_DIR => "directory",
        T_FILE => "file",
        T_DEVICE => "device",
        _ => "inode of unknown type",
    }
}

/// Shows a name as text, escaping bytes that are not printable ASCII.
fn show(name: &[u8]) -> String {
    name.escape_ascii().to_string()
}

fn join(dir: &str, name: &[u8]) -> String {
    if dir == "/" {
        format!("/{}", show(name))
    } else {
        format!("{dir}/{}", show(name))
    }
}

/// "block 7" or "blocks 7-9".
fn span(first: u32, last: u32) -> String {
    if first == last {
        format!("block {first}")
    } else {
        format!("blocks {first}-{last}")
    }
}

struct Checker<'a> {
    img: Cow<'a, [u8]>,
    sb: Superblock,
    datastart: u32,
    report: Report,
    /// Directory entries naming each inode; a directory's own `.` is not
    /// counted, as the kernel does not count it in nlink.
    refs: Vec<u32>,
    /// The first path found for each inode, for messages.
    names: Vec<Option<String>>,
    /// Which inode (and which of its slots) uses each block.
    owner: Vec<Option<(u32, Slot)>>,
}

impl Checker<'_> {
    fn problem(&mut self, line: String) {
        self.report.problems.push(line);
    }

    fn dinode(&self, inum: u32) -> Dinode {
        let off = iblock(inum, &self.sb) as usize * BSIZE + (inum as usize % IPB) * 64;
        Dinode::from_bytes(&self.img[off..off + 64])
    }

    fn in_data(&self, b: u32) -> bool {
        b >= self.datastart && b < self.sb.size
    }

    fn bit(&self, b: u32) -> bool {
        let bits = block(&self.img, bblock(b, &self.sb));
        let i = b as usize % BPB;
        bits[i / 8] & (1 << (i % 8)) != 0
    }

    /// Every nonzero block number an inode holds, with its slot. Entries of
    /// an indirect block outside the data area are not read.
    fn slots(&self, din: &Dinode) -> Vec<(Slot, u32)> {
        let mut out: Vec<(Slot, u32)> = (0..NDIRECT)
            .map(|i| (Slot::File(i), din.addrs[i]))
            .collect();
        let ind = din.addrs[NDIRECT];
        if ind != 0 {
            out.push((Slot::Indirect, ind));
            if self.in_data(ind) {
                let b = block(&self.img, ind);
                out.extend((0..NINDIRECT).map(|i| (Slot::File(NDIRECT + i), u32_at(b, 4 * i))));
            }
        }
        out.retain(|&(_, b)| b != 0);
        out
    }

    /// The first `size` bytes of a file; blocks that are missing or out of
    /// range read as zeros (they are reported elsewhere).
    fn contents(&self, din: &Dinode) -> Vec<u8> {
        let size = (din.size as usize).min(MAXFILE * BSIZE);
        let mut data = vec![0u8; size.div_ceil(BSIZE) * BSIZE];
        for (slot, b) in self.slots(din) {
            if let Slot::File(n) = slot {
                if n * BSIZE < data.len() && self.in_data(b) {
                    data[n * BSIZE..(n + 1) * BSIZE].copy_from_slice(block(&self.img, b));
                }
            }
        }
        data.truncate(size);
        data
    }

    fn who(&self, inum: u32) -> String {
        match &self.names[inum as usize] {
            Some(path) => format!("inode {inum} ({path})"),
            None => format!("inode {inum}"),
        }
    }

    /// Walks the tree from the root: checks `.` and `..`, that entries
    /// name allocated inodes, and counts the entries naming each inode.
    fn walk(&mut self) {
        let root = self.dinode(ROOTINO);
        if root.typ != T_DIR {
            let typ = root.typ;
            self.problem(format!(
                "root inode {ROOTINO} is not a directory (type {typ})"
            ));
            return;
        }
        self.names[ROOTINO as usize] = Some("/".into());
        let mut seen_dirs = HashSet::from([ROOTINO]);
        let mut queue = VecDeque::from([(ROOTINO, "/".to_string(), ROOTINO)]);
        while let Some((dir, path, parent)) = queue.pop_front() {
            let data = self.contents(&self.dinode(dir));
            let mut names_here = HashSet::new();
            for (slot, raw) in data.chunks_exact(DIRENT_SIZE).enumerate() {
                let de = Dirent::from_bytes(raw);
                let name = de.name();
                let inum = u32::from(de.inum);
                let want = match slot {
                    0 => Some((&b"."[..], dir)),
                    1 => Some((&b".."[..], parent)),
                    _ => None,
                };
                if let Some((want_name, want_inum)) = want {
                    if name != want_name || inum != want_inum {
                        self.problem(format!(
                            "{path}: entry {slot} should be \"{}\" naming inode {want_inum}, \
                             but is \"{}\" naming inode {inum}",
                            show(want_name),
                            show(name)
                        ));
                    }
                } else if inum == 0 {
                    continue;
                } else if name == b"." || name == b".." || name.is_empty() {
                    self.problem(format!(
                        "{path}: extra entry \"{}\" (slot {slot}) naming inode {inum}",
                        show(name)
                    ));
                    continue;
                }
                if inum == 0 {
                    continue;
                }
                let child = join(&path, name);
                if slot >= 2 && !names_here.insert(name.to_vec()) {
                    self.problem(format!("{child}: a second entry with this name in {path}"));
                }
                if inum >= self.sb.ninodes {
                    let last = self.sb.ninodes - 1;
                    self.problem(format!(
                        "{child}: entry points at inode {inum}, past the last inode ({last})"
                    ));
                    continue;
                }
                let target = self.dinode(inum);
                if target.typ == 0 {
                    self.problem(format!(
                        "{child}: entry points at inode {inum}, which is free (dangling entry)"
                    ));
                    continue;
                }
                // A directory's `.` names itself and is left out of nlink.
                if slot != 0 {
                    self.refs[inum as usize] += 1;
                }
                if slot < 2 {
                    continue;
                }
                self.names[inum as usize].get_or_insert_with(|| child.clone());
                if target.typ == T_DIR {
                    if seen_dirs.insert(inum) {
                        queue.push_back((inum, child, dir));
                    } else {
                        let first = self.names[inum as usize].clone().unwrap_or_default();
                        self.problem(format!(
                            "{child}: a second name for directory inode {inum} (also {first}); \
                             xv6 never links directories"
                        ));
                    }
                }
            }
        }
    }

    /// Each allocated inode: its type, its blocks (in range, used once,
    /// marked in the bitmap), its size against its blocks, its link count.
    fn inodes(&mut self) {
        for inum in 1..self.sb.ninodes {
            let din = self.dinode(inum);
            if din.typ == 0 {
                continue;
            }
            self.report.inodes += 1;
            let who = self.who(inum);
            if !matches!(din.typ, T_DIR | T_FILE | T_DEVICE) {
                let typ = din.typ;
                self.problem(format!("{who}: unknown type {typ}"));
                continue;
            }
            let slots = self.slots(&din);
            for &(slot, b) in &slots {
                if !self.in_data(b) {
                    let (ds, size) = (self.datastart, self.sb.size);
                    self.problem(format!(
                        "{who}: {slot} is block {b}, outside the data blocks [{ds}, {size})"
                    ));
                    continue;
                }
                match self.owner[b as usize] {
                    Some((other, oslot)) => {
                        let first = self.who(other);
                        self.problem(format!(
                            "block {b} is used twice: by {first} as {oslot} and by {who} as {slot}"
                        ));
                    }
                    None => {
                        self.owner[b as usize] = Some((inum, slot));
                        self.report.blocks += 1;
                    }
                }
                if !self.bit(b) {
                    self.problem(format!(
                        "block {b}: used by {who} as {slot}, but free in the bitmap"
                    ));
                }
            }
            self.size_against_blocks(&who, &din, &slots);
            self.link_count(inum, &who, &din);
        }
    }

    fn size_against_blocks(&mut self, who: &str, din: &Dinode, slots: &[(Slot, u32)]) {
        let size = din.size as usize;
        if size > MAXFILE * BSIZE {
            self.problem(format!(
                "{who}: size {size} is more than an inode can map ({} bytes)",
                MAXFILE * BSIZE
            ));
        }
        if din.typ == T_DIR && !size.is_multiple_of(DIRENT_SIZE) {
            self.problem(format!(
                "{who}: directory size {size} is not a whole number of {DIRENT_SIZE}-byte entries"
            ));
        }
        let need = size.min(MAXFILE * BSIZE).div_ceil(BSIZE);
        let mut have = vec![false; MAXFILE];
        let mut past = Vec::new();
        for &(slot, b) in slots {
            match slot {
                Slot::File(n) if n < need => have[n] = true,
                Slot::File(n) => past.push(format!("block {n} ({b})")),
                Slot::Indirect if need <= NDIRECT => past.push(format!("indirect block ({b})")),
                Slot::Indirect => {}
            }
        }
        let missing: Vec<usize> = (0..need).filter(|&n| !have[n]).collect();
        if let Some(first) = missing.first() {
            self.problem(format!(
                "{who}: size {size} needs {need} blocks, but {} of them are missing (first: block {first})",
                missing.len()
            ));
        }
        if !past.is_empty() {
            self.report.warnings.push(format!(
                "{who}: size {size}, yet it holds {} past the end (a write that failed part way leaves these)",
                past.join(", ")
            ));
        }
    }

    fn link_count(&mut self, inum: u32, who: &str, din: &Dinode) {
        let refs = self.refs[inum as usize];
        let nlink = din.nlink;
        if refs == 0 && inum != ROOTINO {
            self.problem(format!(
                "inode {inum}: allocated {} (size {}, nlink {nlink}) but no directory entry names it (orphan)",
                kind(din.typ),
                din.size
            ));
        } else if i64::from(nlink) != i64::from(refs) {
            let entries = if refs == 1 {
                "entry names"
            } else {
                "entries name"
            };
            self.problem(format!(
                "{who}: link count {nlink}, but {refs} directory {entries} it"
            ));
        }
    }

    /// Every block marked in the bitmap is metadata or used by an inode,
    /// and every metadata block is marked (the kernel would hand it out).
    fn bitmap(&mut self) {
        let sb = self.sb;
        let region = |b: u32| match b {
            0 => "the boot block",
            1 => "the superblock",
            _ if b >= sb.logstart && b < sb.logstart + sb.nlog => "the log",
            _ if b >= sb.inodestart && b < sb.bmapstart => "inode blocks",
            _ if b >= sb.bmapstart => "the bitmap",
            _ => "metadata",
        };
        // Runs of blocks with the same problem are reported as one line.
        let mut runs: Vec<(u32, u32, String)> = Vec::new();
        for b in 0..sb.size {
            let what = if b < self.datastart {
                (!self.bit(b)).then(|| {
                    format!(
                        "free in the bitmap, but {} is metadata; the kernel could hand it out",
                        region(b)
                    )
                })
            } else if self.bit(b) && self.owner[b as usize].is_none() {
                Some("marked in use in the bitmap, but no inode uses it (leaked)".to_string())
            } else {
                None
            };
            match (what, runs.last_mut()) {
                (Some(w), Some(last)) if last.1 + 1 == b && last.2 == w => last.1 = b,
                (Some(w), _) => runs.push((b, b, w)),
                (None, _) => {}
            }
        }
        for (first, last, what) in runs {
            self.problem(format!("{}: {what}", span(first, last)));
        }
    }
}

/// Checks `image`. With `replay`, a committed transaction in the log is
/// first installed (in a copy), as the kernel would at boot; without, it is
/// reported, since the image is then not in the state the kernel will use.
pub fn check(image: &[u8], replay_log: bool) -> Report {
    let mut report = Report::default();
    let sb = match superblock(image) {
        Ok(sb) => sb,
        Err(e) => {
            report.problems.push(e);
            return report;
        }
    };
    if image.len() > sb.size as usize * BSIZE {
        report.warnings.push(format!(
            "image is {} bytes, longer than the {} blocks the superblock covers",
            image.len(),
            sb.size
        ));
    }
    let mut img = Cow::Borrowed(image);
    match logged_blocks(image, &sb) {
        Err(e) => report.problems.push(e),
        Ok(blocks) if blocks.is_empty() => {}
        Ok(blocks) if replay_log => {
            report.logged = blocks.len();
            match replay(img.to_mut()) {
                Ok(n) => report.notes.push(format!(
                    "log: replayed a committed transaction of {n} blocks (in memory; the image is unchanged)"
                )),
                Err(e) => report.problems.push(e),
            }
        }
        Ok(blocks) => {
            report.logged = blocks.len();
            report.problems.push(format!(
                "log: holds a committed transaction of {} blocks not yet installed \
                 (the kernel installs it at boot; --replay checks the result)",
                blocks.len()
            ));
        }
    }
    let mut c = Checker {
        img,
        sb,
        datastart: sb.size - sb.nblocks,
        report,
        refs: vec![0; sb.ninodes as usize],
        names: vec![None; sb.ninodes as usize],
        owner: vec![None; sb.size as usize],
    };
    c.walk();
    c.inodes();
    c.bitmap();
    c.report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_names() {
        assert_eq!(span(7, 7), "block 7");
        assert_eq!(span(7, 9), "blocks 7-9");
        assert_eq!(join("/", b"a"), "/a");
        assert_eq!(join("/a", b"b\x01"), "/a/b\\x01");
    }

    #[test]
    fn garbage_is_not_a_file_system() {
        let r = check(&[0u8; 100], false);
        assert_eq!(
            r.problems,
            ["image is 100 bytes, too small to hold a superblock"]
        );
        let r = check(&vec![0u8; 4 * BSIZE], false);
        assert_eq!(
            r.problems,
            ["superblock: magic is 0x0, not 0x10203040: not an xv6 file system"]
        );
    }
}
