//! Sv39 page tables: the kernel's address space and every user one.
//!
//! A page table is a physical page of 512 PTEs. Since the kernel maps all
//! RAM at its physical address, a table's physical address is also a valid
//! kernel pointer to it.

use crate::kalloc::{kfree, kzalloc};
use crate::memlayout::{KERNBASE, PHYSTOP, PLIC, PLIC_SIZE, TRAMPOLINE, UART0, VIRTIO0};
#[cfg(lab_faults)]
use crate::pftrace::Fault;
use crate::pftrace::{Access, Why};
use crate::proc::proc_mapstacks;
use crate::riscv::{
    make_satp, pg_round_down, pg_round_up, px, sfence_vma, w_satp, Pte, PteFlags, MAXVA, PGSIZE,
};
use crate::Error;
use core::ptr;
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::Once;

/// Physical address of a page-table page. The field is private: only
/// this file makes one, from a page it allocated or a PTE that points to
/// a table, so no other code can forge a table out of any address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTable(usize);

impl PageTable {
    /// The table's physical address (for satp).
    pub fn pa(self) -> usize {
        self.0
    }

    /// The table's 512 entries. They are read and written whole through
    /// shared references (`PteSlot::get`/`set`), so two walks that reach
    /// the same entry never hold overlapping `&mut`.
    fn entries(self) -> &'static [PteSlot; 512] {
        // SAFETY: a PageTable always names a page-aligned, kernel-owned page
        // of PTEs (from kzalloc) that stays allocated while the table is in
        // use; PteSlot is a transparent atomic word, so shared references
        // to it may alias (the MMU may set A/D bits behind our back too).
        unsafe { &*(self.0 as *const [PteSlot; 512]) }
    }
}

/// One entry of a page-table page.
#[repr(transparent)]
pub struct PteSlot(AtomicUsize);

impl PteSlot {
    pub fn get(&self) -> Pte {
        Pte(self.0.load(Ordering::Relaxed))
    }
    pub fn set(&self, pte: Pte) {
        self.0.store(pte.0, Ordering::Relaxed);
    }
}

static KERNEL_PAGETABLE: Once<PageTable> = Once::new();

extern "C" {
    /// End of kernel code (kernel.ld).
    static etext: u8;
    /// Start of the trampoline page (trampoline.S).
    static trampoline: u8;
}

fn etext_addr() -> usize {
    (&raw const etext) as usize
}

pub fn trampoline_addr() -> usize {
    (&raw const trampoline) as usize
}

/// Builds the kernel's page table: devices, kernel text (read/execute),
/// everything else in RAM (read/write), the trampoline, and kernel stacks.
fn kvmmake() -> PageTable {
    let kpgtbl = PageTable(kzalloc().expect("kvmmake"));
    let rw = PteFlags::R | PteFlags::W;
    kvmmap(kpgtbl, UART0, UART0, PGSIZE, rw);
    kvmmap(kpgtbl, VIRTIO0, VIRTIO0, PGSIZE, rw);
    // Lab swap: the swap disk, and the CLINT to interrupt other harts.
    #[cfg(feature = "swap")]
    crate::swap::swapmap(kpgtbl);
    kvmmap(kpgtbl, PLIC, PLIC, PLIC_SIZE, rw);
    let et = etext_addr();
    kvmmap(
        kpgtbl,
        KERNBASE,
        KERNBASE,
        et - KERNBASE,
        PteFlags::R | PteFlags::X,
    );
    kvmmap(kpgtbl, et, et, PHYSTOP - et, rw);
    kvmmap(
        kpgtbl,
        TRAMPOLINE,
        trampoline_addr(),
        PGSIZE,
        PteFlags::R | PteFlags::X,
    );
    proc_mapstacks(kpgtbl);
    kpgtbl
}

pub fn kvminit() {
    KERNEL_PAGETABLE.call_once(kvmmake);
}

pub fn kernel_pagetable() -> PageTable {
    *KERNEL_PAGETABLE.get().expect("kernel page table")
}

/// Turns on paging on this hart with the kernel's page table.
pub fn kvminithart() {
    // Finish any earlier writes to page-table memory first.
    sfence_vma();
    // SAFETY: the kernel page table maps everything the kernel touches at
    // the same address, so execution continues seamlessly.
    unsafe { w_satp(make_satp(kernel_pagetable().0)) };
    // Drop stale TLB entries.
    sfence_vma();
}

/// Finds the PTE for `va`, creating the intermediate tables if `alloc`.
///
/// RISC-V's Sv39 scheme, which the hardware walks the same way on a TLB
/// miss: a virtual address uses only its low 39 bits (bits 39 to 63 must
/// copy bit 38; xv6 keeps to the lower half, below MAXVA, so they are 0).
///
/// ```text
///  38        30 29        21 20        12 11           0
/// | L2 index   | L1 index   | L0 index   | page offset  |
/// ```
///
/// Each index picks one of the 512 PTEs of a 4096-byte page-table page.
/// The root page (the address in satp) is indexed by L2; a valid PTE
/// there (V set, R, W and X clear) gives the physical page of the next
/// table, indexed by L1, and so on to the level-0 table, whose PTE gives
/// the physical page of `va` itself, with its permission bits (R, W, X,
/// U). The offset is added unchanged. A PTE holds the physical page
/// number in bits 10 to 53 and the flags in bits 0 to 9 (`Pte`). Three
/// levels let a sparse address space (text at 0, the trampoline at the
/// top) cost only the few table pages that lead to pages in use: an
/// invalid PTE in a high level means a whole 1 GiB or 2 MiB range is
/// unmapped. xv6 maps only 4096-byte pages, never the larger pages a
/// leaf PTE at level 1 or 2 could map.
pub fn walk(pagetable: PageTable, va: usize, alloc: bool) -> Option<&'static PteSlot> {
    if va >= MAXVA {
        panic!("walk");
    }
    let mut pt = pagetable;
    for level in [2, 1] {
        let slot = &pt.entries()[px(level, va)];
        let pte = slot.get();
        if pte.is_valid() {
            pt = PageTable(pte.pa());
        } else {
            if !alloc {
                return None;
            }
            let page = kzalloc()?;
            slot.set(Pte::new(page, PteFlags::V));
            pt = PageTable(page);
        }
    }
    Some(&pt.entries()[px(0, va)])
}

/// Physical address of the user page at `va`, if mapped with PTE_U.
pub fn walkaddr(pagetable: PageTable, va: usize) -> Option<usize> {
    if va >= MAXVA {
        return None;
    }
    let pte = walk(pagetable, va, false)?.get();
    let f = pte.flags();
    if !f.contains(PteFlags::V) || !f.contains(PteFlags::U) {
        return None;
    }
    Some(pte.pa())
}

/// Why user mode cannot make `access` at `va` in a process of size `sz`,
/// as its page table stands: the reason for a fault no lab resolved.
pub fn whynot(pagetable: PageTable, sz: usize, va: usize, access: Access) -> Why {
    if va >= MAXVA {
        return Why::AboveMaxva;
    }
    let Some(pte) = walk(pagetable, va, false)
        .map(|slot| slot.get())
        .filter(|pte| pte.is_valid())
    else {
        return if va >= sz {
            Why::AboveSz
        } else {
            Why::Unmapped
        };
    };
    let (need, why) = match access {
        Access::Load => (PteFlags::R, Why::NoRead),
        Access::Store => (PteFlags::W, Why::ReadOnly),
        Access::Fetch => (PteFlags::X, Why::NoExec),
    };
    if !pte.flags().contains(PteFlags::U) {
        Why::NoUser
    } else if !pte.flags().contains(need) {
        why
    } else {
        Why::Allowed
    }
}

/// Adds a mapping to the kernel page table at boot; panics on failure.
pub fn kvmmap(kpgtbl: PageTable, va: usize, pa: usize, sz: usize, perm: PteFlags) {
    if mappages(kpgtbl, va, sz, pa, perm).is_err() {
        panic!("kvmmap");
    }
}

/// Maps `[va, va+size)` to physical addresses starting at `pa`. `va` and
/// `size` need not be page-aligned. Fails only if a page table page cannot
/// be allocated.
pub fn mappages(
    pagetable: PageTable,
    va: usize,
    size: usize,
    mut pa: usize,
    perm: PteFlags,
) -> Result<(), Error> {
    if size == 0 {
        panic!("mappages: size");
    }
    let mut a = pg_round_down(va);
    let last = pg_round_down(va + size - 1);
    loop {
        let slot = walk(pagetable, a, true).ok_or(Error)?;
        if slot.get().is_valid() {
            panic!("mappages: remap");
        }
        slot.set(Pte::new(pa, perm | PteFlags::V));
        if a == last {
            return Ok(());
        }
        a += PGSIZE;
        pa += PGSIZE;
    }
}

/// Removes `npages` mappings starting at page-aligned `va`, freeing the
/// physical pages if `do_free`. The mappings must exist.
pub fn uvmunmap(pagetable: PageTable, va: usize, npages: usize, do_free: bool) {
    if !va.is_multiple_of(PGSIZE) {
        panic!("uvmunmap: not aligned");
    }
    for a in (va..va + npages * PGSIZE).step_by(PGSIZE) {
        let slot = walk(pagetable, a, false);
        // A page out on the swap disk: its slot goes instead.
        #[cfg(feature = "swap")]
        if let Some(slot) = slot.filter(|slot| slot.get().is_swapped()) {
            if do_free {
                crate::swap::slotput(slot.get().slot());
            }
            slot.set(Pte(0));
            continue;
        }
        // A page never touched is not mapped yet: nothing to free.
        #[cfg(any(feature = "lazy", feature = "demand"))]
        if !slot.is_some_and(|slot| slot.get().is_valid()) {
            continue;
        }
        let Some(slot) = slot else {
            panic!("uvmunmap: walk");
        };
        let pte = slot.get();
        if !pte.is_valid() {
            panic!("uvmunmap: not mapped");
        }
        if pte.flags() == PteFlags::V {
            panic!("uvmunmap: not a leaf");
        }
        // The zero page is the kernel's: unmapped, never freed.
        #[cfg(feature = "zfod")]
        let do_free = do_free && pte.pa() != crate::zfod::zero_page();
        if do_free {
            // SAFETY: the leaf, cleared just below, was this table's
            // reference to the page; the kernel reaches a user page only
            // through a mapping, so none uses it through this one again.
            unsafe { kfree(pte.pa()) };
        }
        slot.set(Pte(0));
    }
}

/// An empty user page table, or `None` if out of memory.
pub fn uvmcreate() -> Option<PageTable> {
    kzalloc().map(PageTable)
}

/// Loads the first process's code (initcode) at address 0.
pub fn uvmfirst(pagetable: PageTable, src: &[u8]) {
    if src.len() >= PGSIZE {
        panic!("uvmfirst: more than a page");
    }
    let mem = kzalloc().expect("uvmfirst");
    let perm = PteFlags::W | PteFlags::R | PteFlags::X | PteFlags::U;
    mappages(pagetable, 0, PGSIZE, mem, perm).expect("uvmfirst");
    // SAFETY: mem is a fresh page, larger than src.
    unsafe { ptr::copy_nonoverlapping(src.as_ptr(), mem as *mut u8, src.len()) };
}

/// Grows a process from `oldsz` to `newsz` bytes with zeroed pages mapped
/// readable, user-accessible, plus `xperm`. Returns the new size; on
/// failure everything allocated here is freed again.
pub fn uvmalloc(
    pagetable: PageTable,
    oldsz: usize,
    newsz: usize,
    xperm: PteFlags,
) -> Result<usize, Error> {
    if newsz < oldsz {
        return Ok(oldsz);
    }
    let start = pg_round_up(oldsz);
    // Under swap a new page counts as just used (PTE_A), as a page read
    // back does: the clock should not take it before its first touch.
    #[cfg(feature = "swap")]
    let xperm = xperm | PteFlags::A;
    for a in (start..newsz).step_by(PGSIZE) {
        // Room first, from the pages mapped so far (exec's loadseg reads
        // back any it needs); with memory and swap full, sbrk fails here.
        #[cfg(feature = "swap")]
        if crate::swap::makeroom(pagetable, a, 2).is_err() {
            uvmdealloc(pagetable, a, start);
            return Err(Error);
        }
        let Some(mem) = kzalloc() else {
            uvmdealloc(pagetable, a, start);
            return Err(Error);
        };
        if mappages(pagetable, a, PGSIZE, mem, PteFlags::R | PteFlags::U | xperm).is_err() {
            // SAFETY: mem, fresh from kzalloc, was mapped nowhere.
            unsafe { kfree(mem) };
            uvmdealloc(pagetable, a, start);
            return Err(Error);
        }
    }
    Ok(newsz)
}

/// Shrinks a process from `oldsz` to `newsz`, freeing whole pages no longer
/// used. Returns the new size.
pub fn uvmdealloc(pagetable: PageTable, oldsz: usize, newsz: usize) -> usize {
    if newsz >= oldsz {
        return oldsz;
    }
    if pg_round_up(newsz) < pg_round_up(oldsz) {
        let npages = (pg_round_up(oldsz) - pg_round_up(newsz)) / PGSIZE;
        uvmunmap(pagetable, pg_round_up(newsz), npages, true);
    }
    newsz
}

/// Frees page-table pages recursively. All leaf mappings must already be gone.
fn freewalk(pagetable: PageTable) {
    for slot in pagetable.entries().iter() {
        let pte = slot.get();
        if pte.is_valid() && !pte.is_leaf() {
            freewalk(PageTable(pte.pa()));
            slot.set(Pte(0));
        } else if pte.is_valid() {
            panic!("freewalk: leaf");
        }
    }
    // SAFETY: all its entries are cleared, and uvmfree's caller gives the
    // table up (PageTable is Copy: that rests on the caller).
    unsafe { kfree(pagetable.0) };
}

/// Frees a user address space: its pages, then its page tables.
pub fn uvmfree(pagetable: PageTable, sz: usize) {
    if sz > 0 {
        uvmunmap(pagetable, 0, pg_round_up(sz) / PGSIZE, true);
    }
    freewalk(pagetable);
}

/// Gives a child a copy of the parent's memory `[0, sz)`: page table and
/// contents. On failure frees whatever it allocated.
pub fn uvmcopy(old: PageTable, new: PageTable, sz: usize) -> Result<(), Error> {
    for i in (0..sz).step_by(PGSIZE) {
        let slot = walk(old, i, false);
        // A page out on the swap disk: the child's entry names its slot too.
        #[cfg(feature = "swap")]
        if let Some(slot) = slot.filter(|slot| slot.get().is_swapped()) {
            if crate::swap::swapcopy(slot.get(), new, i).is_err() {
                uvmunmap(new, 0, i / PGSIZE, true);
                return Err(Error);
            }
            continue;
        }
        // Pages never touched are not copied; the child faults them in too.
        #[cfg(any(feature = "lazy", feature = "demand"))]
        if !slot.is_some_and(|slot| slot.get().is_valid()) {
            continue;
        }
        let Some(slot) = slot else {
            panic!("uvmcopy: pte should exist");
        };
        if !slot.get().is_valid() {
            panic!("uvmcopy: page not present");
        }
        if uvmcopy1(slot, new, i).is_err() {
            uvmunmap(new, 0, i / PGSIZE, true);
            return Err(Error);
        }
    }
    Ok(())
}

// Shared, not copied: the first store to it copies (cow.rs).
#[cfg(feature = "cow")]
pub use crate::cow::uvmcopy1;

/// Maps a copy of the page behind `slot` at `va` in `new`.
#[cfg(not(feature = "cow"))]
pub fn uvmcopy1(slot: &PteSlot, new: PageTable, va: usize) -> Result<(), Error> {
    use crate::kalloc::{kcopy, kpage};
    let pte = slot.get();
    // Nothing to copy: the child reads the same zero page.
    #[cfg(feature = "zfod")]
    if pte.pa() == crate::zfod::zero_page() {
        return mappages(new, va, PGSIZE, pte.pa(), pte.flags());
    }
    // SAFETY: the parent's page; the parent is in fork, so nothing
    // writes it meanwhile.
    let mem = kcopy(unsafe { kpage(pte.pa()) }).ok_or(Error)?;
    // SAFETY: on failure mem, fresh from kcopy, is mapped nowhere.
    mappages(new, va, PGSIZE, mem, pte.flags()).inspect_err(|_| unsafe { kfree(mem) })
}

/// Makes a page inaccessible to user mode; exec uses it for the stack guard.
pub fn uvmclear(pagetable: PageTable, va: usize) {
    let Some(slot) = walk(pagetable, va, false) else {
        panic!("uvmclear");
    };
    slot.set(Pte(slot.get().0 & !PteFlags::U.bits()));
}

/// Resolves a user page fault at `va` (in a process of size `sz`) for the
/// labs: says what was done, or why the access is a real error (the
/// caller then kills the process, or fails the system call's copy). Out
/// of memory is such an error too. Each case below is one lab's.
#[cfg(lab_faults)]
pub fn uvmfault(pagetable: PageTable, sz: usize, va: usize, access: Access) -> Result<Fault, Why> {
    if va >= MAXVA {
        return Err(Why::AboveMaxva);
    }
    // No page of code is left to a fault: an instruction fault is an error.
    #[cfg(not(lab_disk_faults))]
    if access == Access::Fetch {
        return Err(whynot(pagetable, sz, va, access));
    }
    let va0 = pg_round_down(va);
    let write = access == Access::Store;
    #[cfg(feature = "swap")]
    {
        // Room for whatever this fault allocates, before looking at the
        // page (making room may evict it: then it is read back below). With
        // none left, the fault dips into the reserve: it must finish an
        // instruction.
        let _ = crate::swap::makeroom(pagetable, sz, 1);
        // A page dropped because its file holds it: the arm below that
        // read it (demand's or mmap's) reads it again.
        crate::swap::fileback(pagetable, va0);
    }
    match (
        walk(pagetable, va0, false).filter(|slot| slot.get().is_valid()),
        write,
    ) {
        #[cfg(feature = "cow")]
        (Some(slot), true) if slot.get().flags().contains(PteFlags::COW | PteFlags::U) => {
            crate::cow::uvmcowcopy(slot)
        }
        // The first store to a page that was only read: a page of its own.
        #[cfg(feature = "zfod")]
        (Some(slot), true) if slot.get().pa() == crate::zfod::zero_page() => {
            crate::zfod::uvmzfodalloc(slot)
        }
        // A page out on the swap disk (whatever it was before).
        #[cfg(feature = "swap")]
        (None, _) if crate::swap::swapped(pagetable, va0) => {
            crate::swap::swapfault(pagetable, va0, write)
        }
        // A page of the program exec has not read yet.
        #[cfg(feature = "demand")]
        (None, _) if crate::demand::inprogram(pagetable, va0) => {
            crate::demand::demandfault(pagetable, va0, write)
        }
        // A load from untouched heap (see below) maps the shared zero page;
        // only a store allocates.
        #[cfg(feature = "zfod")]
        (None, false) if va < sz => crate::zfod::uvmzeromap(pagetable, va0),
        // Every page below the stack top is mapped by exec (or above, a
        // program page), so a missing page below sz is heap that sbrk
        // promised but never mapped; the stack guard page is mapped
        // (without PTE_U), so it never lands here.
        #[cfg(feature = "lazy")]
        (None, _) if va < sz => uvmlazyalloc(pagetable, va0),
        // Above the heap: perhaps a page of a mapped file.
        #[cfg(feature = "mmap")]
        (None, _) => crate::mmap::mmapfault(pagetable, va0, write),
        _ => Err(Why::Unclaimed),
    }
    .map_err(|why| match why {
        Why::Unclaimed => whynot(pagetable, sz, va, access),
        why => why,
    })
}

/// Maps a fresh zeroed page at `va0`, the first touch of lazily grown heap.
#[cfg(feature = "lazy")]
fn uvmlazyalloc(pagetable: PageTable, va0: usize) -> Result<Fault, Why> {
    let mem = kzalloc().ok_or(Why::NoMemory)?;
    let perm = PteFlags::R | PteFlags::W | PteFlags::U;
    match mappages(pagetable, va0, PGSIZE, mem, perm) {
        Ok(()) => Ok(Fault::Lazy),
        Err(_) => {
            // SAFETY: mem, fresh from kzalloc, is mapped nowhere.
            unsafe { kfree(mem) };
            Err(Why::NoMemory)
        }
    }
}

/// The physical page behind user page `va0` for a copy out of (or, with
/// `write`, into) user memory of a process of size `sz`. A kernel store
/// needs what a user store needs, a page mapped writable: text and rodata
/// get an error, never the bytes.
#[cfg_attr(not(lab_faults), allow(unused_variables))]
fn user_page(pagetable: PageTable, sz: usize, va0: usize, write: bool) -> Result<usize, Error> {
    if va0 >= MAXVA {
        return Err(Error);
    }
    let need = if write {
        PteFlags::V | PteFlags::U | PteFlags::W
    } else {
        PteFlags::V | PteFlags::U
    };
    let usable = |slot: &&PteSlot| slot.get().flags().contains(need);
    let slot = walk(pagetable, va0, false).filter(usable);
    // A page the access cannot use yet takes the fault a user access
    // would have taken, traced as the kernel's; then look again.
    #[cfg(lab_faults)]
    let slot = slot.or_else(|| {
        let access = if write { Access::Store } else { Access::Load };
        let how = uvmfault(pagetable, sz, va0, access);
        crate::pftrace::pftrace(access, va0, how, true);
        how.ok()?;
        walk(pagetable, va0, false).filter(usable)
    });
    let slot = slot.ok_or(Error)?;
    let pte = slot.get();
    // The kernel goes through its own mapping of the page, so the MMU
    // never marks the user PTE accessed or dirty: we do, as a user access
    // would. The lab goes by them (a page stored to, a page used lately).
    #[cfg(any(feature = "mmap", feature = "swap"))]
    {
        let used = if write {
            PteFlags::A | PteFlags::D
        } else {
            PteFlags::A
        };
        slot.set(Pte::new(pte.pa(), pte.flags() | used));
    }
    Ok(pte.pa())
}

/// Part of a user buffer made resident for one copy (`uvmprefault`):
/// keep it until the copy is done.
#[cfg(lab_disk_faults)]
#[must_use]
pub struct Resident {
    #[cfg(feature = "swap")]
    _pin: crate::swap::Pinned,
}

/// Takes now, with no lock held, the faults that a copy to (`write`) or
/// from `[addr, addr+n)` of the calling process would take, for a system
/// call whose copy runs where a fault cannot sleep for a disk (see
/// `file::steps::filereadsteps`). Every page of the range becomes resident, so
/// callers keep `n` to what the copy will really use. Stops at the first
/// page the copy could not use either: the copy fails there, as it would
/// have.
#[cfg(lab_disk_faults)]
pub fn uvmprefault(addr: usize, n: usize, write: bool) -> Resident {
    let p = crate::proc::myproc();
    let (pagetable, sz) = (p.pagetable(), p.sz());
    let end = addr.saturating_add(n);
    let resident = Resident {
        // Pinned first: reading one page back must not evict another.
        #[cfg(feature = "swap")]
        _pin: crate::swap::pin(addr, end),
    };
    for va0 in (pg_round_down(addr)..end).step_by(PGSIZE) {
        if user_page(pagetable, sz, va0, write).is_err() {
            break;
        }
    }
    resident
}

/// Copies `src` from the kernel to user address `dstva` of a process of
/// size `sz` (the size bounds the pages the labs may fault in).
pub fn copyout(
    pagetable: PageTable,
    sz: usize,
    mut dstva: usize,
    mut src: &[u8],
) -> Result<(), Error> {
    while !src.is_empty() {
        let va0 = pg_round_down(dstva);
        let pa0 = user_page(pagetable, sz, va0, true)?;
        let n = (PGSIZE - (dstva - va0)).min(src.len());
        let dst = (pa0 + (dstva - va0)) as *mut u8;
        // SAFETY: pa0 is a user page mapped in this table; n bytes from
        // the offset stay inside it.
        unsafe { ptr::copy(src.as_ptr(), dst, n) };
        src = &src[n..];
        dstva = va0 + PGSIZE;
    }
    Ok(())
}

/// Copies `dst.len()` bytes from user address `srcva` into the kernel.
pub fn copyin(
    pagetable: PageTable,
    sz: usize,
    dst: &mut [u8],
    mut srcva: usize,
) -> Result<(), Error> {
    let mut done = 0;
    while done < dst.len() {
        let va0 = pg_round_down(srcva);
        let pa0 = user_page(pagetable, sz, va0, false)?;
        let n = (PGSIZE - (srcva - va0)).min(dst.len() - done);
        let src = (pa0 + (srcva - va0)) as *const u8;
        // SAFETY: pa0 is a user page mapped in this table (user_page
        // checked it); n bytes from the offset stay inside it, and dst has
        // n bytes from `done`.
        unsafe { ptr::copy(src, dst[done..].as_mut_ptr(), n) };
        done += n;
        srcva = va0 + PGSIZE;
    }
    Ok(())
}

/// Copies a NUL-terminated string from user address `srcva` into `dst`,
/// NUL included. Returns the length without the NUL; fails if the string
/// does not fit or crosses into unmapped memory.
pub fn copyinstr(
    pagetable: PageTable,
    sz: usize,
    dst: &mut [u8],
    mut srcva: usize,
) -> Result<usize, Error> {
    let mut got = 0;
    while got < dst.len() {
        let va0 = pg_round_down(srcva);
        let pa0 = user_page(pagetable, sz, va0, false)?;
        let n = (PGSIZE - (srcva - va0)).min(dst.len() - got);
        // SAFETY: the n bytes at the offset lie inside one mapped user page.
        let src = unsafe { core::slice::from_raw_parts((pa0 + (srcva - va0)) as *const u8, n) };
        for &c in src {
            dst[got] = c;
            if c == 0 {
                return Ok(got);
            }
            got += 1;
        }
        srcva = va0 + PGSIZE;
    }
    Err(Error)
}
