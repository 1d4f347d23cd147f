//! docs/debugging.md's gdb transcripts against the kernel's source: they
//! give no line numbers in the kernel's files (those move with every
//! edit), and each source line gdb shows after a stop is still a line of
//! the function it names.

use std::fs;

use syn::spanned::Spanned;
use syn::visit::{self, Visit};

mod common;
use common::root;

/// The lines (1-based, inclusive) of every function named `name`.
fn fn_lines(src: &str, name: &str) -> Vec<(usize, usize)> {
    struct V<'n>(&'n str, Vec<(usize, usize)>);
    impl<'a> Visit<'a> for V<'_> {
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            if f.sig.ident == self.0 {
                self.1.push((f.span().start().line, f.span().end().line));
            }
            visit::visit_item_fn(self, f);
        }
    }
    let mut v = V(name, Vec::new());
    v.visit_file(&syn::parse_file(src).unwrap());
    v.1
}

#[test]
fn debugging_transcripts_match_the_source() {
    let doc = fs::read_to_string(root().join("docs/debugging.md")).unwrap();
    for (i, line) in doc.lines().enumerate() {
        for bad in [".rs:", ".rs, line "] {
            if let Some(at) = line.find(bad) {
                let rest = &line[at + bad.len()..];
                assert!(
                    !(line[..at].contains("kernel/src/")
                        && rest.starts_with(|c: char| c.is_ascii_digit())),
                    "docs/debugging.md:{}: a line number in a kernel file: {line}",
                    i + 1
                );
            }
        }
    }
    // A stop: `... kernel::MOD::NAME (ARGS) at kernel/src/FILE.rs:…`, then
    // gdb's `…<tab>SOURCE`.
    let lines: Vec<&str> = doc.lines().collect();
    let mut checked = 0;
    for pair in lines.windows(2) {
        let Some(source) = pair[1].strip_prefix("…\t") else {
            continue;
        };
        let (head, file) = pair[0].rsplit_once(" at ").unwrap();
        let file = file.strip_suffix(":…").unwrap();
        let path = head
            .split_whitespace()
            .find(|w| w.starts_with("kernel::"))
            .unwrap();
        let name = path.rsplit("::").next().unwrap();
        let src = fs::read_to_string(root().join(file)).unwrap();
        let fns = fn_lines(&src, name);
        assert!(!fns.is_empty(), "{file} has no fn {name}");
        let text: Vec<&str> = src.lines().collect();
        let found = fns.iter().any(|&(a, b)| {
            text[a - 1..b]
                .iter()
                .any(|l| l.trim_end() == source.trim_end())
        });
        assert!(found, "{file}: fn {name} has no line {source:?}");
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} source lines found");
}
