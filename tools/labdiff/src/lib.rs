//! The teaching diff: the kernel's lab features (`lazy`, `cow`, `mmap`,
//! `zfod`, `demand`, `swap`) resolved away, so each configuration reads as
//! plain source.
//!
//! `resolve` turns one file into its text for a feature set; `tree` does
//! the whole kernel package and writes a buildable copy; `udiff` compares
//! two sets; `git` exports all 48 as branches; `start` writes a student's tree for a lab; `cli` is the `labdiff`
//! program. A crate of its own so that the test runner builds without a
//! Rust parser.

pub mod cli;
pub mod git;
pub mod pred;
pub mod resolve;
pub mod splice;
pub mod start;
pub mod tidy;
pub mod tree;
pub mod udiff;

pub use pred::{FeatureSet, Tri, IMPLIES, LAB_FEATURES};
pub use resolve::{resolve, ParseError, Resolved};
