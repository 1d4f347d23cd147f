//! The grader's scoring on console logs, passing and failing.

use tools::grade::{find_lab, quick_tests, score, score_lab_items, score_usertests, write_items};

const LAZY_OK: &str = "# tools: qemu-system-riscv64 ...\n\
xv6 kernel is booting\n\ninit: starting sh\n$ lazytests\n\
lazytests starting\nrunning test lazy alloc\ntest lazy alloc: OK\n\
running test lazy unmap\nusertrap(): unexpected scause 0xf pid=5\n\
\x20           sepc=0x9c stval=0x1000\n\
test lazy unmap: OK\nrunning test out of memory\n\
usertrap(): unexpected scause 0xf pid=70\n\
\x20           sepc=0x2a stval=0x7ff000\n\
test out of memory: OK\nALL TESTS PASSED\n$ \n\
# tools: lazytests: ok (3.2 s)\n";

const COW_OK: &str = "$ cowtest\nsimple: ok\nsimple: ok\nthree: ok\nthree: ok\n\
three: ok\nfile: ok\nALL COW TESTS PASSED\n$ \n# tools: cowtest: ok (9.7 s)\n";

/// A usertests -q log: every quick test OK, or up to `fail` which fails.
fn usertests_log(fail: Option<&str>) -> String {
    let mut s = String::from("$ usertests -q\nusertests starting\n");
    for name in quick_tests() {
        if Some(name) == fail {
            s += &format!("test {name}: {name}: oops\nFAILED\nSOME TESTS FAILED\n$ \n");
            s += "# tools: usertests -q: ok (60 s)\n";
            return s;
        }
        if name == "sbrkfail" {
            // A killed child's report lands between the name and the OK.
            s += "test sbrkfail: usertrap(): unexpected scause 0xd pid=9\n\
                  \x20           sepc=0x1 stval=0x2\nOK\n";
        } else {
            s += &format!("test {name}: OK\n");
        }
    }
    s + "ALL TESTS PASSED\n$ \n# tools: usertests -q: ok (61 s)\n"
}

fn table(items: &[tools::grade::Scored]) -> String {
    let mut out = Vec::new();
    write_items(items, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn lazy_all_pass() {
    let lab = find_lab("lazy").unwrap();
    let names = quick_tests();
    let mut items = score_lab_items(lab, LAZY_OK);
    items.extend(score_usertests(lab, &names, &usertests_log(None)));
    assert_eq!(items.len(), 3 + names.len() + 1);
    assert!(items.iter().all(|i| i.ok), "{items:?}");
    let (got, max) = score(&items);
    assert_eq!(got, max);
    // 50 for the lab's items, 4 or 1 per test, 10 for all tests.
    let keys = lab.key_tests.len() as u32;
    assert_eq!(max, 50 + 4 * keys + (names.len() as u32 - keys) + 10);
    let t = table(&items);
    assert!(t.contains("  lazy: map: OK"), "{t}");
    assert!(t
        .lines()
        .any(|l| l.starts_with("  lazy: unmap: OK") && l.ends_with(" 20/20")));
    assert!(t
        .lines()
        .any(|l| l.starts_with("  usertests: sbrkfail: OK") && l.ends_with(" 4/4")));
    assert!(t
        .lines()
        .any(|l| l.starts_with("  usertests: iput: OK") && l.ends_with(" 1/1")));
    assert!(t
        .lines()
        .any(|l| l.starts_with("  usertests: all tests: OK") && l.ends_with(" 10/10")));
}

#[test]
fn lazy_with_failures() {
    let lab = find_lab("lazy").unwrap();
    let names = quick_tests();
    let log = LAZY_OK.replace("test lazy unmap: OK", "test lazy unmap: FAILED");
    let mut items = score_lab_items(lab, &log);
    let fail_at = names.iter().position(|&n| n == "sbrkmuch").unwrap();
    items.extend(score_usertests(
        lab,
        &names,
        &usertests_log(Some("sbrkmuch")),
    ));
    let failed: Vec<&str> = items
        .iter()
        .filter(|i| !i.ok)
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(failed[0], "lazy: unmap");
    assert_eq!(failed[1], "usertests: sbrkmuch");
    assert_eq!(*failed.last().unwrap(), "usertests: all tests");
    // The failing test and every test after it, and all tests.
    assert_eq!(failed.len(), 1 + (names.len() - fail_at) + 1);
    let t = table(&items);
    assert!(t.contains("  lazy: unmap: FAIL"), "{t}");
    assert!(t.contains("      test lazy unmap: FAILED\n"), "{t}");
    assert!(t.contains("      test sbrkmuch: FAILED\n"), "{t}");
    assert!(t.contains("      SOME TESTS FAILED\n"), "{t}");
    assert!(
        t.contains("a result for `test badarg` not in the output"),
        "{t}"
    );
    let (got, max) = score(&items);
    let lost: u32 = items.iter().filter(|i| !i.ok).map(|i| i.points).sum();
    assert_eq!(got, max - lost);
    assert!(lost >= 20 + 4 + 10);
}

#[test]
fn panic_and_missing_log_explain_themselves() {
    let lab = find_lab("cow").unwrap();
    let names = quick_tests();
    let log = "$ usertests -q\nusertests starting\ntest copyin: OK\ntest copyout: \n\
        panic: uvmcopy\n\n# tools: usertests -q: FAILED (3 s): kernel \"panic: uvmcopy\"\n";
    let items = score_usertests(lab, &names, log);
    assert!(items[0].ok);
    assert!(!items[1].ok);
    let why = items[1].why.as_deref().unwrap();
    assert!(why.contains("panic: uvmcopy"), "{why}");
    // No log at all: every item fails, saying so.
    let items = score_lab_items(lab, "");
    assert!(items.iter().all(|i| !i.ok));
    assert!(items[0].why.as_deref().unwrap().contains("no log"));
}

#[test]
fn cow_items() {
    let lab = find_lab("cow").unwrap();
    let items = score_lab_items(lab, COW_OK);
    assert!(items.iter().all(|i| i.ok));
    assert_eq!(score(&items), (80, 80));
    // The third run of `three` did not print ok.
    let log = COW_OK.replacen("three: ok\nfile", "three: fork failed\nfile", 1);
    let items = score_lab_items(lab, &log);
    let three = items.iter().find(|i| i.name == "three").unwrap();
    assert!(!three.ok);
    assert_eq!(three.why.as_deref(), Some("three: fork failed"));
    assert_eq!(score(&items), (50, 80));
    // copyin is one of the tests this lab leans on.
    let names = quick_tests();
    let u = score_usertests(lab, &names, &usertests_log(None));
    let copyin = u.iter().find(|i| i.name == "usertests: copyin").unwrap();
    assert_eq!(copyin.points, 4);
}

/// mmaptest passing, as the course's program prints it (a killed child's
/// report in between, as the read-only test may give).
const MMAP_OK: &str = "$ mmaptest\nmmap_test starting\ntest mmap f\ntest mmap f: OK\n\
test mmap private\ntest mmap private: OK\ntest mmap read-only\ntest mmap read-only: OK\n\
test mmap read/write\ntest mmap read/write: OK\ntest mmap dirty\ntest mmap dirty: OK\n\
test not-mapped unmap\ntest not-mapped unmap: OK\ntest mmap two files\n\
test mmap two files: OK\nmmap_test: ALL OK\nfork_test starting\n\
usertrap(): unexpected scause 0xd pid=6\n\x20           sepc=0x6e stval=0x0\n\
fork_test OK\nmmaptest: all tests succeeded\n$ \n# tools: mmaptest: ok (4.1 s)\n";

#[test]
fn mmap_all_pass() {
    let lab = find_lab("mmap").unwrap();
    let items = score_lab_items(lab, MMAP_OK);
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|i| i.ok), "{items:?}");
    // The course's points for mmaptest's items.
    assert_eq!(score(&items), (120, 120));
    let t = table(&items);
    for (name, points) in [
        ("mmaptest: mmap f", 20),
        ("mmaptest: mmap private", 10),
        ("mmaptest: mmap read-only", 10),
        ("mmaptest: mmap read/write", 10),
        ("mmaptest: mmap dirty", 10),
        ("mmaptest: not-mapped unmap", 10),
        ("mmaptest: two files", 10),
        ("mmaptest: fork_test", 40),
    ] {
        let want = format!(" {points}/{points}");
        assert!(
            t.lines()
                .any(|l| l.starts_with(&format!("  {name}: OK")) && l.ends_with(&want)),
            "{name}: {t}"
        );
    }
    // Then usertests as for every lab; fork is one this lab leans on.
    let names = quick_tests();
    let mut all = items;
    all.extend(score_usertests(lab, &names, &usertests_log(None)));
    let (got, max) = score(&all);
    assert_eq!(got, max);
    let keys = lab.key_tests.len() as u32;
    assert_eq!(max, 120 + 4 * keys + (names.len() as u32 - keys) + 10);
    let fork = all
        .iter()
        .find(|i| i.name == "usertests: forkforkfork")
        .unwrap();
    assert_eq!(fork.points, 4);
}

#[test]
fn mmap_first_failure_explains_the_rest() {
    let lab = find_lab("mmap").unwrap();
    // mmaptest stops at its first failure: dirty fails, nothing after runs.
    let cut = MMAP_OK.find("test mmap dirty: OK").unwrap();
    let log = format!(
        "{}mmaptest: mmap dirty failed: file does not contain modifications, pid=3\n$ \n\
         # tools: mmaptest: FAILED (2.0 s): output has \" failed: \"\n",
        &MMAP_OK[..cut]
    );
    let items = score_lab_items(lab, &log);
    let failed: Vec<&str> = items
        .iter()
        .filter(|i| !i.ok)
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "mmaptest: mmap dirty",
            "mmaptest: not-mapped unmap",
            "mmaptest: two files",
            "mmaptest: fork_test"
        ]
    );
    assert_eq!(score(&items), (50, 120));
    let t = table(&items);
    assert!(
        t.contains(
            "      mmaptest: mmap dirty failed: file does not contain modifications, pid=3\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("\"fork_test OK\" not in the output; the run: FAILED (2.0 s)"),
        "{t}"
    );
    // fork_test's own failure line is found too.
    let log = MMAP_OK.replace(
        "fork_test OK\n",
        "mmaptest: fork_test failed: v1 mismatch (2), pid=7\n",
    );
    let items = score_lab_items(lab, &log);
    let fork = items.iter().find(|i| !i.ok).unwrap();
    assert_eq!(fork.name, "mmaptest: fork_test");
    assert_eq!(
        fork.why.as_deref(),
        Some("mmaptest: fork_test failed: v1 mismatch (2), pid=7")
    );
    assert_eq!(score(&items), (80, 120));
}

/// `tools grade --lab mmap` end to end, against a fake QEMU that plays
/// mmaptest and `usertests -q` passing.
#[test]
fn grade_mmap_end_to_end() {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    let dir = std::env::temp_dir().join(format!("tools-grade-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("kernel"), "k").unwrap();
    fs::write(dir.join("fs.img"), "f").unwrap();
    // The console text after the command's echo, up to the next prompt.
    let body = |log: &str, cmd: &str| {
        let start = log.find(&format!("$ {cmd}\n")).unwrap() + cmd.len() + 3;
        let end = log[start..].find("$ ").unwrap() + start;
        fs::write(dir.join(cmd.replace(' ', "_")), &log[start..end]).unwrap();
    };
    body(MMAP_OK, "mmaptest");
    body(&usertests_log(None), "usertests -q");
    let script = r#"#!/bin/bash
d=$(dirname "$0")
printf 'xv6 kernel is booting\ninit: starting sh\n$ '
line=
while IFS= read -r -n1 -d '' c; do
  case "$c" in
    $'\n')
      printf '%s\n' "$line"
      [ -n "$line" ] && [ -f "$d/${line// /_}" ] && cat "$d/${line// /_}"
      line=
      printf '$ ';;
    *) line="$line$c";;
  esac
done
"#;
    let qemu = dir.join("qemu");
    fs::write(&qemu, script).unwrap();
    fs::set_permissions(&qemu, fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tools"))
        .args(["grade", "--lab", "mmap", "--cpus", "1"])
        .arg("--kernel")
        .arg(dir.join("kernel"))
        .arg("--fs")
        .arg(dir.join("fs.img"))
        .arg("--qemu")
        .arg(&qemu)
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{out:?}");
    assert!(
        stdout.starts_with("== Test running mmaptest ==\n"),
        "{stdout}"
    );
    assert!(stdout.contains("== Test usertests -q ==\n"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("  mmaptest: fork_test: OK") && l.ends_with(" 40/40")),
        "{stdout}"
    );
    let last = stdout.trim_end().lines().last().unwrap();
    let (got, max) = last
        .strip_prefix("Score: ")
        .unwrap()
        .split_once('/')
        .unwrap();
    assert_eq!(got, max, "{stdout}");
    assert!(dir.join("logs/mmap/mmaptest.log").is_file());
    // The usage names the lab, and an unknown lab lists them.
    let help = Command::new(env!("CARGO_BIN_EXE_tools"))
        .args(["grade", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--lab lazy|cow|mmap"));
    let bad = Command::new(env!("CARGO_BIN_EXE_tools"))
        .args(["grade", "--lab", "nmap"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("(lazy, cow or mmap)"));
    fs::remove_dir_all(&dir).unwrap();
}
