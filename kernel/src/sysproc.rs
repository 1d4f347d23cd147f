//! Process-related system calls.

use crate::proc::{exit, fork, growproc, kill, killed, myproc, sleep, wait};
use crate::syscall::{argaddr, argint};
use crate::trap::{ticks_chan, TICKS};
use crate::Error;

pub fn sys_exit() -> Result<usize, Error> {
    exit(argint(0))
}

pub fn sys_getpid() -> Result<usize, Error> {
    Ok(myproc().lock.lock().pid as usize)
}

pub fn sys_fork() -> Result<usize, Error> {
    fork().map(|pid| pid as usize)
}

pub fn sys_wait() -> Result<usize, Error> {
    let addr = argaddr(0);
    // wait copies the status out under locks: a fault that reads a disk
    // is taken first, and the page kept resident until the copy is done.
    #[cfg(lab_disk_faults)]
    let _resident = crate::vm::uvmprefault(addr, if addr == 0 { 0 } else { 4 }, true);
    wait(addr).map(|pid| pid as usize)
}

/// sbrk(n): grows (or shrinks) memory by n bytes; returns the old size.
pub fn sys_sbrk() -> Result<usize, Error> {
    let n = argint(0);
    let addr = myproc().sz();
    growproc(n as isize)?;
    Ok(addr)
}

/// sleep(n): waits n clock ticks; fails if killed meanwhile.
pub fn sys_sleep() -> Result<usize, Error> {
    let n = argint(0);
    let mut ticks = TICKS.lock();
    let ticks0 = *ticks;
    while (ticks.wrapping_sub(ticks0) as i64) < n as i64 {
        if killed(myproc()) {
            return Err(Error);
        }
        // Lab swap: asleep here it holds no page; others may take them.
        #[cfg(feature = "swap")]
        let _quiet = crate::swap::quiet();
        ticks = sleep(ticks_chan(), ticks);
    }
    Ok(0)
}

pub fn sys_kill() -> Result<usize, Error> {
    kill(argint(0)).map(|_| 0)
}

/// Ticks since boot.
pub fn sys_uptime() -> Result<usize, Error> {
    Ok(*TICKS.lock() as usize)
}
