//! bigbuf: system calls whose buffers are bigger than memory, or mostly
//! not in memory, and all of them legal: each must work, cost only the
//! pages it really stores into, and leave no page behind.
//!
//! - `mmapread` (mmap lab): read() of a 4096-byte file into a fresh
//!   160 MiB private mapping of that file (pages past the end of the file
//!   read as zeros) returns 4096 and costs a few pages; pipe() works after.
//! - `mmappipe` (mmap lab): a pipe's read into a fresh 160 MiB mapping, a
//!   pipe's write and a file's write from fresh mappings (the file's bytes
//!   and the zeros past its end), and fstat (of the mapped file itself),
//!   wait's status and pipe's descriptors into fresh pages of a mapping.
//! - `bss`: in a fresh exec of this program (`bigbuf --bss`), whose 8 MiB
//!   of bss are untouched under `demand`: read() of a 10-byte file and a
//!   pipe's read into all of it, writes of its zeros to a file and a pipe,
//!   fstat, wait and pipe into untouched pages; each costs a few pages.
//! - `lazyheap` (where sbrk of 160 MiB works without memory: lazy): read()
//!   and a pipe's read into all of that fresh heap, a write from it.
//! - `swapheap` (swap lab): a heap larger than memory by a quarter of the
//!   free swap slots (even once the process's other pages have gone out),
//!   a pattern in every page (so much of it is on the swap disk); read() of a 10-byte file and a pipe's read into all of it,
//!   writes from its start; then every page still holds its pattern.
//! - `brim` (where sbrk is eager): sbrk until it fails, then store into
//!   every page granted and check them all; nothing may kill the process.
//!   Where sbrk grants over 1 GiB without failing (lazy) it is skipped.
//! - `pipeswap`: beside a memory hog, a reader whose heap is larger than
//!   what the hog leaves (with swap its pages keep going to the disk) reads
//!   a pipe into a 32-page buffer of that heap at varying offsets: fed
//!   slowly by a writer child, then by itself from another part of its
//!   heap. Every byte is checked; every read must succeed.
//! - `pipeevict` (swap lab): issue 33's read. A hog leaves the reader a
//!   few pages above the swap reserve (less in each phase); the reader
//!   alternates pipe reads of up to 512 bytes into page 0 of two 32-page
//!   buffers that do not both fit, checking the bytes through a second
//!   pipe so that it never touches page 0 itself. A kernel that brings a
//!   whole buffer in before the copy, with a clock that may take page 0
//!   (written only by the kernel, so not marked used) for a later page,
//!   returns -1 there. Every read must succeed, every byte arrive.
//!
//! What applies is found at run time: mmap fails where the mmap lab is
//! off, swapstat where swap is. Each case runs in a child of its own (its
//! heap does not change the next case's memory; a kill is a failure with
//! the exit status, not a hang); the helpers a case forks are killed when
//! it ends. Free pages are counted before and after all cases.
//! `bigbuf NAME...` runs only the cases named. Prints `bigbuf: case NAME
//! ok (N ticks)` (or `skipped (why)`, or `FAILED` after a line saying what
//! went wrong) per case, then `bigbuf: OK` or `bigbuf: FAILED <why>`.

#![no_std]
#![no_main]

use abi::fcntl::{MAP_PRIVATE, PROT_READ, PROT_WRITE};
use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::ptr::{read_volatile, write_volatile};
use core::sync::atomic::{AtomicI32, AtomicU8, AtomicUsize, Ordering};
use ulib::layout::PGSIZE;
use ulib::meter::countfree;
use ulib::{
    close, exec, exit, fork, kill, open, pipe, println, read, sbrk, sleep, swapstat, sys, unlink,
    uptime, wait, write, Out, Stat, SwapStat, O_CREATE, O_RDONLY, O_TRUNC, O_WRONLY, T_FILE,
};

ulib::entry!(main);

const MIB: usize = 1 << 20;
/// The mappings and the lazy heap: more than the machine's 128 MiB.
const BIG_LEN: usize = 160 * MIB;
/// A read or write into a buffer may cost at most this many pages.
const FEW: i32 = 64;
/// Where the brim case decides that sbrk is lazy.
const LAZY_LIMIT: usize = 1024 * MIB;

/// The mapped file: exactly one page of a known pattern.
const MAPFILE: &CStr = c"bigbuf.map";
const MAPFILE_LEN: usize = PGSIZE;
/// A 10-byte file.
const SMALL: &CStr = c"bigbuf.ten";
const SMALL_BYTES: &[u8; 10] = b"0123456789";
/// What the cases write to.
const OUT: &CStr = c"bigbuf.out";
/// This program, and the argument of its fresh exec for the bss case.
const SELF: &CStr = c"bigbuf";
const BSS_MODE: &CStr = c"--bss";

/// The bss buffer: zero-initialized, so it is bss, which only the fresh
/// exec of `bigbuf --bss` touches. 8 MiB: where fork copies (no cow) this
/// process and each child hold a copy of it, and with swap a case's own
/// copy has to fit on a 16 MiB swap disk beside what the case puts there.
const BSS_LEN: usize = 8 * MIB;
#[repr(C, align(4096))]
struct Bss(UnsafeCell<[u8; BSS_LEN]>);
// SAFETY: one thread; reached only through raw pointers in `bss_main`.
unsafe impl Sync for Bss {}
static BSS: Bss = Bss(UnsafeCell::new([0; BSS_LEN]));

// A case process's exit statuses.
const S_OK: i32 = 0;
const S_FAILED: i32 = 1;
const S_SKIPPED: i32 = 2;

/// The running case (an index into CASES), for messages.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
/// In a case's process: the pipe end where helpers' pids go, so that the
/// main process kills them when the case ends, however it ends.
static REG_W: AtomicI32 = AtomicI32::new(-1);

/// Whether the kernel has swap: 0 not asked yet, 1 no, 2 yes. Asked once
/// (a kernel without it prints `unknown sys call` at each try).
static SWAP: AtomicU8 = AtomicU8::new(0);

/// swapstat(), where the kernel has it.
fn swap_stat() -> Option<SwapStat> {
    if SWAP.load(Ordering::Relaxed) == 1 {
        return None;
    }
    let st = swapstat();
    SWAP.store(if st.is_some() { 2 } else { 1 }, Ordering::Relaxed);
    st
}

fn case_name() -> &'static str {
    CASES[CURRENT.load(Ordering::Relaxed)].name
}

/// Inside a case: prints what went wrong and ends the case.
macro_rules! bad {
    ($($arg:tt)*) => {{
        println!("bigbuf: {}: {}", case_name(), format_args!($($arg)*));
        exit(S_FAILED)
    }};
}

/// Inside a case: says why it does not apply and ends it.
fn skip(why: &str) -> ! {
    println!("bigbuf: case {} skipped ({})", case_name(), why);
    exit(S_SKIPPED)
}

fn failed_ptr(p: usize) -> bool {
    p == usize::MAX
}

fn peek(a: usize) -> u8 {
    // SAFETY: callers pass memory of this process: heap, a mapping, bss.
    unsafe { read_volatile(a as *const u8) }
}

fn poke(a: usize, v: u8) {
    // SAFETY: callers pass writable memory of this process.
    unsafe { write_volatile(a as *mut u8, v) }
}

fn peek64(a: usize) -> u64 {
    // SAFETY: as peek; callers pass 8-byte aligned addresses.
    unsafe { read_volatile(a as *const u64) }
}

fn poke64(a: usize, v: u64) {
    // SAFETY: as poke; callers pass 8-byte aligned addresses.
    unsafe { write_volatile(a as *mut u64, v) }
}

// The raw calls, on addresses: the buffers here are mostly untouched
// memory, never Rust references. The kernel checks every address.
fn read_at(fd: i32, a: usize, n: usize) -> i32 {
    // SAFETY: a..a+n is memory of this process that nothing else refers to.
    unsafe { sys::read(fd, a as *mut u8, n as i32) }
}

fn write_at(fd: i32, a: usize, n: usize) -> i32 {
    // SAFETY: the kernel only reads a..a+n.
    unsafe { sys::write(fd, a as *const u8, n as i32) }
}

fn mmap_file(fd: i32, len: usize, prot: i32) -> usize {
    // SAFETY: mmap only creates a mapping; nothing is accessed here.
    unsafe { sys::mmap(0, len, prot, MAP_PRIVATE, fd, 0) }
}

fn munmap(a: usize, len: usize) -> i32 {
    // SAFETY: the mapping is ours and nothing refers to it any more.
    unsafe { sys::munmap(a, len) }
}

/// Byte `i` of the mapped file.
fn map_byte(i: usize) -> u8 {
    (i * 7 + 3) as u8 ^ (i >> 8) as u8
}

fn open_or_bad(path: &CStr, flags: i32) -> i32 {
    let fd = open(path, flags);
    if fd < 0 {
        bad!("open {:?} failed", path);
    }
    fd
}

fn make_pipe() -> [i32; 2] {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        bad!("pipe() returned -1");
    }
    fds
}

/// Checks that the `n` bytes at `a` are `want(i)`.
fn expect_bytes(a: usize, n: usize, want: impl Fn(usize) -> u8, what: &str) {
    for i in 0..n {
        let (got, w) = (peek(a + i), want(i));
        if got != w {
            bad!(
                "{}: byte {} (page {}) is {:#x}, expected {:#x}",
                what,
                i,
                i / PGSIZE,
                got,
                w
            );
        }
    }
}

/// Writes `bytes` into `fd`, which must take them all.
fn put(fd: i32, bytes: &[u8], what: &str) {
    let r = write(fd, bytes);
    if r != bytes.len() as i32 {
        bad!("{}: write returned {}, expected {}", what, r, bytes.len());
    }
}

/// Reads exactly `N` bytes from `fd` into a local buffer.
fn take<const N: usize>(fd: i32, what: &str) -> [u8; N] {
    let mut b = [0u8; N];
    let r = read(fd, &mut b);
    if r != N as i32 {
        bad!("{}: read returned {}, expected {}", what, r, N);
    }
    b
}

/// The bytes file OUT holds, up to N.
fn out_file<const N: usize>() -> [u8; N] {
    let fd = open_or_bad(OUT, O_RDONLY);
    let b = take::<N>(fd, "reading back bigbuf.out");
    close(fd);
    b
}

fn truncate_out() -> i32 {
    open_or_bad(OUT, O_CREATE | O_TRUNC | O_WRONLY)
}

/// Forks a helper of the case that runs `f`; its pid goes to the main
/// process, which kills it when the case ends.
fn spawn(f: impl FnOnce() -> i32) -> i32 {
    let pid = fork();
    if pid < 0 {
        bad!("fork of a helper returned -1");
    }
    if pid == 0 {
        close(REG_W.load(Ordering::Relaxed));
        exit(f());
    }
    write(REG_W.load(Ordering::Relaxed), &pid.to_ne_bytes());
    pid
}

/// Waits for child `pid`; returns its exit status.
fn wait_for(pid: i32) -> i32 {
    loop {
        let mut st = 0;
        let w = wait(Some(&mut st));
        if w == pid {
            return st;
        }
        if w < 0 {
            bad!("wait for pid {} returned -1", pid);
        }
    }
}

/// The free pages the main process counted before the cases.
static FREE0: AtomicI32 = AtomicI32::new(0);

/// Whether sbrk is lazy: 0 not known yet, 1 no, 2 yes.
static LAZY: AtomicU8 = AtomicU8::new(0);

/// True where sbrk grants 1 GiB at once (lazy): a child tries.
fn lazy_sbrk() -> bool {
    if LAZY.load(Ordering::Relaxed) == 0 {
        let pid = fork();
        if pid == 0 {
            exit(if failed_ptr(sbrk(LAZY_LIMIT as i32) as usize) {
                0
            } else {
                1
            });
        }
        let lazy = pid > 0 && wait_for(pid) == 1;
        LAZY.store(if lazy { 2 } else { 1 }, Ordering::Relaxed);
    }
    LAZY.load(Ordering::Relaxed) == 2
}

/// The free pages, counted as countfree does (a child takes pages until
/// none are left) but without first touching this program's image, which
/// would spoil the bss case, and where sbrk is eager a MiB at a time.
/// -1 if the child cannot be forked.
fn count_free() -> i32 {
    let lazy = lazy_sbrk();
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        return -1;
    }
    let pid = fork();
    if pid < 0 {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if pid == 0 {
        close(fds[0]);
        if !lazy {
            // Eager: what sbrk grants exists; one answer at the end.
            let mut n = 0u32;
            while !failed_ptr(sbrk(MIB as i32) as usize) {
                n += (MIB / PGSIZE) as u32;
            }
            while !failed_ptr(sbrk(PGSIZE as i32) as usize) {
                n += 1;
            }
            write(fds[1], &n.to_ne_bytes());
            exit(0);
        }
        loop {
            let a = sbrk(PGSIZE as i32);
            if failed_ptr(a as usize) {
                exit(0);
            }
            // A lazy kernel kills us here when memory runs out.
            poke(a as usize + PGSIZE - 1, 1);
            if write(fds[1], b"x") != 1 {
                exit(1);
            }
        }
    }
    close(fds[1]);
    let mut n = 0;
    let mut c = [0u8; 512];
    if !lazy {
        if read(fds[0], &mut c[..4]) == 4 {
            n = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
        }
    } else {
        loop {
            let cc = read(fds[0], &mut c);
            if cc <= 0 {
                break;
            }
            n += cc;
        }
    }
    close(fds[0]);
    wait_for(pid);
    n
}

/// Counts free pages cheaply and without disturbing the process being
/// measured: swapstat where there is swap; elsewhere a helper forked now,
/// while the case is small, that counts on request (so each count costs
/// the same, whatever the case has grown into since).
struct Gauge {
    helper: Option<(i32, i32, i32)>,
}

impl Gauge {
    fn start() -> Gauge {
        if swap_stat().is_some() {
            return Gauge { helper: None };
        }
        let (req, resp) = (make_pipe(), make_pipe());
        let pid = spawn(|| {
            close(req[1]);
            close(resp[0]);
            // Under demand: every program page but BSS in now, so that the
            // counting child, a copy of this helper, needs none of its own
            // (at its end no page is left to read one into: it would be
            // killed), and each count costs the same.
            for a in (PGSIZE..BSS.0.get() as usize).step_by(PGSIZE) {
                peek(a);
            }
            let mut c = [0u8; 1];
            while read(req[0], &mut c) == 1 {
                let n = count_free();
                if write(resp[1], &n.to_ne_bytes()) != 4 {
                    return 1;
                }
            }
            0
        });
        close(req[0]);
        close(resp[1]);
        Gauge {
            helper: Some((pid, req[1], resp[0])),
        }
    }

    /// The free pages now (-1: could not count).
    fn free(&self) -> i32 {
        let Some((_, req, resp)) = self.helper else {
            return swap_stat().map_or(-1, |s| s.free as i32);
        };
        let mut n = [0u8; 4];
        if write(req, b"?") != 1 || read(resp, &mut n) != 4 {
            return -1;
        }
        i32::from_ne_bytes(n)
    }

    fn stop(self) {
        if let Some((pid, req, resp)) = self.helper {
            close(req);
            close(resp);
            wait_for(pid);
        }
    }
}

/// A count of free pages for messages: -1 is a count that failed.
struct Pages(i32);

impl core::fmt::Display for Pages {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self.0 {
            n if n < 0 => f.write_str("none (the counting child could not be forked)"),
            n => write!(f, "{}", n),
        }
    }
}

/// Checks that an operation cost fewer than FEW pages.
fn expect_cheap(before: i32, after: i32, what: &str) {
    if before < 0 || after < 0 || before - after >= FEW {
        bad!(
            "{} cost {} pages (free before {}, after {}), expected fewer than {}",
            what,
            before - after,
            Pages(before),
            Pages(after),
            FEW
        );
    }
}

/// True where the kernel has mmap: a one-page mapping works.
fn has_mmap(fd: i32) -> bool {
    let p = mmap_file(fd, PGSIZE, PROT_READ);
    if failed_ptr(p) {
        return false;
    }
    munmap(p, PGSIZE);
    true
}

fn mmapread() {
    let fd = open_or_bad(MAPFILE, O_RDONLY);
    if !has_mmap(fd) {
        skip("no mmap in this kernel");
    }
    let gauge = Gauge::start();
    let before = gauge.free();
    let p = mmap_file(fd, BIG_LEN, PROT_READ | PROT_WRITE);
    if failed_ptr(p) {
        bad!("mmap of {} bytes returned -1", BIG_LEN);
    }
    let fd2 = open_or_bad(MAPFILE, O_RDONLY);
    let r = read_at(fd2, p, BIG_LEN);
    let after = gauge.free();
    println!(
        "bigbuf: mmapread: read returned {}, free pages before {} after {}",
        r,
        Pages(before),
        Pages(after)
    );
    if r != MAPFILE_LEN as i32 {
        bad!(
            "read(fd, a fresh {}-byte mapping of the file, {}) returned {}, expected {}",
            BIG_LEN,
            BIG_LEN,
            r,
            MAPFILE_LEN
        );
    }
    expect_bytes(p, MAPFILE_LEN, map_byte, "the bytes read");
    expect_cheap(before, after, "the read");
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        bad!("pipe() after the read returned -1");
    }
    close(fds[0]);
    close(fds[1]);
    // Past the end of the file: zeros.
    for page in [1, BIG_LEN / PGSIZE / 2, BIG_LEN / PGSIZE - 1] {
        expect_bytes(p + page * PGSIZE, 8, |_| 0, "a page past the end");
    }
    if munmap(p, BIG_LEN) != 0 {
        bad!("munmap returned -1");
    }
    close(fd2);
    close(fd);
    gauge.stop();
}

fn mmappipe() {
    let fd = open_or_bad(MAPFILE, O_RDONLY);
    if !has_mmap(fd) {
        skip("no mmap in this kernel");
    }
    let gauge = Gauge::start();
    let before = gauge.free();
    let rw = mmap_file(fd, BIG_LEN, PROT_READ | PROT_WRITE);
    let ro = mmap_file(fd, BIG_LEN, PROT_READ);
    let ro2 = mmap_file(fd, BIG_LEN, PROT_READ);
    if [rw, ro, ro2].iter().any(|&p| failed_ptr(p)) {
        bad!("mmap of {} bytes returned -1", BIG_LEN);
    }
    let fds = make_pipe();

    put(fds[1], SMALL_BYTES, "into the pipe");
    let r = read_at(fds[0], rw, BIG_LEN);
    if r != 10 {
        bad!(
            "read() from a pipe into a fresh {}-byte mapping returned {}, expected 10",
            BIG_LEN,
            r
        );
    }
    expect_bytes(rw, 10, |i| SMALL_BYTES[i], "the pipe's bytes");

    for (what, a, want) in [
        ("the file's page", ro, map_byte as fn(usize) -> u8),
        ("a page past the end", ro + 64 * MIB, |_| 0),
    ] {
        let w = write_at(fds[1], a, 10);
        if w != 10 {
            bad!(
                "write() into a pipe from {} of a fresh mapping returned {}, expected 10",
                what,
                w
            );
        }
        let got = take::<10>(fds[0], "from the pipe");
        expect_bytes(got.as_ptr() as usize, 10, want, what);

        let out = truncate_out();
        let w = write_at(out, a - ro + ro2, 10);
        close(out);
        if w != 10 {
            bad!(
                "write() into a file from {} of a fresh mapping returned {}, expected 10",
                what,
                w
            );
        }
        let got = out_file::<10>();
        expect_bytes(got.as_ptr() as usize, 10, want, what);
    }

    // fstat of the mapped file itself into a fresh page of its mapping.
    let st = rw + 10 * MIB;
    // SAFETY: a fresh writable page of our mapping.
    let r = unsafe { sys::fstat(fd, st as *mut Stat) };
    // SAFETY: the kernel wrote a Stat there (or left zeros).
    let s = unsafe { read_volatile(st as *const Stat) };
    if r != 0 || s.typ != T_FILE || s.size != MAPFILE_LEN as u64 {
        bad!(
            "fstat into a fresh mapping page returned {} (type {}, size {}), expected 0 (type {}, size {})",
            r, s.typ, s.size, T_FILE, MAPFILE_LEN
        );
    }

    // wait's status into a fresh page.
    let pid = fork();
    if pid == 0 {
        exit(7);
    }
    let at = rw + 20 * MIB;
    // SAFETY: a fresh writable page of our mapping.
    let w = unsafe { sys::wait(at as *mut i32) };
    // SAFETY: as above.
    let status = unsafe { read_volatile(at as *const i32) };
    if pid < 0 || w != pid || status != 7 {
        bad!(
            "wait into a fresh mapping page returned {} (status {}), expected {} (status 7)",
            w,
            status,
            pid
        );
    }

    // pipe's descriptors into a fresh page.
    let at = rw + 30 * MIB;
    // SAFETY: a fresh writable page of our mapping.
    let r = unsafe { sys::pipe(at as *mut i32) };
    if r != 0 {
        bad!("pipe() into a fresh mapping page returned {}", r);
    }
    // SAFETY: the kernel wrote two descriptors there.
    let pfds = unsafe {
        [
            read_volatile(at as *const i32),
            read_volatile((at + 4) as *const i32),
        ]
    };
    put(pfds[1], b"ok", "into that pipe");
    if take::<2>(pfds[0], "from that pipe") != *b"ok" {
        bad!("the pipe made into a mapping page lost its bytes");
    }
    close(pfds[0]);
    close(pfds[1]);

    let after = gauge.free();
    println!(
        "bigbuf: mmappipe: free pages before {} after {}",
        before, after
    );
    expect_cheap(before, after, "the reads and writes");
    for p in [rw, ro, ro2] {
        if munmap(p, BIG_LEN) != 0 {
            bad!("munmap returned -1");
        }
    }
    close(fds[0]);
    close(fds[1]);
    close(fd);
    gauge.stop();
}

/// The bss case: runs in a fresh exec of this program.
fn bss() {
    exec(SELF, &[SELF, BSS_MODE]);
    bad!("exec of `bigbuf --bss` failed");
}

/// `bigbuf --bss`: every system call here aims at a page of BSS that
/// nothing has touched (under `demand`, never mapped yet).
fn bss_main() {
    CURRENT.store(
        CASES.iter().position(|c| c.name == "bss").unwrap_or(0),
        Ordering::Relaxed,
    );
    let big = BSS.0.get() as usize;
    let gauge = Gauge::start();
    let page = |i: usize| big + i * PGSIZE;
    let mut free = gauge.free();
    // The first call that costs too much is reported at the end, so that
    // the later ones show their costs too.
    let mut costly = None;
    let mut cost = |what: &'static str| {
        let now = gauge.free();
        println!(
            "bigbuf: bss: {}: {} pages (free before {}, after {})",
            what,
            free - now,
            Pages(free),
            Pages(now)
        );
        if costly.is_none() && (free < 0 || now < 0 || free - now >= FEW) {
            costly = Some((what, free, now));
        }
        free = now;
    };

    let fd = open_or_bad(SMALL, O_RDONLY);
    let r = read_at(fd, page(0), BSS_LEN);
    if r != 10 {
        bad!(
            "read() of a 10-byte file into all {} bytes of bss returned {}, expected 10",
            BSS_LEN,
            r
        );
    }
    expect_bytes(page(0), 10, |i| SMALL_BYTES[i], "the file's bytes");
    cost("read of a file");

    let fds = make_pipe();
    put(fds[1], SMALL_BYTES, "into the pipe");
    let r = read_at(fds[0], page(1), BSS_LEN - PGSIZE);
    if r != 10 {
        bad!(
            "read() from a pipe into {} bytes of untouched bss returned {}, expected 10",
            BSS_LEN - PGSIZE,
            r
        );
    }
    expect_bytes(page(1), 10, |i| SMALL_BYTES[i], "the pipe's bytes");
    cost("read of a pipe");

    let out = truncate_out();
    let w = write_at(out, page(2), 10);
    close(out);
    if w != 10 {
        bad!("write() into a file from untouched bss returned {}", w);
    }
    let got = out_file::<10>();
    expect_bytes(got.as_ptr() as usize, 10, |_| 0, "the file written");

    let w = write_at(fds[1], page(3), 10);
    if w != 10 {
        bad!("write() into a pipe from untouched bss returned {}", w);
    }
    let got = take::<10>(fds[0], "from the pipe");
    expect_bytes(got.as_ptr() as usize, 10, |_| 0, "the pipe's bytes");

    // SAFETY: an untouched writable page of our bss.
    let r = unsafe { sys::fstat(fd, page(4) as *mut Stat) };
    // SAFETY: the kernel wrote a Stat there (or it is zeros).
    let s = unsafe { read_volatile(page(4) as *const Stat) };
    if r != 0 || s.size != 10 {
        bad!(
            "fstat into untouched bss returned {} (size {}), expected 0 (size 10)",
            r,
            s.size
        );
    }

    let pid = fork();
    if pid == 0 {
        exit(7);
    }
    // SAFETY: an untouched writable page of our bss.
    let w = unsafe { sys::wait(page(5) as *mut i32) };
    // SAFETY: as above.
    let status = unsafe { read_volatile(page(5) as *const i32) };
    if pid < 0 || w != pid || status != 7 {
        bad!(
            "wait into untouched bss returned {} (status {}), expected {} (status 7)",
            w,
            status,
            pid
        );
    }

    // SAFETY: an untouched writable page of our bss.
    let r = unsafe { sys::pipe(page(6) as *mut i32) };
    if r != 0 {
        bad!("pipe() into untouched bss returned {}", r);
    }
    // SAFETY: the kernel wrote two descriptors there.
    let p2 = unsafe {
        [
            read_volatile(page(6) as *const i32),
            read_volatile((page(6) + 4) as *const i32),
        ]
    };
    close(p2[0]);
    close(p2[1]);
    cost("writes to a file and a pipe, fstat, wait and pipe");
    close(fds[0]);
    close(fds[1]);
    close(fd);
    gauge.stop();
    if let Some((what, before, after)) = costly {
        expect_cheap(before, after, what);
    }
}

fn lazyheap() {
    let gauge = Gauge::start();
    let p = sbrk(BIG_LEN as i32) as usize;
    if failed_ptr(p) {
        gauge.stop();
        skip("sbrk of 160 MiB failed: sbrk is eager here");
    }
    // After the sbrk: where it is eager (with swap behind it) it cost a lot.
    let before = gauge.free();
    let fd = open_or_bad(SMALL, O_RDONLY);
    let r = read_at(fd, p, BIG_LEN);
    if r != 10 {
        bad!(
            "read() of a 10-byte file into {} bytes of fresh heap returned {}, expected 10",
            BIG_LEN,
            r
        );
    }
    expect_bytes(p, 10, |i| SMALL_BYTES[i], "the file's bytes");
    let fds = make_pipe();
    put(fds[1], SMALL_BYTES, "into the pipe");
    let r = read_at(fds[0], p + PGSIZE, BIG_LEN - PGSIZE);
    if r != 10 {
        bad!(
            "read() from a pipe into fresh heap returned {}, expected 10",
            r
        );
    }
    expect_bytes(p + PGSIZE, 10, |i| SMALL_BYTES[i], "the pipe's bytes");
    let w = write_at(fds[1], p + 2 * PGSIZE, 10);
    if w != 10 {
        bad!("write() into a pipe from fresh heap returned {}", w);
    }
    let got = take::<10>(fds[0], "from the pipe");
    expect_bytes(got.as_ptr() as usize, 10, |_| 0, "the pipe's bytes");
    let after = gauge.free();
    println!(
        "bigbuf: lazyheap: free pages before {} after {}",
        before, after
    );
    expect_cheap(before, after, "the reads and writes");
    close(fd);
    close(fds[0]);
    close(fds[1]);
    gauge.stop();
}

/// The first word of heap page `i` in the swapheap and brim cases.
fn page_word(i: usize) -> u64 {
    0xb16b_0000_0000_0000 | i as u64
}

/// Stores page_word(i) at the start and its complement at the end of
/// each page `i` of `pages` at `a`.
fn mark_pages(a: usize, pages: usize) {
    for i in 0..pages {
        poke64(a + i * PGSIZE, page_word(i));
        poke64(a + i * PGSIZE + PGSIZE - 8, !page_word(i));
    }
}

/// Checks what mark_pages stored, from byte `skip` of page 0 on. From
/// the last page down: after a pass up, the pages still in memory come
/// first (where the heap is larger than memory, a pass up would find each
/// page gone just before it gets there).
fn check_pages(a: usize, pages: usize, skip: usize) {
    for i in (0..pages).rev() {
        let pa = a + i * PGSIZE;
        let head = if i == 0 && skip >= 8 {
            page_word(0)
        } else {
            peek64(pa)
        };
        let tail = peek64(pa + PGSIZE - 8);
        if head != page_word(i) || tail != !page_word(i) {
            bad!(
                "page {} of {} holds {:#x}...{:#x}, expected {:#x}...{:#x}",
                i,
                pages,
                head,
                tail,
                page_word(i),
                !page_word(i)
            );
        }
    }
}

/// Grows the heap by `pages` page-aligned pages; None if sbrk fails.
fn grow(pages: usize) -> Option<usize> {
    let cur = sbrk(0) as usize;
    let pad = cur.next_multiple_of(PGSIZE) - cur;
    let p = sbrk((pad + pages * PGSIZE) as i32) as usize;
    (!failed_ptr(p)).then_some(p + pad)
}

/// The pages this process has now (at most half of `free_slots`, the
/// most that sizes from it may count on the disk taking).
fn own_pages(free_slots: usize) -> usize {
    (sbrk(0) as usize / PGSIZE).min(free_slots / 2)
}

fn swapheap() {
    let Some(st) = swap_stat() else {
        skip("no swap in this kernel");
    };
    if st.slots == 0 {
        skip("no swap disk");
    }
    let free_slots = (st.slots - st.used) as usize;
    // More than memory even after every other page of this process (its
    // copy of BSS, say) has gone to the disk.
    let (own, over) = (own_pages(free_slots), free_slots / 4);
    let pages = st.free as usize + own + over;
    let len = pages * PGSIZE;
    println!(
        "bigbuf: swapheap: {} free pages, {} free slots of {}: a heap of {} pages ({} more than memory and this process's {} pages)",
        st.free, free_slots, st.slots, pages, over, own
    );
    let Some(p) = grow(pages) else {
        bad!("sbrk of {} pages returned -1", pages);
    };
    mark_pages(p, pages);
    let st1 = swap_stat().unwrap_or(st);
    println!(
        "bigbuf: swapheap: pattern stored: {} pages out, {} in, {} slots used, {} free pages",
        st1.outs - st.outs,
        st1.ins - st.ins,
        st1.used,
        st1.free
    );

    let fd = open_or_bad(SMALL, O_RDONLY);
    let r = read_at(fd, p, len);
    if r != 10 {
        bad!(
            "read() of a 10-byte file into the whole {}-page heap returned {}, expected 10",
            pages,
            r
        );
    }
    expect_bytes(p, 10, |i| SMALL_BYTES[i], "the file's bytes");
    let fds = make_pipe();
    put(fds[1], b"abcdefghij", "into the pipe");
    let r = read_at(fds[0], p, len);
    if r != 10 {
        bad!(
            "read() from a pipe into the whole {}-page heap returned {}, expected 10",
            pages,
            r
        );
    }
    expect_bytes(p, 10, |i| b"abcdefghij"[i], "the pipe's bytes");
    let out = truncate_out();
    let w = write_at(out, p, 10);
    close(out);
    if w != 10 {
        bad!("write() into a file from the heap returned {}", w);
    }
    if out_file::<10>() != *b"abcdefghij" {
        bad!("the file written from the heap holds other bytes");
    }
    let w = write_at(fds[1], p, 10);
    if w != 10 {
        bad!("write() into a pipe from the heap returned {}", w);
    }
    if take::<10>(fds[0], "from the pipe") != *b"abcdefghij" {
        bad!("the pipe written from the heap holds other bytes");
    }
    check_pages(p, pages, 10);
    let st2 = swap_stat().unwrap_or(st);
    println!(
        "bigbuf: swapheap: all {} pages checked: {} pages out, {} in since the start",
        pages,
        st2.outs - st.outs,
        st2.ins - st.ins
    );
    close(fd);
    close(fds[0]);
    close(fds[1]);
}

fn brim() {
    let start = sbrk(0) as usize;
    let mut total = 0usize;
    while !failed_ptr(sbrk(MIB as i32) as usize) {
        total += MIB;
        if total > LAZY_LIMIT {
            skip("sbrk granted more than 1 GiB without failing: lazy");
        }
    }
    while !failed_ptr(sbrk(PGSIZE as i32) as usize) {
        total += PGSIZE;
    }
    let a = start.next_multiple_of(PGSIZE);
    let pages = (start + total - a) / PGSIZE;
    println!(
        "bigbuf: brim: sbrk granted {} pages, then returned -1",
        pages
    );
    mark_pages(a, pages);
    check_pages(a, pages, 0);
    println!("bigbuf: brim: stored into and checked all {} pages", pages);
}

// pipeswap: the reader's heap is [buffer][source][ballast].
const BUF_PAGES: usize = 32;
const BUF_LEN: usize = BUF_PAGES * PGSIZE;
const SRC_PAGES: usize = 32;
/// Bytes the writer child sends.
const STREAM_LEN: usize = 48 * 1024;
/// Rounds of the reader writing to itself.
const SELF_ROUNDS: usize = 160;
/// The reader sweeps its ballast after this many reads.
const SWEEP_EVERY: usize = 30;

/// Byte `s` of the writer's stream.
fn stream_byte(s: usize) -> u8 {
    ((s as u32).wrapping_mul(2_654_435_761) >> 24) as u8 ^ (s >> 12) as u8
}

/// Byte `i` of the reader's source area.
fn src_byte(i: usize) -> u8 {
    (i * 13) as u8 ^ (i / PGSIZE * 7) as u8
}

/// The writer child: the stream in small pieces, slowly.
fn stream_writer(fd: i32) -> i32 {
    let mut b = [0u8; 600];
    let (mut s, mut k) = (0, 0usize);
    while s < STREAM_LEN {
        let n = (1 + (k * 211) % 600).min(STREAM_LEN - s);
        for (j, v) in b[..n].iter_mut().enumerate() {
            *v = stream_byte(s + j);
        }
        if write(fd, &b[..n]) != n as i32 {
            return 1;
        }
        s += n;
        k += 1;
        if k.is_multiple_of(8) {
            sleep(1);
        }
    }
    0
}

/// The hog: grows by `pages` (with swap: by 3/4 of the free pages it
/// sees), says how many on `grown`, then stores into every page again and
/// again until it is killed.
fn hog(pages: usize, grown: [i32; 2]) -> i32 {
    close(grown[0]);
    let pages = swap_stat().map_or(pages, |s| s.free as usize / 4 * 3);
    let Some(a) = grow(pages) else {
        return 3;
    };
    let mut v = 0u8;
    let mut tell = Some(grown[1]);
    loop {
        for i in 0..pages {
            poke(a + i * PGSIZE, v);
        }
        if let Some(fd) = tell.take() {
            write(fd, &pages.to_ne_bytes());
            close(fd);
        }
        v = v.wrapping_add(1);
        sleep(1);
    }
}

/// A step through 0..n that visits every index and jumps far: a prime
/// that does not divide n.
fn scatter_step(n: usize) -> usize {
    [7919, 7927, 7933]
        .into_iter()
        .find(|p| !n.is_multiple_of(*p))
        .unwrap_or(1)
}

/// Offset `k` into the reader's buffer for `len` bytes: pages all over it.
fn buf_offset(k: usize, len: usize) -> usize {
    let room = BUF_LEN - len + 1;
    if k % 5 == 4 {
        room - 1 - (k * 37) % room.min(700)
    } else {
        (k * 12_289) % room
    }
}

fn pipeswap() {
    let swap = swap_stat().filter(|s| s.slots > 0);
    let data = make_pipe();
    let writer = spawn(|| {
        close(data[0]);
        stream_writer(data[1])
    });
    close(data[1]);

    // Without swap the hog takes half of the free pages (as the main
    // process counted them, before its cases: counting again is slow where
    // sbrk is lazy); with swap it sizes itself.
    let free = FREE0.load(Ordering::Relaxed).max(0) as usize;
    let grown = make_pipe();
    let hog_pid = spawn(|| hog(free / 2, grown));
    close(grown[1]);
    let mut c = [0u8; 8];
    if read(grown[0], &mut c) != 8 {
        bad!("the hog died before it had grown");
    }
    let hog_pages = usize::from_ne_bytes(c);
    close(grown[0]);

    let ballast = match swap {
        Some(s) => {
            let now = swap_stat().unwrap_or(s);
            let free_slots = (now.slots - now.used) as usize;
            // A quarter of its own pages: where they are shared
            // copy-on-write they cannot go out, and then all of the excess
            // is the heap's (each sweep faults for about that share).
            now.free as usize + own_pages(free_slots) / 4 + (free_slots / 4).min(512)
        }
        None => (free - hog_pages) / 4,
    };
    let pages = BUF_PAGES + SRC_PAGES + ballast;
    let st0 = swap_stat();
    println!(
        "bigbuf: pipeswap: a hog of {} pages, a reader heap of {} pages",
        hog_pages, pages
    );
    let Some(heap) = grow(pages) else {
        bad!("sbrk of {} pages for the reader returned -1", pages);
    };
    let buf = heap;
    let src = heap + BUF_LEN;
    let bal = src + SRC_PAGES * PGSIZE;
    for i in 0..SRC_PAGES * PGSIZE {
        poke(src + i, src_byte(i));
    }
    // Store into every ballast page once (in order), then in each sweep
    // into every page again in a scattered order: a pass in order over
    // more than fits would find every page gone just before it gets there
    // (slow); scattered, only about the share that does not fit faults,
    // and the buffer, untouched meanwhile, ages and goes out.
    for i in 0..ballast {
        poke(bal + i * PGSIZE, 1);
    }
    let mut round = 1u8;
    let mut sweep = || {
        round = round.wrapping_add(1);
        let step = scatter_step(ballast);
        let mut i = 0;
        for _ in 0..ballast {
            i = (i + step) % ballast;
            poke(bal + i * PGSIZE + (i % 8) * 8, round);
        }
    };

    // Fed by the writer child.
    let (mut s, mut k) = (0usize, 0usize);
    while s < STREAM_LEN {
        let off = buf_offset(k, 1);
        let n = BUF_LEN - off;
        let r = read_at(data[0], buf + off, n);
        if r < 0 {
            bad!(
                "read() from a pipe into a valid buffer ({} bytes left, at page {} of {}) returned {}",
                n, off / PGSIZE, BUF_PAGES, r
            );
        }
        if r == 0 {
            bad!(
                "end of file after {} of {} bytes: the writer died",
                s,
                STREAM_LEN
            );
        }
        let r = r as usize;
        for j in 0..r {
            let (got, want) = (peek(buf + off + j), stream_byte(s + j));
            if got != want {
                bad!(
                    "byte {} of the stream (page {} of {}) is {:#x}, expected {:#x}",
                    s + j,
                    (off + j) / PGSIZE,
                    BUF_PAGES,
                    got,
                    want
                );
            }
        }
        s += r;
        k += 1;
        if k.is_multiple_of(SWEEP_EVERY) {
            sweep();
        }
    }
    let st = wait_for(writer);
    if st != 0 {
        bad!("the writer child exited with status {}", st);
    }
    close(data[0]);
    println!("bigbuf: pipeswap: {} bytes in {} reads from a writer", s, k);

    // Fed by the reader itself, from its own heap.
    let fds = make_pipe();
    for k in 0..SELF_ROUNDS {
        let len = 1 + (k * 97) % 512;
        let soff = (k * 7919) % (SRC_PAGES * PGSIZE - len);
        let w = write_at(fds[1], src + soff, len);
        if w != len as i32 {
            bad!(
                "write() of {} bytes from the heap (source page {}) into a pipe returned {}",
                len,
                soff / PGSIZE,
                w
            );
        }
        let off = buf_offset(k, len);
        let n = BUF_LEN - off;
        let r = read_at(fds[0], buf + off, n);
        if r != len as i32 {
            bad!(
                "read() from a pipe into a valid buffer ({} bytes left, at page {} of {}) returned {}, expected {}",
                n, off / PGSIZE, BUF_PAGES, r, len
            );
        }
        for j in 0..len {
            let (got, want) = (peek(buf + off + j), src_byte(soff + j));
            if got != want {
                bad!(
                    "round {}: byte {} (page {} of {}) is {:#x}, expected {:#x}",
                    k,
                    j,
                    (off + j) / PGSIZE,
                    BUF_PAGES,
                    got,
                    want
                );
            }
        }
        if (k + 1).is_multiple_of(SWEEP_EVERY) {
            sweep();
        }
    }
    close(fds[0]);
    close(fds[1]);
    if let (Some(a), Some(b)) = (st0, swap_stat()) {
        println!(
            "bigbuf: pipeswap: {} rounds from itself; the reader's swapping: {} pages out, {} in",
            SELF_ROUNDS,
            b.outs - a.outs,
            b.ins - a.ins
        );
    }
    kill(hog_pid);
    wait_for(hog_pid);
}

// pipeevict: the reader's heap is [X][Y], two 32-page buffers, in a
// memory the hog has filled but for a few pages.
/// Pages the swap code keeps free for the kernel (swap.rs RESERVE).
const SWAP_RESERVE: usize = 32;
/// Pages the hog leaves free above the reserve while the reader pushes
/// its untouched pages out.
const PUSH_ROOM: usize = 64;
/// What the hog leaves above the reserve in the first phase; each phase
/// leaves EVICT_STEP fewer, down to none.
const EVICT_ROOM: usize = 48;
const EVICT_STEP: usize = 4;
/// Rounds of a read into X and one into Y, in each phase.
const EVICT_ROUNDS: usize = 30;

/// Byte `j` of the data of read `n` (n counts reads).
fn evict_byte(n: usize, j: usize) -> u8 {
    (j * 29 + n * 101) as u8 ^ (n >> 3) as u8
}

/// The hog of pipeevict: on each request (8 bytes: the pages to leave
/// free above the reserve) it grows, a little at a time and checking
/// swapstat, until no more than that is free; answers how many it holds.
/// Its pages stay in: only a process's own faults evict its pages.
fn hog_on_demand(cmd: [i32; 2], ans: [i32; 2]) -> i32 {
    close(cmd[1]);
    close(ans[0]);
    let mut held = 0usize;
    let mut c = [0u8; 8];
    while read(cmd[0], &mut c) == 8 {
        let target = SWAP_RESERVE + usize::from_ne_bytes(c);
        loop {
            let Some(st) = swapstat() else {
                return 3;
            };
            let free = st.free as usize;
            if free <= target + 2 {
                break;
            }
            // Half of what is over, less a page table per 512 pages.
            let n = ((free - target) / 2).max(1);
            let n = n - n / 512;
            let Some(a) = grow(n) else {
                return 4;
            };
            for i in 0..n {
                poke(a + i * PGSIZE, 0x5a);
            }
            held += n;
        }
        if write(ans[1], &held.to_ne_bytes()) != 8 {
            return 5;
        }
    }
    0
}

/// The first read of pipeevict that returned -1: the bytes it asked
/// for, its page, and swapstat before and after it.
struct Refused {
    n: usize,
    page: usize,
    before: SwapStat,
    after: SwapStat,
}

fn pipeevict() {
    let Some(st0) = swap_stat().filter(|s| s.slots > 0) else {
        skip("no swap");
    };
    let (cmd, ans) = (make_pipe(), make_pipe());
    let hog_pid = spawn(|| hog_on_demand(cmd, ans));
    close(cmd[0]);
    close(ans[1]);
    let hog_to = |room: usize| -> usize {
        let mut c = [0u8; 8];
        if write(cmd[1], &room.to_ne_bytes()) != 8 || read(ans[0], &mut c) != 8 {
            bad!("the hog died before it had grown");
        }
        usize::from_ne_bytes(c)
    };
    // First push this process's pages that nothing uses (where fork
    // copied them: its bss) out to the disk, so that what the hog leaves
    // is about all the reader has: a heap as large as them and the room,
    // a store of zero into each page (a page of zeros goes out unwritten).
    hog_to(PUSH_ROOM);
    let now = swap_stat().unwrap_or(st0);
    let push = own_pages((now.slots - now.used) as usize) + PUSH_ROOM + 64;
    let Some(p) = grow(push) else {
        bad!(
            "sbrk of {} pages to push the reader's pages out returned -1",
            push
        );
    };
    for i in 0..push {
        poke(p + i * PGSIZE, 0);
    }
    sbrk(-((sbrk(0) as usize - p) as i32));

    let data = make_pipe();
    let echo = make_pipe();
    let (mut fails, mut reads) = (0usize, 0usize);
    let mut first: Option<Refused> = None;
    let mut chunk = [0u8; 512];
    let mut got = [0u8; 512];
    // In phases, each in less room than the one before (where the
    // buffers fit, nothing goes out; a little less, and every read
    // brings a buffer's pages back): the hog grows, the buffers are made
    // afresh (pages the reader holds, the hog cannot take), and reads
    // alternate between them.
    let mut room = EVICT_ROOM + EVICT_STEP;
    while first.is_none() && room >= EVICT_STEP {
        room -= EVICT_STEP;
        let hog_pages = hog_to(room);
        let st1 = swap_stat().unwrap_or(st0);
        let Some(x) = grow(2 * BUF_PAGES) else {
            bad!(
                "sbrk of {} pages for the buffers returned -1",
                2 * BUF_PAGES
            );
        };
        let y = x + BUF_LEN;
        // Pages 1..31 of each buffer hold a pattern that nothing writes
        // again; page 0 of each takes the pipe's data (between bytes 8
        // and 4088, and the pattern's words are outside).
        mark_pages(x, 2 * BUF_PAGES);
        let fails0 = fails;
        for k in 0..EVICT_ROUNDS {
            for (which, b) in [(0usize, x), (1, y)] {
                let len = 1 + (k * 97 + which * 211 + room * 13) % 512;
                let off = 8 + (k * 389 + which * 1237 + room * 71) % (PGSIZE - 16 - len);
                for (j, v) in chunk[..len].iter_mut().enumerate() {
                    *v = evict_byte(reads, j);
                }
                put(data[1], &chunk[..len], "into the pipe");
                let n = BUF_LEN - off;
                let before = swap_stat().unwrap_or(st1);
                let r = read_at(data[0], b + off, n);
                let after = swap_stat().unwrap_or(st1);
                if r < 0 {
                    fails += 1;
                    if first.is_none() {
                        first = Some(Refused {
                            n,
                            page: off / PGSIZE,
                            before,
                            after,
                        });
                    }
                    // The bytes are still in the pipe: take them.
                    if read(data[0], &mut got[..len]) != len as i32 {
                        bad!(
                            "after a read() of -1, the pipe's {} bytes are not all there",
                            len
                        );
                    }
                } else if r != len as i32 {
                    bad!(
                        "read() from a pipe into a valid buffer ({} bytes left, at page {} of {}) returned {}, expected {}",
                        n, off / PGSIZE, BUF_PAGES, r, len
                    );
                } else {
                    // Checked through another pipe, so that this process
                    // does not touch the page: the clock sees only the
                    // kernel's use of it.
                    let w = write_at(echo[1], b + off, len);
                    if w != len as i32 || read(echo[0], &mut got[..len]) != len as i32 {
                        bad!(
                            "echoing the {} bytes read through a pipe returned {}",
                            len,
                            w
                        );
                    }
                }
                if got[..len] != chunk[..len] {
                    let j = (0..len).find(|&j| got[j] != chunk[j]).unwrap_or(0);
                    bad!(
                        "read {}: byte {} (page 0 of {}) is {:#x}, expected {:#x}",
                        reads,
                        j,
                        BUF_PAGES,
                        got[j],
                        chunk[j]
                    );
                }
                reads += 1;
            }
        }
        let st2 = swap_stat().unwrap_or(st1);
        println!(
            "bigbuf: pipeevict: a hog of {} pages, {} free before the buffers: {} reads, {} of them -1; {} pages out, {} in",
            hog_pages,
            st1.free,
            2 * EVICT_ROUNDS,
            fails - fails0,
            st2.outs - st1.outs,
            st2.ins - st1.ins
        );
        // Every other page still holds its pattern.
        for pg in 0..2 * BUF_PAGES {
            let a = x + pg * PGSIZE;
            let w = page_word(pg);
            if peek64(a) != w || peek64(a + PGSIZE - 8) != !w {
                bad!(
                    "page {} of buffer {} lost its pattern",
                    pg % BUF_PAGES,
                    pg / BUF_PAGES
                );
            }
        }
        sbrk(-((sbrk(0) as usize - x) as i32));
    }
    if let Some(f) = first {
        bad!(
            "read() from a pipe into a valid buffer ({} bytes left, at page {} of {}) returned -1\n  (during the call: {} evictions, {} pages read back, system-wide; free pages {} before, {} after; {} of {} reads returned -1)",
            f.n,
            f.page,
            BUF_PAGES,
            f.after.outs - f.before.outs,
            f.after.ins - f.before.ins,
            f.before.free,
            f.after.free,
            fails,
            reads
        );
    }
    println!("bigbuf: pipeevict: {} reads, every byte checked", reads);
    for fd in [data[0], data[1], echo[0], echo[1]] {
        close(fd);
    }
    close(cmd[1]);
    close(ans[0]);
    kill(hog_pid);
    wait_for(hog_pid);
}

struct Case {
    name: &'static str,
    run: fn(),
}

const CASES: &[Case] = &[
    Case {
        name: "mmapread",
        run: mmapread,
    },
    Case {
        name: "mmappipe",
        run: mmappipe,
    },
    Case {
        name: "bss",
        run: bss,
    },
    Case {
        name: "lazyheap",
        run: lazyheap,
    },
    Case {
        name: "swapheap",
        run: swapheap,
    },
    Case {
        name: "brim",
        run: brim,
    },
    Case {
        name: "pipeswap",
        run: pipeswap,
    },
    Case {
        name: "pipeevict",
        run: pipeevict,
    },
];

/// Runs case `i` in a child; returns true if it passed or was skipped.
fn run_case(i: usize) -> bool {
    let name = CASES[i].name;
    // `reg`: helpers' pids; `alive`: every process of the case holds its
    // write end, so end of file on it means they have all exited.
    let (mut reg, mut alive) = ([0i32; 2], [0i32; 2]);
    if pipe(&mut reg) != 0 || pipe(&mut alive) != 0 {
        println!("bigbuf: pipe() failed in the main process");
        return false;
    }
    let t0 = uptime();
    let pid = fork();
    if pid == 0 {
        close(reg[0]);
        close(alive[0]);
        CURRENT.store(i, Ordering::Relaxed);
        REG_W.store(reg[1], Ordering::Relaxed);
        (CASES[i].run)();
        exit(S_OK);
    }
    close(reg[1]);
    close(alive[1]);
    let mut st = 0;
    if pid < 0 || wait(Some(&mut st)) != pid {
        println!("bigbuf: case {} FAILED: fork or wait failed", name);
        close(reg[0]);
        close(alive[0]);
        return false;
    }
    // The case's process is gone: its helpers go too.
    let mut b = [0u8; 4];
    while read(reg[0], &mut b) == 4 {
        kill(i32::from_ne_bytes(b));
    }
    close(reg[0]);
    while read(alive[0], &mut b) > 0 {}
    close(alive[0]);
    let ticks = uptime() - t0;
    match st {
        S_OK => {
            println!("bigbuf: case {} ok ({} ticks)", name, ticks);
            true
        }
        S_SKIPPED => true,
        -1 => {
            println!(
                "bigbuf: case {} FAILED: its process was killed (exit status -1)",
                name
            );
            false
        }
        _ => {
            println!("bigbuf: case {} FAILED (exit status {})", name, st);
            false
        }
    }
}

fn make_file(path: &CStr, bytes: impl Iterator<Item = u8>) {
    let fd = open(path, O_CREATE | O_TRUNC | O_WRONLY);
    if fd < 0 {
        println!("bigbuf: FAILED cannot create {:?}", path);
        exit(1);
    }
    let mut b = [0u8; 512];
    let mut n = 0;
    for v in bytes {
        b[n] = v;
        n += 1;
        if n == b.len() {
            write(fd, &b);
            n = 0;
        }
    }
    write(fd, &b[..n]);
    close(fd);
}

fn main(args: ulib::Args) {
    if args.get(1) == Some(BSS_MODE) {
        bss_main();
        exit(S_OK);
    }
    // `bigbuf NAME...` runs only the cases named.
    let chosen =
        |name: &str| args.len() < 2 || args.iter().skip(1).any(|a| a.to_bytes() == name.as_bytes());
    for a in args.iter().skip(1) {
        if !CASES.iter().any(|c| c.name.as_bytes() == a.to_bytes()) {
            let mut line = Out::new(2);
            line.str("usage: bigbuf [case...]; the cases:");
            for c in CASES {
                line.str(" ").str(c.name);
            }
            line.str("\n").flush();
            exit(1);
        }
    }
    make_file(MAPFILE, (0..MAPFILE_LEN).map(map_byte));
    make_file(SMALL, SMALL_BYTES.iter().copied());
    let free0 = countfree();
    FREE0.store(free0, Ordering::Relaxed);
    match swap_stat() {
        Some(s) => println!(
            "bigbuf: {} free pages (with swap: {} in memory, {} swap slots)",
            free0, s.free, s.slots
        ),
        None => {
            println!("bigbuf: {} free pages", free0);
            // Once, for every case's counts (where there is no swap).
            lazy_sbrk();
        }
    }

    let mut failed = [""; CASES.len()];
    let mut nfailed = 0;
    for (i, case) in CASES.iter().enumerate() {
        if !chosen(case.name) {
            continue;
        }
        if !run_case(i) {
            failed[nfailed] = case.name;
            nfailed += 1;
        }
    }

    let mut free = 0;
    for _ in 0..10 {
        free = countfree();
        if free == free0 {
            break;
        }
        sleep(5);
    }
    unlink(MAPFILE);
    unlink(SMALL);
    unlink(OUT);
    if free != free0 {
        println!("bigbuf: free pages {} before, {} after", free0, free);
    }
    if nfailed > 0 {
        let mut line = Out::new(1);
        line.str("bigbuf: FAILED");
        for name in &failed[..nfailed] {
            line.str(" ").str(name);
        }
        line.str(if free != free0 {
            ", pages leaked\n"
        } else {
            "\n"
        });
        line.flush();
    } else if free != free0 {
        println!("bigbuf: FAILED pages leaked");
    } else {
        println!("bigbuf: OK");
    }
}
