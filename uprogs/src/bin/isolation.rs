//! isolation: the kernel must never write where the process itself could
//! not, and a process's writes must never show up in another's memory.
//!
//! - syscalls into read-only memory: read, fstat, pipe, wait and a pipe
//!   read aimed at our own text or rodata (read and fstat also at the
//!   stack guard page, the trapframe and the trampoline) all return -1,
//!   change nothing (here or in the parent, with which the text is shared
//!   under copy-on-write) and lose nothing (the pipe keeps its bytes, the
//!   zombie stays reapable, a failed pipe() leaves no descriptors behind);
//! - read() into a heap page shared copy-on-write with the parent gives the
//!   child the file's bytes and leaves the parent's page alone, and later
//!   stores by the parent do not reach the child;
//! - a read() that starts in a page the child already made private and
//!   runs on into one still shared;
//! - three generations sharing the same pages each write their own pattern
//!   and each sees only its own;
//! - a user-mode store to text or rodata kills only the writer;
//! - with `mmap` (skipped where mmap fails): read() and write() whose buffer
//!   is an untouched mapping of the very file being read or written (the
//!   fault must not wait for the inode lock the call holds), a pipe's read
//!   and write on untouched mappings (their copies run under a spinlock),
//!   wait's status into one, and a read into a read-only mapping, which
//!   fails and changes nothing;
//! - heap that was only read (under `zfod` it maps the one shared page of
//!   zeros): read(), a pipe's read, fstat and wait's status into it give
//!   this process the bytes, and fresh heap, here and in a child, still
//!   reads zero (the kernel never wrote the zero page);
//! - program pages not read yet (under `demand`, in a fresh exec of this
//!   program, `isolation untouched`): read() of this program's own file
//!   into its untouched data (reading that page in from the same file must
//!   not wait for the inode lock the call holds), a pipe's write from
//!   untouched rodata (its copy runs under a spinlock), and wait's status
//!   into untouched data.
//!
//! On a kernel without copy-on-write fork copies eagerly and the same
//! checks must hold. Each case runs in a child of its own (so its heap
//! growth does not change this process's page count); free pages are
//! counted before and after all of them. Prints `isolation: case NAME ok`
//! per case, then `isolation: OK` or `isolation: FAILED <why>`.

#![no_std]
#![no_main]

use abi::fcntl::{MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE};
use core::cell::UnsafeCell;
use core::ffi::CStr;
use core::ptr::{read_volatile, write_volatile};
use ulib::meter::countfree;
use ulib::{
    close, dup, exit, fork, open, pipe, println, read, sbrk, sys, unlink, wait, write, Stat,
    O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

// The trampoline and trapframe are mapped in every process, but only for
// the kernel (no PTE_U).
use ulib::layout::{PGSIZE, TRAMPOLINE, TRAPFRAME};

/// The file the cases read from, and its length.
const DATA: &CStr = c"isolation.dat";
const DATA_LEN: usize = 512;

/// How many bytes of text and rodata the cases aim at and compare.
const SPAN: usize = 64;

/// Read-only data (a non-mut static without interior mutability lives in
/// .rodata, mapped without PTE_W).
static RODATA: [u8; SPAN] = *b"isolation: rodata that no system call may ever overwrite. 01234\n";

/// Data (initialized, so its pages come from this program's file) that
/// only `isolation untouched` uses: in that fresh exec of this program
/// none of it has been touched when its system calls copy into it.
struct Untouched(UnsafeCell<[u8; 4 * PGSIZE]>);
// SAFETY: one thread; reached only through raw pointers in `untouched`.
unsafe impl Sync for Untouched {}
static UNTOUCHED: Untouched = Untouched(UnsafeCell::new([UNTOUCHED_BYTE; 4 * PGSIZE]));
const UNTOUCHED_BYTE: u8 = 0xa5;

/// Rodata of three pages: the middle one holds nothing else, and only
/// `isolation untouched` reads it.
static RO_PAGES: [u8; 3 * PGSIZE] = [0x5a; 3 * PGSIZE];

/// This program's own file, which the untouched mode reads.
const SELF: &CStr = c"isolation";

/// Byte `i` of the data file.
fn data_byte(i: usize) -> u8 {
    (i * 7 + 1) as u8
}

/// Byte `i` of a heap pattern: varies within and between pages, so a page
/// mapped at the wrong place shows up too.
fn pattern(seed: u8, i: usize) -> u8 {
    seed ^ (i as u8) ^ ((i / PGSIZE) as u8).wrapping_mul(31)
}

/// The address of some of our own code.
fn text_addr() -> usize {
    main as fn(ulib::Args) as usize
}

fn rodata_addr() -> usize {
    RODATA.as_ptr() as usize
}

/// The page just below the (one-page) stack: mapped, but not for user mode.
fn guard_addr() -> usize {
    let sp: usize;
    // SAFETY: copying sp into a register has no side effects.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack)) };
    (sp & !(PGSIZE - 1)) - PGSIZE
}

/// A copy of the SPAN bytes at `addr` (text or rodata: always readable).
fn snap(addr: usize) -> [u8; SPAN] {
    let mut b = [0u8; SPAN];
    for (i, v) in b.iter_mut().enumerate() {
        // SAFETY: callers pass our text or rodata, mapped readable.
        *v = unsafe { read_volatile((addr + i) as *const u8) };
    }
    b
}

/// Inside a case: stops the case's process with a message if `ok` is false.
fn expect(ok: bool, what: &str) {
    if !ok {
        println!("isolation:   {}: WRONG", what);
        exit(1);
    }
}

/// Forks; exits the case if fork fails.
fn fork_or_die() -> i32 {
    let pid = fork();
    expect(pid >= 0, "fork");
    pid
}

/// Waits for a child; returns its exit status.
fn wait_status() -> i32 {
    let mut st = 0;
    expect(wait(Some(&mut st)) > 0, "wait");
    st
}

/// A pipe used to send one-byte "go ahead" signals.
fn channel() -> [i32; 2] {
    let mut fds = [0i32; 2];
    expect(pipe(&mut fds) == 0, "pipe");
    fds
}

fn signal(ch: &[i32; 2]) {
    expect(write(ch[1], b"!") == 1, "signal write");
}

fn await_signal(ch: &[i32; 2]) {
    let mut c = [0u8; 1];
    expect(read(ch[0], &mut c) == 1, "signal read");
}

/// `pages` fresh page-aligned heap pages (they live until the case exits).
fn heap(pages: usize) -> *mut u8 {
    let cur = sbrk(0) as usize;
    let pad = cur.next_multiple_of(PGSIZE) - cur;
    let p = sbrk((pad + pages * PGSIZE) as i32);
    expect(p as usize != usize::MAX, "sbrk");
    (p as usize + pad) as *mut u8
}

/// Writes pattern(seed, i) into byte i of [p, p + len).
fn fill(p: *mut u8, len: usize, seed: u8) {
    for i in 0..len {
        // SAFETY: callers pass heap from `heap` that they own.
        unsafe { write_volatile(p.add(i), pattern(seed, i)) };
    }
}

/// True if byte i of [p + from, p + to) is `want(i)`.
fn holds(p: *mut u8, from: usize, to: usize, want: impl Fn(usize) -> u8) -> bool {
    // SAFETY: callers pass heap from `heap` that they own.
    (from..to).all(|i| unsafe { read_volatile(p.add(i)) } == want(i))
}

/// Bytes [off, off + len) of heap region `p`, as a buffer for read().
fn heap_slice(p: *mut u8, off: usize, len: usize) -> &'static mut [u8] {
    // SAFETY: callers pass heap from `heap`, which stays mapped until the
    // case's process exits, and a range inside it; the program only touches
    // it through volatile accesses between reads, never while the slice lives.
    unsafe { core::slice::from_raw_parts_mut(p.add(off), len) }
}

fn open_data() -> i32 {
    let fd = open(DATA, O_RDONLY);
    expect(fd >= 0, "open the data file");
    fd
}

/// The lowest free file descriptor.
fn lowest_free_fd() -> i32 {
    let fd = dup(0);
    close(fd);
    fd
}

/// What the child tries: every call must fail without side effects.
fn syscalls_into_readonly_child(text: usize, ro: usize, text0: &[u8; SPAN], ro0: &[u8; SPAN]) {
    let fd = open_data();
    let guard = guard_addr();
    // In every raw call below the kernel checks the pointer, and none of
    // them points at memory this program may have written itself.
    let targets = [
        ("text", text),
        ("rodata", ro),
        ("guard page", guard),
        ("trapframe", TRAPFRAME),
        ("trampoline", TRAMPOLINE),
    ];
    for (what, addr) in targets {
        // SAFETY: see above.
        let r = unsafe { sys::read(fd, addr as *mut u8, SPAN as i32) };
        println!("isolation:   read into {} = {}", what, r);
        expect(r == -1, "read into read-only memory");
        // SAFETY: see above.
        let r = unsafe { sys::fstat(fd, addr as *mut Stat) };
        expect(r == -1, "fstat into read-only memory");
    }

    let before = lowest_free_fd();
    // SAFETY: see above.
    let r = unsafe { sys::pipe(text as *mut i32) };
    expect(r == -1, "pipe into text");
    expect(
        lowest_free_fd() == before,
        "failed pipe() left descriptors open",
    );

    // A zombie grandchild whose status cannot be stored must stay reapable.
    let gpid = fork_or_die();
    if gpid == 0 {
        exit(5);
    }
    // SAFETY: see above.
    let r = unsafe { sys::wait(text as *mut i32) };
    expect(r == -1, "wait into text");
    let mut st = 0;
    expect(
        wait(Some(&mut st)) == gpid && st == 5,
        "zombie lost after failed wait",
    );

    // A pipe read that cannot store the bytes leaves them in the pipe.
    let p = channel();
    expect(write(p[1], b"xyz") == 3, "pipe write");
    // SAFETY: see above.
    let r = unsafe { sys::read(p[0], text as *mut u8, 3) };
    expect(r == -1, "pipe read into text");
    let mut got = [0u8; 3];
    expect(
        read(p[0], &mut got) == 3 && &got == b"xyz",
        "pipe lost bytes",
    );

    expect(snap(text) == *text0, "child's text changed");
    expect(snap(ro) == *ro0, "child's rodata changed");
}

fn syscalls_into_readonly() {
    let (text, ro) = (text_addr(), rodata_addr());
    let (text0, ro0) = (snap(text), snap(ro));
    if fork_or_die() == 0 {
        syscalls_into_readonly_child(text, ro, &text0, &ro0);
        exit(0);
    }
    expect(wait_status() == 0, "child");
    expect(snap(text) == text0, "parent's text changed");
    expect(snap(ro) == ro0, "parent's rodata changed");
}

/// read() into a copy-on-write heap page, then the parent writes.
fn read_into_shared_heap() {
    const A: u8 = 0xa5;
    const B: u8 = 0x5b;
    let buf = heap(1);
    fill(buf, PGSIZE, A);
    let (up, down) = (channel(), channel());
    if fork_or_die() == 0 {
        let fd = open_data();
        expect(
            read(fd, heap_slice(buf, 0, DATA_LEN)) == DATA_LEN as i32,
            "read into heap",
        );
        expect(
            holds(buf, 0, DATA_LEN, data_byte),
            "child misses the file's bytes",
        );
        signal(&up);
        await_signal(&down);
        expect(
            holds(buf, 0, DATA_LEN, data_byte),
            "parent's stores reached the child",
        );
        expect(
            holds(buf, DATA_LEN, PGSIZE, |i| pattern(A, i)),
            "rest of child's page",
        );
        exit(0);
    }
    await_signal(&up);
    expect(
        holds(buf, 0, PGSIZE, |i| pattern(A, i)),
        "child's read reached the parent",
    );
    fill(buf, PGSIZE, B);
    signal(&down);
    expect(wait_status() == 0, "child");
    expect(
        holds(buf, 0, PGSIZE, |i| pattern(B, i)),
        "parent lost its own stores",
    );
}

/// A copyout from a private page on into a copy-on-write one.
fn read_across_private_and_shared() {
    const A: u8 = 0x3c;
    const AT: usize = PGSIZE - 100;
    const N: usize = 200;
    let buf = heap(2);
    fill(buf, 2 * PGSIZE, A);
    if fork_or_die() == 0 {
        // A store of the byte already there: page 0 becomes private.
        // SAFETY: buf is our heap.
        unsafe { write_volatile(buf, pattern(A, 0)) };
        let fd = open_data();
        expect(read(fd, heap_slice(buf, AT, N)) == N as i32, "read");
        expect(holds(buf, AT, AT + N, |i| data_byte(i - AT)), "bytes read");
        expect(
            holds(buf, 0, AT, |i| pattern(A, i)),
            "page 0 before the read",
        );
        let end = 2 * PGSIZE;
        expect(
            holds(buf, AT + N, end, |i| pattern(A, i)),
            "page 1 after the read",
        );
        exit(0);
    }
    expect(wait_status() == 0, "child");
    expect(
        holds(buf, 0, 2 * PGSIZE, |i| pattern(A, i)),
        "child's read reached the parent",
    );
}

/// Parent, child and grandchild share pages and each writes its own pattern.
fn three_generations() {
    const LEN: usize = 4 * PGSIZE;
    let buf = heap(4);
    fill(buf, LEN, 0xee);
    let (written, go) = (channel(), channel());
    let mut generation = 0u8;
    if fork_or_die() == 0 {
        generation = 1;
        if fork_or_die() == 0 {
            generation = 2;
        }
    }
    let seed = 0x11 * (generation + 1);
    fill(buf, LEN, seed);
    // Nobody checks until all three have written.
    if generation == 0 {
        await_signal(&written);
        await_signal(&written);
        signal(&go);
        signal(&go);
    } else {
        signal(&written);
        await_signal(&go);
    }
    expect(
        holds(buf, 0, LEN, |i| pattern(seed, i)),
        "another generation's stores",
    );
    if generation < 2 {
        expect(wait_status() == 0, "younger generation");
    }
    if generation > 0 {
        exit(0);
    }
}

/// A user store to read-only memory kills the writer, nobody else.
fn store_kills_only_writer() {
    for (what, addr) in [("text", text_addr()), ("rodata", rodata_addr())] {
        let before = snap(addr);
        if fork_or_die() == 0 {
            // SAFETY: none, deliberately: the page is not writable, so this
            // store must fault and the kernel must kill us.
            unsafe { write_volatile(addr as *mut u8, !before[0]) };
            println!("isolation:   child survived a store to {}", what);
            exit(0);
        }
        let st = wait_status();
        println!("isolation:   store to {}: child exited {}", what, st);
        expect(st == -1, "writer not killed");
        expect(snap(addr) == before, "the store reached the parent");
    }
}

struct Case {
    name: &'static str,
    run: fn(),
}

const CASES: &[Case] = &[
    Case {
        name: "syscalls into read-only pages fail",
        run: syscalls_into_readonly,
    },
    Case {
        name: "read into a COW heap page",
        run: read_into_shared_heap,
    },
    Case {
        name: "read from a private into a COW page",
        run: read_across_private_and_shared,
    },
    Case {
        name: "three generations on shared pages",
        run: three_generations,
    },
    Case {
        name: "store to text/rodata kills only the writer",
        run: store_kills_only_writer,
    },
    Case {
        name: "mmap buffers in read, write, pipes and wait",
        run: mmap_buffers,
    },
    Case {
        name: "copies into heap only read (the zero page)",
        run: zero_pages,
    },
    Case {
        name: "copies into and out of untouched program pages",
        run: untouched_program_pages,
    },
];

/// The mmap case (see the module comment).
fn mmap_buffers() {
    let fd = open(DATA, O_RDWR);
    expect(fd >= 0, "open the data file read/write");
    let map = |prot, flags| {
        // SAFETY: mmap only creates a mapping; nothing is accessed here.
        unsafe { sys::mmap(0, 2 * PGSIZE, prot, flags, fd, 0) }
    };
    let rw = PROT_READ | PROT_WRITE;
    let shared = map(rw, MAP_SHARED);
    if shared == usize::MAX {
        println!("isolation:   mmap: not in this kernel, skipped");
        return;
    }
    let (private, out, back, ro) = (
        map(rw, MAP_PRIVATE),
        map(rw, MAP_PRIVATE),
        map(rw, MAP_PRIVATE),
        map(PROT_READ, MAP_SHARED),
    );
    expect(![private, out, back, ro].contains(&usize::MAX), "mmap");
    let at = |a: usize, i: usize| {
        // SAFETY: a is one of the mappings above, i < 2 pages.
        unsafe { read_volatile((a + i) as *const u8) }
    };
    // SAFETY (all the raw calls below): the buffers are our own mappings,
    // 2 pages each, and no Rust reference to them exists.
    let n = DATA_LEN as i32;
    // read() of the file into a fresh mapping of that same file.
    expect(
        unsafe { sys::read(fd, private as *mut u8, n) } == n,
        "read into own mapping",
    );
    expect(
        (0..DATA_LEN).all(|i| at(private, i) == data_byte(i)),
        "read bytes",
    );
    // write() (appending) from a fresh shared mapping of the same file.
    expect(
        unsafe { sys::write(fd, shared as *const u8, n) } == n,
        "write from own mapping",
    );
    // A pipe: write from an untouched mapping, read into another.
    let ch = channel();
    expect(
        unsafe { sys::write(ch[1], out as *const u8, 64) } == 64,
        "pipe write",
    );
    expect(
        unsafe { sys::read(ch[0], back as *mut u8, 64) } == 64,
        "pipe read",
    );
    expect((0..64).all(|i| at(back, i) == data_byte(i)), "pipe bytes");
    // wait's status lands in an untouched mapping.
    let status = back + PGSIZE;
    if fork_or_die() == 0 {
        exit(7);
    }
    expect(
        unsafe { sys::wait(status as *mut i32) } > 0,
        "wait into a mapping",
    );
    // SAFETY: status is inside `back`, 4-byte aligned.
    expect(
        unsafe { read_volatile(status as *const i32) } == 7,
        "wait status",
    );
    // read() into a read-only mapping: -1, the page keeps the file's bytes.
    let fd2 = open_data();
    expect(
        unsafe { sys::read(fd2, ro as *mut u8, 16) } == -1,
        "read into PROT_READ",
    );
    expect(
        (0..16).all(|i| at(ro, i) == data_byte(i)),
        "read-only mapping intact",
    );
    close(fd2);
    for a in [shared, private, out, back, ro] {
        // SAFETY: unmapping our own mappings; nothing refers to them after.
        expect(unsafe { sys::munmap(a, 2 * PGSIZE) } == 0, "munmap");
    }
    close(fd);
    close(ch[0]);
    close(ch[1]);
}

/// Heap that was only read gets bytes from the kernel; fresh heap, here
/// and in a child, still reads zero.
fn zero_pages() {
    let p = heap(4);
    expect(holds(p, 0, 4 * PGSIZE, |_| 0), "fresh heap reads zero");
    let fd = open_data();
    expect(
        read(fd, heap_slice(p, 100, DATA_LEN)) == DATA_LEN as i32,
        "read into heap only read",
    );
    let ch = channel();
    expect(write(ch[1], &RODATA[..16]) == 16, "pipe write");
    expect(
        read(ch[0], heap_slice(p, PGSIZE + 5, 16)) == 16,
        "pipe read into heap only read",
    );
    let st = (p as usize + 2 * PGSIZE) as *mut Stat;
    // SAFETY: st is page-aligned heap of ours, and nothing refers to it.
    expect(
        unsafe { sys::fstat(fd, st) } == 0,
        "fstat into heap only read",
    );
    // What fstat says into an ordinary buffer (the mmap case may have
    // made the file longer).
    let mut want = Stat::default();
    expect(ulib::fstat(fd, &mut want) == 0, "fstat");
    close(fd);
    if fork_or_die() == 0 {
        exit(9);
    }
    let status = (p as usize + 3 * PGSIZE + 8) as *mut i32;
    // SAFETY: status is 4-byte aligned heap of ours.
    expect(unsafe { sys::wait(status) } > 0, "wait into heap only read");
    expect(
        holds(p, 0, PGSIZE, |i| {
            if (100..100 + DATA_LEN).contains(&i) {
                data_byte(i - 100)
            } else {
                0
            }
        }),
        "read's page",
    );
    expect(
        holds(p, PGSIZE, 2 * PGSIZE, |i| match i - PGSIZE {
            j @ 5..21 => RODATA[j - 5],
            _ => 0,
        }),
        "pipe's page",
    );
    // SAFETY: as above; fstat filled it.
    let got = unsafe { read_volatile(st) };
    expect(
        (got.ino, got.size) == (want.ino, want.size) && want.size >= DATA_LEN as u64,
        "fstat's inode and size",
    );
    // SAFETY: status as above.
    expect(unsafe { read_volatile(status) } == 9, "wait's status");
    expect(
        holds(p, 3 * PGSIZE, 4 * PGSIZE, |i| match i - 3 * PGSIZE {
            8..12 => 9i32.to_ne_bytes()[i - 3 * PGSIZE - 8],
            _ => 0,
        }),
        "wait's page",
    );
    // Had any copy gone into the shared zero page, fresh heap would show it.
    let q = heap(2);
    expect(
        holds(q, 0, 2 * PGSIZE, |_| 0),
        "fresh heap after the copies",
    );
    if fork_or_die() == 0 {
        let r = heap(2);
        expect(holds(r, 0, 2 * PGSIZE, |_| 0), "a child's fresh heap");
        exit(0);
    }
    expect(wait_status() == 0, "the child's fresh heap reads zero");
    close(ch[0]);
    close(ch[1]);
}

/// Runs `isolation untouched` (below) in a fresh exec of this program.
fn untouched_program_pages() {
    if fork_or_die() == 0 {
        ulib::exec(SELF, &[SELF, c"untouched"]);
        println!("isolation:   exec isolation untouched failed");
        exit(1);
    }
    expect(wait_status() == 0, "isolation untouched");
}

/// `isolation untouched`: system calls copy into and out of program pages
/// this fresh image has not touched yet. Exits 0 if all is as it should be.
fn untouched() {
    // Whole pages inside the array: nothing else lives on them.
    let data = (UNTOUCHED.0.get() as usize).next_multiple_of(PGSIZE) as *mut u8;
    // read() of our own file into untouched data: the copy runs under that
    // file's inode lock, which reading the page in from the same file needs.
    let fd = open(SELF, O_RDONLY);
    expect(fd >= 0, "open own program file");
    const N: usize = 3000;
    // SAFETY: [data + 100, + N) lies inside UNTOUCHED (its first whole
    // page and the next); nothing refers to it.
    expect(
        unsafe { sys::read(fd, data.add(100), N as i32) } == N as i32,
        "read into untouched data",
    );
    close(fd);
    let fd = open(SELF, O_RDONLY);
    let mut chunk = [0u8; 500];
    for at in (0..N).step_by(chunk.len()) {
        expect(
            read(fd, &mut chunk) == chunk.len() as i32,
            "read own file again",
        );
        // SAFETY: inside UNTOUCHED, read only.
        let same =
            (0..chunk.len()).all(|i| unsafe { read_volatile(data.add(100 + at + i)) } == chunk[i]);
        expect(same, "untouched data got the file's bytes");
    }
    close(fd);
    // Around them the page holds what the file holds there: its data.
    // SAFETY: inside UNTOUCHED, read only.
    let around = (0..100).all(|i| unsafe { read_volatile(data.add(i)) } == UNTOUCHED_BYTE);
    expect(around, "the rest of the page kept its initial data");
    // A pipe's write from untouched rodata (copied under the pipe's lock).
    let ch = channel();
    let ro = RO_PAGES.as_ptr() as usize + PGSIZE;
    let ro = ro.next_multiple_of(PGSIZE) as *const u8;
    // SAFETY: one page inside RO_PAGES, readable.
    expect(
        unsafe { sys::write(ch[1], ro, 64) } == 64,
        "pipe write from untouched rodata",
    );
    let mut back = [0u8; 64];
    expect(read(ch[0], &mut back) == 64, "pipe read");
    expect(back.iter().all(|&b| b == 0x5a), "pipe bytes");
    close(ch[0]);
    close(ch[1]);
    // wait's status into untouched data.
    if fork_or_die() == 0 {
        exit(3);
    }
    // SAFETY: inside UNTOUCHED, 4-byte aligned.
    let status = unsafe { data.add(2 * PGSIZE) } as *mut i32;
    // SAFETY: as above.
    expect(unsafe { sys::wait(status) } > 0, "wait into untouched data");
    // SAFETY: as above.
    expect(unsafe { read_volatile(status) } == 3, "wait's status");
    exit(0);
}

fn fail(why: &str) -> ! {
    println!("isolation: FAILED {}", why);
    exit(1)
}

fn write_data_file() {
    let mut b = [0u8; DATA_LEN];
    for (i, v) in b.iter_mut().enumerate() {
        *v = data_byte(i);
    }
    let fd = open(DATA, O_CREATE | O_WRONLY | O_TRUNC);
    if fd < 0 || write(fd, &b) != DATA_LEN as i32 {
        fail("cannot write isolation.dat");
    }
    close(fd);
}

fn main(args: ulib::Args) {
    if args.len() == 2 && args.str(1) == "untouched" {
        untouched();
    }
    write_data_file();
    let free0 = countfree();
    for case in CASES {
        let pid = fork();
        if pid < 0 {
            fail("fork");
        }
        if pid == 0 {
            (case.run)();
            exit(0);
        }
        let mut st = 0;
        wait(Some(&mut st));
        if st != 0 {
            fail(case.name);
        }
        println!("isolation: case {} ok", case.name);
    }
    let free1 = countfree();
    unlink(DATA);
    if free1 != free0 {
        println!("isolation: free pages {} before, {} after", free0, free1);
        fail("pages leaked");
    }
    println!("isolation: OK");
}
