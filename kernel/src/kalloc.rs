//! Physical page allocator: a free list of 4096-byte pages covering RAM from
//! the end of the kernel image to PHYSTOP. Used for user memory, page
//! tables, kernel stacks and pipe buffers.

use crate::memlayout::PHYSTOP;
use crate::riscv::{pg_round_up, PGSIZE};
use crate::spinlock::Spinlock;
use core::ptr;

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
}

// SAFETY: the free list is only touched with the lock held.
unsafe impl Send for Kmem {}

static KMEM: Spinlock<Kmem> = Spinlock::new(
    "kmem",
    Kmem {
        freelist: ptr::null_mut(),
    },
);

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
    // Junk-fill so a use after free shows up quickly as garbage.
    // SAFETY: pa is a whole page of RAM outside the kernel image that no
    // one else owns any more (the caller is giving it up).
    unsafe { ptr::write_bytes(pa as *mut u8, 1, PGSIZE) };
    let r = pa as *mut Run;
    let mut kmem = KMEM.lock();
    // SAFETY: we own the page and it is large enough for a Run.
    unsafe { (*r).next = kmem.freelist };
    kmem.freelist = r;
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
    drop(kmem);
    // SAFETY: the page is ours now.
    unsafe { ptr::write_bytes(r as *mut u8, 5, PGSIZE) };
    Some(r as usize)
}

/// Allocates a zero-filled page.
pub fn kzalloc() -> Option<usize> {
    let pa = kalloc()?;
    // SAFETY: kalloc just gave us this page.
    unsafe { ptr::write_bytes(pa as *mut u8, 0, PGSIZE) };
    Some(pa)
}
