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

/// Each system call's number (abi::syscall) and function, as in C's
/// `syscalls[]` initialiser; the table below is sized and filled from it.
const LIST: &[(usize, SysFn)] = &[
    (SYS_FORK, sys_fork),
    (SYS_EXIT, sys_exit),
    (SYS_WAIT, sys_wait),
    (SYS_PIPE, sys_pipe),
    (SYS_READ, sys_read),
    (SYS_KILL, sys_kill),
    (SYS_EXEC, sys_exec),
    (SYS_FSTAT, sys_fstat),
    (SYS_CHDIR, sys_chdir),
    (SYS_DUP, sys_dup),
    (SYS_GETPID, sys_getpid),
    (SYS_SBRK, sys_sbrk),
    (SYS_SLEEP, sys_sleep),
    (SYS_UPTIME, sys_uptime),
    (SYS_OPEN, sys_open),
    (SYS_WRITE, sys_write),
    (SYS_MKNOD, sys_mknod),
    (SYS_UNLINK, sys_unlink),
    (SYS_LINK, sys_link),
    (SYS_MKDIR, sys_mkdir),
    (SYS_CLOSE, sys_close),
    #[cfg(feature = "mmap")]
    (SYS_MMAP, crate::mmap::sys_mmap),
    #[cfg(feature = "mmap")]
    (SYS_MUNMAP, crate::mmap::sys_munmap),
    #[cfg(feature = "swap")]
    (SYS_SWAPSTAT, crate::swap::sys_swapstat),
];

/// One past the highest number in LIST.
const NSYSCALL: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < LIST.len() {
        if LIST[i].0 >= n {
            n = LIST[i].0 + 1;
        }
        i += 1;
    }
    n
};

/// The system call table, indexed by number; None for unused numbers.
static SYSCALLS: [Option<SysFn>; NSYSCALL] = {
    let mut t: [Option<SysFn>; NSYSCALL] = [None; NSYSCALL];
    let mut i = 0;
    while i < LIST.len() {
        let (num, f) = LIST[i];
        assert!(t[num].is_none(), "a system call number used twice");
        t[num] = Some(f);
        i += 1;
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
