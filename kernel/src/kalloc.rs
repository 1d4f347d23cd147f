//! Physical page allocator: a free list of 4096-byte pages covering RAM from
//! the end of the kernel image to PHYSTOP. Used for user memory, page
//! tables, kernel stacks and pipe buffers.

use crate::memlayout::PHYSTOP;
use crate::riscv::{pg_round_up, PGSIZE};
use crate::spinlock::Spinlock;
use volatile::VolatileRef;

extern "C" {
    /// First address after the kernel image; defined by kernel.ld.
    static end: u8;
}

/// A page of RAM seen as words, aligned as a page is.
#[repr(C, align(4096))]
pub struct Page([u64; WORDS]);

static_assertions::assert_eq_size!(Page, [u8; PGSIZE]);

/// A free page; the link lives in the page itself. The list owns its
/// pages: each `&'static mut` is the only reference to its page.
#[repr(C, align(4096))]
struct Run {
    next: Option<&'static mut Run>,
}

static_assertions::assert_eq_size!(Run, Page);

struct Kmem {
    freelist: Option<&'static mut Run>,
}

static KMEM: Spinlock<Kmem> = Spinlock::new("kmem", Kmem { freelist: None });

fn kernel_end() -> usize {
    // Only the symbol's address matters, never its contents.
    (&raw const end) as usize
}

pub fn kinit() {
    // Twice would put every page on the list twice: freerange relies on
    // this running once.
    static DONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, core::sync::atomic::Ordering::AcqRel) {
        panic!("kinit twice");
    }
    freerange(kernel_end(), PHYSTOP);
}

fn freerange(pa_start: usize, pa_end: usize) {
    let mut p = pg_round_up(pa_start);
    while p + PGSIZE <= pa_end {
        // Each page starts as if one reference were held, which kfree drops.
        #[cfg(feature = "cow")]
        crate::cow::krefinit(p);
        // SAFETY: p is a page of RAM between the kernel image and PHYSTOP
        // that nothing has used yet: kinit runs once (checked there), and
        // only it calls freerange.
        unsafe { kfree(p) };
        p += PGSIZE;
    }
}

/// Returns the page at physical address `pa` to the free list.
///
/// # Safety
/// `pa` came from `kalloc` (or is part of the initial range), and the
/// caller gives up its use of it: nothing reaches the page through the
/// caller's mapping, reference or address after this call. Under cow
/// that is one reference of the page's count; others may remain.
pub unsafe fn kfree(pa: usize) {
    if unref(pa) {
        // SAFETY: pa is a page-aligned page of RAM outside the kernel
        // image (unref checked), the caller's reference was its last
        // (unref again), and by the contract above nothing else uses it:
        // this is the only reference, and any bytes are a valid Page.
        kpush(unsafe { &mut *(pa as *mut Page) });
    }
}

/// kfree's checks and bookkeeping: is `pa` a page kalloc could have handed
/// out, and was that the last reference (lab cow)? Forgets its swap copy
/// if so (lab swap). Touches no byte of the page.
fn unref(pa: usize) -> bool {
    if !pa.is_multiple_of(PGSIZE) || pa < kernel_end() || pa >= PHYSTOP {
        panic!("kfree");
    }
    // Shared pages stay until their last reference goes.
    #[cfg(feature = "cow")]
    if !crate::cow::krefdec(pa) {
        return false;
    }
    // A swap copy of the page's contents goes with it.
    #[cfg(feature = "swap")]
    crate::swap::swapforget(pa);
    true
}

/// Puts a page on the free list, junk-filled so that a use after free
/// shows up quickly as garbage.
fn kpush(page: &'static mut Page) {
    page.0.fill(0x0101_0101_0101_0101);
    // The first word becomes the link; zero is a Run whose next is None.
    page.0[0] = 0;
    // SAFETY: Run and Page have the same size and alignment (asserted
    // above), the bytes are now a valid Run (a null link is None), and
    // `page`, the only reference to the page, is given up for it here.
    let r = unsafe { &mut *(page as *mut Page as *mut Run) };
    let mut kmem = KMEM.lock();
    r.next = kmem.freelist.take();
    kmem.freelist = Some(r);
    // Counted under the list's lock, so the count matches the list.
    #[cfg(feature = "swap")]
    crate::swap::NFREE.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// A free page's words, for filling.
fn into_page(r: &'static mut Run) -> &'static mut Page {
    // SAFETY: the same size and alignment (asserted above), every bit
    // pattern is a valid Page (the link word included), and the only
    // reference to the page moves from the Run to the Page.
    unsafe { &mut *(r as *mut Run as *mut Page) }
}

/// Takes the first page off the free list, still holding kfree's junk;
/// the callers below fill it. `None` when memory is exhausted.
fn kpop() -> Option<&'static mut Page> {
    let mut kmem = KMEM.lock();
    let r = kmem.freelist.take()?;
    kmem.freelist = r.next.take();
    #[cfg(feature = "swap")]
    crate::swap::NFREE.fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
    drop(kmem);
    let page = into_page(r);
    // One reference, the caller's.
    #[cfg(feature = "cow")]
    crate::cow::krefinit(page.addr());
    Some(page)
}

impl Page {
    fn addr(&self) -> usize {
        self as *const Page as usize
    }
}

/// Allocates one 4096-byte page, or `None` when memory is exhausted.
/// The page is junk-filled, not zeroed, so a read before the first
/// write shows up as garbage.
pub fn kalloc() -> Option<usize> {
    let page = kpop()?;
    page.0.fill(0x0505_0505_0505_0505);
    Some(page.addr())
}

/// Allocates a zero-filled page. No junk first: every byte is written.
pub fn kzalloc() -> Option<usize> {
    let page = kpop()?;
    pgzero(page);
    Some(page.addr())
}

/// The page at physical address `pa`, to read (kcopy's source).
///
/// # Safety
/// `pa` is a page-aligned page of RAM that nothing writes while the
/// reference lives (a page the caller maps and holds still).
pub unsafe fn kpage<'a>(pa: usize) -> &'a Page {
    // SAFETY: the caller's contract; any bytes are a valid Page.
    unsafe { &*(pa as *const Page) }
}

/// Allocates a page holding a copy of page `src` (fork's copy, a
/// copy-on-write fault's). No junk first: every byte is written. The
/// source is in use, so it is not the free page kpop takes.
pub fn kcopy(src: &Page) -> Option<usize> {
    let page = kpop()?;
    pgcopy(page, src);
    Some(page.addr())
}

/// Words stored or copied per round of pgzero and pgcopy. Each round is
/// a fixed 16 volatile word accesses, which the compiler unrolls into 16
/// stores (or 16 loads, then 16 stores): no call, no test per word.
/// (`write_bytes` and `copy_nonoverlapping` would call compiler_builtins'
/// memset and memcpy, which move one word per round.)
const ROW: usize = 16;
const WORDS: usize = PGSIZE / 8;

/// Zeroes a page, a row of words at a time.
fn pgzero(page: &mut Page) {
    for row in page.0.chunks_exact_mut(ROW) {
        for w in row {
            VolatileRef::from_mut_ref(w).as_mut_ptr().write(0);
        }
    }
}

/// Copies page `from` to page `to`, a row at a time.
fn pgcopy(to: &mut Page, from: &Page) {
    for (dst, src) in to.0.chunks_exact_mut(ROW).zip(from.0.chunks_exact(ROW)) {
        let mut buf = [0u64; ROW];
        for (v, w) in buf.iter_mut().zip(src) {
            *v = VolatileRef::from_ref(w).as_ptr().read();
        }
        for (w, v) in dst.iter_mut().zip(buf) {
            VolatileRef::from_mut_ref(w).as_mut_ptr().write(v);
        }
    }
}
