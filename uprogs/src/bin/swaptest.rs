//! swaptest: the checks for paging to a swap disk (kernel feature `swap`)
//! on the 128 MiB machine. Each case prints one `test NAME: ...` line with
//! the kernel's swap figures (swapstat); the last line is `swaptest: OK`,
//! or `swaptest: FAILED WHY` (exit status 1) at the first failure.
//!
//! - big: 200 MiB of heap, every word written with a pattern of its own
//!   address and the round, then read back and checked, twice. More than
//!   the machine holds, so pages must have gone out and come back.
//! - two: two processes at once, 90 MiB each: both fill theirs before
//!   either checks (pipes hold them), so 180 MiB are in use together.
//! - fork: a process fills 160 MiB and gives back the last 60, leaving
//!   100 MiB of which the oldest part is out on the swap disk; it forks;
//!   the child checks every page, then overwrites 40 MiB; the parent then
//!   checks that every page of its own is unchanged.
//! - full: a child grows until memory and swap are both used up: its sbrk
//!   fails (exit 2) or, where sbrk is lazy, the kernel kills it (-1). The
//!   kernel goes on.
//! - attack: after 160 MiB, which pushes this process's first heap pages
//!   and its own program pages out too, system calls meet pages on the
//!   swap disk: read() into text fails and leaves it unchanged; swapstat
//!   into text or the kernel fails; a pipe carries bytes from a heap page
//!   out on disk into another one; wait's status lands in one. Pages must
//!   have come back from the disk on the way.
//! - idle: a process fills 150 MiB once and then sleeps; beside it, a
//!   newcomer touches a working set of 16 MiB four times. With global
//!   replacement the idle process's cold pages make the room, so after
//!   the newcomer's first pass its own pages stay in: its passes 2 to 4
//!   must read back fewer than an eighth of its pages (with local
//!   replacement it paged against itself, every page every pass). Then
//!   the same newcomer alone, for comparison; both print their ticks.
//! - program: demandbig reads all 47 pages of its data (from its file),
//!   then waits while a process fills memory twice over; then it reads
//!   them again and checks them. Where programs are paged in on demand,
//!   at least those 47 pages must have been dropped (a file holds them)
//!   rather than written to the swap disk.
//! - mapped: a file of 64 pages mapped four times (one MAP_SHARED and
//!   writable, three MAP_PRIVATE and read-only), every page read, one
//!   page of the shared mapping stored to; then a child fills memory
//!   twice over while this process waits. Where the kernel has `mmap`,
//!   every unchanged mapped page (255 of 256) must have been dropped, not
//!   written, and read back from the file with its bytes; the stored-to
//!   page keeps its store and munmap writes it to the file. Skipped on a
//!   kernel without `mmap`.
//! - after each case (each runs in a child of its own): nothing leaked.
//!   Pages of other processes (the shell, this one) may have gone out to
//!   make room, so the check is that free pages minus slots in use (which
//!   do not count the copies of pages in memory) is what it was before
//!   the first case: each page that goes out frees a page and takes a
//!   slot, each that comes back does the opposite.
//!
//! `swaptest NAME...` runs only the cases named.

#![no_std]
#![no_main]

use abi::fcntl::{MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE};
use core::fmt::Display;
use core::ptr::{read_volatile, write_volatile};
use ulib::{
    close, exec, exit, fork, open, pipe, println, read, sbrk, swapstat, unlink, uptime, wait,
    write, CStr, SwapStat, O_CREATE, O_RDONLY, O_RDWR, O_TRUNC,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const MIB: usize = 1 << 20;

fn fail(why: impl Display) -> ! {
    println!("swaptest: FAILED {}", why);
    exit(1)
}

fn stat() -> SwapStat {
    swapstat().unwrap_or_else(|| fail("no swapstat: a kernel without `swap`"))
}

/// The word at `a` in round `round`: its address, mixed, so a page read
/// back into the wrong place (or another round's page) shows.
fn pattern(a: usize, round: u64) -> u64 {
    let x = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ round;
    x ^ (x >> 29)
}

/// Grows the heap by `len` bytes; its start.
fn grow(len: usize) -> usize {
    let mut got = 0;
    let start = sbrk(0) as usize;
    // sbrk takes an int: in steps of 64 MiB.
    while got < len {
        let n = (len - got).min(64 * MIB);
        if sbrk(n as i32) as usize == usize::MAX {
            fail(format_args!("sbrk of {} MiB at {} MiB", n / MIB, got / MIB));
        }
        got += n;
    }
    start
}

fn shrink(len: usize) {
    let mut left = len;
    while left > 0 {
        let n = left.min(64 * MIB);
        if sbrk(-(n as i32)) as usize == usize::MAX {
            fail("sbrk shrink");
        }
        left -= n;
    }
}

fn fill(start: usize, len: usize, round: u64) {
    for a in (start..start + len).step_by(8) {
        // SAFETY: [start, start+len) is heap this process grew.
        unsafe { write_volatile(a as *mut u64, pattern(a, round)) };
    }
}

/// The first word in [start, start+len) that does not hold its pattern.
fn check(start: usize, len: usize, round: u64) -> Result<(), usize> {
    for a in (start..start + len).step_by(8) {
        // SAFETY: as in fill.
        if unsafe { read_volatile(a as *const u64) } != pattern(a, round) {
            return Err(a);
        }
    }
    Ok(())
}

fn report(name: &str, before: &SwapStat) {
    let now = stat();
    println!(
        "test {}: ok ({} pages out, {} written, {} read back; {} slots in use; {} ticks)",
        name,
        now.outs - before.outs,
        now.writes - before.writes,
        now.ins - before.ins,
        now.used,
        uptime()
    );
}

/// Nothing leaked since `start`: free pages minus slots in use (see the
/// top of the file).
fn leaks(name: &str, start: &SwapStat) {
    let now = stat();
    if now.free as i64 - now.used as i64 != start.free as i64 - start.used as i64 {
        fail(format_args!(
            "{}: {} free pages and {} slots in use, against {} and {} before",
            name, now.free, now.used, start.free, start.used
        ));
    }
}

fn big() {
    let len = 200 * MIB;
    let before = stat();
    let start = grow(len);
    fill(start, len, 1);
    for pass in 1..=2 {
        if let Err(a) = check(start, len, 1) {
            fail(format_args!("big: pass {} found {:#x} wrong", pass, a));
        }
    }
    let now = stat();
    if now.ins - before.ins < ((len - 128 * MIB) / PGSIZE) as u64 {
        fail(format_args!(
            "big: only {} pages read back for 200 MiB on a 128 MiB machine",
            now.ins - before.ins
        ));
    }
    shrink(len);
    report("big", &before);
}

/// In a child: `len` bytes of heap filled and checked; exit 0 if right.
/// Between the two it says so on `filled` and waits for a byte on `go`.
fn worker(len: usize, round: u64, filled: i32, go: i32) -> ! {
    let start = grow(len);
    fill(start, len, round);
    let mut b = [0u8; 1];
    if write(filled, b"f") != 1 || read(go, &mut b) != 1 {
        println!("swaptest: worker {}: pipe", round);
        exit(1);
    }
    for pass in 1..=2 {
        if let Err(a) = check(start, len, round) {
            println!(
                "swaptest: worker {}: pass {} found {:#x} wrong",
                round, pass, a
            );
            exit(1);
        }
    }
    exit(0)
}

fn reap(name: &str, want: &[i32]) {
    let mut status = 0;
    if wait(Some(&mut status)) < 0 {
        fail(format_args!("{}: wait", name));
    }
    if !want.contains(&status) {
        fail(format_args!("{}: a child exited with {}", name, status));
    }
}

fn two() {
    let before = stat();
    let (mut filled, mut go) = ([0i32; 2], [0i32; 2]);
    if pipe(&mut filled) < 0 || pipe(&mut go) < 0 {
        fail("two: pipe");
    }
    for round in [2, 3] {
        let pid = fork();
        if pid < 0 {
            fail("two: fork");
        }
        if pid == 0 {
            worker(90 * MIB, round, filled[1], go[0]);
        }
    }
    let mut b = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = read(filled[0], &mut b[got..]);
        if n <= 0 {
            fail("two: a worker died before filling its memory");
        }
        got += n as usize;
    }
    let both = stat();
    if both.outs == before.outs {
        fail("two: 180 MiB in use and nothing went to the swap disk");
    }
    if write(go[1], b"gg") != 2 {
        fail("two: pipe write");
    }
    reap("two", &[0]);
    reap("two", &[0]);
    report("two", &before);
}

fn forked() {
    let len = 100 * MIB;
    let part = 40 * MIB;
    let before = stat();
    let start = grow(len + 60 * MIB);
    fill(start, len + 60 * MIB, 4);
    shrink(60 * MIB);
    if stat().used == before.used {
        fail("fork: nothing of 160 MiB went to the swap disk");
    }
    let pid = fork();
    if pid < 0 {
        fail("fork: fork");
    }
    if pid == 0 {
        if let Err(a) = check(start, len, 4) {
            println!("swaptest: fork: the child found {:#x} wrong", a);
            exit(1);
        }
        fill(start, part, 5);
        if check(start, part, 5).is_err() || check(start + part, len - part, 4).is_err() {
            println!("swaptest: fork: the child's own stores did not stick");
            exit(1);
        }
        exit(0);
    }
    reap("fork", &[0]);
    if let Err(a) = check(start, len, 4) {
        fail(format_args!(
            "fork: the parent found {:#x} wrong after the child",
            a
        ));
    }
    shrink(len);
    report("fork", &before);
}

fn full() {
    let before = stat();
    let pid = fork();
    if pid < 0 {
        fail("full: fork");
    }
    if pid == 0 {
        loop {
            let a = sbrk(MIB as i32);
            if a as usize == usize::MAX {
                exit(2);
            }
            for p in (a as usize..a as usize + MIB).step_by(PGSIZE) {
                // SAFETY: the megabyte sbrk just gave us.
                unsafe { write_volatile(p as *mut u8, 1) };
            }
        }
    }
    reap("full", &[2, -1]);
    let now = stat();
    if now.outs == before.outs {
        fail("full: the child used all memory without evicting a page");
    }
    report("full", &before);
}

/// Touches `len` bytes from `start` (a store into each page) `passes`
/// times; for each pass, the pages read back and the ticks it took.
fn passes(start: usize, len: usize, passes: usize) -> [(u64, i32); 4] {
    let mut r = [(0, 0); 4];
    for (pass, out) in r.iter_mut().enumerate().take(passes) {
        let (s, t) = (stat(), uptime());
        for a in (start..start + len).step_by(PGSIZE) {
            // SAFETY: heap this process grew.
            unsafe { write_volatile(a as *mut u64, pattern(a, pass as u64)) };
        }
        *out = (stat().ins - s.ins, uptime() - t);
    }
    r
}

fn idle() {
    let before = stat();
    let mut ready = [0i32; 2];
    if pipe(&mut ready) < 0 {
        fail("idle: pipe");
    }
    let hog = fork();
    if hog < 0 {
        fail("idle: fork");
    }
    if hog == 0 {
        let len = 150 * MIB;
        let start = grow(len);
        fill(start, len, 8);
        if write(ready[1], b"r") != 1 {
            exit(1);
        }
        loop {
            ulib::sleep(1000);
        }
    }
    let mut b = [0u8; 1];
    if read(ready[0], &mut b) != 1 {
        fail("idle: the idle process died before filling its memory");
    }
    let ws = 16 * MIB;
    let start = grow(ws);
    let beside = passes(start, ws, 4);
    ulib::kill(hog);
    reap("idle", &[-1]);
    let alone = passes(start, ws, 4);
    shrink(ws);
    println!(
        "idle: newcomer's 4 passes over 16 MiB beside a sleeping 150 MiB process: \
         {:?} (pages read back, ticks); alone: {:?}",
        beside, alone
    );
    let later: u64 = beside[1..].iter().map(|p| p.0).sum();
    if later > (ws / PGSIZE / 8) as u64 {
        fail(format_args!(
            "idle: the newcomer read back {} pages in its passes 2 to 4 beside an idle process",
            later
        ));
    }
    report("idle", &before);
}

/// The data pages of demandbig (see its doc): all of them, read.
const PROG_PAGES: u64 = 47;

fn program() {
    let before = stat();
    let (mut up, mut down) = ([0i32; 2], [0i32; 2]);
    if pipe(&mut up) < 0 || pipe(&mut down) < 0 {
        fail("program: pipe");
    }
    let free0 = stat().free;
    let pid = fork();
    if pid < 0 {
        fail("program: fork");
    }
    if pid == 0 {
        // Read every data page, stop, and when let go read them again:
        // each must still hold the file's pattern.
        // The step `sync:W:R` (the descriptors are single digits here).
        let mut sync = *b"sync:W:R\0";
        if up[1] > 9 || down[0] > 9 {
            fail("program: pipe descriptors past 9");
        }
        sync[5] = b'0' + up[1] as u8;
        sync[7] = b'0' + down[0] as u8;
        let argv: [&CStr; 5] = [
            c"demandbig",
            c"d:0:47",
            CStr::from_bytes_with_nul(&sync).unwrap_or(c"sync:bad"),
            c"d:0:47",
            c"edges",
        ];
        exec(c"demandbig", &argv);
        fail("program: exec demandbig");
    }
    let mut layout = [0u8; 64];
    if read(up[0], &mut layout) != 64 {
        fail("program: demandbig died before it had read its pages");
    }
    // What it costs says whether the kernel pages programs in on demand:
    // about 60 pages then, against its whole image of about 250.
    let cost = free0 - stat().free;
    let demand = cost < 150;
    // Memory full again and again while it waits: its pages go too.
    let mid = stat();
    let len = (mid.free as usize + 4096) * PGSIZE;
    let start = grow(len);
    fill(start, len, 11);
    fill(start, len, 12);
    shrink(len);
    let after = stat();
    if write(down[1], b"g") != 1 {
        fail("program: write");
    }
    reap("program", &[0]);
    let drops = after.drops - mid.drops;
    println!(
        "program: demandbig cost {} pages ({}); beside a grower, {} of the pages that went out were dropped, not written",
        cost,
        if demand { "demand paging" } else { "loaded at exec" },
        drops
    );
    // Its data pages are clean program pages: they go without a write
    // (its stack and the like are written).
    if demand && drops < PROG_PAGES {
        fail(format_args!(
            "program: only {} clean program pages dropped, expected at least {}",
            drops, PROG_PAGES
        ));
    }
    report("program", &before);
}

/// Pages of the file `mapped` maps: about what a file on fs.img may hold.
const MAP_PAGES: usize = 64;
/// Times it is mapped, to outnumber the program pages that may be dropped
/// meanwhile (the shell's, init's).
const MAPS: usize = 4;
/// The page of the shared mapping that `mapped` stores to.
const STORED: usize = 5;

/// Bytes of the mapped file handled at a time (the user stack is one page).
const CHUNK: usize = 512;

/// The bytes at `off` of the mapped file as written (`round` 20), or of
/// the page stored to (21): each word the pattern of its offset.
fn filechunk(buf: &mut [u8; CHUNK], off: usize, round: u64) {
    for (w, word) in buf.chunks_exact_mut(8).enumerate() {
        word.copy_from_slice(&pattern(off + w * 8, round).to_le_bytes());
    }
}

/// What `mapped` expects at file offset `off`.
fn mapround(off: usize) -> u64 {
    if off / PGSIZE == STORED {
        21
    } else {
        20
    }
}

/// The first word of page `page` of the mapping at `base` not holding its pattern.
fn checkpage(base: usize, page: usize, round: u64) -> Result<(), usize> {
    for off in (page * PGSIZE..(page + 1) * PGSIZE).step_by(8) {
        // SAFETY: base is an area of MAP_PAGES pages that we mapped.
        if unsafe { read_volatile((base + off) as *const u64) } != pattern(off, round) {
            return Err(base + off);
        }
    }
    Ok(())
}

fn mapped() {
    let name = c"swapmap";
    let fd = open(name, O_CREATE | O_RDWR | O_TRUNC);
    if fd < 0 {
        fail("mapped: create swapmap");
    }
    let mut buf = [0u8; CHUNK];
    for off in (0..MAP_PAGES * PGSIZE).step_by(CHUNK) {
        filechunk(&mut buf, off, 20);
        if write(fd, &buf) != CHUNK as i32 {
            fail("mapped: write swapmap (is fs.img full?)");
        }
    }
    let len = MAP_PAGES * PGSIZE;
    let mut base = [0usize; MAPS];
    for (i, b) in base.iter_mut().enumerate() {
        let (prot, flags) = if i == 0 {
            (PROT_READ | PROT_WRITE, MAP_SHARED)
        } else {
            (PROT_READ, MAP_PRIVATE)
        };
        // SAFETY: the kernel picks the address, clear of our memory.
        *b = unsafe { ulib::sys::mmap(0, len, prot, flags, fd, 0) };
        if *b == usize::MAX {
            if i > 0 {
                fail("mapped: the second mmap failed");
            }
            close(fd);
            unlink(name);
            println!("test mapped: skipped (no mmap in this kernel)");
            return;
        }
    }
    close(fd);
    for (i, &b) in base.iter().enumerate() {
        for page in 0..MAP_PAGES {
            if let Err(a) = checkpage(b, page, 20) {
                fail(format_args!("mapped: mapping {} reads {:#x} wrong", i, a));
            }
        }
    }
    for off in (STORED * PGSIZE..(STORED + 1) * PGSIZE).step_by(8) {
        // SAFETY: a word of the shared, writable mapping.
        unsafe { write_volatile((base[0] + off) as *mut u64, pattern(off, 21)) };
    }
    // A child fills memory twice over while this process waits: the
    // mapped pages, unused since, must make room too.
    let mid = stat();
    let pid = fork();
    if pid < 0 {
        fail("mapped: fork");
    }
    if pid == 0 {
        // Its copies of the areas would keep the pages shared (so not
        // evictable) under cow.
        for &b in base.iter() {
            // SAFETY: our mappings; nothing of Rust's lives there.
            if unsafe { ulib::sys::munmap(b, len) } != 0 {
                exit(1);
            }
        }
        let n = (stat().free as usize + 4096) * PGSIZE;
        let start = grow(n);
        fill(start, n, 22);
        fill(start, n, 23);
        exit(0);
    }
    reap("mapped", &[0]);
    let drops = stat().drops - mid.drops;
    for (i, &b) in base.iter().enumerate() {
        for page in 0..MAP_PAGES {
            let round = if i == 0 { mapround(page * PGSIZE) } else { 20 };
            if let Err(a) = checkpage(b, page, round) {
                fail(format_args!(
                    "mapped: after the pressure, mapping {} reads {:#x} wrong",
                    i, a
                ));
            }
        }
    }
    println!(
        "mapped: {} pages dropped beside a grower, of {} unchanged mapped pages",
        drops,
        MAPS * MAP_PAGES - 1
    );
    if drops < (MAPS * MAP_PAGES - 1) as u64 {
        fail(format_args!(
            "mapped: only {} pages dropped, expected the {} unchanged mapped pages at least",
            drops,
            MAPS * MAP_PAGES - 1
        ));
    }
    for &b in base.iter() {
        // SAFETY: our mappings, no longer used.
        if unsafe { ulib::sys::munmap(b, len) } != 0 {
            fail("mapped: munmap");
        }
    }
    // The store went back to the file at munmap, and nothing else changed.
    let fd = open(name, O_RDONLY);
    if fd < 0 {
        fail("mapped: open swapmap");
    }
    for off in (0..MAP_PAGES * PGSIZE).step_by(CHUNK) {
        let mut want = [0u8; CHUNK];
        filechunk(&mut want, off, mapround(off));
        if read(fd, &mut buf) != CHUNK as i32 || buf != want {
            fail(format_args!("mapped: file offset {:#x} after munmap", off));
        }
    }
    close(fd);
    unlink(name);
    report("mapped", &mid);
}

/// A checksum of the page of text that holds this function.
fn text_sum() -> u64 {
    let page = (attack as *const () as usize) & !(PGSIZE - 1);
    (page..page + PGSIZE)
        .step_by(8)
        // SAFETY: text is readable.
        .map(|a| unsafe { read_volatile(a as *const u64) })
        .fold(0u64, |h, w| h.rotate_left(7) ^ w)
}

fn attack() {
    let len = 160 * MIB;
    let text = (attack as *const () as usize) & !(PGSIZE - 1);
    let sum = text_sum();
    let start = grow(len);
    fill(start, len, 6);
    let before = stat();
    let fd = open(c"README", O_RDONLY);
    if fd < 0 {
        fail("attack: open README");
    }
    // SAFETY: the kernel must refuse to store into our text.
    if unsafe { ulib::sys::read(fd, text as *mut u8, 100) } != -1 {
        fail("attack: read() into text out on the swap disk did not fail");
    }
    close(fd);
    if text_sum() != sum {
        fail("attack: text changed");
    }
    let sys = |addr: usize| {
        // SAFETY: the kernel must refuse both addresses.
        unsafe { ulib::sys::raw(abi::syscall::SYS_SWAPSTAT, addr, 0, 0) as isize }
    };
    if sys(text) != -1 || sys(0x8000_0000) != -1 {
        fail("attack: swapstat into text or the kernel did not fail");
    }
    // A pipe from the first heap page into one 20 MiB on, both long out.
    let mut p = [0i32; 2];
    if pipe(&mut p) < 0 {
        fail("attack: pipe");
    }
    let to = start + 20 * MIB;
    // SAFETY: both are pages of our heap.
    let moved = unsafe {
        ulib::sys::write(p[1], start as *const u8, 512) == 512
            && ulib::sys::read(p[0], to as *mut u8, 512) == 512
    };
    close(p[0]);
    close(p[1]);
    let same = (0..512).step_by(8).all(|i| {
        // SAFETY: heap bytes we just moved.
        unsafe { read_volatile((to + i) as *const u64) == pattern(start + i, 6) }
    });
    if !moved || !same {
        fail("attack: a pipe between pages on the swap disk lost bytes");
    }
    let pid = fork();
    if pid == 0 {
        exit(7);
    }
    let status = start + 40 * MIB;
    // SAFETY: a word of our heap.
    if unsafe { ulib::sys::wait(status as *mut i32) } != pid
        || unsafe { read_volatile(status as *const i32) } != 7
    {
        fail("attack: wait's status into a page on the swap disk");
    }
    if stat().ins == before.ins {
        fail("attack: no page came back from the swap disk");
    }
    report("attack", &before);
}

fn main(args: ulib::Args) -> i32 {
    // Under `demand` a page of this program costs memory from its first
    // touch: touch them all before the first count.
    ulib::meter::resident();
    let start = stat();
    if start.slots == 0 {
        fail("the kernel has no swap disk (QEMU without swap.img?)");
    }
    println!(
        "swaptest: {} MiB of swap, {} free pages",
        start.slots * PGSIZE as u64 / MIB as u64,
        start.free
    );
    for (name, case) in [
        ("big", big as fn()),
        ("two", two),
        ("fork", forked),
        ("full", full),
        ("attack", attack),
        ("idle", idle),
        ("program", program),
        ("mapped", mapped),
    ] {
        if args.len() > 1 && !args.iter().skip(1).any(|a| a.to_bytes() == name.as_bytes()) {
            continue;
        }
        // In a child, so its page tables and stack go when it exits; this
        // process allocates nothing meanwhile, so none of its pages go out.
        let pid = fork();
        if pid < 0 {
            fail("fork");
        }
        if pid == 0 {
            case();
            exit(0);
        }
        let mut status = 0;
        if wait(Some(&mut status)) != pid || status != 0 {
            fail(format_args!(
                "{} (its process exited with {})",
                name, status
            ));
        }
        leaks(name, &start);
    }
    println!("swaptest: OK");
    0
}
