//! lazytests: the checks for the lazy page allocation lab (docs/design.md §5),
//! ported from the course's `user/lazytests.c`.
//!
//! `lazytests` runs all three tests; `lazytests NAME` only the one called
//! NAME. Each test runs in a child of its own and passes when that child
//! exits with status 0. "lazy unmap" makes the kernel kill 64 children on
//! purpose, so a `usertrap()` line per child is expected there.
//!
//! On a kernel without the lab every test fails: sbrk of 1 GiB is refused,
//! and malloc stops cleanly instead of the process being killed.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use ulib::umalloc::malloc;
use ulib::{exit, fork, println, sbrk, wait, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;

/// The size each test asks sbrk for: far more than the machine's RAM.
const REGION_SZ: i32 = 1 << 30;

/// Grows the heap by `REGION_SZ`; returns the old break, or exits with
/// status 1 when the kernel refuses.
fn grow_region() -> usize {
    let prev_end = sbrk(REGION_SZ);
    if prev_end as usize == usize::MAX {
        println!("sbrk() failed");
        exit(1);
    }
    prev_end as usize
}

/// Every 64th page of a 1 GiB region keeps the value written into it, so
/// only the pages actually used cost memory.
fn sparse_memory(_s: &str) {
    let prev_end = grow_region();
    let new_end = prev_end + REGION_SZ as usize;
    let pages = (prev_end + PGSIZE..new_end).step_by(64 * PGSIZE);

    for a in pages.clone() {
        // SAFETY: a lies inside the region sbrk just handed us, and each
        // word written is 8-byte aligned (sbrk's old break is page-aligned).
        unsafe { write_volatile(a as *mut usize, a) };
    }
    for a in pages {
        // SAFETY: as above; this reads back what the loop before wrote.
        if unsafe { read_volatile(a as *const usize) } != a {
            println!("failed to read value from memory");
            exit(1);
        }
    }
    exit(0);
}

/// After the region is given back with a negative sbrk, its pages (even
/// ones that were faulted in) must be gone: a child that shrinks its heap
/// and then writes into the old region has to be killed.
fn sparse_memory_unmap(_s: &str) {
    let prev_end = grow_region();
    let new_end = prev_end + REGION_SZ as usize;
    let pages = (prev_end + PGSIZE..new_end).step_by(PGSIZE * PGSIZE);

    for a in pages.clone() {
        // SAFETY: a lies inside the region sbrk just handed us, 8-byte aligned.
        unsafe { write_volatile(a as *mut usize, a) };
    }
    for a in pages {
        let pid = fork();
        if pid < 0 {
            println!("error forking");
            exit(1);
        }
        if pid == 0 {
            sbrk(-REGION_SZ);
            // SAFETY: none, deliberately: the region was just released, so
            // this store must fault and the kernel must kill us.
            unsafe { write_volatile(a as *mut usize, a) };
            exit(0);
        }
        let mut status = 0;
        wait(Some(&mut status));
        if status == 0 {
            println!("memory not unmapped");
            exit(1);
        }
    }
    exit(0);
}

/// A child mallocs 16 MiB blocks, touching one word of each, until the
/// memory runs out. With lazy allocation sbrk keeps succeeding, so the end
/// must come from the kernel killing the child; a child that sees malloc
/// fail and exits normally means sbrk was not lazy.
fn oom(_s: &str) {
    let pid = fork();
    if pid == 0 {
        let mut m1: *mut u8 = core::ptr::null_mut();
        loop {
            let m2 = malloc(4096 * 4096);
            if m2.is_null() {
                break;
            }
            // SAFETY: m2 is a fresh, 16-byte aligned block of 16 MiB; its
            // first word links it to the previous block.
            unsafe { write_volatile(m2 as *mut *mut u8, m1) };
            m1 = m2;
        }
        exit(0);
    }
    let mut xstatus = 0;
    wait(Some(&mut xstatus));
    exit(i32::from(xstatus == 0));
}

/// Runs `f` in a child; true if the child exited with status 0.
fn run(f: fn(&str), s: &str) -> bool {
    println!("running test {}", s);
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
        println!("test {}: FAILED", s);
    } else {
        println!("test {}: OK", s);
    }
    xstatus == 0
}

/// One test: the function its child runs and the name it is known by.
struct Test(fn(&str), &'static str);

static TESTS: [Test; 3] = [
    Test(sparse_memory, "lazy alloc"),
    Test(sparse_memory_unmap, "lazy unmap"),
    Test(oom, "out of memory"),
];

fn main(args: Args) {
    let only = args.get(1).map(|a| a.to_bytes());

    println!("lazytests starting");

    let mut fail = false;
    for &Test(f, s) in &TESTS {
        if only.is_none_or(|name| name == s.as_bytes()) && !run(f, s) {
            fail = true;
        }
    }
    if fail {
        println!("SOME TESTS FAILED");
        exit(1);
    }
    println!("ALL TESTS PASSED");
    exit(0);
}
