//! The `tools` binary against a fake QEMU: exit status and closing line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// One test at a time, so no script is executed while another is being written.
static SERIAL: Mutex<()> = Mutex::new(());

/// A fake xv6 console: boots, echoes each line, runs forktest as
/// `forktest_does` says, and answers ^P with a kernel-stack line using
/// `kstack_bytes` of 8192.
fn setup(name: &str, forktest_does: &str) -> PathBuf {
    setup_kstack(name, forktest_does, 1000)
}

fn setup_kstack(name: &str, forktest_does: &str, kstack_bytes: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tools-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("kernel"), "k").unwrap();
    fs::write(dir.join("fs.img"), "f").unwrap();
    let script = format!(
        r#"#!/bin/bash
printf 'xv6 kernel is booting\ninit: starting sh\n$ '
line=
while IFS= read -r -n1 -d '' c; do
  case "$c" in
    $'\x10') printf '\n1 sleep  init\nkstack: deepest use {kstack_bytes} of 8192 bytes (%d%%) by forktest\n' $(({kstack_bytes} * 100 / 8192));;
    $'\n')
      printf '%s\n' "$line"
      case "$line" in
        forktest) {forktest_does};;
      esac
      line=
      printf '$ ';;
    *) line="$line$c";;
  esac
done
"#
    );
    let qemu = dir.join("qemu");
    fs::write(&qemu, script).unwrap();
    // chmod rather than std::os::unix's PermissionsExt: rust-analyzer reads
    // the host crates with the kernel's target, which has no `unix` (README, Editor).
    let chmod = Command::new("chmod").arg("755").arg(&qemu).status();
    assert!(chmod.unwrap().success(), "chmod {}", qemu.display());
    dir
}

fn run_tools(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tools"))
        .arg("test")
        .arg("--kernel")
        .arg(dir.join("kernel"))
        .arg("--fs")
        .arg(dir.join("fs.img"))
        .args([
            "--suite",
            "forktest",
            "--label",
            "cli",
            "--timeout-scale",
            "0.05",
        ])
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .arg("--qemu")
        .arg(dir.join("qemu"))
        .output()
        .unwrap()
}

fn last_line(out: &Output) -> String {
    let s = String::from_utf8_lossy(&out.stdout);
    s.trim_end().lines().last().unwrap_or("").to_string()
}

#[test]
fn passing_run_exits_zero() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("pass", "printf 'fork test\\nfork test OK\\n'");
    let out = run_tools(&dir);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(last_line(&out), "2 passed, 0 failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("kernel stack ... ok") && stdout.contains("1000 of 8192 bytes (12%"),
        "{stdout}"
    );
    assert!(dir.join("logs/cli/forktest.log").is_file());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn too_deep_a_kernel_stack_fails() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup_kstack("deep", "printf 'fork test\\nfork test OK\\n'", 7000);
    let out = run_tools(&dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(last_line(&out), "1 passed, 1 failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kernel stack ... FAILED"), "{stdout}");
    assert!(
        stdout.contains("too deep: 7000 of 8192 bytes (85%, limit 75%)"),
        "{stdout}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn panic_exits_nonzero() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = setup("panic", "printf 'panic: boom\\n'; exec sleep 30");
    let out = run_tools(&dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kernel \"panic: boom\""), "{stdout}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn timeout_exits_nonzero() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 120 s * 0.05 = 6 s with no pass string.
    let dir = setup("timeout", "printf 'fork test\\n'; exec sleep 30");
    let out = run_tools(&dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
    assert!(String::from_utf8_lossy(&out.stdout).contains("timeout"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_usage_exits_two() {
    let out = Command::new(env!("CARGO_BIN_EXE_tools"))
        .args(["test", "--suite", "boot"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kernel is required"));
}
