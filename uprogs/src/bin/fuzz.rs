//! fuzz: seeded random system calls, made the way a hostile program would
//! make them. The kernel must never panic, never leak a page, never give a
//! result it must not, and every call must come back (or its caller must
//! be killable).
//!
//! `fuzz [SEED] [N]` (default seed 1, 2000 calls) runs the N calls in
//! batches of `BATCH`, each batch in a worker process of its own, at most
//! `MAX_LIVE` workers at once. A worker picks a system call number (now and
//! then one the kernel does not have) and six arguments, each half the time
//! a value that fits the argument (an fd, a name in the scratch directory
//! /fuzzdir, open flags, a length) and half the time a wild one: 0, 1..64,
//! -1, i32 limits, and pointers into our text, rodata, heap, stack, the
//! stack guard page, the trampoline and trapframe, around MAXVA and into
//! the kernel. Workers may exit, exec, fork, sbrk, sleep, close their fds
//! 0..2 and kill - but only processes they created themselves or pids that
//! cannot exist - and every worker runs with fds 0..2 on a scratch file, so
//! nothing it writes reaches the console. They also mmap and munmap (the
//! mmap lab's calls): munmap aims at areas mmap gave the worker, and now
//! and then other calls get a pointer into one; on a kernel without the
//! lab these are two more unknown numbers. A worker that exits, blocks or
//! dies skips the rest of its batch.
//!
//! After each call a worker checks what must always hold (an unknown
//! number, a bad fd, a store to a page we may not write: -1; sbrk returns
//! the old break; mmap with bad flags or an unaligned offset: -1, and
//! otherwise an address between the break and the trapframe; ...) and on
//! a violation exits with a status naming the call, which fails the run.
//!
//! A worker may block for good (sleep(huge), a read from a pipe it holds
//! the write end of). Each worker therefore runs under a shepherd process
//! that also forks a timer child sleeping `DEADLINE` ticks: whichever of the
//! two exits first decides, and a worker outlived by its timer is killed.
//! The shepherd reports the outcome in its exit status, so this process
//! only ever waits for shepherds, and each of them finishes within about
//! `DEADLINE` ticks.
//!
//! Around the run it counts free pages (before and after must be equal);
//! afterwards it tries a few calls on bad pointers itself and checks that
//! our text and rodata are unchanged (under copy-on-write they are the very
//! pages every worker runs on), then removes everything the workers made.
//! It prints one progress line per 500 calls, a summary, and then
//! `fuzz: OK` or `fuzz: FAILED <why>`. The kernel prints a line for every
//! unknown system call and every worker it kills for a bad access; that is
//! expected.

#![no_std]
#![no_main]

use abi::fcntl::{CONSOLE, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE};
use abi::syscall::*;
use core::ffi::CStr;
use core::fmt;
use ulib::fs::{Dirent, DIRSIZ};
use ulib::meter::countfree;
use ulib::param::NOFILE;
use ulib::{
    atoi, chdir, close, dup, exit, fork, getpid, kill, mkdir, open, println, read, sleep, stat,
    sys, unlink, wait, write, Args, Out, Stat, O_CREATE, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
    T_DIR,
};

ulib::entry!(main);

use ulib::layout::{KERNBASE, MAXVA, PGSIZE, TRAMPOLINE, TRAPFRAME};

/// Calls per worker.
const BATCH: usize = 50;
/// Workers alive at once.
const MAX_LIVE: usize = 4;
/// Ticks (tenths of a second) a worker may live before it counts as blocked.
const DEADLINE: i32 = 30;
/// A worker's exit status when it made all its calls; no wild exit status
/// (a small number, an address, the low half of a wild value) is this.
const DONE: i32 = 0x0d0e_0000;
/// A worker's exit status when a call returned what the kernel must never
/// return: `WRONG | step << 8 | number` (0 for an unknown number).
const WRONG: i32 = 0x0bad_0000;
/// Children a worker keeps unreaped (for kill to aim at) before it waits.
const MAX_KIDS: usize = 4;
/// The worker's heap buffer: the last thing in its memory, so a long read
/// into it runs off the end into unmapped space, never over our own data.
const HEAP: usize = 4 * PGSIZE;
/// The worker's stack buffer; reads into it are clamped to fit.
const STACKBUF: usize = 128;
/// Areas a worker remembers (the latest mmap results) to aim at.
const MAX_AREAS: usize = 4;
/// Pids from here up are never handed out (a boot would need a billion forks).
const NO_SUCH_PID: i32 = 1 << 30;

/// A shepherd's exit status: how its worker ended.
const FINISHED: i32 = 0;
const ENDED_EARLY: i32 = 1;
const KILLED: i32 = 2;
const NOT_STARTED: i32 = 3;

const SCRATCH: &CStr = c"/fuzzdir";
const PROBE: &CStr = c"/fuzzdir/probe";
/// Where a worker's fds 0..2 point.
const OUTPUT: &CStr = c"o";

/// Longer than MAXPATH (128).
const LONG_PATH: &[u8] = concat!(
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp",
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\0"
)
.as_bytes();

/// Path names for the workers, NUL-terminated. Workers start in /fuzzdir,
/// and none of these leads out of it from there or from below it.
const NAMES: [&[u8]; 14] = [
    b"a\0",
    b"b\0",
    b"c\0",
    b"o\0",
    b"d\0",
    b"d/e\0",
    b"d/e/f\0",
    b".\0",
    b"\0",
    b"d/../b\0",
    b"/fuzzdir/a\0",
    b"/fuzzdir/d/x\0",
    b"name_longer_than_dirsiz\0",
    LONG_PATH,
];

/// System call numbers the kernel does not have.
/// (22 and 23 are mmap and munmap, which only the mmap lab has, and 24 is
/// the swap lab's swapstat: those are in CALLS, so a kernel without the
/// lab gets them as unknown numbers too.)
const UNKNOWN: [usize; 6] = [0, 25, 30, 63, usize::MAX, 0xdead_beef_cafe_babe];
/// Also unknown, but SYS_FORK to a kernel that looked only at the low 32
/// bits: workers try it, this process does not.
const FORK_ALIAS: usize = (1 << 32) | SYS_FORK;
/// Weight of an unknown number against the weights in CALLS.
const BAD_WEIGHT: u32 = 5;

/// What an argument means to the call, for picking a plausible value.
#[derive(Clone, Copy)]
enum Arg {
    Int,
    Ptr,
    Fd,
    Path,
    Len,
    Flags,
    Pid,
    /// exec's argv.
    Argv,
    /// sbrk's increment; mmap's length and offset.
    Size,
    /// mmap's protection: mostly PROT_* bits, sometimes an unknown one.
    Prot,
    /// mmap's flags: mostly MAP_SHARED or MAP_PRIVATE.
    MapFlags,
    /// munmap's address: in or near an area mmap gave us.
    Area,
    /// munmap's length: a few pages.
    Pages,
}

struct Call {
    num: usize,
    /// How often it is picked, relative to the others.
    weight: u32,
    args: &'static [Arg],
}

const fn call(num: usize, weight: u32, args: &'static [Arg]) -> Call {
    Call { num, weight, args }
}

use Arg::*;

/// Every system call; exit and sleep are rare because they end a batch.
static CALLS: [Call; 24] = [
    call(SYS_FORK, 4, &[]),
    call(SYS_EXIT, 1, &[Int]),
    call(SYS_WAIT, 4, &[Ptr]),
    call(SYS_PIPE, 8, &[Ptr]),
    call(SYS_READ, 16, &[Fd, Ptr, Len]),
    call(SYS_KILL, 4, &[Pid]),
    call(SYS_EXEC, 6, &[Path, Argv]),
    call(SYS_FSTAT, 8, &[Fd, Ptr]),
    call(SYS_CHDIR, 6, &[Path]),
    call(SYS_DUP, 8, &[Fd]),
    call(SYS_GETPID, 2, &[]),
    call(SYS_SBRK, 4, &[Size]),
    call(SYS_SLEEP, 1, &[Int]),
    call(SYS_UPTIME, 2, &[]),
    call(SYS_OPEN, 16, &[Path, Flags]),
    call(SYS_WRITE, 16, &[Fd, Ptr, Len]),
    call(SYS_MKNOD, 4, &[Path, Int, Int]),
    call(SYS_UNLINK, 8, &[Path]),
    call(SYS_LINK, 6, &[Path, Path]),
    call(SYS_MKDIR, 6, &[Path]),
    call(SYS_CLOSE, 10, &[Fd]),
    call(SYS_MMAP, 4, &[Ptr, Size, Prot, MapFlags, Fd, Size]),
    call(SYS_MUNMAP, 3, &[Area, Pages]),
    call(SYS_SWAPSTAT, 2, &[Ptr]),
];

/// xorshift64*, seeded through splitmix64 so that nearby seeds differ.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // xorshift never leaves 0.
        Rng(if z == 0 { 1 } else { z })
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

fn text_addr() -> usize {
    main as *const () as usize
}

/// The end of our read-only memory: user.ld puts text at 0 and rodata
/// right after it. (Only the first page of rodata, which holds NAMES, is
/// counted; rodata is smaller than a page.)
fn rodata_end() -> usize {
    (NAMES[0].as_ptr() as usize & !(PGSIZE - 1)) + PGSIZE
}

/// The page below the one holding `local` (an address on our stack): the
/// guard page exec leaves under the one-page stack.
fn guard_page(local: usize) -> usize {
    (local & !(PGSIZE - 1)) - PGSIZE
}

/// A worker: one process making one batch of random calls.
struct Worker {
    rng: Rng,
    pid: i32,
    /// Argument values a hostile program would try; 1..=64 comes on top.
    wild: [usize; 22],
    heap: usize,
    stack: usize,
    /// A valid argv for exec.
    argv: usize,
    /// Our size as sbrk keeps it: the break.
    brk: usize,
    /// Children forked by our random forks and not yet reaped.
    kids: [i32; MAX_KIDS],
    nkids: usize,
    /// Addresses mmap returned, the latest MAX_AREAS of them.
    areas: [usize; MAX_AREAS],
    nareas: usize,
    /// The lowest address mmap ever returned (TRAPFRAME before the first):
    /// from there up to the trapframe, what we may write depends on areas
    /// and partial unmaps that are not worth tracking exactly.
    lowest_area: usize,
}

impl Worker {
    fn new(seed: u64, heap: usize, stack: usize, argv: usize) -> Worker {
        let text = text_addr();
        Worker {
            rng: Rng::new(seed),
            pid: getpid(),
            wild: [
                0,
                usize::MAX,
                i32::MIN as usize,
                i32::MAX as usize,
                u32::MAX as usize,
                text,
                text + 1,
                NAMES[0].as_ptr() as usize,
                heap,
                heap + HEAP - 1,
                heap + HEAP,
                stack,
                guard_page(stack),
                MAXVA - 1,
                MAXVA,
                MAXVA + PGSIZE,
                TRAMPOLINE,
                TRAPFRAME,
                KERNBASE,
                KERNBASE + 8,
                1 << 40,
                0xdead_beef_cafe_babe,
            ],
            heap,
            stack,
            argv,
            brk: heap + HEAP,
            kids: [0; MAX_KIDS],
            nkids: 0,
            areas: [0; MAX_AREAS],
            nareas: 0,
            lowest_area: TRAPFRAME,
        }
    }

    fn wild(&mut self) -> usize {
        let i = self.rng.below(self.wild.len() + 1);
        match self.wild.get(i) {
            Some(&v) => v,
            None => 1 + self.rng.below(64),
        }
    }

    /// Half the time a value that makes sense for the argument (so calls
    /// get past their first checks), half the time a wild one.
    fn arg(&mut self, kind: Arg) -> usize {
        if self.rng.below(2) == 0 {
            return self.wild();
        }
        let r = &mut self.rng;
        match kind {
            Int => r.below(65),
            Ptr => match r.below(4) {
                0 => self.stack,
                1 if self.nareas > 0 => {
                    let area = self.areas[r.below(self.nareas.min(MAX_AREAS))];
                    area + r.below(2 * PGSIZE)
                }
                _ => self.heap + r.below(HEAP),
            },
            Fd => r.below(NOFILE + 2),
            Path => r.pick(&NAMES).as_ptr() as usize,
            Len => match r.below(3) {
                0 => r.below(17),
                1 => r.below(513),
                _ => r.below(4 * PGSIZE + 1),
            },
            Flags => {
                let mode = r.pick(&[O_RDONLY, O_WRONLY, O_RDWR]);
                let extra = r.pick(&[0, O_CREATE, O_TRUNC, O_CREATE | O_TRUNC, -1]);
                (mode | extra) as usize
            }
            Pid => {
                let absent = NO_SUCH_PID + r.below(1000) as i32;
                let kid = if self.nkids > 0 { self.kids[0] } else { absent };
                r.pick(&[kid, self.pid, 0, -1, absent]) as usize
            }
            Argv => self.argv,
            // Up to 64 MB, to run the machine out of memory now and then;
            // or give back up to three pages.
            Size => match r.below(3) {
                0 => r.below(65),
                1 => 1 << r.below(27),
                _ => (PGSIZE * r.below(4)).wrapping_neg(),
            },
            Prot => r.below(16),
            MapFlags => {
                r.pick(&[MAP_SHARED, MAP_PRIVATE, MAP_SHARED, MAP_PRIVATE, 0, 3, 4]) as usize
            }
            Area => match self.nareas {
                0 => self.heap,
                n => self.areas[r.below(n.min(MAX_AREAS))] + PGSIZE * r.below(4),
            },
            Pages => PGSIZE * r.below(5),
        }
    }

    fn pick_num(&mut self) -> usize {
        let total: u32 = BAD_WEIGHT + CALLS.iter().map(|c| c.weight).sum::<u32>();
        let mut w = self.rng.below(total as usize) as u32;
        for c in &CALLS {
            if w < c.weight {
                return c.num;
            }
            w -= c.weight;
        }
        match self.rng.below(UNKNOWN.len() + 1) {
            i if i < UNKNOWN.len() => UNKNOWN[i],
            _ => FORK_ALIAS,
        }
    }

    /// The rules that keep a worker from harming anything but itself.
    fn tame(&mut self, num: usize, a: &mut [usize; 6]) {
        // The kernel reads ints as the low 32 bits; keep the high ones wild.
        let set_int = |v: &mut usize, x: i32| *v = (*v & !0xffff_ffff) | x as u32 as usize;
        match num {
            SYS_KILL => {
                let pid = a[0] as i32;
                let ours = pid == self.pid || self.kids[..self.nkids].contains(&pid);
                // Not init, not the shell, not our shepherd, not other workers.
                if !(ours || pid <= 0 || pid >= NO_SUCH_PID) {
                    set_int(&mut a[0], NO_SUCH_PID + self.rng.below(1000) as i32);
                }
            }
            // A console device node would let wild writes reach the console.
            SYS_MKNOD if a[1] as i32 as i16 == CONSOLE => set_int(&mut a[1], CONSOLE as i32 + 1),
            // The stack buffer has our own frames above it.
            SYS_READ => {
                let room = (self.stack + STACKBUF).wrapping_sub(a[1]);
                if (1..=STACKBUF).contains(&room) && a[2] as i32 > room as i32 {
                    set_int(&mut a[2], room as i32);
                }
            }
            _ => {}
        }
    }

    /// Whether the kernel may not store at `addr`: our text and rodata, the
    /// stack guard page, and everything from the page after the break up,
    /// which takes in the trapframe, the trampoline, MAXVA and the kernel's
    /// addresses (unless sbrk has grown us past them).
    fn unwritable(&self, addr: usize) -> bool {
        let guard = guard_page(self.stack);
        addr < rodata_end()
            || (guard..guard + PGSIZE).contains(&addr)
            || (addr >= self.brk.next_multiple_of(PGSIZE)
                && !(self.lowest_area..TRAPFRAME).contains(&addr))
    }

    /// Whether mmap had to refuse arguments `a`. The kernel may read prot,
    /// flags and fd as ints or whole registers: with these low 32 bits it
    /// must refuse either way. So must it a length of 0 and an offset that
    /// is not a page multiple.
    fn mmap_refused(a: &[usize; 6]) -> bool {
        let (prot, flags, fd) = (a[2] as i32, a[3] as i32, a[4] as i32);
        prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
            || (flags != MAP_SHARED && flags != MAP_PRIVATE)
            || !(0..NOFILE as i32).contains(&fd)
            || a[1] == 0
            || !a[5].is_multiple_of(PGSIZE)
    }

    /// Whether address `r` from mmap with length `len` is a place an area
    /// may be: page-aligned, above our break, below the trapframe (all of
    /// it, when the length is small enough to be read the same either way).
    fn area_fits(&self, r: usize, len: usize) -> bool {
        r.is_multiple_of(PGSIZE)
            && r >= self.brk
            && r < TRAPFRAME
            && (len >= 1 << 31 || r + len <= TRAPFRAME)
    }

    /// Whether `r` is a result call `num` must never give with arguments `a`.
    fn wrong(&self, num: usize, a: &[usize; 6], r: isize) -> bool {
        // The first argument as the kernel reads an int (fd, pid).
        let int0 = a[0] as i32;
        let bad_fd = !(0..NOFILE as i32).contains(&int0);
        // More bytes than asked for (or any for a negative count).
        let too_many = r > 0 && r > a[2] as i32 as isize;
        match num {
            SYS_READ => (bad_fd && r != -1) || (self.unwritable(a[1]) && r > 0) || too_many,
            SYS_WRITE => (bad_fd && r != -1) || too_many,
            SYS_CLOSE | SYS_DUP => bad_fd && r != -1,
            SYS_FSTAT => (bad_fd || self.unwritable(a[1])) && r != -1,
            SYS_PIPE => self.unwritable(a[0]) && r != -1,
            // It stores five words.
            SYS_SWAPSTAT => self.unwritable(a[0]) && r != -1,
            SYS_WAIT => a[0] != 0 && self.unwritable(a[0]) && r != -1,
            SYS_KILL => (int0 <= 0 || int0 >= NO_SUCH_PID) && r != -1,
            // exec returns only when it fails.
            SYS_EXEC => r != -1,
            SYS_SBRK => r != -1 && r as usize != self.brk,
            SYS_GETPID => r != self.pid as isize,
            SYS_UPTIME => r < 0,
            SYS_MMAP => r != -1 && (Self::mmap_refused(a) || !self.area_fits(r as usize, a[1])),
            // No area is below the break or at the trapframe and above,
            // and an unaligned address or an empty range is refused.
            SYS_MUNMAP => {
                let outside = a[0] < self.brk || a[0] >= TRAPFRAME;
                r != -1 && (!a[0].is_multiple_of(PGSIZE) || a[1] == 0 || outside)
            }
            _ if CALLS.iter().all(|c| c.num != num) => r != -1,
            _ => false,
        }
    }

    /// One random call, number `nth` of the batch.
    fn step(&mut self, nth: usize) {
        let num = self.pick_num();
        let kinds = CALLS
            .iter()
            .find(|c| c.num == num)
            .map_or(&[][..], |c| c.args);
        let mut a = [0usize; 6];
        for (i, v) in a.iter_mut().enumerate() {
            *v = match kinds.get(i) {
                Some(&k) => self.arg(k),
                None => self.wild(),
            };
        }
        self.tame(num, &mut a);
        // SAFETY: the kernel checks every pointer; the only memory of ours
        // it may write is the heap buffer (nothing of ours lies above it)
        // and the stack buffer (reads are clamped to fit it, and fstat,
        // pipe and wait store at most 24 bytes).
        let r = unsafe { sys::raw6(num, a[0], a[1], a[2], a[3], a[4], a[5]) } as isize;
        let fork_like = num == SYS_FORK || num == FORK_ALIAS;
        // A copy of a worker must not go on fuzzing: it would escape the
        // shepherd's deadline.
        if fork_like && r == 0 {
            exit(0);
        }
        if self.wrong(num, &a, r) {
            let known = if num <= SYS_SWAPSTAT { num } else { 0 };
            exit(WRONG | (nth as i32) << 8 | known as i32);
        }
        match num {
            _ if fork_like && r > 0 => self.adopt(r as i32),
            SYS_WAIT if r > 0 => self.forget(r as i32),
            SYS_SBRK if r != -1 => self.brk = (r + a[0] as i32 as isize) as usize,
            SYS_MMAP if r != -1 => self.note_area(r as usize),
            _ => {}
        }
    }

    fn adopt(&mut self, pid: i32) {
        if self.nkids == MAX_KIDS {
            let w = wait(None);
            self.forget(w);
        }
        if self.nkids == MAX_KIDS {
            self.kids[0] = pid;
        } else {
            self.kids[self.nkids] = pid;
            self.nkids += 1;
        }
    }

    /// Remembers an area mmap gave us, for munmap and pointers to aim at.
    fn note_area(&mut self, addr: usize) {
        self.areas[self.nareas % MAX_AREAS] = addr;
        self.nareas += 1;
        self.lowest_area = self.lowest_area.min(addr);
    }

    fn forget(&mut self, pid: i32) {
        if let Some(i) = self.kids[..self.nkids].iter().position(|&k| k == pid) {
            self.kids[i] = self.kids[self.nkids - 1];
            self.nkids -= 1;
        }
    }
}

/// The worker process: `calls` random calls in /fuzzdir, then exit(DONE).
fn worker(seed: u64, calls: usize) -> ! {
    if chdir(SCRATCH) < 0 {
        exit(1);
    }
    for fd in 0..3 {
        close(fd);
    }
    // If this fails (another worker may have made "o" a directory) fds
    // 0..2 stay closed, which is just as quiet.
    if open(OUTPUT, O_CREATE | O_RDWR) == 0 {
        dup(0);
        dup(0);
    }
    let heap = ulib::sbrk(HEAP as i32) as usize;
    if heap == usize::MAX {
        exit(1);
    }
    let mut stackbuf = [0u8; STACKBUF];
    let argv: [*const u8; 3] = [NAMES[0].as_ptr(), NAMES[1].as_ptr(), core::ptr::null()];
    let mut w = Worker::new(
        seed,
        heap,
        stackbuf.as_mut_ptr() as usize,
        argv.as_ptr() as usize,
    );
    for nth in 0..calls {
        w.step(nth);
    }
    while wait(None) >= 0 {}
    // The kernel wrote into these through their addresses alone.
    core::hint::black_box((&mut stackbuf, &argv));
    exit(DONE)
}

/// Whether a worker's exit status reports a wrong result (see WRONG).
fn is_wrong(status: i32) -> bool {
    status & !0xffff == WRONG
}

/// A shepherd: runs one worker against a timer and exits with the outcome.
fn shepherd(seed: u64, calls: usize) -> ! {
    let timer = fork();
    if timer == 0 {
        sleep(DEADLINE);
        exit(0);
    }
    if timer < 0 {
        exit(NOT_STARTED);
    }
    let pid = fork();
    if pid == 0 {
        worker(seed, calls);
    }
    if pid < 0 {
        kill(timer);
        wait(None);
        exit(NOT_STARTED);
    }
    let mut status = 0;
    let outcome = if wait(Some(&mut status)) == pid {
        kill(timer);
        match status {
            DONE => FINISHED,
            // Passed on as it is: it says which call went wrong.
            _ if is_wrong(status) => status,
            _ => ENDED_EARLY,
        }
    } else {
        // A killed worker dies as soon as it next leaves the kernel, and
        // kill wakes it from any sleep.
        kill(pid);
        KILLED
    };
    while wait(None) >= 0 {}
    exit(outcome)
}

/// The workers of a run: what became of them, and the shepherds running now.
#[derive(Default)]
struct Tally {
    /// Calls planned in all.
    calls: usize,
    workers: usize,
    finished: usize,
    early: usize,
    killed: usize,
    not_started: usize,
    /// The first worker that saw a wrong result, and its exit status.
    wrong: Option<(usize, i32)>,
    /// The shepherds running now: pid and worker number.
    live: [(i32, usize); MAX_LIVE],
    nlive: usize,
}

/// System call names by number, for messages.
const SYSCALL_NAMES: [&str; 24] = [
    "an unknown system call",
    "fork",
    "exit",
    "wait",
    "pipe",
    "read",
    "kill",
    "exec",
    "fstat",
    "chdir",
    "dup",
    "getpid",
    "sbrk",
    "sleep",
    "uptime",
    "open",
    "write",
    "mknod",
    "unlink",
    "link",
    "mkdir",
    "close",
    "mmap",
    "munmap",
];

enum Failure {
    Setup(&'static str),
    Probe(&'static str, &'static str, isize),
    /// Worker number and its exit status (see WRONG).
    Wrong(usize, i32),
    TextChanged,
    Leaked(i32),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Failure::Setup(why) => write!(f, "{}", why),
            Failure::Probe(call, what, got) => {
                write!(f, "{} on {} returned {}, not -1", call, what, got)
            }
            Failure::Wrong(worker, status) => {
                let name = SYSCALL_NAMES[(status & 0xff) as usize % SYSCALL_NAMES.len()];
                let step = (status >> 8) & 0xff;
                write!(
                    f,
                    "worker {} call {}: {} returned what it must never return",
                    worker, step, name
                )
            }
            Failure::TextChanged => write!(f, "a system call changed our text"),
            Failure::Leaked(n) => write!(f, "leaked {} pages", n),
        }
    }
}

impl Tally {
    /// Waits for one shepherd and counts its outcome.
    fn reap_one(&mut self) -> Result<(), Failure> {
        let mut status = 0;
        let pid = wait(Some(&mut status));
        let Some(i) = self.live[..self.nlive].iter().position(|l| l.0 == pid) else {
            return Err(Failure::Setup("lost a worker"));
        };
        let worker = self.live[i].1;
        self.nlive -= 1;
        self.live[i] = self.live[self.nlive];
        match status {
            FINISHED => self.finished += 1,
            KILLED => self.killed += 1,
            NOT_STARTED => self.not_started += 1,
            _ if is_wrong(status) => {
                self.early += 1;
                self.wrong = self.wrong.or(Some((worker, status)));
            }
            _ => self.early += 1,
        }
        let calls = self.calls;
        let done = |w: usize| (w * BATCH).min(calls);
        let before = done(self.workers);
        self.workers += 1;
        let after = done(self.workers);
        if after / 500 > before / 500 {
            println!("fuzz: {} calls", after);
        }
        Ok(())
    }

    /// Starts the shepherd of worker `i`, waiting for a free slot first.
    fn spawn(&mut self, seed: u64, i: usize) -> Result<(), Failure> {
        let calls = BATCH.min(self.calls - i * BATCH);
        let mut tries = 0;
        loop {
            if self.nlive == MAX_LIVE {
                self.reap_one()?;
            }
            match fork() {
                0 => shepherd(seed ^ (i as u64).wrapping_mul(0x9e37_79b9), calls),
                pid if pid > 0 => {
                    self.live[self.nlive] = (pid, i);
                    self.nlive += 1;
                    return Ok(());
                }
                // Out of processes or memory: let the others finish first.
                _ if self.nlive > 0 => self.reap_one()?,
                _ => {
                    tries += 1;
                    if tries > 50 {
                        return Err(Failure::Setup("fork keeps failing"));
                    }
                    sleep(10);
                }
            }
        }
    }
}

/// Runs all workers, at most MAX_LIVE at once.
fn run_workers(seed: u64, n: usize) -> Result<Tally, Failure> {
    let mut t = Tally {
        calls: n,
        ..Tally::default()
    };
    for i in 0..n.div_ceil(BATCH) {
        t.spawn(seed, i)?;
    }
    while t.nlive > 0 {
        t.reap_one()?;
    }
    Ok(t)
}

/// A system call on a bad pointer must fail.
fn expect_fail(call: &'static str, what: &'static str, r: i32) -> Result<(), Failure> {
    if r == -1 {
        Ok(())
    } else {
        Err(Failure::Probe(call, what, r as isize))
    }
}

/// A hash (FNV-1a) of our text and rodata. Under copy-on-write these
/// pages are shared with every worker, so a kernel store into a worker's
/// text would show here too.
fn text_hash() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // From 1: address 0 is text too, but to Rust it is a null pointer.
    for a in 1..rodata_end() {
        // SAFETY: every address below rodata_end() is our text or rodata,
        // mapped readable.
        let b = unsafe { core::ptr::read_volatile(a as *const u8) };
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// After the run: calls on bad pointers from this process must fail, and
/// leave our text and our file descriptors as they were.
fn probes(text_before: u64) -> Result<(), Failure> {
    let local = 0u8;
    let bad: [(&'static str, usize); 11] = [
        ("text", text_addr()),
        ("rodata", NAMES[0].as_ptr() as usize),
        ("guard page", guard_page(&local as *const u8 as usize)),
        ("MAXVA-1", MAXVA - 1),
        ("MAXVA", MAXVA),
        ("MAXVA+4096", MAXVA + PGSIZE),
        ("trampoline", TRAMPOLINE),
        ("trapframe", TRAPFRAME),
        ("kernel", KERNBASE),
        ("kernel+64", KERNBASE + 64),
        ("-1", usize::MAX),
    ];
    let fd = open(PROBE, O_CREATE | O_RDWR);
    if fd < 0 || write(fd, &[0x5a; 64]) != 64 {
        return Err(Failure::Setup("cannot make the probe file"));
    }
    close(fd);
    for &(what, addr) in &bad {
        // A fresh fd each time: a read that wrongly copied some bytes must
        // not leave the next one at end of file.
        let rfd = open(PROBE, O_RDONLY);
        // SAFETY: addr is not memory we may write; the kernel must refuse.
        let r = unsafe { sys::read(rfd, addr as *mut u8, 16) };
        close(rfd);
        expect_fail("read", what, r)?;
        let sfd = open(PROBE, O_RDONLY);
        // SAFETY: as above.
        let r = unsafe { sys::fstat(sfd, addr as *mut Stat) };
        close(sfd);
        expect_fail("fstat", what, r)?;
        // SAFETY: as above.
        expect_fail("pipe", what, unsafe { sys::pipe(addr as *mut i32) })?;
    }
    // The failed pipes must not have kept their file descriptors.
    let again = open(PROBE, O_RDONLY);
    close(again);
    if again != fd {
        return Err(Failure::Setup("a failed pipe() kept its fds"));
    }
    // wait with a bad status pointer fails and leaves the child to reap.
    for &(what, addr) in &bad[..3] {
        let pid = fork();
        if pid == 0 {
            exit(0);
        }
        // SAFETY: as above.
        expect_fail("wait", what, unsafe { sys::wait(addr as *mut i32) })?;
        if wait(None) != pid {
            return Err(Failure::Setup("a failed wait() lost the child"));
        }
    }
    for &num in &UNKNOWN {
        // SAFETY: the kernel does not know these numbers; nothing happens.
        let r = unsafe { sys::raw(num, 0, 0, 0) };
        expect_fail("an unknown system call", "no pointer", r as i32)?;
    }
    if text_hash() != text_before {
        return Err(Failure::TextChanged);
    }
    unlink(PROBE);
    Ok(())
}

/// Reads the next entry of the directory open on `fd`, skipping free slots.
fn next_entry(fd: i32) -> Option<Dirent> {
    let mut b = [0u8; 16];
    while read(fd, &mut b) == 16 {
        let de = Dirent::from_bytes(&b);
        if de.inum != 0 {
            return Some(de);
        }
    }
    None
}

/// `name` with a NUL, for the system calls.
fn c_name(de: &Dirent) -> [u8; DIRSIZ + 1] {
    let mut b = [0u8; DIRSIZ + 1];
    b[..de.name().len()].copy_from_slice(de.name());
    b
}

/// Unlinks everything in the current directory; returns the name of an
/// entry that would not go (a directory that is not empty).
fn clear_cwd() -> Option<[u8; DIRSIZ + 1]> {
    let fd = open(c".", O_RDONLY);
    if fd < 0 {
        return None;
    }
    let mut stuck = None;
    while let Some(de) = next_entry(fd) {
        if de.name() == b"." || de.name() == b".." {
            continue;
        }
        let name = c_name(&de);
        // SAFETY: name is NUL-terminated.
        if unsafe { sys::unlink(name.as_ptr()) } < 0 {
            stuck = Some(name);
            break;
        }
    }
    close(fd);
    stuck
}

/// Removes the directory `path` and everything under it, going down with
/// chdir rather than recursion so deep trees need no stack.
fn remove_tree(path: &CStr) -> bool {
    if chdir(path) < 0 {
        return false;
    }
    let mut depth = 0;
    for _ in 0..10_000 {
        match clear_cwd() {
            // SAFETY: name is NUL-terminated.
            Some(name) if unsafe { sys::chdir(name.as_ptr()) } == 0 => depth += 1,
            Some(_) => break,
            None if depth == 0 => {
                chdir(c"/");
                return unlink(path) == 0;
            }
            None => {
                chdir(c"..");
                depth -= 1;
            }
        }
    }
    chdir(c"/");
    false
}

/// The inode numbers of the entries of "/", so that stray files a worker
/// made there (with a path from wild bytes) can be found afterwards.
struct RootSnapshot {
    inums: [u16; 128],
    n: usize,
    complete: bool,
}

impl RootSnapshot {
    fn take() -> RootSnapshot {
        let mut s = RootSnapshot {
            inums: [0; 128],
            n: 0,
            complete: false,
        };
        let fd = open(c"/", O_RDONLY);
        if fd < 0 {
            return s;
        }
        while let Some(de) = next_entry(fd) {
            if s.n == s.inums.len() {
                close(fd);
                return s;
            }
            s.inums[s.n] = de.inum;
            s.n += 1;
        }
        close(fd);
        s.complete = true;
        s
    }

    /// The first entry of "/" not in the snapshot, as "/name".
    fn stray(&self) -> Option<[u8; DIRSIZ + 2]> {
        let fd = open(c"/", O_RDONLY);
        let mut found = None;
        while let Some(de) = next_entry(fd) {
            if !self.inums[..self.n].contains(&de.inum) {
                let mut p = [0u8; DIRSIZ + 2];
                p[0] = b'/';
                p[1..].copy_from_slice(&c_name(&de));
                found = Some(p);
                break;
            }
        }
        close(fd);
        found
    }

    /// Removes what workers left in "/"; returns how many entries.
    fn clean(&self) -> usize {
        if !self.complete {
            return 0;
        }
        let mut removed = 0;
        while let Some(p) = self.stray() {
            let path = CStr::from_bytes_until_nul(&p).unwrap_or(c"/");
            Out::new(1)
                .str("fuzz: removing stray ")
                .bytes(path.to_bytes())
                .str("\n");
            let gone = unlink(path) == 0 || remove_tree(path);
            if !gone || removed == 16 {
                break;
            }
            removed += 1;
        }
        removed
    }
}

/// Counts free pages until the count matches `want` or a few tries have
/// passed: processes our killed workers left to init may still be exiting.
fn settled_free(want: i32) -> i32 {
    let mut n = countfree();
    for _ in 0..4 {
        if n == want {
            break;
        }
        sleep(10);
        n = countfree();
    }
    n
}

fn run(seed: u64, n: usize) -> Result<(), Failure> {
    let mut st = Stat::default();
    // Left over from an interrupted run?
    if stat(SCRATCH, &mut st) == 0 && (st.typ != T_DIR || !remove_tree(SCRATCH)) {
        return Err(Failure::Setup("cannot remove an old /fuzzdir"));
    }
    if mkdir(SCRATCH) < 0 {
        return Err(Failure::Setup("cannot make /fuzzdir"));
    }
    let root = RootSnapshot::take();
    let text_before = text_hash();
    // From here on this process allocates nothing, so its own size, and
    // the size of the child countfree forks, stays the same.
    let free_before = countfree();

    let t = run_workers(seed, n)?;
    println!(
        "fuzz: {} workers: {} finished, {} ended early, {} killed for blocking, {} not started",
        t.workers, t.finished, t.early, t.killed, t.not_started
    );
    if t.workers > 0 && t.not_started == t.workers {
        return Err(Failure::Setup("no worker could start"));
    }
    let probed = probes(text_before);
    if !remove_tree(SCRATCH) {
        return Err(Failure::Setup("cannot remove /fuzzdir"));
    }
    root.clean();

    let free_after = settled_free(free_before);
    println!(
        "fuzz: free pages {} before, {} after",
        free_before, free_after
    );
    probed?;
    if let Some((worker, status)) = t.wrong {
        return Err(Failure::Wrong(worker, status));
    }
    if free_after != free_before {
        return Err(Failure::Leaked(free_before - free_after));
    }
    Ok(())
}

fn main(args: Args) {
    let seed = args.get(1).map_or(1, |s| atoi(s.to_bytes()) as u32 as u64);
    let n = args
        .get(2)
        .map_or(2000, |s| atoi(s.to_bytes()).max(0) as usize);
    println!("fuzz: seed {}, {} calls", seed, n);
    match run(seed, n) {
        Ok(()) => println!("fuzz: OK"),
        Err(why) => println!("fuzz: FAILED {}", why),
    }
}
