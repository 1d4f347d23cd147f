//! cat: copy each named file (or standard input) to standard output.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use ulib::{close, eprint, exit, open, read, write, Args, Out, O_RDONLY};

ulib::entry!(main);

/// Copies `fd` to fd 1 through `buf`; a short write or a failed read ends
/// the program with status 1.
fn cat(fd: i32, buf: &mut [u8]) {
    let n = loop {
        let n = read(fd, buf);
        if n <= 0 {
            break n;
        }
        if write(1, &buf[..n as usize]) != n {
            eprint!("cat: write error\n");
            exit(1);
        }
    };
    if n < 0 {
        eprint!("cat: read error\n");
        exit(1);
    }
}

fn main(args: Args) {
    // On the heap: the user stack is a single page.
    let mut buf = vec![0u8; 512];

    if args.len() <= 1 {
        cat(0, &mut buf);
        exit(0);
    }

    for path in args.iter().skip(1) {
        let fd = open(path, O_RDONLY);
        if fd < 0 {
            Out::new(2)
                .str("cat: cannot open ")
                .bytes(path.to_bytes())
                .str("\n");
            exit(1);
        }
        cat(fd, &mut buf);
        close(fd);
    }
    exit(0);
}
