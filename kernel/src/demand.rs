//! Lab `demand`: demand-paged exec (docs/labs.md, chapter 5).
//!
//! exec checks the program's headers as always but maps none of its
//! pages: it records each LOAD segment here, with a reference to the
//! program's inode. The first touch of a program page (fetch, load or
//! store) faults, and `demandfault` reads just that page from the file,
//! zeros past the segment's file bytes (the bss), and maps it with the
//! segment's permissions. The stack and arguments are still set up by exec.

use crate::fs::{idup, ilock, iput, iunlock, readi, ILocked, Inode};
use crate::kalloc::{kfree, kzalloc};
use crate::log::begin_op;
use crate::pftrace::{Fault, Why};
use crate::proc::{myproc, Dst};
use crate::riscv::{pg_round_up, PteFlags, PGSIZE};
use crate::spinlock::holding_spinlock;
use crate::vm::{mappages, PageTable};
use crate::Error;
use core::slice;
use xmas_elf::program::ProgramHeader64;

/// Segments recorded per program; exec loads any more the usual way.
pub const NSEG: usize = 8;

/// One LOAD segment: memory `[lo, end)`, whose bytes from `va` on are the
/// file's from `off` on, for `filesz` bytes; zeros elsewhere.
#[derive(Clone, Copy)]
pub struct Seg {
    /// The first page the segment covers. Below `va` when the segment
    /// starts pages after the one before: exec without demand paging maps
    /// that gap too (uvmalloc fills from the old size), with zeros.
    lo: usize,
    va: usize,
    end: usize,
    off: u32,
    filesz: usize,
    /// PTE permissions, R and U included.
    perm: PteFlags,
}

/// The program a process runs, as far as its pages are still on disk.
pub struct Prog {
    /// Held (idup) until the process execs again or exits.
    pub ip: Option<&'static Inode>,
    pub segs: [Option<Seg>; NSEG],
}

impl Prog {
    pub const EMPTY: Prog = Prog {
        ip: None,
        segs: [None; NSEG],
    };

    /// The segment holding page `va0`: the last one, as the last segment
    /// exec loads is the one whose bytes stay when two overlap.
    fn find(&self, va0: usize) -> Option<Seg> {
        let mut segs = self.segs.iter().rev().flatten();
        segs.find(|s| s.lo <= va0 && va0 < s.end).copied()
    }
}

/// No program recorded yet: where exec starts.
impl Default for Prog {
    fn default() -> Prog {
        Prog::EMPTY
    }
}

/// Records LOAD segment `ph` of the program locked in `ip` instead of
/// loading it; `sz` grows over it as uvmalloc would. False if `prog` is
/// full, and the caller loads the segment itself. Fails where loading
/// would: the file must hold the segment's bytes.
pub fn demandseg(
    prog: &mut Prog,
    ip: &mut ILocked,
    ph: &ProgramHeader64,
    perm: PteFlags,
    sz: &mut usize,
) -> Result<bool, Error> {
    let Some(slot) = prog.segs.iter_mut().find(|s| s.is_none()) else {
        return Ok(false);
    };
    let fileend = ph.offset.checked_add(ph.file_size).ok_or(Error)?;
    if ph.file_size > 0 && fileend > u64::from(ip.size) {
        return Err(Error);
    }
    let va = ph.virtual_addr as usize;
    let end = va + ph.mem_size as usize;
    *slot = Some(Seg {
        lo: pg_round_up(*sz).min(va),
        va,
        end,
        // Fits: the file holds the bytes (or there are none to read).
        off: u32::try_from(ph.offset).unwrap_or(0),
        filesz: ph.file_size as usize,
        perm: perm | PteFlags::R | PteFlags::U,
    });
    prog.ip.get_or_insert_with(|| idup(ip.ip));
    *sz = (*sz).max(end);
    Ok(true)
}

/// Whether `va0` is a page of the running program (mapped or not).
pub fn inprogram(pagetable: PageTable, va0: usize) -> bool {
    let d = myproc().data();
    // exec copies into a new page table whose program is not recorded yet.
    d.pagetable == Some(pagetable) && d.prog.find(va0).is_some()
}

/// Reads program page `va0` from the file and maps it. Fails for a store
/// into a segment without write permission (text, rodata), under a
/// spinlock (reading sleeps), out of memory, or if the file no longer
/// holds the page's bytes (truncated since exec).
pub fn demandfault(pagetable: PageTable, va0: usize, write: bool) -> Result<Fault, Why> {
    let (ip, s) = {
        let d = myproc().data();
        let s = d.prog.find(va0).ok_or(Why::Unclaimed)?;
        (d.prog.ip.ok_or(Why::Unclaimed)?, s)
    };
    if write && !s.perm.contains(PteFlags::W) {
        return Err(Why::ReadOnly);
    }
    // read, write and wait fault their buffers in first (uvmprefault), so
    // this refuses only what they missed.
    if holding_spinlock() {
        return Err(Why::Busy);
    }
    let mem = kzalloc().ok_or(Why::NoMemory)?;
    // The page's file bytes: [from, to) of memory.
    let from = va0.max(s.va);
    let to = (va0 + PGSIZE).min(s.va + s.filesz);
    if from < to {
        let n = (to - from) as u32;
        let mut l = ilock(ip);
        // SAFETY: mem is a fresh page of our own, mapped nowhere yet, and
        // the n bytes from from - va0 lie inside it.
        let buf = unsafe { slice::from_raw_parts_mut((mem + (from - va0)) as *mut u8, n as usize) };
        let r = readi(&mut l, Dst::Kernel(buf), s.off + (from - s.va) as u32, n);
        iunlock(l);
        if r != Ok(n) {
            gone(va0);
            // SAFETY: mem, fresh from kzalloc, is mapped nowhere yet.
            unsafe { kfree(mem) };
            return Err(Why::FileGone);
        }
    }
    if mappages(pagetable, va0, PGSIZE, mem, s.perm).is_err() {
        // SAFETY: mem, fresh from kzalloc, is mapped nowhere.
        unsafe { kfree(mem) };
        return Err(Why::NoMemory);
    }
    // Lab swap: unchanged, the page can be dropped and read again.
    #[cfg(feature = "swap")]
    crate::swap::fromfile(mem);
    Ok(Fault::Program {
        from_file: from < to,
    })
}

/// Says why the process is about to die. Out of line: the fault path
/// runs deep in system calls, and formatting takes stack.
#[cold]
#[inline(never)]
fn gone(va0: usize) {
    let pid = myproc().lock.lock().pid;
    crate::println!(
        "demand: pid {} page {:#x}: the program file no longer holds it (truncated?)",
        pid,
        va0
    );
}

/// The child of fork runs the same program: the same records, and a
/// reference of its own.
pub fn demandfork(prog: &Prog, child: &mut Prog) {
    child.ip = prog.ip.map(idup);
    child.segs = prog.segs;
}

/// Gives up the program's records (exit, or an exec's old program).
pub fn demandfree(prog: &mut Prog) {
    prog.segs = [None; NSEG];
    if let Some(ip) = prog.ip.take() {
        // The last reference to an unlinked program frees it: a write.
        let _op = begin_op();
        iput(ip);
    }
}

/// exec's end: the new program's records replace the old ones if it
/// committed; if it failed they go.
pub fn demandexec(mut prog: Prog, committed: bool) {
    if committed {
        core::mem::swap(&mut prog, &mut myproc().data().prog);
    }
    demandfree(&mut prog);
}

/// sbrk shrank memory to `sz`: program pages above it are gone, and the
/// memory that may grow back there is zeros, not the file.
pub fn demandshrink(prog: &mut Prog, sz: usize) {
    // uvmdealloc keeps the page holding sz.
    let top = pg_round_up(sz);
    for slot in prog.segs.iter_mut() {
        if let Some(s) = slot {
            if s.lo >= top {
                *slot = None;
            } else {
                s.end = s.end.min(top);
                s.filesz = s.filesz.min(s.end.saturating_sub(s.va));
            }
        }
    }
}
