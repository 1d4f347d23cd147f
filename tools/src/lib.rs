//! Host tools for xv6-rs: the QEMU test runner and the lab diff.

pub mod bench;
pub mod cfgdiff;
pub mod cli;
pub mod crash;
pub mod fuzzrun;
pub mod grade;
pub mod kstack;
pub mod matcher;
pub mod qemu;
pub mod runner;
pub mod suites;

#[cfg(test)]
mod e2e_tests;
