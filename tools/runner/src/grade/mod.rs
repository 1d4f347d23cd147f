//! `tools grade`: the course's graders for the lazy, cow and mmap labs.
//!
//! Each lab is graded as its course grader does it (see `labs` for which
//! and `gradelib` for the rules): the same items in the same order, the
//! same points, patterns and timeouts, the `time` item, and the same
//! transcript ending in `Score: N/M`. One difference in what is typed:
//! the 2020 lazy grader's `usertests` becomes `usertests -2020`, our
//! usertests running the 2020 order its pairs are written for.

pub mod boot;
pub mod checks;
pub mod gradelib;
pub mod labs;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::qemu;
use crate::runner;

pub use gradelib::{grade, score, Booter, Console, End, Outcome, Paint};
pub use labs::{find as find_lab, Check, Item, Lab, LABS};

pub const USAGE: &str = "\
tools grade --lab lazy|cow|mmap --kernel PATH --fs PATH [--cpus N]
            [--log-dir DIR] [--time-file PATH] [--color never|always|auto]
            [--qemu PROGRAM] [--timeout-scale F] [--verbose]
  grades the kernel (built with the lab's feature) as the course's grader
  does: grade-lab-lazy of 6.S081 fall 2020, grade-lab-cow and
  grade-lab-mmap of 6.1810 fall 2022; one `== Test ... ==` line per item
  and a closing `Score: N/M`
  --log-dir DIR    DIR/LAB/ gets xv6.out (the latest boot's console) and
                   xv6.out.NAME for a boot whose item failed
                   (default target/grade-logs)
  --time-file PATH the `time` item's file (default time.txt at the
                   repository root): the hours spent on the lab
  --color          colour OK and FAIL (default: when writing to a terminal)
  --verbose        echo the console to stderr as it arrives

Exit status: 0 for full marks, 1 otherwise, 2 on bad usage.
";

/// Options of `grade`, and of `bench` which shares the parser.
#[derive(Debug, Default)]
pub(crate) struct Opts {
    pub values: Vec<(String, String)>,
    pub verbose: bool,
    pub help: bool,
}

impl Opts {
    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn cpus(&self, default: u32) -> Result<u32, String> {
        match self.get("--cpus") {
            None => Ok(default),
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=8).contains(n))
                .ok_or_else(|| format!("--cpus wants 1 to 8, not {v:?}")),
        }
    }

    pub fn timeout_scale(&self) -> Result<f64, String> {
        match self.get("--timeout-scale") {
            None => Ok(1.0),
            Some(v) => v
                .parse()
                .ok()
                .filter(|f: &f64| *f > 0.0 && f.is_finite())
                .ok_or_else(|| format!("--timeout-scale wants a positive number, not {v:?}")),
        }
    }

    pub fn qemu(&self) -> OsString {
        self.get("--qemu").unwrap_or(qemu::DEFAULT_QEMU).into()
    }

    /// A path option that must name an existing file.
    pub fn file(&self, name: &str) -> Result<PathBuf, String> {
        let p = PathBuf::from(self.get(name).ok_or(format!("{name} is required"))?);
        if !p.is_file() {
            return Err(format!("{} is not a file", p.display()));
        }
        Ok(p)
    }
}

/// Parses `--name value`, `--name=value` and the switches `--verbose`,
/// `-v`, `--help`, `-h`; `valued` lists the names that take a value.
pub(crate) fn parse_opts(args: &[String], valued: &[&str]) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--verbose" | "-v" => o.verbose = true,
            "--help" | "-h" => o.help = true,
            _ => {
                let (name, inline) = match arg.split_once('=') {
                    Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                    _ => (arg.as_str(), None),
                };
                if !valued.contains(&name) {
                    return Err(format!("unknown option {arg:?}"));
                }
                let v = inline
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| format!("{name} needs a value"))?;
                o.values.push((name.to_string(), v));
            }
        }
    }
    Ok(o)
}

/// The labs' names for messages: `lazy, cow or mmap`.
fn lab_names() -> String {
    let names: Vec<&str> = LABS.iter().map(|l| l.name).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The repository's root, where the course's students keep time.txt.
fn repo_root() -> PathBuf {
    crate::runner::workspace_root()
}

/// Where grade logs go unless told: target/grade-logs at the workspace root.
fn default_log_dir() -> PathBuf {
    runner::default_log_dir().with_file_name("grade-logs")
}

fn paint(o: &Opts) -> Result<Paint, String> {
    match o.get("--color").unwrap_or("auto") {
        "never" => Ok(Paint(false)),
        "always" => Ok(Paint(true)),
        "auto" => Ok(Paint(std::io::stdout().is_terminal())),
        v => Err(format!("--color wants never, always or auto, not {v:?}")),
    }
}

/// `tools grade ...`; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let o = parse_opts(
        args,
        &[
            "--lab",
            "--kernel",
            "--fs",
            "--cpus",
            "--log-dir",
            "--time-file",
            "--color",
            "--qemu",
            "--timeout-scale",
        ],
    )?;
    let io = |e: std::io::Error| e.to_string();
    if o.help {
        out.write_all(USAGE.as_bytes()).map_err(io)?;
        return Ok(0);
    }
    let lab_name = o
        .get("--lab")
        .ok_or_else(|| format!("--lab is required ({})", lab_names()))?;
    let lab = find_lab(lab_name).ok_or_else(|| format!("no lab {lab_name:?} ({})", lab_names()))?;
    let kernel = o.file("--kernel")?;
    let fs = o.file("--fs")?;
    let paint = paint(&o)?;
    let log_dir = o
        .get("--log-dir")
        .map_or_else(default_log_dir, PathBuf::from);
    let dir = log_dir.join(lab.name);
    let time_file = o
        .get("--time-file")
        .map_or_else(|| repo_root().join("time.txt"), PathBuf::from);
    let mut booter = boot::QemuBooter {
        fs: boot::fresh_fs(&fs, &dir)?,
        kernel,
        cpus: o.cpus(3)?,
        qemu: o.qemu(),
        timeout_scale: o.timeout_scale()?,
        dir,
        verbose: o.verbose,
    };
    writeln!(out, "# {}: {}", lab.course, booter.kernel.display()).map_err(io)?;
    let outcomes = grade(lab, &mut booter, &time_file, paint, out).map_err(io)?;
    let (got, max) = score(&outcomes);
    Ok(if got < max { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let a: Vec<String> = "--lab=cow --cpus 2 -v --qemu q"
            .split(' ')
            .map(String::from)
            .collect();
        let o = parse_opts(&a, &["--lab", "--cpus", "--qemu"]).unwrap();
        assert_eq!(o.get("--lab"), Some("cow"));
        assert_eq!(o.cpus(3), Ok(2));
        assert!(o.verbose);
        assert_eq!(o.qemu(), "q");
        assert!(parse_opts(&["--bogus".into()], &[]).is_err());
        assert!(parse_opts(&["--lab".into()], &["--lab"]).is_err());
        let o = parse_opts(&["--cpus".into(), "9".into()], &["--cpus"]).unwrap();
        assert!(o.cpus(3).is_err());
        let o = parse_opts(&["--color=sometimes".into()], &["--color"]).unwrap();
        assert!(paint(&o).is_err());
        assert_eq!(lab_names(), "lazy, cow or mmap");
        assert!(repo_root().join("Cargo.toml").is_file());
    }
}
