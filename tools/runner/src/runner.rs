//! Runs suites: one fresh boot and fs copy per suite, one progress line per step.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::kstack;
use crate::matcher::{self, Clock, Verdict};
use crate::qemu::{self, Chunk, Qemu, Recv};
use crate::suites::{Input, Step, Suite, Until};

/// Seconds allowed from starting QEMU to the shell's first prompt.
pub const BOOT_TIMEOUT: u64 = 60;

pub struct Config {
    pub kernel: PathBuf,
    pub fs: PathBuf,
    pub cpus: u32,
    /// The feature set under test; names the log subdirectory.
    pub label: String,
    pub suites: Vec<&'static Suite>,
    /// Logs go to `<log_dir>/<label>/<suite>.log`.
    pub log_dir: PathBuf,
    pub qemu: OsString,
    /// Multiplies every timeout (not the fixed run time of `Run` steps).
    pub timeout_scale: f64,
    /// Show each console line as it arrives.
    pub verbose: bool,
    /// More QEMU options, after the usual ones (bench adds `-icount`).
    pub qemu_extra: Vec<OsString>,
    /// End every suite by asking the kernel (^P) for its deepest
    /// kernel-stack use and failing above the limit (see `kstack`).
    pub kstack_check: bool,
}

#[derive(Debug, Default)]
pub struct Tally {
    pub passed: usize,
    pub failed: Vec<String>,
}

/// The workspace root: this package is tools/runner in it.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).unwrap_or(here).to_path_buf()
}

/// `target/test-logs` at the workspace root.
pub fn default_log_dir() -> PathBuf {
    workspace_root().join("target").join("test-logs")
}

/// Runs every suite in turn and prints the closing `N passed, N failed` line.
pub fn run(cfg: &Config, out: &mut dyn Write) -> io::Result<Tally> {
    let mut tally = Tally::default();
    for suite in &cfg.suites {
        run_suite(cfg, suite, out, &mut tally)?;
    }
    for name in &tally.failed {
        writeln!(out, "failed: {name}")?;
    }
    writeln!(
        out,
        "{} passed, {} failed",
        tally.passed,
        tally.failed.len()
    )?;
    out.flush()?;
    Ok(tally)
}

/// A label is used as a directory name.
fn dir_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._,+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}

fn scaled(secs: u64, scale: f64) -> Duration {
    Duration::from_secs_f64(secs as f64 * scale)
}

/// One booted kernel: QEMU, its log, and what the console printed.
struct Session {
    qemu: Qemu,
    log: File,
    stderr: String,
    verbose: bool,
    /// The end of the last line shown so far, still without its newline.
    unshown: String,
}

impl Session {
    fn take(&mut self, chunk: Chunk, text: &mut String) -> io::Result<()> {
        match chunk {
            Chunk::Console(bytes) => {
                self.log.write_all(&bytes)?;
                text.push_str(&matcher::normalize(&bytes));
            }
            Chunk::Stderr(bytes) => {
                self.log.write_all(b"\n[qemu stderr] ")?;
                self.log.write_all(&bytes)?;
                self.stderr.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        Ok(())
    }

    fn exited(&mut self) -> String {
        let status = self.qemu.exit_status();
        match self.stderr.trim() {
            "" => status,
            err => format!("{status}: {}", err.lines().next().unwrap_or(err)),
        }
    }

    /// Feeds console text to `judge` until it decides.
    fn watch(
        &mut self,
        out: &mut dyn Write,
        deadline: Instant,
        judge: impl Fn(&str, &Clock) -> Verdict,
    ) -> io::Result<Verdict> {
        let mut text = String::new();
        let mut shown = 0;
        loop {
            let clock = match self.qemu.recv(deadline) {
                Recv::Chunk(chunk) => {
                    self.take(chunk, &mut text)?;
                    // Judge a burst of output once, not byte by byte.
                    while let Some(more) = self.qemu.try_recv() {
                        self.take(more, &mut text)?;
                    }
                    Clock::Running
                }
                Recv::Timeout => Clock::Deadline,
                Recv::Closed => Clock::Exited(self.exited()),
            };
            if self.verbose {
                if let Some(end) = text.rfind('\n').filter(|&e| e >= shown) {
                    let lines = std::mem::take(&mut self.unshown) + &text[shown..end];
                    for line in lines.split('\n') {
                        writeln!(out, "    | {line}")?;
                    }
                    shown = end + 1;
                    out.flush()?;
                }
            }
            let verdict = judge(&text, &clock);
            if verdict != Verdict::Pending {
                self.unshown += &text[shown..];
                return Ok(verdict);
            }
            if clock != Clock::Running {
                return Ok(Verdict::Fail("no verdict at the end".into()));
            }
        }
    }
}

fn start(cfg: &Config, image: &Path, log_path: &Path) -> Result<Session, String> {
    fs::copy(&cfg.fs, image).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            cfg.fs.display(),
            image.display()
        )
    })?;
    let mut args = qemu::runner_args(&cfg.kernel, image, cfg.cpus);
    args.extend(cfg.qemu_extra.iter().cloned());
    let mut log =
        File::create(log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let _ = writeln!(log, "# tools: {}", qemu::shell_line(&cfg.qemu, &args));
    let qemu = Qemu::spawn(&cfg.qemu, &args)
        .map_err(|e| format!("cannot start {}: {e}", cfg.qemu.to_string_lossy()))?;
    Ok(Session {
        qemu,
        log,
        stderr: String::new(),
        verbose: cfg.verbose,
        unshown: String::new(),
    })
}

/// Sends a step's input and waits for its verdict.
fn run_step(
    cfg: &Config,
    session: &mut Session,
    step: &Step,
    out: &mut dyn Write,
) -> io::Result<Verdict> {
    let bytes = match step.input {
        Input::Line(line) => format!("{line}\n").into_bytes(),
        Input::Raw(bytes, _) => bytes.to_vec(),
    };
    if let Err(e) = session.qemu.send(&bytes) {
        return Ok(Verdict::Fail(format!("cannot type on the console: {e}")));
    }
    let wait = match step.until {
        Until::Run(secs) => Duration::from_secs(secs),
        _ => scaled(step.timeout, cfg.timeout_scale),
    };
    session.watch(out, Instant::now() + wait, |text, clock| {
        matcher::judge(step, text, clock)
    })
}

fn run_suite(
    cfg: &Config,
    suite: &Suite,
    out: &mut dyn Write,
    tally: &mut Tally,
) -> io::Result<()> {
    let dir = cfg.log_dir.join(dir_name(&cfg.label));
    fs::create_dir_all(&dir)?;
    let log_path = dir.join(format!("{}.log", suite.name));
    let image = dir.join(format!("{}.fs.img", suite.name));

    let mut session = None;
    // Set once the console is unusable; later steps are then not run.
    let mut broken: Option<String> = None;
    let mut all_passed = true;
    for (i, step) in suite.steps.iter().enumerate() {
        let head = format!(
            "[{} cpus={}] {}: {}",
            cfg.label,
            cfg.cpus,
            suite.name,
            step.name()
        );
        // With --verbose, console lines follow the head and the result repeats it.
        if cfg.verbose {
            writeln!(out, "{head} ...")?;
        } else {
            write!(out, "{head} ... ")?;
        }
        out.flush()?;
        let t0 = Instant::now();
        let verdict = if let Some(why) = &broken {
            Verdict::Fail(format!("not run ({why})"))
        } else if i == 0 {
            match start(cfg, &image, &log_path) {
                Err(e) => Verdict::Fail(e),
                Ok(mut s) => {
                    let deadline = Instant::now() + scaled(BOOT_TIMEOUT, cfg.timeout_scale);
                    let boot = s.watch(out, deadline, matcher::judge_boot)?;
                    let verdict = if boot == Verdict::Pass {
                        run_step(cfg, &mut s, step, out)?
                    } else {
                        boot
                    };
                    session = Some(s);
                    verdict
                }
            }
        } else {
            let s = session.as_mut().expect("session started by the first step");
            run_step(cfg, s, step, out)?
        };

        if cfg.verbose {
            write!(out, "{head}: ")?;
        }
        let took = seconds(t0.elapsed());
        let result = match &verdict {
            Verdict::Pass => format!("ok ({took})"),
            Verdict::Wrong(why) | Verdict::Fail(why) => format!("FAILED ({took}): {why}"),
            Verdict::Pending => unreachable!("watch always decides"),
        };
        writeln!(out, "{result}")?;
        if let Some(s) = session.as_mut() {
            let _ = writeln!(s.log, "\n# tools: {}: {result}", step.name());
        }
        tally_step(tally, verdict == Verdict::Pass, cfg, suite, step.name());
        if verdict != Verdict::Pass {
            if all_passed {
                writeln!(out, "    log: {}", log_path.display())?;
            }
            all_passed = false;
            if matches!(verdict, Verdict::Fail(_)) && broken.is_none() {
                broken = Some(format!("`{}` failed", step.name()));
            }
        }
        out.flush()?;
    }
    if cfg.kstack_check && broken.is_none() {
        if let Some(s) = session.as_mut() {
            let head = format!(
                "[{} cpus={}] {}: kernel stack",
                cfg.label, cfg.cpus, suite.name
            );
            let ok = kstack_step(cfg, s, &head, out)?;
            tally_step(tally, ok, cfg, suite, "kernel stack");
            all_passed &= ok;
        }
    }
    // Dropping the session kills QEMU; keep the disk image only when something failed.
    drop(session);
    if all_passed {
        let _ = fs::remove_file(&image);
    }
    Ok(())
}

/// Asks the kernel for its kernel-stack high-water mark (^P) and checks it.
fn kstack_step(cfg: &Config, s: &mut Session, head: &str, out: &mut dyn Write) -> io::Result<bool> {
    write!(out, "{head} ... ")?;
    out.flush()?;
    let t0 = Instant::now();
    let found = std::cell::RefCell::new(None);
    let verdict = if let Err(e) = s.qemu.send(b"\x10") {
        Verdict::Fail(format!("cannot type on the console: {e}"))
    } else {
        let deadline = Instant::now() + scaled(30, cfg.timeout_scale);
        s.watch(out, deadline, |text, clock| match kstack::parse(text) {
            Some(k) => {
                *found.borrow_mut() = Some(k);
                Verdict::Pass
            }
            None => match clock {
                Clock::Running => Verdict::Pending,
                _ => Verdict::Fail("no `kstack:` line after ^P".into()),
            },
        })?
    };
    let took = seconds(t0.elapsed());
    let (ok, result) = match (verdict, found.into_inner()) {
        (Verdict::Pass, Some(k)) if !k.too_deep() => {
            (true, format!("ok ({took}): {}", kstack::describe(&k)))
        }
        (Verdict::Pass, Some(k)) => (
            false,
            format!("FAILED ({took}): too deep: {}", kstack::describe(&k)),
        ),
        (v, _) => (false, format!("FAILED ({took}): {v:?}")),
    };
    writeln!(out, "{result}")?;
    let _ = writeln!(s.log, "\n# tools: kernel stack: {result}");
    Ok(ok)
}

fn tally_step(tally: &mut Tally, ok: bool, cfg: &Config, suite: &Suite, step: &str) {
    if ok {
        tally.passed += 1;
    } else {
        tally
            .failed
            .push(format!("{}/{}: {}", cfg.label, suite.name, step));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(dir_name("lazy,cow"), "lazy,cow");
        assert_eq!(dir_name("lazy,cow,mmap"), "lazy,cow,mmap");
        assert_eq!(dir_name("cow-mmap+x"), "cow-mmap+x");
        assert_eq!(dir_name("a b/c"), "a_b_c");
        assert_eq!(seconds(Duration::from_millis(2340)), "2.3 s");
        assert_eq!(seconds(Duration::from_secs(312)), "312 s");
        assert!(default_log_dir().ends_with("target/test-logs"));
    }
}
