//! `mkfs fs.img file...`: writes an xv6 file-system image holding `file...`
//! in its root directory.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    match mkfs::run(&args) {
        Ok(r) => {
            // Same report lines as xv6's mkfs, which scripts may look for.
            println!("{}", r.layout.summary());
            println!("balloc: first {} blocks have been allocated", r.used);
            println!("balloc: write bitmap block at sector {}", r.bmapstart);
            ExitCode::SUCCESS
        }
        Err(mkfs::Error::Usage) => {
            eprintln!("{}", mkfs::Error::Usage);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("mkfs: {e}");
            ExitCode::FAILURE
        }
    }
}
