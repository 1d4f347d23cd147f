//! forktest: fork until the kernel says no, then reap every child. The
//! program is kept tiny (plain writes, no formatting) so the limit it hits
//! is the process table rather than memory.

#![no_std]
#![no_main]

use ulib::{exit, fork, wait, write, Args};

ulib::entry!(main);

const N: i32 = 1000;

fn print(s: &str) {
    write(1, s.as_bytes());
}

fn forktest() {
    print("fork test\n");

    let mut n = 0;
    while n < N {
        let pid = fork();
        if pid < 0 {
            break;
        }
        if pid == 0 {
            exit(0);
        }
        n += 1;
    }

    if n == N {
        print("fork claimed to work N times!\n");
        exit(1);
    }

    while n > 0 {
        if wait(None) < 0 {
            print("wait stopped early\n");
            exit(1);
        }
        n -= 1;
    }

    if wait(None) != -1 {
        print("wait got too many\n");
        exit(1);
    }

    print("fork test OK\n");
}

fn main(_args: Args) {
    forktest();
    exit(0);
}
