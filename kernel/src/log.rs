//! The file-system log: crash-safe group commit.
//!
//! The problem: most file-system calls write several blocks (create
//! writes a new inode, a directory block and the parent's inode; a write
//! that grows a file writes the bitmap, the data and the inode). A crash
//! between two of those writes would leave the disk inconsistent: a block
//! marked used that no file owns, or worse, a directory entry naming a
//! free inode. The log makes each call's writes happen all at once or
//! not at all.
//!
//! How: a system call brackets its file-system work with `begin_op` and
//! `end_op` (here `begin_op` returns an `Op` guard whose drop is the
//! `end_op`). In between, a block it changes is not written home;
//! `log_write` only notes its number and pins it in the buffer cache.
//! Writing home happens at commit, in a fixed order that makes a crash at
//! any point harmless:
//!
//! 1. copy every noted block into the log area on disk (`write_log`);
//! 2. write the header block with the count and the block numbers
//!    (`write_head`): this one sector write is the commit point;
//! 3. copy the blocks from the log to their homes (`install_trans`);
//! 4. write the header again with a count of zero: the log is empty.
//!
//! After a crash, `recover_from_log` at boot reads the header. A count of
//! zero means the crash came before step 2 (the transaction never
//! happened: nothing at home was touched) or after step 4 (all done). A
//! nonzero count means the crash came during step 3 or just before it:
//! recovery does step 3 again, which is safe however much of it had
//! been done, since it only copies the same blocks again.
//!
//! Group commit: several processes' calls may run at once, and all of
//! their blocks go into one transaction, committed when the last of them
//! ends (`outstanding` counts them). So a commit never writes half of a
//! call that is still running. The log has room for LOGSIZE blocks, and
//! each call may write up to MAXOPBLOCKS: `begin_op` sleeps while a commit
//! is running or while the calls already admitted, plus this one, could
//! overflow the log. A block written by several calls of one transaction
//! takes one slot of the log (`log_write` absorbs the repeat), which is
//! also why a big write() is split into transactions of a few blocks
//! each (filewrite).
//!
//! On disk: a header block (count, then block numbers), then the logged
//! blocks.

use crate::bio::{bpin, bread, brelse, bunpin, bwrite, BufGuard};
use crate::proc::{sleep, wakeup};
use crate::spinlock::Spinlock;
use abi::fs::Superblock;
use abi::param::{LOGSIZE, MAXOPBLOCKS};

#[derive(Clone, Copy)]
struct LogHeader {
    n: usize,
    block: [u32; LOGSIZE],
}

struct Log {
    start: u32,
    size: usize,
    /// File-system calls currently running.
    outstanding: usize,
    /// In commit(); new operations must wait.
    committing: bool,
    dev: u32,
    lh: LogHeader,
}

static LOG: Spinlock<Log> = Spinlock::new(
    "log",
    Log {
        start: 0,
        size: 0,
        outstanding: 0,
        committing: false,
        dev: 0,
        lh: LogHeader {
            n: 0,
            block: [0; LOGSIZE],
        },
    },
);

fn log_chan() -> usize {
    &LOG as *const _ as usize
}

pub fn initlog(dev: u32, sb: &Superblock) {
    {
        let mut log = LOG.lock();
        log.start = sb.logstart;
        log.size = sb.nlog as usize;
        log.dev = dev;
    }
    recover_from_log();
}

/// Copies committed blocks from the log to their home locations.
fn install_trans(dev: u32, start: u32, lh: &LogHeader, recovering: bool) {
    for tail in 0..lh.n {
        let lbuf = bread(dev, start + tail as u32 + 1);
        let mut dbuf = bread(dev, lh.block[tail]);
        dbuf.data.copy_from_slice(&lbuf.data);
        bwrite(&mut dbuf);
        if !recovering {
            // log_write pinned it until now.
            bunpin(dbuf.index());
        }
        brelse(lbuf);
        brelse(dbuf);
    }
}

fn read_head(dev: u32, start: u32) -> LogHeader {
    let buf = bread(dev, start);
    let word = |i: usize| u32::from_le_bytes(buf.data[i * 4..i * 4 + 4].try_into().unwrap());
    let mut lh = LogHeader {
        n: (word(0) as usize).min(LOGSIZE),
        block: [0; LOGSIZE],
    };
    for i in 0..lh.n {
        lh.block[i] = word(i + 1);
    }
    brelse(buf);
    lh
}

/// Writes the in-memory header to disk. With n > 0 this is the point at
/// which the transaction commits.
fn write_head(dev: u32, start: u32, lh: &LogHeader) {
    let mut buf = bread(dev, start);
    buf.data[0..4].copy_from_slice(&(lh.n as u32).to_le_bytes());
    for i in 0..lh.n {
        buf.data[(i + 1) * 4..(i + 2) * 4].copy_from_slice(&lh.block[i].to_le_bytes());
    }
    bwrite(&mut buf);
    brelse(buf);
}

fn recover_from_log() {
    let (dev, start) = {
        let log = LOG.lock();
        (log.dev, log.start)
    };
    let lh = read_head(dev, start);
    install_trans(dev, start, &lh, true);
    let empty = LogHeader {
        n: 0,
        block: [0; LOGSIZE],
    };
    write_head(dev, start, &empty);
    LOG.lock().lh = empty;
}

/// One file-system operation in progress, from `begin_op`. Dropping it is
/// `end_op`, so every return path ends the operation; locals declared
/// after it (inode locks) drop first, as xv6 unlocks before `end_op`.
#[must_use = "dropping the operation ends it at once"]
pub struct Op(());

impl Drop for Op {
    fn drop(&mut self) {
        end_op_now();
    }
}

/// Called at the start of each file-system system call. Waits while a
/// commit is running or while this operation might not fit in the log.
pub fn begin_op() -> Op {
    let mut log = LOG.lock();
    loop {
        if log.committing || log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > LOGSIZE {
            log = sleep(log_chan(), log);
        } else {
            log.outstanding += 1;
            break;
        }
    }
    Op(())
}

/// Ends the operation here, where the caller goes on without it.
pub fn end_op(op: Op) {
    drop(op);
}

/// xv6's `end_op`, run by `Op`'s drop: commits if this was the last
/// outstanding operation.
fn end_op_now() {
    let mut do_commit = false;
    {
        let mut log = LOG.lock();
        log.outstanding -= 1;
        if log.committing {
            panic!("log.committing");
        }
        if log.outstanding == 0 {
            do_commit = true;
            log.committing = true;
        } else {
            // begin_op may be waiting for log space; we just freed some.
            wakeup(log_chan());
        }
    }
    if do_commit {
        // Commit without the lock: it sleeps on disk I/O. `committing`
        // keeps everyone else out meanwhile.
        commit();
        let mut log = LOG.lock();
        log.committing = false;
        wakeup(log_chan());
    }
}

/// Copies modified blocks from the cache to the log.
fn write_log(dev: u32, start: u32, lh: &LogHeader) {
    for tail in 0..lh.n {
        let mut to = bread(dev, start + tail as u32 + 1);
        let from = bread(dev, lh.block[tail]);
        to.data.copy_from_slice(&from.data);
        bwrite(&mut to);
        brelse(from);
        brelse(to);
    }
}

fn commit() {
    let (dev, start, lh) = {
        let log = LOG.lock();
        (log.dev, log.start, log.lh)
    };
    if lh.n > 0 {
        write_log(dev, start, &lh);
        write_head(dev, start, &lh); // the real commit
        install_trans(dev, start, &lh, false);
        let empty = LogHeader {
            n: 0,
            block: [0; LOGSIZE],
        };
        LOG.lock().lh = empty;
        write_head(dev, start, &empty); // erase the transaction
    }
}

/// Records that the caller modified `b`; it will be written at commit.
/// Replaces `bwrite` inside a transaction. Pins the buffer in the cache
/// until then. Writing one block twice in a transaction logs it once.
pub fn log_write(b: &BufGuard) {
    let mut log = LOG.lock();
    if log.lh.n >= LOGSIZE || log.lh.n + 1 >= log.size {
        panic!("too big a transaction");
    }
    if log.outstanding < 1 {
        panic!("log_write outside of trans");
    }
    let blockno = b.blockno();
    let n = log.lh.n;
    let i = log.lh.block[..n]
        .iter()
        .position(|&x| x == blockno)
        .unwrap_or(n);
    log.lh.block[i] = blockno;
    if i == n {
        bpin(b);
        log.lh.n += 1;
    }
}
