//! echo: print the arguments, separated by spaces, then a newline.

#![no_std]
#![no_main]

use ulib::{exit, write, Args};

ulib::entry!(main);

fn main(args: Args) {
    let n = args.len();
    for (i, arg) in args.iter().enumerate().skip(1) {
        // One write per word and one per separator, as the C echo does.
        write(1, arg.to_bytes());
        write(1, if i + 1 < n { b" " } else { b"\n" });
    }
    exit(0);
}
