//! deepfs: the file system's deepest kernel paths, for the kernel-stack
//! high-water check: the longest paths MAXPATH allows through many
//! directory levels (namex walking them), creates and links at the
//! bottom, and exec with MAXARG arguments from there.
//!
//! Ends with `deepfs: OK` or `deepfs: FAILED <why>`.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use ulib::param::{MAXARG, MAXPATH};
use ulib::{
    chdir, close, exec, exit, fork, link, mkdir, open, println, read, unlink, wait, write, Args,
    CStr, O_CREATE, O_RDONLY, O_RDWR,
};

ulib::entry!(main);

/// Directory levels: 8 names of 13 bytes plus slashes stay under MAXPATH.
const LEVELS: usize = 8;
const NAME: &[u8; 13] = b"dddddddddddd0";

fn fail(why: &str) -> ! {
    println!("deepfs: FAILED {}", why);
    exit(1)
}

/// `level` names joined by '/', then `tail`, NUL-terminated.
fn path(level: usize, tail: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    for i in 0..level {
        let mut n = *NAME;
        n[12] = b'0' + i as u8;
        p.extend_from_slice(&n);
        p.push(b'/');
    }
    p.extend_from_slice(tail);
    p.push(0);
    p
}

fn cstr(v: &[u8]) -> &CStr {
    CStr::from_bytes_with_nul(v).unwrap_or_else(|_| fail("bad path"))
}

fn main(_args: Args) {
    // Build the tree one level at a time, each mkdir naming the full path.
    for level in 1..=LEVELS {
        let mut p = path(level, b"");
        p.pop(); // the trailing NUL
        p.pop(); // the trailing '/'
        p.push(0);
        if mkdir(cstr(&p)) < 0 {
            fail("mkdir");
        }
    }
    let file = path(LEVELS, b"f");
    if file.len() >= MAXPATH {
        fail("path longer than MAXPATH");
    }
    let fd = open(cstr(&file), O_CREATE | O_RDWR);
    if fd < 0 || write(fd, b"deep") != 4 {
        fail("create at the bottom");
    }
    close(fd);
    // A link whose both names are long paths: two namex walks in one call.
    let other = path(LEVELS, b"g");
    if link(cstr(&file), cstr(&other)) < 0 {
        fail("link");
    }
    let fd = open(cstr(&other), O_RDONLY);
    let mut buf = [0u8; 4];
    if fd < 0 || read(fd, &mut buf) != 4 || &buf != b"deep" {
        fail("read through the link");
    }
    close(fd);

    // exec with MAXARG arguments, started from the bottom directory with a
    // path that climbs all the way back up.
    let pid = fork();
    if pid == 0 {
        if chdir(cstr(&path(LEVELS, b"."))) < 0 {
            fail("chdir");
        }
        let mut up = Vec::new();
        for _ in 0..LEVELS {
            up.extend_from_slice(b"../");
        }
        up.extend_from_slice(b"echo\0");
        let arg = c"argument-for-the-deepest-exec";
        let mut argv: Vec<&CStr> = Vec::new();
        argv.push(cstr(&up));
        while argv.len() < MAXARG - 1 {
            argv.push(arg);
        }
        exec(cstr(&up), &argv);
        fail("exec with MAXARG arguments");
    }
    let mut st = 0;
    if wait(Some(&mut st)) != pid || st != 0 {
        fail("the exec child");
    }

    // Clean up from the bottom.
    if unlink(cstr(&other)) < 0 || unlink(cstr(&file)) < 0 {
        fail("unlink");
    }
    for level in (1..=LEVELS).rev() {
        let mut p = path(level, b"");
        p.pop();
        p.pop();
        p.push(0);
        if unlink(cstr(&p)) < 0 {
            fail("unlink dir");
        }
    }
    println!("deepfs: OK");
}
