//! lazystress: the shapes of the lazy lab's sbrkbasic and sbrkfail (2020
//! usertests), in a loop, with other processes busy beside them.
//!
//! `lazystress [ROUNDS]` (default 50). Each round:
//! - sbrkbasic: a child asks for 1 GiB and stores a byte per page until it
//!   runs out of memory (killed on a lazy kernel, sbrk refused elsewhere);
//!   then the parent, right after `wait`, grows by one byte 5000 times and
//!   stores into each new byte. That must always work: the child's pages
//!   are back by the time `wait` returns.
//! - sbrkfail: ten children grow to 100 MiB and sleep; they are killed and
//!   reaped; one more asks for 1000 MiB and loads a byte per page until it
//!   is killed (under zfod loads take no pages, so it then stores a byte
//!   per page): its status must be -1.
//! - free pages (usertests' count) must be what they were before the round.
//!
//! Two background processes keep the other harts busy (one computing and
//! sleeping, one writing a small file), so the timing varies round to round.
//!
//! Ends with `lazystress: OK` or `lazystress: FAILED <why>`.

#![no_std]
#![no_main]

use core::ptr::{read_volatile, write_volatile};
use ulib::meter::countfree;
use ulib::{
    close, exit, fork, kill, open, pipe, println, read, sbrk, sleep, unlink, wait, write, Args,
    O_CREATE, O_RDWR,
};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const TOOMUCH: i32 = 1 << 30;
const BIG: usize = 100 * 1024 * 1024;

fn failed(p: *mut u8) -> bool {
    p as usize == usize::MAX
}

fn fail(why: &str, round: usize) -> ! {
    println!("lazystress: FAILED round {}: {}", round, why);
    exit(1)
}

/// A child: 1 GiB, a store per page until the kernel stops it.
fn hog_child() -> ! {
    let a = sbrk(TOOMUCH);
    if failed(a) {
        exit(0); // an eager kernel refuses: fine
    }
    let mut b = a as usize;
    while b < a as usize + TOOMUCH as usize {
        // SAFETY: inside the region sbrk just granted.
        unsafe { write_volatile(b as *mut u8, 99) };
        b += PGSIZE;
    }
    exit(1) // 1 GiB fits nowhere: the loop must not finish
}

/// sbrkbasic's shape; returns an error text on failure.
///
/// The parent's status word lives in a heap page that neither process
/// touches after the fork, as C's `xstatus` does when neither writes the
/// stack page it sits on: so `wait`'s copyout of the status is the first
/// store to that page and needs a new page (a lazy page not yet mapped, or
/// a copy of a page still shared copy-on-write), right when the child has
/// just used up all memory.
fn sbrkbasic() -> Result<(), &'static str> {
    let status_page = sbrk(PGSIZE as i32);
    if failed(status_page) {
        return Err("sbrkbasic: sbrk of the status page failed");
    }
    let pid = fork();
    if pid < 0 {
        return Err("fork failed in sbrkbasic");
    }
    if pid == 0 {
        hog_child();
    }
    let status = status_page as *mut i32;
    // SAFETY: status points into our own heap page; the kernel checks it.
    if unsafe { ulib::sys::wait(status) } != pid {
        return Err("sbrkbasic: wait failed (it needed a page for the status)");
    }
    // SAFETY: wait just stored the status there.
    let xstatus = unsafe { read_volatile(status) };
    if failed(sbrk(-(PGSIZE as i32))) {
        return Err("sbrkbasic: sbrk(-PGSIZE) failed");
    }
    if xstatus == 1 {
        return Err("sbrkbasic: too much memory allocated");
    }
    // Grow a byte at a time, storing into each new byte: each page's first
    // store faults it in on a lazy kernel, right after the child freed all.
    let mut a = sbrk(0);
    for _ in 0..5000 {
        let b = sbrk(1);
        if b != a {
            return Err("sbrkbasic: sbrk(1) returned the wrong address");
        }
        // SAFETY: b is the byte sbrk just added.
        unsafe { write_volatile(b, 1) };
        a = b.wrapping_add(1);
    }
    // Give the 5000 bytes back so rounds do not grow this process.
    if failed(sbrk(-5000)) {
        return Err("sbrkbasic: sbrk(-5000) failed");
    }
    Ok(())
}

/// sbrkfail's shape (the 2020 version).
fn sbrkfail() -> Result<(), &'static str> {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) != 0 {
        return Err("sbrkfail: pipe failed");
    }
    let mut pids = [-1i32; 10];
    for p in pids.iter_mut() {
        *p = fork();
        if *p == 0 {
            let cur = sbrk(0) as usize;
            sbrk((BIG - cur) as i32);
            write(fds[1], b"x");
            loop {
                sleep(1000);
            }
        }
        if *p != -1 {
            let mut c = [0u8; 1];
            read(fds[0], &mut c);
        }
    }
    let c = sbrk(PGSIZE as i32);
    for &p in pids.iter().filter(|&&p| p != -1) {
        kill(p);
        wait(None);
    }
    close(fds[0]);
    close(fds[1]);
    if failed(c) {
        return Err("sbrkfail: failed sbrk leaked memory");
    }
    let pid = fork();
    if pid < 0 {
        return Err("sbrkfail: fork failed");
    }
    if pid == 0 {
        let a = sbrk(0) as usize;
        sbrk(10 * BIG as i32);
        let mut n = 0u32;
        for i in (0..10 * BIG).step_by(PGSIZE) {
            // SAFETY: inside the region just asked for; on an eager
            // kernel the sbrk failed and the first load past sz kills us.
            n = n.wrapping_add(unsafe { read_volatile((a + i) as *const u8) } as u32);
        }
        // Under zfod loads of fresh heap take no pages; stores run out.
        for i in (0..10 * BIG).step_by(PGSIZE) {
            // SAFETY: as above.
            unsafe { write_volatile((a + i) as *mut u8, 1) };
        }
        println!("lazystress: allocate a lot of memory succeeded {}", n);
        exit(1);
    }
    let mut xstatus = 0;
    if wait(Some(&mut xstatus)) != pid {
        return Err("sbrkfail: wait returned another pid");
    }
    if xstatus != -1 && xstatus != 2 {
        return Err("sbrkfail: the big child did not die of its fault");
    }
    if failed(sbrk(-(PGSIZE as i32))) {
        return Err("sbrkfail: sbrk(-PGSIZE) failed");
    }
    Ok(())
}

/// Background load: keeps the other harts (and the disk) busy.
fn background(which: usize) -> i32 {
    let pid = fork();
    if pid != 0 {
        return pid;
    }
    let mut x = 0u64;
    loop {
        if which == 0 {
            for i in 0..20000u64 {
                // SAFETY: a volatile read of our own local, to keep the loop.
                x = x
                    .wrapping_mul(31)
                    .wrapping_add(unsafe { read_volatile(&i) });
            }
            sleep(1);
        } else {
            let fd = open(c"lazystress.tmp", O_CREATE | O_RDWR);
            if fd >= 0 {
                write(fd, &x.to_le_bytes());
                close(fd);
            }
            unlink(c"lazystress.tmp");
        }
    }
}

fn main(args: Args) {
    let rounds = args
        .get(1)
        .and_then(|a| a.to_str().ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(50usize);
    println!("lazystress: {} rounds", rounds);
    let load = [background(0), background(1)];
    if load.iter().any(|&p| p < 0) {
        fail("cannot fork the background load", 0);
    }
    for round in 1..=rounds {
        let free0 = countfree();
        if let Err(why) = sbrkbasic() {
            fail(why, round);
        }
        if let Err(why) = sbrkfail() {
            fail(why, round);
        }
        let free1 = countfree();
        if free1 != free0 {
            println!("lazystress: free pages {} before, {} after", free0, free1);
            fail("pages leaked", round);
        }
        if round % 10 == 0 {
            println!("lazystress: round {} ok, {} free pages", round, free1);
        }
    }
    for &p in &load {
        kill(p);
        wait(None);
    }
    println!("lazystress: OK");
}
