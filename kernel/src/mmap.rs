//! Lab `mmap`: memory-mapped files (docs/labs.md, "mmap").
//!
//! `mmap` only records an area in the process's table; nothing is read.
//! The first load or store in the area faults, and `mmapfault` (reached
//! from `vm::uvmfault`) reads that page of the file and maps it with the
//! area's permissions. `munmap`, `exit` and `exec` write the pages that
//! were stored to in `MAP_SHARED` areas back to the file and free them.
//!
//! Dirty pages are found by the PTE's D bit: QEMU's MMU sets it on a user
//! store, and `vm::user_page` sets it when the kernel stores for a system
//! call (the kernel writes through its own mapping, which the MMU does not
//! track in the user's PTE).
//!
//! Areas are placed downwards from the trapframe, the top of user memory,
//! while the heap grows up towards them (growproc stops at the lowest
//! area): neither ever has to move, and a large mapping cannot collide
//! with a later sbrk.

use crate::file::{fileclose, filedup, FdType, File};
use crate::fs::{ilock, iunlock, readi, writei};
use crate::kalloc::{kfree, kzalloc};
use crate::log::{begin_op, end_op};
use crate::memlayout::TRAPFRAME;
use crate::proc::{mycpu, myproc, ProcData};
use crate::riscv::{pg_round_down, pg_round_up, Pte, PteFlags, PGSIZE};
use crate::spinlock::{pop_off, push_off};
use crate::syscall::{argaddr, argint};
use crate::sysfile::argfd;
use crate::vm::{mappages, uvmcopy1, walk, walkaddr, PageTable, PteSlot};
use crate::Error;
use kernel::fcntl::{MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE};
use kernel::fs::BSIZE;
use kernel::param::MAXOPBLOCKS;
use kernel::stat::T_DIR;

/// Mapped areas per process.
pub const NVMA: usize = 16;

/// One mapped area: `len` bytes at `start` (both page-aligned) showing
/// the file from offset `off` on. The area holds its own reference to the
/// open file, so closing the descriptor does not end the mapping.
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

    /// PTE permissions for the area's pages. RISC-V has no write-only
    /// pages, so PROT_WRITE brings R along.
    fn perm(&self) -> PteFlags {
        let mut perm = PteFlags::U;
        if self.prot & PROT_READ != 0 {
            perm |= PteFlags::R;
        }
        if self.prot & PROT_WRITE != 0 {
            perm |= PteFlags::R | PteFlags::W;
        }
        if self.prot & PROT_EXEC != 0 {
            perm |= PteFlags::X;
        }
        perm
    }
}

/// mmap(addr, length, prot, flags, fd, offset): maps `length` bytes of the
/// file from `offset` (page-aligned) and returns the address. `addr` is
/// only a hint, and ignored.
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
        // Pages are filled by reading the file, so it must be readable; a
        // shared writable mapping writes it, so that must be allowed too.
        || fd.typ != FdType::Inode
        || !fd.readable
        || (flags == MAP_SHARED && prot & PROT_WRITE != 0 && !fd.writable)
    {
        return Err(Error);
    }
    let l = ilock(fd.ip.expect("inode"));
    let dir = l.typ == T_DIR;
    iunlock(l);
    if dir {
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

/// munmap(addr, length): unmaps the pages of `[addr, addr+length)`, which
/// must be all of one area, its start or its end (no holes, as in the
/// course's lab), writing back what was stored to a shared mapping.
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
    Ok(0)
}

/// Maps the page at `va0` of the current process's area holding it, read
/// from the file. Called on a fault where no page is mapped; fails (the
/// caller kills the process, or the system call fails) outside every area
/// and for an access the area's protection does not allow.
pub fn mmapfault(pagetable: PageTable, va0: usize, write: bool) -> Result<(), Error> {
    let v = {
        let d = myproc().data();
        // exec copies into a new page table that has no areas.
        if d.pagetable != Some(pagetable) {
            return Err(Error);
        }
        *d.vmas
            .iter()
            .flatten()
            .find(|v| v.start <= va0 && va0 < v.end())
            .ok_or(Error)?
    };
    if v.prot == PROT_NONE || (write && v.prot & PROT_WRITE == 0) {
        return Err(Error);
    }
    // Reading the file sleeps, which is impossible under a spinlock (a
    // pipe's copyin), and would deadlock if we hold this inode (read() into
    // its own mapping). read, write and wait fault their buffers in before
    // taking locks (prefault), so this only refuses what they did not.
    let ip = v.file.data().ip.expect("inode");
    if holding_spinlock() || ip.holding() {
        return Err(Error);
    }
    let mem = kzalloc().ok_or(Error)?;
    // A page past the end of the file stays zero.
    if let Ok(off) = u32::try_from(v.off + (va0 - v.start)) {
        let mut l = ilock(ip);
        let r = readi(&mut l, false, mem, off, PGSIZE as u32);
        iunlock(l);
        if r.is_err() {
            kfree(mem);
            return Err(Error);
        }
    }
    mappages(pagetable, va0, PGSIZE, mem, v.perm()).inspect_err(|_| kfree(mem))
}

/// Whether this hart holds a spinlock.
fn holding_spinlock() -> bool {
    push_off();
    // SAFETY: interrupts are off until pop_off, so the Cpu stays ours.
    let held = unsafe { mycpu() }.noff > 1;
    pop_off();
    held
}

/// Faults in the pages of `[addr, addr+n)` that lie in areas and are not
/// mapped yet (`write`: for a store), before a system call copies under
/// locks that a file read may not sleep under. Fails like the copy would.
pub fn prefault(addr: usize, n: usize, write: bool) -> Result<(), Error> {
    let pt = myproc().pagetable();
    let end = addr.saturating_add(n);
    for i in 0..NVMA {
        let Some(v) = myproc().data().vmas[i] else {
            continue;
        };
        let from = pg_round_down(addr).max(v.start);
        for va in (from..end.min(v.end())).step_by(PGSIZE) {
            if walkaddr(pt, va).is_none() {
                mmapfault(pt, va, write)?;
            }
        }
    }
    Ok(())
}

/// Unmaps and frees the pages of `[a, b)` in area `v`; pages never faulted
/// in are skipped. With `writeback`, a stored-to page of a shared area is
/// written to the file first.
fn vmaunmap(pagetable: PageTable, v: &Vma, a: usize, b: usize, writeback: bool) {
    for (va, slot) in mapped(pagetable, a, b) {
        let pte = slot.get();
        if writeback && v.flags == MAP_SHARED && pte.flags().contains(PteFlags::D) {
            filewriteback(v.file, pte.pa(), v.off + (va - v.start));
        }
        kfree(pte.pa());
        slot.set(Pte(0));
    }
}

/// The mapped pages of `[a, b)` with their PTEs. Where a last-level page
/// table is missing, its whole 2 MiB is skipped, so a sparse area of
/// gigabytes costs little to scan.
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
                    if slot.get().is_valid() {
                        return Some((here, slot));
                    }
                }
            }
        }
        None
    })
}

/// Writes the page at `pa` to the file at `off`, a few blocks per
/// transaction (as filewrite) and only over bytes the file already has:
/// unmapping never grows a file.
fn filewriteback(f: &File, pa: usize, off: usize) {
    let ip = f.data().ip.expect("inode");
    let max = ((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE;
    for i in (0..PGSIZE).step_by(max) {
        let Ok(o) = u32::try_from(off + i) else {
            return;
        };
        begin_op();
        let mut l = ilock(ip);
        let n = l.size.saturating_sub(o).min((PGSIZE - i).min(max) as u32);
        // Inside the file every block exists, so only a disk error could
        // fail this, and the kernel panics on those.
        let _ = writei(&mut l, false, pa + i, o, n);
        iunlock(l);
        end_op();
    }
}

/// Drops every area (exit, and exec's commit), writing back shared pages.
pub fn mmapexit(d: &mut ProcData) {
    let pt = d.pagetable();
    for slot in d.vmas.iter_mut() {
        if let Some(v) = slot.take() {
            vmaunmap(pt, &v, v.start, v.end(), true);
            fileclose(v.file);
        }
    }
}

/// fork: gives the child `nd` the parent's areas and the pages faulted in
/// so far (copied, or shared copy-on-write under `cow`), each area with a
/// file reference of its own. The child's pages start clean: only its own
/// stores are its to write back. On failure the child has none of them.
pub fn mmapfork(d: &ProcData, nd: &mut ProcData) -> Result<(), Error> {
    let (old, new) = (d.pagetable(), nd.pagetable());
    for v in d.vmas.iter().flatten() {
        for (va, slot) in mapped(old, v.start, v.end()) {
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
