//! `labdiff start`: the cow lab's starting tree is a git repository that
//! builds (kernel, user programs, fs.img, the runner) with its own
//! Makefile, and whose `make grade` runs the grader on the tree's kernel.
//! QEMU is not run: a stand-in (`true`) exits at once, so every boot
//! fails and the score is 0/110, the expected result for a starting tree.
//! What a real grade gives is in docs/labs.md ("Doing a lab").

use std::fs;
use std::process::Command;

mod common;
use common::{root, run_ok};

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

#[test]
fn cow_starting_tree_builds_and_grades() {
    if !have("git") || !have("make") {
        eprintln!("no git or make: skipped");
        return;
    }
    // Under target/, at a fixed place, so the next run reuses the build of
    // the dependencies (a first run takes a minute or two).
    let base = root().join("target/lab-start-test");
    let dir = base.join("cow");
    let target = base.join("target");
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_labdiff"))
            .args(["start", "--force", "--out"])
            .arg(&dir)
            .arg("--root")
            .arg(root())
            .arg("cow"),
    );
    let mut top: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        [
            ".cargo",
            ".gdbinit.tmpl",
            ".git",
            ".gitignore",
            "Cargo.lock",
            "Cargo.toml",
            "Makefile",
            "README.md",
            "gdb",
            "kernel",
            "mkfs",
            "rust-toolchain.toml",
            "tools",
            "ulib",
            "uprogs"
        ]
    );
    let read = |p: &str| fs::read_to_string(dir.join(p)).unwrap();
    // The kernel is base's: no trace of the solution.
    assert!(!read("kernel/src/vm.rs").contains("uvmcowcopy"));
    assert!(!read("kernel/src/kalloc.rs").contains("krefinc"));
    assert!(!dir.join("tools/labdiff").exists());
    assert!(dir.join("uprogs/src/bin/cowtest.rs").is_file());
    assert!(read("Makefile").contains("\nLAB := cow\n"));
    assert!(read("README.md").contains("Score: 110/110"));
    let git = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&git.stdout), "");

    let release = target.join("riscv64gc-unknown-none-elf/release");
    let grade = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .arg("-s")
        .arg("grade")
        .arg(format!("OUT={}", release.display()))
        .arg(format!(
            "GRADEFLAGS=--qemu true --color never --log-dir {}",
            base.join("grade-logs").display()
        ))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&grade.stdout);
    let err = String::from_utf8_lossy(&grade.stderr);
    assert!(release.join("kernel").is_file(), "{said}\n{err}");
    assert!(dir.join("fs.img").is_file(), "{said}\n{err}");
    // The grader ran on this tree's kernel, every item failed.
    assert!(
        said.contains(&format!(
            "# grade-lab-cow, 6.1810 fall 2022: {}",
            release.join("kernel").display()
        )),
        "{said}\n{err}"
    );
    assert!(said.contains("== Test running cowtest =="), "{said}");
    assert!(said.contains("Score: 0/110"), "{said}");
    assert_eq!(grade.status.code(), Some(2), "{said}\n{err}");
}
