//! Fixed points of every user address space (the kernel's memlayout), for
//! programs that aim at them on purpose, such as the attack programs.

pub const PGSIZE: usize = 4096;
/// One past the highest user virtual address (Sv39, as xv6 uses it).
pub const MAXVA: usize = 1 << 38;
/// The trampoline page: mapped in every process, for the kernel only.
pub const TRAMPOLINE: usize = MAXVA - PGSIZE;
/// The process's trapframe page, for the kernel only.
pub const TRAPFRAME: usize = TRAMPOLINE - PGSIZE;
/// Where the kernel and physical RAM start.
pub const KERNBASE: usize = 0x8000_0000;
