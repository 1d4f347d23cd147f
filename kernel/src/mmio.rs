//! Memory-mapped device registers (no C counterpart: xv6 casts addresses
//! in each driver's `Reg` macro). A device's register window is claimed
//! once, by the unsafe `Mmio::new`, which vouches for the addresses; the
//! registers inside are then read and written through `volatile` without
//! further `unsafe`, and an offset outside the window panics.

use core::ptr::NonNull;
use volatile::VolatilePtr;

/// The widths a register may have.
pub trait Word: Copy + sealed::Sealed {}
impl Word for u8 {}
impl Word for u32 {}
impl Word for u64 {}

mod sealed {
    // Only plain integers: a volatile read must give a valid value.
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// `len` bytes of one device's registers from physical address `base`.
#[derive(Clone, Copy)]
pub struct Mmio {
    base: usize,
    len: usize,
}

impl Mmio {
    /// # Safety
    /// `base..base + len` must be a device's registers, not RAM, reachable
    /// at these addresses for the kernel's whole life (machine mode with
    /// paging off, or the direct map kvmmake sets up), so that no access
    /// through the window can touch memory Rust owns. What the device then
    /// does with a value written (a disk's DMA addresses, say) is the
    /// driver's to get right, as in C.
    pub const unsafe fn new(base: usize, len: usize) -> Mmio {
        Mmio { base, len }
    }

    /// The `T`-wide register `off` bytes into the window.
    pub fn reg<T: Word>(&self, off: usize) -> VolatilePtr<'static, T> {
        let size = core::mem::size_of::<T>();
        if !off.is_multiple_of(size) || off >= self.len || self.len - off < size {
            panic!("mmio {:#x} + {:#x}", self.base, off);
        }
        let p = (self.base + off) as *mut T;
        // SAFETY: an aligned register inside the window new() vouched for.
        unsafe { VolatilePtr::new(NonNull::new_unchecked(p)) }
    }
}
