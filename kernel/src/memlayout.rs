//! Physical and virtual memory layout of QEMU's `virt` machine as xv6 uses it.
//!
//! Physical: 0x0200_0000 CLINT, 0x0C00_0000 PLIC, 0x1000_0000 UART0,
//! 0x1000_1000 virtio disk, 0x8000_0000 RAM (the kernel is loaded here).
//! The kernel maps all of this at the same virtual addresses (direct map),
//! plus the trampoline and per-process kernel stacks at the top.

use crate::riscv::{MAXVA, PGSIZE};

pub const UART0: usize = 0x1000_0000;
pub const UART0_IRQ: u32 = 10;

pub const VIRTIO0: usize = 0x1000_1000;
pub const VIRTIO0_IRQ: u32 = 1;

/// The swap disk (lab `swap`): QEMU's next virtio-mmio slot.
#[cfg(feature = "swap")]
pub const VIRTIO1: usize = 0x1000_2000;
#[cfg(feature = "swap")]
pub const VIRTIO1_IRQ: u32 = 2;

/// Core-local interruptor: the machine-mode timer.
pub const CLINT: usize = 0x200_0000;
pub const CLINT_SIZE: usize = 0x1_0000;
pub const fn clint_mtimecmp(hart: usize) -> usize {
    CLINT + 0x4000 + 8 * hart
}
/// Cycles since boot.
pub const CLINT_MTIME: usize = CLINT + 0xBFF8;

/// Platform-level interrupt controller.
pub const PLIC: usize = 0x0c00_0000;
pub const PLIC_SIZE: usize = 0x40_0000;
pub const fn plic_senable(hart: usize) -> usize {
    PLIC + 0x2080 + hart * 0x100
}
pub const fn plic_spriority(hart: usize) -> usize {
    PLIC + 0x20_1000 + hart * 0x2000
}
pub const fn plic_sclaim(hart: usize) -> usize {
    PLIC + 0x20_1004 + hart * 0x2000
}

/// RAM from KERNBASE to PHYSTOP is for the kernel and user pages.
pub const KERNBASE: usize = 0x8000_0000;
pub const PHYSTOP: usize = KERNBASE + 128 * 1024 * 1024;

/// The trampoline page sits at the top of every address space.
pub const TRAMPOLINE: usize = MAXVA - PGSIZE;

// Pages in each process's kernel stack. Rust frames are larger than C's,
// so the stack is painted and its deepest use measured
// (`kstack::kstack_report`); `make test` fails if any process used more than
// 75% of it, the sign to raise this (the guard pages stay).

/// One, as in xv6.
#[cfg(not(any(feature = "mmap", feature = "demand")))]
pub const KSTACK_PAGES: usize = 1;
/// Two with the labs that read a file in a page fault: a system call's
/// copy from user memory (exec's arguments, say) may fault and run the
/// whole file and disk path from inside the system call, with an
/// interrupt on top, which does not fit in one page with room to spare.
#[cfg(any(feature = "mmap", feature = "demand"))]
pub const KSTACK_PAGES: usize = 2;
pub const KSTACK_SIZE: usize = KSTACK_PAGES * PGSIZE;

/// Kernel stack of process slot `p` (its lowest address), each with an
/// unmapped guard page below it.
pub const fn kstack(p: usize) -> usize {
    TRAMPOLINE - (p + 1) * (KSTACK_PAGES + 1) * PGSIZE
}

/// Each process's trapframe page, just under the trampoline in user space.
pub const TRAPFRAME: usize = TRAMPOLINE - PGSIZE;
