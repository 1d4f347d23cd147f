//! The QEMU test suites, as data.
//!
//! A suite is one fresh boot of the kernel on a fresh copy of fs.img, then a
//! list of steps typed at the xv6 shell. Adding a suite means adding an entry
//! to `SUITES`.

/// What a step sends to the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A shell command line; the runner adds the newline and waits for its echo.
    Line(&'static str),
    /// Raw bytes (such as a control key) with a name to show in progress lines.
    Raw(&'static [u8], &'static str),
}

/// When a step is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The shell prints its next `$ ` prompt.
    Prompt,
    /// Every expected pattern has appeared (for output with no prompt after it).
    Seen,
    /// A fixed number of seconds has passed (for programs that never exit).
    Run(u64),
}

/// Something the output must contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pat {
    /// The text appears anywhere.
    Text(&'static str),
    /// A whole line equals this (trailing blanks ignored).
    Line(&'static str),
    /// A line whose blank-separated fields match one by one:
    /// `*` is any field, `#` is any decimal number, anything else must be equal.
    Fields(&'static [&'static str]),
    /// As `Fields`, the fields written as one string's blank-separated words.
    Like(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub input: Input,
    pub expect: &'static [Pat],
    /// The expected patterns must appear in the order given.
    pub in_order: bool,
    /// Texts that fail the step at once (`panic:` always does).
    pub forbid: &'static [&'static str],
    pub until: Until,
    /// Seconds before the step fails, before `--timeout-scale`.
    pub timeout: u64,
}

impl Step {
    /// A shell command that must bring the prompt back within 30 s.
    pub const fn cmd(line: &'static str) -> Step {
        Step {
            input: Input::Line(line),
            expect: &[],
            in_order: false,
            forbid: &[],
            until: Until::Prompt,
            timeout: 30,
        }
    }

    /// Raw bytes whose effect is judged by the expected patterns alone.
    pub const fn raw(bytes: &'static [u8], name: &'static str) -> Step {
        Step {
            input: Input::Raw(bytes, name),
            until: Until::Seen,
            ..Step::cmd("")
        }
    }

    pub const fn expect(self, expect: &'static [Pat]) -> Step {
        Step { expect, ..self }
    }

    pub const fn ordered(self) -> Step {
        Step {
            in_order: true,
            ..self
        }
    }

    pub const fn forbid(self, forbid: &'static [&'static str]) -> Step {
        Step { forbid, ..self }
    }

    pub const fn timeout(self, timeout: u64) -> Step {
        Step { timeout, ..self }
    }

    pub const fn run_for(self, secs: u64) -> Step {
        Step {
            until: Until::Run(secs),
            ..self
        }
    }

    /// How the step is shown in progress lines.
    pub fn name(&self) -> &'static str {
        match self.input {
            Input::Line(line) => line,
            Input::Raw(_, name) => name,
        }
    }
}

#[derive(Debug)]
pub struct Suite {
    pub name: &'static str,
    pub about: &'static str,
    pub steps: &'static [Step],
}

use Pat::{Fields, Like, Line, Text};

/// Control-P: xv6's console prints a process listing (procdump).
const CTRL_P: &[u8] = b"\x10";

/// Control-T: xv6's console turns page-fault tracing on or off.
const CTRL_T: &[u8] = b"\x14";

/// Turns the page-fault trace on, in a trace suite's first step.
const TRACE_ON: Step = Step::raw(CTRL_T, "^T (trace on)")
    .expect(&[Line("pf: tracing on")])
    .timeout(10);

/// usertests prints `FAILED` after a failing test and `SOME TESTS FAILED` when it gives up.
const TESTS_FAILED: &[&str] = &["SOME TESTS FAILED", "FAILED"];

pub const SUITES: &[Suite] = &[
    Suite {
        name: "boot",
        about: "shell basics: pipes, redirection, files, directories, ^P",
        steps: &[
            // procdump prints "pid state name", the state padded to 6 columns.
            // init sleeps in wait; sh may not have reached its read yet, so any state.
            Step::raw(CTRL_P, "^P (procdump)")
                .expect(&[Line("1 sleep  init"), Fields(&["2", "*", "sh"])])
                .timeout(10),
            Step::cmd("echo hello | cat").expect(&[Line("hello")]),
            // ls prints "name type inode size"; files are type 2, the console device 3.
            Step::cmd("ls").expect(&[
                Fields(&["README", "2", "#", "#"]),
                Fields(&["cat", "2", "#", "#"]),
                Fields(&["sh", "2", "#", "#"]),
                Fields(&["usertests", "2", "#", "#"]),
                Fields(&["console", "3", "#", "0"]),
            ]),
            Step::cmd("mkdir d; echo hi > d/f; cat d/f; rm d/f").expect(&[Line("hi")]),
            // wc reading stdin prints "lines words chars" and an empty name.
            Step::cmd("grep xv6 README | wc").expect(&[Fields(&["#", "#", "#"])]),
            Step::cmd("(echo a; echo b) > f; cat f")
                .expect(&[Line("a"), Line("b")])
                .ordered(),
            Step::cmd("cat f >> f2; cat f2")
                .expect(&[Line("a"), Line("b")])
                .ordered(),
            // Bad pointers get -1; a stray load kills only that process.
            Step::cmd("badptr")
                .expect(&[
                    Text("usertrap(): unexpected scause"),
                    Line("badptr: all ok"),
                ])
                .forbid(&["WRONG"]),
        ],
    },
    Suite {
        name: "usertests-q",
        about: "usertests -q (the quick tests)",
        steps: &[Step::cmd("usertests -q")
            .expect(&[Text("ALL TESTS PASSED")])
            .forbid(TESTS_FAILED)
            .timeout(1200)],
    },
    Suite {
        name: "usertests",
        about: "usertests, all of them",
        steps: &[Step::cmd("usertests")
            .expect(&[Text("ALL TESTS PASSED")])
            .forbid(TESTS_FAILED)
            .timeout(2400)],
    },
    Suite {
        name: "forktest",
        about: "forktest: fork until the process table is full",
        steps: &[Step::cmd("forktest")
            .expect(&[Text("fork test OK")])
            .timeout(120)],
    },
    Suite {
        name: "stressfs",
        about: "stressfs: five processes writing files at once",
        steps: &[
            Step::cmd("stressfs")
                .expect(&[Text("stressfs starting")])
                .timeout(600),
            // Each of the five processes leaves a file of 20 blocks of 512 bytes.
            Step::cmd("ls").expect(&[
                Fields(&["stressfs0", "2", "#", "10240"]),
                Fields(&["stressfs1", "2", "#", "10240"]),
                Fields(&["stressfs2", "2", "#", "10240"]),
                Fields(&["stressfs3", "2", "#", "10240"]),
                Fields(&["stressfs4", "2", "#", "10240"]),
            ]),
        ],
    },
    Suite {
        name: "grind",
        about: "grind for 120 s: no panic, and the console still answers ^P",
        steps: &[
            Step::cmd("grind").run_for(120),
            Step::raw(CTRL_P, "^P (procdump)")
                .expect(&[Fields(&["#", "*", "grind"])])
                .timeout(30),
        ],
    },
    // Our attack programs: each prints `NAME: OK` or `NAME: FAILED <why>`.
    // Fixed seeds, so a failure can be replayed.
    Suite {
        name: "attack",
        about:
            "hostile user programs: fuzz, badexec, isolation, oomstorm, bigbuf, swaprace; deepfs",
        steps: &[
            Step::cmd("fuzz 1 4000")
                .expect(&[Line("fuzz: OK")])
                .forbid(&["fuzz: FAILED"])
                .timeout(600),
            Step::cmd("badexec")
                .expect(&[Line("badexec: OK")])
                .forbid(&["badexec: FAILED"])
                .timeout(120),
            Step::cmd("isolation")
                .expect(&[Line("isolation: OK")])
                .forbid(&["isolation: FAILED"])
                .timeout(120),
            // A hang detector, not a speed test: a storm's time follows the
            // host's load (97 s to 541 s under swap on one hart here).
            Step::cmd("oomstorm")
                .expect(&[Line("oomstorm: OK")])
                .forbid(&["oomstorm: FAILED"])
                .timeout(1200),
            Step::cmd("bigbuf")
                .expect(&[Line("bigbuf: OK")])
                .forbid(&["bigbuf: FAILED"])
                .timeout(600),
            Step::cmd("swaprace")
                .expect(&[Line("swaprace: OK")])
                .forbid(&["swaprace: FAILED"])
                .timeout(600),
            // The deepest file-system paths, for the kernel-stack check.
            Step::cmd("deepfs")
                .expect(&[Line("deepfs: OK")])
                .forbid(&["deepfs: FAILED"])
                .timeout(60),
        ],
    },
    // bigbuf alone (it is in attack too), for quick runs.
    Suite {
        name: "bigbuf",
        about: "bigbuf: system calls on buffers bigger than memory",
        steps: &[Step::cmd("bigbuf")
            .expect(&[Line("bigbuf: OK")])
            .forbid(&["bigbuf: FAILED"])
            .timeout(600)],
    },
    // swaprace alone (it is in attack too), for quick runs.
    Suite {
        name: "swaprace",
        about: "swaprace: pages evicted by other processes while they fork, exec, shrink and die",
        steps: &[Step::cmd("swaprace")
            .expect(&[Line("swaprace: OK")])
            .forbid(&["swaprace: FAILED"])
            .timeout(600)],
    },
    // bigbuf's pipeevict case alone: issue 33's pipe read into a buffer
    // whose first page the read's own prefault evicted.
    Suite {
        name: "pipeevict",
        about: "bigbuf pipeevict: pipe reads into 32-page buffers beside a hog, under swap",
        steps: &[Step::cmd("bigbuf pipeevict")
            .expect(&[Line("bigbuf: OK")])
            .forbid(&["bigbuf: FAILED"])
            .timeout(600)],
    },
    Suite {
        name: "lazystress",
        about: "the lazy lab's sbrkbasic and sbrkfail shapes, 10 rounds, under load",
        steps: &[Step::cmd("lazystress 10")
            .expect(&[Line("lazystress: OK")])
            .forbid(&["lazystress: FAILED"])
            .timeout(900)],
    },
    // The lab suites: run them on kernels built with the matching feature.
    Suite {
        name: "lazytests",
        about: "lazytests (lazy lab)",
        steps: &[Step::cmd("lazytests")
            .expect(&[Text("ALL TESTS PASSED")])
            .forbid(TESTS_FAILED)
            .timeout(600)],
    },
    Suite {
        name: "cowtest",
        about: "cowtest (cow lab)",
        steps: &[Step::cmd("cowtest")
            .expect(&[Text("ALL COW TESTS PASSED")])
            .forbid(&["FAILED", "failed"])
            .timeout(600)],
    },
    Suite {
        name: "zfodtest",
        about: "zfodtest (zfod lab: zero fill on demand)",
        steps: &[Step::cmd("zfodtest")
            .expect(&[Line("zfodtest: OK")])
            .forbid(&["FAILED"])
            .timeout(600)],
    },
    Suite {
        name: "demandtest",
        about: "demandtest (demand lab: demand-paged exec)",
        steps: &[Step::cmd("demandtest")
            .expect(&[Line("demandtest: OK")])
            .forbid(&["FAILED"])
            .timeout(600)],
    },
    Suite {
        name: "swaptest",
        about: "swaptest (swap lab: paging to a swap disk)",
        steps: &[Step::cmd("swaptest")
            .expect(&[Line("swaptest: OK")])
            .forbid(&["FAILED"])
            .timeout(900)],
    },
    // The page-fault trace (^T): pfdemo takes a lab's faults, and each
    // trace line reads `pf: pid=N NAME ACCESS ADDR: WHAT`. `trace` runs
    // on every kernel (the kills, and the switch); `trace-LAB` on a kernel
    // with LAB.
    Suite {
        name: "trace",
        about: "page-fault trace: the kills any kernel prints, ^T on and off",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo kill")
                .expect(&[
                    Like("pf: * pfdemo store * kill: store to a read-only page"),
                    Like("pf: * pfdemo load * kill: above sz"),
                    Like("pf: * pfdemo fetch * kill: fetch from a page without PTE_X"),
                    Like("pf: * pfdemo load * kill: a kernel-only page (no PTE_U)"),
                    Line("            store page fault: store to a read-only page"),
                    Line("            load page fault: above sz"),
                    Line("            instruction page fault: fetch from a page without PTE_X"),
                    Line("            load page fault: a kernel-only page (no PTE_U)"),
                    Text("pfdemo: kill: done"),
                ])
                .forbid(&["FAILED"]),
            Step::raw(CTRL_T, "^T (trace off)")
                .expect(&[Line("pf: tracing off")])
                .timeout(10),
            // Off: the kills still name their cause; no trace line.
            Step::cmd("pfdemo kill")
                .expect(&[
                    Line("            store page fault: store to a read-only page"),
                    Text("pfdemo: kill: done"),
                ])
                .forbid(&["FAILED", "pf: pid="]),
        ],
    },
    Suite {
        name: "trace-lazy",
        about: "page-fault trace under lazy: lazy pages, in user mode and in read(); a storm",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo lazy")
                .expect(&[
                    Like("pf: * pfdemo load * lazy page (zeroed)"),
                    Like("pf: * pfdemo store * lazy page (zeroed)"),
                    Like("pf: * pfdemo store * (syscall): lazy page (zeroed)"),
                    Like("pf: # faults not shown"),
                    Text("pfdemo: lazy: done"),
                ])
                .ordered()
                .forbid(&["FAILED"]),
        ],
    },
    Suite {
        name: "trace-cow",
        about: "page-fault trace under cow: copies with their count, the last sharer's reuse",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo cow")
                .expect(&[
                    Like("pf: * pfdemo store * (syscall): COW copy (ref count 2)"),
                    Like("pf: * pfdemo store * COW copy (ref count 2)"),
                    Like("pf: * pfdemo store * COW reuse (ref count 1)"),
                    Text("pfdemo: cow: done"),
                ])
                .ordered()
                .forbid(&["FAILED"]),
        ],
    },
    Suite {
        name: "trace-zfod",
        about: "page-fault trace under zfod: the zero page, then a private page",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo zfod")
                .expect(&[
                    Like("pf: * pfdemo load * zero page (shared, read-only)"),
                    Like("pf: * pfdemo store * private zero-fill page"),
                    Like("pf: * pfdemo store * lazy page (zeroed)"),
                    Text("pfdemo: zfod: done"),
                ])
                .ordered()
                .forbid(&["FAILED"]),
        ],
    },
    Suite {
        name: "trace-demand",
        about: "page-fault trace under demand: text and bss pages of the program",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo demand")
                .expect(&[
                    Like("pf: * pfdemo fetch * program page from the file"),
                    Like("pf: * pfdemo load * program page of zeros (bss)"),
                    Text("pfdemo: demand: done"),
                ])
                .ordered()
                .forbid(&["FAILED"]),
        ],
    },
    Suite {
        name: "trace-mmap",
        about: "page-fault trace under mmap: a page of a mapped file",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo mmap")
                .expect(&[
                    Like("pf: * pfdemo load * mapped-file page (file offset 0x0)"),
                    Text("pfdemo: mmap: done"),
                ])
                .ordered()
                .forbid(&["FAILED"]),
        ],
    },
    Suite {
        name: "trace-swap",
        about: "page-fault trace under swap: pages read back, with their slot",
        steps: &[
            TRACE_ON,
            Step::cmd("pfdemo swap")
                .expect(&[
                    Like("pf: * pfdemo * * swap read-back from slot #"),
                    Text("pfdemo: swap: done"),
                ])
                .forbid(&["FAILED"])
                .timeout(300),
        ],
    },
    // A lab's own test with the trace on: a fault storm the rate limit
    // must survive (and the excerpts in docs/debugging.md). Not in make test.
    Suite {
        name: "trace-cowtest",
        about: "cowtest with the page-fault trace on",
        steps: &[
            TRACE_ON,
            Step::cmd("cowtest")
                .expect(&[Text("ALL COW TESTS PASSED")])
                .forbid(&["FAILED", "failed"])
                .timeout(600),
        ],
    },
    Suite {
        name: "trace-lazytests",
        about: "lazytests with the page-fault trace on",
        steps: &[
            TRACE_ON,
            Step::cmd("lazytests")
                .expect(&[Text("ALL TESTS PASSED")])
                .forbid(TESTS_FAILED)
                .timeout(300),
        ],
    },
    // mmaptest stops at its first failure with `mmaptest: TEST failed: WHY`.
    Suite {
        name: "mmaptest",
        about: "mmaptest (mmap lab)",
        steps: &[Step::cmd("mmaptest")
            .expect(&[Text(MMAPTEST_PASSED)])
            .forbid(&[MMAPTEST_FAILED])
            .timeout(600)],
    },
];

/// mmaptest's last line when every test passed.
pub const MMAPTEST_PASSED: &str = "mmaptest: all tests succeeded";
/// In mmaptest's failure line, `mmaptest: TEST failed: WHY`.
pub const MMAPTEST_FAILED: &str = " failed: ";

pub fn find(name: &str) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (i, s) in SUITES.iter().enumerate() {
            assert!(!s.steps.is_empty(), "{} has no steps", s.name);
            assert!(SUITES[..i].iter().all(|t| t.name != s.name));
            assert_eq!(find(s.name).unwrap().name, s.name);
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn lab_suites_judge_their_programs() {
        for (suite, program) in [
            ("lazytests", "lazytests"),
            ("cowtest", "cowtest"),
            ("zfodtest", "zfodtest"),
            ("demandtest", "demandtest"),
            ("swaptest", "swaptest"),
            ("mmaptest", "mmaptest"),
        ] {
            let s = find(suite).unwrap();
            assert_eq!(s.steps[0].input, Input::Line(program));
            assert!(!s.steps[0].expect.is_empty() && !s.steps[0].forbid.is_empty());
        }
        let m = find("mmaptest").unwrap().steps[0];
        assert_eq!(m.expect, [Text("mmaptest: all tests succeeded")]);
        assert!("mmaptest: mmap f failed: v1 mismatch (1), pid=4".contains(m.forbid[0]));
        // The lines of a passing run must not trip it.
        for ok in [
            "mmap_test starting",
            "test mmap f: OK",
            "test not-mapped unmap: OK",
            "mmap_test: ALL OK",
            "fork_test OK",
            "mmaptest: all tests succeeded",
        ] {
            assert!(!ok.contains(m.forbid[0]), "{ok}");
        }
        assert!(m.timeout >= 300);
    }

    #[test]
    fn builders_fill_fields() {
        let s = Step::cmd("x").expect(&[Text("y")]).ordered().timeout(5);
        assert_eq!(s.input, Input::Line("x"));
        assert!(s.in_order);
        assert_eq!(s.timeout, 5);
        assert_eq!(s.until, Until::Prompt);
        let r = Step::raw(b"\x10", "^P");
        assert_eq!(r.until, Until::Seen);
        assert_eq!(r.name(), "^P");
        assert_eq!(Step::cmd("grind").run_for(7).until, Until::Run(7));
    }
}
