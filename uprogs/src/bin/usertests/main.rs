//! usertests: the xv6 system-call test suite.
//!
//! `usertests` runs the quick list and then the slow list; `usertests -q`
//! only the quick list; `usertests NAME` the test called NAME; `-c` repeats
//! forever and stops at the first failure, `-C` repeats forever regardless.
//! `usertests -2020` runs the tests of the fall-2020 usertests in its order
//! (see lab2020.rs), for the 2020 lazy lab's grader.
//!
//! Every test runs in a child process of its own: a test passes when that
//! child exits with status 0. Some tests make the kernel print a
//! `usertrap()` line for a process it killed; that is expected whenever the
//! test still reports OK. Around the whole run, the number of free physical
//! pages is measured twice (`ulib::meter::countfree`, which also makes this
//! program's image resident first, for demand paging); fewer at the end
//! means the kernel leaked memory.
//!
//! Tests that hand the kernel deliberately bad pointers or sizes use the raw
//! calls in `ulib::sys`; tests that must fault or must really touch memory
//! use volatile accesses so the compiler keeps them exactly as written.

#![no_std]
#![no_main]

mod lab2020;
mod quick;
mod slow;

use core::cell::UnsafeCell;
use core::ffi::CStr;
use ulib::fs::BSIZE;
use ulib::meter::countfree;
use ulib::param::MAXOPBLOCKS;
use ulib::{exit, fork, print, println, sbrk, wait, Args};

ulib::entry!(main);

/// Page size of the RISC-V Sv39 MMU.
pub const PGSIZE: usize = 4096;
/// One past the highest user virtual address.
pub const MAXVA: u64 = 1 << 38;
/// Where the kernel's RAM starts (physical = kernel virtual).
pub const KERNBASE: usize = 0x8000_0000;

/// Size of the shared scratch buffer: bigger than one transaction may write.
pub const BUFSZ: usize = (MAXOPBLOCKS + 2) * BSIZE;

/// A static that tests mutate. Each test runs in its own single-threaded
/// process, so there is never a second user of the same data at once.
pub struct Global<T>(UnsafeCell<T>);

// SAFETY: user programs have exactly one thread.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(v: T) -> Self {
        Global(UnsafeCell::new(v))
    }

    pub fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// The scratch buffer most file tests share; it lives in bss, not on the
/// one-page user stack.
static BUF: Global<[u8; BUFSZ]> = Global::new([0; BUFSZ]);

/// The shared scratch buffer. A test takes it once and keeps the reference.
pub fn buf() -> &'static mut [u8; BUFSZ] {
    // SAFETY: single-threaded, and each test holds at most one reference
    // to the buffer at a time.
    unsafe { &mut *BUF.get() }
}

/// `sbrk` as an address, the way the C tests cast its result to uint64.
pub fn brk(n: i32) -> usize {
    sbrk(n) as usize
}

/// Volatile byte load, so a deliberate (possibly faulting) read is kept.
///
/// # Safety
/// The address may be anything: the point of the callers is to find out
/// whether the kernel lets the access happen. A bad address kills the
/// process rather than corrupting it.
pub unsafe fn peek(addr: usize) -> u8 {
    // SAFETY: see the function's contract.
    unsafe { core::ptr::read_volatile(addr as *const u8) }
}

/// Volatile byte store, so a deliberate (possibly faulting) write is kept.
///
/// # Safety
/// As for [`peek`]; the caller makes sure the byte is not one the program
/// itself relies on.
pub unsafe fn poke(addr: usize, v: u8) {
    // SAFETY: see the function's contract.
    unsafe { core::ptr::write_volatile(addr as *mut u8, v) }
}

/// The current stack pointer.
pub fn r_sp() -> usize {
    let sp: usize;
    // SAFETY: copying sp into a register has no side effects.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
}

/// A NUL-terminated name built in a byte array.
pub fn cname(b: &[u8]) -> &CStr {
    match CStr::from_bytes_until_nul(b) {
        Ok(c) => c,
        Err(_) => c"",
    }
}

/// The text of a NUL-terminated byte array, for messages.
pub fn text(b: &[u8]) -> &str {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(&b[..n]).unwrap_or("?")
}

/// One test: the function the child runs and the name it is known by.
pub struct Test(pub fn(&str), pub &'static str);

/// Runs `f` in a child; true if the child exited with status 0.
fn run(f: fn(&str), s: &str) -> bool {
    print!("test {}: ", s);
    let pid = fork();
    if pid < 0 {
        println!("runtest: fork error");
        exit(1);
    }
    if pid == 0 {
        f(s);
        exit(0);
    }
    let mut xstatus = 0;
    wait(Some(&mut xstatus));
    if xstatus != 0 {
        println!("FAILED");
    } else {
        println!("OK");
    }
    xstatus == 0
}

/// Runs every test of `tests` (or only the one called `justone`); true as
/// soon as one fails.
fn runtests(tests: &[Test], justone: Option<&[u8]>) -> bool {
    for &Test(f, s) in tests {
        if justone.is_none_or(|name| name == s.as_bytes()) && !run(f, s) {
            println!("SOME TESTS FAILED");
            return true;
        }
    }
    false
}

/// The 2020 order's tests, one by one; true as soon as one fails.
fn runtests2020() -> bool {
    let all = quick::QUICKTESTS.iter().chain(slow::SLOWTESTS);
    for &name in lab2020::ORDER {
        let ok = match all.clone().find(|t| t.1 == name) {
            Some(&Test(f, s)) => run(f, s),
            None => {
                println!("usertests: no test {}", name);
                false
            }
        };
        if !ok {
            println!("SOME TESTS FAILED");
            return true;
        }
    }
    false
}

/// The whole run, once or (with `continuous`) forever; true on failure.
/// `continuous` is 0 (once), 1 (`-c`: until a failure) or 2 (`-C`: forever).
fn drivetests(quick: bool, order2020: bool, continuous: i32, justone: Option<&[u8]>) -> bool {
    loop {
        println!("usertests starting");
        let free0 = countfree();
        if order2020 {
            if runtests2020() {
                return true;
            }
        } else if runtests(quick::QUICKTESTS, justone) && continuous != 2 {
            return true;
        }
        if !quick && !order2020 {
            if justone.is_none() {
                println!("usertests slow tests starting");
            }
            if runtests(slow::SLOWTESTS, justone) && continuous != 2 {
                return true;
            }
        }
        let free1 = countfree();
        if free1 < free0 {
            println!(
                "FAILED -- lost some free pages {} (out of {})",
                free1, free0
            );
            if continuous != 2 {
                return true;
            }
        }
        if continuous == 0 {
            return false;
        }
    }
}

fn main(args: Args) {
    let mut continuous = 0;
    let mut quick = false;
    let mut order2020 = false;
    let mut justone: Option<&[u8]> = None;

    let arg1 = args.get(1).map(|a| a.to_bytes());
    match arg1 {
        Some(b"-q") if args.len() == 2 => quick = true,
        Some(b"-2020") if args.len() == 2 => order2020 = true,
        Some(b"-c") if args.len() == 2 => continuous = 1,
        Some(b"-C") if args.len() == 2 => continuous = 2,
        Some(a) if args.len() == 2 && a.first() != Some(&b'-') => justone = Some(a),
        _ if args.len() > 1 => {
            println!("Usage: usertests [-c] [-C] [-q] [-2020] [testname]");
            exit(1);
        }
        _ => {}
    }
    if drivetests(quick, order2020, continuous, justone) {
        exit(1);
    }
    println!("ALL TESTS PASSED");
    exit(0);
}
