//! The kernel-stack high-water check. The kernel paints each process's
//! kernel stack when the process is created, measures how much of it was
//! used when the slot is freed, and prints the deepest use so far on ^P:
//!
//! ```text
//! kstack: deepest use 2712 of 8192 bytes (33%) by usertests
//! ```
//!
//! The runner asks for that line at the end of every suite and fails the
//! suite's check when the use is above `LIMIT_PERCENT`; `tools kstack`
//! prints the figures of every suite log as a table.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// A stack used above this share of its size fails the check.
pub const LIMIT_PERCENT: usize = 75;

/// What the kernel's line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KstackUse {
    pub used: usize,
    pub size: usize,
    pub by: String,
}

impl KstackUse {
    pub fn percent(&self) -> usize {
        self.used * 100 / self.size.max(1)
    }

    pub fn too_deep(&self) -> bool {
        self.used * 100 > self.size * LIMIT_PERCENT
    }
}

/// The last complete kstack line in `text`.
pub fn parse(text: &str) -> Option<KstackUse> {
    text.lines()
        .rev()
        .find_map(|line| {
            // Only whole lines: the last one may still be arriving.
            let rest = line.trim_end().strip_prefix("kstack: deepest use ")?;
            let (used, rest) = rest.split_once(" of ")?;
            let (size, rest) = rest.split_once(" bytes (")?;
            let (_, by) = rest.split_once("%) by ")?;
            Some(KstackUse {
                used: used.parse().ok()?,
                size: size.parse().ok()?,
                by: by.to_string(),
            })
        })
        .filter(|_| text.ends_with('\n'))
}

/// How a check's result reads in a progress line and in the log.
pub fn describe(k: &KstackUse) -> String {
    format!(
        "{} of {} bytes ({}%, limit {}%) by {}",
        k.used,
        k.size,
        k.percent(),
        LIMIT_PERCENT,
        k.by
    )
}

/// A table of the deepest use in every suite log under `log_dir`
/// (`<label>/<suite>.log`), and the overall high-water mark.
pub fn table(log_dir: &Path) -> std::io::Result<String> {
    let mut rows = Vec::new();
    for label in fs::read_dir(log_dir)? {
        let label = label?;
        if !label.file_type()?.is_dir() {
            continue;
        }
        for log in fs::read_dir(label.path())? {
            let path = log?.path();
            if path.extension().is_none_or(|e| e != "log") {
                continue;
            }
            let text = String::from_utf8_lossy(&fs::read(&path)?).replace('\r', "");
            let Some(k) = parse(&format!("{text}\n")) else {
                continue;
            };
            let suite = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            rows.push((label.file_name().to_string_lossy().into_owned(), suite, k));
        }
    }
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut out = String::from("kernel stack high-water marks (deepest use at freeproc):\n");
    let _ = writeln!(
        out,
        "  {:<15} {:<14} {:>6} {:>6} {:>5}  by",
        "config", "suite", "used", "size", "%"
    );
    for (label, suite, k) in &rows {
        let _ = writeln!(
            out,
            "  {:<15} {:<14} {:>6} {:>6} {:>4}%  {}",
            label,
            suite,
            k.used,
            k.size,
            k.percent(),
            k.by
        );
    }
    match rows.iter().max_by_key(|r| r.2.used) {
        Some((label, suite, k)) => {
            let _ = writeln!(out, "  deepest: {} in {label}/{suite}", describe(k));
        }
        None => out.push_str("  (no kstack lines in the logs)\n"),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_line() {
        let t = "1 sleep  init\nkstack: deepest use 3000 of 4096 bytes (73%) by usertests\n";
        let k = parse(t).unwrap();
        assert_eq!(k.used, 3000);
        assert_eq!(k.size, 4096);
        assert_eq!(k.by, "usertests");
        assert!(!k.too_deep());
        let deep = parse("kstack: deepest use 3073 of 4096 bytes (75%) by sh\n").unwrap();
        assert!(deep.too_deep());
        assert_eq!(parse("kstack: deepest use 30"), None);
        assert_eq!(
            parse("kstack: deepest use 3000 of 4096 bytes (73%) by x"),
            None
        );
    }

    #[test]
    fn takes_the_last_line() {
        let t = "kstack: deepest use 10 of 4096 bytes (0%) by a\n\
                 kstack: deepest use 20 of 4096 bytes (0%) by b\n";
        assert_eq!(parse(t).unwrap().by, "b");
    }

    #[test]
    fn table_of_logs() {
        let dir = std::env::temp_dir().join(format!("kstack-table-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("cow")).unwrap();
        fs::write(
            dir.join("cow/boot.log"),
            "$ \r\n1 sleep  init\r\nkstack: deepest use 2000 of 8192 bytes (24%) by sh\r\n",
        )
        .unwrap();
        fs::write(dir.join("cow/other.log"), "no line here\n").unwrap();
        let t = table(&dir).unwrap();
        assert!(t.contains("cow"), "{t}");
        assert!(t.contains("deepest: 2000 of 8192 bytes"), "{t}");
        assert!(!t.contains("other"), "{t}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
