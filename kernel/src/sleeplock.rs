//! Sleep locks: long-term locks (held across disk I/O) that yield the CPU
//! while waiting instead of spinning.

use crate::proc::{myproc, sleep, try_myproc, wakeup};
use crate::spinlock::Spinlock;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};

struct State {
    locked: bool,
    /// pid of the holder, for `holding`.
    pid: i32,
    /// Processes asleep in `lock`: a release with none skips the wakeup
    /// (a scan of every process).
    waiting: u32,
}

pub struct Sleeplock<T> {
    lk: Spinlock<State>,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through a guard, held by one process at a time.
unsafe impl<T: Send> Sync for Sleeplock<T> {}

pub struct SleeplockGuard<'a, T> {
    lock: &'a Sleeplock<T>,
}

impl<T> Sleeplock<T> {
    pub const fn new(name: &'static str, data: T) -> Self {
        Sleeplock {
            lk: Spinlock::new(
                name,
                State {
                    locked: false,
                    pid: 0,
                    waiting: 0,
                },
            ),
            data: UnsafeCell::new(data),
        }
    }

    /// Sleeps until the lock is free, then takes it (xv6's `acquiresleep`).
    pub fn lock(&self) -> SleeplockGuard<'_, T> {
        let mut st = self.lk.lock();
        while st.locked {
            st.waiting += 1;
            st = sleep(self as *const Self as usize, st);
            st.waiting -= 1;
        }
        st.locked = true;
        st.pid = myproc().lock.lock().pid;
        SleeplockGuard { lock: self }
    }

    /// Does the current process hold the lock? (xv6's `holdingsleep`.) A
    /// guard proves that someone holds it; this checks it is us.
    pub fn holding(&self) -> bool {
        let st = self.lk.lock();
        st.locked && st.pid == myproc().lock.lock().pid
    }

    /// Takes the lock if it is free, without sleeping (so it may be called
    /// under a spin lock). For a caller that knows no one else can hold
    /// it: fs's inode table, for a slot only it references.
    pub fn try_lock(&self) -> Option<SleeplockGuard<'_, T>> {
        let mut st = self.lk.lock();
        if st.locked {
            return None;
        }
        st.locked = true;
        // No process yet when userinit looks up "/".
        st.pid = try_myproc().map_or(0, |p| p.lock.lock().pid);
        Some(SleeplockGuard { lock: self })
    }
}

impl<T> Deref for SleeplockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves we hold the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SleeplockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves we hold the lock.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SleeplockGuard<'_, T> {
    /// xv6's `releasesleep`.
    fn drop(&mut self) {
        let mut st = self.lock.lk.lock();
        st.locked = false;
        st.pid = 0;
        if st.waiting > 0 {
            wakeup(self.lock as *const Sleeplock<T> as usize);
        }
    }
}
