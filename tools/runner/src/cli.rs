//! Command-line parsing for `tools`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use crate::qemu;
use crate::runner::{self, Config};
use crate::suites::{self, SUITES};

pub const USAGE: &str = "\
usage: tools <command> [options]

commands:
  test       boot the kernel under QEMU and run test suites
  list       list the suites and their steps
  qemu-cmd   print the QEMU command line for an interactive session
  kstack     the kernel-stack high-water table of the test logs
  fuzz       run the fuzz program with fresh seeds for a while
             (see `tools fuzz --help`)
  grade      the course-style grader for a lab (see `tools grade --help`)
  bench      time and memory of each feature set (see `tools bench --help`)
  crash      kill xv6 mid-write, reboot, check the disk (see `tools crash --help`)
  help       show this text

tools test --kernel PATH --fs PATH --suite NAME [--suite NAME ...]
           [--cpus N] [--label NAME] [--log-dir DIR] [--qemu PROGRAM]
           [--timeout-scale F] [--verbose]
  --suite NAME       a suite to run (repeat, or separate names with commas);
                     each gets its own boot on a fresh copy of the fs image
  --cpus N           harts to give QEMU (default 3)
  --label NAME       the feature set under test, shown in progress lines and
                     naming the log subdirectory (default base)
  --log-dir DIR      logs go to DIR/LABEL/SUITE.log (default target/test-logs
                     at the workspace root)
  --qemu PROGRAM     the emulator to run (default qemu-system-riscv64)
  --timeout-scale F  multiply every timeout by F (default 1)
  --verbose          show the console output as it arrives
  --no-kstack        skip the kernel-stack check that ends each suite (for
                     kernels without it, such as the C xv6)
  --swap MB          attach a swap disk of MB MiB (kernels built with `swap`);
                     a sparse file LOG-DIR/LABEL/swap.img, made afresh

tools kstack [--log-dir DIR]
           the kernel-stack high-water table of every suite log

tools qemu-cmd --kernel PATH --fs PATH [--cpus N] [--qemu PROGRAM]

The teaching diff between lab feature sets is a program of its own:
`make diff`, or `cargo labdiff help`.

Exit status: 0 when every step passed, 1 when one failed, 2 on bad usage.
";

/// Options common to the commands, as given.
struct Opts {
    kernel: Option<PathBuf>,
    fs: Option<PathBuf>,
    cpus: u32,
    label: String,
    suites: Vec<String>,
    log_dir: Option<PathBuf>,
    qemu: OsString,
    timeout_scale: f64,
    verbose: bool,
    no_kstack: bool,
    swap_mb: Option<u64>,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        kernel: None,
        fs: None,
        cpus: 3,
        label: "base".into(),
        suites: Vec::new(),
        log_dir: None,
        qemu: qemu::DEFAULT_QEMU.into(),
        timeout_scale: 1.0,
        verbose: false,
        no_kstack: false,
        swap_mb: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--verbose" || arg == "-v" {
            o.verbose = true;
            continue;
        }
        if arg == "--no-kstack" {
            o.no_kstack = true;
            continue;
        }
        // Both `--opt value` and `--opt=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--kernel" => o.kernel = Some(value()?.into()),
            "--fs" => o.fs = Some(value()?.into()),
            "--cpus" => {
                let v = value()?;
                o.cpus = v
                    .parse()
                    .ok()
                    .filter(|&n| (1..=8).contains(&n))
                    .ok_or_else(|| format!("--cpus wants 1 to 8, not {v:?}"))?;
            }
            "--label" => o.label = value()?,
            "--suite" => o.suites.extend(
                value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            ),
            "--log-dir" => o.log_dir = Some(value()?.into()),
            "--swap" => {
                let v = value()?;
                let mb = v.parse().ok().filter(|&n| (1..=4096).contains(&n));
                o.swap_mb =
                    Some(mb.ok_or_else(|| format!("--swap wants 1 to 4096 MiB, not {v:?}"))?);
            }
            "--qemu" => o.qemu = value()?.into(),
            "--timeout-scale" => {
                let v = value()?;
                o.timeout_scale = v
                    .parse()
                    .ok()
                    .filter(|&f: &f64| f > 0.0 && f.is_finite())
                    .ok_or_else(|| format!("--timeout-scale wants a positive number, not {v:?}"))?;
            }
            _ => return Err(format!("unknown option {arg:?}")),
        }
    }
    Ok(o)
}

fn need_images(o: &Opts) -> Result<(PathBuf, PathBuf), String> {
    let kernel = o.kernel.clone().ok_or("--kernel is required")?;
    let fs = o.fs.clone().ok_or("--fs is required")?;
    for p in [&kernel, &fs] {
        if !p.is_file() {
            return Err(format!("{} is not a file", p.display()));
        }
    }
    Ok((kernel, fs))
}

fn test(o: Opts, out: &mut dyn Write) -> Result<i32, String> {
    let (kernel, fs) = need_images(&o)?;
    if o.suites.is_empty() {
        return Err("name at least one --suite (see `tools list`)".into());
    }
    let suites = o
        .suites
        .iter()
        .map(|n| suites::find(n).ok_or_else(|| format!("no suite {n:?} (see `tools list`)")))
        .collect::<Result<Vec<_>, _>>()?;
    let log_dir = o.log_dir.unwrap_or_else(runner::default_log_dir);
    // One swap disk for this run's boots: what a boot leaves there is
    // never read by the next (the kernel reads only slots it wrote).
    let qemu_extra = match o.swap_mb {
        Some(mb) => {
            let path = log_dir.join(&o.label).join("swap.img");
            qemu::make_swap(&path, mb)?;
            qemu::swap_args(&path)
        }
        None => Vec::new(),
    };
    let cfg = Config {
        kernel,
        fs,
        cpus: o.cpus,
        label: o.label,
        suites,
        log_dir,
        qemu: o.qemu,
        timeout_scale: o.timeout_scale,
        verbose: o.verbose,
        qemu_extra,
        kstack_check: !o.no_kstack,
    };
    let tally = runner::run(&cfg, out).map_err(|e| format!("i/o error: {e}"))?;
    Ok(if tally.failed.is_empty() { 0 } else { 1 })
}

fn list(out: &mut dyn Write) -> std::io::Result<()> {
    for s in SUITES {
        writeln!(out, "{:<12} {}", s.name, s.about)?;
        for step in s.steps {
            writeln!(out, "{:<12}   {}", "", step.name())?;
        }
    }
    Ok(())
}

/// Runs `tools` with these arguments; returns the exit status.
pub fn main_with(args: &[String], out: &mut dyn Write) -> i32 {
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", args),
    };
    let result = match cmd {
        "help" | "-h" | "--help" => out
            .write_all(USAGE.as_bytes())
            .map(|_| 0)
            .map_err(|e| e.to_string()),
        "list" => list(out).map(|_| 0).map_err(|e| e.to_string()),
        "test" => parse(rest).and_then(|o| test(o, out)),
        "qemu-cmd" => parse(rest).and_then(|o| {
            let (kernel, fs) = need_images(&o)?;
            let args = qemu::interactive_args(&kernel, &fs, o.cpus);
            writeln!(out, "{}", qemu::shell_line(&o.qemu, &args)).map_err(|e| e.to_string())?;
            Ok(0)
        }),
        "grade" => crate::grade::run(rest, out),
        "fuzz" => crate::fuzzrun::run(rest, out),
        "kstack" => parse(rest).and_then(|o| {
            let dir = o.log_dir.unwrap_or_else(runner::default_log_dir);
            let t = crate::kstack::table(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            out.write_all(t.as_bytes()).map_err(|e| e.to_string())?;
            Ok(0)
        }),
        "bench" => crate::bench::run(rest, out),
        "crash" => crate::crash::run(rest, out),
        _ => Err(format!("unknown command {cmd:?}")),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("tools: {msg}\n(run `tools help` for usage)");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_options() {
        let o = parse(&args(
            "--kernel k --fs=f --cpus 2 --label cow --suite boot,forktest --suite grind \
             --log-dir /tmp/l --qemu q --timeout-scale 2.5 -v",
        ))
        .unwrap();
        assert_eq!(o.kernel.unwrap(), PathBuf::from("k"));
        assert_eq!(o.fs.unwrap(), PathBuf::from("f"));
        assert_eq!(o.cpus, 2);
        assert_eq!(o.label, "cow");
        assert_eq!(o.suites, ["boot", "forktest", "grind"]);
        assert_eq!(o.log_dir.unwrap(), PathBuf::from("/tmp/l"));
        assert_eq!(o.qemu, "q");
        assert_eq!(o.timeout_scale, 2.5);
        assert!(o.verbose);
    }

    #[test]
    fn rejects_bad_usage() {
        assert!(parse(&args("--cpus 0")).is_err());
        assert!(parse(&args("--timeout-scale -1")).is_err());
        assert!(parse(&args("--suite")).is_err());
        assert!(parse(&args("--bogus")).is_err());
        let mut out = Vec::new();
        assert_eq!(main_with(&args("frobnicate"), &mut out), 2);
        assert_eq!(
            main_with(&args("test --kernel /nonexistent --fs /x"), &mut out),
            2
        );
    }

    #[test]
    fn help_and_list() {
        let mut out = Vec::new();
        assert_eq!(main_with(&[], &mut out), 0);
        assert!(String::from_utf8_lossy(&out).contains("tools test"));
        let mut out = Vec::new();
        assert_eq!(main_with(&args("list"), &mut out), 0);
        let text = String::from_utf8_lossy(&out);
        for s in SUITES {
            assert!(text.contains(s.name));
        }
    }
}
