//! `fsck [--replay] IMAGE`: checks an xv6 file-system image. Prints one
//! line per problem and a closing summary; exit status 0 only if clean.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: fsck [--replay] IMAGE
  checks an xv6 file-system image; one line per problem, exit status 0 only
  if there is none. --replay installs a committed log first (in memory),
  as the kernel does at boot; without it such a log is reported.";

fn main() -> ExitCode {
    let mut replay = false;
    let mut image: Option<PathBuf> = None;
    for arg in std::env::args_os().skip(1) {
        match arg.to_str() {
            Some("--replay") => replay = true,
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ if image.is_none() => image = Some(arg.into()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(image) = image else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&image) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fsck: {}: {e}", image.display());
            return ExitCode::from(2);
        }
    };
    let r = mkfs::fsck::check(&bytes, replay);
    for line in &r.notes {
        println!("{line}");
    }
    for line in &r.warnings {
        println!("warning: {line}");
    }
    for line in &r.problems {
        println!("{line}");
    }
    let name = image.display();
    if r.clean() {
        println!(
            "{name}: clean ({} inodes, {} data blocks in use)",
            r.inodes, r.blocks
        );
        ExitCode::SUCCESS
    } else {
        let n = r.problems.len();
        println!("{name}: {n} problem{}", if n == 1 { "" } else { "s" });
        ExitCode::FAILURE
    }
}
