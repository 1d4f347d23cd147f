//! cowdemo: shows what copy-on-write fork (docs/design.md §5) changes.
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
use ulib::meter::{reap, Meter};
use ulib::{close, exit, fork, pipe, println, read, sbrk, write, Args};

ulib::entry!(main);

const PGSIZE: usize = 4096;
const HEAP: usize = 16 * 1024 * 1024;

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
