//! Traps: system calls, exceptions and device interrupts, from user space
//! (via the trampoline) and from the kernel (via kernelvec).

use crate::memlayout::{KSTACK_SIZE, TRAMPOLINE, UART0_IRQ, VIRTIO0_IRQ};
use crate::plic::{plic_claim, plic_complete};
use crate::proc::{
    cpuid, exit, killed, myproc, r#yield, setkilled, try_myproc, wakeup, ProcStateKind,
};
use crate::riscv::*;
use crate::spinlock::{holding_spinlock, Spinlock};
use crate::syscall::syscall;
use crate::uart::uartintr;
use crate::virtio_disk::{virtio_disk_intr, FSDISK};
use crate::vm::{trampoline_addr, whynot, Access, Fault, Why};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

core::arch::global_asm!(include_str!("../asm/kernelvec.S"));
core::arch::global_asm!(
    include_str!("../asm/trampoline.S"),
    TRAPFRAME = const crate::memlayout::TRAPFRAME,
);

extern "C" {
    fn kernelvec();
    fn uservec();
    fn userret();
}

/// Timer ticks since boot; sleepers wait on its address.
pub static TICKS: Spinlock<u32> = Spinlock::new("time", 0);

/// The address sleep() uses as the channel for tick waiters.
pub fn ticks_chan() -> usize {
    &TICKS as *const _ as usize
}

/// scause values we handle.
const SCAUSE_INTERRUPT: usize = 1 << 63;
const SCAUSE_ECALL_U: usize = 8;

/// What `devintr` found.
#[derive(PartialEq, Eq)]
enum Intr {
    None,
    Device,
    Timer,
}

pub fn trapinit() {}

/// Takes exceptions and traps while in the kernel.
pub fn trapinithart() {
    // SAFETY: kernelvec saves and restores all registers around kerneltrap.
    unsafe { w_stvec(kernelvec as *const () as usize) };
}

/// Handles an interrupt, exception or system call from user space.
/// Called from the trampoline (uservec).
#[unsafe(no_mangle)]
pub extern "C" fn usertrap() {
    if r_sstatus() & SSTATUS_SPP != 0 {
        panic!("usertrap: not from user mode");
    }
    // We are in the kernel now: kernel traps go to kerneltrap.
    // SAFETY: see trapinithart.
    unsafe { w_stvec(kernelvec as *const () as usize) };

    let p = myproc();
    p.data().trapframe().epc = r_sepc();

    let scause = r_scause();
    let mut which = Intr::None;
    if scause == SCAUSE_ECALL_U {
        if killed(p) {
            exit(-1);
        }
        // Return past the ecall instruction.
        p.data().trapframe().epc += 4;
        // sepc, scause and sstatus are saved by now, so interrupts are safe.
        intr_on();
        syscall();
    } else {
        which = devintr();
        // A page fault that a lab resolves is no error; anything else kills.
        if which == Intr::None {
            if let Err(why) = pagefault(p, scause) {
                let st = p.lock.lock().pid;
                crate::println!("usertrap(): unexpected scause {:#x} pid={}", scause, st);
                crate::println!("            sepc={:#x} stval={:#x}", r_sepc(), r_stval());
                crate::println!("            {}", Cause(scause, why));
                setkilled(p);
            }
        }
    }

    if killed(p) {
        exit(-1);
    }
    // Give up the CPU on a timer tick.
    if which == Intr::Timer {
        // Lab swap: back at the user boundary it holds no page, so others
        // may take its pages while it waits for a hart.
        #[cfg(feature = "swap")]
        let _quiet = crate::swap::quiet();
        r#yield();
    }
    usertrapret();
}

/// A page fault (12, 13, 15) from user mode: offered to the labs'
/// handler and traced. Fails with why the process must die; `None` for
/// an exception that is no page fault.
fn pagefault(p: &crate::proc::Proc, scause: usize) -> Result<(), Option<Why>> {
    let access = match scause {
        12 => Access::Fetch,
        13 => Access::Load,
        15 => Access::Store,
        _ => return Err(None),
    };
    let va = r_stval();
    let (pagetable, sz) = {
        let d = p.data();
        (d.pagetable(), d.sz)
    };
    let how: Result<Fault, Why> = Err(Why::Unclaimed);
    #[cfg(any(
        feature = "lazy",
        feature = "cow",
        feature = "mmap",
        feature = "demand",
        feature = "swap"
    ))]
    let how = {
        let offered = access != Access::Fetch;
        // A mapped file may be PROT_EXEC, program text is read on demand, and
        // it may be out on the swap disk: instruction faults (12) too.
        #[cfg(any(feature = "mmap", feature = "demand", feature = "swap"))]
        let offered = offered || access == Access::Fetch;
        if offered {
            crate::vm::uvmfault(pagetable, sz, va, access == Access::Store)
        } else {
            how
        }
    };
    let how = how.map_err(|why| match why {
        Why::Unclaimed => whynot(pagetable, sz, va, access),
        why => why,
    });
    pftrace(access, va, how, false);
    how.map(|_| ()).map_err(Some)
}

/// scause decoded, and for a page fault why it was refused: the third
/// line of a kill.
struct Cause(usize, Option<Why>);

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        // The exception codes of scause (the RISC-V privileged spec).
        let name = match self.0 {
            0 => "instruction address misaligned",
            1 => "instruction access fault",
            2 => "illegal instruction",
            3 => "breakpoint",
            4 => "load address misaligned",
            5 => "load access fault",
            6 => "store address misaligned",
            7 => "store access fault",
            9 => "environment call from S-mode",
            12 => "instruction page fault",
            13 => "load page fault",
            15 => "store page fault",
            _ => "unknown exception",
        };
        match self.1 {
            Some(why) => write!(f, "{}: {}", name, why),
            None => f.write_str(name),
        }
    }
}

/// Page-fault tracing, flipped by ^T at the console (`pftrace_toggle`).
static PFTRACE: AtomicBool = AtomicBool::new(false);
/// Trace lines printed since the last timer tick; past the limit, faults
/// (but kills) are only counted in `PFDROPPED`, which the next tick reports.
static PFSHOWN: AtomicU32 = AtomicU32::new(0);
static PFDROPPED: AtomicU32 = AtomicU32::new(0);
/// A fault storm prints at most this many lines per tick (100 ms).
const PFLINES_PER_TICK: u32 = 20;

/// ^T: page-fault tracing on or off.
pub fn pftrace_toggle() {
    PFSHOWN.store(0, Ordering::Relaxed);
    let on = !PFTRACE.fetch_xor(true, Ordering::Relaxed);
    crate::println!("pf: tracing {}", if on { "on" } else { "off" });
    if !on {
        pfdropped();
    }
}

/// Traces one user page fault: `sys` if a system call's copy took it.
/// Off, it costs one load.
#[inline]
pub fn pftrace(access: Access, va: usize, how: Result<Fault, Why>, sys: bool) {
    if PFTRACE.load(Ordering::Relaxed) {
        pfprint(access, va, how, sys);
    }
}

/// Out of line: printing takes stack, and faults come deep in system calls.
#[cold]
#[inline(never)]
fn pfprint(access: Access, va: usize, how: Result<Fault, Why>, sys: bool) {
    // Under a spin lock (a copy inside a pipe's or the console's lock) the
    // line is only counted: the print would hold up the lock's waiters.
    // A kill always shows: each ends a process, so they cannot storm.
    let kill = how.is_err() && !sys;
    if holding_spinlock() || (!kill && PFSHOWN.fetch_add(1, Ordering::Relaxed) >= PFLINES_PER_TICK)
    {
        PFDROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let p = myproc();
    let pid = p.lock.lock().pid;
    let by = if sys { " (syscall)" } else { "" };
    match how {
        Ok(done) => crate::println!(
            "pf: pid={} {} {} {:#x}{}: {}",
            pid,
            p.name_unlocked(),
            access,
            va,
            by,
            done
        ),
        Err(why) => crate::println!(
            "pf: pid={} {} {} {:#x}{}: {}: {}",
            pid,
            p.name_unlocked(),
            access,
            va,
            by,
            if sys { "error (-1)" } else { "kill" },
            why
        ),
    }
}

/// Reports the faults the rate limit kept off the console.
fn pfdropped() {
    let n = PFDROPPED.swap(0, Ordering::Relaxed);
    if n > 0 {
        crate::println!("pf: {} faults not shown", n);
    }
}

/// Returns to user space through the trampoline.
pub fn usertrapret() -> ! {
    let p = myproc();
    // Traps must go to uservec from here on, but we are still in the
    // kernel until sret: keep interrupts off until then.
    intr_off();

    let tramp = trampoline_addr();
    // SAFETY: uservec is inside the trampoline page, mapped at TRAMPOLINE.
    unsafe { w_stvec(TRAMPOLINE + (uservec as *const () as usize - tramp)) };

    // What uservec needs on the next trap.
    let mut d = p.data();
    let satp = make_satp(d.pagetable().pa());
    let tf = d.trapframe();
    tf.kernel_satp = r_satp();
    tf.kernel_sp = p.kstack() + KSTACK_SIZE;
    tf.kernel_trap = usertrap as *const () as usize;
    tf.kernel_hartid = r_tp();

    // sret goes to user mode with interrupts on.
    let mut x = r_sstatus();
    x &= !SSTATUS_SPP;
    x |= SSTATUS_SPIE;
    // SAFETY: this sets only the previous-mode bits sret will use.
    unsafe { w_sstatus(x) };
    // SAFETY: sret's target; a bad user pc faults in user mode.
    unsafe { w_sepc(tf.epc) };
    // The jump below never returns, so the guard must go first.
    drop(d);

    let userret_va = TRAMPOLINE + (userret as *const () as usize - tramp);
    // SAFETY: userret, at its trampoline address (mapped in both page
    // tables), takes the user satp, switches to it and srets to user mode:
    // a function of this type, safe to call now that all is set up.
    let f: extern "C" fn(usize) -> ! = unsafe { core::mem::transmute(userret_va) };
    f(satp)
}

/// Interrupts and exceptions from kernel code arrive here via kernelvec,
/// on the current kernel stack.
#[unsafe(no_mangle)]
pub extern "C" fn kerneltrap() {
    let sepc = r_sepc();
    let sstatus = r_sstatus();
    let scause = r_scause();

    if sstatus & SSTATUS_SPP == 0 {
        panic!("kerneltrap: not from supervisor mode");
    }
    if intr_get() {
        panic!("kerneltrap: interrupts enabled");
    }
    let which = devintr();
    if which == Intr::None {
        crate::println!("scause {:#x}", scause);
        crate::println!("sepc={:#x} stval={:#x}", r_sepc(), r_stval());
        panic!("kerneltrap");
    }

    // Give up the CPU on a timer tick, if a process is running here.
    if which == Intr::Timer {
        if let Some(p) = try_myproc() {
            let running = p.lock.lock().state == ProcStateKind::Running;
            if running {
                r#yield();
            }
        }
    }

    // yield() may have taken other traps meanwhile; put back what kernelvec's sret needs.
    // SAFETY: restores the values read at entry.
    unsafe { w_sepc(sepc) };
    // SAFETY: as above.
    unsafe { w_sstatus(sstatus) };
}

fn clockintr() {
    {
        let mut t = TICKS.lock();
        *t = t.wrapping_add(1);
        wakeup(ticks_chan());
    }
    // A new tick: the trace may print again. Interrupts were on where this
    // hart was, so it holds no spin lock and may print.
    if PFTRACE.load(Ordering::Relaxed) {
        PFSHOWN.store(0, Ordering::Relaxed);
        pfdropped();
    }
}

/// Identifies and handles a device interrupt.
fn devintr() -> Intr {
    let scause = r_scause();
    if scause & SCAUSE_INTERRUPT != 0 && scause & 0xff == 9 {
        // Supervisor external interrupt, via the PLIC.
        let irq = plic_claim();
        match irq {
            0 => {}
            UART0_IRQ => uartintr(),
            VIRTIO0_IRQ => virtio_disk_intr(FSDISK),
            #[cfg(feature = "swap")]
            crate::memlayout::VIRTIO1_IRQ => virtio_disk_intr(crate::virtio_disk::SWAPDISK),
            _ => crate::println!("unexpected interrupt irq={}", irq),
        }
        // The PLIC allows one interrupt per device at a time; release it.
        if irq != 0 {
            plic_complete(irq);
        }
        Intr::Device
    } else if scause == SCAUSE_INTERRUPT | 1 {
        // Software interrupt from timervec: a timer tick.
        if cpuid() == 0 {
            clockintr();
        }
        // Acknowledge it by clearing SSIP.
        // SAFETY: clears only the pending software-interrupt bit.
        unsafe { w_sip(r_sip() & !2) };
        Intr::Timer
    } else {
        Intr::None
    }
}
