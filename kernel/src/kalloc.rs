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

/// Takes the first page off the free list, still holding kfree's junk;
/// the callers below fill it. `None` when memory is exhausted.
fn kpop() -> Option<usize> {
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
    Some(r as usize)
}

/// Allocates one 4096-byte page, or `None` when memory is exhausted.
/// The page is junk-filled, not zeroed, so a read before the first
/// write shows up as garbage.
pub fn kalloc() -> Option<usize> {
    let pa = kpop()?;
    // SAFETY: the page is ours now.
    unsafe { ptr::write_bytes(pa as *mut u8, 5, PGSIZE) };
    Some(pa)
}

/// How many pages are free.
#[cfg(feature = "swap")]
pub fn kfreepages() -> usize {
    KMEM.lock().nfree
}

/// Allocates a zero-filled page. No junk first: every byte is written.
pub fn kzalloc() -> Option<usize> {
    let pa = kpop()?;
    // SAFETY: kpop just gave us this page.
    unsafe { pgzero(pa) };
    Some(pa)
}

/// Allocates a page holding a copy of the page at `src` (fork's copy, a
/// copy-on-write fault's). No junk first: every byte is written.
pub fn kcopy(src: usize) -> Option<usize> {
    let pa = kpop()?;
    // SAFETY: kpop just gave us this page; the caller's src is a whole
    // page of RAM, and not this one, which was free until now.
    unsafe { pgcopy(pa, src) };
    Some(pa)
}

/// Words stored or copied per round of pgzero and pgcopy. Each round is
/// a fixed 16 volatile word accesses, which the compiler unrolls into 16
/// stores (or 16 loads, then 16 stores): no call, no test per word.
/// (`write_bytes` and `copy_nonoverlapping` would call compiler_builtins'
/// memset and memcpy, which move one word per round.)
const ROW: usize = 16;
const WORDS: usize = PGSIZE / 8;

/// Zeroes the page at `pa`, a row of words at a time.
///
/// # Safety
/// `pa` is a page-aligned page of RAM that the caller owns.
unsafe fn pgzero(pa: usize) {
    let p = pa as *mut u64;
    for row in (0..WORDS).step_by(ROW) {
        for w in row..row + ROW {
            // SAFETY: word w lies inside the page, aligned (pa is
            // page-aligned); the caller owns the page.
            unsafe { p.add(w).write_volatile(0) };
        }
    }
}

/// Copies the page at `src` to the page at `dst`, a row at a time.
///
/// # Safety
/// `dst` and `src` are distinct page-aligned pages of RAM; the caller
/// owns `dst` and may read `src`.
unsafe fn pgcopy(dst: usize, src: usize) {
    let (to, from) = (dst as *mut u64, src as *const u64);
    for row in (0..WORDS).step_by(ROW) {
        let mut buf = [0u64; ROW];
        for (k, v) in buf.iter_mut().enumerate() {
            // SAFETY: word row+k lies inside the source page, aligned.
            *v = unsafe { from.add(row + k).read_volatile() };
        }
        for (k, v) in buf.iter().enumerate() {
            // SAFETY: word row+k lies inside the destination page, which
            // the caller owns and which is not the source page.
            unsafe { to.add(row + k).write_volatile(*v) };
        }
    }
}
