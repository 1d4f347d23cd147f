//! ln: give an existing file a second name.

#![no_std]
#![no_main]

use ulib::{eprint, exit, link, Args, Out};

ulib::entry!(main);

fn main(args: Args) {
    let (Some(old), Some(new), 3) = (args.get(1), args.get(2), args.len()) else {
        eprint!("Usage: ln old new\n");
        exit(1);
    };
    if link(old, new) < 0 {
        Out::new(2)
            .str("link ")
            .bytes(old.to_bytes())
            .str(" ")
            .bytes(new.to_bytes())
            .str(": failed\n");
    }
    exit(0);
}
