//! lazydemo: shows what lazy page allocation (DESIGN.md §5) changes.
//!
//! The program asks sbrk for 1 GiB, eight times the machine's RAM, and
//! reports how long that took and how many free physical pages it cost;
//! then it writes into 10 pages spread over the region and reports what
//! that cost; then it gives the region back and reports what came back.
//! On a kernel without the lab, sbrk(1 GiB) fails and the demo stops.
//!
//! Free pages are counted the way usertests does (see `countfree`), by a
//! helper process that does not share the demo's memory (see `Meter`).

#![no_std]
#![no_main]

use core::ptr::write_volatile;
use ulib::{close, exit, fork, pipe, println, read, sbrk, uptime, wait, write, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const GIB: i32 = 1 << 30;
const TOUCHES: usize = 10;

/// Counts the free physical pages. A child takes one page at a time with
/// sbrk until it gets no more, writing a byte into each so the page really
/// exists even on a lazy kernel (where the end comes as the kernel killing
/// the child), and sends one byte per page down a pipe.
fn countfree() -> i32 {
    let mut fds = [0i32; 2];
    if pipe(&mut fds) < 0 {
        println!("lazydemo: pipe() failed in countfree()");
        exit(1);
    }
    let pid = fork();
    if pid < 0 {
        println!("lazydemo: fork failed in countfree()");
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
                println!("lazydemo: write() failed in countfree()");
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
            println!("lazydemo: read() failed in countfree()");
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
            println!("lazydemo: pipe() failed");
            exit(1);
        }
        let pid = fork();
        if pid < 0 {
            println!("lazydemo: fork failed");
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
            println!("lazydemo: the page counter failed");
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

fn main(_args: Args) {
    let meter = Meter::start();
    let free0 = meter.free_pages();
    println!("lazydemo: {} free pages at start", free0);

    let t0 = uptime();
    let p = sbrk(GIB);
    let t1 = uptime();
    if p as usize == usize::MAX {
        println!(
            "lazydemo: sbrk(1 GiB) failed after {} ticks: this kernel allocates eagerly",
            t1 - t0
        );
        meter.stop();
        exit(0);
    }
    println!("lazydemo: sbrk(1 GiB) returned in {} ticks", t1 - t0);

    let free1 = meter.free_pages();
    println!("pages consumed by sbrk(1 GiB): {}", free0 - free1);

    // One write every 16 pages near the start of the region: all ten land
    // in the first 2 MiB, where the page-table pages already exist, so
    // only the data pages themselves are new.
    let stride = 16 * PGSIZE;
    for k in 0..TOUCHES {
        // SAFETY: k * stride < 1 GiB, so the byte lies in the region sbrk
        // just gave us.
        unsafe { write_volatile(p.add(k * stride), 1) };
    }

    let free2 = meter.free_pages();
    println!(
        "pages consumed by touching {} pages: {}",
        TOUCHES,
        free1 - free2
    );

    if sbrk(-GIB) as usize == usize::MAX {
        println!("lazydemo: sbrk(-1 GiB) failed");
        exit(1);
    }
    let free3 = meter.free_pages();
    println!("pages returned by sbrk(-1 GiB): {}", free3 - free2);
    meter.stop();
}
