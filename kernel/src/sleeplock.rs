//! Sleep locks: long-term locks (held across disk I/O) that yield the CPU
//! while waiting instead of spinning.

use crate::proc::{myproc, sleep, wakeup};
use crate::spinlock::Spinlock;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};

struct State {
    locked: bool,
    /// pid of the holder, for `holding`.
    pid: i32,
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
                },
            ),
            data: UnsafeCell::new(data),
        }
    }

    /// Sleeps until the lock is free, then takes it (xv6's `acquiresleep`).
    pub fn lock(&self) -> SleeplockGuard<'_, T> {
        let mut st = self.lk.lock();
        while st.locked {
            st = sleep(self as *const Self as usize, st);
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

    /// The data, without the lock.
    ///
    /// # Safety
    /// Only where nobody else can hold or take the lock (e.g. while the
    /// object is otherwise known to be exclusively ours).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get_unlocked(&self) -> &mut T {
        // SAFETY: caller's contract.
        unsafe { &mut *self.data.get() }
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
        wakeup(self.lock as *const Sleeplock<T> as usize);
    }
}
