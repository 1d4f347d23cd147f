//! Lab `mmap`: memory-mapped files (docs/labs.md, chapter 6).
//!
//! `mmap` only records an area; the first access to a page faults, and
//! `mmapfault` reads that page of the file. `munmap`, `exit` and `exec`
//! write stored-to (PTE_D) pages of MAP_SHARED areas back. Areas are placed
//! downwards from the trapframe and the heap grows up towards them
//! (growproc stops at the lowest), so neither ever has to move.

use crate::file::{fileclose, filedup, FdType, File, MAXWRITE};
use crate::fs::{ilock, iunlock, readi, writei};
use crate::kalloc::{kfree, kzalloc};
use crate::log::{begin_op, end_op};
use crate::memlayout::TRAPFRAME;
use crate::pftrace::{Fault, Why};
use crate::proc::{myproc, Dst, ProcData, Src};
use crate::riscv::{pg_round_up, Pte, PteFlags, PGSIZE};
use crate::spinlock::holding_spinlock;
use crate::syscall::{argaddr, argint};
use crate::sysfile::argfd;
use crate::vm::{mappages, uvmcopy1, walk, PageTable, PteSlot};
use crate::Error;
use abi::fcntl::{MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE};
use abi::stat::T_DIR;
use core::slice;

/// Mapped areas per process.
pub const NVMA: usize = 16;

/// `len` bytes at `start` (page-aligned) showing the file from `off` on.
/// It holds a file reference of its own: close(fd) does not unmap.
#[derive(Clone, Copy)]
pub struct Vma {
    pub start: usize,
    pub len: usize,
    pub prot: i32,
    pub flags: i32,
    pub file: &'static File,
    pub off: usize,
}

impl Vma {
    fn end(&self) -> usize {
        self.start + self.len
    }

    /// PTE flags for the pages (RISC-V has no write-only pages).
    fn perm(&self) -> PteFlags {
        let mut perm = PteFlags::U;
        perm.set(PteFlags::R, self.prot & (PROT_READ | PROT_WRITE) != 0);
        perm.set(PteFlags::W, self.prot & PROT_WRITE != 0);
        perm.set(PteFlags::X, self.prot & PROT_EXEC != 0);
        perm
    }
}

/// mmap(addr, length, prot, flags, fd, offset); `addr` is ignored.
pub fn sys_mmap() -> Result<usize, Error> {
    let len = argaddr(1);
    let (prot, flags) = (argint(2), argint(3));
    let off = argaddr(5);
    let (_, f) = argfd(4)?;
    let fd = f.data();
    if len == 0
        || len > TRAPFRAME
        || !off.is_multiple_of(PGSIZE)
        || u32::try_from(off).is_err()
        || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
        || (flags != MAP_SHARED && flags != MAP_PRIVATE)
        // Pages are read from the file; shared writable ones written to it.
        || fd.typ != FdType::Inode
        || !fd.readable
        || (flags == MAP_SHARED && prot & PROT_WRITE != 0 && !fd.writable)
    {
        return Err(Error);
    }
    if ilock(fd.ip.expect("inode")).typ == T_DIR {
        return Err(Error);
    }
    let len = pg_round_up(len);
    let mut d = myproc().data();
    let slot = d.vmas.iter().position(Option::is_none).ok_or(Error)?;
    let start = mmapaddr(&d, len).ok_or(Error)?;
    let file = filedup(f);
    d.vmas[slot] = Some(Vma {
        start,
        len,
        prot,
        flags,
        file,
        off,
    });
    // Lab swap: the clock visits the areas too.
    #[cfg(feature = "swap")]
    myproc().swap.setfloor(mmapfloor(&d));
    Ok(start)
}

/// The highest `len` free bytes below the trapframe and above the heap.
fn mmapaddr(d: &ProcData, len: usize) -> Option<usize> {
    let mut end = TRAPFRAME;
    loop {
        let start = end.checked_sub(len)?;
        if start < pg_round_up(d.sz) {
            return None;
        }
        match d
            .vmas
            .iter()
            .flatten()
            .find(|v| v.start < end && start < v.end())
        {
            // Try again below the area in the way (end only goes down).
            Some(v) => end = v.start,
            None => return Some(start),
        }
    }
}

/// Where the heap must stop growing: the lowest area, or the trapframe.
pub fn mmapfloor(d: &ProcData) -> usize {
    d.vmas
        .iter()
        .flatten()
        .map(|v| v.start)
        .min()
        .unwrap_or(TRAPFRAME)
}

/// munmap(addr, length): all of an area, its start or its end (the
/// course's rule: no holes).
pub fn sys_munmap() -> Result<usize, Error> {
    let (addr, len) = (argaddr(0), argaddr(1));
    if !addr.is_multiple_of(PGSIZE) || len == 0 || len > TRAPFRAME {
        return Err(Error);
    }
    let end = addr.checked_add(pg_round_up(len)).ok_or(Error)?;
    let mut d = myproc().data();
    let i = d
        .vmas
        .iter()
        .position(|s| s.is_some_and(|v| v.start <= addr && end <= v.end()))
        .ok_or(Error)?;
    let mut v = d.vmas[i].expect("vma");
    if addr != v.start && end != v.end() {
        return Err(Error);
    }
    vmaunmap(d.pagetable(), &v, addr, end, true);
    if addr == v.start {
        v.off += end - addr;
        v.start = end;
    }
    v.len -= end - addr;
    if v.len == 0 {
        fileclose(v.file);
        d.vmas[i] = None;
    } else {
        d.vmas[i] = Some(v);
    }
    #[cfg(feature = "swap")]
    myproc().swap.setfloor(mmapfloor(&d));
    Ok(0)
}

/// Maps page `va0` of the area holding it, read from the file, where no
/// page is mapped. Fails outside every area or against its protection.
pub fn mmapfault(pagetable: PageTable, va0: usize, write: bool) -> Result<Fault, Why> {
    let v = {
        let d = myproc().data();
        // exec copies into a new page table that has no areas.
        if d.pagetable != Some(pagetable) {
            return Err(Why::Unclaimed);
        }
        *d.vmas
            .iter()
            .flatten()
            .find(|v| v.start <= va0 && va0 < v.end())
            .ok_or(Why::Unclaimed)?
    };
    if v.prot == PROT_NONE {
        return Err(Why::ProtNone);
    }
    if write && v.prot & PROT_WRITE == 0 {
        return Err(Why::ReadOnly);
    }
    // Reading the file sleeps: never under a spinlock (a pipe's copyin).
    // read, write and wait fault their buffers in first (uvmprefault), so
    // this refuses only what they missed.
    if holding_spinlock() {
        return Err(Why::Busy);
    }
    let ip = v.file.data().ip.expect("inode");
    let mem = kzalloc().ok_or(Why::NoMemory)?;
    let off = v.off + (va0 - v.start);
    // A page past the end of the file stays zero.
    if let Ok(off) = u32::try_from(off) {
        let mut l = ilock(ip);
        // SAFETY: mem is a fresh page of our own, mapped nowhere yet.
        let buf = unsafe { slice::from_raw_parts_mut(mem as *mut u8, PGSIZE) };
        let r = readi(&mut l, Dst::Kernel(buf), off, PGSIZE as u32);
        iunlock(l);
        if r.is_err() {
            // SAFETY: mem, fresh from kzalloc, is mapped nowhere yet.
            unsafe { kfree(mem) };
            return Err(Why::FileGone);
        }
    }
    match mappages(pagetable, va0, PGSIZE, mem, v.perm()) {
        Ok(()) => {
            // Lab swap: unchanged, the page can be dropped and read again.
            #[cfg(feature = "swap")]
            crate::swap::fromfile(mem);
            Ok(Fault::File(off))
        }
        Err(_) => {
            // SAFETY: mem, fresh from kzalloc, is mapped nowhere.
            unsafe { kfree(mem) };
            Err(Why::NoMemory)
        }
    }
}

/// Frees the mapped pages of `[a, b)` in `v`, writing stored-to shared
/// ones back first if `writeback`.
fn vmaunmap(pagetable: PageTable, v: &Vma, a: usize, b: usize, writeback: bool) {
    for (va, slot) in mapped(pagetable, a, b) {
        let pte = slot.get();
        // Lab swap: dropped, as the file holds it (the clock takes no
        // stored-to page of an area): nothing to write or free.
        #[cfg(feature = "swap")]
        if pte.is_swapped() {
            crate::swap::slotput(pte.slot());
            slot.set(Pte(0));
            continue;
        }
        if writeback && v.flags == MAP_SHARED && pte.flags().contains(PteFlags::D) {
            filewriteback(v.file, pte.pa(), v.off + (va - v.start));
        }
        // SAFETY: the leaf, cleared just below, was this table's reference
        // to the page (written back above if it had to be).
        unsafe { kfree(pte.pa()) };
        slot.set(Pte(0));
    }
}

/// The mapped pages of `[a, b)`. A missing last-level table skips its
/// whole 2 MiB, so a sparse area of gigabytes is cheap to scan.
fn mapped(pt: PageTable, a: usize, b: usize) -> impl Iterator<Item = (usize, &'static PteSlot)> {
    const SPAN: usize = PGSIZE << 9;
    let mut va = a;
    core::iter::from_fn(move || {
        while va < b {
            let here = va;
            match walk(pt, here, false) {
                None => va = (here & !(SPAN - 1)) + SPAN,
                Some(slot) => {
                    va += PGSIZE;
                    #[cfg(feature = "swap")]
                    if slot.get().is_swapped() {
                        return Some((here, slot));
                    }
                    if slot.get().is_valid() {
                        return Some((here, slot));
                    }
                }
            }
        }
        None
    })
}

/// Writes page `pa` to the file at `off`, a few blocks per transaction (as
/// filewrite), and only over bytes the file has: it never grows the file.
fn filewriteback(f: &File, pa: usize, off: usize) {
    let ip = f.data().ip.expect("inode");
    for i in (0..PGSIZE).step_by(MAXWRITE) {
        let Ok(o) = u32::try_from(off + i) else {
            return;
        };
        let op = begin_op();
        let mut l = ilock(ip);
        let n = l
            .size
            .saturating_sub(o)
            .min((PGSIZE - i).min(MAXWRITE) as u32);
        // Every block inside the file exists: this cannot run out of space.
        // SAFETY: pa is a page this process maps (vmaunmap's), which
        // nothing writes while the process is here in the kernel; the n
        // bytes from i lie inside it.
        let src = unsafe { slice::from_raw_parts((pa + i) as *const u8, n as usize) };
        let _ = writei(&mut l, Src::Kernel(src), o, n);
        iunlock(l);
        end_op(op);
    }
}

/// Drops every area (exit, exec), writing back shared pages.
pub fn mmapexit(d: &mut ProcData) {
    let pt = d.pagetable();
    for slot in d.vmas.iter_mut() {
        if let Some(v) = slot.take() {
            vmaunmap(pt, &v, v.start, v.end(), true);
            fileclose(v.file);
        }
    }
    #[cfg(feature = "swap")]
    myproc().swap.setfloor(mmapfloor(d));
}

/// fork: the child gets the areas and the pages faulted in so far (via
/// uvmcopy1), clean: it writes back only its own stores.
pub fn mmapfork(d: &ProcData, nd: &mut ProcData) -> Result<(), Error> {
    let (old, new) = (d.pagetable(), nd.pagetable());
    for v in d.vmas.iter().flatten() {
        for (va, slot) in mapped(old, v.start, v.end()) {
            // Lab swap: a page dropped since the file holds it is read
            // from the file by the child too, as one never touched.
            #[cfg(feature = "swap")]
            if slot.get().is_swapped() {
                continue;
            }
            if uvmcopy1(slot, new, va).is_err() {
                for v in d.vmas.iter().flatten() {
                    vmaunmap(new, v, v.start, v.end(), false);
                }
                return Err(Error);
            }
            let child = walk(new, va, false).expect("just mapped");
            let pte = child.get();
            child.set(Pte::new(pte.pa(), pte.flags() - PteFlags::D));
        }
    }
    for (nv, v) in nd.vmas.iter_mut().zip(d.vmas.iter()) {
        *nv = v.map(|v| Vma {
            file: filedup(v.file),
            ..v
        });
    }
    Ok(())
}
