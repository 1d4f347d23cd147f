//! stressfs: five processes each write and then read back their own file
//! at the same time, to shake out races in the disk driver.

#![no_std]
#![no_main]

use ulib::{close, exit, fork, open, println, read, wait, write, Args, O_CREATE, O_RDONLY, O_RDWR};

ulib::entry!(main);

fn main(_args: Args) {
    let mut path = *b"stressfs0\0";
    let mut data = [0u8; 512];

    println!("stressfs starting");
    data.fill(b'a');

    // Each process forks the next and stops; i ends up different in each.
    let mut i = 0;
    while i < 4 {
        if fork() > 0 {
            break;
        }
        i += 1;
    }

    println!("write {}", i);

    path[8] += i as u8;
    let name = core::ffi::CStr::from_bytes_with_nul(&path).unwrap_or(c"stressfs0");
    let fd = open(name, O_CREATE | O_RDWR);
    for _ in 0..20 {
        write(fd, &data);
    }
    close(fd);

    println!("read");

    let fd = open(name, O_RDONLY);
    for _ in 0..20 {
        read(fd, &mut data);
    }
    close(fd);

    wait(None);

    exit(0);
}
