//! oomstorm: run the machine out of memory on purpose, again and again;
//! the kernel must survive, kill (or refuse) only the processes that ask
//! for too much, and get every page back.
//!
//! - storm (three rounds): a manager process forks up to 44 children
//!   (until fork fails); each child grows its heap and writes every new
//!   page until sbrk fails (eager kernels) or the kernel kills it on a page
//!   fault (lazy kernels: sbrk always succeeds, the touch cannot be
//!   backed). The children grow while the manager is still forking, and
//!   once they have taken all they can the manager tries a dozen more
//!   forks (the process table still has room), so fork itself meets an
//!   exhausted machine and must fail cleanly or work. The survivors wait
//!   until the manager lets them go.
//! - cow: a manager grows to 5/8 of free memory, writes every page and
//!   forks a worker; both write every page again. Without copy-on-write
//!   the fork cannot fit and fails. With it, each page first written by
//!   either needs a copy, and 5/8 + 5/8 > 1: someone is killed, and that
//!   may be the manager itself. (A fixed 60 MiB would fit twice in 128 MiB.)
//!
//! Either process of a case may be killed, which is why every case runs in
//! a manager below this process, which only forks, reads and waits. Each
//! case's processes all hold the write end of an "alive" pipe; end of file
//! on it means all of them have exited. A killed manager's orphans are
//! reaped by init, possibly a moment later, so the final count of free
//! pages is retried a few times before it counts as a leak.
//! Prints `oomstorm: ... ok` per case, then `oomstorm: OK` or
//! `oomstorm: FAILED <why>`.

#![no_std]
#![no_main]

use core::ptr::write_volatile;
use ulib::meter::countfree;
use ulib::param::NPROC;
use ulib::{close, exit, fork, pipe, println, read, sbrk, sleep, wait};

ulib::entry!(main);

const PGSIZE: usize = 4096;
/// Pages a storm child asks sbrk for at a time.
const STEP_PAGES: usize = 16;
const ROUNDS: usize = 3;
/// Growing children per round: fewer than the free process slots, so
/// that the late forks below meet a full memory, not a full table.
const HOGS: usize = NPROC - 20;
/// Forks tried once the hogs have taken all they can.
const LATE_FORKS: usize = 12;

// Exit statuses a manager reports to main.
const M_OK: i32 = 0;
const M_FORK_FAILED: i32 = 3;
const M_WORKER_KILLED: i32 = 4;
const M_BAD: i32 = 5;

fn fail(why: &str) -> ! {
    println!("oomstorm: FAILED {}", why);
    exit(1)
}

fn make_pipe() -> [i32; 2] {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        fail("pipe");
    }
    fds
}

/// Blocks until every holder of `fds[1]` has closed it (or exited).
fn drain(fds: [i32; 2]) {
    close(fds[1]);
    let mut c = [0u8; 1];
    while read(fds[0], &mut c) > 0 {}
    close(fds[0]);
}

/// Stores into the first byte of every page of [p, p + pages * PGSIZE),
/// so each page really exists (or, lazily, the kernel kills us trying).
fn touch(p: *mut u8, pages: usize, v: u8) {
    touch_pages(p, 0..pages, v);
}

/// Stores `v` into the first byte of each page `i` of `pages` at `p`.
fn touch_pages(p: *mut u8, pages: impl Iterator<Item = usize>, v: u8) {
    for i in pages {
        // SAFETY: the caller's range is heap sbrk gave this process.
        unsafe { write_volatile(p.add(i * PGSIZE), v) };
    }
}

/// sbrk's failure value: C's `(char*)-1`.
fn sbrk_failed(p: *mut u8) -> bool {
    p as usize == usize::MAX
}

/// A storm child: grows and touches until sbrk says no (if the kernel
/// kills it first, this never returns).
fn hog() {
    loop {
        let p = sbrk((STEP_PAGES * PGSIZE) as i32);
        if sbrk_failed(p) {
            return;
        }
        touch(p, STEP_PAGES, 1);
    }
}

/// A storm child's life: hog, report being done by closing `grown`, then
/// wait until the manager closes `release`.
fn storm_child(grown: [i32; 2], release: [i32; 2]) -> ! {
    close(grown[0]);
    close(release[1]);
    // Break copy-on-write sharing of our stack page now, while there is
    // memory: hog keeps everything in registers, and a first stack store
    // after it would need a copy the kernel cannot make (and be killed).
    let mut c = [0u8; 1];
    // SAFETY: c is a live local.
    unsafe { write_volatile(&mut c[0], 0) };
    hog();
    close(grown[1]);
    read(release[0], &mut c);
    exit(0)
}

/// Reaps `n` children; returns how many the kernel killed, or None if
/// one exited with a status neither 0 nor -1.
fn reap_all(n: usize) -> Option<usize> {
    let mut killed = 0;
    for _ in 0..n {
        let mut st = 0;
        if wait(Some(&mut st)) < 0 {
            return None;
        }
        match st {
            0 => {}
            -1 => killed += 1,
            _ => return None,
        }
    }
    Some(killed)
}

/// One storm round, in the manager; prints what happened and returns
/// M_OK, or M_BAD if a child ended in a way it should not.
fn storm_manager(round: usize) -> i32 {
    // `grown`: children hold its write end until they are done growing.
    // `release`: only the manager holds its write end; closing it frees them.
    let grown = make_pipe();
    let release = make_pipe();
    let mut hogs = 0;
    while hogs < HOGS {
        let pid = fork();
        if pid < 0 {
            break;
        }
        if pid == 0 {
            storm_child(grown, release);
        }
        hogs += 1;
    }
    drain(grown);

    // Memory is as full as the hogs could make it (on a lazy kernel they
    // may all be dead already): fork has to fail cleanly or work.
    let mut late = 0;
    for _ in 0..LATE_FORKS {
        let pid = fork();
        if pid == 0 {
            exit(0);
        }
        if pid > 0 {
            late += 1;
        }
    }

    close(release[1]);
    let Some(killed) = reap_all(hogs + late) else {
        return M_BAD;
    };
    println!(
        "oomstorm: storm round {}: {} hogs, {} of {} late forks worked, {} children killed",
        round, hogs, late, LATE_FORKS, killed
    );
    if hogs == 0 {
        println!("oomstorm: not a single child could be forked");
        return M_BAD;
    }
    M_OK
}

/// The cow case, in the manager: returns M_OK (both survived),
/// M_FORK_FAILED, M_WORKER_KILLED or M_BAD; or is killed itself.
fn cow_manager(pages: usize) -> i32 {
    let p = sbrk((pages * PGSIZE) as i32);
    if sbrk_failed(p) {
        return M_BAD;
    }
    touch(p, pages, 1);
    let pid = fork();
    if pid < 0 {
        return M_FORK_FAILED;
    }
    if pid == 0 {
        // From the other end, so that the two mostly copy different pages
        // and the survivor of a kill goes on over pages no longer shared.
        touch_pages(p, (0..pages).rev(), 2);
        exit(0);
    }
    touch(p, pages, 3);
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        return M_BAD;
    }
    match st {
        0 => M_OK,
        -1 => M_WORKER_KILLED,
        _ => M_BAD,
    }
}

/// Runs `manager` in a child that exits with what it returns, and waits
/// for it and all its descendants; returns the manager's exit status.
fn run_managed(manager: impl FnOnce() -> i32) -> i32 {
    let alive = make_pipe();
    let pid = fork();
    if pid < 0 {
        fail("fork of the manager");
    }
    if pid == 0 {
        close(alive[0]);
        exit(manager());
    }
    drain(alive);
    let mut st = 0;
    if wait(Some(&mut st)) != pid {
        fail("wait for the manager");
    }
    st
}

/// Checks that free memory is back to `free0`, allowing init a moment to
/// reap orphans of a killed manager.
fn expect_free(free0: i32, what: &str) {
    let mut free = 0;
    for _ in 0..10 {
        free = countfree();
        if free == free0 {
            return;
        }
        sleep(5);
    }
    println!(
        "oomstorm: {}: free pages {} before, {} after",
        what, free0, free
    );
    fail("pages leaked");
}

fn main(_args: ulib::Args) {
    let free0 = countfree();
    println!("oomstorm: {} free pages", free0);

    for round in 1..=ROUNDS {
        match run_managed(|| storm_manager(round)) {
            M_OK => {}
            // Under cow the manager's own stack store after a fork may
            // need a copy the exhausted machine cannot give.
            -1 => println!("oomstorm: storm round {}: manager killed", round),
            _ => fail("a storm child ended with an unexpected status"),
        }
        expect_free(free0, "storm");
        println!("oomstorm: storm round {} ok", round);
    }

    let pages = free0 as usize / 8 * 5;
    let outcome = match run_managed(|| cow_manager(pages)) {
        -1 => "manager killed",
        M_OK => "both survived",
        M_FORK_FAILED => "fork failed (no copy-on-write)",
        M_WORKER_KILLED => "worker killed",
        _ => fail("cow manager reported a bad status"),
    };
    expect_free(free0, "cow");
    println!("oomstorm: cow {} pages twice: {} ok", pages, outcome);

    println!("oomstorm: OK");
}
