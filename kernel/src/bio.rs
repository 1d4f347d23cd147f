//! The buffer cache: a fixed set of block buffers, kept in LRU order.
//!
//! It does two jobs. It keeps recently used disk blocks in memory, so a
//! block read often (the superblock, a busy directory, the bitmap) costs
//! one disk read, not one per use. And it is where processes meet over a
//! block: there is at most one buffer for any disk block, and only one
//! process at a time may use it, so two updates of the same block (two
//! files allocated from one bitmap block) cannot interleave.
//!
//! How to use it:
//! - `bread(dev, blockno)` returns the block's buffer, locked (a sleep
//!   lock: the caller may wait for the disk while holding it), with the
//!   block's bytes in it;
//! - after changing the bytes, write them with `bwrite` or, inside a
//!   file-system transaction, note them with `log::log_write`;
//! - `brelse` (or dropping the guard) unlocks the buffer; the buffer must
//!   not be used after that, and should not be held longer than needed,
//!   since every other user of that block waits for it.
//!
//! Two kinds of locking: the BCACHE spin lock guards which block each
//! buffer holds, the reference counts and the LRU list, and is held only
//! for short bookkeeping; each buffer's sleep lock guards its bytes and is
//! held for as long as a caller uses them. When every buffer is in use
//! (referenced) and a new block is needed, `bget` panics, as xv6 does:
//! the file system is written so that a system call holds only a few
//! buffers at once, far fewer than NBUF. A buffer with no references is
//! recycled in least-recently-released order, the oldest first.

use crate::sleeplock::{Sleeplock, SleeplockGuard};
use crate::spinlock::Spinlock;
use crate::virtio_disk::virtio_disk_rw;
use abi::fs::BSIZE;
use abi::param::NBUF;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

pub struct BufData {
    /// Has the block been read from disk?
    pub valid: bool,
    pub data: [u8; BSIZE],
}

pub struct Buf {
    /// Which block this buffer holds; changed only under the cache lock
    /// when nobody references the buffer.
    dev: AtomicU32,
    blockno: AtomicU32,
    /// True while the disk driver owns the buffer (request in flight).
    pub disk: AtomicBool,
    lock: Sleeplock<BufData>,
}

/// Reference counts and the LRU list (slot NBUF is the list head).
struct Bcache {
    refcnt: [u32; NBUF],
    prev: [usize; NBUF + 1],
    next: [usize; NBUF + 1],
}

const HEAD: usize = NBUF;

static BCACHE: Spinlock<Bcache> = Spinlock::new(
    "bcache",
    Bcache {
        refcnt: [0; NBUF],
        prev: [0; NBUF + 1],
        next: [0; NBUF + 1],
    },
);

static BUFS: [Buf; NBUF] = [const {
    Buf {
        dev: AtomicU32::new(0),
        blockno: AtomicU32::new(0),
        disk: AtomicBool::new(false),
        lock: Sleeplock::new(
            "buffer",
            BufData {
                valid: false,
                data: [0; BSIZE],
            },
        ),
    }
}; NBUF];

impl Bcache {
    fn unlink(&mut self, i: usize) {
        let (p, n) = (self.prev[i], self.next[i]);
        self.next[p] = n;
        self.prev[n] = p;
    }

    /// Puts buffer i at the front (most recently used).
    fn push_front(&mut self, i: usize) {
        let first = self.next[HEAD];
        self.next[i] = first;
        self.prev[i] = HEAD;
        self.prev[first] = i;
        self.next[HEAD] = i;
    }
}

/// A locked buffer, as returned by `bread`.
pub struct BufGuard {
    idx: usize,
    data: Option<SleeplockGuard<'static, BufData>>,
}

impl BufGuard {
    pub fn blockno(&self) -> u32 {
        BUFS[self.idx].blockno.load(Ordering::Relaxed)
    }

    pub fn buf(&self) -> &'static Buf {
        &BUFS[self.idx]
    }

    pub fn index(&self) -> usize {
        self.idx
    }
}

impl Deref for BufGuard {
    type Target = BufData;
    fn deref(&self) -> &BufData {
        self.data.as_ref().expect("buf")
    }
}

impl DerefMut for BufGuard {
    fn deref_mut(&mut self) -> &mut BufData {
        self.data.as_mut().expect("buf")
    }
}

pub fn binit() {
    let mut bc = BCACHE.lock();
    bc.next[HEAD] = HEAD;
    bc.prev[HEAD] = HEAD;
    for i in 0..NBUF {
        bc.push_front(i);
    }
}

/// Finds (or recycles a buffer for) block `blockno` of `dev`, locked.
fn bget(dev: u32, blockno: u32) -> BufGuard {
    let mut bc = BCACHE.lock();

    // Already cached?
    let mut i = bc.next[HEAD];
    while i != HEAD {
        let b = &BUFS[i];
        if b.dev.load(Ordering::Relaxed) == dev && b.blockno.load(Ordering::Relaxed) == blockno {
            bc.refcnt[i] += 1;
            drop(bc);
            return BufGuard {
                idx: i,
                data: Some(b.lock.lock()),
            };
        }
        i = bc.next[i];
    }

    // Not cached: recycle the least recently used unreferenced buffer.
    let mut i = bc.prev[HEAD];
    while i != HEAD {
        if bc.refcnt[i] == 0 {
            let b = &BUFS[i];
            b.dev.store(dev, Ordering::Relaxed);
            b.blockno.store(blockno, Ordering::Relaxed);
            bc.refcnt[i] = 1;
            drop(bc);
            let mut data = b.lock.lock();
            data.valid = false;
            return BufGuard {
                idx: i,
                data: Some(data),
            };
        }
        i = bc.prev[i];
    }
    panic!("bget: no buffers");
}

/// Returns a locked buffer with the contents of the block.
pub fn bread(dev: u32, blockno: u32) -> BufGuard {
    let mut b = bget(dev, blockno);
    if !b.valid {
        virtio_disk_rw(&mut b, false);
        b.valid = true;
    }
    b
}

/// Writes the buffer's contents to disk. The caller holds it (the guard).
pub fn bwrite(b: &mut BufGuard) {
    if !b.buf().lock.holding() {
        panic!("bwrite");
    }
    virtio_disk_rw(b, true);
}

/// Releases a locked buffer and moves it to the front of the LRU list.
pub fn brelse(b: BufGuard) {
    drop(b);
}

impl Drop for BufGuard {
    fn drop(&mut self) {
        // xv6's brelse checks the holder too.
        if !self.buf().lock.holding() {
            panic!("brelse");
        }
        // Unlock first, as xv6 does, then update the count.
        self.data = None;
        let mut bc = BCACHE.lock();
        bc.refcnt[self.idx] -= 1;
        if bc.refcnt[self.idx] == 0 {
            // Nobody is waiting for it: it is now the most recently used.
            bc.unlink(self.idx);
            bc.push_front(self.idx);
        }
    }
}

/// Keeps a buffer in the cache (the log holds it until commit).
pub fn bpin(b: &BufGuard) {
    BCACHE.lock().refcnt[b.idx] += 1;
}

pub fn bunpin(idx: usize) {
    BCACHE.lock().refcnt[idx] -= 1;
}
