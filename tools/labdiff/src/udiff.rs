//! Unified diffs between two trees, and the per-file summary.

use std::io::{self, Write};

use similar::{ChangeTag, TextDiff};

use super::tree::Tree;

/// One file that differs between the trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// The unified diff text, headers included.
    pub text: String,
    pub added: usize,
    pub removed: usize,
}

/// The files that differ from `a` to `b`, in path order.
pub fn diff_trees(a: &Tree, b: &Tree) -> Vec<FileDiff> {
    let mut paths: Vec<&String> = a.files.keys().chain(b.files.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|p| {
            let (old, new) = (a.files.get(p), b.files.get(p));
            (old != new).then(|| diff_file(p, old, new))
        })
        .collect()
}

/// A file's diff; `None` on a side means the file is absent there.
pub fn diff_file(path: &str, old: Option<&Vec<u8>>, new: Option<&Vec<u8>>) -> FileDiff {
    let name = |side: &str, present: bool| {
        if present {
            format!("{side}/{path}")
        } else {
            "/dev/null".into()
        }
    };
    let (a, b) = (name("a", old.is_some()), name("b", new.is_some()));
    let (Some(old_t), Some(new_t)) = (text_of(old), text_of(new)) else {
        return FileDiff {
            path: path.into(),
            text: format!("--- {a}\n+++ {b}\nBinary files differ\n"),
            added: 0,
            removed: 0,
        };
    };
    let diff = TextDiff::from_lines(old_t, new_t);
    let (mut added, mut removed) = (0, 0);
    for c in diff.iter_all_changes() {
        match c.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    FileDiff {
        path: path.into(),
        text,
        added,
        removed,
    }
}

/// A side's text: empty if absent, `None` if not UTF-8.
fn text_of(v: Option<&Vec<u8>>) -> Option<&str> {
    v.map_or(Some(""), |v| std::str::from_utf8(v).ok())
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Prints the diffs, coloured like git's if `color`.
pub fn write_diffs(diffs: &[FileDiff], color: bool, out: &mut dyn Write) -> io::Result<()> {
    for d in diffs {
        for line in d.text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            let paint = if !color {
                ""
            } else if body.starts_with("--- ") || body.starts_with("+++ ") {
                BOLD
            } else if body.starts_with("@@") {
                CYAN
            } else if body.starts_with('-') {
                RED
            } else if body.starts_with('+') {
                GREEN
            } else {
                ""
            };
            if paint.is_empty() {
                write!(out, "{body}")?;
            } else {
                write!(out, "{paint}{body}{RESET}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// One line per changed file, `path | +added -removed`, then a total.
pub fn write_summary(diffs: &[FileDiff], color: bool, out: &mut dyn Write) -> io::Result<()> {
    let width = diffs.iter().map(|d| d.path.len()).max().unwrap_or(0);
    let (g, r, z) = if color {
        (GREEN, RED, RESET)
    } else {
        ("", "", "")
    };
    for d in diffs {
        writeln!(
            out,
            "{:<width$} | {g}+{}{z} {r}-{}{z}",
            d.path, d.added, d.removed
        )?;
    }
    let added: usize = diffs.iter().map(|d| d.added).sum();
    let removed: usize = diffs.iter().map(|d| d.removed).sum();
    let n = diffs.len();
    let files = if n == 1 { "file" } else { "files" };
    writeln!(out, "{n} {files} changed, {g}+{added}{z} {r}-{removed}{z}")
}
