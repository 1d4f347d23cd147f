//! The file system proper: blocks, inodes, directories and path names.
//!
//! The file system is a stack of layers, each built only on the ones
//! below it:
//!
//! - the disk driver (virtio_disk.rs) moves 1024-byte blocks;
//! - the buffer cache (bio.rs) keeps recently used blocks in memory and
//!   lets one process at a time use a given block;
//! - the log (log.rs) makes a system call's block writes land on disk all
//!   together or not at all, so a crash never leaves half an update;
//! - blocks (here: `balloc`/`bfree`) hand out and take back data blocks,
//!   tracked in the free bitmap;
//! - inodes (here: the inode table, `ilock`/`iput`, `bmap`,
//!   `readi`/`writei`) are files without names: a type, a size, a link
//!   count and the list of blocks that hold the bytes;
//! - directories (`dirlookup`/`dirlink`) are inodes whose bytes are a list
//!   of (name, inode number) entries;
//! - path names (`namei`/`nameiparent`) walk directories from the root or
//!   the current directory, one element at a time.
//!
//! The system calls that use all this (open, link, mkdir...) are in
//! sysfile.rs; file.rs adds the open-file layer (offsets, pipes, devices).
//!
//! The disk holds: the boot block (unused), the superblock (the sizes of
//! everything, `Superblock`), the log, the inodes, the free bitmap, then
//! the data blocks. mkfs writes that layout; `fsinit` reads it back.

use crate::bio::{bread, brelse};
use crate::log::{initlog, log_write};
use crate::proc::{either_copyin, either_copyout, myproc, Dst, Src};
use crate::sleeplock::{Sleeplock, SleeplockGuard};
use crate::spinlock::Spinlock;
use crate::Error;
use abi::fs::*;
use abi::param::{NINODE, ROOTDEV};
use abi::stat::{Stat, T_DIR};
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

static SB: spin::Once<Superblock> = spin::Once::new();

/// Bytes of one directory entry, in readi/writei's unit.
pub const DIRENT_SIZE: u32 = size_of::<Dirent>() as u32;

fn sb() -> &'static Superblock {
    SB.get().expect("superblock")
}

fn readsb(dev: u32) -> Superblock {
    let bp = bread(dev, 1);
    let sb = Superblock::from_bytes(&bp.data);
    brelse(bp);
    sb
}

/// Reads the superblock and recovers the log. Runs in the first process.
pub fn fsinit(dev: u32) {
    let sb = readsb(dev);
    if sb.magic != FSMAGIC {
        panic!("invalid file system");
    }
    let sb = SB.call_once(|| sb);
    initlog(dev, sb);
}

/// Zeroes a block (through the log).
fn bzero(dev: u32, bno: u32) {
    let mut bp = bread(dev, bno);
    bp.data.fill(0);
    log_write(&bp);
    brelse(bp);
}

/// Allocates a zeroed disk block; `None` when the disk is full.
fn balloc(dev: u32) -> Option<u32> {
    let sb = sb();
    for b in (0..sb.size).step_by(BPB) {
        let mut bp = bread(dev, bblock(b, sb));
        let mut bi = 0;
        while bi < BPB as u32 && b + bi < sb.size {
            let m = 1u8 << (bi % 8);
            let byte = (bi / 8) as usize;
            if bp.data[byte] & m == 0 {
                // Free: mark it used.
                bp.data[byte] |= m;
                log_write(&bp);
                brelse(bp);
                bzero(dev, b + bi);
                return Some(b + bi);
            }
            bi += 1;
        }
        brelse(bp);
    }
    crate::println!("balloc: out of blocks");
    None
}

fn bfree(dev: u32, b: u32) {
    let mut bp = bread(dev, bblock(b, sb()));
    let bi = b as usize % BPB;
    let m = 1u8 << (bi % 8);
    if bp.data[bi / 8] & m == 0 {
        panic!("freeing free block");
    }
    bp.data[bi / 8] &= !m;
    log_write(&bp);
    brelse(bp);
}

// Inodes.
//
// On disk an inode (`Dinode`) is a fixed-size record in the inode blocks;
// its number is its position there. A type of 0 means the record is free.
// In memory the kernel keeps a small table of the inodes in use (INODES,
// NINODE slots), one per file that some part of the kernel holds: an open
// file, a process's current directory, a path lookup in progress. Having
// exactly one slot per inode is what lets two processes that open the
// same file share one lock and one copy of the size and block list.
//
// An inode passes through four states, and the code keeps them apart:
//
// - allocated on disk: its type is nonzero. `ialloc` sets a type; `iput`
//   clears it when the last link (directory entry) and the last
//   in-memory reference are both gone.
// - referenced in the table: the slot's count (ITABLE) says how many
//   holders there are; a slot with count 0 is free for reuse. `iget`
//   finds the slot for (dev, inum) or claims a free one and counts one
//   more holder; `idup` adds a holder; `iput` drops one.
// - valid: the slot's copy of the type, size and block list has been read
//   from disk (`InodeData::valid`). `ilock` reads it the first time it is
//   needed; `iput` marks it invalid when the slot's last holder leaves, so
//   the next user reads the disk again.
// - locked: only a holder of the inode's sleep lock may read or change its
//   contents or its file's bytes (`ILocked`, from `ilock`).
//
// So the usual pattern is: get a reference (`namei`, or `iget` inside it),
// lock it, read or change it, unlock, and drop the reference (`iput`).
// Keeping the reference separate from the lock matters. An open file
// holds a reference for as long as it is open, but takes the lock only
// during each read or write, so other processes can use the file in
// between. And a path lookup (`namex`) takes a reference to the next
// directory while it holds the current one locked, then unlocks the
// current one before it locks the next: the reference keeps the next
// slot from being reused in that gap, and the lookup never holds two
// directory locks at once (with "..", one lookup going up and another
// going down would each hold the lock the other wants).
//
// Many functions here take an `ILocked`: the caller holds the lock, so it
// can make several of them one atomic step (create: look up, allocate,
// link).
//
// Two locks guard this state. The ITABLE spin lock guards each slot's
// count and its (dev, inum) identity: it is held whenever a slot is
// claimed or its count changes, so no two slots ever name one inode. An
// inode's sleep lock guards everything else about it (`InodeData`), and
// may be held across disk reads, which is why it is a sleep lock.

/// An inode's contents, a copy of the on-disk dinode plus `valid`.
pub struct InodeData {
    /// Has it been read from disk?
    pub valid: bool,
    pub typ: i16,
    pub major: i16,
    pub minor: i16,
    pub nlink: i16,
    pub size: u32,
    pub addrs: [u32; NDIRECT + 1],
}

pub struct Inode {
    dev: AtomicU32,
    inum: AtomicU32,
    lock: Sleeplock<InodeData>,
}

impl Inode {
    pub fn dev(&self) -> u32 {
        self.dev.load(Ordering::Relaxed)
    }
    pub fn inum(&self) -> u32 {
        self.inum.load(Ordering::Relaxed)
    }
    fn index(&'static self) -> usize {
        (self as *const Inode as usize - INODES.as_ptr() as usize) / core::mem::size_of::<Inode>()
    }
}

static INODES: [Inode; NINODE] = [const {
    Inode {
        dev: AtomicU32::new(0),
        inum: AtomicU32::new(0),
        lock: Sleeplock::new(
            "inode",
            InodeData {
                valid: false,
                typ: 0,
                major: 0,
                minor: 0,
                nlink: 0,
                size: 0,
                addrs: [0; NDIRECT + 1],
            },
        ),
    }
}; NINODE];

/// Reference counts of the inode slots: xv6's `itable.lock` with `ref`.
static ITABLE: Spinlock<[u32; NINODE]> = Spinlock::new("itable", [0; NINODE]);

pub fn iinit() {}

/// A locked inode: the reference plus its sleep lock.
pub struct ILocked {
    pub ip: &'static Inode,
    d: SleeplockGuard<'static, InodeData>,
}

impl Deref for ILocked {
    type Target = InodeData;
    fn deref(&self) -> &InodeData {
        &self.d
    }
}

impl DerefMut for ILocked {
    fn deref_mut(&mut self) -> &mut InodeData {
        &mut self.d
    }
}

/// Allocates an inode of type `typ` on `dev`; returns it referenced but
/// not locked. `None` if there are no free inodes.
pub fn ialloc(dev: u32, typ: i16) -> Option<&'static Inode> {
    let sb = sb();
    for inum in 1..sb.ninodes {
        let mut bp = bread(dev, iblock(inum, sb));
        let off = (inum as usize % IPB) * size_of::<Dinode>();
        let dip = Dinode::from_bytes(&bp.data[off..]);
        if dip.typ == 0 {
            let fresh = Dinode {
                typ,
                ..Default::default()
            };
            bp.data[off..off + size_of::<Dinode>()].copy_from_slice(&fresh.to_bytes());
            log_write(&bp); // allocated on disk now
            brelse(bp);
            return Some(iget(dev, inum));
        }
        brelse(bp);
    }
    crate::println!("ialloc: no inodes");
    None
}

/// Writes a modified in-memory inode to disk (through the log). Call it
/// after every change to a field that lives on disk.
pub fn iupdate(ip: &ILocked) {
    let sb = sb();
    let inum = ip.ip.inum();
    let mut bp = bread(ip.ip.dev(), iblock(inum, sb));
    let off = (inum as usize % IPB) * size_of::<Dinode>();
    let di = Dinode {
        typ: ip.typ,
        major: ip.major,
        minor: ip.minor,
        nlink: ip.nlink,
        size: ip.size,
        addrs: ip.addrs,
    };
    bp.data[off..off + size_of::<Dinode>()].copy_from_slice(&di.to_bytes());
    log_write(&bp);
    brelse(bp);
}

/// Finds the in-memory slot for inode `inum` on `dev`, or claims a free
/// one. Does not lock it or read it from disk.
fn iget(dev: u32, inum: u32) -> &'static Inode {
    let mut refs = ITABLE.lock();
    let mut empty = None;
    for (i, ip) in INODES.iter().enumerate() {
        if refs[i] > 0 && ip.dev() == dev && ip.inum() == inum {
            refs[i] += 1;
            return ip;
        }
        if empty.is_none() && refs[i] == 0 {
            empty = Some(i);
        }
    }
    let Some(i) = empty else {
        panic!("iget: no inodes");
    };
    let ip = &INODES[i];
    ip.dev.store(dev, Ordering::Relaxed);
    ip.inum.store(inum, Ordering::Relaxed);
    refs[i] = 1;
    // No one else references the slot, so its lock is free (a holder
    // would be a caller of iput that kept its ILocked: a bug).
    ip.lock.try_lock().expect("iget: locked").valid = false;
    ip
}

/// Adds a reference.
pub fn idup(ip: &'static Inode) -> &'static Inode {
    ITABLE.lock()[ip.index()] += 1;
    ip
}

/// Locks the inode, reading it from disk if needed.
pub fn ilock(ip: &'static Inode) -> ILocked {
    if ITABLE.lock()[ip.index()] < 1 {
        panic!("ilock");
    }
    let mut d = ip.lock.lock();
    if !d.valid {
        let sb = sb();
        let bp = bread(ip.dev(), iblock(ip.inum(), sb));
        let off = (ip.inum() as usize % IPB) * size_of::<Dinode>();
        let dip = Dinode::from_bytes(&bp.data[off..]);
        brelse(bp);
        d.typ = dip.typ;
        d.major = dip.major;
        d.minor = dip.minor;
        d.nlink = dip.nlink;
        d.size = dip.size;
        d.addrs = dip.addrs;
        d.valid = true;
        if d.typ == 0 {
            panic!("ilock: no type");
        }
    }
    ILocked { ip, d }
}

/// Unlocks; returns the (still referenced) inode.
pub fn iunlock(l: ILocked) -> &'static Inode {
    if !l.ip.lock.holding() {
        panic!("iunlock");
    }
    l.ip
}

/// Drops a reference. If it was the last one and no directory names the
/// inode any more, frees it and its blocks on disk. Must run inside a
/// transaction, since it may write.
pub fn iput(ip: &'static Inode) {
    let i = ip.index();
    let mut refs = ITABLE.lock();
    // With ref == 1 nobody else can be using the inode, so its lock is
    // free (unless the caller kept it: a bug) and taking it cannot sleep;
    // the table lock keeps new references out meanwhile. xv6 reads valid
    // and nlink here without the lock.
    let d = if refs[i] == 1 {
        Some(ip.lock.try_lock().expect("iput: locked"))
    } else {
        None
    };
    if let Some(d) = d.filter(|d| d.valid && d.nlink == 0) {
        // The only reference, and no links: free it.
        drop(refs);
        let mut l = ILocked { ip, d };
        itrunc(&mut l);
        l.typ = 0;
        iupdate(&l);
        l.valid = false;
        drop(l);
        refs = ITABLE.lock();
    }
    refs[i] -= 1;
}

/// Unlock, then put.
pub fn iunlockput(l: ILocked) {
    let ip = iunlock(l);
    iput(ip);
}

/// Disk address of the bn'th block of the file, allocating it if needed.
/// `None` if the disk is full.
fn bmap(ip: &mut ILocked, bn: usize) -> Option<u32> {
    let dev = ip.ip.dev();
    if bn < NDIRECT {
        if ip.addrs[bn] == 0 {
            ip.addrs[bn] = balloc(dev)?;
        }
        return Some(ip.addrs[bn]);
    }
    let bn = bn - NDIRECT;
    if bn < NINDIRECT {
        // The indirect block holds the rest of the addresses.
        if ip.addrs[NDIRECT] == 0 {
            ip.addrs[NDIRECT] = balloc(dev)?;
        }
        let mut bp = bread(dev, ip.addrs[NDIRECT]);
        let slot = bn * 4..bn * 4 + 4;
        let mut addr = u32::from_le_bytes(bp.data[slot.clone()].try_into().unwrap());
        if addr == 0 {
            if let Some(a) = balloc(dev) {
                addr = a;
                bp.data[slot].copy_from_slice(&a.to_le_bytes());
                log_write(&bp);
            }
        }
        brelse(bp);
        return if addr == 0 { None } else { Some(addr) };
    }
    panic!("bmap: out of range");
}

/// Frees all of a file's blocks (the inode is locked).
pub fn itrunc(ip: &mut ILocked) {
    let dev = ip.ip.dev();
    for i in 0..NDIRECT {
        if ip.addrs[i] != 0 {
            bfree(dev, ip.addrs[i]);
            ip.addrs[i] = 0;
        }
    }
    if ip.addrs[NDIRECT] != 0 {
        let bp = bread(dev, ip.addrs[NDIRECT]);
        for j in 0..NINDIRECT {
            let a = u32::from_le_bytes(bp.data[j * 4..j * 4 + 4].try_into().unwrap());
            if a != 0 {
                bfree(dev, a);
            }
        }
        brelse(bp);
        bfree(dev, ip.addrs[NDIRECT]);
        ip.addrs[NDIRECT] = 0;
    }
    ip.size = 0;
    iupdate(ip);
}

pub fn stati(ip: &ILocked) -> Stat {
    Stat {
        dev: ip.ip.dev() as i32,
        ino: ip.ip.inum(),
        typ: ip.typ,
        nlink: ip.nlink,
        size: ip.size as u64,
    }
}

/// Reads up to `n` bytes at offset `off` into user or kernel memory.
/// Returns the bytes read (short at end of file); fails if the copy to
/// the destination fails.
pub fn readi(ip: &mut ILocked, mut dst: Dst, mut off: u32, mut n: u32) -> Result<u32, Error> {
    if off > ip.size || off.checked_add(n).is_none() {
        return Ok(0);
    }
    if off + n > ip.size {
        n = ip.size - off;
    }
    let mut tot = 0;
    while tot < n {
        let Some(addr) = bmap(ip, (off as usize) / BSIZE) else {
            break;
        };
        let bp = bread(ip.ip.dev(), addr);
        let start = off as usize % BSIZE;
        let m = (n - tot).min((BSIZE - start) as u32);
        let r = either_copyout(dst.at(tot as usize), &bp.data[start..start + m as usize]);
        brelse(bp);
        r?;
        tot += m;
        off += m;
    }
    Ok(tot)
}

/// Writes `n` bytes at offset `off` from user or kernel memory, growing
/// the file as needed. Returns the bytes written; fewer than `n` means an
/// error (disk full or bad source address).
pub fn writei(ip: &mut ILocked, src: Src, mut off: u32, n: u32) -> Result<u32, Error> {
    if off > ip.size || off.checked_add(n).is_none() {
        return Err(Error);
    }
    if (off + n) as usize > MAXFILE * BSIZE {
        return Err(Error);
    }
    let mut tot = 0;
    while tot < n {
        let Some(addr) = bmap(ip, off as usize / BSIZE) else {
            break;
        };
        let mut bp = bread(ip.ip.dev(), addr);
        let start = off as usize % BSIZE;
        let m = (n - tot).min((BSIZE - start) as u32);
        if either_copyin(
            &mut bp.data[start..start + m as usize],
            src.at(tot as usize),
        )
        .is_err()
        {
            brelse(bp);
            break;
        }
        log_write(&bp);
        brelse(bp);
        tot += m;
        off += m;
    }
    if off > ip.size {
        ip.size = off;
    }
    // Write the inode back even if the size did not change: bmap may
    // have added blocks to addrs.
    iupdate(ip);
    Ok(tot)
}

/// Compares directory names the way C's strncmp(.., DIRSIZ) does.
pub fn namecmp(s: &[u8], t: &[u8]) -> bool {
    for i in 0..DIRSIZ {
        let a = s.get(i).copied().unwrap_or(0);
        let b = t.get(i).copied().unwrap_or(0);
        if a != b {
            return false;
        }
        if a == 0 {
            return true;
        }
    }
    true
}

fn read_dirent(dp: &mut ILocked, off: u32) -> Dirent {
    let mut buf = [0u8; DIRENT_SIZE as usize];
    match readi(dp, Dst::Kernel(&mut buf), off, DIRENT_SIZE) {
        Ok(DIRENT_SIZE) => Dirent::from_bytes(&buf),
        _ => panic!("dirlookup read"),
    }
}

/// Looks for `name` in directory `dp`; returns the entry's inode
/// (referenced, unlocked) and its byte offset.
pub fn dirlookup(dp: &mut ILocked, name: &[u8]) -> Option<(&'static Inode, u32)> {
    if dp.typ != T_DIR {
        panic!("dirlookup not DIR");
    }
    let mut off = 0;
    while off < dp.size {
        let de = read_dirent(dp, off);
        if de.inum != 0 && namecmp(name, &de.name) {
            return Some((iget(dp.ip.dev(), de.inum as u32), off));
        }
        off += DIRENT_SIZE;
    }
    None
}

/// Adds entry (`name`, `inum`) to directory `dp`. Fails if the name exists
/// or the directory cannot grow.
pub fn dirlink(dp: &mut ILocked, name: &[u8], inum: u32) -> Result<(), Error> {
    if let Some((ip, _)) = dirlookup(dp, name) {
        iput(ip);
        return Err(Error);
    }
    // Reuse the first empty slot, or append.
    let mut off = 0;
    while off < dp.size {
        if read_dirent(dp, off).inum == 0 {
            break;
        }
        off += DIRENT_SIZE;
    }
    let mut de = Dirent {
        inum: inum as u16,
        name: [0; DIRSIZ],
    };
    let n = name
        .iter()
        .take(DIRSIZ)
        .position(|&c| c == 0)
        .unwrap_or(name.len().min(DIRSIZ));
    de.name[..n].copy_from_slice(&name[..n]);
    let bytes = de.to_bytes();
    match writei(dp, Src::Kernel(&bytes), off, DIRENT_SIZE) {
        Ok(DIRENT_SIZE) => Ok(()),
        _ => Err(Error),
    }
}

/// Splits off the next path element into `name` (NUL-padded, cut at
/// DIRSIZ). Returns the rest of the path with leading slashes removed, or
/// `None` if there is no element left.
///
/// skipelem("a/bb/c") = "bb/c" with name "a"; skipelem("///a//bb") = "bb"
/// with name "a"; skipelem("a") = "" with name "a"; skipelem("") = None.
fn skipelem<'a>(mut path: &'a [u8], name: &mut [u8; DIRSIZ]) -> Option<&'a [u8]> {
    while let [b'/', rest @ ..] = path {
        path = rest;
    }
    if path.is_empty() {
        return None;
    }
    let len = path.iter().position(|&c| c == b'/').unwrap_or(path.len());
    let n = len.min(DIRSIZ);
    *name = [0; DIRSIZ];
    name[..n].copy_from_slice(&path[..n]);
    path = &path[len..];
    while let [b'/', rest @ ..] = path {
        path = rest;
    }
    Some(path)
}

/// Walks `path` to its inode, or (with `parent`) to the directory holding
/// its last element, whose name goes to `name`. Must run inside a
/// transaction since it calls iput.
fn namex(path: &[u8], parent: bool, name: &mut [u8; DIRSIZ]) -> Option<&'static Inode> {
    let mut ip = if path.first() == Some(&b'/') {
        iget(ROOTDEV, ROOTINO)
    } else {
        idup(myproc().data().cwd.expect("cwd"))
    };
    let mut path = path;
    while let Some(rest) = skipelem(path, name) {
        path = rest;
        let mut l = ilock(ip);
        if l.typ != T_DIR {
            iunlockput(l);
            return None;
        }
        if parent && path.is_empty() {
            // Stop one level early.
            return Some(iunlock(l));
        }
        let Some((next, _)) = dirlookup(&mut l, name) else {
            iunlockput(l);
            return None;
        };
        iunlockput(l);
        ip = next;
    }
    if parent {
        iput(ip);
        return None;
    }
    Some(ip)
}

pub fn namei(path: &[u8]) -> Option<&'static Inode> {
    let mut name = [0u8; DIRSIZ];
    namex(path, false, &mut name)
}

pub fn nameiparent(path: &[u8], name: &mut [u8; DIRSIZ]) -> Option<&'static Inode> {
    namex(path, true, name)
}
