//! Pipes: a 512-byte ring buffer between a writing and a reading file.

use crate::file::{filealloc, fileclose, FdType, File, FileData};
use crate::kalloc::{kalloc, kfree};
use crate::proc::{either_copyin, killed, myproc, sleep, wakeup, Src};
use crate::spinlock::Spinlock;
use crate::vm::copyout;
use crate::Error;
use core::mem::MaybeUninit;

pub const PIPESIZE: usize = 512;

pub struct PipeInner {
    data: [u8; PIPESIZE],
    /// Bytes read so far (counts up; index modulo PIPESIZE).
    nread: usize,
    /// Bytes written so far.
    nwrite: usize,
    readopen: bool,
    writeopen: bool,
}

pub struct Pipe {
    lock: Spinlock<PipeInner>,
}

// A pipe lives in a page of its own from kalloc.
static_assertions::const_assert!(core::mem::size_of::<Pipe>() <= crate::riscv::PGSIZE);

impl Pipe {
    fn read_chan(&self) -> usize {
        self as *const Pipe as usize
    }
    /// Writers sleep on a different address than readers.
    fn write_chan(&self) -> usize {
        self as *const Pipe as usize + 1
    }
}

/// Makes a pipe and its two files (read end, write end).
pub fn pipealloc() -> Result<(&'static File, &'static File), Error> {
    let f0 = filealloc().ok_or(Error)?;
    let Some(f1) = filealloc() else {
        fileclose(f0);
        return Err(Error);
    };
    let Some(page) = kalloc() else {
        fileclose(f0);
        fileclose(f1);
        return Err(Error);
    };
    let pipe = Pipe {
        lock: Spinlock::new(
            "pipe",
            PipeInner {
                data: [0; PIPESIZE],
                nread: 0,
                nwrite: 0,
                readopen: true,
                writeopen: true,
            },
        ),
    };
    // SAFETY: page is a fresh page of our own, page-aligned and big enough
    // for a Pipe (asserted above), uninitialised memory until written; it
    // lives until pipeclose frees it.
    let slot = unsafe { &mut *(page as *mut MaybeUninit<Pipe>) };
    let pi: &'static Pipe = slot.write(pipe);
    let base = FileData {
        typ: FdType::Pipe,
        readable: false,
        writable: false,
        pipe: Some(pi),
        ip: None,
        major: 0,
    };
    f0.init(FileData {
        readable: true,
        ..base
    });
    f1.init(FileData {
        writable: true,
        ..base
    });
    Ok((f0, f1))
}

/// Closes one end; frees the pipe when both are closed.
pub fn pipeclose(pi: &'static Pipe, writable: bool) {
    let mut p = pi.lock.lock();
    if writable {
        p.writeopen = false;
        wakeup(pi.read_chan());
    } else {
        p.readopen = false;
        wakeup(pi.write_chan());
    }
    if !p.readopen && !p.writeopen {
        drop(p);
        // SAFETY: pipealloc's page; both ends are closed, so no file
        // refers to the pipe, and fileclose, the only caller, drops its
        // reference when this returns.
        unsafe { kfree(pi as *const Pipe as usize) };
    }
}

/// Writes n bytes from user address `addr`; sleeps while the buffer is full.
pub fn pipewrite(pi: &Pipe, addr: usize, n: usize) -> Result<usize, Error> {
    let pr = myproc();
    let mut i = 0;
    let mut p = pi.lock.lock();
    while i < n {
        if !p.readopen || killed(pr) {
            return Err(Error);
        }
        if p.nwrite == p.nread + PIPESIZE {
            wakeup(pi.read_chan());
            // Lab swap: waiting, it holds no page but the pinned ones.
            #[cfg(feature = "swap")]
            let _quiet = crate::swap::quiet();
            p = sleep(pi.write_chan(), p);
        } else {
            let mut ch = [0u8];
            if either_copyin(&mut ch, Src::User(addr + i)).is_err() {
                break;
            }
            let w = p.nwrite;
            p.data[w % PIPESIZE] = ch[0];
            p.nwrite += 1;
            i += 1;
        }
    }
    wakeup(pi.read_chan());
    Ok(i)
}

/// Reads up to n bytes into user address `addr`; sleeps while the pipe is
/// empty and a writer remains.
pub fn piperead(pi: &Pipe, addr: usize, n: usize) -> Result<usize, Error> {
    let pr = myproc();
    let mut p = pi.lock.lock();
    while p.nread == p.nwrite && p.writeopen {
        if killed(pr) {
            return Err(Error);
        }
        // Lab swap: waiting, it holds no page but the pinned ones.
        #[cfg(feature = "swap")]
        let _quiet = crate::swap::quiet();
        p = sleep(pi.read_chan(), p);
    }
    let mut i = 0;
    while i < n {
        if p.nread == p.nwrite {
            break;
        }
        let ch = p.data[p.nread % PIPESIZE];
        // A byte the reader cannot take stays in the pipe; a read that
        // could store nothing at all is an error, not end of file.
        if copyout(pr.pagetable(), pr.sz(), addr + i, &[ch]).is_err() {
            if i == 0 {
                wakeup(pi.write_chan());
                return Err(Error);
            }
            break;
        }
        p.nread += 1;
        i += 1;
    }
    wakeup(pi.write_chan());
    Ok(i)
}
