//! cowtest: the checks for the copy-on-write fork lab (docs/design.md §5),
//! ported from the course's `user/cowtest.c`.
//!
//! - simple (run twice): a process holding about 2/3 of physical memory
//!   forks. Without COW the copy cannot fit, so fork fails; the second run
//!   shows the first one gave all its memory back.
//! - three (run three times): three processes share a quarter of memory
//!   and each writes its own values into it, so copies are made, and must
//!   be freed again.
//! - file: a child reads from a pipe into memory it shares with its
//!   parent, so the kernel's copyout has to break the sharing too.

#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use core::ptr::{read_volatile, write_volatile};
use ulib::{exit, fork, getpid, pipe, print, println, read, sbrk, sleep, wait, write, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
/// Physical RAM is [KERNBASE, PHYSTOP): 128 MiB (docs/design.md §3).
const KERNBASE: u64 = 0x8000_0000;
const PHYSTOP: u64 = KERNBASE + 128 * 1024 * 1024;

/// sbrk's way of saying no: C's `(char*)-1`.
fn failed(p: *mut u8) -> bool {
    p as usize == usize::MAX
}

/// Stores `v` at the start of every page of [p, p + len).
fn fill(p: *mut u8, len: usize, v: i32) {
    for off in (0..len).step_by(PGSIZE) {
        // SAFETY: the caller's range is heap it owns; page starts are
        // 4-byte aligned because p is (sbrk returns page-aligned breaks here).
        unsafe { write_volatile(p.add(off) as *mut i32, v) };
    }
}

/// True if every page of [p, p + len) starts with `v`.
fn holds(p: *mut u8, len: usize, v: i32) -> bool {
    (0..len).step_by(PGSIZE).all(|off| {
        // SAFETY: as in fill.
        unsafe { read_volatile(p.add(off) as *const i32) == v }
    })
}

fn simpletest() {
    let phys_size = PHYSTOP - KERNBASE;
    let sz = ((phys_size / 3) * 2) as i32;

    print!("simple: ");

    let p = sbrk(sz);
    if failed(p) {
        println!("sbrk({}) failed", sz);
        exit(-1);
    }

    fill(p, sz as usize, getpid());

    let pid = fork();
    if pid < 0 {
        println!("fork() failed");
        exit(-1);
    }
    if pid == 0 {
        exit(0);
    }

    wait(None);

    if failed(sbrk(-sz)) {
        println!("sbrk(-{}) failed", sz);
        exit(-1);
    }

    println!("ok");
}

fn threetest() {
    let phys_size = PHYSTOP - KERNBASE;
    let sz = (phys_size / 4) as i32;
    let len = sz as usize;

    print!("three: ");

    let p = sbrk(sz);
    if failed(p) {
        println!("sbrk({}) failed", sz);
        exit(-1);
    }

    let pid1 = fork();
    if pid1 < 0 {
        println!("fork failed");
        exit(-1);
    }
    if pid1 == 0 {
        let pid2 = fork();
        if pid2 < 0 {
            print!("fork failed");
            exit(-1);
        }
        if pid2 == 0 {
            // The grandchild writes most of the region, checks it, and
            // always exits with -1; nobody waits for it but init.
            let part = (len / 5) * 4;
            let me = getpid();
            fill(p, part, me);
            if !holds(p, part, me) {
                println!("wrong content");
                exit(-1);
            }
            exit(-1);
        }
        fill(p, len / 2, 9999);
        exit(0);
    }

    let me = getpid();
    fill(p, len, me);

    wait(None);

    sleep(1);

    if !holds(p, len, me) {
        println!("wrong content");
        exit(-1);
    }

    if failed(sbrk(-sz)) {
        println!("sbrk(-{}) failed", sz);
        exit(-1);
    }

    println!("ok");
}

/// A value alone on its own page(s), so that the kernel's writes into it
/// (pipe's fds, read's buffer) land on a page shared copy-on-write with
/// the children and nothing else in the program touches that page.
#[repr(C, align(4096))]
struct PageAlone<T>(UnsafeCell<T>);

// SAFETY: user programs have exactly one thread.
unsafe impl<T> Sync for PageAlone<T> {}

static FDS: PageAlone<[i32; 2]> = PageAlone(UnsafeCell::new([0; 2]));
static BUF: PageAlone<[u8; PGSIZE]> = PageAlone(UnsafeCell::new([0; PGSIZE]));

fn filetest() {
    print!("file: ");

    let buf = BUF.0.get();
    // SAFETY: single thread; buf points at the static's array. Volatile so
    // the stores and loads of the shared page happen exactly as written.
    unsafe { write_volatile(buf as *mut u8, 99) };

    for i in 0..4i32 {
        // SAFETY: single thread, and no other reference to FDS is live.
        let fds = unsafe { &mut *FDS.0.get() };
        if pipe(fds) != 0 {
            println!("pipe() failed");
            exit(-1);
        }
        let pid = fork();
        if pid < 0 {
            println!("fork failed");
            exit(-1);
        }
        if pid == 0 {
            sleep(1);
            // SAFETY: single thread; the kernel writes the first 4 bytes.
            let dst = unsafe { &mut (&mut *buf)[..4] };
            if read(fds[0], dst) != 4 {
                println!("error: read failed");
                exit(1);
            }
            sleep(1);
            // SAFETY: buf is page-aligned, so 4-byte aligned for an i32.
            let j = unsafe { read_volatile(buf as *const i32) };
            if j != i {
                println!("error: read the wrong value");
                exit(1);
            }
            exit(0);
        }
        if write(fds[1], &i.to_ne_bytes()) != 4 {
            println!("error: write failed");
            exit(-1);
        }
    }

    let mut xstatus = 0;
    for _ in 0..4 {
        wait(Some(&mut xstatus));
        if xstatus != 0 {
            exit(1);
        }
    }

    // SAFETY: single thread; buf points at the static's array.
    if unsafe { read_volatile(buf as *const u8) } != 99 {
        println!("error: child overwrote parent");
        exit(1);
    }

    println!("ok");
}

fn main(_args: Args) {
    simpletest();

    // A second run only fits if the first gave all its memory back.
    simpletest();

    threetest();
    threetest();
    threetest();

    filetest();

    println!("ALL COW TESTS PASSED");

    exit(0);
}
