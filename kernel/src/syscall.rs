//! System call dispatch and argument fetching.
//!
//! Each `sys_*` function returns `Result<usize, Error>`; here, at the edge,
//! an error becomes -1 in the user's a0, as in xv6.

use crate::proc::myproc;
use crate::sysfile::*;
use crate::sysproc::*;
use crate::vm::{copyin, copyinstr};
use crate::Error;
use abi::syscall::*;

/// Fetches the u64 at user address `addr`; it must lie inside the process.
pub fn fetchaddr(addr: usize) -> Result<usize, Error> {
    let p = myproc();
    let sz = p.sz();
    // Both checks: the second alone could overflow.
    if addr >= sz || addr + 8 > sz {
        return Err(Error);
    }
    let mut b = [0u8; 8];
    copyin(p.pagetable(), sz, &mut b, addr)?;
    Ok(usize::from_le_bytes(b))
}

/// Fetches the NUL-terminated string at user address `addr` into `buf`;
/// returns its length (without the NUL).
pub fn fetchstr(addr: usize, buf: &mut [u8]) -> Result<usize, Error> {
    let p = myproc();
    copyinstr(p.pagetable(), p.sz(), buf, addr)
}

fn argraw(n: usize) -> usize {
    let mut d = myproc().data();
    let tf = d.trapframe();
    match n {
        0 => tf.a0,
        1 => tf.a1,
        2 => tf.a2,
        3 => tf.a3,
        4 => tf.a4,
        5 => tf.a5,
        _ => panic!("argraw"),
    }
}

/// The n'th argument as a C `int`: the low 32 bits, sign-extended.
pub fn argint(n: usize) -> i32 {
    argraw(n) as i32
}

/// The n'th argument as a user address. It is not checked here: copyin and
/// copyout check it when it is used.
pub fn argaddr(n: usize) -> usize {
    argraw(n)
}

/// The n'th argument as a string copied into `buf`; returns its length.
pub fn argstr(n: usize, buf: &mut [u8]) -> Result<usize, Error> {
    fetchstr(argaddr(n), buf)
}

type SysFn = fn() -> Result<usize, Error>;

/// The system call table, indexed by number (abi::syscall), up to the
/// last number any lab defines.
static SYSCALLS: [Option<SysFn>; SYS_SWAPSTAT + 1] = {
    let mut t: [Option<SysFn>; SYS_SWAPSTAT + 1] = [None; SYS_SWAPSTAT + 1];
    t[SYS_FORK] = Some(sys_fork);
    t[SYS_EXIT] = Some(sys_exit);
    t[SYS_WAIT] = Some(sys_wait);
    t[SYS_PIPE] = Some(sys_pipe);
    t[SYS_READ] = Some(sys_read);
    t[SYS_KILL] = Some(sys_kill);
    t[SYS_EXEC] = Some(sys_exec);
    t[SYS_FSTAT] = Some(sys_fstat);
    t[SYS_CHDIR] = Some(sys_chdir);
    t[SYS_DUP] = Some(sys_dup);
    t[SYS_GETPID] = Some(sys_getpid);
    t[SYS_SBRK] = Some(sys_sbrk);
    t[SYS_SLEEP] = Some(sys_sleep);
    t[SYS_UPTIME] = Some(sys_uptime);
    t[SYS_OPEN] = Some(sys_open);
    t[SYS_WRITE] = Some(sys_write);
    t[SYS_MKNOD] = Some(sys_mknod);
    t[SYS_UNLINK] = Some(sys_unlink);
    t[SYS_LINK] = Some(sys_link);
    t[SYS_MKDIR] = Some(sys_mkdir);
    t[SYS_CLOSE] = Some(sys_close);
    #[cfg(feature = "mmap")]
    {
        t[SYS_MMAP] = Some(crate::mmap::sys_mmap);
        t[SYS_MUNMAP] = Some(crate::mmap::sys_munmap);
    }
    #[cfg(feature = "swap")]
    {
        t[SYS_SWAPSTAT] = Some(crate::swap::sys_swapstat);
    }
    t
};

pub fn syscall() {
    let p = myproc();
    let num = p.data().trapframe().a7;
    let ret = match SYSCALLS.get(num).copied().flatten() {
        Some(f) => f(),
        None => {
            let pid = p.lock.lock().pid;
            crate::println!("{} {}: unknown sys call {}", pid, p.name(), num as isize);
            Err(Error)
        }
    };
    // -1 in a0 on failure.
    p.data().trapframe().a0 = ret.unwrap_or(usize::MAX);
}
