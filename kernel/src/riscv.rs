//! RISC-V privileged-architecture helpers: CSR access, page-table entry
//! format and Sv39 address arithmetic (xv6's `riscv.h`).

use core::arch::asm;

// ---- machine mode ----

/// mstatus.MPP: the mode `mret` returns to.
pub const MSTATUS_MPP_MASK: usize = 3 << 11;
pub const MSTATUS_MPP_S: usize = 1 << 11;
/// mstatus.MIE: machine-mode interrupts enabled.
pub const MSTATUS_MIE: usize = 1 << 3;
/// mie.MTIE: machine timer interrupt enabled.
pub const MIE_MTIE: usize = 1 << 7;

// ---- supervisor mode ----

/// sstatus.SPP: previous mode, 1 = supervisor, 0 = user.
pub const SSTATUS_SPP: usize = 1 << 8;
/// sstatus.SPIE: supervisor interrupts were enabled before the trap.
pub const SSTATUS_SPIE: usize = 1 << 5;
/// sstatus.SIE: supervisor interrupts enabled.
pub const SSTATUS_SIE: usize = 1 << 1;
/// sie bits: external, timer (software, forwarded by timervec), software.
pub const SIE_SEIE: usize = 1 << 9;
pub const SIE_STIE: usize = 1 << 5;
pub const SIE_SSIE: usize = 1 << 1;

macro_rules! csr_read {
    ($name:ident, $csr:literal) => {
        #[inline(always)]
        pub fn $name() -> usize {
            let x: usize;
            // SAFETY: reading this CSR has no side effects.
            unsafe { asm!(concat!("csrr {}, ", $csr), out(reg) x, options(nomem, nostack)) };
            x
        }
    };
}

macro_rules! csr_write {
    ($name:ident, $csr:literal) => {
        /// # Safety
        /// The value decides where code runs or how memory is reached (a
        /// trap vector, a return address, the page table, a scratch
        /// pointer, a mode): the caller vouches that it is right.
        #[inline(always)]
        pub unsafe fn $name(x: usize) {
            // SAFETY: the caller upholds the CSR's contract.
            unsafe { asm!(concat!("csrw ", $csr, ", {}"), in(reg) x, options(nostack)) };
        }
    };
}

/// A write to a CSR whose every value is harmless to memory safety: it
/// only picks which installed handler takes a trap, masks or unmasks
/// interrupts behind the global enable bit, makes accesses fault, or lets
/// a lower mode read a counter. The reason for each is at its line below.
/// From supervisor mode a machine-mode CSR write traps, a kernel panic.
macro_rules! csr_write_harmless {
    ($name:ident, $csr:literal) => {
        #[inline(always)]
        pub fn $name(x: usize) {
            // SAFETY: the CSR is one of the harmless ones (see the macro).
            unsafe { asm!(concat!("csrw ", $csr, ", {}"), in(reg) x, options(nostack)) };
        }
    };
}

csr_read!(r_mhartid, "mhartid");
csr_read!(r_mstatus, "mstatus");
csr_write!(w_mstatus, "mstatus");
csr_write!(w_mepc, "mepc");
csr_read!(r_sstatus, "sstatus");
csr_write!(w_sstatus, "sstatus");
csr_read!(r_sip, "sip");
csr_write!(w_sip, "sip");
csr_read!(r_sie, "sie");
// Per-source enables: an interrupt still needs sstatus.SIE.
csr_write_harmless!(w_sie, "sie");
csr_read!(r_mie, "mie");
// Per-source enables: an interrupt still needs mstatus.MIE.
csr_write_harmless!(w_mie, "mie");
csr_read!(r_sepc, "sepc");
csr_write!(w_sepc, "sepc");
// Which mode's handler (stvec's or mtvec's) takes each trap.
csr_write_harmless!(w_medeleg, "medeleg");
csr_write_harmless!(w_mideleg, "mideleg");
csr_write!(w_stvec, "stvec");
csr_write!(w_mtvec, "mtvec");
// Physical memory protection can only make accesses fault.
csr_write_harmless!(w_pmpcfg0, "pmpcfg0");
csr_write_harmless!(w_pmpaddr0, "pmpaddr0");
csr_read!(r_satp, "satp");
csr_write!(w_satp, "satp");
csr_write!(w_mscratch, "mscratch");
csr_read!(r_scause, "scause");
csr_read!(r_stval, "stval");
// Which counters lower modes may read.
csr_write_harmless!(w_mcounteren, "mcounteren");
csr_write_harmless!(w_scounteren, "scounteren");

/// Enables supervisor-mode device interrupts.
#[inline(always)]
pub fn intr_on() {
    // SAFETY: setting SIE only lets pending interrupts in; trap handlers are installed.
    unsafe { w_sstatus(r_sstatus() | SSTATUS_SIE) }
}

/// Disables supervisor-mode device interrupts.
#[inline(always)]
pub fn intr_off() {
    // SAFETY: clearing SIE only masks interrupts.
    unsafe { w_sstatus(r_sstatus() & !SSTATUS_SIE) }
}

/// Are device interrupts enabled?
#[inline(always)]
pub fn intr_get() -> bool {
    r_sstatus() & SSTATUS_SIE != 0
}

/// The thread pointer, which holds this hart's id (cpuid) in the kernel.
#[inline(always)]
pub fn r_tp() -> usize {
    let x: usize;
    // SAFETY: reading a register.
    unsafe { asm!("mv {}, tp", out(reg) x, options(nomem, nostack)) };
    x
}

/// # Safety
/// tp must hold this hart's id whenever kernel code runs.
#[inline(always)]
pub unsafe fn w_tp(x: usize) {
    // SAFETY: caller's contract.
    unsafe { asm!("mv tp, {}", in(reg) x, options(nomem, nostack)) };
}

/// Flushes all TLB entries.
#[inline(always)]
pub fn sfence_vma() {
    // SAFETY: a TLB flush never breaks memory safety.
    unsafe { asm!("sfence.vma zero, zero", options(nostack)) };
}

// ---- paging (Sv39) ----

pub const PGSIZE: usize = 4096;
pub const PGSHIFT: usize = 12;

pub const fn pg_round_up(sz: usize) -> usize {
    (sz + PGSIZE - 1) & !(PGSIZE - 1)
}

pub const fn pg_round_down(a: usize) -> usize {
    a & !(PGSIZE - 1)
}

bitflags::bitflags! {
    /// Flag bits of a page-table entry.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: usize {
        const V = 1 << 0;
        const R = 1 << 1;
        const W = 1 << 2;
        const X = 1 << 3;
        const U = 1 << 4;
        /// Accessed: the MMU sets it on any access through this entry.
        const A = 1 << 6;
        /// Dirty: the MMU sets it on a user store through this entry.
        const D = 1 << 7;
        /// First RSW bit, free for software: marks a copy-on-write page.
        const COW = 1 << 8;
        /// Second RSW bit: the page is on the swap disk (V is clear, and the
        /// page-number field holds its swap slot).
        const SWAP = 1 << 9;
    }
}

/// A page-table entry: physical page number in bits 10.., flags below.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pte(pub usize);

impl Pte {
    pub const fn new(pa: usize, flags: PteFlags) -> Pte {
        Pte(((pa >> 12) << 10) | flags.bits())
    }
    pub fn pa(self) -> usize {
        (self.0 >> 10) << 12
    }
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0 & 0x3FF)
    }
    pub fn is_valid(self) -> bool {
        self.flags().contains(PteFlags::V)
    }
    /// A leaf maps a page; a non-leaf points at the next level's table.
    pub fn is_leaf(self) -> bool {
        self.flags()
            .intersects(PteFlags::R | PteFlags::W | PteFlags::X)
    }
}

/// Index into the page table at `level` (2 = root) for virtual address `va`.
pub const fn px(level: usize, va: usize) -> usize {
    (va >> (PGSHIFT + 9 * level)) & 0x1FF
}

/// One past the highest virtual address Sv39 allows us; xv6 uses one bit
/// less than the maximum to avoid sign-extending the top bit.
pub const MAXVA: usize = 1 << (9 + 9 + 9 + 12 - 1);

/// satp value for a root page table at physical address `pagetable`.
pub const fn make_satp(pagetable: usize) -> usize {
    (8 << 60) | (pagetable >> 12)
}
