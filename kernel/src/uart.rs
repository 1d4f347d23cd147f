//! Driver for QEMU's 16550a UART (the console's serial line).
//!
//! Output from processes goes through a small ring buffer that the UART
//! drains as it finishes each byte (transmit-complete interrupts), so a
//! writer sleeps instead of spinning when the line is busy. Kernel printing
//! uses `uartputc_sync`, which spins and works even with interrupts off.

use crate::console::consoleintr;
use crate::memlayout::UART0;
use crate::mmio::Mmio;
use crate::printf::panicked;
use crate::proc::{sleep, wakeup};
use crate::spinlock::{pop_off, push_off, Spinlock};
use volatile::VolatilePtr;

// Register offsets (see the 16550 data sheet).
const RHR: usize = 0; // receive holding
const THR: usize = 0; // transmit holding
const IER: usize = 1; // interrupt enable
const IER_RX_ENABLE: u8 = 1 << 0;
const IER_TX_ENABLE: u8 = 1 << 1;
const FCR: usize = 2; // FIFO control
const FCR_FIFO_ENABLE: u8 = 1 << 0;
const FCR_FIFO_CLEAR: u8 = 3 << 1;
const LCR: usize = 3; // line control
const LCR_EIGHT_BITS: u8 = 3;
const LCR_BAUD_LATCH: u8 = 1 << 7; // next two registers set the baud rate
const LSR: usize = 5; // line status
const LSR_RX_READY: u8 = 1 << 0;
const LSR_TX_IDLE: u8 = 1 << 5;

const UART_TX_BUF_SIZE: usize = 32;

struct TxBuf {
    buf: [u8; UART_TX_BUF_SIZE],
    /// Next slot to write (counts up forever; index modulo the size).
    w: usize,
    /// Next slot to send.
    r: usize,
}

static UART_TX: Spinlock<TxBuf> = Spinlock::new(
    "uart",
    TxBuf {
        buf: [0; UART_TX_BUF_SIZE],
        w: 0,
        r: 0,
    },
);

// SAFETY: the UART's eight byte registers, direct-mapped by kvmmake.
static UART: Mmio = unsafe { Mmio::new(UART0, 8) };

fn reg(r: usize) -> VolatilePtr<'static, u8> {
    UART.reg(r)
}

pub fn uartinit() {
    reg(IER).write(0x00);
    // 38.4K baud: divisor 3, written with the baud latch open.
    reg(LCR).write(LCR_BAUD_LATCH);
    reg(0).write(0x03);
    reg(1).write(0x00);
    reg(LCR).write(LCR_EIGHT_BITS);
    reg(FCR).write(FCR_FIFO_ENABLE | FCR_FIFO_CLEAR);
    reg(IER).write(IER_TX_ENABLE | IER_RX_ENABLE);
}

/// Queues a byte for output, sleeping while the buffer is full. For
/// `write()` to the console; never call from an interrupt handler.
pub fn uartputc(c: u8) {
    let mut tx = UART_TX.lock();
    if panicked() {
        #[allow(clippy::empty_loop)]
        loop {}
    }
    while tx.w == tx.r + UART_TX_BUF_SIZE {
        tx = sleep(&tx.r as *const usize as usize, tx);
    }
    let w = tx.w;
    tx.buf[w % UART_TX_BUF_SIZE] = c;
    tx.w += 1;
    uartstart(&mut tx);
}

/// Sends a byte by spinning on the line status; used by kernel printing
/// and to echo typed characters.
pub fn uartputc_sync(c: u8) {
    push_off();
    if panicked() {
        #[allow(clippy::empty_loop)]
        loop {}
    }
    while reg(LSR).read() & LSR_TX_IDLE == 0 {}
    reg(THR).write(c);
    pop_off();
}

/// Feeds the UART from the buffer while it can take bytes. Caller holds the lock.
fn uartstart(tx: &mut TxBuf) {
    loop {
        if tx.w == tx.r {
            return;
        }
        if reg(LSR).read() & LSR_TX_IDLE == 0 {
            // Still sending; the transmit-complete interrupt calls us again.
            return;
        }
        let c = tx.buf[tx.r % UART_TX_BUF_SIZE];
        tx.r += 1;
        // uartputc may be waiting for room.
        wakeup(&tx.r as *const usize as usize);
        reg(THR).write(c);
    }
}

fn uartgetc() -> Option<u8> {
    if reg(LSR).read() & LSR_RX_READY != 0 {
        Some(reg(RHR).read())
    } else {
        None
    }
}

/// UART interrupt: a byte arrived, or the transmitter is ready for more.
pub fn uartintr() {
    while let Some(c) = uartgetc() {
        consoleintr(c);
    }
    let mut tx = UART_TX.lock();
    uartstart(&mut tx);
}
