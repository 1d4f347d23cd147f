//! badptr: shows that bad pointers in system calls get -1 and that a
//! stray memory access kills only the offending process.
//!
//! Prints one line per check and `badptr: all ok` at the end, or
//! `badptr: FAILED` if any call did not fail as it should.

#![no_std]
#![no_main]

use ulib::{println, sys, wait, O_CREATE, O_RDONLY, O_RDWR};

ulib::entry!(main);

/// Kernel memory, an address past MAXVA, and an unmapped user address.
const BAD: [usize; 3] = [0x8000_0000, 0xffff_ffff_ffff_f000, 0x3f_ffff_0000];

fn check(what: &str, addr: usize, r: i32, ok: &mut bool) {
    let good = r == -1;
    *ok &= good;
    println!(
        "badptr: {}({:#x}) = {} {}",
        what,
        addr,
        r,
        if good { "ok" } else { "WRONG" }
    );
}

fn main(_args: ulib::Args) {
    let mut ok = true;
    // SAFETY: the kernel validates every pointer; none of these calls can
    // write into our own memory.
    unsafe {
        let fd = sys::open(c"badptr.tmp".as_ptr().cast(), O_CREATE | O_RDWR);
        // Reads need a file with bytes in it: at end of file read returns 0
        // without touching the buffer.
        let rfd = sys::open(c"README".as_ptr().cast(), O_RDONLY);
        for &a in &BAD {
            check("read", a, sys::read(rfd, a as *mut u8, 10), &mut ok);
            check("write", a, sys::write(fd, a as *const u8, 10), &mut ok);
            check("open", a, sys::open(a as *const u8, 0), &mut ok);
            check(
                "exec",
                a,
                sys::exec(a as *const u8, BAD.as_ptr().cast()),
                &mut ok,
            );
            check("pipe", a, sys::pipe(a as *mut i32), &mut ok);
            check("fstat", a, sys::fstat(fd, a as *mut ulib::Stat), &mut ok);
        }
        sys::close(fd);
        sys::close(rfd);
        sys::unlink(c"badptr.tmp".as_ptr().cast());
    }

    // A child that loads from an unmapped address must be killed (status -1).
    let pid = ulib::fork();
    if pid == 0 {
        // SAFETY: deliberately invalid; the kernel kills us here.
        let v = unsafe { core::ptr::read_volatile(BAD[2] as *const u8) };
        println!("badptr: child survived a bad load ({})", v);
        ulib::exit(0);
    }
    let mut status = 0;
    wait(Some(&mut status));
    let killed = status == -1;
    ok &= killed;
    println!(
        "badptr: child touching {:#x} exited with {} {}",
        BAD[2],
        status,
        if killed { "ok" } else { "WRONG" }
    );
    println!("badptr: {}", if ok { "all ok" } else { "FAILED" });
}
