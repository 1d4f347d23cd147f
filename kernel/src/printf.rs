//! Kernel printing: `print!`/`println!` from any hart, serialised by a
//! lock so lines do not interleave, and the panic handler.

use crate::console::consputc;
use crate::spinlock::Spinlock;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

/// Set once a hart panics; other harts then stop in their UART output.
static PANICKED: AtomicBool = AtomicBool::new(false);
/// Cleared by panic so a panicking hart never waits on the print lock.
static LOCKING: AtomicBool = AtomicBool::new(true);
static PR: Spinlock<()> = Spinlock::new("pr", ());

pub fn panicked() -> bool {
    PANICKED.load(Ordering::Relaxed)
}

struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            consputc(b as u16);
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    if LOCKING.load(Ordering::Relaxed) {
        let _g = PR.lock();
        let _ = Console.write_fmt(args);
    } else {
        let _ = Console.write_fmt(args);
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::printf::_print(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::printf::_print(format_args!("{}\n", format_args!($($arg)*))) };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    LOCKING.store(false, Ordering::Relaxed);
    crate::println!("panic: {}", info.message());
    if let Some(loc) = info.location() {
        crate::println!("  at {}:{}", loc.file(), loc.line());
    }
    // Freeze output from the other harts.
    PANICKED.store(true, Ordering::Relaxed);
    #[allow(clippy::empty_loop)]
    loop {}
}
