//! The kernel's shared ABI: what C xv6 keeps in `param.h`, `stat.h`, `fcntl.h`,
//! `fs.h` and `syscall.h`. User programs (`ulib`), `mkfs` and the kernel itself
//! all take their numbers and layouts from here, so the three can never disagree.
//!
//! Everything here must match C xv6 bit for bit: programs compiled for the C
//! kernel run on ours, and file-system images move between the two.

#![no_std]

pub mod fcntl;
pub mod fs;
pub mod param;
pub mod stat;
pub mod syscall;

#[cfg(test)]
mod tests;
