//! swaprace: global page replacement under fire (kernel feature `swap`).
//! Processes whose pages other processes evict, while they fork, exec,
//! shrink, pipe and are killed; every page is checked.
//!
//! - A grower takes what memory the others leave and writes all of its
//!   pages again and again, more than memory holds with the others: the
//!   room it needs comes from the pages the others have not used lately,
//!   taken while they sleep.
//! - VICTIMS processes each hold VICTIM_PAGES pages, one word at each end
//!   of every page marking the process, the page and the round. Each round
//!   a victim sleeps (its pages may go while it does), checks every page
//!   (faults that sleep on the swap disk, where its pages must not be
//!   taken), rewrites a share of them, and does one more thing, by turn:
//!   forks a child that checks the copy, writes its own pages and exits
//!   while the parent's stay as they were; gives back a quarter of its
//!   heap with sbrk and grows it again (swapped-out pages freed under the
//!   evictors); sends half a MiB of its heap through a pipe to itself,
//!   into pages out on the disk; runs `swaprace child` (exec of a program
//!   that grows, fills, sleeps and checks).
//! - DOOMED processes hold pages, touch them and sleep, until main kills
//!   them in the middle of the run: asleep, perhaps frozen by an evictor,
//!   perhaps in a fault.
//! - A spinner stays in user mode over a few pages, checking each round
//!   what the last stored, while the others evict (see `spinner`).
//! - A quitter forks, one after another, short-lived children that spin
//!   in user mode over pages of their own like the spinner and end at any
//!   moment, by exit or killed by the quitter, perhaps while an evictor
//!   is stopping them (see `quitter`).
//!
//! Then every process must have ended as it should (the doomed killed,
//! the others exit 0) and nothing leaked: free pages minus slots in use
//! as before (swaptest explains the count). Prints `swaprace: OK`, or
//! `swaprace: FAILED WHY`. Where the kernel has no swap disk it has
//! nothing to race: it says so and prints OK.

#![no_std]
#![no_main]

use core::fmt::Display;
use core::ptr::{read_volatile, write_volatile};
use ulib::{
    close, exec, exit, fork, getpid, kill, pipe, println, read, sbrk, sleep, swapstat, uptime,
    wait, write, SwapStat,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const VICTIMS: usize = 4;
const VICTIM_PAGES: usize = 2048;
const DOOMED: usize = 2;
const DOOMED_PAGES: usize = 1024;
/// Pages of the exec'd child.
const CHILD_PAGES: usize = 512;
const ROUNDS: u64 = 8;
/// The spinner's pages, and how long it spins.
const SPIN_PAGES: usize = 64;
const SPIN_TICKS: i32 = 40;
/// What a pipe holds (xv6's PIPESIZE).
const PIPE: usize = 512;
/// The pages of each of the quitter's children.
const QUIT_PAGES: usize = 16;
/// The grower's passes over its pages.
const PASSES: usize = 4;

fn fail(why: impl Display) -> ! {
    println!("swaprace: FAILED {}", why);
    exit(1)
}

fn stat() -> SwapStat {
    swapstat().unwrap_or_else(|| fail("no swapstat"))
}

/// The word that marks page `pg` of process `who` in `round`; the last
/// word of the page holds its complement.
fn mark(who: u64, pg: usize, round: u64) -> u64 {
    let x = (who << 40 ^ (pg as u64) << 8 ^ round).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 31)
}

fn put(a: usize, w: u64) {
    // SAFETY: every caller passes the start of a page of heap this
    // process grew (and has not given back).
    unsafe {
        write_volatile(a as *mut u64, w);
        write_volatile((a + PGSIZE - 8) as *mut u64, !w);
    }
}

fn get(a: usize) -> (u64, u64) {
    // SAFETY: as in put.
    unsafe {
        (
            read_volatile(a as *const u64),
            read_volatile((a + PGSIZE - 8) as *const u64),
        )
    }
}

/// Heap of `pages` pages; its start. None where sbrk fails.
fn grow(pages: usize) -> Option<usize> {
    let a = sbrk((pages * PGSIZE) as i32) as usize;
    (a != usize::MAX).then_some(a)
}

/// A process's heap of marked pages: page `pg` holds mark(who, pg,
/// round of pg). The rounds are in the heap too, below the pages (a
/// user stack is one page), where they may go out like the rest.
struct Marked {
    who: u64,
    rounds: *mut u64,
    base: usize,
    len: usize,
}

impl Marked {
    fn new(who: u64, pages: usize) -> Marked {
        let words = (pages * 8).div_ceil(PGSIZE);
        let Some(rounds) = grow(words) else {
            fail(format_args!("pid {}: sbrk of {} pages", getpid(), words));
        };
        let Some(base) = grow(pages) else {
            fail(format_args!("pid {}: sbrk of {} pages", getpid(), pages));
        };
        let mut m = Marked {
            who,
            rounds: rounds as *mut u64,
            base,
            len: pages,
        };
        for pg in 0..pages {
            m.set(pg, 0);
        }
        m
    }

    fn round(&self, pg: usize) -> u64 {
        assert!(pg < self.len);
        // SAFETY: rounds has a word for each of the pages first grown,
        // and len never exceeds that.
        unsafe { read_volatile(self.rounds.add(pg)) }
    }

    fn set(&mut self, pg: usize, round: u64) {
        assert!(pg < self.len);
        // SAFETY: as in round.
        unsafe { write_volatile(self.rounds.add(pg), round) };
        put(self.base + pg * PGSIZE, mark(self.who, pg, round));
    }

    fn check(&self, what: &str) {
        for pg in 0..self.len {
            let w = mark(self.who, pg, self.round(pg));
            let (first, last) = get(self.base + pg * PGSIZE);
            if first != w || last != !w {
                fail(format_args!(
                    "{}: pid {}: page {} of {} holds {:#x}/{:#x}, expected {:#x} (round {})",
                    what,
                    getpid(),
                    pg,
                    self.len,
                    first,
                    last,
                    w,
                    self.round(pg)
                ));
            }
        }
    }

    /// Gives back the top quarter and grows it again, freshly marked.
    fn shrink_regrow(&mut self, round: u64) {
        let q = self.len / 4;
        if sbrk(-((q * PGSIZE) as i32)) as usize == usize::MAX {
            fail("sbrk shrink");
        }
        self.len -= q;
        self.check("after shrinking");
        if grow(q) != Some(self.base + self.len * PGSIZE) {
            fail(format_args!(
                "pid {}: sbrk of {} pages to grow back",
                getpid(),
                q
            ));
        }
        self.len += q;
        for pg in self.len - q..self.len {
            self.set(pg, round);
        }
    }

    /// Half a MiB of its heap through a pipe into another half MiB, in
    /// writes of a few pages (a pipe holds less): pages likely out.
    fn through_pipe(&mut self, round: u64) {
        let mut p = [0i32; 2];
        if pipe(&mut p) < 0 {
            fail("pipe");
        }
        let n = 128;
        let (from, to) = (self.len / 2 - n, self.len / 2);
        for k in 0..n {
            self.set(from + k, round);
        }
        for k in 0..n {
            let src = self.base + (from + k) * PGSIZE;
            let dst = self.base + (to + k) * PGSIZE;
            // SAFETY: both are whole pages of this process's heap.
            let (s, d) = unsafe {
                (
                    core::slice::from_raw_parts(src as *const u8, PGSIZE),
                    core::slice::from_raw_parts_mut(dst as *mut u8, PGSIZE),
                )
            };
            // A pipe holds PIPE bytes: a write of more, with this
            // process the only reader, would wait forever.
            for r in (0..PGSIZE).step_by(PIPE).map(|o| o..o + PIPE) {
                if write(p[1], &s[r.clone()]) != PIPE as i32 {
                    fail("write into the pipe");
                }
                if read(p[0], &mut d[r]) != PIPE as i32 {
                    fail("read from the pipe into the heap");
                }
            }
            // The copy holds the source page's mark.
            let (first, last) = get(dst);
            let w = mark(self.who, from + k, round);
            if first != w || last != !w {
                fail(format_args!(
                    "page {} through the pipe arrived changed",
                    from + k
                ));
            }
            self.set(to + k, round);
        }
        close(p[0]);
        close(p[1]);
    }
}

/// Waits for `pid`, which must exit with `want`.
fn reap(pid: i32, want: i32, what: &str) {
    let mut st = 0;
    let w = wait(Some(&mut st));
    if w != pid || st != want {
        fail(format_args!(
            "{}: wait gave pid {} status {}, expected pid {} status {}",
            what, w, st, pid, want
        ));
    }
}

fn spawn(f: impl FnOnce()) -> i32 {
    let pid = fork();
    if pid < 0 {
        // Who, and with how much room, for whoever reads the failure.
        let s = stat();
        fail(format_args!(
            "fork in pid {}: {} free pages, {} of {} swap slots in use",
            getpid(),
            s.free,
            s.used,
            s.slots
        ));
    }
    if pid == 0 {
        f();
        exit(0);
    }
    pid
}

/// Tells main on `ready` that this process's pages are all marked.
fn say_ready(ready: i32) {
    if write(ready, &[1]) != 1 {
        fail("write to ready");
    }
    close(ready);
}

fn victim(who: u64, ready: i32) {
    let mut m = Marked::new(who, VICTIM_PAGES);
    say_ready(ready);
    for round in 1..=ROUNDS {
        sleep(2);
        m.check("victim");
        for pg in (round as usize % 3..m.len).step_by(3) {
            m.set(pg, round);
        }
        match (round + who) % 4 {
            0 => {
                let pid = spawn(|| {
                    m.check("forked child");
                    m.who += 100;
                    for pg in 0..m.len {
                        m.set(pg, round);
                    }
                    sleep(1);
                    m.check("forked child, after its writes");
                });
                reap(pid, 0, "forked child");
                m.check("parent after its child");
            }
            1 => m.shrink_regrow(round),
            2 => m.through_pipe(round),
            _ => {
                let pid = spawn(|| {
                    exec(c"swaprace", &[c"swaprace", c"child"]);
                    fail("exec swaprace child");
                });
                reap(pid, 0, "exec'd child");
            }
        }
    }
    m.check("victim at the end");
}

/// `swaprace child`: what a victim execs.
fn child() {
    let mut m = Marked::new(1000 + getpid() as u64, CHILD_PAGES);
    sleep(2);
    m.check("exec'd child");
    for pg in 0..m.len {
        m.set(pg, 1);
    }
    m.check("exec'd child, after its writes");
}

fn doomed(who: u64, ready: i32) {
    let mut m = Marked::new(who, DOOMED_PAGES);
    say_ready(ready);
    let mut round = 0;
    loop {
        round += 1;
        sleep(1);
        m.check("doomed");
        for pg in (round as usize % 5..m.len).step_by(5) {
            m.set(pg, round);
        }
    }
}

/// A process that stays in user mode: round after round over a few
/// pages, each round checking what the last one stored. The clock passes
/// its pages as it runs, clearing their A bits, and a hart does not set
/// A again while it has the page in its TLB (until its next trap): a
/// kernel that took a page of a process running on another hart would
/// leave it using the page after it went (its stores lost, or landing in
/// a page someone else now holds). Runs SPIN_TICKS ticks.
fn spinner(ready: i32) {
    let Some(base) = grow(SPIN_PAGES) else {
        fail("spinner: sbrk");
    };
    for pg in 0..SPIN_PAGES {
        put(base + pg * PGSIZE, mark(9, pg, 0));
    }
    say_ready(ready);
    let end = uptime() + SPIN_TICKS;
    let mut round = 0;
    while uptime() < end {
        for _ in 0..64 {
            for pg in 0..SPIN_PAGES {
                let a = base + pg * PGSIZE;
                let w = mark(9, pg, round);
                if get(a) != (w, !w) {
                    fail(format_args!(
                        "spinner: page {} does not hold what round {} stored",
                        pg, round
                    ));
                }
                put(a, mark(9, pg, round + 1));
            }
            round += 1;
        }
    }
}

/// Forks, for SPIN_TICKS ticks, child after child; each spins over
/// QUIT_PAGES pages of its own as the spinner does, for a number of rounds
/// that changes from child to child, and exits; every third is killed as
/// soon as it is forked. An evictor that finds one of them in user mode
/// stops it (asks, kicks its hart, waits for it to come off): the child
/// may leave user mode by its exit call instead, or by the kill, and its
/// slot may go to the next child while the evictor waits. Each must end
/// as it should (killed: status -1, or 0 if it finished first) and leave
/// nothing behind.
fn quitter(ready: i32) {
    say_ready(ready);
    let end = uptime() + SPIN_TICKS;
    let mut n: u64 = 0;
    while uptime() < end {
        n += 1;
        let rounds = 1 + (n * 7919) % 2000;
        let pid = spawn(|| quitchild(n, rounds));
        let killed = n.is_multiple_of(3);
        if killed && kill(pid) < 0 {
            fail("quitter: kill");
        }
        let mut st = 0;
        if wait(Some(&mut st)) != pid || !(st == 0 || killed && st == -1) {
            fail(format_args!(
                "quitter: child {} ended with status {}",
                n, st
            ));
        }
    }
    println!(
        "swaprace: the quitter's {} children ended, {} of them killed",
        n,
        n / 3
    );
}

/// One of the quitter's children: `rounds` rounds over its pages.
fn quitchild(n: u64, rounds: u64) {
    let Some(base) = grow(QUIT_PAGES) else {
        fail("quitter's child: sbrk");
    };
    for round in 0..rounds {
        if let Err(pg) = pass(base, QUIT_PAGES, 200 + n % 1000, round) {
            fail(format_args!(
                "quitter's child {}: page {} does not hold what round {} stored",
                n,
                pg,
                round - 1
            ));
        }
    }
}

/// One pass of `who` over its `pages` pages at `base`: each must hold
/// what pass `round - 1` stored (none before pass 0), then gets round's
/// mark. Fails with the first page that did not.
fn pass(base: usize, pages: usize, who: u64, round: u64) -> Result<(), usize> {
    for pg in 0..pages {
        let a = base + pg * PGSIZE;
        if round > 0 {
            let w = mark(who, pg, round - 1);
            if get(a) != (w, !w) {
                return Err(pg);
            }
        }
        put(a, mark(who, pg, round));
    }
    Ok(())
}

fn grower(pages: usize) {
    let Some(base) = grow(pages) else {
        fail(format_args!("grower: sbrk of {} pages", pages));
    };
    for round in 0..PASSES as u64 {
        if let Err(pg) = pass(base, pages, 7, round) {
            fail(format_args!("grower: page {} changed", pg));
        }
    }
}

fn main(args: ulib::Args) -> i32 {
    if args.get(1).map(|a| a.to_bytes()) == Some(b"child") {
        child();
        return 0;
    }
    ulib::meter::resident();
    let start = match swapstat() {
        Some(s) if s.slots > 0 => s,
        _ => {
            println!("swaprace: no swap disk, nothing to race");
            println!("swaprace: OK");
            return 0;
        }
    };
    let t0 = uptime();
    // Each victim and doomed process says on `ready` when its pages are
    // all marked.
    let mut ready = [0i32; 2];
    if pipe(&mut ready) < 0 {
        fail("pipe");
    }
    let mut doomed_pids = [0; DOOMED];
    for (k, d) in doomed_pids.iter_mut().enumerate() {
        *d = spawn(|| doomed(k as u64 + 50, ready[1]));
    }
    for k in 0..VICTIMS {
        spawn(|| victim(k as u64 + 1, ready[1]));
    }
    spawn(|| spinner(ready[1]));
    spawn(|| quitter(ready[1]));
    close(ready[1]);
    for _ in 0..VICTIMS + DOOMED + 2 {
        if read(ready[0], &mut [0u8]) != 1 {
            fail("a victim died before it was ready");
        }
    }
    close(ready[0]);
    // Then grow past memory: the grower's pages and the others' make
    // memory plus half the free swap disk (at most 16 MiB over).
    let now = stat();
    let over = ((now.slots - now.used) as usize / 2).min(4096);
    let g = now.free as usize + over;
    spawn(|| grower(g));
    // Kill the doomed in the middle of it.
    sleep(20);
    for &d in &doomed_pids {
        if kill(d) < 0 {
            fail("kill");
        }
    }
    for _ in 0..VICTIMS + DOOMED + 3 {
        let mut st = 0;
        let pid = wait(Some(&mut st));
        let want = if doomed_pids.contains(&pid) { -1 } else { 0 };
        if pid < 0 || st != want {
            fail(format_args!(
                "pid {} exited with {}, expected {}",
                pid, st, want
            ));
        }
    }
    let end = stat();
    println!(
        "swaprace: a grower of {} pages beside {} victims, {} doomed, a spinner and a quitter: {} pages out, {} read back, {} ticks",
        g,
        VICTIMS,
        DOOMED,
        end.outs - start.outs,
        end.ins - start.ins,
        uptime() - t0
    );
    // A killed process's orphans (none here) and zombies are gone; what
    // the others took must be back.
    if end.free as i64 - end.used as i64 != start.free as i64 - start.used as i64 {
        fail(format_args!(
            "{} free pages and {} slots in use, against {} and {} before",
            end.free, end.used, start.free, start.used
        ));
    }
    println!("swaprace: OK");
    0
}
