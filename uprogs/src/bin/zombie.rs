//! zombie: leaves a child that exits before its parent, so the child must
//! be handed over to init when the parent exits.

#![no_std]
#![no_main]

use ulib::{exit, fork, sleep, Args};

ulib::entry!(main);

fn main(_args: Args) {
    if fork() > 0 {
        // Give the child time to exit first.
        sleep(5);
    }
    exit(0);
}
