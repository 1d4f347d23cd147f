//! pfdemo: takes the page faults of one lab, for the page-fault trace
//! (Ctrl-T at the console; docs/debugging.md).
//!
//! `pfdemo MODE` with MODE one of:
//! - `kill`: four children die of a fault any kernel refuses: a store into
//!   text, a load above sz, a fetch from the stack, a load from the stack's
//!   guard page.
//! - `lazy`: a load and a store into untouched heap, a read() into it, then
//!   a storm of 1024 faults (more than the trace prints in a tick).
//! - `cow`: a child stores into a shared page, and has read() store into
//!   another; then the parent, the last sharer, stores into the first.
//! - `zfod`: a load from untouched heap, a store to that page, a store to a
//!   page never touched.
//! - `demand`: the program's own pages (its text fetched), and a page of
//!   bss.
//! - `mmap`: a load from a page of README mapped with mmap.
//! - `swap`: grows past free memory so pages go out to the swap disk, then
//!   touches the first pages again.
//!
//! Before each fault that matters it sleeps a tick, so that the trace's
//! rate limit (lines per tick) has room for it. Prints `pfdemo: MODE: done`
//! at the end, or `pfdemo: FAILED ...`.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use ulib::fcntl::{MAP_PRIVATE, PROT_READ};
use ulib::{exit, fork, getpid, open, println, sbrk, sleep, swapstat, sys, wait, Args, O_RDONLY};

ulib::entry!(main);

const PGSIZE: usize = 4096;

/// Sixteen pages of bss: the kernel reads none of it from the file.
static mut BSS: [u8; 16 * PGSIZE] = [0; 16 * PGSIZE];

fn fail(why: &str) -> ! {
    println!("pfdemo: FAILED {}", why);
    exit(1);
}

/// Grows the heap by `n` pages; their address.
fn grow(n: usize) -> *mut u8 {
    let p = sbrk((n * PGSIZE) as i32);
    if p as usize == usize::MAX {
        fail("sbrk");
    }
    p
}

/// Runs `f` in a child that must die of it (status -1).
fn dies(what: &str, f: fn()) {
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        sleep(1);
        f();
        println!("pfdemo: FAILED {}: not killed", what);
        exit(0);
    }
    let mut st = 0;
    wait(Some(&mut st));
    if st != -1 {
        fail(what);
    }
}

fn store_text() {
    // SAFETY: deliberately wrong: text is read-only, the kernel kills us.
    unsafe { write_volatile(store_text as *const () as *mut u8, 0) };
}

fn load_above_sz() {
    let top = sbrk(0) as usize;
    // SAFETY: deliberately wrong: nothing is mapped 64 pages above sz.
    unsafe { read_volatile((top + 64 * PGSIZE) as *const u8) };
}

fn fetch_stack() {
    let code = [0u32; 4];
    // SAFETY: deliberately wrong: the stack is not executable, so the jump
    // faults before any of these words would run.
    let f: extern "C" fn() = unsafe { core::mem::transmute(code.as_ptr()) };
    f();
}

fn load_guard() {
    let here = 0u8;
    let guard = (&raw const here as usize & !(PGSIZE - 1)) - PGSIZE;
    // SAFETY: deliberately wrong: the page below the stack has no PTE_U.
    unsafe { read_volatile(guard as *const u8) };
}

fn kill() {
    dies("store into text", store_text);
    dies("load above sz", load_above_sz);
    dies("fetch from the stack", fetch_stack);
    dies("load from the guard page", load_guard);
}

/// read() of README into `buf`: a store by the kernel.
fn read_into(buf: *mut u8) {
    let fd = open(c"README", O_RDONLY);
    // SAFETY: buf is a heap page of ours; 16 bytes fit.
    if fd < 0 || unsafe { sys::read(fd, buf, 16) } != 16 {
        fail("read README");
    }
    ulib::close(fd);
}

fn lazy() {
    let p = grow(3);
    sleep(1);
    // SAFETY: p..p + 3 pages is our heap (lazily mapped).
    unsafe { read_volatile(p) };
    sleep(1);
    // SAFETY: as above.
    unsafe { write_volatile(p.add(PGSIZE), 1) };
    sleep(1);
    read_into(p.wrapping_add(2 * PGSIZE));
    sleep(1);
    let n = 1024;
    let q = grow(n);
    for i in 0..n {
        // SAFETY: q..q + n pages is our heap.
        unsafe { write_volatile(q.add(i * PGSIZE), 1) };
    }
    sleep(2);
}

fn cow() {
    let p = grow(2);
    // SAFETY: p..p + 2 pages is our heap; both ours before the fork.
    unsafe {
        write_volatile(p, 1);
        write_volatile(p.add(PGSIZE), 1);
    }
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        sleep(1);
        read_into(p.wrapping_add(PGSIZE));
        sleep(1);
        // SAFETY: the heap the child inherited.
        unsafe { write_volatile(p, 2) };
        exit(0);
    }
    wait(None);
    sleep(1);
    // SAFETY: our heap; the child has exited, so we are its last sharer.
    unsafe { write_volatile(p, 3) };
}

fn zfod() {
    let p = grow(2);
    sleep(1);
    // SAFETY: p..p + 2 pages is our heap (untouched).
    unsafe { read_volatile(p) };
    sleep(1);
    // SAFETY: as above.
    unsafe { write_volatile(p, 1) };
    sleep(1);
    // SAFETY: as above.
    unsafe { write_volatile(p.add(PGSIZE), 1) };
}

fn demand() {
    // A page wholly inside BSS, past any byte of the file.
    let start = (&raw const BSS) as usize;
    let page = start.next_multiple_of(PGSIZE) + PGSIZE;
    sleep(1);
    // SAFETY: page lies inside BSS, which nothing else uses.
    unsafe { read_volatile(page as *const u8) };
}

fn mmap() {
    let fd = open(c"README", O_RDONLY);
    if fd < 0 {
        fail("open README");
    }
    // SAFETY: a new mapping cannot overlap memory Rust uses.
    let a = unsafe { sys::mmap(0, PGSIZE, PROT_READ, MAP_PRIVATE, fd, 0) };
    if a == usize::MAX {
        fail("mmap (not an mmap kernel?)");
    }
    sleep(1);
    // SAFETY: a is a page of README mapped just now.
    unsafe { read_volatile(a as *const u8) };
}

fn swap() {
    let Some(st) = swapstat() else {
        fail("swapstat (not a swap kernel?)");
    };
    // Past free memory by 512 pages: at least that many go out.
    let n = st.free as usize + 512;
    let p = grow(n);
    for i in 0..n {
        // SAFETY: p..p + n pages is our heap.
        unsafe { write_volatile(p.add(i * PGSIZE), (i as u8) | 1) };
    }
    sleep(1);
    for i in 0..16 {
        // SAFETY: as above.
        if unsafe { read_volatile(p.add(i * PGSIZE)) } != (i as u8) | 1 {
            fail("a page came back wrong");
        }
    }
    sleep(2);
}

fn main(args: Args) {
    let mode = args.str(1);
    match mode {
        "kill" => kill(),
        "lazy" => lazy(),
        "cow" => cow(),
        "zfod" => zfod(),
        "demand" => demand(),
        "mmap" => mmap(),
        "swap" => swap(),
        _ => {
            println!("usage: pfdemo kill|lazy|cow|zfod|demand|mmap|swap");
            exit(1);
        }
    }
    println!("pfdemo: {}: done (pid {})", mode, getpid());
    exit(0);
}
