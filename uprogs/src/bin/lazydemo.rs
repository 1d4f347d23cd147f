//! lazydemo: shows what lazy page allocation (docs/design.md §5) changes.
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
use ulib::meter::Meter;
use ulib::{exit, println, sbrk, uptime, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const GIB: i32 = 1 << 30;
const TOUCHES: usize = 10;

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
