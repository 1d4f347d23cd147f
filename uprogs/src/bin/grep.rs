//! grep: print the lines of each named file (or standard input) that match
//! a pattern. Only the `^`, `$`, `.` and `*` operators are understood.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use ulib::{close, eprint, exit, open, read, write, Args, Out, O_RDONLY};

ulib::entry!(main);

/// Bytes held at once; a line that does not fit stops the search, as in xv6.
const BUFSZ: usize = 1024;

fn grep(pattern: &[u8], fd: i32, buf: &mut [u8]) {
    // buf[..m] holds input not yet split into lines.
    let mut m = 0;
    loop {
        // One byte is kept back, where C put the terminating NUL.
        let n = read(fd, &mut buf[m..BUFSZ - 1]);
        if n <= 0 {
            break;
        }
        m += n as usize;
        let mut p = 0;
        while let Some(q) = line_end(&buf[p..m]) {
            let line = &buf[p..p + q];
            if matches(pattern, line) {
                write(1, &buf[p..p + q + 1]);
            }
            p += q + 1;
        }
        buf.copy_within(p..m, 0);
        m -= p;
    }
}

/// Offset of the newline ending the first line of `s`, if it has one. The
/// C search runs on a NUL-terminated string, so a NUL byte hides any
/// newline after it; that is kept.
fn line_end(s: &[u8]) -> Option<usize> {
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'\n' => return Some(i),
            0 => return None,
            _ => {}
        }
    }
    None
}

fn main(args: Args) {
    let Some(pattern) = args.get(1) else {
        eprint!("usage: grep pattern [file ...]\n");
        exit(1);
    };
    let pattern = pattern.to_bytes();
    // On the heap: the user stack is a single page.
    let mut buf = vec![0u8; BUFSZ];

    if args.len() <= 2 {
        grep(pattern, 0, &mut buf);
        exit(0);
    }

    for path in args.iter().skip(2) {
        let fd = open(path, O_RDONLY);
        if fd < 0 {
            Out::new(1)
                .str("grep: cannot open ")
                .bytes(path.to_bytes())
                .str("\n");
            exit(1);
        }
        grep(pattern, fd, &mut buf);
        close(fd);
    }
    exit(0);
}

// The matcher is Kernighan and Pike's (The Practice of Programming, ch. 9).
// Neither the pattern nor the text contains a NUL, so "past the end" reads
// as 0, just like the terminator the C version looks at.

fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Does `re` match anywhere in `text`?
fn matches(re: &[u8], text: &[u8]) -> bool {
    if at(re, 0) == b'^' {
        return matchhere(&re[1..], text);
    }
    // Every suffix is tried, the empty one included.
    (0..=text.len()).any(|i| matchhere(re, &text[i..]))
}

/// Does `re` match at the beginning of `text`?
fn matchhere(re: &[u8], text: &[u8]) -> bool {
    if re.is_empty() {
        return true;
    }
    if at(re, 1) == b'*' {
        return matchstar(re[0], &re[2..], text);
    }
    if re[0] == b'$' && re.len() == 1 {
        return text.is_empty();
    }
    if !text.is_empty() && (re[0] == b'.' || re[0] == text[0]) {
        return matchhere(&re[1..], &text[1..]);
    }
    false
}

/// Does `c*` followed by `re` match at the beginning of `text`?
fn matchstar(c: u8, re: &[u8], text: &[u8]) -> bool {
    let mut i = 0;
    loop {
        // Zero or more copies of c come first.
        if matchhere(re, &text[i..]) {
            return true;
        }
        if i == text.len() || !(text[i] == c || c == b'.') {
            return false;
        }
        i += 1;
    }
}
