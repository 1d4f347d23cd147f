//! mmaptest: the checks for the mmap lab (memory-mapped files, kernel
//! feature `mmap`).
//!
//! The first part is a port of the course's 2021/2022 `user/mmaptest.c`:
//! `mmap_test` (map a file read-only and private, refuse a shared writable
//! mapping of a read-only file, write a shared mapping back, unmap pages
//! that were never touched, two files at once) and `fork_test` (a child
//! sees its parent's mappings, and unmapping in the child leaves the
//! parent's alone), with the same console lines. A failure prints
//! `mmaptest: NAME failed: WHY, pid=PID` and exits with status 1.
//!
//! Then three cases the 2024 course version added (lazy access, munmap
//! prevents access, writes to read-only mapped memory) and cases of our
//! own, each printing `test NAME` and `test NAME: OK`: offsets, partial
//! unmaps, MAP_PRIVATE across fork, writeback of dirty pages only, that
//! writeback never grows a file, a sparse 200 MiB mapping, system calls
//! on mapped buffers, faults that must kill, every error return, exec
//! with live mappings and writeback at exit. The last line is
//! `mmaptest: all tests succeeded`.
//!
//! Several cases make the kernel kill a child on purpose, so some
//! `usertrap()` lines on the console are expected. `mmaptest exec-probe`
//! is what the exec case runs in its child; it is not meant to be typed.

#![no_std]
#![no_main]

use abi::fcntl::{MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE};
use core::cell::{Cell, UnsafeCell};
use core::ffi::CStr;
use core::fmt::Display;
use core::ptr::{read_volatile, write_volatile};
use ulib::fs::BSIZE;
use ulib::layout::PGSIZE;
use ulib::meter::{countfree, Meter};
use ulib::param::NOFILE;
use ulib::{
    close, dup, exec, exit, fork, fstat, getpid, open, pipe, println, sbrk, sys, unlink, wait,
    write, Args, Stat, O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

/// mmap's error return: C's `(char *) -1`.
const MAP_FAILED: usize = usize::MAX;

/// The file the course's tests map.
const DUR: &CStr = c"mmap.dur";
/// Scratch files of our own cases; each case removes what it made.
const TMP: &CStr = c"mmap.tmp";
const AUX: &CStr = c"mmap.aux";

/// The argument that makes this program the exec case's probe.
const EXEC_PROBE: &CStr = c"exec-probe";

/// Most areas a process may have at once (the kernel's limit).
const NAREA: usize = 16;

/// A static for a program that has exactly one thread.
struct Single<T>(T);

// SAFETY: user programs are single-threaded, so nothing is ever shared
// between threads.
unsafe impl<T> Sync for Single<T> {}

/// Which test is running, for the failure message (C's `testname`).
static TESTNAME: Single<Cell<&str>> = Single(Cell::new("???"));

/// A page-sized buffer for file contents (C's global `buf`). It is only
/// ever used through its address, like the mapped memory, so no Rust
/// reference to it exists while the kernel writes into it.
#[repr(C, align(4096))]
struct Page(UnsafeCell<[u8; PGSIZE]>);

// SAFETY: single-threaded, as for Single.
unsafe impl Sync for Page {}

static BUF: Page = Page(UnsafeCell::new([0; PGSIZE]));

fn buf() -> usize {
    BUF.0.get() as usize
}

fn set_testname(name: &'static str) {
    TESTNAME.0.set(name);
}

/// Reports a failure of the running test and exits with status 1.
fn err(why: impl Display) -> ! {
    println!(
        "mmaptest: {} failed: {}, pid={}",
        TESTNAME.0.get(),
        why,
        getpid()
    );
    exit(1)
}

// Memory is reached through plain addresses: it is either mapped by mmap
// (which Rust knows nothing about) or BUF. Volatile, so every load and
// store really happens where the program says, which is the whole point
// when the kernel is meant to fault a page in or to kill us.

/// The byte at `a`.
fn peek(a: usize) -> u8 {
    // SAFETY: `a` is in BUF or in a mapping this process holds; or, in a
    // child meant to be killed, deliberately in neither.
    unsafe { read_volatile(a as *const u8) }
}

/// Stores `v` at `a`.
fn poke(a: usize, v: u8) {
    // SAFETY: as in peek.
    unsafe { write_volatile(a as *mut u8, v) }
}

/// Stores `v` into the `n` bytes from `a`.
fn fill(a: usize, n: usize, v: u8) {
    for i in 0..n {
        poke(a + i, v);
    }
}

/// Whether the `n` bytes from `a` are all `v`.
fn all(a: usize, n: usize, v: u8) -> bool {
    (0..n).all(|i| peek(a + i) == v)
}

/// Whether the bytes from `a` are `s` (C's memcmp(...) == 0).
fn same(a: usize, s: &[u8]) -> bool {
    s.iter().enumerate().all(|(i, &c)| peek(a + i) == c)
}

/// read(fd, a, n) into memory given by address.
fn read_at(fd: i32, a: usize, n: usize) -> i32 {
    // SAFETY: a..a + n is BUF or mapped memory (see peek); the kernel
    // checks the range anyway.
    unsafe { sys::read(fd, a as *mut u8, n as i32) }
}

/// write(fd, a, n) from memory given by address.
fn write_at(fd: i32, a: usize, n: usize) -> i32 {
    // SAFETY: the kernel only reads a..a + n, and checks the range.
    unsafe { sys::write(fd, a as *const u8, n as i32) }
}

/// mmap with the address left to the kernel.
fn mmap(len: usize, prot: i32, flags: i32, fd: i32, off: usize) -> usize {
    // SAFETY: a new mapping cannot overlap memory Rust uses; the kernel
    // picks the address.
    unsafe { sys::mmap(0, len, prot, flags, fd, off) }
}

fn munmap(a: usize, len: usize) -> i32 {
    // SAFETY: only ever called on mmap'd ranges (or ranges the kernel must
    // refuse); nothing of Rust's lives there.
    unsafe { sys::munmap(a, len) }
}

/// The content of the two mapped pages of a file from `makefile`: 1.5
/// pages of 'A', then zeros (C's `_v1`).
fn v1(p: usize) {
    for i in 0..PGSIZE * 2 {
        let c = peek(p + i);
        if i < PGSIZE + PGSIZE / 2 {
            if c != b'A' {
                println!("mismatch at {}, wanted 'A', got 0x{:x}", i, c);
                err("v1 mismatch (1)");
            }
        } else if c != 0 {
            println!("mismatch at {}, wanted zero, got 0x{:x}", i, c);
            err("v1 mismatch (2)");
        }
    }
}

/// Makes `f` anew: 1.5 pages of 'A', written a block at a time.
fn makefile(f: &CStr) {
    let n = PGSIZE / BSIZE;
    unlink(f);
    let fd = open(f, O_WRONLY | O_CREATE);
    if fd == -1 {
        err("open");
    }
    fill(buf(), BSIZE, b'A');
    for _ in 0..n + n / 2 {
        if write_at(fd, buf(), BSIZE) != BSIZE as i32 {
            err("write 0 makefile");
        }
    }
    if close(fd) == -1 {
        err("close");
    }
}

fn mmap_test() {
    let f = DUR;
    println!("mmap_test starting");
    set_testname("mmap_test");

    // A file with known content, mapped read-only: the memory must hold
    // the file's bytes, and zeros past its end.
    makefile(f);
    let mut fd = open(f, O_RDONLY);
    if fd == -1 {
        err("open");
    }

    println!("test mmap f");
    // Address 0: the kernel chooses. PROT_READ with MAP_PRIVATE: stores
    // would stay in this process (but PROT_READ forbids them anyway).
    let mut p = mmap(PGSIZE * 2, PROT_READ, MAP_PRIVATE, fd, 0);
    if p == MAP_FAILED {
        err("mmap (1)");
    }
    v1(p);
    if munmap(p, PGSIZE * 2) == -1 {
        err("munmap (1)");
    }
    println!("test mmap f: OK");

    println!("test mmap private");
    // A private mapping may be writable even though the file is open
    // read-only.
    p = mmap(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if p == MAP_FAILED {
        err("mmap (2)");
    }
    if close(fd) == -1 {
        err("close");
    }
    v1(p);
    fill(p, PGSIZE * 2, b'Z');
    if munmap(p, PGSIZE * 2) == -1 {
        err("munmap (2)");
    }
    println!("test mmap private: OK");

    println!("test mmap read-only");
    // A shared writable mapping of a file open read-only is refused.
    fd = open(f, O_RDONLY);
    if fd == -1 {
        err("open");
    }
    p = mmap(PGSIZE * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if p != MAP_FAILED {
        err("mmap call should have failed");
    }
    if close(fd) == -1 {
        err("close");
    }
    println!("test mmap read-only: OK");

    println!("test mmap read/write");
    // ... but allowed when the file is open for reading and writing.
    fd = open(f, O_RDWR);
    if fd == -1 {
        err("open");
    }
    p = mmap(PGSIZE * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if p == MAP_FAILED {
        err("mmap (3)");
    }
    if close(fd) == -1 {
        err("close");
    }
    // The mapping outlives the descriptor.
    v1(p);
    fill(p, PGSIZE * 2, b'Z');
    // Only the first two of the three pages.
    if munmap(p, PGSIZE * 2) == -1 {
        err("munmap (3)");
    }
    println!("test mmap read/write: OK");

    println!("test mmap dirty");
    // The stores reached the file (as far as the file goes).
    fd = open(f, O_RDWR);
    if fd == -1 {
        err("open");
    }
    for _ in 0..PGSIZE + PGSIZE / 2 {
        let mut b = [0u8; 1];
        if ulib::read(fd, &mut b) != 1 {
            err("read (1)");
        }
        if b[0] != b'Z' {
            err("file does not contain modifications");
        }
    }
    if close(fd) == -1 {
        err("close");
    }
    println!("test mmap dirty: OK");

    println!("test not-mapped unmap");
    // The third page was never touched.
    if munmap(p + PGSIZE * 2, PGSIZE) == -1 {
        err("munmap (4)");
    }
    println!("test not-mapped unmap: OK");

    println!("test mmap two files");
    // Two files mapped at once, and the files unlinked while mapped.
    let fd1 = open(c"mmap1", O_RDWR | O_CREATE);
    if fd1 < 0 {
        err("open mmap1");
    }
    if write(fd1, b"12345") != 5 {
        err("write mmap1");
    }
    let p1 = mmap(PGSIZE, PROT_READ, MAP_PRIVATE, fd1, 0);
    if p1 == MAP_FAILED {
        err("mmap mmap1");
    }
    close(fd1);
    unlink(c"mmap1");

    let fd2 = open(c"mmap2", O_RDWR | O_CREATE);
    if fd2 < 0 {
        err("open mmap2");
    }
    if write(fd2, b"67890") != 5 {
        err("write mmap2");
    }
    let p2 = mmap(PGSIZE, PROT_READ, MAP_PRIVATE, fd2, 0);
    if p2 == MAP_FAILED {
        err("mmap mmap2");
    }
    close(fd2);
    unlink(c"mmap2");

    if !same(p1, b"12345") {
        err("mmap1 mismatch");
    }
    if !same(p2, b"67890") {
        err("mmap2 mismatch");
    }
    munmap(p1, PGSIZE);
    if !same(p2, b"67890") {
        err("mmap2 mismatch (2)");
    }
    munmap(p2, PGSIZE);
    println!("test mmap two files: OK");

    println!("mmap_test: ALL OK");
}

/// Maps a file twice, then forks: the child sees the mapped file, and
/// what the child unmaps stays mapped in the parent.
fn fork_test() {
    let f = DUR;
    println!("fork_test starting");
    set_testname("fork_test");

    makefile(f);
    let fd = open(f, O_RDONLY);
    if fd == -1 {
        err("open");
    }
    unlink(f);
    let p1 = mmap(PGSIZE * 2, PROT_READ, MAP_SHARED, fd, 0);
    if p1 == MAP_FAILED {
        err("mmap (4)");
    }
    let p2 = mmap(PGSIZE * 2, PROT_READ, MAP_SHARED, fd, 0);
    if p2 == MAP_FAILED {
        err("mmap (5)");
    }

    // Only the second page is faulted in before the fork.
    if peek(p1 + PGSIZE) != b'A' {
        err("fork mismatch (1)");
    }

    let pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        v1(p1);
        munmap(p1, PGSIZE); // just the first page
        exit(0); // the mapping looked right
    }

    let mut status = -1;
    wait(Some(&mut status));
    if status != 0 {
        println!("fork_test failed");
        exit(1);
    }

    // The parent's mappings are all still there.
    v1(p1);
    v1(p2);

    println!("fork_test OK");

    // Not in the C: give the areas and the descriptor back, so the cases
    // below start with no areas at all (they count areas and pages).
    if munmap(p1, PGSIZE * 2) == -1 || munmap(p2, PGSIZE * 2) == -1 {
        err("munmap after fork_test");
    }
    close(fd);
}

// ---- helpers of the cases below ----

/// Runs one case between its `test NAME` and `test NAME: OK` lines.
fn case(name: &'static str, f: fn()) {
    set_testname(name);
    println!("test {}", name);
    f();
    println!("test {}: OK", name);
}

fn open_or_die(f: &CStr, mode: i32) -> i32 {
    let fd = open(f, mode);
    if fd < 0 {
        err("open");
    }
    fd
}

/// mmap that must work.
fn must_map(len: usize, prot: i32, flags: i32, fd: i32, off: usize) -> usize {
    let p = mmap(len, prot, flags, fd, off);
    if p == MAP_FAILED {
        err("mmap");
    }
    if !p.is_multiple_of(PGSIZE) {
        err(format_args!("mmap returned {:#x}, not page-aligned", p));
    }
    p
}

/// munmap that must work.
fn must_unmap(a: usize, len: usize) {
    if munmap(a, len) != 0 {
        err(format_args!("munmap({:#x}, {:#x})", a, len));
    }
}

/// Makes `f` anew with `pages` pages; every byte of page k is `byte(k)`.
fn make_pages(f: &CStr, pages: usize, byte: fn(usize) -> u8) {
    let fd = open_or_die(f, O_CREATE | O_TRUNC | O_WRONLY);
    for k in 0..pages {
        fill(buf(), PGSIZE, byte(k));
        if write_at(fd, buf(), PGSIZE) != PGSIZE as i32 {
            err("write (make_pages)");
        }
    }
    close(fd);
}

/// Page k of a file from make_pages with digits: all '0' + k.
fn digit(k: usize) -> u8 {
    b'0' + k as u8
}

/// Page k of a file from make_pages with letters: all 'a' + k.
fn letter(k: usize) -> u8 {
    b'a' + k as u8
}

/// Fails unless the page at `a` holds only `v`.
fn expect_page(a: usize, v: u8, what: &str) {
    if !all(a, PGSIZE, v) {
        err(format_args!("{} does not hold only 0x{:x}", what, v));
    }
}

/// The byte at offset `off` of file `f`, read with read(); None past its end.
fn file_byte(f: &CStr, off: usize) -> Option<u8> {
    let fd = open_or_die(f, O_RDONLY);
    let mut pos = 0;
    let found = loop {
        let n = read_at(fd, buf(), PGSIZE);
        if n <= 0 {
            break None;
        }
        if off < pos + n as usize {
            break Some(peek(buf() + off - pos));
        }
        pos += n as usize;
    };
    close(fd);
    found
}

/// Fails unless byte `off` of `f` is `v`.
fn expect_file_byte(f: &CStr, off: usize, v: u8, what: &str) {
    match file_byte(f, off) {
        Some(c) if c == v => {}
        Some(c) => err(format_args!(
            "{}: file byte {} is 0x{:x}, not 0x{:x}",
            what, off, c, v
        )),
        None => err(format_args!("{}: file ends before byte {}", what, off)),
    }
}

/// The exit status of child `pid`.
fn wait_for(pid: i32) -> i32 {
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        err("wait");
    }
    st
}

/// Runs `f` in a child, which must be killed by the kernel (status -1)
/// before `f` returns; `what` says what the child got away with if not.
fn expect_killed(what: &str, f: impl FnOnce()) {
    let pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        f();
        exit(0);
    }
    if wait_for(pid) != -1 {
        err(what);
    }
}

/// Runs `f` in a child, which must exit with status 0.
fn in_child(what: &str, f: impl FnOnce()) {
    let pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        f();
        exit(0);
    }
    if wait_for(pid) != 0 {
        err(what);
    }
}

/// An address no area and no other memory of ours covers: a page above
/// the heap's break.
fn unmapped_addr() -> usize {
    (sbrk(0) as usize).next_multiple_of(PGSIZE) + PGSIZE
}

// ---- the 2024 course version's cases ----

/// mmap must not read the file: a change made with write() after mmap
/// but before the first access shows up in the mapped memory.
fn lazy_access() {
    let f = DUR;
    // (The C unlinks the file first and insists that works; fork_test has
    // already unlinked it here, and makefile removes any old copy.)
    makefile(f);
    let mut fd = open(f, O_RDWR);
    if fd == -1 {
        err("open");
    }
    let p = mmap(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if p == MAP_FAILED {
        err("mmap");
    }
    close(fd);

    fd = open(f, O_RDWR);
    if fd == -1 {
        err("open");
    }
    if write(fd, b"m") != 1 {
        err("write");
    }
    close(fd);

    if peek(p) != b'm' {
        err("read was not lazy");
    }
    if munmap(p, PGSIZE * 2) == -1 {
        err("munmap");
    }
}

/// A child that unmaps a page and then reads it is killed; the parent's
/// mapping is untouched by what its children did, and its own stores are
/// written back when it unmaps.
fn munmap_prevents_access() {
    let f = DUR;
    makefile(f);
    let fd = open(f, O_RDWR);
    if fd == -1 {
        err("open");
    }
    let p = mmap(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if p == MAP_FAILED {
        err("mmap");
    }
    close(fd);

    poke(p, b'X');
    poke(p + PGSIZE, b'Y');

    let mut pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        poke(p, b'a');
        poke(p + PGSIZE, b'b');
        if munmap(p + PGSIZE, PGSIZE) == -1 {
            err("munmap");
        }
        // This must fault, fatally.
        println!("*(p+PGSIZE) = {:x}", peek(p + PGSIZE));
        exit(0);
    }
    if wait_for(pid) != -1 {
        err("child #1 read unmapped memory");
    }

    pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        poke(p, b'c');
        poke(p + PGSIZE, b'd');
        if munmap(p, PGSIZE) == -1 {
            err("munmap");
        }
        // This must fault, fatally.
        println!("*p = {:x}", peek(p));
        exit(0);
    }
    if wait_for(pid) != -1 {
        err("child #2 read unmapped memory");
    }

    // The parent's mapping is all still there.
    poke(p, b'P');
    poke(p + PGSIZE, b'Q');

    if munmap(p, PGSIZE) == -1 {
        err("munmap");
    }
    poke(p + PGSIZE, b'R');
    if munmap(p + PGSIZE, PGSIZE) == -1 {
        err("munmap");
    }

    // The file's first page starts with P, its second with R.
    let fd = open(f, O_RDONLY);
    if fd < 0 {
        err("open");
    }
    if read_at(fd, buf(), PGSIZE) != PGSIZE as i32 {
        err("read");
    }
    if peek(buf()) != b'P' {
        err("first byte of file is wrong");
    }
    if read_at(fd, buf(), PGSIZE) != (PGSIZE / 2) as i32 {
        err("read");
    }
    if peek(buf()) != b'R' {
        err("first byte of 2nd page of file is wrong");
    }
    close(fd);
}

/// A store into a PROT_READ mapping kills, even with the file open for
/// writing.
fn writes_to_read_only() {
    let f = DUR;
    makefile(f);
    let pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        let fd = open(f, O_RDWR);
        if fd == -1 {
            err("open");
        }
        let p = mmap(PGSIZE * 2, PROT_READ, MAP_SHARED, fd, 0);
        if p == MAP_FAILED {
            err("mmap");
        }
        // This must fault, fatally.
        poke(p, 0);
        exit(i32::from(peek(p)));
    }
    if wait_for(pid) != -1 {
        err("child wrote read-only mapping");
    }
    unlink(f);
}

// ---- our own cases ----

/// A mapping at a file offset shows the pages from there on, zeros past
/// the end of the file; an offset that is not a page multiple is refused.
fn mmap_offset() {
    make_pages(TMP, 3, digit);
    let fd = open_or_die(TMP, O_RDONLY);

    let p = must_map(PGSIZE * 2, PROT_READ, MAP_PRIVATE, fd, PGSIZE);
    expect_page(p, b'1', "page 0 of a mapping at offset PGSIZE");
    expect_page(p + PGSIZE, b'2', "page 1 of a mapping at offset PGSIZE");
    must_unmap(p, PGSIZE * 2);

    let p = must_map(PGSIZE * 2, PROT_READ, MAP_PRIVATE, fd, PGSIZE * 2);
    expect_page(p, b'2', "page 0 of a mapping at offset 2*PGSIZE");
    expect_page(p + PGSIZE, 0, "a page past the end of the file");
    must_unmap(p, PGSIZE * 2);

    if mmap(PGSIZE, PROT_READ, MAP_PRIVATE, fd, 100) != MAP_FAILED {
        err("mmap at offset 100 worked");
    }
    close(fd);
    unlink(TMP);
}

/// Unmapping the first and then the last page of an area leaves the rest
/// mapped, and the pages left fault in from the right file offsets and
/// write back to them; no holes, no unaligned unmaps; a child touching an
/// unmapped page is killed.
fn mmap_partial_unmap() {
    make_pages(TMP, 4, digit);
    let fd = open_or_die(TMP, O_RDWR);
    let p = must_map(PGSIZE * 4, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);

    // Only page 0 is faulted in.
    if peek(p) != b'0' {
        err("page 0 is wrong");
    }
    if munmap(p + PGSIZE, PGSIZE) != -1 {
        err("munmap of a page in the middle worked");
    }
    if munmap(p + PGSIZE, PGSIZE * 2) != -1 {
        err("munmap of two pages in the middle worked");
    }
    if munmap(p + 1, PGSIZE) != -1 {
        err("munmap at an unaligned address worked");
    }
    must_unmap(p, PGSIZE);
    must_unmap(p + PGSIZE * 3, PGSIZE); // never touched
    if munmap(p, PGSIZE) != -1 {
        err("a second munmap of the first page worked");
    }

    // Pages 1 and 2 are touched only now that the area starts at page 1.
    expect_page(p + PGSIZE, b'1', "page 1 after unmapping page 0");
    expect_page(p + PGSIZE * 2, b'2', "page 2 after unmapping page 0");
    poke(p + PGSIZE * 2, b'x');

    expect_killed("a child read the unmapped first page", || {
        peek(p);
    });
    expect_killed("a child read the unmapped last page", || {
        peek(p + PGSIZE * 3);
    });

    must_unmap(p + PGSIZE, PGSIZE * 2);
    expect_file_byte(TMP, PGSIZE * 2, b'x', "the store to page 2");
    expect_file_byte(TMP, PGSIZE * 2 + 1, b'2', "the rest of page 2");
    expect_file_byte(TMP, PGSIZE, b'1', "page 1");
    expect_file_byte(TMP, 0, b'0', "page 0");
    expect_file_byte(TMP, PGSIZE * 3, b'3', "page 3");
    unlink(TMP);
}

/// A child gets a copy of a MAP_PRIVATE area with what the parent stored
/// before fork; after that neither sees the other's stores, and no store
/// reaches the file.
fn mmap_private_fork() {
    makefile(TMP);
    let fd = open_or_die(TMP, O_RDONLY);
    let p = must_map(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);

    // Page 0 is faulted in and changed; page 1 is left untouched.
    poke(p, b'P');

    in_child("the child saw the wrong bytes", || {
        if peek(p) != b'P' {
            err("the child does not see the parent's store");
        }
        if peek(p + 1) != b'A' || peek(p + PGSIZE) != b'A' {
            err("the child does not see the file");
        }
        poke(p, b'C');
        poke(p + PGSIZE, b'C');
        if peek(p) != b'C' || peek(p + PGSIZE) != b'C' {
            err("the child's stores did not stick");
        }
    });

    if peek(p) != b'P' {
        err("the child's store to page 0 reached the parent");
    }
    if peek(p + PGSIZE) != b'A' {
        err("the child's store to page 1 reached the parent");
    }
    must_unmap(p, PGSIZE * 2);
    expect_file_byte(TMP, 0, b'A', "after a MAP_PRIVATE store");
    expect_file_byte(TMP, PGSIZE, b'A', "after a MAP_PRIVATE store");
    unlink(TMP);
}

/// Only pages that were stored to are written back: a page that was only
/// read must not overwrite what write() put in the file meanwhile.
fn mmap_dirty_only() {
    make_pages(TMP, 2, letter);
    let fd = open_or_die(TMP, O_RDWR);
    let p = must_map(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);

    if peek(p) != b'a' || peek(p + PGSIZE) != b'b' {
        err("the mapping does not show the file");
    }
    poke(p + PGSIZE + 7, b'W');

    let fd = open_or_die(TMP, O_RDWR);
    if write(fd, b"Q") != 1 {
        err("write");
    }
    close(fd);

    must_unmap(p, PGSIZE * 2);
    expect_file_byte(TMP, 0, b'Q', "a clean page was written back");
    expect_file_byte(TMP, PGSIZE + 7, b'W', "the dirty page");
    expect_file_byte(TMP, PGSIZE + 6, b'b', "the dirty page");
    unlink(TMP);
}

/// Writeback stops at the end of the file: stores past it are dropped and
/// the file keeps its size.
fn mmap_writeback_size() {
    makefile(TMP);
    let fd = open_or_die(TMP, O_RDWR);
    let p = must_map(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    let end = PGSIZE + PGSIZE / 2;
    for off in [0, PGSIZE - 1, PGSIZE, end - 1, end, PGSIZE * 2 - 1] {
        poke(p + off, b'W');
    }
    must_unmap(p, PGSIZE * 2);

    let mut st = Stat::default();
    if fstat(fd, &mut st) != 0 {
        err("fstat");
    }
    close(fd);
    if st.size != end as u64 {
        err(format_args!(
            "the file grew from {} to {} bytes",
            end, st.size
        ));
    }
    expect_file_byte(TMP, 0, b'W', "the first byte");
    expect_file_byte(TMP, 1, b'A', "the second byte");
    expect_file_byte(TMP, end - 1, b'W', "the last byte");
    unlink(TMP);
}

/// How much a sparse mapping covers, and the most pages touching a few
/// of them may cost (the pages themselves and their page tables).
const SPARSE: usize = 200 << 20;
const SPARSE_MAX_COST: i32 = 64;

/// Only the pages touched cost memory, past the file's end they read as
/// zeros, munmap frees them and nothing is left after exit.
fn mmap_sparse() {
    let fd0 = open_or_die(TMP, O_CREATE | O_TRUNC | O_WRONLY);
    fill(buf(), 100, b'S');
    if write_at(fd0, buf(), 100) != 100 {
        err("write");
    }
    close(fd0);
    let fd = open_or_die(TMP, O_RDONLY);

    // The counter is forked before any mapping exists, so its counts are
    // not skewed by fork copying our areas into the counting process.
    let meter = Meter::start();
    let before = meter.free_pages();
    in_child("the sparse child failed", || {
        let start = meter.free_pages();
        let p = must_map(SPARSE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        let stride = SPARSE / 8;
        // A store into 8 pages spread over the whole area (the first is
        // the file's page, past its 100 bytes).
        let stored = |k: usize| p + k * stride + (k % 3) * PGSIZE + 512;
        for k in 0..8 {
            poke(stored(k), 0x40 + k as u8);
        }
        // A load from 3 more pages, all past the end of the file.
        for a in [p + (13 << 20), p + (101 << 20) + 5 * PGSIZE, p + SPARSE - 1] {
            if peek(a) != 0 {
                err(format_args!(
                    "a page past the file's end is not zero at {:#x}",
                    a
                ));
            }
        }
        if !all(p, 100, b'S') || peek(p + 100) != 0 {
            err("the file's page is wrong");
        }
        for k in 0..8 {
            if peek(stored(k)) != 0x40 + k as u8 {
                err("a store did not stick");
            }
        }
        let touched = meter.free_pages();
        if start - touched >= SPARSE_MAX_COST {
            err(format_args!(
                "touching 11 pages of a mapping cost {} pages",
                start - touched
            ));
        }
        must_unmap(p, SPARSE);
        let after = meter.free_pages();
        if after - touched < 8 {
            err(format_args!(
                "munmap freed {} pages, not the 8 stored to",
                after - touched
            ));
        }
    });
    let after = meter.free_pages();
    meter.stop();
    close(fd);
    unlink(TMP);
    if after != before {
        err(format_args!("{} pages lost", before - after));
    }
}

/// Byte `i` of the data file of mmap_syscalls.
fn data_byte(i: usize) -> u8 {
    (i * 7 + 3) as u8
}

/// A mapped buffer nobody has touched yet works as read()'s destination
/// and write()'s source (the kernel faults the pages in), across page
/// boundaries, with files and pipes.
fn mmap_syscalls() {
    makefile(TMP);
    let data_len = 600;
    for i in 0..data_len {
        poke(buf() + i, data_byte(i));
    }
    let fd = open_or_die(AUX, O_CREATE | O_TRUNC | O_WRONLY);
    if write_at(fd, buf(), data_len) != data_len as i32 {
        err("write");
    }
    close(fd);

    let fd = open_or_die(TMP, O_RDONLY);
    let p = must_map(PGSIZE * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    let end = PGSIZE + PGSIZE / 2; // of the file

    // From untouched page 1, across the file's end, into a pipe.
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        err("pipe");
    }
    if write_at(fds[1], p + end - 256, 512) != 512 {
        err("write() from mapped memory");
    }
    // From the pipe into untouched pages 2 and 3.
    let dst = p + PGSIZE * 3 - 200;
    if read_at(fds[0], dst, 512) != 512 {
        err("read() from a pipe into mapped memory");
    }
    close(fds[0]);
    close(fds[1]);
    if !all(dst, 256, b'A') || !all(dst + 256, 256, 0) {
        err("the bytes through the pipe are wrong");
    }
    if peek(dst - 1) != 0 || peek(dst + 512) != 0 {
        err("read() wrote outside its buffer");
    }

    // From a file into untouched page 0 and on into page 1.
    let dst = p + PGSIZE - 300;
    let fd = open_or_die(AUX, O_RDONLY);
    if read_at(fd, dst, data_len) != data_len as i32 {
        err("read() from a file into mapped memory");
    }
    close(fd);
    if !(0..data_len).all(|i| peek(dst + i) == data_byte(i)) {
        err("the bytes read from the file are wrong");
    }
    if !all(p, PGSIZE - 300, b'A') || peek(dst + data_len) != b'A' {
        err("the rest of the pages read into is not the file's");
    }

    must_unmap(p, PGSIZE * 4);
    unlink(TMP);
    unlink(AUX);
}

/// Access to a PROT_NONE area, a store to a PROT_READ private area and a
/// load just outside an area all kill.
fn mmap_faults() {
    makefile(TMP);
    let fd = open_or_die(TMP, O_RDWR);

    let p = must_map(PGSIZE * 2, PROT_NONE, MAP_SHARED, fd, 0);
    expect_killed("a child read a PROT_NONE mapping", || {
        peek(p + PGSIZE);
    });
    expect_killed("a child wrote a PROT_NONE mapping", || poke(p, 1));
    must_unmap(p, PGSIZE * 2);

    let q = must_map(PGSIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    expect_killed("a child stored into a PROT_READ private mapping", || {
        poke(q, b'x')
    });
    expect_killed("a child read the page below a mapping", || {
        peek(q - PGSIZE);
    });
    expect_killed("a child read the page above a mapping", || {
        peek(q + PGSIZE);
    });
    expect_killed("a child read an address above the heap", || {
        peek(unmapped_addr());
    });
    if peek(q) != b'A' {
        err("the mapping is wrong after its children died");
    }
    must_unmap(q, PGSIZE);
    close(fd);
    unlink(TMP);
}

/// mmap with these arguments must fail.
fn refused(what: &str, len: usize, prot: i32, flags: i32, fd: i32, off: usize) {
    let a = mmap(len, prot, flags, fd, off);
    if a != MAP_FAILED {
        err(format_args!("mmap with {} returned {:#x}", what, a));
    }
}

/// munmap with these arguments must fail.
fn unmap_refused(what: &str, a: usize, len: usize) {
    if munmap(a, len) != -1 {
        err(format_args!("munmap of {} worked", what));
    }
}

/// Every bad mmap and munmap returns -1, and at most NAREA areas exist at
/// once; none of it costs a page.
fn mmap_errors() {
    makefile(TMP);
    let rd = open_or_die(TMP, O_RDONLY);
    let wr = open_or_die(TMP, O_WRONLY);
    let dir = open_or_die(c"/", O_RDONLY);
    let cons = open_or_die(c"/console", O_RDWR);
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        err("pipe");
    }
    let closed = dup(rd);
    close(closed);

    let before = countfree();

    let (r, w, pr, sh) = (PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_SHARED);
    refused("length 0", 0, r, pr, rd, 0);
    refused("offset 100", PGSIZE, r, pr, rd, 100);
    refused("offset PGSIZE+1", PGSIZE, r, pr, rd, PGSIZE + 1);
    refused("flags 0", PGSIZE, r, 0, rd, 0);
    refused("MAP_SHARED|MAP_PRIVATE", PGSIZE, r, sh | pr, rd, 0);
    refused("an unknown flag", PGSIZE, r, pr | 0x10, rd, 0);
    refused("an unknown prot bit", PGSIZE, r | 0x8, pr, rd, 0);
    refused("fd -1", PGSIZE, r, pr, -1, 0);
    refused("fd NOFILE", PGSIZE, r, pr, NOFILE as i32, 0);
    refused("a closed fd", PGSIZE, r, pr, closed, 0);
    refused("a pipe's read end", PGSIZE, r, pr, fds[0], 0);
    refused("a pipe's write end", PGSIZE, r, sh, fds[1], 0);
    refused("the console", PGSIZE, r, pr, cons, 0);
    refused("a directory", PGSIZE, r, pr, dir, 0);
    refused("O_WRONLY, private", PGSIZE, r, pr, wr, 0);
    refused("O_WRONLY, shared", PGSIZE, r | w, sh, wr, 0);
    refused("O_RDONLY, shared writable", PGSIZE, r | w, sh, rd, 0);
    refused("O_RDONLY, shared write-only", PGSIZE, w, sh, rd, 0);

    let m = must_map(PGSIZE * 3, PROT_READ, MAP_PRIVATE, rd, 0);
    unmap_refused("an unaligned address", m + 1, PGSIZE);
    unmap_refused("length 0", m, 0);
    unmap_refused("the middle page", m + PGSIZE, PGSIZE);
    unmap_refused("a range past the area's end", m, PGSIZE * 4);
    unmap_refused("a range from below the area", m - PGSIZE, PGSIZE * 2);
    unmap_refused("the page below the area", m - PGSIZE, PGSIZE);
    let below_break = unmapped_addr() - PGSIZE * 2;
    unmap_refused("the page below the break", below_break, PGSIZE);
    // All of it is still one area.
    must_unmap(m, PGSIZE * 3);

    let mut areas = [0usize; NAREA];
    for (i, a) in areas.iter_mut().enumerate() {
        *a = mmap(PGSIZE, PROT_READ, MAP_PRIVATE, rd, 0);
        if *a == MAP_FAILED {
            err(format_args!("mmap of area {} of {} failed", i + 1, NAREA));
        }
    }
    if mmap(PGSIZE, PROT_READ, MAP_PRIVATE, rd, 0) != MAP_FAILED {
        err(format_args!("a process got {} areas", NAREA + 1));
    }
    for &a in &areas {
        must_unmap(a, PGSIZE);
    }
    // The slots come back.
    let a = must_map(PGSIZE, PROT_READ, MAP_PRIVATE, rd, 0);
    must_unmap(a, PGSIZE);

    let after = countfree();
    if after != before {
        err(format_args!(
            "{} free pages before, {} after",
            before, after
        ));
    }
    for fd in [rd, wr, dir, cons, fds[0], fds[1]] {
        close(fd);
    }
    unlink(TMP);
}

/// exec in a process with NAREA areas (some faulted in): the new program
/// gets NAREA areas of its own, so exec dropped the old ones, and after
/// the child is gone every page is back.
fn mmap_exec() {
    makefile(TMP);
    let before = countfree();
    let pid = fork();
    if pid < 0 {
        err("fork");
    }
    if pid == 0 {
        let fd = open_or_die(TMP, O_RDWR);
        for i in 0..NAREA {
            if i % 2 == 0 {
                let a = must_map(PGSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
                if i < 8 {
                    poke(a, b'e');
                }
            } else {
                let a = must_map(PGSIZE, PROT_READ, MAP_SHARED, fd, 0);
                if i < 8 && peek(a) != b'A' {
                    err("a shared mapping is wrong");
                }
            }
        }
        close(fd);
        exec(c"mmaptest", &[c"mmaptest", EXEC_PROBE]);
        err("exec mmaptest");
    }
    if wait_for(pid) != 0 {
        err("the program exec'd with areas failed");
    }
    let after = countfree();
    if after != before {
        err(format_args!(
            "{} free pages before, {} after",
            before, after
        ));
    }
    unlink(TMP);
}

/// The exec case's new program: all NAREA areas must be free again.
fn exec_probe() -> ! {
    set_testname("mmap exec (after exec)");
    let fd = open_or_die(TMP, O_RDONLY);
    for i in 0..NAREA {
        let a = mmap(PGSIZE, PROT_READ, MAP_PRIVATE, fd, 0);
        if a == MAP_FAILED {
            err(format_args!(
                "mmap of area {} failed: exec kept areas",
                i + 1
            ));
        }
        if peek(a) != b'A' {
            err("a new mapping is wrong");
        }
    }
    exit(0)
}

/// A process that exits, or is killed, without munmap still writes its
/// dirty MAP_SHARED pages back.
fn mmap_exit_writeback() {
    make_pages(TMP, 2, letter);
    in_child("the child failed", || {
        let fd = open_or_die(TMP, O_RDWR);
        let p = must_map(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        poke(p + 5, b'E');
        poke(p + PGSIZE + 6, b'F');
    });
    expect_file_byte(TMP, 5, b'E', "a store before exit");
    expect_file_byte(TMP, PGSIZE + 6, b'F', "a store before exit");
    expect_file_byte(TMP, 4, b'a', "next to a store before exit");

    expect_killed("a child read an address above the heap", || {
        let fd = open_or_die(TMP, O_RDWR);
        let p = must_map(PGSIZE * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        poke(p + PGSIZE + 9, b'K');
        peek(unmapped_addr());
    });
    expect_file_byte(TMP, PGSIZE + 9, b'K', "a store before being killed");
    expect_file_byte(TMP, PGSIZE + 6, b'F', "a store before exit");
    unlink(TMP);
}

fn main(args: Args) {
    if args.get(1) == Some(EXEC_PROBE) {
        exec_probe();
    }

    mmap_test();
    fork_test();

    case("lazy access", lazy_access);
    case("munmap prevents access", munmap_prevents_access);
    case("writes to read-only mapped memory", writes_to_read_only);

    case("mmap offset", mmap_offset);
    case("mmap partial unmap", mmap_partial_unmap);
    case("mmap private fork", mmap_private_fork);
    case("mmap dirty only", mmap_dirty_only);
    case("mmap writeback size", mmap_writeback_size);
    case("mmap sparse", mmap_sparse);
    case("mmap syscalls", mmap_syscalls);
    case("mmap faults", mmap_faults);
    case("mmap errors", mmap_errors);
    case("mmap exec", mmap_exec);
    case("mmap exit writeback", mmap_exit_writeback);

    println!("mmaptest: all tests succeeded");
    exit(0);
}
