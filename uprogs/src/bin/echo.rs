//! echo: print the arguments, separated by spaces, then a newline.

#![no_std]
#![no_main]

use ulib::{write, Args};

ulib::entry!(main);

fn main(args: Args) {
    for i in 1..args.len() {
        write(1, args.get(i).unwrap().to_bytes());
        write(1, if i + 1 < args.len() { b" " } else { b"\n" });
    }
}
