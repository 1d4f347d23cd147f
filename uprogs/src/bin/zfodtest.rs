//! zfodtest: the checks for zero fill on demand (kernel feature `zfod`, on
//! top of `lazy`): heap that is only read maps one shared page of zeros,
//! and only a store (by the program or by the kernel's copyout) costs a
//! page.
//!
//! Each case prints one `test NAME: ...` line with the free-page figures
//! it saw; the last line is `zfodtest: OK`, or `zfodtest: FAILED WHY`
//! (exit status 1) at the first failure.
//!
//! - read: sbrk 64 MiB and read a byte of every page: all zero, and no
//!   page allocated but the page tables.
//! - write: a store into one of those pages costs exactly one page; the
//!   byte reads back, the rest of the page and its neighbours stay zero.
//! - fork: a child of the process costs its page tables and private pages
//!   only, reads the same zeros, and neither side sees the other's stores.
//! - copyin/copyout: write() from a zero page sends zeros and costs
//!   nothing; read() into zero pages costs exactly the two pages it fills.
//! - shrink: sbrk(-64 MiB) gives back exactly the pages stored to, and
//!   after the test process exits every page is free again.
//!
//! Free pages are counted by a helper process (ulib::meter::Meter), so the
//! counts do not include copying the test for each count, and made exact
//! (see `exact`): every figure printed is a number of pages. A kernel without
//! zfod allocates a page per page read: the read case then says so and
//! fails, so run this on zfod kernels.

#![no_std]
#![no_main]

use core::fmt::Display;
use core::ptr::{read_volatile, write_volatile};
use ulib::meter::{self, countfree, tables, Meter};
use ulib::{
    close, exit, fork, open, pipe, println, read, sbrk, unlink, wait, write, Args, CStr, O_CREATE,
    O_RDONLY, O_TRUNC, O_WRONLY,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
/// The heap the test grows and reads.
const HEAP: usize = 64 << 20;
/// More than the page tables of HEAP can take: one last-level table per
/// 2 MiB (32 or 33) and perhaps a middle-level one.
const TABLES: i32 = 64;
/// The page written in the write case, and the pages of the other cases
/// (all only read before their case).
const MID: usize = 8000;
const PARENT: usize = 100;
const CHILD: usize = 101;
const FROM: usize = 3000;
const INTO: usize = 12000;
/// Bytes read() puts at offset OFF of page INTO: across into INTO + 1.
const OFF: usize = 100;
const LEN: usize = 6000;
/// The scratch file of the copyin/copyout case.
const TMP: &CStr = c"zfod.tmp";

fn fail(why: impl Display) -> ! {
    println!("zfodtest: FAILED {}", why);
    exit(1)
}

/// The byte at `a`, a heap address of ours. Volatile, so each load really
/// happens (and faults) where the test says.
fn peek(a: usize) -> u8 {
    // SAFETY: every address the test passes lies in the heap sbrk gave it.
    unsafe { read_volatile(a as *const u8) }
}

fn poke(a: usize, v: u8) {
    // SAFETY: as in peek.
    unsafe { write_volatile(a as *mut u8, v) }
}

/// True if all bytes of [a, a + n) are zero but those of `skip`.
fn zero(a: usize, n: usize, skip: core::ops::Range<usize>) -> bool {
    (a..a + n).all(|x| skip.contains(&x) || peek(x) == 0)
}

/// Byte `i` of what read() puts into the heap in the copyout case.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8 + 1
}

/// ulib::meter::exact, failing the test if the two counts make no sense.
fn exact(count: &dyn Fn() -> i32, brk: usize) -> i32 {
    meter::exact(count, brk).unwrap_or_else(|(n, again)| {
        fail(format_args!(
            "counts of {} and {} free pages around a pipe",
            n, again
        ))
    })
}

fn main(_args: Args) {
    let brk = sbrk(0) as usize;
    let count = || exact(&countfree, brk);
    let before = count();
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        cases();
        exit(0);
    }
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        fail("wait");
    }
    match st {
        0 => {}
        // The test process said why.
        1 => exit(1),
        _ => fail(format_args!("the test process died (status {})", st)),
    }
    let after = count();
    println!(
        "test exit: {} free pages before the test process, {} after",
        before, after
    );
    if after != before {
        fail(format_args!("{} pages lost", before - after));
    }
    println!("zfodtest: OK");
}

fn cases() {
    // Forked before the heap grows, so counting copies nothing of it; its
    // counting children grow their heaps from here.
    let brk = sbrk(0) as usize;
    let meter = Meter::start();
    let free = || exact(&|| meter.free_pages(), brk);
    // The first count also pays for the helper's first stores since the
    // fork (copy-on-write kernels); from then on counts repeat exactly.
    let (a, b) = (free(), free());
    println!("test meter: {} free pages, then {}", a, b);
    if a != b {
        fail("two counts in a row differ: the counts below would be noisy");
    }

    let p = sbrk(HEAP as i32) as usize;
    if p == usize::MAX {
        fail("sbrk(64 MiB)");
    }
    if !p.is_multiple_of(PGSIZE) {
        fail(format_args!("the break {:#x} is not page-aligned", p));
    }
    let page = |i: usize| p + i * PGSIZE;
    let pages = HEAP / PGSIZE;

    // read
    let free0 = free();
    let nonzero = (0..pages)
        .filter(|&i| peek(page(i) + i % PGSIZE) != 0)
        .count();
    let free1 = free();
    let cost = free0 - free1;
    let want = tables(p, p + HEAP);
    println!(
        "test read: {} pages read, {} free pages before, {} after: cost {} ({} page tables)",
        pages, free0, free1, cost, want
    );
    if cost >= pages as i32 {
        println!("zfodtest: this kernel has no zero fill on demand (every page read cost a page)");
    }
    if nonzero != 0 {
        fail(format_args!("{} pages of fresh heap are not zero", nonzero));
    }
    // Exactly the page tables of the heap: they are all there now.
    if cost != want {
        fail(format_args!(
            "reading the heap cost {} pages, not its {} page tables",
            cost, want
        ));
    }
    for i in [0, MID, pages - 1] {
        if !zero(page(i), PGSIZE, 0..0) {
            fail(format_args!("page {} of fresh heap is not all zero", i));
        }
    }

    // write
    let w = page(MID) + 123;
    let free1 = free();
    poke(w, 0x5a);
    let free2 = free();
    println!(
        "test write: {} free pages before a store, {} after: cost {}",
        free1,
        free2,
        free1 - free2
    );
    if free1 - free2 != 1 {
        fail(format_args!("one store cost {} pages", free1 - free2));
    }
    if peek(w) != 0x5a {
        fail("the stored byte did not stick");
    }
    if !zero(page(MID), PGSIZE, w..w + 1) {
        fail("a store changed other bytes of its page");
    }
    if !zero(page(MID - 1), PGSIZE, 0..0) || !zero(page(MID + 1), PGSIZE, 0..0) {
        fail("a store changed a neighbouring page");
    }

    fork_case(&free, p, pages, w);
    copy_case(&free, p);

    // shrink: the pages stored to are the write case's, the parent's of
    // the fork case and the two read() filled.
    let stored = 4;
    let free5 = free();
    if sbrk(-(HEAP as i32)) as usize == usize::MAX {
        fail("sbrk(-64 MiB)");
    }
    let free6 = free();
    println!(
        "test shrink: {} free pages before sbrk(-64 MiB), {} after: {} back, {} stored to",
        free5,
        free6,
        free6 - free5,
        stored
    );
    if free6 - free5 != stored {
        fail(format_args!(
            "shrinking gave back {} pages, not the {} stored to",
            free6 - free5,
            stored
        ));
    }
    meter.stop();
}

/// fork: the child's cost, its view of the zeros and of the written byte
/// `w`, and that stores on either side stay there.
fn fork_case(free: &dyn Fn() -> i32, p: usize, pages: usize, w: usize) {
    let page = |i: usize| p + i * PGSIZE;
    let (mut ready, mut go) = ([0i32; 2], [0i32; 2]);
    if pipe(&mut ready) < 0 || pipe(&mut go) < 0 {
        fail("pipe");
    }
    // What a copying fork pays for besides the heap: the pages below it
    // (text, data, guard, stack), the written page, page tables, the
    // trapframe, and the child's own stores to its stack (cow).
    let bound = (p / PGSIZE) as i32 + 1 + TABLES + 4;
    let free3 = free();
    let pid = fork();
    if pid < 0 {
        fail("fork");
    }
    if pid == 0 {
        close(ready[0]);
        close(go[1]);
        let bad = (0..pages)
            .filter(|&i| i != MID && peek(page(i) + i % PGSIZE) != 0)
            .count();
        let ok = bad == 0 && peek(w) == 0x5a;
        write(ready[1], &[ok as u8]);
        let mut c = [0u8; 1];
        read(go[0], &mut c);
        // The parent stored to PARENT meanwhile.
        let clean = peek(page(PARENT)) == 0;
        poke(page(CHILD), b'C');
        poke(page(PARENT) + 1, b'C');
        let mine = peek(page(CHILD)) == b'C' && peek(page(PARENT) + 1) == b'C';
        exit(if !ok {
            2
        } else if !clean {
            3
        } else if !mine {
            4
        } else {
            0
        });
    }
    close(ready[1]);
    close(go[0]);
    let mut c = [0u8; 1];
    if read(ready[0], &mut c) != 1 {
        fail("the child did not report");
    }
    let free4 = free();
    let cost = free3 - free4;
    println!(
        "test fork: {} free pages before fork, {} with the child: cost {} (bound {})",
        free3, free4, cost, bound
    );
    if cost >= pages as i32 {
        fail(format_args!(
            "the child copied the zero pages ({} pages)",
            cost
        ));
    }
    if cost > bound {
        fail(format_args!(
            "the child cost {} pages, more than {}",
            cost, bound
        ));
    }
    poke(page(PARENT), b'P');
    write(go[1], b"g");
    close(ready[0]);
    close(go[1]);
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        fail("wait");
    }
    match st {
        0 => {}
        2 => fail("the child did not read the parent's zeros and byte"),
        3 => fail("the child saw the parent's store"),
        4 => fail("the child's stores did not stick"),
        _ => fail(format_args!("the child died (status {})", st)),
    }
    if peek(page(PARENT)) != b'P' || peek(page(PARENT) + 1) != 0 || peek(page(CHILD)) != 0 {
        fail("the parent saw the child's stores");
    }
}

/// write() from a page that is the zero page, read() into two of them.
fn copy_case(free: &dyn Fn() -> i32, p: usize) {
    let page = |i: usize| p + i * PGSIZE;
    let fd = open(TMP, O_CREATE | O_TRUNC | O_WRONLY);
    if fd < 0 {
        fail("create zfod.tmp");
    }
    // SAFETY: page FROM is heap of ours, only read so far.
    let src = unsafe { core::slice::from_raw_parts(page(FROM) as *const u8, PGSIZE) };
    let free0 = free();
    let n = write(fd, src);
    let free1 = free();
    println!(
        "test copyin: {} free pages before write() from the zero page, {} after: cost {}",
        free0,
        free1,
        free0 - free1
    );
    if n != PGSIZE as i32 {
        fail(format_args!("write() from the zero page returned {}", n));
    }
    if free0 != free1 {
        fail(format_args!(
            "write() from the zero page cost {} pages",
            free0 - free1
        ));
    }
    // Then the bytes read() is to put into heap, from a small buffer.
    let mut chunk = [0u8; 200];
    for at in (0..LEN).step_by(chunk.len()) {
        for (k, c) in chunk.iter_mut().enumerate() {
            *c = pattern(at + k);
        }
        if write(fd, &chunk) != chunk.len() as i32 {
            fail("write zfod.tmp");
        }
    }
    close(fd);

    let fd = open(TMP, O_RDONLY);
    if fd < 0 {
        fail("open zfod.tmp");
    }
    let mut left = PGSIZE;
    while left > 0 {
        let n = read(fd, &mut chunk[..left.min(200)]);
        if n <= 0 || chunk[..n as usize].iter().any(|&c| c != 0) {
            fail("the file did not get the zero page's zeros");
        }
        left -= n as usize;
    }
    let dst = page(INTO) + OFF;
    // SAFETY: pages INTO and INTO + 1 are heap of ours, only read so far.
    let buf = unsafe { core::slice::from_raw_parts_mut(dst as *mut u8, LEN) };
    let free2 = free();
    let n = read(fd, buf);
    let free3 = free();
    close(fd);
    unlink(TMP);
    println!(
        "test copyout: {} free pages before read() into two zero pages, {} after: cost {}",
        free2,
        free3,
        free2 - free3
    );
    if n != LEN as i32 {
        fail(format_args!("read() into the zero page returned {}", n));
    }
    if free2 - free3 != 2 {
        fail(format_args!(
            "read() into two zero pages cost {} pages",
            free2 - free3
        ));
    }
    if (0..LEN).any(|i| peek(dst + i) != pattern(i)) {
        fail("read() did not put the file's bytes into the heap");
    }
    if !zero(page(INTO), 2 * PGSIZE, dst..dst + LEN) || !zero(page(INTO + 2), PGSIZE, 0..0) {
        fail("read() changed bytes around its buffer");
    }
    // Had the kernel written the zero page itself, every page only read
    // would show the bytes now.
    if !zero(page(FROM), PGSIZE, 0..0) || !zero(page(0), PGSIZE, 0..0) {
        fail("read() wrote into the shared zero page");
    }
}
