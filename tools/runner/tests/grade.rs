//! The graders on recorded consoles: the fixtures in tests/grade/ are real
//! consoles of our kernels (cowtest, lazytests and mmaptest, `usertests -q`
//! on cow and mmap, `usertests -2020` on lazy), and the failing cases are
//! those consoles cut or edited the way a broken kernel would print them.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};

use tools::grade::labs::Boot;
use tools::grade::{find_lab, grade, score, Booter, Console, End, Item, Outcome, Paint};

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/grade")
        .join(name);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Plays recorded consoles: one per boot, by the boot's first command.
struct Recorded {
    consoles: Vec<(&'static str, Console)>,
    /// The boots asked for: first command and timeout.
    asked: RefCell<Vec<(String, u64)>>,
}

impl Recorded {
    fn new(consoles: Vec<(&'static str, String, End)>) -> Self {
        Recorded {
            consoles: consoles
                .into_iter()
                .map(|(c, output, end)| (c, Console { output, end }))
                .collect(),
            asked: RefCell::new(Vec::new()),
        }
    }
}

impl Booter for Recorded {
    fn boot(&mut self, _item: &Item, boot: &Boot) -> Result<Console, String> {
        let cmd = boot.commands[0];
        self.asked
            .borrow_mut()
            .push((cmd.to_string(), boot.timeout));
        self.consoles
            .iter()
            .find(|(c, _)| *c == cmd)
            .map(|(_, con)| con.clone())
            .ok_or_else(|| format!("no recording for {cmd:?}"))
    }

    fn save_failed(&mut self, item: &Item, _console: &Console) -> Option<PathBuf> {
        Some(PathBuf::from(format!("xv6.out.{}", &item.func[5..])))
    }
}

/// A time.txt that holds `text`, or none.
fn time_file(text: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grade-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let name = match text {
        Some(t) => {
            let p = dir.join(format!("time-{}.txt", t.len()));
            fs::write(&p, t).unwrap();
            return p;
        }
        None => "absent.txt",
    };
    dir.join(name)
}

/// Grades `lab` on the recordings; the transcript and outcomes.
fn run(lab: &str, booter: &mut Recorded, time: Option<&str>) -> (String, Vec<Outcome>) {
    let lab = find_lab(lab).unwrap();
    let mut out = Vec::new();
    let outcomes = grade(lab, booter, &time_file(time), Paint(false), &mut out).unwrap();
    (String::from_utf8(out).unwrap(), outcomes)
}

fn cow(cowtest: String, usertests: String, end: End) -> Recorded {
    Recorded::new(vec![
        ("cowtest", cowtest, End::Done),
        ("usertests -q", usertests, end),
    ])
}

fn failed(outcomes: &[Outcome]) -> Vec<&str> {
    outcomes
        .iter()
        .filter(|o| o.fail.is_some())
        .map(|o| o.title)
        .collect()
}

/// The course's transcript of a full-marks cow run, line for line
/// (gradelib's trailing blanks included; recorded boots take no time, so
/// no `(N.Ns)`). check_time's empty line ends the `time` header.
const COW_FULL: &str = "\
== Test running cowtest == \n\
== Test   simple == \n  simple: OK \n\
== Test   three == \n  three: OK \n\
== Test   file == \n  file: OK \n\
== Test usertests == \n\
== Test   usertests: copyin == \n  usertests: copyin: OK \n\
== Test   usertests: copyout == \n  usertests: copyout: OK \n\
== Test   usertests: all tests == \n  usertests: all tests: OK \n\
== Test time == \ntime: OK \n\
Score: 110/110\n";

#[test]
fn cow_full_marks() {
    let mut b = cow(
        fixture("cowtest.out"),
        fixture("cow-usertests-q.out"),
        End::Done,
    );
    let (t, outcomes) = run("cow", &mut b, Some("7\n"));
    assert_eq!(t, COW_FULL);
    assert_eq!(score(&outcomes), (110, 110));
    // The course's commands and timeouts.
    assert_eq!(
        *b.asked.borrow(),
        [
            ("cowtest".to_string(), 30),
            ("usertests -q".to_string(), 1000)
        ]
    );
}

#[test]
fn cow_without_time_txt_is_109() {
    let mut b = cow(
        fixture("cowtest.out"),
        fixture("cow-usertests-q.out"),
        End::Done,
    );
    let (t, outcomes) = run("cow", &mut b, None);
    assert!(
        t.ends_with("== Test time == \ntime: FAIL \n    Cannot read time.txt\nScore: 109/110\n"),
        "{t}"
    );
    assert_eq!(failed(&outcomes), ["time"]);
    let (t, _) = run("cow", &mut b, Some("about 5 hours"));
    assert!(t.contains(
        "    time.txt does not contain a single integer (number of hours spent on the lab)\n"
    ));
}

#[test]
fn wrong_number_of_simple_ok_loses_exactly_30() {
    let good = fixture("cowtest.out");
    assert_eq!(good.lines().filter(|l| *l == "simple: ok").count(), 2);
    // One too many, and one too few (the second run never said ok).
    let three = good.replacen("simple: ok\n", "simple: ok\nsimple: ok\n", 1);
    let one = good.replacen("simple: ok\n", "", 1);
    for (cowtest, got) in [(three, 3), (one, 1)] {
        let mut b = cow(cowtest, fixture("cow-usertests-q.out"), End::Done);
        let (t, outcomes) = run("cow", &mut b, Some("7"));
        assert_eq!(score(&outcomes), (80, 110));
        assert_eq!(failed(&outcomes), ["simple"]);
        let want = format!(
            "== Test   simple == \n  simple: FAIL \n    Number of appearances of 'simple: ok'\n    got:\n      {got}\n    expected:\n      2\n== Test   three == \n"
        );
        assert!(t.contains(&want), "{t}");
    }
    // A `simple: ok` with more on its line is not one.
    let noisy = good.replacen("simple: ok\n", "simple: ok  \n", 1);
    let (_, outcomes) = run(
        "cow",
        &mut cow(noisy, fixture("cow-usertests-q.out"), End::Done),
        Some("7"),
    );
    assert_eq!(score(&outcomes), (80, 110));
}

#[test]
fn one_cow_item_failing() {
    let cowtest = fixture("cowtest.out").replace("file: ok\n", "file: error: read failed\n");
    let mut b = cow(cowtest, fixture("cow-usertests-q.out"), End::Done);
    let (t, outcomes) = run("cow", &mut b, Some("7"));
    assert_eq!(failed(&outcomes), ["file"]);
    assert_eq!(score(&outcomes), (90, 110));
    // gradelib's report: the last five lines, then what is missing.
    let want = "== Test   file == \n  file: FAIL \n    ...\n         three: ok\n         three: ok\n         file: error: read failed\n         ALL COW TESTS PASSED\n         $ \n    MISSING '^file: ok$'\n";
    assert!(t.contains(want), "{t}");
}

#[test]
fn a_failed_usertest_fails_the_parent_and_all_its_children() {
    // copyout fails: usertests stops there, with no ALL TESTS PASSED.
    let full = fixture("cow-usertests-q.out");
    let cut = full.find("test copyout: ").unwrap();
    let console = format!(
        "{}test copyout: FAILED\nSOME TESTS FAILED\n$ ",
        &full[..cut]
    );
    let mut b = cow(fixture("cowtest.out"), console, End::Done);
    let (t, outcomes) = run("cow", &mut b, Some("7"));
    assert_eq!(
        failed(&outcomes),
        [
            "usertests",
            "usertests: copyin",
            "usertests: copyout",
            "usertests: all tests"
        ]
    );
    // copyin passed, but its parent failed: 5 + 5 + 19 lost.
    assert_eq!(score(&outcomes), (81, 110));
    assert!(t.contains("== Test usertests == \n    ...\n"), "{t}");
    assert!(t.contains("         SOME TESTS FAILED\n         $ \n    MISSING '^ALL TESTS PASSED$'\n    QEMU output saved to xv6.out.usertests\n"), "{t}");
    assert!(t.contains("== Test   usertests: copyin == \n  usertests: copyin: FAIL \n    Parent failed: test_usertests\n"), "{t}");
}

#[test]
fn kernel_panic_in_cowtest_and_in_usertests() {
    // cowtest: the kernel panics after the two simple runs.
    let good = fixture("cowtest.out");
    let cut = good.find("three: ok").unwrap();
    let cowtest = format!("{}panic: kfree\n", &good[..cut]);
    // usertests: a panic in the middle of a test's line.
    let full = fixture("cow-usertests-q.out");
    let cut = full.find("test copyout: ").unwrap() + "test copyout: ".len();
    let usertests = format!("{}panic: uvmunmap: not mapped\n", &full[..cut]);
    let mut b = Recorded::new(vec![
        ("cowtest", cowtest, End::Panic),
        ("usertests -q", usertests, End::Panic),
    ]);
    let (t, outcomes) = run("cow", &mut b, Some("7"));
    // The boot itself has no check: its children decide.
    assert_eq!(
        failed(&outcomes),
        [
            "three",
            "file",
            "usertests",
            "usertests: copyin",
            "usertests: copyout",
            "usertests: all tests"
        ]
    );
    assert_eq!(score(&outcomes), (31, 110));
    assert!(t.starts_with("== Test running cowtest == Panic! \n"), "{t}");
    assert!(
        t.contains("    Number of appearances of 'three: ok'\n    got:\n      0\n"),
        "{t}"
    );
    assert!(t.contains("== Test usertests == Panic! \n"), "{t}");
    assert!(t.contains("         test copyout: panic: uvmunmap: not mapped\n    MISSING '^ALL TESTS PASSED$'\n"), "{t}");
}

fn lazy(usertests: String, end: End) -> Recorded {
    Recorded::new(vec![
        ("lazytests", fixture("lazytests.out"), End::Done),
        ("usertests -2020", usertests, end),
    ])
}

#[test]
fn lazy_full_marks() {
    let mut b = lazy(fixture("lazy-usertests-2020.out"), End::Done);
    let (t, outcomes) = run("lazy", &mut b, Some("3"));
    assert_eq!(score(&outcomes), (119, 119), "{t}");
    assert_eq!(outcomes.len(), 60);
    assert!(
        t.starts_with(
            "== Test running lazytests == \n== Test   lazy: map == \n  lazy: map: OK \n\
         == Test   lazy: unmap == \n  lazy: unmap: OK \n== Test usertests == \n\
         == Test   usertests: pgbug == \n  usertests: pgbug: OK \n"
        ),
        "{t}"
    );
    assert!(t.contains(
        "== Test   usertests: forktest == \n  usertests: forktest: OK \n== Test time == \n"
    ));
    assert_eq!(
        *b.asked.borrow(),
        [
            ("lazytests".to_string(), 30),
            ("usertests -2020".to_string(), 300)
        ]
    );
}

#[test]
fn lazy_items_swap_as_the_course_wrote_them() {
    // Without the unmap test's line, the course fails "lazy: map".
    let lazytests =
        fixture("lazytests.out").replace("test lazy unmap: OK", "test lazy unmap: FAILED");
    let mut b = Recorded::new(vec![
        ("lazytests", lazytests, End::Done),
        (
            "usertests -2020",
            fixture("lazy-usertests-2020.out"),
            End::Done,
        ),
    ]);
    let (t, outcomes) = run("lazy", &mut b, Some("3"));
    assert_eq!(failed(&outcomes), ["lazy: map"]);
    assert!(t.contains("    MISSING '^test lazy unmap: OK$'\n"), "{t}");
    assert_eq!(score(&outcomes), (99, 119));
}

#[test]
fn lazy_usertests_timeout_grades_what_came_before() {
    // The run is cut off during sbrkmuch: the tests before it passed.
    let full = fixture("lazy-usertests-2020.out");
    let cut = full.find("test sbrkmuch: ").unwrap() + "test sbrkmuch: ".len();
    let mut b = lazy(full[..cut].to_string(), End::Timeout);
    let (t, outcomes) = run("lazy", &mut b, Some("3"));
    assert!(
        t.contains("== Test usertests == Timeout! \n== Test   usertests: pgbug == \n"),
        "{t}"
    );
    let lost: Vec<&str> = failed(&outcomes);
    // sbrkbasic's OK came right before `test sbrkmuch`: it passes. Every
    // test from sbrkmuch on has no next test after it.
    let order: Vec<&str> = [
        "sbrkmuch",
        "kernmem",
        "sbrkfail",
        "sbrkarg",
        "validatetest",
        "stacktest",
        "opentest",
        "writetest",
        "writebig",
        "createtest",
        "openiput",
        "exitiput",
        "iput",
        "mem",
        "pipe1",
        "preempt",
        "exitwait",
        "rmdot",
        "fourteen",
        "bigfile",
        "dirfile",
        "iref",
        "forktest",
    ]
    .to_vec();
    let mut want: Vec<String> = order.iter().map(|n| format!("usertests: {n}")).collect();
    // The grader's own item order: its heavy items come first.
    want.sort_by_key(|n| outcomes.iter().position(|o| o.title == n).unwrap());
    assert_eq!(lost, want);
    // 4 (sbrkmuch) + 4 (sbrkfail) + 5 (sbrkarg) + 5 (stacktest) + 19 of 1.
    assert_eq!(score(&outcomes), (119 - 37, 119));
    assert!(t.contains("  usertests: sbrkbasic: OK \n"));
    assert!(t.contains("  usertests: sbrkmuch: FAIL \n    Failed sbrkmuch\n"));
}

fn mmap(mmaptest: String, usertests: String) -> Recorded {
    Recorded::new(vec![
        ("mmaptest", mmaptest, End::Done),
        ("usertests -q", usertests, End::Done),
    ])
}

#[test]
fn mmap_full_marks_and_a_failing_test() {
    let mut b = mmap(fixture("mmaptest.out"), fixture("mmap-usertests-q.out"));
    let (t, outcomes) = run("mmap", &mut b, Some("9"));
    assert_eq!(score(&outcomes), (140, 140), "{t}");
    // usertests is one 19-point item with no children here.
    assert!(
        t.contains("== Test usertests == usertests: OK \n== Test time == \n"),
        "{t}"
    );
    assert!(t.contains("== Test   mmaptest: fork_test == \n  mmaptest: fork_test: OK \n"));
    assert_eq!(
        *b.asked.borrow(),
        [
            ("mmaptest".to_string(), 180),
            ("usertests -q".to_string(), 300)
        ]
    );
    // mmaptest stops at its first failure: dirty and all after it fail.
    let good = fixture("mmaptest.out");
    let cut = good.find("test mmap dirty: OK").unwrap();
    let bad = format!(
        "{}mmaptest: mmap dirty failed: file does not contain modifications, pid=3\n$ ",
        &good[..cut]
    );
    let mut b = mmap(bad, fixture("mmap-usertests-q.out"));
    let (_, outcomes) = run("mmap", &mut b, Some("9"));
    assert_eq!(
        failed(&outcomes),
        [
            "mmaptest: mmap dirty",
            "mmaptest: not-mapped unmap",
            "mmaptest: two files",
            "mmaptest: fork_test"
        ]
    );
    assert_eq!(score(&outcomes), (70, 140));
}

/// A stand-in for QEMU: prints a boot and a prompt; for each line typed,
/// echoes it and plays the file named after it (spaces as `_`), then
/// prompts again, unless that file's name ends in `.hang`: then it stops
/// there, as a stuck kernel does.
const FAKE_QEMU: &str = r#"#!/bin/bash
d=$(dirname "$0")
printf '\nxv6 kernel is booting\n\ninit: starting sh\n$ '
line=
while IFS= read -r -n1 -d '' c; do
  case "$c" in
    $'\n')
      printf '%s\n' "$line"
      f="$d/${line// /_}"
      if [ -f "$f.hang" ]; then cat "$f.hang"; exec sleep 600; fi
      [ -n "$line" ] && [ -f "$f" ] && cat "$f"
      line=
      printf '$ ';;
    *) line="$line$c";;
  esac
done
"#;

/// `tools grade` end to end on the fake QEMU: typing at prompts, a boot
/// cut off by its timeout, saving and removing failure logs, exit status.
#[test]
fn grade_command_end_to_end() {
    use std::process::Command;

    let dir = std::env::temp_dir().join(format!("tools-grade-e2e-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("kernel"), "k").unwrap();
    fs::write(dir.join("fs.img"), "f").unwrap();
    fs::write(dir.join("time.txt"), "4\n").unwrap();
    let qemu = dir.join("qemu");
    fs::write(&qemu, FAKE_QEMU).unwrap();
    // chmod rather than std::os::unix's PermissionsExt: rust-analyzer reads
    // the host crates with the kernel's target, which has no `unix` (README, Editor).
    let chmod = Command::new("chmod").arg("755").arg(&qemu).status();
    assert!(chmod.unwrap().success(), "chmod {}", qemu.display());
    // The console after the echo of the command, up to the next prompt.
    let body = |name: &str, cmd: &str| {
        let text = fixture(name);
        let start = text.find(&format!("$ {cmd}\n")).unwrap() + cmd.len() + 3;
        let end = text[start..].find("\n$ ").unwrap() + start + 1;
        text[start..end].to_string()
    };
    let grade = || {
        let out = Command::new(env!("CARGO_BIN_EXE_tools"))
            .args(["grade", "--lab", "cow", "--cpus", "1", "--color", "never"])
            .args(["--timeout-scale", "0.1"])
            .arg("--kernel")
            .arg(dir.join("kernel"))
            .arg("--fs")
            .arg(dir.join("fs.img"))
            .arg("--qemu")
            .arg(&qemu)
            .arg("--log-dir")
            .arg(dir.join("logs"))
            .arg("--time-file")
            .arg(dir.join("time.txt"))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let saved = dir.join("logs/cow/xv6.out.usertests");

    // cowtest hangs after `three` (cut off at 3 s); usertests stops at a
    // failure, so its boot fails and keeps its output.
    let cowtest = body("cowtest.out", "cowtest");
    let cut = cowtest.find("file: ok").unwrap();
    fs::write(dir.join("cowtest.hang"), &cowtest[..cut]).unwrap();
    let usertests = body("cow-usertests-q.out", "usertests -q");
    let cut = usertests.find("test copyout: ").unwrap();
    let failing = format!(
        "{}test copyout: FAILED\nSOME TESTS FAILED\n",
        &usertests[..cut]
    );
    fs::write(dir.join("usertests_-q"), failing).unwrap();
    let (code, t) = grade();
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("\n== Test running cowtest == Timeout! (3."),
        "{t}"
    );
    assert!(
        t.contains("  three: OK \n== Test   file == \n  file: FAIL \n"),
        "{t}"
    );
    assert!(
        t.contains(&format!("    QEMU output saved to {}\n", saved.display())),
        "{t}"
    );
    assert!(t.ends_with("Score: 61/110\n"), "{t}");
    let kept = fs::read_to_string(&saved).unwrap();
    assert!(
        kept.contains("$ usertests -q\nusertests starting\ntest copyin: OK\n"),
        "{kept}"
    );
    assert!(kept.ends_with("SOME TESTS FAILED\n$ "), "{kept}");

    // Both pass now: full marks, and the old failure log goes.
    fs::remove_file(dir.join("cowtest.hang")).unwrap();
    fs::write(dir.join("cowtest"), &cowtest).unwrap();
    fs::write(dir.join("usertests_-q"), &usertests).unwrap();
    let (code, t) = grade();
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains(&format!(
            "    (Old {} failure log removed)\n",
            saved.display()
        )),
        "{t}"
    );
    assert!(!saved.exists());
    assert!(
        t.ends_with("  usertests: all tests: OK \n== Test time == \ntime: OK \nScore: 110/110\n"),
        "{t}"
    );
    let latest = fs::read_to_string(dir.join("logs/cow/xv6.out")).unwrap();
    assert!(latest.ends_with("ALL TESTS PASSED\n$ "), "{latest}");

    // Usage and bad usage.
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

/// A real timeout: on a loaded 2-core host the 2020-order usertests was
/// still in `mem` when its 300 s ran out.
#[test]
fn lazy_real_timeout_recording() {
    let console = fixture("lazy-usertests-2020-timeout.out");
    assert!(console.ends_with("test mem: "));
    let mut b = lazy(console, End::Timeout);
    let (t, outcomes) = run("lazy", &mut b, Some("3"));
    assert!(t.contains("== Test usertests == Timeout! \n"), "{t}");
    let lost: Vec<&str> = failed(&outcomes);
    let want: Vec<String> = [
        "mem", "pipe1", "preempt", "exitwait", "rmdot", "fourteen", "bigfile", "dirfile", "iref",
        "forktest",
    ]
    .iter()
    .map(|n| format!("usertests: {n}"))
    .collect();
    assert_eq!(lost, want);
    assert_eq!(score(&outcomes), (109, 119));
    assert!(t.contains("  usertests: iput: OK \n"), "{t}");
}
