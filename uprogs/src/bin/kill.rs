//! kill: ask the kernel to kill each process named by pid.

#![no_std]
#![no_main]

use ulib::{atoi, eprint, exit, kill, Args};

ulib::entry!(main);

fn main(args: Args) {
    if args.len() < 2 {
        eprint!("usage: kill pid...\n");
        exit(1);
    }
    for arg in args.iter().skip(1) {
        kill(atoi(arg.to_bytes()));
    }
    exit(0);
}
