//! Lab zfod: zero fill on demand. Heap that lazy's sbrk promised and that
//! is only read maps one page of zeros, the kernel's, read-only; the
//! first store to such a page gets a private zeroed page instead.

use crate::kalloc::kzalloc;
use crate::pftrace::{Fault, Why};
use crate::riscv::{Pte, PteFlags, PGSIZE};
use crate::vm::{mappages, PageTable, PteSlot};

/// The page of zeros that every page of heap only read so far maps.
#[repr(C, align(4096))]
struct ZeroPage([u8; PGSIZE]);

/// Part of the kernel image, so kfree refuses it; nothing writes it (user
/// mappings of it have no PTE_W, and user_page checks PTE_W).
static ZERO_PAGE: ZeroPage = ZeroPage([0; PGSIZE]);

/// Physical address of the zero page: the kernel maps RAM at its physical
/// address, so that is the static's address.
pub fn zero_page() -> usize {
    (&raw const ZERO_PAGE) as usize
}

/// Maps the zero page at `va0`, read-only: a load from untouched heap.
pub fn uvmzeromap(pagetable: PageTable, va0: usize) -> Result<Fault, Why> {
    let perm = PteFlags::R | PteFlags::U;
    match mappages(pagetable, va0, PGSIZE, zero_page(), perm) {
        Ok(()) => Ok(Fault::ZeroPage),
        Err(_) => Err(Why::NoMemory),
    }
}

/// Replaces the zero page behind `slot` with a fresh zeroed page, mapped
/// writable: the first store to heap that was only read until now.
pub fn uvmzfodalloc(slot: &PteSlot) -> Result<Fault, Why> {
    let mem = kzalloc().ok_or(Why::NoMemory)?;
    slot.set(Pte::new(mem, slot.get().flags() | PteFlags::W));
    Ok(Fault::ZeroFill)
}
