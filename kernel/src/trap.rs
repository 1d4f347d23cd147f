//! Traps: system calls, exceptions and device interrupts, from user space
//! (via the trampoline) and from the kernel (via kernelvec).

use crate::memlayout::{KSTACK_SIZE, TRAMPOLINE, UART0_IRQ, VIRTIO0_IRQ};
use crate::pftrace::{pftick, pftrace, Access, Cause, Why};
use crate::plic::{plic_claim, plic_complete};
use crate::proc::{
    cpuid, exit, killed, myproc, r#yield, setkilled, try_myproc, wakeup, ProcStateKind,
};
use crate::riscv::*;
use crate::spinlock::Spinlock;
use crate::syscall::syscall;
use crate::uart::uartintr;
use crate::virtio_disk::{virtio_disk_intr, FSDISK};
use crate::vm::trampoline_addr;

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
    // Lab swap: in the kernel now, it may be using its pages.
    #[cfg(feature = "swap")]
    p.swap.fromuser();
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
    let give_up = which == Intr::Timer;
    // Lab swap: and when another hart waits to take one of our pages.
    #[cfg(feature = "swap")]
    let give_up = give_up || p.swap.wanted();
    if give_up {
        // Lab swap: back at the user boundary it holds no page, so others
        // may take its pages while it waits for a hart.
        #[cfg(feature = "swap")]
        let _quiet = crate::swap::quiet();
        r#yield();
    }
    usertrapret();
}

/// A page fault (12, 13, 15) from user mode: offered to the lab that
/// resolves it (none in base) and traced. Fails with why the process must
/// die; `None` for an exception that is no page fault.
fn pagefault(p: &crate::proc::Proc, scause: usize) -> Result<(), Option<Why>> {
    let access = Access::of(scause).ok_or(None)?;
    let va = r_stval();
    let (pagetable, sz) = {
        let d = p.data();
        (d.pagetable(), d.sz)
    };
    #[cfg(lab_faults)]
    let how = crate::vm::uvmfault(pagetable, sz, va, access);
    #[cfg(not(lab_faults))]
    let how = Err(crate::vm::whynot(pagetable, sz, va, access));
    pftrace(access, va, how, false);
    how.map(|_| ()).map_err(Some)
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
    // Lab swap: in user space it holds no page in the kernel's sense, so
    // another hart may stop it to take one (swap::stop).
    #[cfg(feature = "swap")]
    p.swap.touser();

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
    // SAFETY: the pc this trap interrupted, read at entry: sret resumes
    // the interrupted kernel code there.
    unsafe { w_sepc(sepc) };
    // SAFETY: sstatus as it was at entry (SPP = supervisor, SPIE as the
    // interrupted code had it): sret returns to that code in that state.
    unsafe { w_sstatus(sstatus) };
}

fn clockintr() {
    {
        let mut t = TICKS.lock();
        *t = t.wrapping_add(1);
        wakeup(ticks_chan());
    }
    pftick();
}

/// Identifies and handles a device interrupt.
fn devintr() -> Intr {
    let scause = r_scause();
    if scause & SCAUSE_INTERRUPT != 0 && scause & 0xff == 9 {
        // Supervisor external interrupt, via the PLIC.
        plicintr();
        Intr::Device
    } else if scause == SCAUSE_INTERRUPT | 1 {
        // Lab swap: or another hart's kick (swap::stop), which is no tick:
        // in user mode it stops the process (usertrap), in the kernel it
        // changes nothing.
        #[cfg(feature = "swap")]
        if !crate::swap::ticked() {
            // SAFETY: clears only the pending software-interrupt bit.
            unsafe { w_sip(r_sip() & !2) };
            return Intr::Device;
        }
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

/// Asks the PLIC which device interrupted, lets its driver handle it, and
/// tells the PLIC it is done. A function of its own (C has it inline in
/// devintr) so that the traps that are no device interrupt, page faults
/// above all, do not pay for saving the registers the drivers need.
#[inline(never)]
fn plicintr() {
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
}
