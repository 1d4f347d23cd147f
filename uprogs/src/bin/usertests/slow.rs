//! The slow tests: each may take a long time. Plain `usertests` runs them
//! after the quick ones; `usertests -q` skips them.

use ulib::fs::{BSIZE, MAXFILE};
use ulib::{close, exec, exit, fork, link, mkdir, open, println, sbrk, sys, unlink, wait, write};
use ulib::{O_CREATE, O_RDWR, O_TRUNC, O_WRONLY};

use crate::{brk, buf, cname, poke, text, Test};

pub static SLOWTESTS: &[Test] = &[
    Test(bigdir, "bigdir"),
    Test(manywrites, "manywrites"),
    Test(badwrite, "badwrite"),
    Test(execout, "execout"),
    Test(diskfull, "diskfull"),
    Test(outofinodes, "outofinodes"),
];

/// A directory big enough to need its indirect block.
fn bigdir(s: &str) {
    const N: usize = 500;
    let mut name = [0u8; 10];

    unlink(c"bd");

    let fd = open(c"bd", O_CREATE);
    if fd < 0 {
        println!("{}: bigdir create failed", s);
        exit(1);
    }
    close(fd);

    for i in 0..N {
        name[0] = b'x';
        name[1] = b'0' + (i / 64) as u8;
        name[2] = b'0' + (i % 64) as u8;
        name[3] = 0;
        if link(c"bd", cname(&name)) != 0 {
            println!("{}: bigdir link(bd, {}) failed", s, text(&name));
            exit(1);
        }
    }

    unlink(c"bd");
    for i in 0..N {
        name[0] = b'x';
        name[1] = b'0' + (i / 64) as u8;
        name[2] = b'0' + (i % 64) as u8;
        name[3] = 0;
        if unlink(cname(&name)) != 0 {
            ulib::print!("{}: bigdir unlink failed", s);
            exit(1);
        }
    }
}

/// Several processes writing at once, to provoke deadlocks in the disk
/// driver.
fn manywrites(s: &str) {
    let nchildren = 4;
    let howmany = 30; // raise this to hunt for deadlocks longer

    for ci in 0..nchildren {
        let pid = fork();
        if pid < 0 {
            println!("fork failed");
            exit(1);
        }

        if pid == 0 {
            let name = [b'b', b'a' + ci as u8, 0];
            unlink(cname(&name));

            let buf = buf();
            for _ in 0..howmany {
                for _ in 0..ci + 1 {
                    let fd = open(cname(&name), O_CREATE | O_RDWR);
                    if fd < 0 {
                        println!("{}: cannot create {}", s, text(&name));
                        exit(1);
                    }
                    let sz = buf.len() as i32;
                    let cc = write(fd, buf);
                    if cc != sz {
                        println!("{}: write({}) ret {}", s, sz, cc);
                        exit(1);
                    }
                    close(fd);
                }
                unlink(cname(&name));
            }

            unlink(cname(&name));
            exit(0);
        }
    }

    for _ in 0..nchildren {
        let mut st = 0;
        wait(Some(&mut st));
        if st != 0 {
            exit(st);
        }
    }
    exit(0);
}

/// A write from a bad buffer must not leave a block allocated to the file
/// that is lost when the file is deleted; if it does, the disk eventually
/// runs out of blocks. `assumed_free` must exceed the free block count.
fn badwrite(_s: &str) {
    let assumed_free = 600;

    unlink(c"junk");
    for _ in 0..assumed_free {
        let fd = open(c"junk", O_CREATE | O_WRONLY);
        if fd < 0 {
            println!("open junk failed");
            exit(1);
        }
        // SAFETY: a wild buffer on purpose; the kernel must refuse it.
        unsafe { sys::write(fd, 0xff_ffff_ffffusize as *const u8, 1) };
        close(fd);
        unlink(c"junk");
    }

    let fd = open(c"junk", O_CREATE | O_WRONLY);
    if fd < 0 {
        println!("open junk failed");
        exit(1);
    }
    if write(fd, b"x") != 1 {
        println!("write failed");
        exit(1);
    }
    close(fd);
    unlink(c"junk");

    exit(0);
}

/// exec with memory nearly exhausted: its clean-up on failure must not
/// panic the kernel.
fn execout(_s: &str) {
    for avail in 0..15 {
        let pid = fork();
        if pid < 0 {
            println!("fork failed");
            exit(1);
        } else if pid == 0 {
            // take every page there is
            loop {
                let a = brk(4096);
                if a == usize::MAX {
                    break;
                }
                // SAFETY: the last byte of the page sbrk just gave us.
                unsafe { poke(a + 4096 - 1, 1) };
            }

            // give a few back so exec can get partway
            for _ in 0..avail {
                sbrk(-4096);
            }

            close(1);
            exec(c"echo", &[c"echo", c"x"]);
            exit(0);
        } else {
            wait(None);
        }
    }

    exit(0);
}

/// Fill the disk, then check that creating files and a directory merely
/// fails when there is no block left to grow the directory.
fn diskfull(s: &str) {
    let mut fi = 0;
    let mut done = false;
    // what is written does not matter
    let buf = [0u8; BSIZE];

    unlink(c"diskfulldir");

    while !done {
        let name = [b'b', b'i', b'g', b'0' + fi as u8, 0];
        unlink(cname(&name));
        let fd = open(cname(&name), O_CREATE | O_RDWR | O_TRUNC);
        if fd < 0 {
            // out of inodes before out of blocks
            println!("{}: could not create file {}", s, text(&name));
            break;
        }
        for _ in 0..MAXFILE {
            if write(fd, &buf) != BSIZE as i32 {
                done = true;
                close(fd);
                break;
            }
        }
        close(fd);
        fi += 1;
    }

    // With no free block, growing a directory must fail without a panic;
    // one of these creates is expected to fail.
    let nzz = 128;
    for i in 0..nzz {
        let name = zz(i);
        unlink(cname(&name));
        let fd = open(cname(&name), O_CREATE | O_RDWR | O_TRUNC);
        if fd < 0 {
            break;
        }
        close(fd);
    }

    // expected to fail
    if mkdir(c"diskfulldir") == 0 {
        println!("{}: mkdir(diskfulldir) unexpectedly succeeded!", s);
    }

    unlink(c"diskfulldir");

    for i in 0..nzz {
        unlink(cname(&zz(i)));
    }

    for i in 0..fi {
        let name = [b'b', b'i', b'g', b'0' + i as u8, 0];
        unlink(cname(&name));
    }
}

/// The name "zz" followed by two characters encoding `i` in base 32.
fn zz(i: usize) -> [u8; 5] {
    [b'z', b'z', b'0' + (i / 32) as u8, b'0' + (i % 32) as u8, 0]
}

/// Create files until the inodes run out (which must simply fail), then
/// remove them all.
fn outofinodes(_s: &str) {
    let nzz = 32 * 32;
    for i in 0..nzz {
        let name = zz(i);
        unlink(cname(&name));
        let fd = open(cname(&name), O_CREATE | O_RDWR | O_TRUNC);
        if fd < 0 {
            // running out is the expected end
            break;
        }
        close(fd);
    }

    for i in 0..nzz {
        unlink(cname(&zz(i)));
    }
}

/// Fills the disk with files. Not in either list, as in xv6: running the
/// disk out of blocks used to panic in balloc, so it is only run by hand
/// in a modified build.
#[allow(dead_code)] // kept for completeness; no list runs it
pub fn fsfull() {
    let buf = buf();
    let mut fsblocks = 0;

    println!("fsfull test");

    let mut nfiles: i32 = 0;
    loop {
        let name = fname(nfiles);
        println!("writing {}", text(&name));
        let fd = open(cname(&name), O_CREATE | O_RDWR);
        if fd < 0 {
            println!("open {} failed", text(&name));
            break;
        }
        let mut total = 0;
        loop {
            let cc = write(fd, &buf[..BSIZE]);
            if cc < BSIZE as i32 {
                break;
            }
            total += cc;
            fsblocks += 1;
        }
        println!("wrote {} bytes", total);
        close(fd);
        if total == 0 {
            break;
        }
        nfiles += 1;
    }
    let _ = fsblocks;

    while nfiles >= 0 {
        unlink(cname(&fname(nfiles)));
        nfiles -= 1;
    }

    println!("fsfull test finished");
}

/// fsfull's file names: "f" and four decimal digits.
fn fname(n: i32) -> [u8; 6] {
    [
        b'f',
        b'0' + (n / 1000) as u8,
        b'0' + ((n % 1000) / 100) as u8,
        b'0' + ((n % 100) / 10) as u8,
        b'0' + (n % 10) as u8,
        0,
    ]
}
