//! The console device: line-buffered keyboard input with xv6's editing keys,
//! and output to the UART.
//!
//! Backspace / Delete erase a character, Ctrl-U the line, Ctrl-D ends input
//! (end of file), Ctrl-P prints the process list, Ctrl-T turns page-fault
//! tracing on or off (a line per user page fault: `pftrace`).

use crate::file::{devsw_set, Dev};
use crate::proc::{
    either_copyin, either_copyout, killed, myproc, procdump, sleep, wakeup, Dst, Src,
};
use crate::spinlock::Spinlock;
use crate::uart::{uartinit, uartputc, uartputc_sync};
use abi::fcntl::CONSOLE;

pub const INPUT_BUF_SIZE: usize = 128;
const BACKSPACE: u16 = 0x100;

const fn ctrl(c: u8) -> u8 {
    c - b'@'
}

struct Cons {
    buf: [u8; INPUT_BUF_SIZE],
    /// Read index: next byte consoleread hands out.
    r: usize,
    /// Write index: end of the last complete line.
    w: usize,
    /// Edit index: end of what has been typed so far.
    e: usize,
}

static CONS: Spinlock<Cons> = Spinlock::new(
    "cons",
    Cons {
        buf: [0; INPUT_BUF_SIZE],
        r: 0,
        w: 0,
        e: 0,
    },
);

/// Writes one character to the UART, synchronously. Kernel printing and
/// input echo use it; BACKSPACE overwrites the previous character.
pub fn consputc(c: u16) {
    if c == BACKSPACE {
        uartputc_sync(0x08);
        uartputc_sync(b' ');
        uartputc_sync(0x08);
    } else {
        uartputc_sync(c as u8);
    }
}

/// `write()` on the console: bytes come from user or kernel memory.
fn consolewrite(src: Src, n: usize) -> i32 {
    for i in 0..n {
        let mut c = [0u8];
        if either_copyin(&mut c, src.at(i)).is_err() {
            return i as i32;
        }
        uartputc(c[0]);
    }
    n as i32
}

/// `read()` on the console: returns at most one line, sleeping until a
/// whole line (or Ctrl-D) has been typed.
fn consoleread(mut dst: Dst, n: usize) -> i32 {
    let target = n;
    let mut n = n;
    let mut cons = CONS.lock();
    while n > 0 {
        while cons.r == cons.w {
            if killed(myproc()) {
                return -1;
            }
            // Lab swap: waiting, it holds no page but the pinned ones.
            #[cfg(feature = "swap")]
            let _quiet = crate::swap::quiet();
            cons = sleep(&cons.r as *const usize as usize, cons);
        }
        let c = cons.buf[cons.r % INPUT_BUF_SIZE];
        cons.r += 1;
        if c == ctrl(b'D') {
            // End of file. If we already have bytes, keep the ^D for the
            // next read so that one returns 0.
            if n < target {
                cons.r -= 1;
            }
            break;
        }
        if either_copyout(dst.at(target - n), &[c]).is_err() {
            // The byte stays for the next read (xv6 drops it).
            cons.r -= 1;
            break;
        }
        n -= 1;
        if c == b'\n' {
            break;
        }
    }
    (target - n) as i32
}

/// Called by the UART interrupt for each typed byte: edit the line buffer
/// and wake a reader once a line is complete.
pub fn consoleintr(c: u8) {
    let mut cons = CONS.lock();
    match c {
        c if c == ctrl(b'P') => procdump(),
        c if c == ctrl(b'T') => crate::pftrace::pftrace_toggle(),
        c if c == ctrl(b'U') => {
            while cons.e != cons.w && cons.buf[(cons.e - 1) % INPUT_BUF_SIZE] != b'\n' {
                cons.e -= 1;
                consputc(BACKSPACE);
            }
        }
        0x08 | 0x7f => {
            if cons.e != cons.w {
                cons.e -= 1;
                consputc(BACKSPACE);
            }
        }
        _ => {
            if c != 0 && cons.e - cons.r < INPUT_BUF_SIZE {
                let c = if c == b'\r' { b'\n' } else { c };
                consputc(c as u16);
                let e = cons.e;
                cons.buf[e % INPUT_BUF_SIZE] = c;
                cons.e += 1;
                if c == b'\n' || c == ctrl(b'D') || cons.e - cons.r == INPUT_BUF_SIZE {
                    cons.w = cons.e;
                    wakeup(&cons.r as *const usize as usize);
                }
            }
        }
    }
}

pub fn consoleinit() {
    uartinit();
    devsw_set(
        CONSOLE as usize,
        Dev {
            read: consoleread,
            write: consolewrite,
        },
    );
}
