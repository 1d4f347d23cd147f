//! Spin locks with xv6's interrupt discipline.
//!
//! Acquiring a lock turns interrupts off on this hart (`push_off`) and
//! releasing it restores them once the hart holds no locks (`pop_off`): an
//! interrupt handler that wanted a lock this hart already holds would
//! otherwise spin forever. The lock also records which hart holds it, so
//! re-acquiring on the same hart or releasing someone else's lock panics.
//!
//! The lock itself is a test-and-set flag, as in xv6; the data lives
//! inside, reached only through a guard.

use crate::proc::{cpuid, mycpu};
use crate::riscv::{intr_get, intr_off, intr_on};
use core::cell::UnsafeCell;
use core::hint::spin_loop;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

pub struct Spinlock<T> {
    name: &'static str,
    /// Is the lock held?
    locked: AtomicBool,
    /// Hart holding the lock, or -1.
    cpu: AtomicIsize,
    data: UnsafeCell<T>,
}

// SAFETY: `data` is reached only through a guard, and `lock` hands out one
// guard at a time (the swap on `locked` lets one hart in), so a `&Spinlock`
// shared between harts never yields two live references to the data; T:
// Send because the data may be used from whichever hart takes the lock.
unsafe impl<T: Send> Sync for Spinlock<T> {}

pub struct SpinlockGuard<'a, T> {
    lock: &'a Spinlock<T>,
}

impl<T> Spinlock<T> {
    pub const fn new(name: &'static str, data: T) -> Self {
        Spinlock {
            name,
            locked: AtomicBool::new(false),
            cpu: AtomicIsize::new(-1),
            data: UnsafeCell::new(data),
        }
    }

    /// Spins until the lock is ours (xv6's `acquire`).
    pub fn lock(&self) -> SpinlockGuard<'_, T> {
        push_off();
        if self.holding() {
            panic!("acquire {}", self.name);
        }
        // An atomic swap (amoswap on RISC-V); Acquire keeps the critical
        // section's loads and stores after it, as xv6's fence does.
        while self.locked.swap(true, Ordering::Acquire) {
            spin_loop();
        }
        self.cpu.store(cpuid() as isize, Ordering::Relaxed);
        SpinlockGuard { lock: self }
    }

    /// Does this hart hold the lock? Interrupts must be off.
    pub fn holding(&self) -> bool {
        self.locked.load(Ordering::Relaxed) && self.cpu.load(Ordering::Relaxed) == cpuid() as isize
    }

    /// Releases a lock whose guard was forgotten on another kernel thread:
    /// the process lock handed across `swtch` to a newly forked process.
    ///
    /// # Safety
    /// This hart must hold the lock, and no guard may release this same
    /// acquisition: the guard that took it was `mem::forget`-ed, or (the
    /// scheduler's, across swtch) will release a later acquisition.
    pub unsafe fn force_unlock(&self) {
        self.release();
    }

    /// xv6's `release`: checks that this hart holds the lock, clears the
    /// holder and unlocks. Only a guard's drop and `force_unlock` call it,
    /// each for a guard that is gone.
    fn release(&self) {
        if !self.holding() {
            panic!("release {}", self.name);
        }
        self.cpu.store(-1, Ordering::Relaxed);
        // Release: the critical section's stores are visible to the next
        // holder before it sees the lock free.
        self.locked.store(false, Ordering::Release);
        pop_off();
    }

    /// Takes the lock if it is free, without spinning: for procdump, which
    /// must not wait on a machine that may be stuck holding it.
    pub fn try_lock(&self) -> Option<SpinlockGuard<'_, T>> {
        push_off();
        if self.holding() || self.locked.swap(true, Ordering::Acquire) {
            pop_off();
            return None;
        }
        self.cpu.store(cpuid() as isize, Ordering::Relaxed);
        Some(SpinlockGuard { lock: self })
    }
}

impl<'a, T> SpinlockGuard<'a, T> {
    /// The lock this guard holds, so it can be re-acquired after `sleep`.
    pub fn lock_ref(&self) -> &'a Spinlock<T> {
        self.lock
    }
}

impl<T> Deref for SpinlockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one for the lock (see the Sync
        // impl), and the &T lives no longer than the borrow of the guard.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinlockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard is the only one for the lock (see the Sync
        // impl), and `&mut self` makes this borrow of the guard, hence of
        // the data, the only one.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinlockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// Like `intr_off`, but nests: it takes as many `pop_off`s to undo as there
/// were `push_off`s, and interrupts come back only if they were on at first.
pub fn push_off() {
    let old = intr_get();
    intr_off();
    // Interrupts are off, so this thread stays on this hart meanwhile.
    let c = mycpu();
    if c.noff.load(Ordering::Relaxed) == 0 {
        c.intena.store(old, Ordering::Relaxed);
    }
    c.noff
        .store(c.noff.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

pub fn pop_off() {
    if intr_get() {
        panic!("pop_off - interruptible");
    }
    let c = mycpu();
    let noff = c.noff.load(Ordering::Relaxed);
    if noff < 1 {
        panic!("pop_off");
    }
    c.noff.store(noff - 1, Ordering::Relaxed);
    if noff == 1 && c.intena.load(Ordering::Relaxed) {
        intr_on();
    }
}

/// Whether this hart holds a spinlock. The labs that read a disk on a page
/// fault must not sleep under one (a pipe's, say, while it copies), and
/// the page-fault trace does not print under one.
pub fn holding_spinlock() -> bool {
    push_off();
    let held = mycpu().noff.load(Ordering::Relaxed) > 1;
    pop_off();
    held
}
