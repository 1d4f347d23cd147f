//! demandbig: a program with a memory image of about 1 MiB that touches
//! only the pages it is told to, for the demand-paged exec lab (kernel
//! feature `demand`), its test demandtest and the bench.
//!
//! The image: DATA, 46.5 pages of initialized words (word i holds
//! `pattern(i)`, never 0), so it is in the file; BSS, 800 KiB of zeros
//! right after it (not in the file; its first page is DATA's last one);
//! PAD, one whole page of text that never runs. A base kernel loads all
//! of it at exec; a demand-paging one only what is touched.
//!
//! Usage (exit status 0 when every check passes; otherwise the line
//! `demandbig: FAILED WHY` and status 1):
//!
//! - `demandbig`: the same as `demandbig 3`.
//! - `demandbig N`: checks two words of each of the first N data pages
//!   (N at most 47, the data pages; more fails).
//! - `demandbig STEP...`: runs the steps in order. Page P of DATA or BSS
//!   is the P-th page of addresses the array overlaps, from 0; a page may
//!   be given as a number, `mid` or `last`, a range end also as `end`.
//!   - `d:A:B`: data pages A..B (B excluded): a word that depends on the
//!     page and the page's mark word (its last word in DATA) hold the
//!     pattern.
//!   - `b:A:B`: the same two words of bss pages A..B read zero.
//!   - `edges`: every word of the first, middle and last pages of DATA
//!     and of BSS (so both parts of the page they share).
//!   - `wd:P`: stores a mark (the pattern inverted) into data page P's
//!     mark word, reads it back and checks the page's other words; the
//!     mark stays.
//!   - `md:P`: data page P's mark word holds the mark.
//!   - `wb:P`, `mb:P`: the same for bss page P (mark `0x5eed0000 | P`).
//!   - `sync:W:R`: writes the layout (eight little-endian u64: break,
//!     the text address `text:run` stores to, PAD, DATA, its bytes, BSS,
//!     its bytes, 1 if DATA and BSS share a page) to fd W, then waits for
//!     a byte on fd R.
//!   - `fork`: forks. The child runs the steps up to `parent`, then exits
//!     0; the parent waits for it (status 0 or it fails) and goes on after
//!     `parent`.
//!   - `text:run`: stores into the text page of the code doing the store
//!     (the value already there). The kernel must kill the process.
//!   - `text:pad`: stores into PAD (its first word), a text page not
//!     touched before. The kernel must kill the process.

#![no_std]
#![no_main]

use core::cell::UnsafeCell;
use core::fmt::Display;
use core::hint::black_box;
use core::ops::Range;
use core::ptr::{read_volatile, write_volatile};
use ulib::{exit, fork, println, read, sbrk, wait, write, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const PAGE_WORDS: usize = PGSIZE / 4;
/// 46.5 pages: DATA's last page is half free, and BSS starts there.
const DATA_WORDS: usize = 46 * PAGE_WORDS + PAGE_WORDS / 2;
/// 800 KiB.
const BSS_WORDS: usize = 200 * PAGE_WORDS;
/// What PAD holds: the 32-bit `unimp` instruction, should it ever run.
const PAD_WORD: u32 = 0xc000_1073;

/// Word i of DATA. The multiplier is odd, so no two words in DATA are
/// equal; a page read from the wrong place in the file shows.
const fn pattern(i: usize) -> u32 {
    (i as u32).wrapping_mul(2_654_435_761) ^ 0x5bd1_e995
}

const fn data_words() -> [u32; DATA_WORDS] {
    let mut a = [0; DATA_WORDS];
    let mut i = 0;
    while i < DATA_WORDS {
        a[i] = pattern(i);
        i += 1;
    }
    a
}

// No data word is 0, so none could pass for bss.
const _: () = {
    let mut i = 0;
    while i < DATA_WORDS {
        assert!(pattern(i) != 0);
        i += 1;
    }
};

/// Writable (UnsafeCell), so it lands in .data: at its start, which is
/// page-aligned, as nothing else of ours is there. Not aligned itself,
/// as that would pad it to whole pages.
#[repr(C)]
struct Data(UnsafeCell<[u32; DATA_WORDS]>);
// SAFETY: one thread per process; every access is a volatile load or
// store through a raw pointer, never a reference.
unsafe impl Sync for Data {}
static DATA: Data = Data(UnsafeCell::new(data_words()));

/// Zero, so it lands in .bss, right after DATA.
#[repr(C)]
struct Bss(UnsafeCell<[u32; BSS_WORDS]>);
// SAFETY: as for Data.
unsafe impl Sync for Bss {}
static BSS: Bss = Bss(UnsafeCell::new([0; BSS_WORDS]));

/// A whole page in the text segment that no code shares.
#[repr(C, align(4096))]
struct Pad([u32; PAGE_WORDS]);
#[link_section = ".text.demandbig_pad"]
static PAD: Pad = Pad([PAD_WORD; PAGE_WORDS]);

fn fail(why: impl Display) -> ! {
    println!("demandbig: FAILED {}", why);
    exit(1)
}

/// One of the two arrays, as words at an address.
#[derive(Clone, Copy)]
struct Region {
    name: &'static str,
    base: *mut u32,
    words: usize,
}

impl Region {
    fn data() -> Region {
        Region {
            name: "data",
            base: DATA.0.get().cast(),
            words: DATA_WORDS,
        }
    }

    fn bss() -> Region {
        Region {
            name: "bss",
            base: BSS.0.get().cast(),
            words: BSS_WORDS,
        }
    }

    fn addr(&self) -> usize {
        self.base as usize
    }

    fn end(&self) -> usize {
        self.addr() + self.words * 4
    }

    fn pages(&self) -> usize {
        (self.end() - 1) / PGSIZE - self.addr() / PGSIZE + 1
    }

    /// What word i holds before any store.
    fn expect(&self, i: usize) -> u32 {
        if self.is_data() {
            pattern(i)
        } else {
            0
        }
    }

    fn is_data(&self) -> bool {
        self.base == Region::data().base
    }

    /// The indices of the words on page p.
    fn page(&self, p: usize) -> Range<usize> {
        if p >= self.pages() {
            fail(format_args!(
                "{} has {} pages, no page {}",
                self.name,
                self.pages(),
                p
            ));
        }
        let lo = (self.addr() / PGSIZE + p) * PGSIZE;
        let from = lo.max(self.addr());
        let to = (lo + PGSIZE).min(self.end());
        (from - self.addr()) / 4..(to - self.addr()) / 4
    }

    /// The last word of page p: the one the mark goes into.
    fn mark_word(&self, p: usize) -> usize {
        self.page(p).end - 1
    }

    fn mark(&self, p: usize) -> u32 {
        if self.is_data() {
            !pattern(self.mark_word(p))
        } else {
            0x5eed_0000 | p as u32
        }
    }

    fn load(&self, i: usize) -> u32 {
        // SAFETY: i < words, so the word is inside the static array; the
        // access is volatile so each one really happens, in order.
        unsafe { read_volatile(self.base.add(i)) }
    }

    fn store(&self, i: usize, v: u32) {
        // SAFETY: as in load.
        unsafe { write_volatile(self.base.add(i), v) }
    }

    fn check(&self, i: usize, want: u32) {
        let got = self.load(i);
        if got != want {
            fail(format_args!(
                "{} word {} at {:#x}: {:#x}, not {:#x}",
                self.name,
                i,
                self.addr() + 4 * i,
                got,
                want
            ));
        }
    }

    /// Page p's mark word and one more that depends on p.
    fn check_page(&self, p: usize) {
        let r = self.page(p);
        let n = r.len();
        let other = if n > 1 {
            r.start + p * 97 % (n - 1)
        } else {
            r.start
        };
        self.check(other, self.expect(other));
        let m = self.mark_word(p);
        self.check(m, self.expect(m));
    }

    fn check_whole(&self, p: usize) {
        for i in self.page(p) {
            self.check(i, self.expect(i));
        }
    }

    /// Stores page p's mark, reads it back, and checks the rest of the
    /// page (which a first store into it must have brought in as well).
    fn write_mark(&self, p: usize) {
        let m = self.mark_word(p);
        self.store(m, self.mark(p));
        self.check(m, self.mark(p));
        for i in self.page(p).filter(|&i| i != m) {
            self.check(i, self.expect(i));
        }
    }
}

/// A number, or the page count for `mid`, `last` and `end`.
fn number(s: &str, r: &Region) -> usize {
    match s {
        "mid" => r.pages() / 2,
        "last" => r.pages() - 1,
        "end" => r.pages(),
        _ => {
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                fail(format_args!("bad number `{}`", s));
            }
            s.bytes()
                .fold(0usize, |n, c| n.saturating_mul(10) + (c - b'0') as usize)
        }
    }
}

fn main(args: Args) {
    // Some steps read string constants and tables in rodata (one page) and
    // others do not (`d:0:40` did, `d:0:3` not): read it first, so what a
    // step costs under demand paging is the pages it names, whatever they are.
    let ro = core::hint::black_box("demandbig");
    // SAFETY: the first byte of a string constant, read.
    unsafe { core::ptr::read_volatile(ro.as_ptr()) };
    if args.len() == 1 {
        check_pages(&Region::data(), 0, 3);
        return;
    }
    let first = args.str(1);
    if args.len() == 2 && first.bytes().all(|c| c.is_ascii_digit()) {
        let data = Region::data();
        check_pages(&data, 0, number(first, &data));
        return;
    }
    let mut i = 1;
    let mut child = false;
    while i < args.len() {
        match args.str(i) {
            "fork" => {
                let pid = fork();
                if pid < 0 {
                    fail("fork");
                }
                if pid == 0 {
                    child = true;
                } else {
                    let mut st = 0;
                    if wait(Some(&mut st)) != pid {
                        fail("wait");
                    }
                    if st != 0 {
                        fail(format_args!("the child exited with status {}", st));
                    }
                    while i < args.len() && args.str(i) != "parent" {
                        i += 1;
                    }
                }
            }
            "parent" => {
                if !child {
                    fail("`parent` without `fork`");
                }
                exit(0);
            }
            s => step(s),
        }
        i += 1;
    }
}

fn check_pages(r: &Region, from: usize, to: usize) {
    for p in from..to {
        r.check_page(p);
    }
}

/// Runs one step other than fork and parent.
fn step(s: &str) {
    let mut f = s.split(':');
    let (op, a, b) = (f.next().unwrap_or(""), f.next(), f.next());
    let (data, bss) = (Region::data(), Region::bss());
    let one = |r: &Region| match (a, b) {
        (Some(a), None) => number(a, r),
        _ => fail(format_args!("bad step `{}`", s)),
    };
    let range = |r: &Region| match (a, b, f.clone().next()) {
        (Some(a), Some(b), None) => (number(a, r), number(b, r)),
        _ => fail(format_args!("bad step `{}`", s)),
    };
    match op {
        "d" => {
            let (x, y) = range(&data);
            check_pages(&data, x, y);
        }
        "b" => {
            let (x, y) = range(&bss);
            check_pages(&bss, x, y);
        }
        "edges" => {
            for r in [data, bss] {
                for p in [0, r.pages() / 2, r.pages() - 1] {
                    r.check_whole(p);
                }
            }
        }
        "wd" => data.write_mark(one(&data)),
        "wb" => bss.write_mark(one(&bss)),
        "md" | "mb" => {
            let r = if op == "md" { data } else { bss };
            let p = one(&r);
            r.check(r.mark_word(p), r.mark(p));
        }
        "sync" => {
            let (w, rd) = match (a, b, f.clone().next()) {
                (Some(w), Some(r), None) => (number(w, &data), number(r, &data)),
                _ => fail(format_args!("bad step `{}`", s)),
            };
            sync(w as i32, rd as i32);
        }
        "text" => match a {
            Some("run") if b.is_none() => text_run(),
            Some("pad") if b.is_none() => text_pad(),
            _ => fail(format_args!("bad step `{}`", s)),
        },
        _ => fail(format_args!("bad step `{}`", s)),
    }
}

/// Sends the layout to fd w, then waits for the go on fd r.
fn sync(w: i32, r: i32) {
    let (data, bss) = (Region::data(), Region::bss());
    let shared = (data.end() - 1) / PGSIZE == bss.addr() / PGSIZE;
    let layout = [
        sbrk(0) as usize,
        run_at(),
        PAD.0.as_ptr() as usize,
        data.addr(),
        data.words * 4,
        bss.addr(),
        bss.words * 4,
        shared as usize,
    ];
    let mut buf = [0u8; 64];
    for (b, v) in buf.chunks_exact_mut(8).zip(layout) {
        b.copy_from_slice(&(v as u64).to_le_bytes());
    }
    if write(w, &buf) != buf.len() as i32 {
        fail("could not send the layout");
    }
    let mut c = [0u8; 1];
    if read(r, &mut c) != 1 {
        fail("no go from the parent");
    }
}

/// Where text_run stores: the aligned word at its own first byte, on a
/// page that has run by the time of the store.
fn run_at() -> usize {
    black_box(text_run as *const () as usize) & !3
}

/// Stores into the page this code runs from: the word already there, so
/// the code stays as it was should the store wrongly succeed.
#[inline(never)]
fn text_run() {
    let a = run_at();
    // SAFETY: a is in our own text, which is mapped (we run from it);
    // the store is meant to fault and get us killed.
    unsafe {
        let p = a as *mut u32;
        write_volatile(p, read_volatile(p));
    }
    fail(format_args!("a store into running text at {:#x} worked", a));
}

/// Stores into PAD without loading from it first, so its page is still
/// untouched when the store comes.
#[inline(never)]
fn text_pad() {
    let a = black_box(PAD.0.as_ptr() as usize);
    // SAFETY: a is inside PAD, in our text segment; the store is meant to
    // fault and get us killed (it writes what PAD already holds).
    unsafe { write_volatile(a as *mut u32, PAD_WORD) };
    fail(format_args!(
        "a store into untouched text at {:#x} worked",
        a
    ));
}
