//! The raw system calls, one stub each, with C xv6's signatures.
//!
//! Number in a7, arguments in a0..a2, result in a0 (docs/design.md §3). They are
//! `unsafe` because the kernel may write through the pointers given; the
//! kernel itself checks every pointer, so a bad one only yields -1.

// The contract is the same for every stub and stated once above: the
// kernel may write through pointer arguments.
#![allow(clippy::missing_safety_doc)]

use abi::stat::Stat;
use abi::syscall::*;
use core::arch::asm;

#[inline(always)]
unsafe fn syscall3(num: usize, a0: usize, a1: usize, a2: usize) -> usize {
    let ret;
    // SAFETY: ecall traps into the kernel, which reads a0..a2 and a7 and
    // writes only a0; memory effects are the caller's contract.
    unsafe {
        asm!("ecall", inlateout("a0") a0 => ret, in("a1") a1, in("a2") a2, in("a7") num,
             options(nostack));
    }
    ret
}

pub unsafe fn fork() -> i32 {
    unsafe { syscall3(SYS_FORK, 0, 0, 0) as i32 }
}
pub unsafe fn exit(status: i32) -> ! {
    unsafe { syscall3(SYS_EXIT, status as usize, 0, 0) };
    unreachable!("exit returned")
}
pub unsafe fn wait(status: *mut i32) -> i32 {
    unsafe { syscall3(SYS_WAIT, status as usize, 0, 0) as i32 }
}
pub unsafe fn pipe(fds: *mut i32) -> i32 {
    unsafe { syscall3(SYS_PIPE, fds as usize, 0, 0) as i32 }
}
pub unsafe fn read(fd: i32, buf: *mut u8, n: i32) -> i32 {
    unsafe { syscall3(SYS_READ, fd as usize, buf as usize, n as usize) as i32 }
}
pub unsafe fn write(fd: i32, buf: *const u8, n: i32) -> i32 {
    unsafe { syscall3(SYS_WRITE, fd as usize, buf as usize, n as usize) as i32 }
}
pub unsafe fn close(fd: i32) -> i32 {
    unsafe { syscall3(SYS_CLOSE, fd as usize, 0, 0) as i32 }
}
pub unsafe fn kill(pid: i32) -> i32 {
    unsafe { syscall3(SYS_KILL, pid as usize, 0, 0) as i32 }
}
pub unsafe fn exec(path: *const u8, argv: *const *const u8) -> i32 {
    unsafe { syscall3(SYS_EXEC, path as usize, argv as usize, 0) as i32 }
}
pub unsafe fn open(path: *const u8, flags: i32) -> i32 {
    unsafe { syscall3(SYS_OPEN, path as usize, flags as usize, 0) as i32 }
}
pub unsafe fn mknod(path: *const u8, major: i16, minor: i16) -> i32 {
    unsafe { syscall3(SYS_MKNOD, path as usize, major as usize, minor as usize) as i32 }
}
pub unsafe fn unlink(path: *const u8) -> i32 {
    unsafe { syscall3(SYS_UNLINK, path as usize, 0, 0) as i32 }
}
pub unsafe fn fstat(fd: i32, st: *mut Stat) -> i32 {
    unsafe { syscall3(SYS_FSTAT, fd as usize, st as usize, 0) as i32 }
}
pub unsafe fn link(old: *const u8, new: *const u8) -> i32 {
    unsafe { syscall3(SYS_LINK, old as usize, new as usize, 0) as i32 }
}
pub unsafe fn mkdir(path: *const u8) -> i32 {
    unsafe { syscall3(SYS_MKDIR, path as usize, 0, 0) as i32 }
}
pub unsafe fn chdir(path: *const u8) -> i32 {
    unsafe { syscall3(SYS_CHDIR, path as usize, 0, 0) as i32 }
}
pub unsafe fn dup(fd: i32) -> i32 {
    unsafe { syscall3(SYS_DUP, fd as usize, 0, 0) as i32 }
}
pub unsafe fn getpid() -> i32 {
    unsafe { syscall3(SYS_GETPID, 0, 0, 0) as i32 }
}
pub unsafe fn sbrk(n: i32) -> *mut u8 {
    unsafe { syscall3(SYS_SBRK, n as usize, 0, 0) as *mut u8 }
}
pub unsafe fn sleep(n: i32) -> i32 {
    unsafe { syscall3(SYS_SLEEP, n as usize, 0, 0) as i32 }
}
pub unsafe fn uptime() -> i32 {
    unsafe { syscall3(SYS_UPTIME, 0, 0, 0) as i32 }
}

/// Makes a system call with any number, for tests of unknown numbers.
pub unsafe fn raw(num: usize, a0: usize, a1: usize, a2: usize) -> usize {
    unsafe { syscall3(num, a0, a1, a2) }
}

/// Makes a system call with any number and all six argument registers
/// a0..a5 set, for fuzzing: the kernel reads only those the call takes.
pub unsafe fn raw6(
    num: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> usize {
    let ret;
    // SAFETY: as in syscall3; the kernel reads a0..a5 and a7 and writes
    // only a0; memory effects are the caller's contract.
    unsafe {
        asm!("ecall", inlateout("a0") a0 => ret, in("a1") a1, in("a2") a2, in("a3") a3,
             in("a4") a4, in("a5") a5, in("a7") num, options(nostack));
    }
    ret
}

/// mmap(addr, length, prot, flags, fd, offset): maps a file, returns the
/// address or `usize::MAX` (-1). Only kernels built with `mmap` have it.
pub unsafe fn mmap(addr: usize, len: usize, prot: i32, flags: i32, fd: i32, off: usize) -> usize {
    // SAFETY: the caller's contract, as for every system call here.
    unsafe {
        raw6(
            SYS_MMAP,
            addr,
            len,
            prot as usize,
            flags as usize,
            fd as usize,
            off,
        )
    }
}
pub unsafe fn munmap(addr: usize, len: usize) -> i32 {
    unsafe { syscall3(SYS_MUNMAP, addr, len, 0) as i32 }
}
