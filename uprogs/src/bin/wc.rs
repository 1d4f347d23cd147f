//! wc: count lines, words and bytes of each named file (or standard input).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use ulib::{close, exit, open, print, read, Args, Out, O_RDONLY};

ulib::entry!(main);

/// Bytes that separate words. NUL is not among them: xv6's `strchr` never
/// matches the terminator, so a NUL byte counts as part of a word.
const SEPARATORS: &[u8] = b" \r\t\n\x0b";

fn wc(fd: i32, name: &[u8], buf: &mut [u8]) {
    // C ints: they wrap rather than trap on absurdly long input.
    let (mut l, mut w, mut c) = (0i32, 0i32, 0i32);
    let mut inword = false;

    let n = loop {
        let n = read(fd, buf);
        if n <= 0 {
            break n;
        }
        for &b in &buf[..n as usize] {
            c = c.wrapping_add(1);
            if b == b'\n' {
                l = l.wrapping_add(1);
            }
            if SEPARATORS.contains(&b) {
                inword = false;
            } else if !inword {
                w = w.wrapping_add(1);
                inword = true;
            }
        }
    };
    if n < 0 {
        print!("wc: read error\n");
        exit(1);
    }
    Out::new(1)
        .fmt(format_args!("{l} {w} {c} "))
        .bytes(name)
        .str("\n");
}

fn main(args: Args) {
    // On the heap: the user stack is a single page.
    let mut buf = vec![0u8; 512];

    if args.len() <= 1 {
        wc(0, b"", &mut buf);
        exit(0);
    }

    for path in args.iter().skip(1) {
        let fd = open(path, O_RDONLY);
        if fd < 0 {
            Out::new(1)
                .str("wc: cannot open ")
                .bytes(path.to_bytes())
                .str("\n");
            exit(1);
        }
        wc(fd, path.to_bytes(), &mut buf);
        close(fd);
    }
    exit(0);
}
