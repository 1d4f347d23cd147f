//! The global allocator: xv6's umalloc (K&R's first-fit free list), growing
//! the heap with `sbrk` in chunks of at least 4096 units.
//!
//! User programs are single-threaded, so the free list needs no lock; the
//! `UnsafeCell` is only touched through the allocator calls.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

/// Free-list block header; 16 bytes, so every block is 16-byte aligned.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Header {
    next: *mut Header,
    /// Size of this block in `Header` units, header included.
    size: usize,
}

const UNIT: usize = core::mem::size_of::<Header>();

struct State {
    base: Header,
    freep: *mut Header,
}

pub struct Umalloc(UnsafeCell<State>);

// SAFETY: xv6 user programs have one thread; nothing shares the allocator.
unsafe impl Sync for Umalloc {}

#[global_allocator]
static ALLOC: Umalloc = Umalloc(UnsafeCell::new(State {
    base: Header {
        next: null_mut(),
        size: 0,
    },
    freep: null_mut(),
}));

impl State {
    /// Returns block `ap` (a pointer just past its header) to the free list,
    /// merging it with free neighbours.
    unsafe fn free(&mut self, ap: *mut u8) {
        // SAFETY: ap came from malloc, so a header sits just before it, and
        // every pointer on the list is a live free block.
        unsafe {
            let bp = (ap as *mut Header).sub(1);
            let mut p = self.freep;
            while !(bp > p && bp < (*p).next) {
                if p >= (*p).next && (bp > p || bp < (*p).next) {
                    break;
                }
                p = (*p).next;
            }
            if bp.add((*bp).size) == (*p).next {
                (*bp).size += (*(*p).next).size;
                (*bp).next = (*(*p).next).next;
            } else {
                (*bp).next = (*p).next;
            }
            if p.add((*p).size) == bp {
                (*p).size += (*bp).size;
                (*p).next = (*bp).next;
            } else {
                (*p).next = bp;
            }
            self.freep = p;
        }
    }

    /// Asks the kernel for at least `nu` more units.
    unsafe fn morecore(&mut self, nu: usize) -> *mut Header {
        let nu = nu.max(4096);
        let Ok(bytes) = i32::try_from(nu * UNIT) else {
            return null_mut();
        };
        let p = crate::sbrk(bytes);
        if p as isize == -1 {
            return null_mut();
        }
        let hp = p as *mut Header;
        // SAFETY: sbrk just gave us nu * UNIT fresh bytes at hp.
        unsafe {
            (*hp).size = nu;
            self.free(hp.add(1) as *mut u8);
        }
        self.freep
    }

    unsafe fn malloc(&mut self, nbytes: usize) -> *mut u8 {
        let nunits = nbytes.div_ceil(UNIT) + 1;
        // SAFETY: the list only holds free blocks we carved from sbrk memory.
        unsafe {
            if self.freep.is_null() {
                let base = &raw mut self.base;
                self.base.next = base;
                self.base.size = 0;
                self.freep = base;
            }
            let mut prevp = self.freep;
            let mut p = (*prevp).next;
            loop {
                if (*p).size >= nunits {
                    if (*p).size == nunits {
                        (*prevp).next = (*p).next;
                    } else {
                        (*p).size -= nunits;
                        p = p.add((*p).size);
                        (*p).size = nunits;
                    }
                    self.freep = prevp;
                    return p.add(1) as *mut u8;
                }
                if p == self.freep {
                    p = self.morecore(nunits);
                    if p.is_null() {
                        return null_mut();
                    }
                }
                prevp = p;
                p = (*p).next;
            }
        }
    }
}

// SAFETY: blocks are 16-byte aligned and never overlap; larger alignments
// are refused (null), which GlobalAlloc allows.
unsafe impl GlobalAlloc for Umalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > UNIT {
            return null_mut();
        }
        // SAFETY: single-threaded program; no other reference to the state is live.
        unsafe { (*self.0.get()).malloc(layout.size()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: ptr came from alloc above; single-threaded.
        unsafe { (*self.0.get()).free(ptr) }
    }
}

/// C-style `malloc` for programs that manage raw memory (usertests).
pub fn malloc(n: usize) -> *mut u8 {
    // SAFETY: single-threaded; see Umalloc.
    unsafe { (*ALLOC.0.get()).malloc(n) }
}

/// C-style `free` of a pointer from [`malloc`].
///
/// # Safety
/// `p` must come from `malloc` and not be freed twice.
pub unsafe fn free(p: *mut u8) {
    // SAFETY: caller's contract; single-threaded.
    unsafe { (*ALLOC.0.get()).free(p) }
}
