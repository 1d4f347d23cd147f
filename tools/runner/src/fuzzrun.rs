//! `tools fuzz`: runs the `fuzz` program for a while with fresh seeds.
//!
//! Each seed gets a boot of its own on a fresh copy of fs.img, so any
//! failure replays exactly with `fuzz SEED N` on a fresh boot. The first
//! seed is printed (taken from the clock unless given); the next ones
//! count up from it.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::grade::parse_opts;
use crate::runner::{self, Config};
use crate::suites::{Pat, Step, Suite};

pub const USAGE: &str = "\
tools fuzz --kernel PATH --fs PATH [--minutes M] [--seed S] [--calls N]
           [--cpus N] [--label NAME] [--qemu PROGRAM]
  runs `fuzz SEED N` (default N 4000) with seeds S, S+1, ... (S from the
  clock by default), one boot each, until M minutes (default 10) are up;
  exit status 0 only if every run printed `fuzz: OK`.
";

/// A suite of one step, `fuzz SEED CALLS`, built at run time.
fn suite(seed: u64, calls: u64) -> &'static Suite {
    let line: &'static str = Box::leak(format!("fuzz {seed} {calls}").into_boxed_str());
    let step = Step::cmd(line)
        .expect(&[Pat::Line("fuzz: OK")])
        .forbid(&["fuzz: FAILED"])
        .timeout(600);
    Box::leak(Box::new(Suite {
        name: "fuzz",
        about: "fuzz with one seed",
        steps: Box::leak(Box::new([step])),
    }))
}

pub fn run(args: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let o = parse_opts(
        args,
        &[
            "--kernel",
            "--fs",
            "--minutes",
            "--seed",
            "--calls",
            "--cpus",
            "--label",
            "--qemu",
        ],
    )?;
    if o.help {
        out.write_all(USAGE.as_bytes()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    let num = |name: &str, default: u64| -> Result<u64, String> {
        o.get(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| format!("{name} wants a number, not {v:?}"))
        })
    };
    let clock_seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() % 1_000_000);
    let first = num("--seed", clock_seed)?;
    let calls = num("--calls", 4000)?;
    let minutes = num("--minutes", 10)?;
    let label = o.get("--label").unwrap_or("base").to_string();
    let io = |e: std::io::Error| e.to_string();
    writeln!(
        out,
        "[{label}] fuzz: first seed {first}, {calls} calls a run, {minutes} minutes"
    )
    .map_err(io)?;
    let end = Instant::now() + Duration::from_secs(minutes * 60);
    let (mut seed, mut runs, mut failed) = (first, 0, Vec::new());
    while Instant::now() < end {
        let cfg = Config {
            kernel: o.file("--kernel")?,
            fs: o.file("--fs")?,
            cpus: o.cpus(3)?,
            label: label.clone(),
            suites: vec![suite(seed, calls)],
            log_dir: runner::default_log_dir()
                .with_file_name("fuzz-logs")
                .join(format!("seed-{seed}")),
            qemu: o.qemu(),
            timeout_scale: 1.0,
            verbose: false,
            qemu_extra: Vec::new(),
            kstack_check: true,
        };
        let tally = runner::run(&cfg, out).map_err(io)?;
        runs += 1;
        if !tally.failed.is_empty() {
            failed.push(seed);
        }
        seed += 1;
    }
    let logs: PathBuf = runner::default_log_dir().with_file_name("fuzz-logs");
    writeln!(
        out,
        "[{label}] fuzz: {runs} runs (seeds {first}..{}), {} failed{}; logs in {}",
        seed.saturating_sub(1),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" (seeds {failed:?})")
        },
        logs.display()
    )
    .map_err(io)?;
    Ok(if failed.is_empty() { 0 } else { 1 })
}
