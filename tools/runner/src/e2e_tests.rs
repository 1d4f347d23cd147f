//! The whole runner against a fake QEMU: a bash script that plays the xv6 console.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::runner::{run, Config, Tally};
use crate::suites::find;

/// One test at a time: a script being written while another test forks could
/// not be executed ("text file busy").
static SERIAL: Mutex<()> = Mutex::new(());

/// Answers to the `boot` suite's commands, as xv6 prints them.
const BOOT_ARMS: &str = r#"
    'echo hello | cat') echo hello;;
    ls) printf '.              1 1 1024\n..             1 1 1024\nREADME         2 2 2305\ncat            2 3 32864\nsh             2 13 54296\nusertests      2 15 180344\nconsole        3 19 0\n';;
    'mkdir d; echo hi > d/f; cat d/f; rm d/f') echo hi;;
    badptr) printf 'usertrap(): unexpected scause 0xd pid=4\nbadptr: all ok\n';;
    'grep xv6 README | wc') echo '3 36 218 ';;
    '(echo a; echo b) > f; cat f') printf 'a\nb\n';;
    'cat f >> f2; cat f2') printf 'a\nb\n';;
"#;

/// The fake boots, echoes what is typed, answers ^P with a process list,
/// runs `arms` (bash case arms) on each line, then prints the prompt.
/// An arm can skip the prompt with `line=; continue`.
fn fake_qemu(dir: &Path, arms: &str) -> PathBuf {
    let script = format!(
        r#"#!/bin/bash
printf '%s\n' "$@" > "$(dirname "$0")/args"
printf '\nxv6 kernel is booting\n\nhart 1 starting\r\ninit: starting sh\n$ '
line=
while IFS= read -r -N 1 c; do
  case "$c" in
    $'\x10') printf '\n1 sleep  init\n2 sleep  sh\n'; continue;;
    $'\n') ;;
    *) line+=$c; continue;;
  esac
  printf '%s\n' "$line"
  case "$line" in
{arms}
    *) printf 'exec %s failed\n' "${{line%% *}}";;
  esac
  printf '$ '
  line=
done
"#
    );
    let path = dir.join("fake-qemu");
    fs::write(&path, script).unwrap();
    // chmod rather than std::os::unix's PermissionsExt: rust-analyzer reads
    // the host crates with the kernel's target, which has no `unix` (README, Editor).
    let chmod = std::process::Command::new("chmod")
        .arg("755")
        .arg(&path)
        .status();
    assert!(chmod.unwrap().success(), "chmod {}", path.display());
    path
}

struct Run {
    dir: PathBuf,
    out: String,
    tally: Tally,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn run_fake(name: &str, arms: Option<&str>, suites: &[&str], scale: f64, verbose: bool) -> Run {
    let dir = std::env::temp_dir().join(format!("tools-e2e-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("kernel"), "not a kernel").unwrap();
    fs::write(dir.join("fs.img"), "not an fs").unwrap();
    let qemu = match arms {
        Some(arms) => fake_qemu(&dir, arms).into_os_string(),
        None => dir.join("no-such-qemu").into_os_string(),
    };
    let cfg = Config {
        kernel: dir.join("kernel"),
        fs: dir.join("fs.img"),
        cpus: 3,
        label: "fake".into(),
        suites: suites.iter().map(|s| find(s).unwrap()).collect(),
        log_dir: dir.join("logs"),
        qemu,
        timeout_scale: scale,
        verbose,
        qemu_extra: Vec::new(),
        kstack_check: false,
    };
    let mut out = Vec::new();
    let tally = run(&cfg, &mut out).unwrap();
    Run {
        dir,
        out: String::from_utf8(out).unwrap(),
        tally,
    }
}

fn last_line(s: &str) -> &str {
    s.trim_end().lines().last().unwrap()
}

#[test]
fn boot_suite_passes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_fake("boot", Some(BOOT_ARMS), &["boot"], 1.0, false);
    assert_eq!(last_line(&r.out), "8 passed, 0 failed", "{}", r.out);
    assert!(r.tally.failed.is_empty());
    assert!(
        r.out.contains("[fake cpus=3] boot: ^P (procdump) ... ok ("),
        "{}",
        r.out
    );
    assert!(r
        .out
        .contains("[fake cpus=3] boot: echo hello | cat ... ok ("));
    // QEMU got the machine and a copy of the disk, removed after the pass.
    let args = fs::read_to_string(r.dir.join("args")).unwrap();
    let image = r.dir.join("logs/fake/boot.fs.img");
    assert!(
        args.contains(&format!("file={},if=none", image.display())),
        "{args}"
    );
    assert!(args.contains("-smp\n3\n"), "{args}");
    assert!(!image.exists());
    let log = fs::read_to_string(r.dir.join("logs/fake/boot.log")).unwrap();
    assert!(log.starts_with("# tools: "), "{log}");
    assert!(
        log.contains("init: starting sh\n$ \n1 sleep  init\n"),
        "{log}"
    );
    assert!(log.contains("# tools: cat f >> f2; cat f2: ok"), "{log}");
}

#[test]
fn failed_usertest_is_named() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arms = r"
    'usertests -q') printf 'usertests starting\ntest copyin: OK\ntest foo: FAILED\nSOME TESTS FAILED\n';;";
    let r = run_fake("usertests", Some(arms), &["usertests-q"], 1.0, false);
    assert_eq!(last_line(&r.out), "0 passed, 1 failed", "{}", r.out);
    assert!(r.out.contains("usertests -q ... FAILED ("), "{}", r.out);
    assert!(r.out.contains("failed tests: foo"), "{}", r.out);
    assert!(r.out.contains("failed: fake/usertests-q: usertests -q"));
    // The disk stays for a post-mortem.
    assert!(r.dir.join("logs/fake/usertests-q.fs.img").exists());
}

#[test]
fn panic_fails_and_next_suite_boots_fresh() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arms = format!(
        r"
    forktest) printf 'fork test\npanic: boom\n'; line=; continue;;
    {BOOT_ARMS}"
    );
    let r = run_fake("panic", Some(&arms), &["forktest", "boot"], 1.0, false);
    assert!(r.out.contains("forktest ... FAILED ("), "{}", r.out);
    assert!(r.out.contains("panic: boom"), "{}", r.out);
    assert_eq!(last_line(&r.out), "8 passed, 1 failed", "{}", r.out);
}

#[test]
fn timeout_fails_and_skips_the_rest() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // stressfs never finishes: its step times out (300 s * 0.005) and ls is not run.
    let arms = r"
    stressfs) printf 'stressfs starting\n'; line=; continue;;";
    let t0 = Instant::now();
    let r = run_fake("timeout", Some(arms), &["stressfs"], 0.005, false);
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert!(r.out.contains("stressfs ... FAILED ("), "{}", r.out);
    assert!(r.out.contains("timeout: no `$ ` prompt"), "{}", r.out);
    assert!(
        r.out.contains("ls ... FAILED (0.0 s): not run"),
        "{}",
        r.out
    );
    assert_eq!(last_line(&r.out), "0 passed, 2 failed", "{}", r.out);
}

#[test]
fn wrong_output_lets_later_steps_run() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arms = BOOT_ARMS.replace("echo hello;;", "echo goodbye;;");
    let r = run_fake("wrong", Some(&arms), &["boot"], 1.0, false);
    assert!(
        r.out.contains("echo hello | cat ... FAILED (") && r.out.contains("missing line \"hello\""),
        "{}",
        r.out
    );
    assert_eq!(last_line(&r.out), "7 passed, 1 failed", "{}", r.out);
}

#[test]
fn missing_qemu_fails_every_step() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_fake("noqemu", None, &["forktest"], 1.0, false);
    assert!(r.out.contains("cannot start"), "{}", r.out);
    assert_eq!(last_line(&r.out), "0 passed, 1 failed", "{}", r.out);
}

#[test]
fn qemu_exit_is_reported() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arms = r"
    forktest) echo 'qemu: fatal: something' >&2; exit 1;;";
    let r = run_fake("exit", Some(arms), &["forktest"], 1.0, false);
    assert!(
        r.out
            .contains("QEMU exited (exit status: 1: qemu: fatal: something)"),
        "{}",
        r.out
    );
    assert_eq!(last_line(&r.out), "0 passed, 1 failed", "{}", r.out);
}

#[test]
fn verbose_shows_console_lines() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let arms = r"
    forktest) printf 'fork test\nfork test OK\n';;";
    let r = run_fake("verbose", Some(arms), &["forktest"], 1.0, true);
    assert!(r.out.contains("    | init: starting sh\n"), "{}", r.out);
    assert!(
        r.out
            .contains("    | $ forktest\n    | fork test\n    | fork test OK\n"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("[fake cpus=3] forktest: forktest: ok ("),
        "{}",
        r.out
    );
    assert_eq!(last_line(&r.out), "1 passed, 0 failed", "{}", r.out);
}

/// mmaptest's output as the course's program prints it, passing.
const MMAPTEST_OK: &str = r"
    mmaptest) printf 'mmap_test starting\ntest mmap f\ntest mmap f: OK\ntest mmap private\ntest mmap private: OK\ntest mmap read-only\ntest mmap read-only: OK\ntest mmap read/write\ntest mmap read/write: OK\ntest mmap dirty\ntest mmap dirty: OK\ntest not-mapped unmap\ntest not-mapped unmap: OK\ntest mmap two files\ntest mmap two files: OK\nmmap_test: ALL OK\nfork_test starting\nfork_test OK\nmmaptest: all tests succeeded\n';;";

#[test]
fn mmaptest_suite_passes_and_fails() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_fake("mmap-ok", Some(MMAPTEST_OK), &["mmaptest"], 1.0, false);
    assert_eq!(last_line(&r.out), "1 passed, 0 failed", "{}", r.out);
    assert!(r.out.contains("mmaptest: mmaptest ... ok ("), "{}", r.out);
    // The first failure ends the program (and gets the prompt back).
    let arms = r"
    mmaptest) printf 'mmap_test starting\ntest mmap f\nmmaptest: mmap f failed: v1 mismatch (1), pid=3\n';;";
    let r = run_fake("mmap-bad", Some(arms), &["mmaptest"], 1.0, false);
    assert_eq!(last_line(&r.out), "0 passed, 1 failed", "{}", r.out);
    assert!(r.out.contains("output has \" failed: \""), "{}", r.out);
    // No success line, no failure line: the prompt alone is not a pass.
    let arms = r"
    mmaptest) printf 'mmap_test starting\nmmap_test: ALL OK\n';;";
    let r = run_fake("mmap-short", Some(arms), &["mmaptest"], 1.0, false);
    assert!(
        r.out.contains("missing \"mmaptest: all tests succeeded\""),
        "{}",
        r.out
    );
}
