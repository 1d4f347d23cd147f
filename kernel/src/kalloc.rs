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

/// Zeroes the page at `pa`: 16 stores of a zero word per round, 32
/// rounds. (`write_bytes` would call compiler_builtins' memset, one
/// store per round.)
///
/// # Safety
/// `pa` is a page-aligned page of RAM that the caller owns.
unsafe fn pgzero(pa: usize) {
    // SAFETY: the stores cover [pa, pa + PGSIZE) exactly, 8-byte aligned
    // (pa is page-aligned), which the caller owns.
    unsafe {
        core::arch::asm!(
            "1:",
            "sd zero, 0({p})",
            "sd zero, 8({p})",
            "sd zero, 16({p})",
            "sd zero, 24({p})",
            "sd zero, 32({p})",
            "sd zero, 40({p})",
            "sd zero, 48({p})",
            "sd zero, 56({p})",
            "sd zero, 64({p})",
            "sd zero, 72({p})",
            "sd zero, 80({p})",
            "sd zero, 88({p})",
            "sd zero, 96({p})",
            "sd zero, 104({p})",
            "sd zero, 112({p})",
            "sd zero, 120({p})",
            "addi {p}, {p}, 128",
            "bne {p}, {end}, 1b",
            p = inout(reg) pa => _,
            end = in(reg) pa + PGSIZE,
            options(nostack),
        )
    };
}

/// Copies the page at `src` to the page at `dst`: 8 words loaded, then
/// stored, twice per round, 32 rounds. (`copy_nonoverlapping` would call
/// compiler_builtins' memcpy, one word per round.)
///
/// # Safety
/// `dst` and `src` are distinct page-aligned pages of RAM; the caller
/// owns `dst` and may read `src`.
unsafe fn pgcopy(dst: usize, src: usize) {
    // SAFETY: the loads cover [src, src + PGSIZE) and the stores [dst, dst
    // + PGSIZE) exactly, 8-byte aligned (both are page-aligned); the pages
    // differ, so no store overwrites a word not yet loaded.
    unsafe {
        core::arch::asm!(
            "1:",
            "ld {a}, 0({from})",
            "ld {b}, 8({from})",
            "ld {c}, 16({from})",
            "ld {d}, 24({from})",
            "ld {e}, 32({from})",
            "ld {f}, 40({from})",
            "ld {g}, 48({from})",
            "ld {h}, 56({from})",
            "sd {a}, 0({to})",
            "sd {b}, 8({to})",
            "sd {c}, 16({to})",
            "sd {d}, 24({to})",
            "sd {e}, 32({to})",
            "sd {f}, 40({to})",
            "sd {g}, 48({to})",
            "sd {h}, 56({to})",
            "ld {a}, 64({from})",
            "ld {b}, 72({from})",
            "ld {c}, 80({from})",
            "ld {d}, 88({from})",
            "ld {e}, 96({from})",
            "ld {f}, 104({from})",
            "ld {g}, 112({from})",
            "ld {h}, 120({from})",
            "sd {a}, 64({to})",
            "sd {b}, 72({to})",
            "sd {c}, 80({to})",
            "sd {d}, 88({to})",
            "sd {e}, 96({to})",
            "sd {f}, 104({to})",
            "sd {g}, 112({to})",
            "sd {h}, 120({to})",
            "addi {from}, {from}, 128",
            "addi {to}, {to}, 128",
            "bne {from}, {end}, 1b",
            from = inout(reg) src => _,
            to = inout(reg) dst => _,
            end = in(reg) src + PGSIZE,
            a = out(reg) _,
            b = out(reg) _,
            c = out(reg) _,
            d = out(reg) _,
            e = out(reg) _,
            f = out(reg) _,
            g = out(reg) _,
            h = out(reg) _,
            options(nostack),
        )
    };
}
