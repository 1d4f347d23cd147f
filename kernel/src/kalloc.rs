//! Physical page allocator: a free list of 4096-byte pages covering RAM from
//! the end of the kernel image to PHYSTOP. Used for user memory, page
//! tables, kernel stacks and pipe buffers.

#[cfg(feature = "cow")]
use crate::memlayout::KERNBASE;
use crate::memlayout::PHYSTOP;
use crate::riscv::{pg_round_up, PGSIZE};
use crate::spinlock::Spinlock;
use core::ptr;
#[cfg(feature = "cow")]
use core::sync::atomic::{AtomicU16, Ordering};

extern "C" {
    /// First address after the kernel image; defined by kernel.ld.
    static end: u8;
}

/// A free page; the link lives in the page itself.
struct Run {
    next: *mut Run,
}

struct Kmem {
    freelist: *mut Run,
    /// Pages on the list: swap keeps a few free for the kernel.
    #[cfg(feature = "swap")]
    nfree: usize,
}

// SAFETY: the free list is only touched with the lock held.
unsafe impl Send for Kmem {}

static KMEM: Spinlock<Kmem> = Spinlock::new(
    "kmem",
    Kmem {
        freelist: ptr::null_mut(),
        #[cfg(feature = "swap")]
        nfree: 0,
    },
);

/// References to each physical page: how many page tables map it (or 1
/// for a page the kernel itself holds). A page is freed when its count
/// drops to zero.
///
/// The counts are atomics, without a lock: a count is only raised by a
/// holder of a reference (uvmcopy, sharing a page its parent maps), so it
/// can never rise from zero while kfree is freeing the page; and the
/// atomic decrement in kfree lets exactly one of several concurrent
/// releasers see the count reach zero and free the page.
#[cfg(feature = "cow")]
static REFCNT: [AtomicU16; (PHYSTOP - KERNBASE) / PGSIZE] =
    [const { AtomicU16::new(0) }; (PHYSTOP - KERNBASE) / PGSIZE];

#[cfg(feature = "cow")]
fn refcnt(pa: usize) -> &'static AtomicU16 {
    &REFCNT[(pa - KERNBASE) / PGSIZE]
}

/// Adds a reference to an allocated page (a second mapping of it).
#[cfg(feature = "cow")]
pub fn krefinc(pa: usize) {
    refcnt(pa).fetch_add(1, Ordering::AcqRel);
}

/// Current references to an allocated page.
#[cfg(feature = "cow")]
pub fn krefcount(pa: usize) -> u16 {
    refcnt(pa).load(Ordering::Acquire)
}

fn kernel_end() -> usize {
    // Only the symbol's address matters, never its contents.
    (&raw const end) as usize
}

pub fn kinit() {
    freerange(kernel_end(), PHYSTOP);
}

fn freerange(pa_start: usize, pa_end: usize) {
    let mut p = pg_round_up(pa_start);
    while p + PGSIZE <= pa_end {
        // Each page starts as if one reference were held, which kfree drops.
        #[cfg(feature = "cow")]
        refcnt(p).store(1, Ordering::Release);
        kfree(p);
        p += PGSIZE;
    }
}

/// Returns the page at physical address `pa` to the free list. It must have
/// come from `kalloc` (or be part of the initial range).
pub fn kfree(pa: usize) {
    if !pa.is_multiple_of(PGSIZE) || pa < kernel_end() || pa >= PHYSTOP {
        panic!("kfree");
    }
    // Shared pages stay until their last reference goes.
    #[cfg(feature = "cow")]
    match refcnt(pa).fetch_sub(1, Ordering::AcqRel) {
        0 => panic!("kfree: free page"),
        1 => {}
        _ => return,
    }
    // A swap copy of the page's contents goes with it.
    #[cfg(feature = "swap")]
    crate::swap::swapforget(pa);
    // Junk-fill so a use after free shows up quickly as garbage.
    // SAFETY: pa is a whole page of RAM outside the kernel image that no
    // one else owns any more (the caller is giving it up).
    unsafe { ptr::write_bytes(pa as *mut u8, 1, PGSIZE) };
    let r = pa as *mut Run;
    let mut kmem = KMEM.lock();
    // SAFETY: we own the page and it is large enough for a Run.
    unsafe { (*r).next = kmem.freelist };
    kmem.freelist = r;
    #[cfg(feature = "swap")]
    {
        kmem.nfree += 1;
    }
}

/// Allocates one 4096-byte page, or `None` when memory is exhausted.
/// The page is junk-filled, not zeroed.
pub fn kalloc() -> Option<usize> {
    let mut kmem = KMEM.lock();
    let r = kmem.freelist;
    if r.is_null() {
        return None;
    }
    // SAFETY: r is the head of the free list, a free page we now own.
    kmem.freelist = unsafe { (*r).next };
    #[cfg(feature = "swap")]
    {
        kmem.nfree -= 1;
    }
    drop(kmem);
    #[cfg(feature = "cow")]
    refcnt(r as usize).store(1, Ordering::Release);
    // SAFETY: the page is ours now.
    unsafe { ptr::write_bytes(r as *mut u8, 5, PGSIZE) };
    Some(r as usize)
}

/// How many pages are free.
#[cfg(feature = "swap")]
pub fn kfreepages() -> usize {
    KMEM.lock().nfree
}

/// Allocates a zero-filled page.
pub fn kzalloc() -> Option<usize> {
    let pa = kalloc()?;
    // SAFETY: kalloc just gave us this page.
    unsafe { ptr::write_bytes(pa as *mut u8, 0, PGSIZE) };
    Some(pa)
}
