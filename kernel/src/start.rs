//! Machine-mode start-up: entry.S jumps here on every hart with a boot
//! stack. Set up supervisor mode and the timer, then `mret` into main().

use crate::memlayout::{clint_mtimecmp, CLINT, CLINT_MTIME, CLINT_SIZE};
use crate::mmio::Mmio;
use crate::riscv::*;
use abi::param::NCPU;
use core::sync::atomic::{AtomicUsize, Ordering};

core::arch::global_asm!(include_str!("../asm/entry.S"));

/// Cycles between timer interrupts: about 1/10 s under QEMU.
const INTERVAL: usize = 1_000_000;

/// Per-hart scratch space for timervec: three saved registers, the address
/// of the hart's mtimecmp, and the interval. Atomics (the layout of
/// usize) because timervec writes the row behind the compiler's back.
static TIMER_SCRATCH: [[AtomicUsize; 5]; NCPU] =
    [const { [const { AtomicUsize::new(0) }; 5] }; NCPU];

extern "C" {
    fn timervec();
}

#[unsafe(no_mangle)]
extern "C" fn start() -> ! {
    // Each CSR write below is this hart's machine-mode boot, once, before
    // any supervisor code runs; each sets what main() expects to find.

    // mret will "return" to supervisor mode, at main.
    let mut x = r_mstatus();
    x &= !MSTATUS_MPP_MASK;
    x |= MSTATUS_MPP_S;
    // SAFETY: boot (see above): only MPP changes, to supervisor, the mode
    // the mret below enters; interrupts stay off (MIE unchanged, clear).
    unsafe { w_mstatus(x) };
    // SAFETY: boot: mret's target address, main.
    unsafe { w_mepc(crate::main as *const () as usize) };

    // Paging off for now.
    // SAFETY: boot: satp only translates supervisor and user accesses;
    // main starts on physical addresses and turns paging on itself.
    unsafe { w_satp(0) };

    // Hand all exceptions and interrupts to supervisor mode. main installs
    // stvec before it turns sstatus.SIE on.
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
    // SAFETY: boot: tp holds the hart id from here on, as cpuid() expects.
    unsafe { w_tp(r_mhartid()) };

    // SAFETY: boot is done: mret enters main (mepc) in supervisor mode
    // (MPP), on this hart's boot stack, with tp holding the hart id.
    unsafe { core::arch::asm!("mret", options(noreturn)) }
}

// SAFETY: the core-local interruptor's registers, in machine mode with
// paging off (they are not in the kernel's page table).
static CLINT_REGS: Mmio = unsafe { Mmio::new(CLINT, CLINT_SIZE) };

/// Arms this hart's machine-mode timer; timervec turns each tick into a
/// supervisor software interrupt. Safe to call: only start() runs in
/// machine mode, and elsewhere the first CSR read traps (a panic).
fn timerinit() {
    let id = r_mhartid();
    let mtime: u64 = CLINT_REGS.reg(CLINT_MTIME - CLINT).read();
    let mtimecmp = clint_mtimecmp(id);
    CLINT_REGS
        .reg(mtimecmp - CLINT)
        .write(mtime + INTERVAL as u64);

    let scratch = &TIMER_SCRATCH[id];
    scratch[3].store(mtimecmp, Ordering::Relaxed);
    scratch[4].store(INTERVAL, Ordering::Relaxed);
    // SAFETY: timervec stores three registers at mscratch and reads
    // mtimecmp's address and the interval after them: this hart's row,
    // five words that no other hart's timervec uses, alive for ever.
    unsafe { w_mscratch(scratch.as_ptr() as usize) };

    // SAFETY: boot: timervec is the machine-mode trap handler.
    unsafe { w_mtvec(timervec as *const () as usize) };
    // Lab swap: swapvec takes other harts' kicks too, and hands timer
    // interrupts on to timervec.
    #[cfg(feature = "swap")]
    {
        // SAFETY: boot: swapvec is the machine-mode trap handler; it
        // uses mscratch's row as timervec does, set above.
        unsafe { w_mtvec(crate::swap::swapvec as *const () as usize) };
        w_mie(r_mie() | crate::swap::MIE_MSIE);
    }
    // SAFETY: boot: with mtvec and mscratch set, timer interrupts may come.
    unsafe { w_mstatus(r_mstatus() | MSTATUS_MIE) };
    w_mie(r_mie() | MIE_MTIE);
}
