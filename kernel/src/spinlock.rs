//! Spin locks with xv6's interrupt discipline.
//!
//! Acquiring a lock turns interrupts off on this hart (`push_off`) and
//! releasing it restores them once the hart holds no locks (`pop_off`): an
//! interrupt handler that wanted a lock this hart already holds would
//! otherwise spin forever. The lock also records which hart holds it, so
//! re-acquiring on the same hart or releasing someone else's lock panics.
//!
//! The plain test-and-set lock is `spin`'s; the data lives inside, reached
//! only through a guard.

use crate::proc::{cpuid, mycpu};
use crate::riscv::{intr_get, intr_off, intr_on};
use core::cell::UnsafeCell;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicIsize, Ordering};

pub struct Spinlock<T> {
    name: &'static str,
    /// Hart holding the lock, or -1.
    cpu: AtomicIsize,
    inner: spin::mutex::SpinMutex<()>,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through a guard, which exists on one
// hart at a time.
unsafe impl<T: Send> Sync for Spinlock<T> {}
// SAFETY: as above; moving the lock moves the data with it.
unsafe impl<T: Send> Send for Spinlock<T> {}

pub struct SpinlockGuard<'a, T> {
    lock: &'a Spinlock<T>,
    inner: ManuallyDrop<spin::mutex::SpinMutexGuard<'a, ()>>,
}

impl<T> Spinlock<T> {
    pub const fn new(name: &'static str, data: T) -> Self {
        Spinlock {
            name,
            cpu: AtomicIsize::new(-1),
            inner: spin::mutex::SpinMutex::new(()),
            data: UnsafeCell::new(data),
        }
    }

    /// Spins until the lock is ours (xv6's `acquire`).
    pub fn lock(&self) -> SpinlockGuard<'_, T> {
        push_off();
        if self.holding() {
            panic!("acquire {}", self.name);
        }
        let inner = self.inner.lock();
        self.cpu.store(cpuid() as isize, Ordering::Relaxed);
        SpinlockGuard {
            lock: self,
            inner: ManuallyDrop::new(inner),
        }
    }

    /// Does this hart hold the lock? Interrupts must be off.
    pub fn holding(&self) -> bool {
        self.inner.is_locked() && self.cpu.load(Ordering::Relaxed) == cpuid() as isize
    }

    /// Releases a lock whose guard was forgotten on another kernel thread:
    /// the process lock handed across `swtch` to a newly forked process.
    ///
    /// # Safety
    /// This hart must hold the lock, and the guard that took it must have
    /// been `mem::forget`-ed so it cannot release it again.
    pub unsafe fn force_unlock(&self) {
        self.disown();
        // SAFETY: the caller guarantees the owning guard was forgotten.
        unsafe { self.inner.force_unlock() };
        pop_off();
    }

    /// The first half of xv6's `release`: checks that this hart holds the
    /// lock and clears the holder; the caller then unlocks.
    fn disown(&self) {
        if !self.holding() {
            panic!("release {}", self.name);
        }
        self.cpu.store(-1, Ordering::Relaxed);
    }

    /// A raw pointer to the data, for a reader that cannot take the lock
    /// (procdump, on a machine that may be stuck holding it). Getting the
    /// pointer is safe; reading through it is the caller's unsafe act.
    pub fn data_ptr(&self) -> *const T {
        self.data.get()
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
        // SAFETY: the guard proves we hold the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinlockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves we hold the lock.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinlockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.disown();
        // SAFETY: dropped exactly once, here; the lock is released before
        // interrupts may come back on.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
        pop_off();
    }
}

/// Like `intr_off`, but nests: it takes as many `pop_off`s to undo as there
/// were `push_off`s, and interrupts come back only if they were on at first.
pub fn push_off() {
    let old = intr_get();
    intr_off();
    let c = mycpu();
    // SAFETY: interrupts are off, so we stay on this hart and its Cpu is
    // ours alone; no reference to it is held here.
    unsafe {
        if (*c).noff == 0 {
            (*c).intena = old;
        }
        (*c).noff += 1;
    }
}

pub fn pop_off() {
    if intr_get() {
        panic!("pop_off - interruptible");
    }
    let c = mycpu();
    // SAFETY: interrupts are off (checked above), so this hart's Cpu is
    // ours alone; no reference to it is held here.
    let on = unsafe {
        if (*c).noff < 1 {
            panic!("pop_off");
        }
        (*c).noff -= 1;
        (*c).noff == 0 && (*c).intena
    };
    if on {
        intr_on();
    }
}

/// Whether this hart holds a spinlock. The labs that read a disk on a page
/// fault must not sleep under one (a pipe's, say, while it copies), and
/// the page-fault trace does not print under one.
pub fn holding_spinlock() -> bool {
    push_off();
    // SAFETY: interrupts are off until pop_off, so the Cpu is ours alone.
    let held = unsafe { (*mycpu()).noff } > 1;
    pop_off();
    held
}
