//! Judging console text against a step. Pure functions, so tests can feed text.

use crate::suites::{Input, Pat, Step, Until};

/// A kernel panic anywhere fails the step.
pub const PANIC: &str = "panic:";
/// The xv6 shell's prompt, recognised at the start of a line.
pub const PROMPT: &str = "$ ";
/// init prints this just before it starts the first shell.
pub const SHELL_STARTING: &str = "init: starting sh";

/// Where the run stands when the text is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clock {
    /// More output may come.
    Running,
    /// The step's time is up (its timeout, or the end of a `Run` step).
    Deadline,
    /// QEMU has exited; the text says how.
    Exited(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pending,
    Pass,
    /// Wrong output, but the shell prompt is back, so later steps can go on.
    Wrong(String),
    /// The session is unusable: panic, timeout, QEMU gone, or a program still running.
    Fail(String),
}

/// Console bytes as text, without carriage returns.
pub fn normalize(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\r', "")
}

/// The first `$ ` that starts a line.
pub fn find_prompt(text: &str) -> Option<usize> {
    text.match_indices(PROMPT)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
}

/// Where a step's output begins: after the console's echo of a typed line.
pub fn response_start(input: &Input, text: &str) -> Option<usize> {
    match input {
        Input::Line(cmd) => {
            let echo = format!("{cmd}\n");
            text.find(&echo).map(|i| i + echo.len())
        }
        Input::Raw(..) => Some(0),
    }
}

/// The text up to and including its last newline.
fn complete_lines(text: &str) -> &str {
    &text[..text.rfind('\n').map_or(0, |i| i + 1)]
}

/// While output still flows, judge only whole lines, so a reason quotes a whole line.
fn settled<'a>(text: &'a str, clock: &Clock) -> &'a str {
    if *clock == Clock::Running {
        complete_lines(text)
    } else {
        text
    }
}

/// Complete lines with their end offsets, trailing blanks trimmed.
fn lines_with_end(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.match_indices('\n').map(move |(i, _)| {
        let line = text[start..i].trim_end();
        let line_start = start;
        start = i + 1;
        (line_start, line)
    })
}

/// Whether `line` matches `want` as a `Pat::Like` pattern.
pub fn like(want: &str, line: &str) -> bool {
    let want: Vec<&str> = want.split_whitespace().collect();
    fields_match(&want, line)
}

fn fields_match(want: &[&str], line: &str) -> bool {
    let got: Vec<&str> = line.split_whitespace().collect();
    got.len() == want.len()
        && want.iter().zip(&got).all(|(w, g)| match *w {
            "*" => true,
            "#" => !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()),
            _ => w == g,
        })
}

/// Finds `pat` at or after `from`; returns the offset just past the match.
pub fn find_pat(pat: &Pat, text: &str, from: usize) -> Option<usize> {
    match pat {
        Pat::Text(s) => text[from..].find(s).map(|i| from + i + s.len()),
        Pat::Line(want) => lines_with_end(text)
            .find(|&(start, line)| start >= from && line == *want)
            .map(|(start, line)| start + line.len()),
        Pat::Fields(want) => lines_with_end(text)
            .find(|&(start, line)| start >= from && fields_match(want, line))
            .map(|(start, line)| start + line.len()),
        Pat::Like(want) => lines_with_end(text)
            .find(|&(start, line)| start >= from && like(want, line))
            .map(|(start, line)| start + line.len()),
    }
}

pub fn describe(pat: &Pat) -> String {
    match pat {
        Pat::Text(s) => format!("{s:?}"),
        Pat::Line(s) => format!("line {s:?}"),
        Pat::Fields(f) => format!("line like {:?}", f.join(" ")),
        Pat::Like(s) => format!("line like {s:?}"),
    }
}

/// The expected patterns that `text` lacks (in order, when the step asks for it).
pub fn missing(step: &Step, text: &str) -> Vec<String> {
    let mut from = 0;
    let mut out = Vec::new();
    for pat in step.expect {
        match find_pat(pat, text, if step.in_order { from } else { 0 }) {
            Some(end) => from = end,
            None => out.push(describe(pat)),
        }
    }
    out
}

/// Names of failed usertests-style tests: `test NAME: ... FAILED`.
/// A `FAILED` line that names no test (like a lost-pages report) is kept whole.
pub fn failed_tests(text: &str) -> Vec<String> {
    let mut current: Option<&str> = None;
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some((name, _)) = line.strip_prefix("test ").and_then(|r| r.split_once(':')) {
            current = Some(name);
        }
        if !line.contains("FAILED") || line.contains("SOME TESTS FAILED") {
            continue;
        }
        let item = match current {
            Some(name) if !line.starts_with("FAILED -") => name.to_string(),
            _ => line.to_string(),
        };
        if !out.contains(&item) {
            out.push(item);
        }
        current = None;
    }
    out
}

/// The panic line, if the text has one.
fn panic_line(text: &str) -> Option<&str> {
    let i = text.find(PANIC)?;
    Some(text[i..].lines().next().unwrap_or("").trim_end())
}

fn with_failed_tests(mut reason: String, text: &str) -> String {
    let failed = failed_tests(text);
    if !failed.is_empty() {
        reason.push_str(&format!("; failed tests: {}", failed.join(", ")));
    }
    reason
}

/// The end of the output, for failure messages.
fn tail(text: &str) -> String {
    let t = text.trim_end();
    let cut = t.char_indices().rev().nth(119).map_or(0, |(i, _)| i);
    format!("{:?}", &t[cut..])
}

fn forbidden(step: &Step, text: &str) -> Option<String> {
    if let Some(line) = panic_line(text) {
        return Some(format!("kernel {line:?}"));
    }
    let bad = step.forbid.iter().find(|f| text.contains(*f))?;
    Some(with_failed_tests(format!("output has {bad:?}"), text))
}

fn ended(clock: &Clock, what: impl FnOnce() -> String) -> Verdict {
    match clock {
        Clock::Running => Verdict::Pending,
        Clock::Deadline => Verdict::Fail(format!("timeout: {}", what())),
        Clock::Exited(how) => Verdict::Fail(format!("QEMU exited ({how}); {}", what())),
    }
}

/// Judges the boot: pass once the shell's first prompt follows `init: starting sh`.
pub fn judge_boot(text: &str, clock: &Clock) -> Verdict {
    if let Some(line) = panic_line(settled(text, clock)) {
        return Verdict::Fail(format!("kernel {line:?} during boot"));
    }
    let started = text.find(SHELL_STARTING);
    if started.is_some_and(|i| find_prompt(&text[i..]).is_some()) {
        return Verdict::Pass;
    }
    ended(clock, || {
        let waiting = if started.is_some() {
            "no `$ ` prompt"
        } else {
            "no `init: starting sh`"
        };
        format!("boot: {waiting}; last output {}", tail(text))
    })
}

/// Judges a step from all console text since its input was sent.
pub fn judge(step: &Step, text: &str, clock: &Clock) -> Verdict {
    let Some(start) = response_start(&step.input, text) else {
        if let Some(line) = panic_line(settled(text, clock)) {
            return Verdict::Fail(format!("kernel {line:?}"));
        }
        return ended(clock, || {
            format!("the console never echoed the command; got {}", tail(text))
        });
    };
    let out = &text[start..];
    if let Some(reason) = forbidden(step, settled(out, clock)) {
        return Verdict::Fail(reason);
    }
    match step.until {
        Until::Prompt => {
            if let Some(p) = find_prompt(out) {
                let body = &out[..p];
                let lacking = missing(step, body);
                return if lacking.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Wrong(with_failed_tests(
                        format!("missing {}; output {}", lacking.join(", "), tail(body)),
                        body,
                    ))
                };
            }
        }
        Until::Seen => {
            if missing(step, complete_lines(out)).is_empty() {
                return Verdict::Pass;
            }
        }
        Until::Run(_) => {
            if *clock == Clock::Deadline {
                let lacking = missing(step, out);
                return if lacking.is_empty() {
                    Verdict::Pass
                } else {
                    Verdict::Fail(format!("missing {}", lacking.join(", ")))
                };
            }
        }
    }
    ended(clock, || {
        let mut what = match step.until {
            Until::Prompt => "no `$ ` prompt".to_string(),
            _ => "output incomplete".to_string(),
        };
        let lacking = missing(step, out);
        if !lacking.is_empty() {
            what.push_str(&format!("; missing {}", lacking.join(", ")));
        }
        with_failed_tests(format!("{what}; last output {}", tail(out)), out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suites::{find, Pat::*};

    fn step(suite: &str, i: usize) -> &'static Step {
        &find(suite).unwrap().steps[i]
    }

    fn fail_reason(v: Verdict) -> String {
        match v {
            Verdict::Fail(r) => r,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    const USERTESTS_OK: &str = "usertests -q\nusertests starting\n\
        test copyin: OK\ntest copyout: OK\ntest sbrkbasic: OK\nALL TESTS PASSED\n$ ";

    #[test]
    fn usertests_pass() {
        let s = step("usertests-q", 0);
        assert_eq!(judge(s, USERTESTS_OK, &Clock::Running), Verdict::Pass);
        // Before the pass line arrives, keep waiting.
        let part = &USERTESTS_OK[..USERTESTS_OK.find("ALL").unwrap()];
        assert_eq!(judge(s, part, &Clock::Running), Verdict::Pending);
    }

    #[test]
    fn usertests_failure_names_test() {
        let s = step("usertests-q", 0);
        let log = "usertests -q\nusertests starting\ntest copyin: OK\n\
            test foo: FAILED\nSOME TESTS FAILED\n$ ";
        let r = fail_reason(judge(s, log, &Clock::Running));
        assert!(r.contains("SOME TESTS FAILED"), "{r}");
        assert!(r.contains("failed tests: foo"), "{r}");
        assert!(!r.contains("copyin"), "{r}");
        // The failure is seen as soon as the FAILED line is complete.
        let early = "usertests -q\ntest bar: bar: oops\nFAILED\n";
        let r = fail_reason(judge(s, early, &Clock::Running));
        assert!(r.contains("failed tests: bar"), "{r}");
        // A partial line is not judged yet.
        assert_eq!(
            judge(s, "usertests -q\ntest bar: FAI", &Clock::Running),
            Verdict::Pending
        );
    }

    #[test]
    fn lost_pages_reported_whole() {
        let t = "test x: OK\nFAILED -- lost some free pages 10 (out of 20)\n";
        assert_eq!(
            failed_tests(t),
            vec!["FAILED -- lost some free pages 10 (out of 20)".to_string()]
        );
    }

    #[test]
    fn panic_fails_at_once() {
        let s = step("usertests-q", 0);
        let log = "usertests -q\nusertests starting\ntest copyin: \npanic: kerneltrap\n";
        let r = fail_reason(judge(s, log, &Clock::Running));
        assert!(r.contains("panic: kerneltrap"), "{r}");
        // Also before the echo, and during boot.
        let r = fail_reason(judge(s, "usert\npanic: boom\n", &Clock::Running));
        assert!(r.contains("panic: boom"), "{r}");
        let r = fail_reason(judge_boot(
            "xv6 kernel is booting\npanic: init\n",
            &Clock::Running,
        ));
        assert!(r.contains("panic: init"), "{r}");
    }

    #[test]
    fn timeout_without_pass_string() {
        let s = step("forktest", 0);
        let log = "forktest\nfork test\n";
        assert_eq!(judge(s, log, &Clock::Running), Verdict::Pending);
        let r = fail_reason(judge(s, log, &Clock::Deadline));
        assert!(r.starts_with("timeout"), "{r}");
        assert!(r.contains("\"fork test OK\""), "{r}");
        let r = fail_reason(judge(s, log, &Clock::Exited("status 1".into())));
        assert!(r.contains("QEMU exited"), "{r}");
        let r = fail_reason(judge_boot("xv6 kernel is booting\n", &Clock::Deadline));
        assert!(r.contains("init: starting sh"), "{r}");
    }

    #[test]
    fn echo_is_not_output() {
        // "hello" in the echoed command must not count as the output.
        let s = step("boot", 1);
        assert_eq!(
            judge(s, "echo hello | cat\n$ ", &Clock::Running),
            Verdict::Wrong("missing line \"hello\"; output \"\"".into())
        );
        assert_eq!(
            judge(s, "echo hello | cat\nhello\n$ ", &Clock::Running),
            Verdict::Pass
        );
        // Before the echo there is nothing to judge.
        assert_eq!(judge(s, "echo hel", &Clock::Running), Verdict::Pending);
        let r = fail_reason(judge(s, "", &Clock::Deadline));
        assert!(r.contains("never echoed"), "{r}");
    }

    #[test]
    fn boot_needs_prompt_after_init() {
        let c = Clock::Running;
        assert_eq!(judge_boot("xv6 kernel is booting\n", &c), Verdict::Pending);
        assert_eq!(judge_boot("init: starting sh\n", &c), Verdict::Pending);
        assert_eq!(
            judge_boot("\r\nhart 1 starting\ninit: starting sh\n$ ", &c),
            Verdict::Pass
        );
    }

    #[test]
    fn boot_suite_outputs() {
        let ls = "ls\n.              1 1 1024\nREADME         2 2 2305\n\
            cat            2 3 32864\nsh             2 13 54296\n\
            usertests      2 15 180344\nconsole        3 19 0\n$ ";
        assert_eq!(judge(step("boot", 2), ls, &Clock::Running), Verdict::Pass);
        let no_console = ls.replace("console        3 19 0\n", "");
        assert!(matches!(
            judge(step("boot", 2), &no_console, &Clock::Running),
            Verdict::Wrong(r) if r.contains("console 3 # 0")
        ));
        let wc = "grep xv6 README | wc\n3 36 218 \n$ ";
        assert_eq!(judge(step("boot", 4), wc, &Clock::Running), Verdict::Pass);
        let bad_wc = "grep xv6 README | wc\n3 36\n$ ";
        assert!(matches!(
            judge(step("boot", 4), bad_wc, &Clock::Running),
            Verdict::Wrong(_)
        ));
        let ab = "(echo a; echo b) > f; cat f\na\nb\n$ ";
        assert_eq!(judge(step("boot", 5), ab, &Clock::Running), Verdict::Pass);
        let ba = "(echo a; echo b) > f; cat f\nb\na\n$ ";
        assert!(matches!(
            judge(step("boot", 5), ba, &Clock::Running),
            Verdict::Wrong(_)
        ));
    }

    #[test]
    fn procdump_step() {
        let s = step("boot", 0);
        assert_eq!(
            judge(s, "\n1 sleep  init\n", &Clock::Running),
            Verdict::Pending
        );
        assert_eq!(
            judge(s, "\n1 sleep  init\n2 sleep  sh", &Clock::Running),
            Verdict::Pending
        );
        assert_eq!(
            judge(s, "\n1 sleep  init\n2 sleep  sh\n", &Clock::Running),
            Verdict::Pass
        );
        assert_eq!(
            judge(s, "\n1 sleep  init\n2 run    sh\n", &Clock::Running),
            Verdict::Pass
        );
        assert_eq!(
            judge(s, "\n1 sleep  init\n3 sleep  sh\n", &Clock::Running),
            Verdict::Pending
        );
    }

    #[test]
    fn run_step_passes_at_deadline() {
        let s = step("grind", 0);
        assert_eq!(judge(s, "grind\n", &Clock::Running), Verdict::Pending);
        assert_eq!(judge(s, "grind\n", &Clock::Deadline), Verdict::Pass);
        let r = fail_reason(judge(s, "grind\npanic: walk\n", &Clock::Running));
        assert!(r.contains("panic: walk"), "{r}");
        let listing = "\n1 sleep  init\n2 sleep  sh\n3 run   grind\n";
        assert_eq!(
            judge(step("grind", 1), listing, &Clock::Running),
            Verdict::Pass
        );
    }

    #[test]
    fn patterns() {
        let t = "a\nb x\n12 3 c\n";
        assert_eq!(find_pat(&Line("b x"), t, 0), Some(5));
        assert_eq!(find_pat(&Line("b"), t, 0), None);
        assert_eq!(find_pat(&Fields(&["#", "*", "c"]), t, 0), Some(12));
        assert_eq!(find_pat(&Fields(&["#", "#", "c"]), t, 0), Some(12));
        assert_eq!(find_pat(&Fields(&["#", "#"]), t, 0), None);
        assert_eq!(find_pat(&Like("#  * c"), t, 0), Some(12));
        assert_eq!(find_pat(&Like("# b c"), t, 0), None);
        assert_eq!(find_pat(&Like("#"), t, 0), None);
        assert_eq!(find_pat(&Text("x"), t, 0), Some(5));
        assert_eq!(find_pat(&Line("a"), t, 1), None);
        assert_eq!(find_prompt("x$ \n$ "), Some(4));
        assert_eq!(find_prompt("$ "), Some(0));
        assert_eq!(normalize(b"a\r\nb"), "a\nb");
    }
}
