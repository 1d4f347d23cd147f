//! Lab cow: a reference count for each physical page, so that a page
//! fork shares between page tables goes back to the free list only with
//! its last reference. kalloc starts a page's count at 1 and kfree drops
//! one. Here too the two functions the lab gives vm.rs: uvmcopy1, fork's
//! share of a page, which adds one, and uvmcowcopy, the store fault on a
//! shared page, which reads the count.

use crate::kalloc::{kcopy, kfree, kpage};
use crate::memlayout::{KERNBASE, PHYSTOP};
use crate::pftrace::{Fault, Why};
use crate::riscv::{Pte, PteFlags, PGSIZE};
use crate::vm::{mappages, PageTable, PteSlot};
use crate::Error;
use core::sync::atomic::{AtomicU16, Ordering};

/// References to each physical page: how many page tables map it (or 1
/// for a page the kernel itself holds). A page is freed when its count
/// drops to zero.
///
/// The counts are atomics, without a lock: a count is only raised by a
/// holder of a reference (uvmcopy, sharing a page its parent maps), so it
/// can never rise from zero while kfree is freeing the page; and the
/// atomic decrement in kfree lets exactly one of several concurrent
/// releasers see the count reach zero and free the page.
static REFCNT: [AtomicU16; (PHYSTOP - KERNBASE) / PGSIZE] =
    [const { AtomicU16::new(0) }; (PHYSTOP - KERNBASE) / PGSIZE];

fn refcnt(pa: usize) -> &'static AtomicU16 {
    &REFCNT[(pa - KERNBASE) / PGSIZE]
}

/// A page just handed out holds one reference: kalloc's caller's (or,
/// for freerange, the one its kfree drops).
pub fn krefinit(pa: usize) {
    refcnt(pa).store(1, Ordering::Release);
}

/// Adds a reference to an allocated page (a second mapping of it).
pub fn krefinc(pa: usize) {
    refcnt(pa).fetch_add(1, Ordering::AcqRel);
}

/// Drops a reference (kfree); true if it was the last, and the page is
/// to be freed. A count already at zero is a double free.
pub fn krefdec(pa: usize) -> bool {
    match refcnt(pa).fetch_sub(1, Ordering::AcqRel) {
        0 => panic!("kfree: free page"),
        n => n == 1,
    }
}

/// Current references to an allocated page.
pub fn krefcount(pa: usize) -> u16 {
    refcnt(pa).load(Ordering::Acquire)
}

/// Maps the page behind `slot` at `va` in `new` too, instead of copying
/// it. A writable page becomes read-only copy-on-write on both sides; the
/// first store to it makes a private copy (uvmcowcopy, below).
pub fn uvmcopy1(slot: &PteSlot, new: PageTable, va: usize) -> Result<(), Error> {
    let pte = slot.get();
    let pa = pte.pa();
    let mut flags = pte.flags();
    if flags.contains(PteFlags::W) {
        flags = (flags - PteFlags::W) | PteFlags::COW;
        slot.set(Pte::new(pa, flags));
    }
    mappages(new, va, PGSIZE, pa, flags)?;
    // The zero page (read-only, so shared as it is) is never counted.
    #[cfg(feature = "zfod")]
    if pa == crate::zfod::zero_page() {
        return Ok(());
    }
    krefinc(pa);
    // Lab swap: a page written here stays written for the child too.
    #[cfg(feature = "swap")]
    crate::swap::swapshare(pte);
    Ok(())
}

/// Gives the faulting process its own writable copy of a shared
/// copy-on-write page, or just write access if it is the last sharer.
pub fn uvmcowcopy(slot: &PteSlot) -> Result<Fault, Why> {
    let pte = slot.get();
    let pa = pte.pa();
    let flags = (pte.flags() - PteFlags::COW) | PteFlags::W;
    let refs = krefcount(pa);
    if refs == 1 {
        slot.set(Pte::new(pa, flags));
        return Ok(Fault::CowReuse);
    }
    // SAFETY: a shared COW page is mapped without PTE_W everywhere, so
    // no one writes it (a store faults and copies first).
    let mem = kcopy(unsafe { kpage(pa) }).ok_or(Why::NoMemory)?;
    slot.set(Pte::new(mem, flags));
    // Drop our reference to the shared page.
    // SAFETY: the slot now maps the copy; this table's reference to pa
    // is gone (other sharers keep theirs, counted).
    unsafe { kfree(pa) };
    Ok(Fault::CowCopy(refs))
}
