//! Machine-mode start-up: entry.S jumps here on every hart with a boot
//! stack. Set up supervisor mode and the timer, then `mret` into main().

use crate::memlayout::{clint_mtimecmp, CLINT_MTIME};
use crate::riscv::*;
use abi::param::NCPU;
use core::cell::UnsafeCell;

core::arch::global_asm!(include_str!("../asm/entry.S"));

/// Cycles between timer interrupts: about 1/10 s under QEMU.
const INTERVAL: usize = 1_000_000;

/// Per-hart scratch space for timervec: three saved registers, the address
/// of the hart's mtimecmp, and the interval.
struct TimerScratch(UnsafeCell<[[usize; 5]; NCPU]>);
// SAFETY: each hart touches only its own row (in timerinit and timervec).
unsafe impl Sync for TimerScratch {}
static TIMER_SCRATCH: TimerScratch = TimerScratch(UnsafeCell::new([[0; 5]; NCPU]));

extern "C" {
    fn timervec();
}

#[unsafe(no_mangle)]
extern "C" fn start() -> ! {
    // SAFETY: this is the machine-mode boot sequence; each CSR write sets
    // up exactly what the supervisor-mode kernel expects.
    unsafe {
        // mret will "return" to supervisor mode, at main.
        let mut x = r_mstatus();
        x &= !MSTATUS_MPP_MASK;
        x |= MSTATUS_MPP_S;
        w_mstatus(x);
        w_mepc(crate::main as *const () as usize);

        // Paging off for now.
        w_satp(0);

        // Hand all exceptions and interrupts to supervisor mode.
        w_medeleg(0xffff);
        w_mideleg(0xffff);
        w_sie(r_sie() | SIE_SEIE | SIE_STIE | SIE_SSIE);

        // Let supervisor mode access all of physical memory.
        w_pmpaddr0(0x3f_ffff_ffff_ffff);
        w_pmpcfg0(0xf);

        // Our one extension to xv6: let supervisor and user mode read the
        // time CSR (rdtime), so benchmarks can time themselves precisely.
        w_mcounteren(2);
        w_scounteren(2);

        timerinit();

        // cpuid() reads the hart id from tp.
        w_tp(r_mhartid());

        core::arch::asm!("mret", options(noreturn));
    }
}

/// Arms this hart's machine-mode timer; timervec turns each tick into a
/// supervisor software interrupt.
unsafe fn timerinit() {
    let id = r_mhartid();
    // SAFETY: CLINT registers are MMIO, identity-mapped (paging is off);
    // the scratch row is this hart's alone.
    unsafe {
        let mtime = core::ptr::read_volatile(CLINT_MTIME as *const usize);
        core::ptr::write_volatile(clint_mtimecmp(id) as *mut usize, mtime + INTERVAL);

        let scratch = &mut (*TIMER_SCRATCH.0.get())[id];
        scratch[3] = clint_mtimecmp(id);
        scratch[4] = INTERVAL;
        w_mscratch(scratch.as_mut_ptr() as usize);

        w_mtvec(timervec as *const () as usize);
        w_mstatus(r_mstatus() | MSTATUS_MIE);
        w_mie(r_mie() | MIE_MTIE);
    }
}
