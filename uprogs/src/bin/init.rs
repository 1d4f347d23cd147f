//! init: the first user program. Sets up the console as fds 0, 1 and 2,
//! then keeps a shell running, reaping any orphans handed to it meanwhile.

#![no_std]
#![no_main]

use ulib::fcntl::CONSOLE;
use ulib::{dup, exec, exit, fork, mknod, open, println, wait, Args, O_RDWR};

ulib::entry!(main);

fn main(_args: Args) {
    // On a fresh disk the console device node does not exist yet.
    if open(c"console", O_RDWR) < 0 {
        mknod(c"console", CONSOLE, 0);
        open(c"console", O_RDWR);
    }
    dup(0); // standard output
    dup(0); // standard error

    loop {
        println!("init: starting sh");
        let pid = fork();
        if pid < 0 {
            println!("init: fork failed");
            exit(1);
        }
        if pid == 0 {
            exec(c"sh", &[c"sh"]);
            println!("init: exec sh failed");
            exit(1);
        }

        // Every orphan in the system becomes our child, so wait also
        // returns for those; only the shell's own exit means restart.
        loop {
            let wpid = wait(None);
            if wpid == pid {
                break;
            } else if wpid < 0 {
                println!("init: wait returned an error");
                exit(1);
            }
        }
    }
}
