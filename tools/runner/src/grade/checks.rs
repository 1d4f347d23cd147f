//! The checks of the course's graders, with gradelib's failure messages.
//!
//! The graders' regular expressions are all of one shape, a literal line
//! or line start (`^simple: ok$`, `test lazy alloc: OK$`), plus the
//! usertests pair search; `LineRegex` reads that shape from the course's
//! own pattern text and refuses any other, so the pattern shown in a
//! message is the course's and its meaning is Python's `re` on it.

use std::fs;
use std::path::Path;

use super::gradelib::Paint;

/// A pattern `^?LITERAL$?` as Python's `re.match` applies it to a line:
/// it always matches from the line's start; `$` makes it the whole line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRegex<'a> {
    pub literal: &'a str,
    pub whole: bool,
}

/// Characters with a meaning in a Python regular expression.
const META: &str = ".^$*+?{}[]\\|()";

impl<'a> LineRegex<'a> {
    pub fn parse(re: &'a str) -> Option<LineRegex<'a>> {
        let body = re.strip_prefix('^').unwrap_or(re);
        let (literal, whole) = match body.strip_suffix('$') {
            Some(l) => (l, true),
            None => (body, false),
        };
        if literal.contains(|c| META.contains(c)) {
            return None;
        }
        Some(LineRegex { literal, whole })
    }

    pub fn matches(&self, line: &str) -> bool {
        if self.whole {
            line == self.literal
        } else {
            line.starts_with(self.literal)
        }
    }
}

/// Python's `str.splitlines()`: every line boundary it knows, and no
/// empty line after a final boundary.
pub fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            continue;
        }
        lines.push(&text[start..i]);
        start = i + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
            chars.next();
            start += 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn unsupported(re: &str) -> String {
    format!("pattern {re:?} is not one this grader can apply")
}

/// gradelib's `assert_lines_match`: every pattern matches some line. On
/// failure, the lines around each match (GOOD), the last five lines, and
/// each pattern still MISSING.
pub fn lines_match(text: &str, regexes: &[&str], paint: Paint) -> Result<(), String> {
    let mut pending: Vec<(&str, LineRegex)> = Vec::new();
    for &re in regexes {
        pending.push((re, LineRegex::parse(re).ok_or_else(|| unsupported(re))?));
    }
    let lines = splitlines(text);
    let mut good = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if pending.iter().any(|(_, r)| r.matches(line)) {
            good.push(i);
            pending.retain(|(_, r)| !r.matches(line));
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let n = lines.len() as i64;
    let mut show: Vec<i64> = good
        .iter()
        .flat_map(|&g| (-2..=2).map(move |d| g as i64 + d))
        .chain(n - 5..n)
        .filter(|&l| (0..n).contains(&l))
        .collect();
    show.sort_unstable();
    show.dedup();
    let mut msg = Vec::new();
    let mut last = -1;
    for l in show {
        if l != last + 1 {
            msg.push("...".to_string());
        }
        last = l;
        let tag = if good.contains(&(l as usize)) {
            paint.green("GOOD")
        } else {
            "    ".to_string()
        };
        msg.push(format!("{tag} {}", lines[l as usize]));
    }
    if last != n - 1 {
        msg.push("...".to_string());
    }
    for (re, _) in pending {
        msg.push(format!("{} '{re}'", paint.red("MISSING")));
    }
    Err(msg.join("\n"))
}

/// `len(re.findall(REGEX, output, re.M)) == times`, failing as gradelib's
/// `assert_equal` does. With re.M a `^...$` pattern is one whole line
/// between newlines.
pub fn count(text: &str, regex: &str, times: usize, what: &str) -> Result<(), String> {
    let r = LineRegex::parse(regex)
        .filter(|r| r.whole && regex.starts_with('^'))
        .ok_or_else(|| unsupported(regex))?;
    let got = text.split('\n').filter(|l| r.matches(l)).count();
    if got == times {
        return Ok(());
    }
    Err(format!("{what}\ngot:\n  {got}\nexpected:\n  {times}"))
}

/// The graders' `usertest_check`: a search for `\ntest A: [\s\S]*OK\ntest B`.
/// Since `[\s\S]*` takes anything, that is: some `OK\ntest B` starts at or
/// after the end of the first `\ntest A: `.
pub fn pair(text: &str, a: &str, b: &str) -> Result<(), String> {
    let head = format!("\ntest {a}: ");
    let next = format!("OK\ntest {b}");
    let found = match (text.find(&head), text.rfind(&next)) {
        (Some(i), Some(j)) => j >= i + head.len(),
        _ => false,
    };
    if found {
        Ok(())
    } else {
        Err(format!("Failed {a}"))
    }
}

/// gradelib's `check_time`: the file holds one whole number.
pub fn time(path: &Path) -> Result<(), String> {
    let text = fs::read_to_string(path).map_err(|_| "Cannot read time.txt".to_string())?;
    let d = text.trim();
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "time.txt does not contain a single integer (number of hours spent on the lab)".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Paint = Paint(false);

    #[test]
    fn line_regexes() {
        let r = LineRegex::parse("^file: ok$").unwrap();
        assert!(r.matches("file: ok"));
        assert!(!r.matches("file: ok "));
        assert!(!r.matches(" file: ok"));
        // re.match anchors at the start even without `^`.
        let r = LineRegex::parse("test lazy alloc: OK$").unwrap();
        assert!(r.matches("test lazy alloc: OK"));
        assert!(!r.matches("xtest lazy alloc: OK"));
        let r = LineRegex::parse("^fork_test OK").unwrap();
        assert!(r.matches("fork_test OK and more"));
        assert_eq!(LineRegex::parse("^a.b$"), None);
        assert_eq!(LineRegex::parse("x*"), None);
    }

    #[test]
    fn splitlines_like_python() {
        assert_eq!(splitlines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(splitlines("a\n\nb\n"), ["a", "", "b"]);
        assert_eq!(splitlines("a\x0cb\u{2028}c"), ["a", "b", "c"]);
        assert!(splitlines("").is_empty());
    }

    #[test]
    fn lines_match_reports_like_gradelib() {
        assert!(lines_match("x\nfile: ok\ny\n", &["^file: ok$"], PLAIN).is_ok());
        let text = "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n";
        let msg = lines_match(text, &["^file: ok$"], PLAIN).unwrap_err();
        assert_eq!(
            msg,
            "...\n     l4\n     l5\n     l6\n     l7\n     l8\nMISSING '^file: ok$'"
        );
        // A match shows with its neighbours; the other pattern is missing.
        let text = "a\nb\nc\nALL TESTS PASSED\nd\ne\nf\ng\nh\ni\nj\nk\n";
        let msg = lines_match(text, &["^ALL TESTS PASSED$", "^zz$"], PLAIN).unwrap_err();
        assert_eq!(
            msg,
            "...\n     b\n     c\nGOOD ALL TESTS PASSED\n     d\n     e\n...\n     g\n     h\n     i\n     j\n     k\nMISSING '^zz$'"
        );
        assert_eq!(
            lines_match("", &["^x$"], PLAIN).unwrap_err(),
            "MISSING '^x$'"
        );
        let red = lines_match("", &["^x$"], Paint(true)).unwrap_err();
        assert_eq!(red, "\x1b[31mMISSING\x1b[0m '^x$'");
    }

    #[test]
    fn counts_whole_lines() {
        let text = "simple: ok\nsimple: ok\nsimple: ok \nxsimple: ok\nsimple: ok";
        assert!(count(text, "^simple: ok$", 3, "n").is_ok());
        assert_eq!(
            count(
                text,
                "^simple: ok$",
                2,
                "Number of appearances of 'simple: ok'"
            )
            .unwrap_err(),
            "Number of appearances of 'simple: ok'\ngot:\n  3\nexpected:\n  2"
        );
        assert!(count(text, "simple", 1, "n").is_err());
    }

    #[test]
    fn pairs_search_like_the_regex() {
        let text = "usertests starting\ntest copyin: OK\ntest copyout: OK\ntest copyinstr1: ";
        assert!(pair(text, "copyin", "copyout").is_ok());
        assert!(pair(text, "copyout", "copyinstr1").is_ok());
        // The first test follows no OK; a later one may come between.
        assert_eq!(pair(text, "x", "copyin").unwrap_err(), "Failed x");
        assert!(pair(text, "copyin", "copyinstr1").is_ok());
        // B before A does not count, nor a FAILED A with nothing after.
        assert!(pair(text, "copyout", "copyout").is_err());
        let failed = "\ntest copyin: FAILED\nSOME TESTS FAILED\n";
        assert!(pair(failed, "copyin", "copyout").is_err());
        // Kernel lines may come between A's name and its OK.
        let noisy =
            "\ntest sbrkfail: usertrap(): unexpected scause 0xd\n  sepc=0\nOK\ntest sbrkarg: OK\n";
        assert!(pair(noisy, "sbrkfail", "sbrkarg").is_ok());
    }

    #[test]
    fn time_file() {
        let dir = std::env::temp_dir().join(format!("grade-time-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let f = dir.join("time.txt");
        assert_eq!(time(&f).unwrap_err(), "Cannot read time.txt");
        fs::write(&f, " 12\n").unwrap();
        assert!(time(&f).is_ok());
        for bad in ["", "12 hours", "1.5", "-3"] {
            fs::write(&f, bad).unwrap();
            assert!(
                time(&f)
                    .unwrap_err()
                    .starts_with("time.txt does not contain"),
                "{bad:?}"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
