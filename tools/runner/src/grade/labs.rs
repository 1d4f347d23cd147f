//! The course's three graders as data: grade-lab-cow and grade-lab-mmap of
//! 6.1810 fall 2022, grade-lab-lazy of 6.S081 fall 2020. Items are listed
//! in the order the course declares them, with its titles, points,
//! patterns and timeouts; `gradelib` gives them the course's meaning.

/// A boot of the kernel: the shell commands typed, one per prompt, and
/// the seconds the whole boot may take before it is cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boot {
    pub commands: &'static [&'static str],
    pub timeout: u64,
}

/// What an item asserts about the output of the latest boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing: the item only boots.
    None,
    /// Some line matches this regular expression (matched from the start
    /// of the line).
    Line(&'static str),
    /// Exactly `times` lines match this line-anchored expression; the
    /// failure message starts with `what`.
    Count {
        regex: &'static str,
        times: usize,
        what: &'static str,
    },
    /// usertests: `test A: ` and, somewhere after it, an `OK` right before
    /// `test B` (the test after A in the order the grader expects).
    Pair(&'static str, &'static str),
    /// time.txt holds one whole number (hours spent on the lab).
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub title: &'static str,
    /// The name of the course's test function: a failed parent is named
    /// by it, and a boot's saved output takes its tail (`test_cowtest`
    /// saves to `xv6.out.cowtest`).
    pub func: &'static str,
    pub points: u32,
    /// Index of the parent item, which must pass for this one to count.
    pub parent: Option<usize>,
    /// Items that boot the kernel; the others look at the latest boot.
    pub boot: Option<Boot>,
    pub check: Check,
}

#[derive(Debug)]
pub struct Lab {
    pub name: &'static str,
    /// Where the course's grader comes from, for messages.
    pub course: &'static str,
    pub items: &'static [Item],
}

const fn item(title: &'static str, func: &'static str, points: u32, check: Check) -> Item {
    Item {
        title,
        func,
        points,
        parent: None,
        boot: None,
        check,
    }
}

const fn boots(
    title: &'static str,
    func: &'static str,
    points: u32,
    commands: &'static [&'static str],
    timeout: u64,
    check: Check,
) -> Item {
    Item {
        boot: Some(Boot { commands, timeout }),
        ..item(title, func, points, check)
    }
}

const fn child(
    parent: usize,
    title: &'static str,
    func: &'static str,
    points: u32,
    check: Check,
) -> Item {
    Item {
        parent: Some(parent),
        ..item(title, func, points, check)
    }
}

/// A usertests pair item of the lazy grader: the test's name gives its
/// title and function name.
const fn pair(
    title: &'static str,
    func: &'static str,
    points: u32,
    a: &'static str,
    b: &'static str,
) -> Item {
    child(3, title, func, points, Check::Pair(a, b))
}

/// gradelib's default boot timeout, for run_qemu calls that give none.
const DEFAULT_TIMEOUT: u64 = 30;

const ALL_PASSED: &str = "^ALL TESTS PASSED$";
const TIME: Item = item("time", "test_time", 1, Check::Time);

pub const COW: Lab = Lab {
    name: "cow",
    course: "grade-lab-cow, 6.1810 fall 2022",
    items: &[
        boots(
            "running cowtest",
            "test_cowtest",
            0,
            &["cowtest"],
            DEFAULT_TIMEOUT,
            Check::None,
        ),
        child(
            0,
            "simple",
            "test_simple",
            30,
            Check::Count {
                regex: "^simple: ok$",
                times: 2,
                what: "Number of appearances of 'simple: ok'",
            },
        ),
        child(
            0,
            "three",
            "test_three",
            30,
            Check::Count {
                regex: "^three: ok$",
                times: 3,
                what: "Number of appearances of 'three: ok'",
            },
        ),
        child(0, "file", "test_file", 20, Check::Line("^file: ok$")),
        boots(
            "usertests",
            "test_usertests",
            0,
            &["usertests -q"],
            1000,
            Check::Line(ALL_PASSED),
        ),
        // The course names both of these functions test_sbrkbugs; only a
        // failed parent would show the name, and these are children.
        child(
            4,
            "usertests: copyin",
            "test_sbrkbugs",
            5,
            Check::Pair("copyin", "copyout"),
        ),
        child(
            4,
            "usertests: copyout",
            "test_sbrkbugs",
            5,
            Check::Pair("copyout", "copyinstr1"),
        ),
        child(
            4,
            "usertests: all tests",
            "test_usertests_all",
            19,
            Check::Line(ALL_PASSED),
        ),
        TIME,
    ],
};

// One pair item a line: the table reads like the course's list.
#[rustfmt::skip]
pub const LAZY: Lab = Lab {
    name: "lazy",
    course: "grade-lab-lazy, 6.S081 fall 2020",
    items: &[
        boots("running lazytests", "test_lazytests", 0, &["lazytests"], DEFAULT_TIMEOUT,
              Check::None),
        // As in the course: "map" looks for the unmap test's line and
        // "unmap" for the alloc test's.
        child(0, "lazy: map", "test_filetest", 20, Check::Line("^test lazy unmap: OK$")),
        child(0, "lazy: unmap", "test_memtest", 20, Check::Line("test lazy alloc: OK$")),
        // The course typed `usertests` at its 2020 usertests; ours runs
        // the 2022 order unless told `-2020`, and the pairs need 2020's.
        boots("usertests", "test_usertests", 0, &["usertests -2020"], 300, Check::None),
        pair("usertests: pgbug", "test_pgbug", 4, "pgbug", "sbrkbugs"),
        pair("usertests: sbrkbugs", "test_sbrkbugs", 4, "sbrkbugs", "badarg"),
        pair("usertests: argptest", "test_argptest", 4, "argptest", "createdelete"),
        pair("usertests: sbrkmuch", "test_sbrkmuch", 4, "sbrkmuch", "kernmem"),
        pair("usertests: sbrkfail", "test_sbrkfail", 4, "sbrkfail", "sbrkarg"),
        pair("usertests: sbrkarg", "test_sbrkarg", 5, "sbrkarg", "validatetest"),
        pair("usertests: stacktest", "test_stacktest", 5, "stacktest", "opentest"),
        pair("usertests: execout", "test_execout", 1, "execout", "copyin"),
        pair("usertests: copyin", "test_copyin", 1, "copyin", "copyout"),
        pair("usertests: copyout", "test_copyout", 1, "copyout", "copyinstr1"),
        pair("usertests: copyinstr1", "test_copyinstr1", 1, "copyinstr1", "copyinstr2"),
        pair("usertests: copyinstr2", "test_copyinstr2", 1, "copyinstr2", "copyinstr3"),
        pair("usertests: copyinstr3", "test_copyinstr3", 1, "copyinstr3", "rwsbrk"),
        pair("usertests: rwsbrk", "test_rwsbrk", 1, "rwsbrk", "truncate1"),
        pair("usertests: truncate1", "test_truncate1", 1, "truncate1", "truncate2"),
        pair("usertests: truncate2", "test_truncate2", 1, "truncate2", "truncate3"),
        pair("usertests: truncate3", "test_truncate3", 1, "truncate3", "reparent2"),
        pair("usertests: reparent2", "test_reparent2", 1, "reparent2", "pgbug"),
        pair("usertests: badarg", "test_badarg", 1, "badarg", "reparent"),
        pair("usertests: reparent", "test_reparent", 1, "reparent", "twochildren"),
        pair("usertests: twochildren", "test_twochildren", 1, "twochildren", "forkfork"),
        pair("usertests: forkfork", "test_forkfork", 1, "forkfork", "forkforkfork"),
        pair("usertests: forkforkfork", "test_forkforkfork", 1, "forkforkfork", "argptest"),
        pair("usertests: createdelete", "test_createdelete", 1, "createdelete", "linkunlink"),
        pair("usertests: linkunlink", "test_linkunlink", 1, "linkunlink", "linktest"),
        pair("usertests: linktest", "test_linktest", 1, "linktest", "unlinkread"),
        pair("usertests: unlinkread", "test_unlinkread", 1, "unlinkread", "concreate"),
        pair("usertests: concreate", "test_concreate", 1, "concreate", "subdir"),
        pair("usertests: subdir", "test_subdir", 1, "subdir", "fourfiles"),
        pair("usertests: fourfiles", "test_fourfiles", 1, "fourfiles", "sharedfd"),
        pair("usertests: sharedfd", "test_sharedfd", 1, "sharedfd", "exectest"),
        pair("usertests: exectest", "test_exectest", 1, "exectest", "bigargtest"),
        pair("usertests: bigargtest", "test_bigargtest", 1, "bigargtest", "bigwrite"),
        pair("usertests: bigwrite", "test_bigwrite", 1, "bigwrite", "bsstest"),
        pair("usertests: bsstest", "test_bsstest", 1, "bsstest", "sbrkbasic"),
        pair("usertests: sbrkbasic", "test_sbrkbasic", 1, "sbrkbasic", "sbrkmuch"),
        pair("usertests: kernmem", "test_kernmem", 1, "kernmem", "sbrkfail"),
        pair("usertests: validatetest", "test_validatetest", 1, "validatetest", "stacktest"),
        pair("usertests: opentest", "test_opentest", 1, "opentest", "writetest"),
        pair("usertests: writetest", "test_writetest", 1, "writetest", "writebig"),
        pair("usertests: writebig", "test_writebig", 1, "writebig", "createtest"),
        pair("usertests: createtest", "test_createtest", 1, "createtest", "openiput"),
        pair("usertests: openiput", "test_openiput", 1, "openiput", "exitiput"),
        pair("usertests: exitiput", "test_exitiput", 1, "exitiput", "iput"),
        pair("usertests: iput", "test_iput", 1, "iput", "mem"),
        pair("usertests: mem", "test_mem", 1, "mem", "pipe1"),
        pair("usertests: pipe1", "test_pipe1", 1, "pipe1", "preempt"),
        pair("usertests: preempt", "test_preempt", 1, "preempt", "exitwait"),
        pair("usertests: exitwait", "test_exitwait", 1, "exitwait", "rmdot"),
        pair("usertests: rmdot", "test_rmdot", 1, "rmdot", "fourteen"),
        pair("usertests: fourteen", "test_fourteen", 1, "fourteen", "bigfile"),
        pair("usertests: bigfile", "test_bigfile", 1, "bigfile", "dirfile"),
        pair("usertests: dirfile", "test_dirfile", 1, "dirfile", "iref"),
        pair("usertests: iref", "test_iref", 1, "iref", "forktest"),
        pair("usertests: forktest", "test_forktest", 1, "forktest", "bigdir"),
        TIME,
    ],
};

pub const MMAP: Lab = Lab {
    name: "mmap",
    course: "grade-lab-mmap, 6.1810 fall 2022",
    items: &[
        boots(
            "running mmaptest",
            "test_mmaptest",
            0,
            &["mmaptest"],
            180,
            Check::None,
        ),
        child(
            0,
            "mmaptest: mmap f",
            "test_mmaptest_mmap_f",
            20,
            Check::Line("^test mmap f: OK$"),
        ),
        child(
            0,
            "mmaptest: mmap private",
            "test_mmaptest_mmap_private",
            10,
            Check::Line("^test mmap private: OK$"),
        ),
        child(
            0,
            "mmaptest: mmap read-only",
            "test_mmaptest_mmap_readonly",
            10,
            Check::Line("^test mmap read-only: OK$"),
        ),
        child(
            0,
            "mmaptest: mmap read/write",
            "test_mmaptest_mmap_readwrite",
            10,
            Check::Line("^test mmap read/write: OK$"),
        ),
        child(
            0,
            "mmaptest: mmap dirty",
            "test_mmaptest_mmap_dirty",
            10,
            Check::Line("^test mmap dirty: OK$"),
        ),
        child(
            0,
            "mmaptest: not-mapped unmap",
            "test_mmaptest_mmap_unmap",
            10,
            Check::Line("^test not-mapped unmap: OK$"),
        ),
        child(
            0,
            "mmaptest: two files",
            "test_mmaptest_mmap_two",
            10,
            Check::Line("^test mmap two files: OK$"),
        ),
        child(
            0,
            "mmaptest: fork_test",
            "test_mmaptest_fork_test",
            40,
            Check::Line("^fork_test OK$"),
        ),
        // Not a parent here: the whole run is one 19-point item.
        boots(
            "usertests",
            "test_usertests",
            19,
            &["usertests -q"],
            300,
            Check::Line(ALL_PASSED),
        ),
        TIME,
    ],
};

pub const LABS: &[&Lab] = &[&LAZY, &COW, &MMAP];

pub fn find(name: &str) -> Option<&'static Lab> {
    LABS.iter().copied().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::checks::LineRegex;

    /// The 2020 order that `usertests -2020` runs, read from its source.
    const ORDER_SRC: &str = include_str!("../../../../uprogs/src/bin/usertests/lab2020.rs");
    const QUICK_SRC: &str = include_str!("../../../../uprogs/src/bin/usertests/quick.rs");
    const SLOW_SRC: &str = include_str!("../../../../uprogs/src/bin/usertests/slow.rs");

    fn quoted_lines(src: &str, prefix: &str) -> Vec<String> {
        src.lines()
            .map(str::trim)
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.split('"').nth(1).map(String::from))
            .collect()
    }

    fn total(lab: &Lab) -> u32 {
        lab.items.iter().map(|i| i.points).sum()
    }

    #[test]
    fn totals_and_shapes_are_the_course_graders() {
        assert_eq!(total(&COW), 110);
        assert_eq!(total(&LAZY), 119);
        assert_eq!(total(&MMAP), 140);
        assert_eq!(COW.items.len(), 9);
        assert_eq!(LAZY.items.len(), 60);
        assert_eq!(MMAP.items.len(), 11);
        for lab in LABS {
            assert_eq!(find(lab.name).unwrap().name, lab.name);
            let last = lab.items.last().unwrap();
            assert_eq!(
                (last.title, last.points, last.check),
                ("time", 1, Check::Time)
            );
            for (i, it) in lab.items.iter().enumerate() {
                // A parent comes first and boots; children do not boot.
                if let Some(p) = it.parent {
                    assert!(p < i && lab.items[p].boot.is_some(), "{}", it.title);
                    assert!(it.boot.is_none());
                }
                assert!(it.func.starts_with("test_"));
                match it.check {
                    Check::Line(re) => assert!(LineRegex::parse(re).is_some(), "{re}"),
                    Check::Count { regex, .. } => assert!(LineRegex::parse(regex).unwrap().whole),
                    _ => {}
                }
            }
        }
        assert!(find("pgtbl").is_none());
        let timeouts = |lab: &Lab| -> Vec<(&str, u64)> {
            lab.items
                .iter()
                .filter_map(|i| i.boot.map(|b| (b.commands[0], b.timeout)))
                .collect()
        };
        assert_eq!(timeouts(&COW), [("cowtest", 30), ("usertests -q", 1000)]);
        assert_eq!(
            timeouts(&LAZY),
            [("lazytests", 30), ("usertests -2020", 300)]
        );
        assert_eq!(timeouts(&MMAP), [("mmaptest", 180), ("usertests -q", 300)]);
    }

    #[test]
    fn lazy_pairs_follow_the_2020_order() {
        let order = quoted_lines(ORDER_SRC, "\"");
        assert_eq!(order.len(), 56);
        assert_eq!(
            (order[0].as_str(), order[55].as_str()),
            ("execout", "bigdir")
        );
        let mut ours = quoted_lines(QUICK_SRC, "Test(");
        ours.extend(quoted_lines(SLOW_SRC, "Test("));
        for name in &order {
            assert!(ours.contains(name), "{name} is in no usertests list");
        }
        let pairs: Vec<(&str, &str, u32)> = LAZY
            .items
            .iter()
            .filter_map(|i| match i.check {
                Check::Pair(a, b) => Some((a, b, i.points)),
                _ => None,
            })
            .collect();
        assert_eq!(pairs.len(), 55);
        for &(a, b, _) in &pairs {
            let i = order.iter().position(|n| n == a).unwrap();
            assert_eq!(order[i + 1], b, "{a} is not followed by {b}");
            // The grader pastes names into a regex unescaped.
            assert!(a
                .chars()
                .chain(b.chars())
                .all(|c| c.is_ascii_alphanumeric()));
        }
        let heavy: Vec<(&str, u32)> = pairs
            .iter()
            .filter(|p| p.2 > 1)
            .map(|p| (p.0, p.2))
            .collect();
        assert_eq!(
            heavy,
            [
                ("pgbug", 4),
                ("sbrkbugs", 4),
                ("argptest", 4),
                ("sbrkmuch", 4),
                ("sbrkfail", 4),
                ("sbrkarg", 5),
                ("stacktest", 5)
            ]
        );
    }
}
