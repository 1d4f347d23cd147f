//! `tools grade`: the course-style grader for the lazy, cow and mmap labs.
//!
//! Two boots through the runner, each with its log: the lab's own test
//! program, then `usertests -q`. The logs are then read item by item and
//! scored, printed the way MIT's 6.S081 grade scripts print.
//!
//! Points (ours, in the spirit of the course):
//! - lazy: "lazy: map" 20, "lazy: unmap" 20, "out of memory" 10;
//!   cow: "simple" 30, "three" 30, "file" 20;
//!   mmap (the course's items and points): "mmaptest: mmap f" 20, then
//!   10 each for "mmap private", "mmap read-only", "mmap read/write",
//!   "mmap dirty", "not-mapped unmap" and "two files", and "fork_test" 40.
//! - each usertests test is an item: 4 points for the tests that exercise
//!   what the lab changes (sbrk, faults, copyin/copyout, fork), 1 for the
//!   rest; "usertests: all tests" (ALL TESTS PASSED, no lost pages) 10.
//!   (This stands for the course's "usertests" item, which is 19 points
//!   for the whole run in the mmap lab; its 1-point "time" item, a file
//!   the student writes, has no counterpart here.)

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::matcher;
use crate::qemu;
use crate::runner::{self, Config};
use crate::suites;

pub const USAGE: &str = "\
tools grade --lab lazy|cow|mmap --kernel PATH --fs PATH [--cpus N]
            [--log-dir DIR] [--qemu PROGRAM] [--timeout-scale F] [--verbose]
  boots the kernel (built with the lab's feature) twice, for the lab's
  test program and for `usertests -q`, and prints each item with its
  points and a closing `Score: N/M`
  --log-dir DIR  logs go to DIR/LAB/SUITE.log (default target/grade-logs)
  --verbose      show the runner's progress and the console output

Exit status: 0 for full marks, 1 otherwise, 2 on bad usage.
";

/// The usertests tests in the order `usertests -q` runs them, read from
/// its source so the item list cannot drift from the program.
const QUICK_SRC: &str = include_str!("../../uprogs/src/bin/usertests/quick.rs");

/// How a lab item is decided: some line of the log ends with `text`, at
/// least `times` times (cowtest runs simple twice, three three times).
/// Trailing blanks do not count; text before it may be a kernel message
/// that landed mid-line.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub text: &'static str,
    pub times: usize,
}

#[derive(Debug)]
pub struct LabItem {
    pub name: &'static str,
    pub points: u32,
    pub check: Check,
}

#[derive(Debug)]
pub struct Lab {
    pub name: &'static str,
    /// The runner suite that runs the lab's test program.
    pub suite: &'static str,
    pub items: &'static [LabItem],
    /// usertests tests worth 4 points in this lab; the others get 1.
    pub key_tests: &'static [&'static str],
}

const fn item(name: &'static str, points: u32, text: &'static str, times: usize) -> LabItem {
    LabItem {
        name,
        points,
        check: Check { text, times },
    }
}

pub const LABS: &[Lab] = &[
    Lab {
        name: "lazy",
        suite: "lazytests",
        items: &[
            item("lazy: map", 20, "test lazy alloc: OK", 1),
            item("lazy: unmap", 20, "test lazy unmap: OK", 1),
            item("out of memory", 10, "test out of memory: OK", 1),
        ],
        key_tests: &[
            "pgbug",
            "sbrkbugs",
            "argptest",
            "sbrkmuch",
            "sbrkfail",
            "sbrkarg",
            "sbrklast",
            "sbrk8000",
            "stacktest",
            "copyin",
            "copyout",
            "copyinstr1",
            "copyinstr2",
            "copyinstr3",
            "rwsbrk",
            "truncate1",
            "truncate2",
            "truncate3",
            "reparent2",
            "badarg",
        ],
    },
    Lab {
        name: "cow",
        suite: "cowtest",
        items: &[
            item("simple", 30, "simple: ok", 2),
            item("three", 30, "three: ok", 3),
            item("file", 20, "file: ok", 1),
        ],
        key_tests: &[
            "copyin",
            "copyout",
            "forkfork",
            "forkforkfork",
            "sbrkmuch",
            "mem",
            "textwrite",
        ],
    },
    Lab {
        name: "mmap",
        suite: "mmaptest",
        items: &[
            item("mmaptest: mmap f", 20, "test mmap f: OK", 1),
            item("mmaptest: mmap private", 10, "test mmap private: OK", 1),
            item("mmaptest: mmap read-only", 10, "test mmap read-only: OK", 1),
            item(
                "mmaptest: mmap read/write",
                10,
                "test mmap read/write: OK",
                1,
            ),
            item("mmaptest: mmap dirty", 10, "test mmap dirty: OK", 1),
            item(
                "mmaptest: not-mapped unmap",
                10,
                "test not-mapped unmap: OK",
                1,
            ),
            item("mmaptest: two files", 10, "test mmap two files: OK", 1),
            item("mmaptest: fork_test", 40, "fork_test OK", 1),
        ],
        // The page-fault path (a fault outside every mapping must still
        // kill), fork and exit (mappings copied, and unmapped at exit), and
        // copyin/copyout next to lazily filled pages.
        key_tests: &[
            "copyin",
            "copyout",
            "exitwait",
            "reparent",
            "forkfork",
            "forkforkfork",
            "kernmem",
            "MAXVAplus",
            "stacktest",
            "textwrite",
            "pgbug",
            "sbrkbugs",
        ],
    },
];

/// The suite that runs `usertests -q`.
const USERTESTS: &str = "usertests-q";
const ALL_TESTS_POINTS: u32 = 10;

pub fn find_lab(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|l| l.name == name)
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

/// What an item's check is about, to find the program's failure line:
/// the text without `test ` in front and its `OK` at the end, so
/// `test mmap f: OK` is about `mmap f` (mmaptest fails with `mmaptest:
/// mmap f failed: ...`), `simple: ok` about `simple`.
fn subject(text: &str) -> &str {
    let t = text.strip_prefix("test ").unwrap_or(text);
    let t = t
        .strip_suffix("OK")
        .or_else(|| t.strip_suffix("ok"))
        .unwrap_or(t);
    match t.trim_end_matches([':', ' ']) {
        "" => text,
        s => s,
    }
}

/// The names in usertests' quick list.
pub fn quick_tests() -> Vec<&'static str> {
    let list = QUICK_SRC.split_once("QUICKTESTS").map_or("", |(_, rest)| {
        rest.split_once("];").map_or(rest, |(l, _)| l)
    });
    list.lines()
        .filter(|l| l.trim_start().starts_with("Test("))
        .filter_map(|l| l.split('"').nth(1))
        .collect()
}

/// One scored line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub name: String,
    pub points: u32,
    pub ok: bool,
    /// Why it failed, when it did.
    pub why: Option<String>,
}

/// The runner's verdict line for a step, `# tools: STEP: RESULT`.
fn runner_result<'a>(log: &'a str, step: &str) -> Option<&'a str> {
    let head = format!("# tools: {step}: ");
    log.lines()
        .filter_map(|l| l.strip_prefix(&head))
        .next_back()
}

/// The console's lines, without the runner's own `# tools:` notes.
fn console_lines(log: &str) -> impl Iterator<Item = &str> {
    log.lines().filter(|l| !l.starts_with("# tools:"))
}

/// Why something is missing from a log: the runner's failure, if any.
fn missing_why(log: &str, step: &str, what: &str) -> String {
    match runner_result(log, step) {
        Some(r) if !r.starts_with("ok") => format!("{what} not in the output; the run: {r}"),
        _ if log.is_empty() => "no log (the run did not start)".to_string(),
        _ => format!("{what} not in the output"),
    }
}

/// Scores the lab's own items from its test program's log.
pub fn score_lab_items(lab: &Lab, log: &str) -> Vec<Scored> {
    let step = suites::find(lab.suite).map_or(lab.suite, |s| s.steps[0].name());
    lab.items
        .iter()
        .map(|it| {
            let seen = console_lines(log)
                .filter(|l| l.trim_end().ends_with(it.check.text))
                .count();
            let ok = seen >= it.check.times;
            let why = (!ok).then(|| {
                // A line naming the item and saying it failed explains best.
                let word = subject(it.check.text);
                match console_lines(log)
                    .find(|l| l.contains(word) && l.to_lowercase().contains("fail"))
                {
                    Some(l) => l.trim().to_string(),
                    None if seen > 0 => format!(
                        "{:?} seen {seen} of {} times; the run: {}",
                        it.check.text,
                        it.check.times,
                        runner_result(log, step).unwrap_or("unknown")
                    ),
                    None => missing_why(log, step, &format!("{:?}", it.check.text)),
                }
            });
            Scored {
                name: it.name.to_string(),
                points: it.points,
                ok,
                why,
            }
        })
        .collect()
}

/// The outcome of each test in a usertests log, in order: true for OK.
/// A test's outcome is the first line from its `test NAME: ` on that ends
/// in OK or says FAILED (kernel messages may come in between).
pub fn usertests_outcomes(log: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut current: Option<String> = None;
    for line in console_lines(log) {
        let mut rest = line.trim_end();
        if let Some((name, after)) = rest
            .strip_prefix("test ")
            .and_then(|r| r.split_once(": "))
            .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
        {
            current = Some(name.to_string());
            rest = after.trim_end();
        } else if let Some((name, after)) = rest
            .strip_prefix("test ")
            .and_then(|r| r.split_once(':'))
            .filter(|(n, a)| !n.is_empty() && !n.contains(' ') && a.is_empty())
        {
            // `test NAME:` with the rest still to come.
            current = Some(name.to_string());
            rest = after;
        }
        let Some(name) = current.as_ref() else {
            continue;
        };
        let verdict = if rest.contains("FAILED") {
            Some(false)
        } else if rest.ends_with("OK") {
            Some(true)
        } else {
            None
        };
        if let Some(ok) = verdict {
            out.push((name.clone(), ok));
            current = None;
        }
    }
    out
}

/// Scores usertests: one item per test of the quick list, then "all tests".
pub fn score_usertests(lab: &Lab, names: &[&str], log: &str) -> Vec<Scored> {
    let step = suites::find(USERTESTS).map_or(USERTESTS, |s| s.steps[0].name());
    let outcomes = usertests_outcomes(log);
    let mut items: Vec<Scored> = names
        .iter()
        .map(|&name| {
            let got = outcomes.iter().find(|(n, _)| n == name).map(|&(_, ok)| ok);
            let why = match got {
                Some(true) => None,
                Some(false) => Some(format!("test {name}: FAILED")),
                None => Some(missing_why(
                    log,
                    step,
                    &format!("a result for `test {name}`"),
                )),
            };
            Scored {
                name: format!("usertests: {name}"),
                points: if lab.key_tests.contains(&name) { 4 } else { 1 },
                ok: got == Some(true),
                why,
            }
        })
        .collect();
    let all = console_lines(log).any(|l| l.trim_end() == "ALL TESTS PASSED");
    let why = (!all).then(|| {
        match console_lines(log)
            .find(|l| l.starts_with("FAILED --") || l.contains("SOME TESTS FAILED"))
        {
            Some(l) => l.trim().to_string(),
            None => missing_why(log, step, "\"ALL TESTS PASSED\""),
        }
    });
    items.push(Scored {
        name: "usertests: all tests".into(),
        points: ALL_TESTS_POINTS,
        ok: all,
        why,
    });
    items
}

/// Prints items as `  NAME: OK` with points on the right; reasons below.
pub fn write_items(items: &[Scored], out: &mut dyn Write) -> std::io::Result<()> {
    for it in items {
        let head = format!("  {}: {}", it.name, if it.ok { "OK" } else { "FAIL" });
        let got = if it.ok { it.points } else { 0 };
        writeln!(out, "{head:<52} {got:>3}/{}", it.points)?;
        if let Some(why) = &it.why {
            writeln!(out, "      {why}")?;
        }
    }
    Ok(())
}

/// (points earned, points possible).
pub fn score(items: &[Scored]) -> (u32, u32) {
    items.iter().fold((0, 0), |(got, max), it| {
        (got + if it.ok { it.points } else { 0 }, max + it.points)
    })
}

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

/// Where grade logs go unless told: target/grade-logs at the workspace root.
fn default_log_dir() -> PathBuf {
    runner::default_log_dir().with_file_name("grade-logs")
}

/// Runs one suite in its own boot; returns its log text and wall time.
fn run_suite(
    cfg: &mut Config,
    suite: &'static suites::Suite,
    out: &mut dyn Write,
) -> Result<(String, f64), String> {
    let log_path = cfg
        .log_dir
        .join(&cfg.label)
        .join(format!("{}.log", suite.name));
    // A log left by an earlier run must not be graded.
    let _ = fs::remove_file(&log_path);
    cfg.suites = vec![suite];
    let t0 = Instant::now();
    let mut sink = Vec::new();
    let progress: &mut dyn Write = if cfg.verbose { &mut *out } else { &mut sink };
    runner::run(cfg, progress).map_err(|e| format!("i/o error: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let log = fs::read(&log_path)
        .map(|b| matcher::normalize(&b))
        .unwrap_or_default();
    Ok((log, secs))
}

fn lab_suites(lab: &Lab) -> Result<(&'static suites::Suite, &'static suites::Suite), String> {
    let find = |n: &str| suites::find(n).ok_or_else(|| format!("no suite {n:?}"));
    Ok((find(lab.suite)?, find(USERTESTS)?))
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
            "--qemu",
            "--timeout-scale",
        ],
    )?;
    if o.help {
        out.write_all(USAGE.as_bytes()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    let lab_name = o
        .get("--lab")
        .ok_or_else(|| format!("--lab is required ({})", lab_names()))?;
    let lab = find_lab(lab_name).ok_or_else(|| format!("no lab {lab_name:?} ({})", lab_names()))?;
    let mut cfg = Config {
        kernel: o.file("--kernel")?,
        fs: o.file("--fs")?,
        cpus: o.cpus(3)?,
        label: lab.name.to_string(),
        suites: Vec::new(),
        log_dir: o
            .get("--log-dir")
            .map_or_else(default_log_dir, PathBuf::from),
        qemu: o.qemu(),
        timeout_scale: o.timeout_scale()?,
        verbose: o.verbose,
        qemu_extra: Vec::new(),
        kstack_check: false,
    };
    let (lab_suite, usertests) = lab_suites(lab)?;
    let names = quick_tests();
    let io = |e: std::io::Error| e.to_string();

    writeln!(out, "== Test running {} ==", lab_suite.steps[0].name()).map_err(io)?;
    out.flush().map_err(io)?;
    let (log, secs) = run_suite(&mut cfg, lab_suite, out)?;
    writeln!(out, "({secs:.1}s)").map_err(io)?;
    let mut items = score_lab_items(lab, &log);
    write_items(&items, out).map_err(io)?;

    writeln!(out, "== Test {} ==", usertests.steps[0].name()).map_err(io)?;
    out.flush().map_err(io)?;
    let (log, secs) = run_suite(&mut cfg, usertests, out)?;
    writeln!(out, "({secs:.1}s)").map_err(io)?;
    let user_items = score_usertests(lab, &names, &log);
    write_items(&user_items, out).map_err(io)?;
    items.extend(user_items);

    let (got, max) = score(&items);
    writeln!(out, "Score: {got}/{max}").map_err(io)?;
    let logs = cfg.log_dir.join(&cfg.label);
    if got < max {
        writeln!(out, "logs: {}", logs.display()).map_err(io)?;
    }
    Ok(if got == max { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_list_read_from_usertests() {
        let names = quick_tests();
        assert!(names.len() >= 50, "{names:?}");
        assert_eq!(names[0], "copyin");
        assert!(names.contains(&"MAXVAplus"));
        assert_eq!(*names.last().unwrap(), "badarg");
        for lab in LABS {
            for t in lab.key_tests {
                assert!(names.contains(t), "{}: {t} is not a quick test", lab.name);
            }
        }
    }

    #[test]
    fn labs_name_real_suites_and_subjects() {
        assert_eq!(lab_names(), "lazy, cow or mmap");
        for lab in LABS {
            assert!(suites::find(lab.suite).is_some(), "{}", lab.suite);
            for it in lab.items {
                assert!(it.points > 0 && it.check.times > 0);
                assert!(!subject(it.check.text).is_empty());
            }
        }
        assert_eq!(subject("test mmap f: OK"), "mmap f");
        assert_eq!(subject("test not-mapped unmap: OK"), "not-mapped unmap");
        assert_eq!(subject("fork_test OK"), "fork_test");
        assert_eq!(subject("test lazy alloc: OK"), "lazy alloc");
        assert_eq!(subject("simple: ok"), "simple");
        assert_eq!(subject("OK"), "OK");
    }

    #[test]
    fn outcomes_survive_kernel_messages() {
        let log = "usertests starting\ntest copyin: OK\n\
            test sbrkfail: usertrap(): unexpected scause 0xd pid=9\n\
            \x20           sepc=0x1 stval=0x2\nOK\n\
            test textwrite: \nOK\n\
            test pgbug: FAILED\nSOME TESTS FAILED\n";
        assert_eq!(
            usertests_outcomes(log),
            [
                ("copyin".to_string(), true),
                ("sbrkfail".to_string(), true),
                ("textwrite".to_string(), true),
                ("pgbug".to_string(), false),
            ]
        );
    }

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
    }
}
