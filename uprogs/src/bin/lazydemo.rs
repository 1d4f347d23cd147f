//! lazydemo: shows what lazy page allocation (DESIGN.md §5) changes.
//!
//! The program asks sbrk for 1 GiB, eight times the machine's RAM, and
//! reports how long that took and how many free physical pages it cost;
//! then it writes into 10 pages spread over the region and reports what
//! that cost; then it gives the region back and reports what came back.
//! On a kernel without the lab, sbrk(1 GiB) fails and the demo stops.
//!
//! Free pages are counted the way usertests does (see `countfree`).

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

fn main(_args: Args) {
    let free0 = countfree();
    println!("lazydemo: {} free pages at start", free0);

    let t0 = uptime();
    let p = sbrk(GIB);
    let t1 = uptime();
    if p as usize == usize::MAX {
        println!(
            "lazydemo: sbrk(1 GiB) failed after {} ticks: this kernel allocates eagerly",
            t1 - t0
        );
        exit(0);
    }
    println!("lazydemo: sbrk(1 GiB) returned in {} ticks", t1 - t0);

    let free1 = countfree();
    println!("pages consumed by sbrk(1 GiB): {}", free0 - free1);

    // One write in each tenth of the region, at a page boundary.
    let stride = (GIB as usize / TOUCHES) & !(PGSIZE - 1);
    for k in 0..TOUCHES {
        // SAFETY: k * stride < 1 GiB, so the byte lies in the region sbrk
        // just gave us.
        unsafe { write_volatile(p.add(k * stride), 1) };
    }

    let free2 = countfree();
    println!(
        "pages consumed by touching {} pages: {}",
        TOUCHES,
        free1 - free2
    );

    if sbrk(-GIB) as usize == usize::MAX {
        println!("lazydemo: sbrk(-1 GiB) failed");
        exit(1);
    }
    let free3 = countfree();
    println!("pages returned by sbrk(-1 GiB): {}", free3 - free2);
}
