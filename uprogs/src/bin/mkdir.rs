//! mkdir: create directories, stopping at the first failure.

#![no_std]
#![no_main]

use ulib::{eprint, exit, mkdir, Args, Out};

ulib::entry!(main);

fn main(args: Args) {
    if args.len() < 2 {
        eprint!("Usage: mkdir files...\n");
        exit(1);
    }
    for path in args.iter().skip(1) {
        if mkdir(path) < 0 {
            Out::new(2)
                .str("mkdir: ")
                .bytes(path.to_bytes())
                .str(" failed to create\n");
            break;
        }
    }
    // A failure is reported but, as in xv6, does not change the status.
    exit(0);
}
