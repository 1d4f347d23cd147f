//! xv6 user-space library: what C xv6 spreads over `usys.pl`, `ulib.c`,
//! `printf.c` and `umalloc.c`.
//!
//! - [`sys`]: the 21 raw system calls with C's signatures (raw pointers, for
//!   programs such as usertests that deliberately pass bad ones);
//! - safe wrappers at the crate root (`read(fd, &mut buf)`, `open(c"f", O_RDONLY)`, ...);
//! - [`entry!`]: declares a program's `main(args: Args)`; `_start` calls it, then `exit(0)`;
//! - `print!`/`println!`/`eprint!`/`eprintln!`/`fprint!`/`fprintln!`;
//! - a global allocator on `sbrk` (xv6's umalloc), so `alloc` works.

#![no_std]

extern crate alloc;

pub mod args;
pub mod layout;
pub mod meter;
pub mod print;
pub mod sys;
pub mod umalloc;
pub mod util;

pub use abi::fcntl::{O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
pub use abi::stat::{Stat, T_DEVICE, T_DIR, T_FILE};
pub use abi::{fcntl, fs, param, stat};
pub use args::Args;
pub use core::ffi::CStr;
#[allow(unused_imports)]
pub use util::*;

/// Declares the program's entry point. `main` takes an [`Args`]; when it
/// returns, the program exits with status 0 (like xv6's `_main`).
///
/// ```ignore
/// ulib::entry!(main);
/// fn main(args: ulib::Args) { ... }
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        extern "C" fn _start(argc: usize, argv: *const *const u8) -> ! {
            // SAFETY: exec put argc pointers to NUL-terminated strings, then a
            // null pointer, at argv; they live for the whole program.
            let args = unsafe { $crate::Args::from_raw(argc, argv) };
            $main(args);
            $crate::exit(0)
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    eprintln!("{}: panic: {}", getpid(), info.message());
    exit(-1)
}

/// Creates a child process; 0 in the child, the child's pid in the parent, -1 on failure.
pub fn fork() -> i32 {
    // SAFETY: fork takes no pointers.
    unsafe { sys::fork() }
}

/// Ends the calling process with `status`.
pub fn exit(status: i32) -> ! {
    // SAFETY: exit takes no pointers.
    unsafe { sys::exit(status) }
}

/// Waits for a child to exit; its status goes to `status` if given.
pub fn wait(status: Option<&mut i32>) -> i32 {
    let p = status.map_or(core::ptr::null_mut(), |s| s as *mut i32);
    // SAFETY: p is null or points at a live i32 we hold exclusively.
    unsafe { sys::wait(p) }
}

/// Makes a pipe: `fds[0]` reads, `fds[1]` writes.
pub fn pipe(fds: &mut [i32; 2]) -> i32 {
    // SAFETY: fds is two writable i32s.
    unsafe { sys::pipe(fds.as_mut_ptr()) }
}

/// Reads up to `buf.len()` bytes.
pub fn read(fd: i32, buf: &mut [u8]) -> i32 {
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    unsafe { sys::read(fd, buf.as_mut_ptr(), clamp_len(buf.len())) }
}

/// Writes `buf`.
pub fn write(fd: i32, buf: &[u8]) -> i32 {
    // SAFETY: the kernel only reads buf.
    unsafe { sys::write(fd, buf.as_ptr(), clamp_len(buf.len())) }
}

pub fn close(fd: i32) -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::close(fd) }
}

pub fn kill(pid: i32) -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::kill(pid) }
}

/// Replaces this program with `path`, passing `argv` (at most `param::MAXARG`).
/// Returns only on failure.
pub fn exec(path: &CStr, argv: &[&CStr]) -> i32 {
    let mut ptrs = [core::ptr::null::<u8>(); param::MAXARG + 1];
    if argv.len() > param::MAXARG {
        return -1;
    }
    for (p, a) in ptrs.iter_mut().zip(argv) {
        *p = a.as_ptr().cast();
    }
    // SAFETY: path and every argv entry are NUL-terminated, and the
    // array ends with a null pointer.
    unsafe { sys::exec(path.as_ptr().cast(), ptrs.as_ptr()) }
}

pub fn open(path: &CStr, flags: i32) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { sys::open(path.as_ptr().cast(), flags) }
}

pub fn mknod(path: &CStr, major: i16, minor: i16) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { sys::mknod(path.as_ptr().cast(), major, minor) }
}

pub fn unlink(path: &CStr) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { sys::unlink(path.as_ptr().cast()) }
}

pub fn fstat(fd: i32, st: &mut Stat) -> i32 {
    // SAFETY: st is a writable Stat.
    unsafe { sys::fstat(fd, st) }
}

pub fn link(old: &CStr, new: &CStr) -> i32 {
    // SAFETY: both are NUL-terminated.
    unsafe { sys::link(old.as_ptr().cast(), new.as_ptr().cast()) }
}

pub fn mkdir(path: &CStr) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { sys::mkdir(path.as_ptr().cast()) }
}

pub fn chdir(path: &CStr) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { sys::chdir(path.as_ptr().cast()) }
}

pub fn dup(fd: i32) -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::dup(fd) }
}

pub fn getpid() -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::getpid() }
}

/// Grows (or shrinks) the heap by `n` bytes; returns the old break, or
/// `usize::MAX as *mut u8` (C's `(char*)-1`) on failure.
pub fn sbrk(n: i32) -> *mut u8 {
    // SAFETY: no pointers are passed in.
    unsafe { sys::sbrk(n) }
}

/// Sleeps for `ticks` timer ticks.
pub fn sleep(ticks: i32) -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::sleep(ticks) }
}

/// What `swapstat` reports (kernels built with `swap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapStat {
    /// Pages evicted to the swap disk so far (since boot).
    pub outs: u64,
    /// Of those, the ones written (the others were unchanged copies).
    pub writes: u64,
    /// Pages read back.
    pub ins: u64,
    /// Pages out now: swap slots in use, not counting those that only keep
    /// a copy of a page still in memory (the kernel lets those go when it
    /// needs them), plus pages dropped because their file holds them.
    pub used: u64,
    /// Free pages of memory now.
    pub free: u64,
    /// Of `outs`, the pages dropped rather than written because a file
    /// holds them (program pages under `demand`); 0 on kernels that do not
    /// report it.
    pub drops: u64,
    /// Slots on the swap disk (0: no swap disk).
    pub slots: u64,
}

/// The kernel's swap figures, or None on a kernel without `swap`.
pub fn swapstat() -> Option<SwapStat> {
    let mut st = [0u64; 6];
    // SAFETY: the kernel writes at most the six words of st (the second
    // argument says how many it may), which we own.
    let slots = unsafe {
        sys::raw(
            abi::syscall::SYS_SWAPSTAT,
            st.as_mut_ptr() as usize,
            st.len(),
            0,
        )
    };
    if slots as isize == -1 {
        return None;
    }
    let [outs, writes, ins, used, free, drops] = st;
    Some(SwapStat {
        outs,
        writes,
        ins,
        used,
        free,
        drops,
        slots: slots as u64,
    })
}

/// Timer ticks since boot.
pub fn uptime() -> i32 {
    // SAFETY: no pointers.
    unsafe { sys::uptime() }
}

fn clamp_len(n: usize) -> i32 {
    n.min(i32::MAX as usize) as i32
}
