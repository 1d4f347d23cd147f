//! Host tools for xv6-rs: the QEMU test runner, grader, bench, fuzz and
//! crash drivers. The lab diff is a crate of its own (tools/labdiff), so
//! these build without its Rust parser.

pub mod bench;
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
