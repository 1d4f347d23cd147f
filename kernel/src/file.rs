//! Open files: the system-wide file table and the operations behind
//! read/write/close/fstat/dup, dispatched to pipes, inodes or devices.

use crate::fs::{ilock, iput, iunlock, readi, stati, writei, Inode};
use crate::log::{begin_op, end_op};
use crate::pipe::{pipeclose, piperead, pipewrite, Pipe};
use crate::proc::{myproc, Dst, Src};
use crate::spinlock::Spinlock;
use crate::vm::copyout;
use crate::Error;
use abi::param::{MAXOPBLOCKS, NDEV, NFILE};
use core::sync::atomic::{AtomicU32, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FdType {
    None,
    Pipe,
    Inode,
    Device,
}

/// What an open file refers to. Set when the file is opened and emptied
/// when its last reference is closed; read on every use in between.
#[derive(Clone, Copy)]
pub struct FileData {
    pub typ: FdType,
    pub readable: bool,
    pub writable: bool,
    pub pipe: Option<&'static Pipe>,
    pub ip: Option<&'static Inode>,
    pub major: i16,
}

pub struct File {
    /// xv6 keeps these fields bare, written by the opener before anyone
    /// else can see the file. A `&'static File` is Copy, though, so a
    /// stale one could be read while the slot is reused: a lock held
    /// only to copy the few words in or out makes that harmless.
    data: Spinlock<FileData>,
    /// Read/write offset (inode files); changed under the inode's lock.
    off: AtomicU32,
}

impl File {
    /// A copy of what the file refers to.
    pub fn data(&self) -> FileData {
        *self.data.lock()
    }

    /// Sets what the file refers to: by the opener right after
    /// filealloc, and by fileclose, which empties it.
    pub fn init(&self, d: FileData) {
        *self.data.lock() = d;
        self.off.store(0, Ordering::Relaxed);
    }

    fn index(&'static self) -> usize {
        (self as *const File as usize - FILES.as_ptr() as usize) / core::mem::size_of::<File>()
    }
}

const EMPTY: FileData = FileData {
    typ: FdType::None,
    readable: false,
    writable: false,
    pipe: None,
    ip: None,
    major: 0,
};

static FILES: [File; NFILE] = [const {
    File {
        data: Spinlock::new("file", EMPTY),
        off: AtomicU32::new(0),
    }
}; NFILE];

/// Reference counts, indexed like FILES (xv6's `ftable.lock` + `ref`).
static FTABLE: Spinlock<[u32; NFILE]> = Spinlock::new("ftable", [0; NFILE]);

/// A device driver's read and write: (user or kernel memory, length).
#[derive(Clone, Copy)]
pub struct Dev {
    pub read: fn(Dst, usize) -> i32,
    pub write: fn(Src, usize) -> i32,
}

static DEVSW: Spinlock<[Option<Dev>; NDEV]> = Spinlock::new("devsw", [None; NDEV]);

pub fn devsw_set(major: usize, dev: Dev) {
    DEVSW.lock()[major] = Some(dev);
}

fn devsw(major: i16) -> Option<Dev> {
    DEVSW
        .lock()
        .get(usize::try_from(major).ok()?)
        .copied()
        .flatten()
}

pub fn fileinit() {}

/// Allocates a file structure with one reference.
pub fn filealloc() -> Option<&'static File> {
    let mut refs = FTABLE.lock();
    let i = refs.iter().position(|&r| r == 0)?;
    refs[i] = 1;
    Some(&FILES[i])
}

/// Adds a reference.
pub fn filedup(f: &'static File) -> &'static File {
    let mut refs = FTABLE.lock();
    if refs[f.index()] < 1 {
        panic!("filedup");
    }
    refs[f.index()] += 1;
    f
}

/// Drops a reference; the last one closes the underlying object.
pub fn fileclose(f: &'static File) {
    let mut refs = FTABLE.lock();
    let i = f.index();
    if refs[i] < 1 {
        panic!("fileclose");
    }
    refs[i] -= 1;
    if refs[i] > 0 {
        return;
    }
    let ff = f.data();
    f.init(EMPTY);
    drop(refs);

    match ff.typ {
        FdType::Pipe => pipeclose(ff.pipe.expect("pipe"), ff.writable),
        FdType::Inode | FdType::Device => {
            let _op = begin_op();
            iput(ff.ip.expect("inode"));
        }
        FdType::None => {}
    }
}

/// Copies the file's metadata to user address `addr`.
pub fn filestat(f: &File, addr: usize) -> Result<(), Error> {
    let d = f.data();
    match (d.typ, d.ip) {
        (FdType::Inode | FdType::Device, Some(ip)) => {
            let l = ilock(ip);
            let st = stati(&l);
            iunlock(l);
            let p = myproc();
            copyout(p.pagetable(), p.sz(), addr, &stat_bytes(&st))
        }
        _ => Err(Error),
    }
}

/// `st` in C's layout, its padding zeroed: a byte view of the struct
/// itself would read the padding, which holds no defined value.
fn stat_bytes(st: &abi::stat::Stat) -> [u8; 24] {
    use core::mem::offset_of;
    type S = abi::stat::Stat;
    let mut b = [0u8; 24];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(offset_of!(S, dev), &st.dev.to_ne_bytes());
    put(offset_of!(S, ino), &st.ino.to_ne_bytes());
    put(offset_of!(S, typ), &st.typ.to_ne_bytes());
    put(offset_of!(S, nlink), &st.nlink.to_ne_bytes());
    put(offset_of!(S, size), &st.size.to_ne_bytes());
    b
}

/// Bytes one transaction may write to a file: few enough blocks that the
/// log always has room for them with the inode, an indirect block, bitmap
/// blocks, and slop for unaligned writes.
pub const MAXWRITE: usize = ((MAXOPBLOCKS - 1 - 1 - 2) / 2) * abi::fs::BSIZE;

/// Reads up to `n` bytes into user address `addr`.
pub fn fileread(f: &File, addr: usize, n: usize) -> Result<usize, Error> {
    let d = f.data();
    if !d.readable {
        return Err(Error);
    }
    match d.typ {
        FdType::Pipe => piperead(d.pipe.expect("pipe"), addr, n),
        FdType::Device => {
            let dev = devsw(d.major).ok_or(Error)?;
            let r = (dev.read)(Dst::User(addr), n);
            usize::try_from(r).map_err(|_| Error)
        }
        FdType::Inode => {
            let mut l = ilock(d.ip.expect("inode"));
            let off = f.off.load(Ordering::Relaxed);
            let r = readi(&mut l, Dst::User(addr), off, n as u32);
            if let Ok(r) = r {
                f.off.store(off + r, Ordering::Relaxed);
            }
            iunlock(l);
            r.map(|r| r as usize)
        }
        FdType::None => panic!("fileread"),
    }
}

/// Writes `n` bytes from user address `addr`.
pub fn filewrite(f: &File, addr: usize, n: usize) -> Result<usize, Error> {
    let d = f.data();
    if !d.writable {
        return Err(Error);
    }
    match d.typ {
        FdType::Pipe => pipewrite(d.pipe.expect("pipe"), addr, n),
        FdType::Device => {
            let dev = devsw(d.major).ok_or(Error)?;
            let r = (dev.write)(Src::User(addr), n);
            usize::try_from(r).map_err(|_| Error)
        }
        FdType::Inode => {
            // A few blocks per transaction (MAXWRITE).
            let mut i = 0;
            while i < n {
                let n1 = (n - i).min(MAXWRITE);
                let op = begin_op();
                let mut l = ilock(d.ip.expect("inode"));
                let off = f.off.load(Ordering::Relaxed);
                let r = writei(&mut l, Src::User(addr + i), off, n1 as u32);
                if let Ok(r) = r {
                    f.off.store(off + r, Ordering::Relaxed);
                }
                iunlock(l);
                end_op(op);
                match r {
                    Ok(r) if r as usize == n1 => i += n1,
                    // An error from writei.
                    _ => break,
                }
            }
            if i == n {
                Ok(n)
            } else {
                Err(Error)
            }
        }
        FdType::None => panic!("filewrite"),
    }
}

/// Reads and writes in steps, for the labs whose faults may sleep for a
/// disk: sys_read and sys_write call these instead of fileread and
/// filewrite.
#[cfg(lab_disk_faults)]
pub mod steps {
    use super::{fileread, filewrite, FdType, File};
    use crate::console::INPUT_BUF_SIZE;
    use crate::fs::{ilock, iunlock};
    use crate::pipe::PIPESIZE;
    use crate::riscv::PGSIZE;
    use crate::vm::uvmprefault;
    use crate::Error;
    use core::sync::atomic::Ordering;

    /// The most one step of `filereadsteps` or `filewritesteps` copies: all
    /// of a step's pages are made resident before it, so steps stay small.
    const STEP: usize = 16 * PGSIZE;

    /// `fileread` under the labs whose faults may sleep for a disk (to read
    /// a page in). The copy runs where such a fault cannot be taken: under
    /// a pipe's or the console's spin lock, or under the lock of the very
    /// inode the page comes from. So the pages the copy will use are made
    /// resident first, with no lock held (`uvmprefault`), and only those: a
    /// read costs the pages its data reaches, however large the buffer. A
    /// file is read in steps of at most STEP bytes, none past the end of
    /// the file, and a short step ends the read. A pipe delivers at most
    /// PIPESIZE bytes and the console a line, in one call as before, with
    /// that much made resident: a line that runs on into a page that is
    /// not stops short there, and the rest comes with the next read.
    pub fn filereadsteps(f: &File, addr: usize, n: usize) -> Result<usize, Error> {
        let d = f.data();
        if !d.readable {
            return Err(Error);
        }
        let reach = match d.typ {
            FdType::Pipe => PIPESIZE,
            FdType::Device => INPUT_BUF_SIZE,
            _ => STEP,
        };
        if d.typ != FdType::Inode {
            let _resident = uvmprefault(addr, n.min(reach), true);
            return fileread(f, addr, n);
        }
        let mut done = 0;
        loop {
            let a = addr + done;
            let len = (n - done).min(STEP - a % STEP).min(fileleft(f));
            let _resident = uvmprefault(a, len, true);
            match fileread(f, a, len) {
                Ok(r) => {
                    done += r;
                    if r == 0 || r < len || done == n {
                        return Ok(done);
                    }
                }
                // What earlier steps read stays read, as their offset moved.
                Err(_) if done > 0 => return Ok(done),
                Err(e) => return Err(e),
            }
        }
    }

    /// The bytes between `f`'s offset and the end of its file.
    fn fileleft(f: &File) -> usize {
        let Some(ip) = f.data().ip else {
            return 0;
        };
        let l = ilock(ip);
        let left = l.size.saturating_sub(f.off.load(Ordering::Relaxed));
        iunlock(l);
        left as usize
    }

    /// `filewrite` under the same labs, for the same reason: in steps of at
    /// most STEP bytes, each made resident first, so a write from a buffer
    /// larger than memory holds only a step's pages at a time. A short step
    /// ends the write (a pipe whose reader is gone, a bad address).
    pub fn filewritesteps(f: &File, addr: usize, n: usize) -> Result<usize, Error> {
        if !f.data().writable {
            return Err(Error);
        }
        let mut done = 0;
        loop {
            let a = addr + done;
            let len = (n - done).min(STEP - a % STEP);
            let _resident = uvmprefault(a, len, false);
            let r = filewrite(f, a, len)?;
            done += r;
            if r < len || done == n {
                return Ok(done);
            }
        }
    }
}
