//! cowdemo: shows what copy-on-write fork (DESIGN.md §5) changes.
//!
//! The program fills a 16 MiB heap, forks, and counts the free physical
//! pages at each step: what the fork cost, what one write by the child
//! cost, and what came back when the child exited. A copying fork pays for
//! all 4096 heap pages at once; a copy-on-write fork pays for page tables
//! and then one page per page written.
//!
//! The counting is done by a helper process forked before the heap grows
//! (see `Meter`), so neither the demo's parent nor its child is forked to
//! count, and every count costs the same.

#![no_std]
#![no_main]

use core::ptr::write_volatile;
use ulib::{close, exit, fork, pipe, println, read, sbrk, wait, write, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const HEAP: usize = 16 * 1024 * 1024;

/// Counts the free physical pages. A child takes one page at a time with
/// sbrk until it gets no more, writing a byte into each so the page really
/// exists even on a lazy kernel (where the end comes as the kernel killing
/// the child), and sends one byte per page down a pipe.
fn countfree() -> i32 {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        println!("cowdemo: pipe() failed in countfree()");
        exit(1);
    }
    let pid = fork();
    if pid < 0 {
        println!("cowdemo: fork failed in countfree()");
        exit(1);
    }
    if pid == 0 {
        close(fds[0]);
        loop {
            let a = sbrk(PGSIZE as i32);
            if a as usize == usize::MAX {
                break;
            }
            // SAFETY: sbrk just gave us this page; its last byte is ours.
            unsafe { write_volatile(a.add(PGSIZE - 1), 1) };
            if write(fds[1], b"x") != 1 {
                println!("cowdemo: write() failed in countfree()");
                exit(1);
            }
        }
        exit(0);
    }
    close(fds[1]);
    let mut n = 0;
    let mut c = [0u8; 1];
    loop {
        let cc = read(fds[0], &mut c);
        if cc < 0 {
            println!("cowdemo: read() failed in countfree()");
            exit(1);
        }
        if cc == 0 {
            break;
        }
        n += 1;
    }
    close(fds[0]);
    wait(None);
    n
}

/// Waits until child `pid` has exited (or there are no children left).
fn reap(pid: i32) {
    loop {
        let w = wait(None);
        if w == pid || w < 0 {
            return;
        }
    }
}

/// A helper process that counts free pages on request. It is forked
/// before the demo grows its memory, so the counting child it forks is
/// small and the same size every time: what the demo's own steps cost is
/// not mixed with the cost of copying the demo for each count.
struct Meter {
    pid: i32,
    req: i32,
    resp: i32,
}

impl Meter {
    fn start() -> Meter {
        let mut req = [0i32; 2];
        let mut resp = [0i32; 2];
        if pipe(&mut req) < 0 || pipe(&mut resp) < 0 {
            println!("cowdemo: pipe() failed");
            exit(1);
        }
        let pid = fork();
        if pid < 0 {
            println!("cowdemo: fork failed");
            exit(1);
        }
        if pid == 0 {
            close(req[1]);
            close(resp[0]);
            let mut c = [0u8; 1];
            while read(req[0], &mut c) == 1 && c[0] == b'?' {
                let n = countfree();
                if write(resp[1], &n.to_ne_bytes()) != 4 {
                    exit(1);
                }
            }
            exit(0);
        }
        close(req[0]);
        close(resp[1]);
        Meter {
            pid,
            req: req[1],
            resp: resp[0],
        }
    }

    /// The number of free physical pages right now.
    fn free_pages(&self) -> i32 {
        let mut n = [0u8; 4];
        if write(self.req, b"?") != 1 || read(self.resp, &mut n) != 4 {
            println!("cowdemo: the page counter failed");
            exit(1);
        }
        i32::from_ne_bytes(n)
    }

    /// Tells the helper to exit and waits for it.
    fn stop(self) {
        write(self.req, b"q");
        close(self.req);
        close(self.resp);
        reap(self.pid);
    }
}

/// Reads one byte from `fd`; exits if none comes.
fn recv(fd: i32, who: &str) -> u8 {
    let mut c = [0u8; 1];
    // The buffer is on the stack; writing it first makes sure the stack
    // page is this process's own before the counts that follow.
    // SAFETY: c is a live local.
    unsafe { write_volatile(c.as_mut_ptr(), 0) };
    if read(fd, &mut c) != 1 {
        println!("cowdemo: {}: pipe read failed", who);
        exit(1);
    }
    c[0]
}

fn send(fd: i32, c: u8, who: &str) {
    if write(fd, &[c]) != 1 {
        println!("cowdemo: {}: pipe write failed", who);
        exit(1);
    }
}

/// The forked child: waits for the word, writes one byte into one heap
/// page, reports back, and waits to be told to exit.
fn child(heap: *mut u8, go: i32, done: i32) -> ! {
    send(done, b'r', "child");
    if recv(go, "child") == b'w' {
        // SAFETY: the byte lies in the middle of the heap the parent grew
        // (and the child inherited) before the fork.
        unsafe { write_volatile(heap.add(HEAP / 2), 2) };
        send(done, b'd', "child");
        recv(go, "child");
    }
    exit(0);
}

fn main(_args: Args) {
    let meter = Meter::start();

    let heap = sbrk(HEAP as i32);
    if heap as usize == usize::MAX {
        println!("cowdemo: sbrk(16 MiB) failed");
        exit(1);
    }
    for off in (0..HEAP).step_by(PGSIZE) {
        // SAFETY: off < HEAP, inside the heap sbrk just gave us.
        unsafe { write_volatile(heap.add(off), 1) };
    }

    // Both pipes exist before the first count, so their kernel pages do
    // not show up in the differences.
    let mut go = [0i32; 2];
    let mut done = [0i32; 2];
    if pipe(&mut go) < 0 || pipe(&mut done) < 0 {
        println!("cowdemo: pipe() failed");
        exit(1);
    }

    let f0 = meter.free_pages();
    println!(
        "cowdemo: 16 MiB heap written; {} free pages before fork",
        f0
    );

    let pid = fork();
    if pid < 0 {
        println!("cowdemo: fork failed");
        exit(1);
    }
    if pid == 0 {
        close(go[1]);
        close(done[0]);
        child(heap, go[0], done[1]);
    }
    close(go[0]);
    close(done[1]);

    // The child says it is running (its stack page already its own).
    recv(done[0], "parent");
    let f1 = meter.free_pages();
    println!("pages consumed by fork of a 16 MiB process: {}", f0 - f1);

    send(go[1], b'w', "parent");
    recv(done[0], "parent");
    let f2 = meter.free_pages();
    println!("pages consumed by one write in the child: {}", f1 - f2);

    send(go[1], b'e', "parent");
    reap(pid);
    let f3 = meter.free_pages();
    println!("pages freed when the child exited: {}", f3 - f2);
    meter.stop();

    if f0 - f1 >= (HEAP / PGSIZE) as i32 {
        println!("cowdemo: fork copied the whole heap (no copy-on-write)");
    } else {
        println!("cowdemo: fork shared the heap (copy-on-write)");
    }
}
