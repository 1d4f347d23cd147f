//! The RISC-V platform-level interrupt controller: routes UART and disk
//! interrupts to the harts' supervisor mode.

use crate::memlayout::{plic_sclaim, plic_senable, plic_spriority, PLIC, PLIC_SIZE};
use crate::memlayout::{UART0_IRQ, VIRTIO0_IRQ};
use crate::mmio::Mmio;
use crate::proc::cpuid;
use volatile::VolatilePtr;

// SAFETY: the PLIC's registers, direct-mapped by kvmmake.
static PLIC_REGS: Mmio = unsafe { Mmio::new(PLIC, PLIC_SIZE) };

/// The 32-bit register at `addr` (memlayout gives absolute addresses).
fn reg(addr: usize) -> VolatilePtr<'static, u32> {
    PLIC_REGS.reg(addr - PLIC)
}

pub fn plicinit() {
    // A non-zero priority enables the source.
    reg(PLIC + UART0_IRQ as usize * 4).write(1);
    reg(PLIC + VIRTIO0_IRQ as usize * 4).write(1);
    #[cfg(feature = "swap")]
    reg(PLIC + crate::memlayout::VIRTIO1_IRQ as usize * 4).write(1);
}

pub fn plicinithart() {
    let hart = cpuid();
    // Take UART and disk interrupts on this hart, at any priority above 0.
    let irqs = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ);
    #[cfg(feature = "swap")]
    let irqs = irqs | (1 << crate::memlayout::VIRTIO1_IRQ);
    reg(plic_senable(hart)).write(irqs);
    reg(plic_spriority(hart)).write(0);
}

/// Which interrupt should we serve? 0 if none.
pub fn plic_claim() -> u32 {
    reg(plic_sclaim(cpuid())).read()
}

/// Tells the PLIC we are done with `irq`.
pub fn plic_complete(irq: u32) {
    reg(plic_sclaim(cpuid())).write(irq);
}
