//! Kernel-stack depth, measured: each process's kernel stack is painted
//! when its slot is taken (allocproc) and read back when it is freed
//! (freeproc), and the deepest use so far is printed with Ctrl-P's
//! process list. No C counterpart: C xv6's frames fit one page with room
//! to spare; Rust's are larger, so `make test` checks the figure (the
//! runner fails a run past 75%, the sign to raise KSTACK_PAGES).

use crate::memlayout::KSTACK_SIZE;
use crate::proc::{Proc, ProcName};
use crate::spinlock::Spinlock;

/// What an unused kernel-stack word holds: allocproc paints the stack and
/// freeproc finds how deep the process got by the first word changed.
const STACK_PAINT: u64 = 0x5354_4b50_5354_4b50;

/// The deepest kernel-stack use seen at freeproc, in bytes, and the
/// name of the program that reached it.
static KSTACK_DEEPEST: Spinlock<(usize, [u8; 16])> = Spinlock::new("kstack", (0, [0; 16]));

pub fn kstack_paint(p: &'static Proc) {
    // SAFETY: the slot is Used and not yet runnable, so no one runs on its
    // kernel stack, which is KSTACK_SIZE mapped bytes starting at kstack().
    let words = unsafe { core::slice::from_raw_parts_mut(p.kstack() as *mut u64, KSTACK_SIZE / 8) };
    words.fill(STACK_PAINT);
}

/// Records how much of `p`'s kernel stack was used (it grows down, so the
/// untouched paint is at the bottom).
pub fn kstack_measure(p: &'static Proc, name: [u8; 16]) {
    // SAFETY: KSTACK_SIZE mapped bytes at kstack(), which nothing runs on
    // any more: the slot's process never ran (an allocproc or fork that
    // failed) or is a zombie whose exit switched away for good; wait gets
    // p.lock, and so calls freeproc, only after that switch is complete.
    let words = unsafe { core::slice::from_raw_parts(p.kstack() as *const u64, KSTACK_SIZE / 8) };
    let untouched = words.iter().take_while(|&&w| w == STACK_PAINT).count();
    let used = KSTACK_SIZE - untouched * 8;
    let mut deepest = KSTACK_DEEPEST.lock();
    if used > deepest.0 {
        *deepest = (used, name);
    }
}

/// Prints the deepest kernel-stack use so far (on ^P, with procdump).
pub fn kstack_report() {
    let (used, name) = *KSTACK_DEEPEST.lock();
    crate::println!(
        "kstack: deepest use {} of {} bytes ({}%) by {}",
        used,
        KSTACK_SIZE,
        used * 100 / KSTACK_SIZE,
        ProcName(name)
    );
}
